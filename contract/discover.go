package contract

import (
	"strings"
	"unicode"
)

// Ids found in responses feed the parameters of later calls, so a spec
// without a scenario is still explored statefully: an order created by
// one call is read, updated and paid by the next. A parameter takes the
// most recent 2xx response's value of a member with the same name
// (oxpay_txn_id), or, when its name is a resource's id (order_uid,
// paymentLinkId), the uid or id of a response of an operation on that
// resource (/orders, /payment-links).

// fromResponses finds a value for a parameter called name in earlier 2xx
// responses, most recent first. exact also allows a member of the same
// name anywhere in the body.
func (r *runner) fromResponses(op *Operation, name string, exact bool) (any, bool) {
	resource, idKeys := resourceOf(name)
	// A bare id (/pets/{id}) is the id of the resource its path names,
	// never of whatever answered last.
	bare := ""
	if s := squash(name); s == "id" || s == "uid" {
		bare = squash(segmentBefore(op.Path, name))
		resource, idKeys = strings.TrimSuffix(bare, "s"), map[string]bool{name: true}
		exact = false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.history) - 1; i >= 0; i-- {
		ex := r.history[i]
		if ex.status < 200 || ex.status >= 300 || !ex.bodyJSON {
			continue
		}
		if exact {
			if v, ok := findMember(ex.body, func(k string) bool { return k == name }); ok {
				return v, true
			}
		}
		if resource != "" && pathNames(ex.op.Path, resource) {
			if v, ok := findMember(ex.body, func(k string) bool { return idKeys[k] }); ok {
				return v, true
			}
		}
	}
	return nil, false
}

// idsInBody replaces the top-level id members of a body planned from an
// example or a schema (order_uid: ord_7f3a9c2e5b1d) with the ids of
// records this run made.
func (r *runner) idsInBody(st *Step, body any) any {
	obj, ok := body.(map[string]any)
	if !ok || st.BodySource == "scenario" {
		return body
	}
	for _, k := range sortedKeys(obj) {
		if _, isVar := r.opts.Vars[k]; isVar {
			continue
		}
		if _, isString := obj[k].(string); !isString {
			continue
		}
		if v, ok := r.fromResponses(st.Op, k, false); ok {
			obj[k] = v
		}
	}
	return obj
}

// segmentBefore returns the static path segment before {name}.
func segmentBefore(path, name string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if seg == "{"+name+"}" && i > 0 && !strings.HasPrefix(segs[i-1], "{") {
			return segs[i-1]
		}
	}
	return ""
}

// resourceOf reads a parameter name like order_uid, paymentLinkId or
// payment-link-id as a resource name ("order", "paymentlink") and the
// members that may hold its id.
func resourceOf(name string) (string, map[string]bool) {
	lower := strings.ToLower(name)
	for _, suffix := range []string{"_uid", "-uid", "uid", "_id", "-id", "id"} {
		if rest, ok := strings.CutSuffix(lower, suffix); ok && rest != "" {
			if suffix == "uid" || suffix == "id" {
				// camelCase only: orderId, not paid.
				if i := len(name) - len(suffix); i <= 0 || !unicode.IsUpper(rune(name[i])) {
					continue
				}
			}
			return squash(rest), map[string]bool{"uid": true, "id": true}
		}
	}
	return "", nil
}

// squash lowers a name and drops separators: payment-links → paymentlinks.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// pathNames reports whether a static segment of a path template names the
// resource (orders names order).
func pathNames(path, resource string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || strings.HasPrefix(seg, "{") {
			continue
		}
		s := squash(seg)
		if s == resource || s == resource+"s" || s == resource+"es" {
			return true
		}
	}
	return false
}

// findMember returns the scalar value of the shallowest object member
// whose key matches, breadth first (data.uid before data.items[0].uid).
func findMember(doc any, match func(string) bool) (any, bool) {
	queue := []any{doc}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		switch t := x.(type) {
		case map[string]any:
			for _, k := range sortedKeys(t) {
				if match(k) {
					switch v := t[k].(type) {
					case string:
						if v != "" {
							return v, true
						}
					case map[string]any, []any, nil, bool:
					default:
						return v, true
					}
				}
			}
			for _, k := range sortedKeys(t) {
				queue = append(queue, t[k])
			}
		case []any:
			queue = append(queue, t...)
		}
	}
	return nil, false
}
