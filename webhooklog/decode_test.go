package webhooklog

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name, line string
		want       ProblemKind // 0: a delivery
		payload    string
		signed     bool
	}{
		{"object body", `{"received_at":"x","headers":{"SIGNATURE":"ab"},"body": {"a":1} }`, 0, `{"a":1}`, true},
		{"string body", `{"body":" {\"a\":\"\\u00e9\"}"}`, 0, ` {"a":"\u00e9"}`, false},
		{"blank signature signs nothing", `{"headers":{"Signature":" ","x":null},"body":{}}`, 0, `{}`, false},
		{"NUL", "{\"a\":\x00}", NULByte, "", false},
		{"not UTF-8", "{\"a\":\"\xff\"}", NotUTF8, "", false},
		{"broken", `{"body":{}`, BrokenJSON, "", false},
		{"two values", `{"body":{}} {}`, BrokenJSON, "", false},
		{"not an object", ` [1]`, NotRecord, "", false},
		{"headers a list", `{"headers":[],"body":{}}`, BadHeaders, "", false},
		{"signature a number", `{"headers":{"signature":5},"body":{}}`, BadSignature, "", false},
		{"two signatures", `{"headers":{"Signature":"a","signature":"b"},"body":{}}`, TwoSignatures, "", false},
		{"no body", `{"body":null}`, NoBody, "", false},
		{"body a number", `{"body":5}`, BadBody, "", false},
		{"body string not JSON", `{"body":"{"}`, BodyNotJSON, "", false},
		{"payload a list", `{"body":"[]"}`, PayloadNotObject, "", false},
	}
	var d Decoder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, p := d.Decode([]byte(tc.line))
			var signed bool
			if p == nil {
				_, signed, p = rec.Signature()
			}
			var pl Payload
			if p == nil {
				pl, p = rec.Payload()
			}
			switch {
			case tc.want != 0 && (p == nil || p.Kind != tc.want):
				t.Fatalf("got problem %v, want kind %d", p, tc.want)
			case tc.want == 0 && p != nil:
				t.Fatalf("got problem %q, want none", p)
			case tc.want == 0 && (string(pl.Bytes) != tc.payload || signed != tc.signed):
				t.Errorf("got payload %q signed %v, want %q and %v", pl.Bytes, signed, tc.payload, tc.signed)
			}
		})
	}
}

// TestOpen reads the same log plain and gzipped, skipping the
// byte-order mark either way.
func TestOpen(t *testing.T) {
	const text = "{\"body\":{}}\r\n\n"
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte("\xEF\xBB\xBF" + text))
	zw.Close()
	for _, tc := range []struct {
		name string
		in   []byte
	}{{"plain", []byte("\xEF\xBB\xBF" + text)}, {"gzip", z.Bytes()}} {
		t.Run(tc.name, func(t *testing.T) {
			r, gzipped, err := Open(bytes.NewReader(tc.in))
			if err != nil || gzipped != (tc.name == "gzip") {
				t.Fatalf("got gzipped %v, %v", gzipped, err)
			}
			if got, err := io.ReadAll(r); err != nil || string(got) != text {
				t.Errorf("got %q, %v, want %q", got, err, text)
			}
		})
	}
	if _, _, err := Open(bytes.NewReader([]byte{0x1f, 0x8b, 0})); err == nil {
		t.Error("a broken gzip header opened")
	}
}
