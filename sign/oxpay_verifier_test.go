package sign

import "testing"

func TestOxPayVerifierAgrees(t *testing.T) {
	const key = "sk_test"
	compact := []byte(`{"headers":{"status_code":0},"body":{"oxpay_txn_id":"10001396","payer":"Zoë"}}`)
	pretty := []byte("{\n  \"headers\": {\"status_code\": 0},\n  \"body\": {\"oxpay_txn_id\": \"10001396\", \"payer\": \"Zoë\"}\n}")
	tests := []struct {
		name    string
		payload []byte
		sig     string
		want    Match
	}{
		{"raw compact bytes", compact, OxPay(key, compact), MatchRaw},
		{"pretty bytes signed as received", pretty, OxPay(key, pretty), MatchRaw},
		{"pretty bytes signed compactly", pretty, OxPay(key, compact), MatchCompact},
		{"upper-case hex", compact, upper(OxPay(key, compact)), MatchRaw},
		{"spaces around", pretty, " " + OxPay(key, compact) + "\t", MatchCompact},
		{"wrong key", compact, OxPay("other", compact), MatchNone},
		{"truncated", compact, OxPay(key, compact)[:63], MatchNone},
		{"no signature", compact, " ", MatchUnsigned},
		{"not JSON and wrong", []byte("not json"), "abcd", MatchNone},
	}
	v := NewOxPayVerifier(key)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Twice, so that state left by one call cannot leak into the next.
			for range 2 {
				if got := v.Verify(tc.payload, tc.sig); got != tc.want {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			}
			if got := VerifyOxPay(key, tc.payload, tc.sig); got != tc.want {
				t.Fatalf("VerifyOxPay: got %q, want %q", got, tc.want)
			}
			// The compact form made here, or handed in as a reader has it.
			if got := v.VerifyCompact(tc.payload, nil, []byte(tc.sig)); got != tc.want {
				t.Fatalf("VerifyCompact without the compact form: got %q, want %q", got, tc.want)
			}
			if c, err := Compact(tc.payload); err == nil {
				if got := v.VerifyCompact(tc.payload, c, []byte(tc.sig)); got != tc.want {
					t.Fatalf("VerifyCompact: got %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func FuzzOxPayVerifier(f *testing.F) {
	f.Add([]byte(`{"a": 1}`), "sk", "")
	f.Add([]byte(`{"a":1}`), "sk", OxPay("sk", []byte(`{"a":1}`)))
	f.Fuzz(func(t *testing.T, payload []byte, key, sig string) {
		if len(sig) == 0 {
			sig = OxPay(key, payload)
		}
		v := NewOxPayVerifier(key)
		want := VerifyOxPay(key, payload, sig)
		if got := v.Verify(payload, sig); got != want {
			t.Fatalf("Verify(%q, %q) = %q, VerifyOxPay says %q", payload, sig, got, want)
		}
		var compact []byte // what a reader without the compact form passes
		if c, err := Compact(payload); err == nil {
			compact = c
		}
		if got := v.VerifyCompact(payload, compact, []byte(sig)); got != want {
			t.Fatalf("VerifyCompact(%q, %q, %q) = %q, VerifyOxPay says %q", payload, compact, sig, got, want)
		}
	})
}
