package fetch

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzEnvelopes feeds arbitrary bodies to both envelope readers: they
// must never panic, and must accept only valid JSON that says success.
func FuzzEnvelopes(f *testing.F) {
	for _, s := range []string{
		`{"status":"success","message":"ok","data":{"uid":"o-1"}}`,
		`{"success":false,"message":"no","data":{"code":"NOT_FOUND"}}`,
		`{"status":"error","data":{"errors":[{"field":"a","message":"b"}]}}`,
		`{"headers":{"status_code":0},"body":{"oxpay_txn_id":"1"}}`,
		`{"headers":{"status_code":2,"status_message":"REJECTED"},"body":{"status":"Rejected","status_desc":"x"}}`,
		`{"status":"succ`, `null`, `[]`, ``, `<html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, read := range map[string]func([]byte) (json.RawMessage, error){"xepeng": xepengData, "oxpay": oxpayBody} {
			_, err := read(body)
			if err == nil && !json.Valid(body) {
				t.Fatalf("%s accepted invalid JSON %q", name, body)
			}
			var ref *refusal
			var bb *badBody
			if err != nil && !errors.As(err, &ref) && !errors.As(err, &bb) {
				t.Fatalf("%s returned %T, want a refusal or a bad body", name, err)
			}
		}
		xepengErrorMessage(body)
		oxpayErrorMessage(body)
	})
}

// FuzzRetryAfter: any header value gives a wait that is never negative.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "7", "-1", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "soon", ""} {
		f.Add(s)
	}
	now := func() time.Time { return testNow }
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Set("Retry-After", v)
		if d, ok := retryAfter(h, now); ok && d < 0 {
			t.Fatalf("Retry-After %q gave %v", v, d)
		}
	})
}
