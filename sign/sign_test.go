package sign

import (
	"strings"
	"testing"
)

// The two vectors come from the official xepeng-oauth-js package
// (shared/reference/xepeng-integration-facts.md).
func TestXepengVectors(t *testing.T) {
	tests := []struct {
		name, method, path, ts, body, want string
	}{
		{
			name:   "create order",
			method: "POST", path: "/openapi/orders", ts: "1700000000",
			body: `{"items":[{"amount":50000,"product_name":"Kemeja Flanel"}]}`,
			want: "84c265c935d932e5f01da4eef080cd5ed52809867da227d15cb4fd2eaa376ba0",
		},
		{
			name:   "list orders signs the path without its query",
			method: "get", path: "/openapi/orders?page=1&limit=10", ts: "1700000000",
			want: "ca9f5afda153be2df0d3b6ea4a1190f1f64d2820c3d6812c2ba226ab94175b07",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Xepeng("test_secret", tc.method, tc.path, tc.ts, []byte(tc.body))
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if !VerifyXepeng("test_secret", tc.method, tc.path, tc.ts, []byte(tc.body), tc.want) {
				t.Fatal("VerifyXepeng rejected the vector")
			}
			if VerifyXepeng("other_secret", tc.method, tc.path, tc.ts, []byte(tc.body), tc.want) {
				t.Fatal("VerifyXepeng accepted the vector under another secret")
			}
			if VerifyXepeng("test_secret", tc.method, tc.path, "1700000001", []byte(tc.body), tc.want) {
				t.Fatal("VerifyXepeng accepted the vector with another timestamp")
			}
		})
	}
}

func TestVerifyOxPay(t *testing.T) {
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
		{"wrong key", compact, OxPay("other", compact), MatchNone},
		{"tampered body", []byte(`{"headers":{"status_code":0},"body":{"oxpay_txn_id":"10001397","payer":"Zoë"}}`), OxPay(key, compact), MatchNone},
		{"no signature", compact, "", MatchUnsigned},
		{"not JSON and wrong", []byte("not json"), "abcd", MatchNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifyOxPay(key, tc.payload, tc.sig); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestKeyFingerprint(t *testing.T) {
	a, b := KeyFingerprint("sandbox-sign-key"), KeyFingerprint("sandbox-sign-keY")
	if len(a) != 16 || a == b || a != KeyFingerprint("sandbox-sign-key") {
		t.Fatalf("fingerprints %q and %q: want 16 hex digits, stable, and different for different keys", a, b)
	}
	if strings.Contains(a, "sandbox") || KeyFingerprint("") != "" {
		t.Fatalf("fingerprint %q must not hold the key; the empty key's must be empty", a)
	}
}
