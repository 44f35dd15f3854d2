package contract

import (
	"testing"
)

// FuzzWalkDrift walks arbitrary response JSON against the envelope schema:
// it must never panic, and every pointer must name a field of the
// response (or, for a missing field, a member of an object that is there).
func FuzzWalkDrift(f *testing.F) {
	s, err := Load("t.yaml", []byte(schemaDoc("3.1.0", envelope)))
	if err != nil {
		f.Fatal(err)
	}
	sp, _ := s.Model.Components.Schemas.Get("S")
	for _, seed := range []string{
		`{"status":"success","message":"ok","data":{"uid":"o1","total":5,"created_at":"2024-05-01T03:00:00Z","items":[{"amount":1,"tags":{"a":"b"}}]}}`,
		`{"success":true,"data":[]}`,
		`{"data":{"items":[null,{},{"amount":"1"}],"total":1e400,"small":-2147483649}}`,
		`[1,2,3]`, `null`, `"x"`, `{"data":{"~/":{}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := decodeJSON(raw)
		if err != nil {
			return
		}
		for _, d := range WalkDrift(sp, doc, 3.1) {
			ptr := d.Pointer
			if d.Check == CheckMissingRequiredField {
				ptr = ptr[:lastSlash(ptr)]
			}
			if _, ok := lookupPointer(doc, ptr); !ok {
				t.Errorf("%s at %q: the pointer names nothing in %s", d.Check, d.Pointer, raw)
			}
		}
	})
}

func lastSlash(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return i
		}
	}
	return 0
}

// FuzzParseBaseline: a baseline file either fails to parse or yields only
// complete entries.
func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte("accepted:\n  - operation: a\n    check: type_changed\n    pointer: /x/*/y\n    reason: r\n    expires: 2030-01-01\n"))
	f.Add([]byte("accepted: []\n"))
	f.Add([]byte("accepted:\n  - {operation: a, check: nope}\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := ParseBaseline(raw)
		if err != nil {
			return
		}
		for _, e := range b.Accepted {
			if e.Operation == "" || !KnownCheck(e.Check) || e.Reason == "" || e.Expires == "" {
				t.Errorf("incomplete entry accepted: %+v", e)
			}
		}
	})
}
