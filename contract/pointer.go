package contract

import (
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/contract/pointer"
)

// childPointer appends one token to a pointer.
func childPointer(ptr, tok string) string { return ptr + "/" + pointer.Escape(tok) }

// indexPointer appends an array index to a pointer.
func indexPointer(ptr string, i int) string { return ptr + "/" + strconv.Itoa(i) }

// lookupPointer returns the value at ptr inside a decoded JSON document
// (maps, slices and scalars as encoding/json produces them).
func lookupPointer(doc any, ptr string) (any, bool) {
	if ptr == "" {
		return doc, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	cur := doc
	for _, raw := range strings.Split(ptr[1:], "/") {
		tok := pointer.Unescape(raw)
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[tok]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// setPointer replaces the value at ptr (whose parent must exist) and
// returns the document, which is changed in place unless ptr is "".
func setPointer(doc any, ptr string, val any) (any, bool) {
	if ptr == "" {
		return val, true
	}
	i := strings.LastIndex(ptr, "/")
	parent, ok := lookupPointer(doc, ptr[:i])
	if !ok {
		return doc, false
	}
	tok := pointer.Unescape(ptr[i+1:])
	switch p := parent.(type) {
	case map[string]any:
		p[tok] = val
	case []any:
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n >= len(p) {
			return doc, false
		}
		p[n] = val
	default:
		return doc, false
	}
	return doc, true
}

// deletePointer removes the member at ptr from its parent object.
func deletePointer(doc any, ptr string) bool {
	i := strings.LastIndex(ptr, "/")
	if i < 0 {
		return false
	}
	parent, ok := lookupPointer(doc, ptr[:i])
	if !ok {
		return false
	}
	m, ok := parent.(map[string]any)
	if !ok {
		return false
	}
	tok := pointer.Unescape(ptr[i+1:])
	if _, ok := m[tok]; !ok {
		return false
	}
	delete(m, tok)
	return true
}

// pointerMatches reports whether pattern matches ptr, where a pattern
// token "*" matches any one token. Baselines use it so one entry can
// accept the same drift in every element of a list.
func pointerMatches(pattern, ptr string) bool {
	if pattern == ptr {
		return true
	}
	if !strings.Contains(pattern, "*") {
		return false
	}
	pt, pp := strings.Split(pattern, "/"), strings.Split(ptr, "/")
	if len(pt) != len(pp) {
		return false
	}
	for i := range pt {
		if pt[i] != "*" && pt[i] != pp[i] {
			return false
		}
	}
	return true
}

// GenericPointer replaces array indices with "*", so the same drift in
// many list elements is recognised as one.
func GenericPointer(ptr string) string {
	if !strings.ContainsAny(ptr, "0123456789") {
		return ptr
	}
	toks := strings.Split(ptr, "/")
	for i, t := range toks {
		if t == "" {
			continue
		}
		if _, err := strconv.Atoi(t); err == nil {
			toks[i] = "*"
		}
	}
	return strings.Join(toks, "/")
}
