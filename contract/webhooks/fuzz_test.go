package webhooks

import (
	"bytes"
	"os"
	"testing"
)

// FuzzLine feeds arbitrary lines to the line handler. Whatever the line,
// it must not panic, and it is exactly one of: blank (skipped), a
// delivery of some kind (with its signature counted once), or one input
// error with that line's number.
func FuzzLine(f *testing.F) {
	for _, l := range bytes.Split(driftedLog(), []byte("\n")) {
		f.Add(l)
	}
	for _, s := range []string{
		`{"body":{}}`,
		`{"body":"{}"}`,
		`{"body":"\"x\""}`,
		`{"headers":{"signature":null},"body":{"headers":null,"body":[]}}`,
		`{"body":{"body":{"transaction_amount":1e400}}}`,
		`{"body":{"a":1}}{"body":{}}`,
		`{"body":{"headers":{"status_code":-0.0},"body":{"transaction_state":"voided"}}} `,
		`{"body":{"body":{"x":{"y":{"z":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}}}}}`,
	} {
		f.Add([]byte(s))
	}
	c, err := Load(oxpaySpec, mustRead(f, oxpaySpec), Options{SignKey: signKey, MaxFindings: 50})
	if err != nil {
		f.Fatal(err)
	}
	fs := &FileStat{Name: "fuzz.jsonl"}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.ContainsAny(line, "\n") {
			return // the line reader never hands out a line end
		}
		d0, e0 := fs.Deliveries, fs.InputErrors
		s0 := c.sig
		c.line(fs, 7, line)
		dd, de := fs.Deliveries-d0, fs.InputErrors-e0
		switch {
		case blank(line):
			if dd != 0 || de != 0 {
				t.Fatalf("blank line counted: %d deliveries, %d errors", dd, de)
			}
		case dd+de != 1:
			t.Fatalf("line counted %d times as a delivery, %d as an error", dd, de)
		case dd == 1:
			counted := (c.sig.Raw - s0.Raw) + (c.sig.Compact - s0.Compact) + (c.sig.Invalid - s0.Invalid) + (c.sig.Unsigned - s0.Unsigned)
			if counted != 1 {
				t.Fatalf("signature counted %d times", counted)
			}
		}
		if len(c.drift) > 50 {
			t.Fatalf("%d findings held past the cap of 50", len(c.drift))
		}
	})
}

func mustRead(f *testing.F, path string) []byte {
	f.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
