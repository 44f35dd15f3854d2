package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

func readLog(t *testing.T, path string, opts WebhookOptions) (*collector, Result) {
	t.Helper()
	if opts.SignKey == "" {
		opts.SignKey = testKey
	}
	c := &collector{}
	res, err := ReadWebhookLog(context.Background(), path, opts, c)
	if err != nil {
		t.Fatalf("ReadWebhookLog: %v", err)
	}
	return c, res
}

func TestReadWebhookLogKinds(t *testing.T) {
	pay, ref, void := samplePayment.payload(), sampleRefund.payload(), sampleVoid.payload()
	lines := []string{
		signedLine("2024-01-11T07:13:16Z", pay),
		signedLine("2024-01-11T15:00:00+08:00", ref),
		signedLine("2024-01-12T01:02:03.5Z", void),
	}
	path := writeLines(t, "hooks.jsonl", lines...)
	c, res := readLog(t, path, WebhookOptions{})

	dedup := func(txn, kind, state string, payload []byte) string {
		return sha256Hex([]byte(txn + "\x1f" + kind + "\x1f" + state + "\x1f" + sha256Hex(payload)))
	}
	fp := sign.KeyFingerprint(testKey)
	want := []recon.WebhookEvent{
		{
			ReceivedAt: time.Date(2024, 1, 11, 7, 13, 16, 0, time.UTC), Kind: "payment",
			OxpayTxnID: "10001396", MerchantReferenceID: "LNK-0001", HostTxnID: "H-1", State: "sale",
			Currency: "SGD", AmountMinor: 12550, StatusCode: 0, SigCheck: recon.SigRaw,
			Signature: sign.OxPay(testKey, pay), KeyFingerprint: fp,
			DedupKey: dedup("10001396", "payment", "sale", pay), DeliveryKey: "20240111071316" + sha256Hex([]byte(lines[0]))[:18],
			Raw: string(pay), SourceFile: path, SourceLine: 1,
		},
		{
			ReceivedAt: time.Date(2024, 1, 11, 7, 0, 0, 0, time.UTC), Kind: "refund",
			OxpayTxnID: "10001400", OriginalTxnID: "10001396", MerchantReferenceID: "LNK-0001-R1", HostTxnID: "H-2",
			State: "refunded", Currency: "SGD", AmountMinor: 12550, RefundAmountMinor: 2550, SigCheck: recon.SigRaw,
			Signature: sign.OxPay(testKey, ref), KeyFingerprint: fp,
			DedupKey: dedup("10001400", "refund", "refunded", ref), DeliveryKey: "20240111070000" + sha256Hex([]byte(lines[1]))[:18],
			Raw: string(ref), SourceFile: path, SourceLine: 2,
		},
		{
			ReceivedAt: time.Date(2024, 1, 12, 1, 2, 3, 5e8, time.UTC), Kind: "void",
			OxpayTxnID: "10001397", MerchantReferenceID: "LNK-0002", HostTxnID: "H-3", State: "voided",
			Currency: "SGD", AmountMinor: 990, SigCheck: recon.SigRaw,
			Signature: sign.OxPay(testKey, void), KeyFingerprint: fp,
			DedupKey: dedup("10001397", "void", "voided", void), DeliveryKey: "20240112010203" + sha256Hex([]byte(lines[2]))[:18],
			Raw: string(void), SourceFile: path, SourceLine: 3,
		},
	}
	if diff := cmp.Diff(want, c.hooks); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(c.errs) != 0 {
		t.Errorf("got input errors %v, want none", c.errs)
	}
	data, _ := os.ReadFile(path)
	wantRes := Result{File: path, Kind: KindWebhooks, SHA256: sha256Hex(data), Lines: 3, Rows: 3, Signed: 3}
	if diff := cmp.Diff(wantRes, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestWebhookUnits(t *testing.T) {
	// OxPay sends IDR in its smallest unit by default; a config saying it
	// sends whole rupiah must scale the amounts up.
	p := testNotification{txn: "1", state: "sale", currency: "IDR", amount: 50000}.payload()
	path := writeLines(t, "hooks.jsonl", signedLine("2024-01-11T07:13:16Z", p))
	for _, tc := range []struct {
		name  string
		units recon.Units
		want  int64
	}{
		{"default units", nil, 50000},
		{"whole rupiah", recon.Units{recon.SourceOxPay: {"IDR": 0}}, 5000000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := readLog(t, path, WebhookOptions{Units: tc.units})
			if len(c.hooks) != 1 || c.hooks[0].AmountMinor != tc.want {
				t.Fatalf("got %+v, want one event of %d", c.hooks, tc.want)
			}
		})
	}
	t.Run("overflow on scaling", func(t *testing.T) {
		p := testNotification{txn: "1", state: "sale", currency: "IDR", amount: 1 << 62}.payload()
		path := writeLines(t, "hooks.jsonl", signedLine("2024-01-11T07:13:16Z", p))
		c, _ := readLog(t, path, WebhookOptions{Units: recon.Units{recon.SourceOxPay: {"IDR": 0}}})
		if len(c.hooks) != 0 || len(c.errs) != 1 || !strings.Contains(c.errs[0].Reason, "body.transaction_amount") {
			t.Fatalf("got events %v and errors %v, want one error about body.transaction_amount", c.hooks, c.errs)
		}
	})
}

func TestWebhookSignatures(t *testing.T) {
	pay := samplePayment.payload()
	var pretty bytes.Buffer
	if err := jsonIndent(&pretty, pay); err != nil {
		t.Fatal(err)
	}
	const at = "2024-01-11T07:13:16Z"
	tests := []struct {
		name string
		line string
		key  string
		want string
	}{
		{"signed over the raw bytes", signedLine(at, pay), testKey, recon.SigRaw},
		{"pretty bytes signed over their compact form", logLine(at, "Signature", sign.OxPay(testKey, pay), pretty.Bytes(), true), testKey, recon.SigCompact},
		{"spaced object body signed compactly", logLine(at, "Signature", sign.OxPay(testKey, pay), spaced(pay), false), testKey, recon.SigCompact},
		{"lower-case header name", logLine(at, "signature", sign.OxPay(testKey, pay), pay, false), testKey, recon.SigRaw},
		{"upper-case header name", logLine(at, "SIGNATURE", sign.OxPay(testKey, pay), pay, false), testKey, recon.SigRaw},
		{"wrong key", logLine(at, "Signature", sign.OxPay("other-key", pay), pay, false), testKey, recon.SigInvalid},
		{"garbage signature", logLine(at, "Signature", "not-hex", pay, false), testKey, recon.SigInvalid},
		{"no headers", logLine(at, "", "", pay, false), testKey, recon.SigUnsigned},
		{"empty signature", logLine(at, "Signature", "", pay, false), testKey, recon.SigUnsigned},
		{"other headers only", logLine(at, "Content-Type", "application/json", pay, false), testKey, recon.SigUnsigned},
		{"no key configured, signed", signedLine(at, pay), "", recon.SigInvalid},
		{"no key configured, signed with the empty key", logLine(at, "Signature", sign.OxPay("", pay), pay, false), "", recon.SigInvalid},
		{"no key configured, unsigned", logLine(at, "", "", pay, false), "", recon.SigUnsigned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeLines(t, "hooks.jsonl", tc.line)
			c := &collector{}
			if _, err := ReadWebhookLog(context.Background(), path, WebhookOptions{SignKey: tc.key}, c); err != nil {
				t.Fatal(err)
			}
			if len(c.hooks) != 1 {
				t.Fatalf("got %d events and errors %v, want 1 event", len(c.hooks), c.errs)
			}
			if got := c.hooks[0].SigCheck; got != tc.want {
				t.Errorf("got SigCheck %q, want %q", got, tc.want)
			}
		})
	}
}

// spaced puts a space after each key's colon: the payload as a receiver
// might log it on one line, no longer byte-identical to what was signed.
func spaced(payload []byte) []byte {
	return bytes.ReplaceAll(payload, []byte(`":`), []byte(`": `))
}

func jsonIndent(dst *bytes.Buffer, src []byte) error {
	return json.Indent(dst, src, "", "  ")
}

func TestWebhookBodyForms(t *testing.T) {
	pay := samplePayment.payload()
	// An object body keeps its exact bytes, odd spacing and key order
	// included: the signature covers them.
	odd := []byte(`{ "body" : {"transaction_state":"sale", "oxpay_txn_id":"10001396","transaction_amount":12550,"transaction_currency":"SGD"},"headers":{"status_code":1} }`)
	var pretty bytes.Buffer
	if err := jsonIndent(&pretty, pay); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		line    string
		wantRaw string
	}{
		{"object", signedLine("2024-01-11T07:13:16Z", pay), string(pay)},
		{"string", logLine("2024-01-11T07:13:16Z", "Signature", sign.OxPay(testKey, pay), pay, true), string(pay)},
		{"pretty string", logLine("2024-01-11T07:13:16Z", "Signature", sign.OxPay(testKey, pay), pretty.Bytes(), true), pretty.String()},
		{"object with odd spacing", logLine("2024-01-11T07:13:16Z", "Signature", sign.OxPay(testKey, odd), odd, false), string(odd)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := readLog(t, writeLines(t, "hooks.jsonl", tc.line), WebhookOptions{})
			if len(c.hooks) != 1 {
				t.Fatalf("got %d events and errors %v, want 1 event", len(c.hooks), c.errs)
			}
			if got := c.hooks[0].Raw; got != tc.wantRaw {
				t.Errorf("got Raw %s, want %s", got, tc.wantRaw)
			}
			if got := c.hooks[0].SigCheck; !c.hooks[0].Trusted() {
				t.Errorf("got SigCheck %q, want a trusted one", got)
			}
		})
	}
}

func TestWebhookStatusCode(t *testing.T) {
	for _, tc := range []struct {
		name, payload string
		want          int
	}{
		{"pending", `{"headers":{"status_code":1},"body":{"oxpay_txn_id":"1","transaction_state":"pending","transaction_amount":5,"transaction_currency":"SGD"}}`, 1},
		{"absent", `{"body":{"oxpay_txn_id":"1","transaction_state":"sale","transaction_amount":5,"transaction_currency":"SGD"}}`, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := readLog(t, writeLines(t, "h.jsonl", signedLine("2024-01-11T07:13:16Z", []byte(tc.payload))), WebhookOptions{})
			if len(c.hooks) != 1 || c.hooks[0].StatusCode != tc.want {
				t.Fatalf("got %+v %v, want one event with status %d", c.hooks, c.errs, tc.want)
			}
		})
	}
}

func TestWebhookRedelivery(t *testing.T) {
	pay := samplePayment.payload()
	var pretty bytes.Buffer
	if err := jsonIndent(&pretty, pay); err != nil {
		t.Fatal(err)
	}
	path := writeLines(t, "hooks.jsonl",
		signedLine("2024-01-11T07:13:16Z", pay),
		signedLine("2024-01-11T07:14:16Z", pay), // a retry of the same notification
		logLine("2024-01-11T07:15:16Z", "Signature", sign.OxPay(testKey, pay), pretty.Bytes(), true),
		signedLine("2024-01-11T07:16:16Z", testNotification{txn: "10001396", ref: "LNK-0001", host: "H-1", state: "refunded", currency: "SGD", amount: 12550}.payload()),
	)
	c, _ := readLog(t, path, WebhookOptions{})
	if len(c.hooks) != 4 {
		t.Fatalf("got %d events, want 4; errors %v", len(c.hooks), c.errs)
	}
	h := c.hooks
	for i := 1; i < 3; i++ {
		if h[i].DedupKey != h[0].DedupKey {
			t.Errorf("delivery %d: got DedupKey %s, want %s (same notification)", i+1, h[i].DedupKey, h[0].DedupKey)
		}
		if h[i].DeliveryKey == h[0].DeliveryKey {
			t.Errorf("delivery %d: got the first delivery's DeliveryKey, want its own", i+1)
		}
	}
	if h[3].DedupKey == h[0].DedupKey {
		t.Error("a new state of the transaction shares the first notification's DedupKey, want its own")
	}

	// Reading the same file again gives exactly the same rows and keys.
	again, _ := readLog(t, path, WebhookOptions{})
	if diff := cmp.Diff(c.hooks, again.hooks); diff != "" {
		t.Errorf("second read differs (-first +second):\n%s", diff)
	}
}

func TestWebhookGzip(t *testing.T) {
	lines := []string{
		signedLine("2024-01-11T07:13:16Z", samplePayment.payload()),
		signedLine("2024-01-11T07:13:17Z", sampleRefund.payload()),
		"{broken",
	}
	plain := []byte(strings.Join(lines, "\n") + "\n")
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(plain)
	w.Close()

	want, _ := readLog(t, writeFile(t, "hooks.jsonl", plain), WebhookOptions{})
	for _, name := range []string{"hooks.jsonl.gz", "hooks-misnamed.jsonl"} {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, name, gz.Bytes())
			got, res := readLog(t, path, WebhookOptions{})
			ignoreFile := cmp.FilterPath(func(p cmp.Path) bool {
				return p.Last().String() == ".SourceFile" || p.Last().String() == ".File"
			}, cmp.Ignore())
			if diff := cmp.Diff(want.hooks, got.hooks, ignoreFile); diff != "" {
				t.Errorf("events (-plain +gzip):\n%s", diff)
			}
			if diff := cmp.Diff(want.errs, got.errs, ignoreFile); diff != "" {
				t.Errorf("errors (-plain +gzip):\n%s", diff)
			}
			if res.SHA256 != sha256Hex(gz.Bytes()) {
				t.Errorf("got SHA256 %s, want the hash of the compressed file %s", res.SHA256, sha256Hex(gz.Bytes()))
			}
			if res.Lines != 3 || res.Rows != 2 || res.Errors != 1 {
				t.Errorf("got lines/rows/errors %d/%d/%d, want 3/2/1", res.Lines, res.Rows, res.Errors)
			}
		})
	}
}

func TestWebhookInputErrors(t *testing.T) {
	good := signedLine("2024-01-11T07:13:16Z", samplePayment.payload())
	body := func(fields string) string {
		return `{"received_at":"2024-01-11T07:13:16Z","headers":{},"body":{"headers":{"status_code":0},"body":{` + fields + `}}}`
	}
	const okFields = `"oxpay_txn_id":"1","transaction_state":"sale","transaction_currency":"SGD"`
	tests := []struct {
		name   string
		line   string
		reason string // a fragment the reason must hold
	}{
		{"broken JSON", `{"received_at":"2024-01-11T07:13:16Z",`, "line 1: broken JSON"},
		{"not an object", `[1,2,3]`, "not a webhook log record"},
		{"invalid UTF-8", "{\"received_at\":\"2024-01-11T07:13:16Z\",\"x\":\"\xff\xfe\"}", "not valid UTF-8"},
		{"NUL byte", "{\"received_at\":\"2024\x00\"}", "NUL byte at column 21"},
		{"fraction", body(okFields + `,"transaction_amount":12.5`), "line 1: body.transaction_amount 12.5 is not a whole number"},
		{"exponent", body(okFields + `,"transaction_amount":1e3`), "body.transaction_amount 1e3 is not a whole number"},
		{"negative", body(okFields + `,"transaction_amount":-5`), "body.transaction_amount -5 is negative"},
		{"beyond int64", body(okFields + `,"transaction_amount":9223372036854775808`), "9223372036854775808 is beyond the int64 range"},
		{"amount as string", body(okFields + `,"transaction_amount":"100"`), `"100" is a string`},
		{"unknown currency", body(`"oxpay_txn_id":"1","transaction_state":"sale","transaction_currency":"XXX","transaction_amount":5`), `unknown currency "XXX"`},
		{"no currency", body(`"oxpay_txn_id":"1","transaction_state":"sale","transaction_amount":5`), "without a transaction_currency"},
		{"unrecognised notification", body(`"hello":"world"`), "unrecognised notification"},
		{"refund without its amount", body(`"oxpay_txn_id":"2","oxpay_original_txn_id":"1","transaction_currency":"SGD","transaction_amount":5`), "notification 2 has no body.refund_amount"},
		{"refund without either amount", body(`"oxpay_txn_id":"2","oxpay_original_txn_id":"1","transaction_currency":"SGD"`), "notification 2 has no body.transaction_amount"},
		{"payment without its amount", body(`"oxpay_txn_id":"3","transaction_state":"success","transaction_currency":"SGD"`), "notification 3 has no body.transaction_amount"},
		{"payment amount null", body(`"oxpay_txn_id":"3","transaction_state":"success","transaction_currency":"SGD","transaction_amount":null`), "notification 3 has no body.transaction_amount"},
		{"void without its amount", body(`"oxpay_txn_id":"4","transaction_state":"voided","transaction_currency":"SGD"`), "notification 4 has no body.transaction_amount"},
		{"payment amount as a string", body(`"oxpay_txn_id":"3","transaction_state":"success","transaction_currency":"SGD","transaction_amount":"500"`), "body.transaction_amount \"500\" is a string"},
		{"empty txn id", body(`"oxpay_txn_id":" ","transaction_state":"sale","transaction_currency":"SGD","transaction_amount":5`), "without an oxpay_txn_id"},
		{"void without txn id", body(`"transaction_state":"voided","transaction_currency":"SGD","transaction_amount":5`), "without an oxpay_txn_id"},
		{"txn id not a string", body(`"oxpay_txn_id":17,"transaction_state":"sale","transaction_currency":"SGD","transaction_amount":5`), "body.oxpay_txn_id is a JSON number, want a string"},
		{"payload without body", `{"received_at":"2024-01-11T07:13:16Z","body":{"headers":{}}}`, "no body object"},
		{"payload body not an object", `{"received_at":"2024-01-11T07:13:16Z","body":{"body":[1]}}`, "no body object"},
		{"body missing", `{"received_at":"2024-01-11T07:13:16Z","headers":{}}`, "body is missing"},
		{"body a number", `{"received_at":"2024-01-11T07:13:16Z","body":5}`, "neither a JSON object nor a string"},
		{"body string not JSON", `{"received_at":"2024-01-11T07:13:16Z","body":"hello"}`, "payload is not an OxPay notification"},
		{"status code not a number", strings.Replace(body(okFields+`,"transaction_amount":5`), `"status_code":0`, `"status_code":"ok"`, 1), `headers.status_code "ok" is a string`},
		{"missing received_at", `{"headers":{},"body":{}}`, "received_at is missing"},
		{"received_at not RFC 3339", strings.Replace(good, "2024-01-11T07:13:16Z", "11/01/2024 07:13", 1), `received_at "11/01/2024 07:13" is not an RFC 3339 time`},
		{"received_at a number", `{"received_at":1704957196,"body":{}}`, "received_at 1704957196 is not a string"},
		{"year 0001", strings.Replace(good, "2024-01-11T07:13:16Z", "0001-01-01T00:00:00Z", 1), "outside the years 2000 to 2100"},
		{"year 9999", strings.Replace(good, "2024-01-11T07:13:16Z", "9999-12-31T23:59:59Z", 1), "outside the years 2000 to 2100"},
		{"two signature headers", `{"received_at":"2024-01-11T07:13:16Z","headers":{"Signature":"a","signature":"b"},"body":{}}`, "two different Signature headers"},
		{"signature not a string", `{"received_at":"2024-01-11T07:13:16Z","headers":{"Signature":5},"body":{}}`, "headers.Signature is not a string"},
		{"deeply nested", `{"received_at":"2024-01-11T07:13:16Z","body":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, "line 1:"},
		{"deeply nested payload", `{"received_at":"2024-01-11T07:13:16Z","body":{"headers":{},"body":{"x":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + `}}}`, "unrecognised notification"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeLines(t, "hooks.jsonl", tc.line, good)
			c, res := readLog(t, path, WebhookOptions{})
			if len(c.errs) != 1 {
				t.Fatalf("got errors %v, want 1", c.errs)
			}
			e := c.errs[0]
			if !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("got reason %q, want it to contain %q", e.Reason, tc.reason)
			}
			if !strings.HasPrefix(e.Reason, "line 1: ") {
				t.Errorf("got reason %q, want it to start with the line", e.Reason)
			}
			if e.Source != "webhooks" || e.File != path || e.Line != 1 {
				t.Errorf("got source/file/line %s/%s/%d, want webhooks/%s/1", e.Source, e.File, e.Line, path)
			}
			if len(e.Text) > 200 || strings.ContainsRune(e.Text, 0) || !utf8.ValidString(e.Text) {
				t.Errorf("got text %q, want at most 200 bytes of valid UTF-8 without NUL", e.Text)
			}
			if utf8.ValidString(tc.line) && !strings.ContainsRune(tc.line, 0) && !strings.HasPrefix(tc.line, e.Text) || e.Text == "" {
				t.Errorf("got text %q, want the start of the line", e.Text)
			}
			// The line after the bad one still loads.
			if len(c.hooks) != 1 || c.hooks[0].SourceLine != 2 {
				t.Errorf("got events %+v, want the good line 2", c.hooks)
			}
			if res.Rows != 1 || res.Errors != 1 {
				t.Errorf("got rows/errors %d/%d, want 1/1", res.Rows, res.Errors)
			}
		})
	}
}

func TestWebhookLongLines(t *testing.T) {
	good := signedLine("2024-01-11T07:13:16Z", samplePayment.payload())
	long := `{"received_at":"2024-01-11T07:13:16Z","pad":"` + strings.Repeat("é", 400) + `"}`
	path := writeLines(t, "hooks.jsonl", good, long, good)
	c, res := readLog(t, path, WebhookOptions{MaxLineBytes: len(good)})
	if len(c.hooks) != 2 || c.hooks[0].SourceLine != 1 || c.hooks[1].SourceLine != 3 {
		t.Fatalf("got events on lines %v, want lines 1 and 3", lines(c.hooks))
	}
	if len(c.errs) != 1 {
		t.Fatalf("got errors %v, want one", c.errs)
	}
	e := c.errs[0]
	wantReason := fmt.Sprintf("line 2: line is %d bytes, longer than the limit of %d", len(long), len(good))
	if e.Reason != wantReason {
		t.Errorf("got reason %q, want %q", e.Reason, wantReason)
	}
	if len(e.Text) > 200 || !strings.HasPrefix(long, e.Text) {
		t.Errorf("got text %q (%d bytes), want a prefix of the line of at most 200 bytes cut at a character", e.Text, len(e.Text))
	}
	if res.Lines != 3 {
		t.Errorf("got %d lines, want 3", res.Lines)
	}
}

func lines(hooks []recon.WebhookEvent) []int {
	var out []int
	for _, h := range hooks {
		out = append(out, h.SourceLine)
	}
	return out
}

func TestWebhookBlankAndEmpty(t *testing.T) {
	good := signedLine("2024-01-11T07:13:16Z", samplePayment.payload())
	t.Run("blank lines and CRLF", func(t *testing.T) {
		path := writeFile(t, "hooks.jsonl", []byte("\r\n"+good+"\r\n   \n\t\n"+good))
		c, res := readLog(t, path, WebhookOptions{})
		if got := lines(c.hooks); !cmp.Equal(got, []int{2, 5}) || len(c.errs) != 0 {
			t.Fatalf("got events on lines %v and errors %v, want lines 2 and 5, no errors", got, c.errs)
		}
		if c.hooks[0].DeliveryKey != deliveryKeyOf(t, good) {
			t.Error("the CRLF line's DeliveryKey covers its line terminator, want the line alone")
		}
		if res.Lines != 5 {
			t.Errorf("got %d lines, want 5", res.Lines)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		// One input error, not a quiet night: see hostile_test.go.
		path := writeFile(t, "hooks.jsonl", nil)
		c, res := readLog(t, path, WebhookOptions{})
		want := Result{File: path, Kind: KindWebhooks, SHA256: sha256Hex(nil), Errors: 1}
		if diff := cmp.Diff(want, res); diff != "" || len(c.hooks) != 0 || len(c.errs) != 1 {
			t.Errorf("result (-want +got):\n%s; rows %v, errors %v", diff, c.hooks, c.errs)
		}
	})
}

func TestWebhookFileErrors(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		path := t.TempDir() + "/nope.jsonl"
		_, err := ReadWebhookLog(context.Background(), path, WebhookOptions{}, Discard)
		if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("got %v, want a not-exist error naming %s", err, path)
		}
	})
	t.Run("corrupt gzip", func(t *testing.T) {
		path := writeFile(t, "hooks.jsonl.gz", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3})
		_, err := ReadWebhookLog(context.Background(), path, WebhookOptions{}, Discard)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("got %v, want an error naming %s", err, path)
		}
	})
	t.Run("sink error", func(t *testing.T) {
		path := writeLines(t, "hooks.jsonl", signedLine("2024-01-11T07:13:16Z", samplePayment.payload()))
		boom := errors.New("disk full")
		sink := SinkFuncs{WebhooksFunc: func([]recon.WebhookEvent) error { return boom }}
		_, err := ReadWebhookLog(context.Background(), path, WebhookOptions{}, sink)
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want the sink's error", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		path := writeLines(t, "hooks.jsonl", signedLine("2024-01-11T07:13:16Z", samplePayment.payload()))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := ReadWebhookLog(ctx, path, WebhookOptions{}, Discard)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
}

// TestWebhookOrderAndBatches checks that parallel parsing keeps file
// order and that the sink sees batches of the configured size.
func TestWebhookOrderAndBatches(t *testing.T) {
	var b strings.Builder
	const n = 3001
	for i := range n {
		p := testNotification{txn: fmt.Sprint(100000 + i), state: "sale", currency: "SGD", amount: int64(i + 1)}.payload()
		if i%7 == 3 {
			b.WriteString("not json\n")
		}
		b.WriteString(signedLine("2024-01-11T07:13:16Z", p) + "\n")
	}
	path := writeFile(t, "hooks.jsonl", []byte(b.String()))
	c, res := readLog(t, path, WebhookOptions{BatchSize: 1000, Workers: 4})
	if len(c.hooks) != n {
		t.Fatalf("got %d events, want %d", len(c.hooks), n)
	}
	for i, h := range c.hooks {
		if h.AmountMinor != int64(i+1) {
			t.Fatalf("event %d: got amount %d, want %d (order lost)", i, h.AmountMinor, i+1)
		}
		if i > 0 && h.SourceLine <= c.hooks[i-1].SourceLine {
			t.Fatalf("event %d: line %d after line %d", i, h.SourceLine, c.hooks[i-1].SourceLine)
		}
	}
	if want := []int{1000, 1000, 1000, 1}; !cmp.Equal(c.hookCalls, want) {
		t.Errorf("got batches %v, want %v", c.hookCalls, want)
	}
	if res.Errors != len(c.errs) || res.Errors != (n+3)/7 {
		t.Errorf("got %d errors (%d handed over), want %d", res.Errors, len(c.errs), (n+3)/7)
	}
}

func TestLineReader(t *testing.T) {
	type line struct {
		text    string
		size    int
		tooLong bool
	}
	tests := []struct {
		name  string
		input string
		max   int
		want  []line
	}{
		{"plain", "a\nbb\n", 10, []line{{"a", 1, false}, {"bb", 2, false}}},
		{"no final newline", "a\nbb", 10, []line{{"a", 1, false}, {"bb", 2, false}}},
		{"crlf", "a\r\nbb\r\n", 10, []line{{"a", 1, false}, {"bb", 2, false}}},
		{"lone cr at end is content", "a\r", 10, []line{{"a\r", 2, false}}},
		{"exactly the limit", "0123456789\r\nx\n", 10, []line{{"0123456789", 10, false}, {"x", 1, false}}},
		{"one over the limit", "0123456789A\nx\n", 10, []line{{"0123456789A", 11, true}, {"x", 1, false}}},
		{"far over the limit", strings.Repeat("z", 100) + "\nx", 10, []line{{strings.Repeat("z", 100), 100, true}, {"x", 1, false}}},
		{"spanning buffers", strings.Repeat("y", 40) + "\r\n" + strings.Repeat("w", 33) + "\n", 50, []line{{strings.Repeat("y", 40), 40, false}, {strings.Repeat("w", 33), 33, false}}},
		{"too long with cr at a buffer edge", strings.Repeat("z", 15) + "\r\nx", 5, []line{{strings.Repeat("z", 15), 15, true}, {"x", 1, false}}},
		{"cr at a buffer edge", strings.Repeat("q", 15) + "\r\n", 50, []line{{strings.Repeat("q", 15), 15, false}}},
		{"empty lines", "\n\n", 10, []line{{"", 0, false}, {"", 0, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lr := &lineReader{r: bufio.NewReaderSize(strings.NewReader(tc.input), 16), max: tc.max}
			var got []line
			for {
				l, size, tooLong, err := lr.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, line{string(l), size, tooLong})
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(line{})); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short", "abc", "abc"},
		{"cut at 200", strings.Repeat("a", 300), strings.Repeat("a", 200)},
		{"cut before a split character", strings.Repeat("a", 199) + "é", strings.Repeat("a", 199)},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
		{"NUL replaced", "a\x00b", "a\uFFFDb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorText([]byte(tc.in)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWebhookKeySpellings(t *testing.T) {
	const n = `{"body":{"oxpay_txn_id":"1","transaction_state":"sale","transaction_amount":5,"transaction_currency":"SGD"}}`
	tests := []struct {
		name    string
		line    string
		wantTxn string // "" when the line must be an input error
		reason  string
	}{
		{"keys spelled with escapes", `{"received\u005fat":"2024-01-11T07:13:16Z","body":{"body":{"oxpay_txn\u005fid":"1","transaction_state":"sale","transaction_amount":5,"transaction_currency":"SGD"}}}`, "1", ""},
		{"a repeated key: the last one counts, as in encoding/json", `{"received_at":"2024-01-11T07:13:16Z","body":{"body":{}},"body":` + strings.Replace(n, `"1"`, `"2"`, 1) + `}`, "2", ""},
		{"keys are case-sensitive", `{"Received_At":"2024-01-11T07:13:16Z","body":` + n + `}`, "", "received_at is missing"},
		{"whitespace everywhere", " {\t\"received_at\" : \"2024-01-11T07:13:16Z\" , \"body\" : { \"body\" : { \"oxpay_txn_id\" : \"3\" , \"transaction_state\" : \"sale\" , \"transaction_amount\" : 5 , \"transaction_currency\" : \"SGD\" } } } ", "3", ""},
		{"nested values before the body", `{"received_at":"2024-01-11T07:13:16Z","x":[{"body":1},[[]],"}"],"body":{"extra":{"a":[1,{"b":"]"}]},"body":{"deep":{"x":{"y":[{}]}},"oxpay_txn_id":"4","transaction_state":"sale","transaction_amount":5,"transaction_currency":"SGD"}}}`, "4", ""},
		{"quotes and backslashes in strings", `{"received_at":"2024-01-11T07:13:16Z","note":"a \"quoted\" \\ {","body":{"body":{"oxpay_txn_id":"5\"\\","transaction_state":"sale","transaction_amount":5,"transaction_currency":"SGD"}}}`, "5\"\\", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := readLog(t, writeLines(t, "hooks.jsonl", tc.line), WebhookOptions{})
			if tc.wantTxn == "" {
				if len(c.errs) != 1 || !strings.Contains(c.errs[0].Reason, tc.reason) {
					t.Fatalf("got errors %v, want one containing %q", c.errs, tc.reason)
				}
				return
			}
			if len(c.hooks) != 1 || c.hooks[0].OxpayTxnID != tc.wantTxn {
				t.Fatalf("got events %+v and errors %v, want txn %q", c.hooks, c.errs, tc.wantTxn)
			}
		})
	}
}

// TestWebhookWireShapes builds deliveries from the wire package's types,
// the single source of truth for field names, so a renamed field there
// cannot silently stop this reader from seeing it.
func TestWebhookWireShapes(t *testing.T) {
	n := wire.Notification{
		HostTxnID: "H-9", MerchantReferenceID: "LNK-9", OxpayOriginalTxnID: "10000001", OxpayTxnID: "10000002",
		PaymentBrand: "GRABPAY", TransactionAmount: 1000, RefundAmount: 250, TransactionCurrency: "MYR",
		TransactionState: wire.StateRefunded,
	}
	payload, err := json.Marshal(wire.OxEnvelope[wire.Notification]{
		Headers: wire.OxHeaders{StatusCode: wire.OxStatusPending, StatusMessage: "Pending", GatewayResponseDatetime: "20240111071316"},
		Body:    n,
	})
	if err != nil {
		t.Fatal(err)
	}
	line, err := json.Marshal(wire.WebhookLogLine{
		ReceivedAt: "2024-01-11T07:13:16Z",
		Headers:    map[string]string{"Signature": sign.OxPay(testKey, payload)},
		Body:       string(payload),
	})
	if err != nil {
		t.Fatal(err)
	}
	path := writeLines(t, "hooks.jsonl", string(line))
	c, _ := readLog(t, path, WebhookOptions{})
	if len(c.hooks) != 1 {
		t.Fatalf("got errors %v, want one event", c.errs)
	}
	got := c.hooks[0]
	got.DedupKey, got.DeliveryKey = "", ""
	want := recon.WebhookEvent{
		ReceivedAt: time.Date(2024, 1, 11, 7, 13, 16, 0, time.UTC), Kind: wire.WebhookRefund,
		OxpayTxnID: "10000002", OriginalTxnID: "10000001", MerchantReferenceID: "LNK-9", HostTxnID: "H-9",
		State: wire.StateRefunded, Currency: "MYR", AmountMinor: 1000, RefundAmountMinor: 250,
		StatusCode: wire.OxStatusPending, SigCheck: recon.SigRaw, Raw: string(payload), SourceFile: path, SourceLine: 1,
		Signature: sign.OxPay(testKey, payload), KeyFingerprint: sign.KeyFingerprint(testKey),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
}
