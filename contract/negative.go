package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/contract/pointer"
)

// negativeAuthText says what each auth negative check sends, for messages.
var negativeAuthText = map[string]string{
	CheckNegUnsigned:       "a request without its signature (or credentials)",
	CheckNegWrongSignature: "a request signed with the wrong key",
	CheckNegStaleTimestamp: "a correctly signed request whose timestamp is 10 minutes old",
	CheckNegWrongClientID:  "a request naming an unknown client id (or API key)",
}

// negatives proves the server guards itself: the same call as step st,
// with spoilt credentials (want 401 or 403) and with bodies that break
// the schema (want 4xx). Neither may ever get a 2xx or a 5xx.
func (r *runner) negatives(ctx context.Context, st *Step, ok *request) error {
	for _, check := range r.opts.Auth.Negatives(st.Op, r.spec) {
		r.ran(st.Op, check)
		resp, err := r.send(ctx, st, ok, check)
		if err != nil {
			if err := r.fatal(ctx, err); err != nil {
				return err
			}
			r.finding(st, &evidence{req: ok, neg: check}, 0, check, "", "", st.Op.Line, "%s got no response: %v", negativeAuthText[check], err)
			continue
		}
		ex := newExchange(st, ok, resp)
		r.sawNegative(st.Op, ok, resp)
		r.record(r.judge(&Step{ID: st.ID + " (" + check + ")", Op: st.Op}, ok, resp, ex, modeNegative, "")...)
		want := r.negativeWant(check, st.Op)
		if !slices.Contains(want, resp.status) || resp.status < 400 || resp.status >= 500 {
			r.finding(st, &evidence{req: ok, resp: resp, ex: ex, neg: check}, resp.status, check, "", "", securityLine(st.Op),
				"%s to %s %s got %d, want %s%s", negativeAuthText[check], st.Op.Method, st.Op.Path, resp.status, joinInts(want), r.verdict(st.Op, resp))
		}
	}
	if !st.HasBody || !isJSONMediaType(st.MediaType) {
		return nil
	}
	obj, isObj := ok.bodyValue.(map[string]any)
	schema := st.bodySchema()
	if !isObj || schema == nil || schema.Schema() == nil {
		return nil
	}
	version := r.spec.SchemaVersion()
	for _, mut := range []struct {
		check string
		find  func(*view, any, string, int) (string, any, string)
	}{
		{CheckNegMissingRequiredField, findRequired},
		{CheckNegWrongType, findRetypable},
		{CheckNegNegativeAmount, findAmount},
	} {
		v := fold(schema.Schema(), version)
		ptr, val, what := mut.find(v, obj, "", 0)
		if what == "" {
			continue // nothing in this body to break that way
		}
		r.ran(st.Op, mut.check)
		bad := deepCopy(obj)
		if val == deleteMarker {
			deletePointer(bad, ptr)
		} else {
			bad, _ = setPointer(bad, ptr, val)
		}
		req := *ok
		req.bodyValue = bad
		body, err := encodeBody(ok.mediaType, bad)
		if err != nil {
			return fmt.Errorf("encode negative body: %w", err)
		}
		req.body = body
		resp, err := r.send(ctx, st, &req, "")
		if err != nil {
			if err := r.fatal(ctx, err); err != nil {
				return err
			}
			r.finding(st, &evidence{req: &req, what: what}, 0, mut.check, InBody, ptr, st.Op.Line, "a body with %s got no response: %v", what, err)
			continue
		}
		ex := newExchange(st, &req, resp)
		r.sawNegative(st.Op, &req, resp)
		r.record(r.judge(&Step{ID: st.ID + " (" + mut.check + ")", Op: st.Op}, &req, resp, ex, modeNegative, "")...)
		if resp.status < 400 || resp.status >= 500 {
			r.finding(st, &evidence{req: &req, resp: resp, ex: ex}, resp.status, mut.check, InBody, ptr, proxyLine(schema),
				"a body with %s to %s %s got %d, want 4xx%s", what, st.Op.Method, st.Op.Path, resp.status, r.verdict(st.Op, resp))
		}
	}
	return nil
}

// verdict says what a wrong answer to a negative call means. A 2xx whose
// body is not one the spec documents for it (a 200 text/html page from a
// proxy or captive portal) is not the API accepting the request, and the
// message says so.
func (r *runner) verdict(op *Operation, resp *response) string {
	switch {
	case resp.status >= 200 && resp.status < 300:
		if ct := resp.header.Get("Content-Type"); !r.documentedBody(op, resp) {
			return fmt.Sprintf(": the server answered, but with a %s body the spec does not document for %d, so the answer may not be the API's (a proxy or captive portal?)", orNone(ct), resp.status)
		}
		return ": the server accepted it"
	case resp.status >= 500:
		return ": the server failed on it"
	}
	return ""
}

// documentedBody reports whether a response's Content-Type is one the spec
// documents for its status, and a JSON one carries JSON.
func (r *runner) documentedBody(op *Operation, resp *response) bool {
	def, _ := matchResponse(op, resp.status)
	if def == nil || def.Content == nil || def.Content.Len() == 0 {
		return len(bytes.TrimSpace(resp.raw)) == 0
	}
	var documented []string
	for name := range def.Content.KeysFromOldest() {
		documented = append(documented, name)
	}
	name := matchMediaType(resp.header.Get("Content-Type"), documented)
	if name == "" {
		return false
	}
	if isJSONMediaType(name) {
		_, err := decodeJSON(resp.raw)
		return err == nil
	}
	return true
}

func orNone(ct string) string {
	if ct == "" {
		return "Content-Type-less"
	}
	return strconv.Quote(ct)
}

// negativeWant is the statuses that count as a refusal for an auth
// negative check on op.
func (r *runner) negativeWant(check string, op *Operation) []int {
	if codes, ok := r.opts.NegativeStatuses[check]; ok {
		return codes
	}
	return r.opts.Auth.NegativeStatuses(check, op, r.spec)
}

// sawNegative counts a negative call in the coverage (a documented 401 is
// reached only that way).
func (r *runner) sawNegative(op *Operation, req *request, resp *response) {
	r.mu.Lock()
	r.cov.saw(op, req, resp)
	r.mu.Unlock()
}

func securityLine(op *Operation) int {
	if low := op.Op.GoLow(); low != nil && low.Security.KeyNode != nil {
		return low.Security.KeyNode.Line
	}
	return op.Line
}

// deleteMarker tells the caller to remove the member rather than set it.
var deleteMarker = &struct{}{}

// findRequired finds the first required field present in the body, in
// schema order, depth first: removing it must be refused.
func findRequired(v *view, x any, ptr string, depth int) (string, any, string) {
	obj, ok := x.(map[string]any)
	if !ok || depth > maxGenDepth {
		return "", nil, ""
	}
	for _, name := range v.required {
		if _, present := obj[name]; present {
			return childPointer(ptr, name), deleteMarker, fmt.Sprintf("required field %s removed", childPointer(ptr, name))
		}
	}
	return descend(v, obj, ptr, depth, findRequired)
}

// findRetypable finds the first field present in the body whose schema
// fixes its type, and returns a value of another type.
func findRetypable(v *view, x any, ptr string, depth int) (string, any, string) {
	obj, ok := x.(map[string]any)
	if !ok || depth > maxGenDepth {
		return "", nil, ""
	}
	for _, p := range v.props {
		val, present := obj[p.name]
		if !present || p.proxy.Schema() == nil {
			continue
		}
		pv := fold(p.proxy.Schema(), 3.1)
		if len(pv.types) == 0 {
			continue
		}
		var wrong any
		switch jsonType(val) {
		case "string":
			wrong = json.Number("12345")
		case "integer", "number":
			wrong = "not-a-number"
		case "boolean":
			wrong = "not-a-boolean"
		case "object":
			wrong = "not-an-object"
		case "array":
			wrong = "not-an-array"
		default:
			continue
		}
		if pv.allows(jsonType(wrong)) {
			continue
		}
		p := childPointer(ptr, p.name)
		return p, wrong, fmt.Sprintf("%s of the wrong type (%s instead of %s)", p, jsonType(wrong), strings.Join(pv.types, " or "))
	}
	return descend(v, obj, ptr, depth, findRetypable)
}

// findAmount finds the first numeric field present in the body whose
// name, or whose parent's name, says it is an amount.
func findAmount(v *view, x any, ptr string, depth int) (string, any, string) {
	obj, ok := x.(map[string]any)
	if !ok || depth > maxGenDepth {
		return "", nil, ""
	}
	parentIsAmount := strings.Contains(strings.ToLower(lastToken(ptr)), "amount")
	for _, p := range v.props {
		val, present := obj[p.name]
		if !present {
			continue
		}
		t := jsonType(val)
		if (t == "integer" || t == "number") && (parentIsAmount || strings.Contains(strings.ToLower(p.name), "amount")) {
			p := childPointer(ptr, p.name)
			return p, json.Number("-100"), "a negative amount at " + p
		}
	}
	return descend(v, obj, ptr, depth, findAmount)
}

// descend tries find on each object or array property present in obj, in
// schema order.
func descend(v *view, obj map[string]any, ptr string, depth int, find func(*view, any, string, int) (string, any, string)) (string, any, string) {
	for _, p := range v.props {
		val, present := obj[p.name]
		if !present || p.proxy.Schema() == nil {
			continue
		}
		pv := fold(p.proxy.Schema(), 3.1)
		child := childPointer(ptr, p.name)
		switch t := val.(type) {
		case map[string]any:
			if q, x, what := find(pv, t, child, depth+1); what != "" {
				return q, x, what
			}
		case []any:
			if pv.items == nil || len(t) == 0 || pv.items.Schema() == nil {
				continue
			}
			iv := fold(pv.items.Schema(), 3.1)
			if q, x, what := find(iv, t[0], indexPointer(child, 0), depth+1); what != "" {
				return q, x, what
			}
		}
	}
	return "", nil, ""
}

func lastToken(ptr string) string {
	if i := strings.LastIndex(ptr, "/"); i >= 0 {
		return pointer.Unescape(ptr[i+1:])
	}
	return ptr
}
