package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi/datamodel/high/base"
	"github.com/reconkit/reconkit/contract/pointer"
)

// Generated cases vary one value of an operation's first good call at a
// time, from the schemas: boundary values of every constrained field and
// parameter (minimum and minimum+1, maximum-1 and maximum, shortest and
// longest strings, fewest and most items, each enum value, a valid value
// of each format), optional ones left out and put in; and, with negative
// checks on, values just outside each constraint, which the server must
// refuse with a 4xx. They run after the plan, cleanup included, so they
// never disturb a scenario's records.

// maxShrinkCalls bounds the calls spent shrinking one failing case.
const maxShrinkCalls = 12

// maxGenLength bounds generated strings; longer length bounds are left
// alone.
const maxGenLength = 4096

// maxGenItems bounds generated arrays.
const maxGenItems = 20

// InQuery marks a finding about a query parameter (Pointer is /NAME).
const InQuery = "query"

// template is the call an operation's generated cases vary: its first
// call that got a 2xx, else its first call.
type template struct {
	st  *Step
	req *request
	ok  bool
}

// keepTemplate remembers the call as the operation's template.
func (r *runner) keepTemplate(st *Step, req *request, resp *response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok := resp.status >= 200 && resp.status < 300
	t := r.templates[st.Op.ID]
	if t == nil {
		r.tmplOrder = append(r.tmplOrder, st.Op.ID)
	}
	if t == nil || (!t.ok && ok) {
		r.templates[st.Op.ID] = &template{st: st, req: req, ok: ok}
	}
}

// genCase is one change to a call: a parameter or body member set to a
// value, or left out (deleteMarker).
type genCase struct {
	negative bool
	in       string // query, header or body
	where    string // the parameter's name, or the body's JSON pointer
	value    any
	what     string // "query limit = 100 (maximum)"
}

// generated runs every operation's generated cases, Workers operations at
// a time.
func (r *runner) generated(ctx context.Context) error {
	r.mu.Lock()
	ids := slices.Clone(r.tmplOrder)
	r.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan string)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range r.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				if err := r.opCases(ctx, id); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
	for _, id := range ids {
		select {
		case work <- id:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return firstErr
}

// opCases runs the generated cases of one operation, in order.
func (r *runner) opCases(ctx context.Context, opID string) error {
	r.mu.Lock()
	t := r.templates[opID]
	r.mu.Unlock()
	cases := r.selectCases(opID, r.cases(t))
	for i, c := range cases {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := &Step{ID: fmt.Sprintf("%s case %d", opID, i+1), Op: t.st.Op}
		if err := r.runCase(ctx, st, t.req, c); err != nil {
			return err
		}
	}
	return nil
}

// selectCases keeps at most MaxCases, chosen by the seed, in their order.
func (r *runner) selectCases(opID string, cs []genCase) []genCase {
	if len(cs) <= r.opts.MaxCases {
		return cs
	}
	h := fnv.New64a()
	h.Write([]byte(opID))
	rng := rand.New(rand.NewPCG(uint64(r.opts.Seed), h.Sum64()))
	idx := rng.Perm(len(cs))[:r.opts.MaxCases]
	slices.Sort(idx)
	out := make([]genCase, len(idx))
	for i, j := range idx {
		out[i] = cs[j]
	}
	return out
}

// runCase sends one case, judges it, shrinks it when it fails and
// records what the smallest failing variant shows.
func (r *runner) runCase(ctx context.Context, st *Step, base *request, c genCase) error {
	req, err := r.applyTo(st.Op, base, c)
	if err != nil {
		return nil // a value the media type cannot carry: nothing to send
	}
	r.mu.Lock()
	if c.negative {
		r.res.Cases.Negative++
	} else {
		r.res.Cases.Positive++
	}
	r.mu.Unlock()
	if c.negative {
		r.ran(st.Op, CheckNegConstraint)
	}
	resp, err := r.send(ctx, st, req, "")
	if err != nil {
		if err := r.fatal(ctx, err); err != nil {
			return err
		}
		r.finding(st, &evidence{req: req, what: c.what}, 0, CheckTransport, "", "", st.Op.Line, "%s %s (%s): %v", req.method, shownURL(req.url), c.what, err)
		return nil
	}
	r.called(st.Op, req, resp)
	fs := r.caseFindings(st, c, req, resp)
	if target := firstFailing(fs); target != "" {
		fs = r.shrink(ctx, st, c, req, fs, target)
	}
	r.record(fs...)
	return nil
}

func firstFailing(fs []Finding) string {
	for _, f := range fs {
		if f.Fails() {
			return f.Check
		}
	}
	return ""
}

// caseFindings judges the answer to a case: a positive one by every
// response check but its status (any documented one will do), a negative
// one by those and the refusal it must get.
func (r *runner) caseFindings(st *Step, c genCase, req *request, resp *response) []Finding {
	ex := newExchange(st, req, resp)
	mode := modeGenerated
	if c.negative {
		mode = modeNegative
	}
	fs := r.judge(st, req, resp, ex, mode, c.what)
	if c.negative && (resp.status < 400 || resp.status >= 500) {
		in, ptr := InBody, c.where
		line := st.Op.Line
		if c.in != "body" {
			in, ptr = c.in, "/"+pointer.Escape(c.where)
			if p := st.Op.Param(c.in, c.where); p != nil && p.Schema != nil {
				line = proxyLine(p.Schema)
			}
		}
		fs = append(fs, r.newFinding(st, &evidence{req: req, resp: resp, ex: ex, what: c.what}, resp.status, CheckNegConstraint, in, ptr, line,
			"a request with %s to %s %s got %d, want 4xx%s", c.what, st.Op.Method, st.Op.Path, resp.status, r.verdict(st.Op, resp)))
	}
	return fs
}

// shrink looks for a smaller request that still fails target: optional
// parameters and body members left out, arrays cut to their fewest items,
// one at a time, keeping each change that still fails. It returns the
// smallest variant's findings, each saying what was left out.
func (r *runner) shrink(ctx context.Context, st *Step, c genCase, req *request, fs []Finding, target string) []Finding {
	var dropped []string
	calls := 0
	for _, cand := range r.shrinkCandidates(st.Op, req, c) {
		if calls >= maxShrinkCalls || ctx.Err() != nil {
			break
		}
		next, err := r.applyTo(st.Op, req, cand)
		if err != nil {
			continue
		}
		calls++
		resp, err := r.send(ctx, st, next, "")
		if err != nil {
			continue
		}
		nfs := r.caseFindings(st, c, next, resp)
		if slices.ContainsFunc(nfs, func(f Finding) bool { return f.Check == target && f.Fails() }) {
			req, fs = next, nfs
			dropped = append(dropped, cand.what)
		}
	}
	if len(dropped) == 0 {
		return fs
	}
	r.mu.Lock()
	r.res.Cases.Shrunk++
	r.mu.Unlock()
	note := "; shrunk: " + strings.Join(dropped, ", ")
	for i := range fs {
		fs[i].Case += r.redact.String(note)
	}
	return fs
}

// shrinkCandidates lists what a failing case can do without: optional
// parameters and body members it sends, and extra array items, never the
// value the case is about or anything around it.
func (r *runner) shrinkCandidates(op *Operation, req *request, c genCase) []genCase {
	var out []genCase
	for _, prm := range op.Params {
		if prm.In != "query" && prm.In != "header" || skipParam(prm) || (prm.Required != nil && *prm.Required) {
			continue
		}
		if c.in == prm.In && c.where == prm.Name {
			continue
		}
		present := prm.In == "query" && req.query.Has(prm.Name) || prm.In == "header" && req.header.Get(prm.Name) != ""
		if present {
			out = append(out, genCase{in: prm.In, where: prm.Name, value: deleteMarker, what: prm.In + " " + prm.Name})
		}
	}
	obj, ok := req.bodyValue.(map[string]any)
	sp := bodySchemaOf(op, req.mediaType)
	if !ok || sp == nil || sp.Schema() == nil {
		return out
	}
	onPath := func(ptr string) bool {
		return c.in == "body" && (ptr == c.where || strings.HasPrefix(c.where, ptr+"/") || strings.HasPrefix(ptr, c.where+"/"))
	}
	var walk func(v *view, x map[string]any, ptr string, depth int)
	walk = func(v *view, x map[string]any, ptr string, depth int) {
		if depth > maxGenDepth {
			return
		}
		for _, p := range v.props {
			val, present := x[p.name]
			child := childPointer(ptr, p.name)
			if !present || p.proxy.Schema() == nil {
				continue
			}
			if !slices.Contains(v.required, p.name) && !onPath(child) {
				out = append(out, genCase{in: "body", where: child, value: deleteMarker, what: "body " + child})
				continue
			}
			pv := resolvedView(p.proxy.Schema(), r.spec.SchemaVersion())
			switch t := val.(type) {
			case map[string]any:
				walk(pv, t, child, depth+1)
			case []any:
				keep := 1
				if s := pv.schema; s != nil && s.MinItems != nil {
					keep = max(int(*s.MinItems), 1)
				}
				if len(t) > keep && !(c.in == "body" && strings.HasPrefix(c.where, child+"/") && !strings.HasPrefix(c.where, child+"/0")) && c.where != child {
					out = append(out, genCase{in: "body", where: child, value: deepCopy(t[:keep]), what: fmt.Sprintf("body %s items after the first %d", child, keep)})
				}
				if len(t) > 0 && pv.items != nil && pv.items.Schema() != nil {
					if m, ok := t[0].(map[string]any); ok {
						walk(resolvedView(pv.items.Schema(), r.spec.SchemaVersion()), m, indexPointer(child, 0), depth+1)
					}
				}
			}
		}
	}
	walk(resolvedView(sp.Schema(), r.spec.SchemaVersion()), obj, "", 0)
	return out
}

// bodySchemaOf returns the schema of op's request body in a media type.
func bodySchemaOf(op *Operation, mediaType string) *base.SchemaProxy {
	if rb := op.Op.RequestBody; rb != nil && rb.Content != nil {
		if mt, ok := rb.Content.Get(mediaType); ok && mt != nil {
			return mt.Schema
		}
	}
	return nil
}

// resolvedView folds s and its first oneOf/anyOf branches, as the body
// generator reads a schema.
func resolvedView(s *base.Schema, version float32) *view {
	v := fold(s, version)
	for len(v.alts) > 0 && len(v.alts[0]) > 0 {
		v = v.with(0, v.alts[0][0], version)
	}
	return v
}

// applyTo returns base with one case's change made.
func (r *runner) applyTo(op *Operation, base *request, c genCase) (*request, error) {
	req := *base
	req.query = url.Values{}
	for k, vs := range base.query {
		req.query[k] = slices.Clone(vs)
	}
	req.header = base.header.Clone()
	if req.header == nil {
		req.header = http.Header{}
	}
	switch c.in {
	case "query":
		req.query.Del(c.where)
		if list, ok := c.value.([]any); ok {
			for _, x := range list {
				req.query.Add(c.where, scalarString(x))
			}
		} else if c.value != deleteMarker {
			req.query.Set(c.where, scalarString(c.value))
		}
	case "header":
		req.header.Del(c.where)
		if c.value != deleteMarker {
			req.header.Set(c.where, scalarString(c.value))
		}
	case "body":
		b := deepCopy(base.bodyValue)
		if c.value == deleteMarker {
			deletePointer(b, c.where)
		} else {
			var ok bool
			if b, ok = setPointer(b, c.where, deepCopy(c.value)); !ok {
				return nil, fmt.Errorf("no parent for %s", c.where)
			}
		}
		raw, err := encodeBody(req.mediaType, b)
		if err != nil {
			return nil, err
		}
		req.bodyValue, req.body = b, raw
	}
	req.url = r.urlFor(op, req.path, req.query)
	return &req, nil
}

// cases lists the generated cases of an operation's template call.
func (r *runner) cases(t *template) []genCase {
	version := r.spec.SchemaVersion()
	var out []genCase
	seen := map[string]bool{}
	add := func(c genCase) {
		k := fmt.Sprintf("%v\x00%s\x00%s\x00%s", c.negative, c.in, c.where, showValue(c.value))
		if !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	op := t.st.Op
	for _, prm := range op.Params {
		if skipParam(prm) || (prm.In != "query" && prm.In != "header") || prm.Schema == nil || prm.Schema.Schema() == nil {
			continue
		}
		if _, isVar := r.opts.Vars[prm.Name]; isVar {
			continue // a value the config fixes is not varied
		}
		required := prm.Required != nil && *prm.Required
		var cur any
		present := false
		switch prm.In {
		case "query":
			if vs, ok := t.req.query[prm.Name]; ok && len(vs) > 0 {
				present, cur = true, vs[0]
			}
		case "header":
			if v := t.req.header.Get(prm.Name); v != "" {
				present, cur = true, v
			}
		}
		label := prm.In + " " + prm.Name
		v := resolvedView(prm.Schema.Schema(), version)
		for _, b := range boundaries(v, cur) {
			if present && scalarString(b.value) == scalarString(cur) {
				continue
			}
			add(genCase{in: prm.In, where: prm.Name, value: b.value, what: fmt.Sprintf("%s = %s (%s)", label, showValue(b.value), b.why)})
		}
		if r.opts.Negative {
			for _, b := range outside(v, cur) {
				add(genCase{negative: true, in: prm.In, where: prm.Name, value: b.value, what: fmt.Sprintf("%s = %s (%s)", label, showValue(b.value), b.why)})
			}
		}
		switch {
		case present && !required:
			add(genCase{in: prm.In, where: prm.Name, value: deleteMarker, what: label + " left out"})
		case !present:
			if x := r.gen.value(prm.Schema, prm.Name, 0); x != nil {
				add(genCase{in: prm.In, where: prm.Name, value: x, what: fmt.Sprintf("%s = %s (optional, put in)", label, showValue(x))})
			}
		}
	}
	if t.st.HasBody && isJSONMediaType(t.req.mediaType) {
		if obj, ok := t.req.bodyValue.(map[string]any); ok {
			if sp := bodySchemaOf(op, t.req.mediaType); sp != nil && sp.Schema() != nil {
				r.bodyCases(resolvedView(sp.Schema(), version), obj, "", 0, add)
			}
		}
	}
	return out
}

// bodyCases adds the cases of every member of a body object, depth
// first in schema order.
func (r *runner) bodyCases(v *view, obj map[string]any, ptr string, depth int, add func(genCase)) {
	if depth > maxGenDepth {
		return
	}
	version := r.spec.SchemaVersion()
	for _, p := range v.props {
		ps := p.proxy.Schema()
		if ps == nil || (ps.ReadOnly != nil && *ps.ReadOnly) {
			continue
		}
		if _, isVar := r.opts.Vars[p.name]; isVar {
			continue
		}
		pv := resolvedView(ps, version)
		child := childPointer(ptr, p.name)
		label := "body " + child
		val, present := obj[p.name]
		required := slices.Contains(v.required, p.name)
		if !present {
			if !required {
				if x := r.gen.value(p.proxy, p.name, depth+1); x != nil {
					add(genCase{in: "body", where: child, value: x, what: fmt.Sprintf("%s = %s (optional, put in)", label, showValue(x))})
				}
			}
			continue
		}
		for _, b := range boundaries(pv, val) {
			if sameJSON(b.value, val) {
				continue
			}
			add(genCase{in: "body", where: child, value: b.value, what: fmt.Sprintf("%s = %s (%s)", label, showValue(b.value), b.why)})
		}
		if r.opts.Negative {
			for _, b := range outside(pv, val) {
				add(genCase{negative: true, in: "body", where: child, value: b.value, what: fmt.Sprintf("%s = %s (%s)", label, showValue(b.value), b.why)})
			}
		}
		if !required {
			add(genCase{in: "body", where: child, value: deleteMarker, what: label + " left out"})
		}
		switch t := val.(type) {
		case map[string]any:
			r.bodyCases(pv, t, child, depth+1, add)
		case []any:
			if len(t) > 0 && pv.items != nil && pv.items.Schema() != nil {
				iv := resolvedView(pv.items.Schema(), version)
				if m, ok := t[0].(map[string]any); ok {
					r.bodyCases(iv, m, indexPointer(child, 0), depth+1, add)
				}
			}
		}
	}
}

// bval is one generated value and why it was chosen.
type bval struct {
	value any
	why   string
}

// typeOf is the JSON type a view describes, else the current value's.
func typeOf(v *view, cur any) string {
	if len(v.types) > 0 {
		return v.types[0]
	}
	if cur != nil {
		return jsonType(cur)
	}
	return ""
}

// numBounds returns a number schema's inclusive bounds (for integers;
// exclusive bounds move by one).
func numBounds(s *base.Schema) (lo float64, hasLo bool, hi float64, hasHi bool) {
	if s == nil {
		return
	}
	if s.Minimum != nil {
		lo, hasLo = *s.Minimum, true
	}
	if s.Maximum != nil {
		hi, hasHi = *s.Maximum, true
	}
	if e := s.ExclusiveMinimum; e != nil {
		if e.IsB() {
			lo, hasLo = e.B+1, true
		} else if e.A && hasLo {
			lo++
		}
	}
	if e := s.ExclusiveMaximum; e != nil {
		if e.IsB() {
			hi, hasHi = e.B-1, true
		} else if e.A && hasHi {
			hi--
		}
	}
	return
}

func num(x float64, integer bool) json.Number {
	if integer {
		return json.Number(strconv.FormatInt(int64(x), 10))
	}
	return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
}

// boundaries lists the valid values at the edges of a schema's
// constraints.
func boundaries(v *view, cur any) []bval {
	var out []bval
	s := v.schema
	if v.hasEnum {
		for _, e := range v.enum {
			if e != nil {
				out = append(out, bval{normalizeJSON(e), "enum value"})
			}
		}
		return out
	}
	switch typ := typeOf(v, cur); typ {
	case "integer", "number":
		integer := typ == "integer"
		lo, hasLo, hi, hasHi := numBounds(s)
		if hasLo {
			out = append(out, bval{num(lo, integer), "minimum"})
			if integer && (!hasHi || lo+1 <= hi) {
				out = append(out, bval{num(lo+1, integer), "minimum + 1"})
			}
		}
		if hasHi {
			if integer && (!hasLo || hi-1 >= lo) {
				out = append(out, bval{num(hi-1, integer), "maximum - 1"})
			}
			out = append(out, bval{num(hi, integer), "maximum"})
		}
	case "string":
		if s == nil {
			break
		}
		if v.format != "" {
			if x, ok := formatSample(v.format); ok {
				out = append(out, bval{x, "format " + v.format})
			}
			break
		}
		if s.Pattern != "" {
			break // lengths of filler would break the pattern
		}
		if s.MinLength != nil && *s.MinLength <= maxGenLength {
			out = append(out, bval{filler(int(*s.MinLength)), fmt.Sprintf("minLength %d", *s.MinLength)})
		}
		if s.MaxLength != nil && *s.MaxLength <= maxGenLength {
			out = append(out, bval{filler(int(*s.MaxLength)), fmt.Sprintf("maxLength %d", *s.MaxLength)})
		}
	case "array":
		arr, _ := cur.([]any)
		if s == nil || len(arr) == 0 {
			break
		}
		if s.MinItems != nil && *s.MinItems <= maxGenItems {
			out = append(out, bval{items(arr, int(*s.MinItems)), fmt.Sprintf("minItems %d", *s.MinItems)})
		}
		if s.MaxItems != nil && *s.MaxItems <= maxGenItems {
			out = append(out, bval{items(arr, int(*s.MaxItems)), fmt.Sprintf("maxItems %d", *s.MaxItems)})
		}
	case "boolean":
		out = append(out, bval{true, "true"}, bval{false, "false"})
	}
	return out
}

// notInEnum is the value negative cases send for a string enum.
const notInEnum = "contract-test-not-in-enum"

// outside lists values just outside a schema's constraints.
func outside(v *view, cur any) []bval {
	var out []bval
	s := v.schema
	if v.hasEnum {
		allStrings, maxInt, ints := true, int64(0), true
		for _, e := range v.enum {
			switch x := normalizeJSON(e).(type) {
			case string:
				ints = false
			case json.Number:
				allStrings = false
				if i, err := x.Int64(); err == nil {
					maxInt = max(maxInt, i)
				} else {
					ints = false
				}
			case nil:
			default:
				allStrings, ints = false, false
			}
		}
		switch {
		case allStrings:
			out = append(out, bval{notInEnum, "not in the enum"})
		case ints:
			out = append(out, bval{json.Number(strconv.FormatInt(maxInt+1, 10)), "not in the enum"})
		}
		return out
	}
	if s == nil {
		return nil
	}
	switch typ := typeOf(v, cur); typ {
	case "integer", "number":
		integer := typ == "integer"
		lo, hasLo, hi, hasHi := numBounds(s)
		if hasLo {
			out = append(out, bval{num(lo-1, integer), "below the minimum"})
		}
		if hasHi {
			out = append(out, bval{num(hi+1, integer), "above the maximum"})
		}
	case "string":
		if s.MinLength != nil && *s.MinLength > 0 && *s.MinLength <= maxGenLength {
			out = append(out, bval{filler(int(*s.MinLength) - 1), fmt.Sprintf("shorter than minLength %d", *s.MinLength)})
		}
		if s.MaxLength != nil && *s.MaxLength < maxGenLength {
			out = append(out, bval{filler(int(*s.MaxLength) + 1), fmt.Sprintf("longer than maxLength %d", *s.MaxLength)})
		}
		if s.Pattern != "" {
			if re, err := regexp.Compile(s.Pattern); err == nil {
				for _, x := range []string{"!", "contract-test", "0", "a"} {
					if !re.MatchString(x) {
						out = append(out, bval{x, "not matching the pattern " + s.Pattern})
						break
					}
				}
			}
		}
		if _, ok := formatSample(v.format); ok {
			out = append(out, bval{"not-a-" + v.format, "not a " + v.format})
		}
	case "array":
		arr, _ := cur.([]any)
		if len(arr) == 0 {
			break
		}
		if s.MinItems != nil && *s.MinItems > 0 && *s.MinItems <= maxGenItems {
			out = append(out, bval{items(arr, int(*s.MinItems)-1), fmt.Sprintf("fewer than minItems %d", *s.MinItems)})
		}
		if s.MaxItems != nil && *s.MaxItems < maxGenItems {
			out = append(out, bval{items(arr, int(*s.MaxItems)+1), fmt.Sprintf("more than maxItems %d", *s.MaxItems)})
		}
	}
	return out
}

// formatSample is a valid value of a format the checks know.
func formatSample(format string) (string, bool) {
	switch format {
	case "date-time":
		return "2030-01-02T03:04:05Z", true
	case "date":
		return "2030-01-02", true
	case "time":
		return "03:04:05Z", true
	case "email":
		return "contract-test@example.com", true
	case "uri", "url":
		return "https://example.com/contract-test", true
	case "uuid":
		return "00000000-0000-4000-8000-000000000000", true
	case "ipv4":
		return "192.0.2.1", true
	case "ipv6":
		return "2001:db8::1", true
	}
	return "", false
}

func filler(n int) string { return strings.Repeat("x", max(n, 0)) }

// items returns n items made from arr: cut, or its elements repeated.
func items(arr []any, n int) []any {
	out := make([]any, 0, n)
	for i := range n {
		out = append(out, deepCopy(arr[i%len(arr)]))
	}
	return out
}

// showValue renders a value for case descriptions, long strings cut.
func showValue(x any) string {
	if x == deleteMarker {
		return "(left out)"
	}
	if s, ok := x.(string); ok && len(s) > 40 {
		return fmt.Sprintf("%q... (%d characters)", s[:12], len(s))
	}
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	if len(b) > 60 {
		return string(b[:50]) + "..."
	}
	return string(b)
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
