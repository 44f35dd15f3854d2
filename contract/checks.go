package contract

import (
	"encoding/json"
	"fmt"
	"mime"
	"slices"
	"strconv"
	"strings"

	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/reconkit/reconkit/contract/pointer"
)

// maxReasons caps how many validator messages one finding quotes; the
// drift findings name every field anyway.
const maxReasons = 5

// driftChecks join the response checks when a response has a schema to
// walk.
var driftChecks = []string{
	CheckUndocumentedField, CheckMissingRequiredField, CheckTypeChanged, CheckUnknownEnumValue,
	CheckFormatViolation, CheckNullabilityChanged, CheckEnvelopeChanged,
}

// How a response is judged.
type judgeMode int

const (
	// modePlanned is a planned call: every check, its status expected.
	modePlanned judgeMode = iota
	// modeNegative is the answer to a negative call: its status is the
	// negative check's to judge.
	modeNegative
	// modeGenerated is a generated positive case: a valid request a
	// business rule may still refuse, so any documented status will do,
	// but never a 5xx or a drifted body.
	modeGenerated
)

// judge runs every check on one response and returns the findings; it
// records none (the caller does, or a shrink compares them). Each check
// reports on its own, so a response that fails one still gets every drift
// listed. The answers to negative checks are judged too (error envelopes
// drift like any other), except for the status they were expected to get,
// which the negative check itself judges. what describes a generated
// case.
func (r *runner) judge(st *Step, req *request, resp *response, ex *exchange, mode judgeMode, what string) []Finding {
	op := st.Op
	r.ran(op, CheckNotAServerError, CheckContentTypeConformance, CheckResponseSchema)
	if mode != modeNegative {
		r.ran(op, CheckStatusCodeDocumented)
	}
	if mode == modePlanned {
		r.ran(op, CheckExpectedStatus, CheckResponseTime)
	}
	ev := &evidence{req: req, resp: resp, ex: ex, what: what, expect: st.Expect}
	var out []Finding
	add := func(check, in, ptr string, line int, format string, args ...any) {
		out = append(out, r.newFinding(st, ev, resp.status, check, in, ptr, line, format, args...))
	}
	if resp.status >= 500 {
		add(CheckNotAServerError, "", "", op.Line, "%s %s answered %d", op.Method, op.Path, resp.status)
	}
	def, key := matchResponse(op, resp.status)
	// A refusal the spec does not document is judged by its negative
	// check alone: many specs leave 401 out, and saying so once per
	// negative check would bury everything else.
	if def == nil && mode != modeNegative {
		add(CheckStatusCodeDocumented, "", "", responsesLine(op), "status %d is not documented (documented: %s)", resp.status, strings.Join(documentedStatuses(op), ", "))
	}
	if mode == modePlanned && !expected(st.Expect, resp.status) {
		want := "2xx"
		if len(st.Expect) > 0 {
			want = joinInts(st.Expect)
		}
		add(CheckExpectedStatus, "", "", op.Line, "step %s expected %s, got %d%s", st.ID, want, resp.status, errorHint(ex))
	}
	if mode == modePlanned && r.opts.ResponseTime > 0 && resp.duration > r.opts.ResponseTime {
		add(CheckResponseTime, "", "", op.Line, "took %v, over the %v budget", resp.duration.Round(1e6), r.opts.ResponseTime)
	}
	if def == nil {
		return out
	}
	line := responseLine(def, op)
	mtName, mt := r.contentType(def, resp, line, add)
	if mt == nil || mt.Schema == nil || mt.Schema.Schema() == nil || !isJSONMediaType(mtName) {
		r.headers(def, resp, line, add)
		return out
	}
	r.ran(op, driftChecks...)
	if !ex.bodyJSON {
		add(CheckResponseSchema, InBody, "", proxyLine(mt.Schema), "status %d (%s) should carry JSON matching the schema, the body is not JSON", resp.status, key)
		r.headers(def, resp, line, add)
		return out
	}
	r.vmu.Lock()
	ok, errs := r.validator.ValidateSchemaBytesWithVersion(mt.Schema.Schema(), resp.raw, r.spec.SchemaVersion())
	r.vmu.Unlock()
	if !ok {
		var reasons []string
		for _, e := range errs {
			if len(e.SchemaValidationErrors) == 0 {
				reasons = append(reasons, e.Reason)
			}
			for _, f := range e.SchemaValidationErrors {
				where := f.FieldPath
				if where == "" {
					where = "$"
				}
				reasons = append(reasons, where+": "+f.Reason)
			}
		}
		slices.Sort(reasons)
		reasons = slices.Compact(reasons)
		if n := len(reasons); n > maxReasons {
			reasons = append(reasons[:maxReasons], fmt.Sprintf("and %d more", n-maxReasons))
		}
		add(CheckResponseSchema, InBody, "", proxyLine(mt.Schema), "the body does not validate against the schema of %d %s: %s", resp.status, mtName, strings.Join(reasons, "; "))
	}
	drifts, seen := WalkDriftReadings(mt.Schema, ex.body, r.spec.SchemaVersion())
	r.mu.Lock()
	r.res.sawReadings(st.Op.ID, seen)
	r.mu.Unlock()
	for _, d := range drifts {
		msg := d.Message
		if d.Occurrences > 1 {
			msg += fmt.Sprintf(" (and %d more list elements)", d.Occurrences-1)
		}
		f := r.newFinding(st, ev, resp.status, d.Check, InBody, d.Pointer, d.Line, "%s", msg)
		f.Occurrences = d.Occurrences
		out = append(out, f)
	}
	r.headers(def, resp, line, add)
	return out
}

// contentType checks the Content-Type against the media types documented
// for the status and returns the one that applies (the first JSON one when
// nothing matches, so the body is still walked for drift).
func (r *runner) contentType(def *v3.Response, resp *response, line int, add func(string, string, string, int, string, ...any)) (string, *v3.MediaType) {
	documented := []string{}
	if def.Content != nil {
		for name := range def.Content.KeysFromOldest() {
			documented = append(documented, name)
		}
	}
	got := resp.header.Get("Content-Type")
	if len(documented) == 0 {
		if len(resp.raw) > 0 {
			add(CheckContentTypeConformance, "", "", line, "status %d documents no body, the response has %d bytes of %q", resp.status, len(resp.raw), got)
		}
		return "", nil
	}
	if got == "" {
		if len(resp.raw) > 0 {
			add(CheckContentTypeConformance, "", "", line, "no Content-Type; documented: %s", strings.Join(documented, ", "))
		}
	} else if name := matchMediaType(got, documented); name != "" {
		mt, _ := def.Content.Get(name)
		return name, mt
	} else {
		add(CheckContentTypeConformance, "", "", line, "Content-Type %q is not documented for status %d (documented: %s)", got, resp.status, strings.Join(documented, ", "))
	}
	for _, name := range documented {
		if isJSONMediaType(name) {
			mt, _ := def.Content.Get(name)
			return name, mt
		}
	}
	return "", nil
}

// matchMediaType returns the documented media type a Content-Type
// matches: exactly, then by wildcard (application/*, */*).
func matchMediaType(contentType string, documented []string) string {
	got, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	gotType, _, _ := strings.Cut(got, "/")
	for _, d := range documented {
		want, _, err := mime.ParseMediaType(d)
		if err == nil && want == got {
			return d
		}
	}
	for _, d := range documented {
		want, _, err := mime.ParseMediaType(d)
		if err != nil {
			continue
		}
		if want == "*/*" || want == gotType+"/*" {
			return d
		}
	}
	return ""
}

// headers checks every documented response header: a required one must
// be present, and any that is present, required or not, must match its
// schema.
func (r *runner) headers(def *v3.Response, resp *response, line int, add func(string, string, string, int, string, ...any)) {
	if def.Headers == nil {
		return
	}
	for name, h := range def.Headers.FromOldest() {
		if h == nil || strings.EqualFold(name, "Content-Type") {
			continue
		}
		ptr := "/" + pointer.Escape(strings.ToLower(name))
		hline := line
		if low := h.GoLow(); low != nil && low.KeyNode != nil {
			hline = low.KeyNode.Line
		}
		vals := resp.header.Values(name)
		if len(vals) == 0 {
			if h.Required {
				add(CheckMissingRequiredField, InHeader, ptr, hline, "required header %s is missing", name)
			}
			continue
		}
		schema := h.Schema
		if schema == nil || schema.Schema() == nil {
			continue
		}
		for _, d := range WalkDrift(schema, headerValue(schema.Schema(), strings.Join(vals, ",")), r.spec.SchemaVersion()) {
			d.Pointer = ptr + d.Pointer
			if d.Line == 0 {
				d.Line = hline
			}
			add(d.Check, InHeader, d.Pointer, d.Line, "header %s: %s", name, d.Message)
		}
	}
}

// headerValue turns a header's text into the JSON value its schema
// describes, leaving text that does not convert as a string so the walk
// reports the type change.
func headerValue(s *base.Schema, text string) any {
	text = strings.TrimSpace(text)
	typ := ""
	if len(s.Type) > 0 {
		typ = s.Type[0]
	}
	switch typ {
	case "integer", "number":
		if _, err := strconv.ParseFloat(text, 64); err == nil {
			return json.Number(text)
		}
	case "boolean":
		if b, err := strconv.ParseBool(text); err == nil {
			return b
		}
	case "array":
		parts := strings.Split(text, ",")
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = strings.TrimSpace(p)
			if s.Items != nil && s.Items.IsA() && s.Items.A.Schema() != nil {
				out[i] = headerValue(s.Items.A.Schema(), p)
			}
		}
		return out
	}
	return text
}

// matchResponse finds the response an operation documents for a status:
// the exact code, then its range (2XX), then default.
func matchResponse(op *Operation, status int) (*v3.Response, string) {
	rs := op.Op.Responses
	if rs == nil {
		return nil, ""
	}
	code := strconv.Itoa(status)
	if rs.Codes != nil {
		if r, ok := rs.Codes.Get(code); ok && r != nil {
			return r, code
		}
		rng := code[:1] + "XX"
		for k, r := range rs.Codes.FromOldest() {
			if strings.EqualFold(k, rng) && r != nil {
				return r, k
			}
		}
	}
	if rs.Default != nil {
		return rs.Default, "default"
	}
	return nil, ""
}

func documentedStatuses(op *Operation) []string {
	var out []string
	if rs := op.Op.Responses; rs != nil {
		if rs.Codes != nil {
			for k := range rs.Codes.KeysFromOldest() {
				out = append(out, k)
			}
		}
		if rs.Default != nil {
			out = append(out, "default")
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func responsesLine(op *Operation) int {
	if rs := op.Op.Responses; rs != nil {
		if low := rs.GoLow(); low != nil && low.KeyNode != nil {
			return low.KeyNode.Line
		}
	}
	return op.Line
}

func responseLine(def *v3.Response, op *Operation) int {
	if low := def.GoLow(); low != nil {
		if low.KeyNode != nil {
			return low.KeyNode.Line
		}
		if low.RootNode != nil {
			return low.RootNode.Line
		}
	}
	return responsesLine(op)
}

func expected(expect []int, status int) bool {
	if len(expect) == 0 {
		return status >= 200 && status < 300
	}
	return slices.Contains(expect, status)
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, " or ")
}

// errorHint quotes the server's own error message, if its body has an
// obvious one, so a failed step says why.
func errorHint(ex *exchange) string {
	m, ok := ex.body.(map[string]any)
	if !ok {
		return ""
	}
	for _, ptr := range []string{"/message", "/body/status_desc", "/error/message", "/error", "/detail", "/title"} {
		if v, ok := lookupPointer(m, ptr); ok {
			if s, ok := v.(string); ok && s != "" {
				return ": " + cut(s, 200)
			}
		}
	}
	return ""
}
