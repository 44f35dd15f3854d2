package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sign"
)

// FuzzParseWebhookLine feeds arbitrary lines to the webhook line parser:
// it must never panic, every rejection must say which line, and every
// accepted line must be a usable event.
func FuzzParseWebhookLine(f *testing.F) {
	pay := samplePayment.payload()
	f.Add([]byte(signedLine("2024-01-11T07:13:16Z", pay)))
	f.Add([]byte(logLine("2024-01-11T07:13:16Z", "signature", sign.OxPay(testKey, pay), pay, true)))
	f.Add([]byte(signedLine("2024-01-11T07:13:16Z", sampleRefund.payload())))
	f.Add([]byte(signedLine("2024-01-11T07:13:16Z", sampleVoid.payload())))
	f.Add([]byte(`{"received_at":"2024-01-11T07:13:16Z","body":{"body":{"oxpay_txn_id":"1","transaction_state":"sale","transaction_amount":1.5,"transaction_currency":"SGD"}}}`))
	f.Add([]byte(`{"received_at":"0001-01-01T00:00:00Z","headers":{"Signature":5},"body":[]}`))
	f.Add([]byte("{\"received_at\":\"2024-01-11T07:13:16Z\",\"body\":\"\\u0000\xff\"}"))
	f.Fuzz(func(t *testing.T, line []byte) {
		p := &webhookParser{file: "fuzz.jsonl", signKey: testKey, units: recon.DefaultUnits(), maxLine: DefaultMaxLineBytes}
		var ev recon.WebhookEvent
		bad := p.parse(&ev, line, 1)
		if bad != nil {
			if !strings.HasPrefix(bad.reason, "line 1: ") {
				t.Fatalf("reason %q does not name the line", bad.reason)
			}
			return
		}
		if strings.TrimSpace(ev.OxpayTxnID) == "" {
			t.Fatalf("accepted an event without a txn id: %+v", ev)
		}
		switch ev.Kind {
		case "payment", "refund", "void":
		default:
			t.Fatalf("accepted kind %q", ev.Kind)
		}
		switch ev.SigCheck {
		case recon.SigRaw, recon.SigCompact, recon.SigInvalid, recon.SigUnsigned:
		default:
			t.Fatalf("sig check %q", ev.SigCheck)
		}
		if strings.ContainsFunc(ev.OxpayTxnID+ev.OriginalTxnID+ev.MerchantReferenceID+ev.HostTxnID+ev.State, isControl) {
			t.Fatalf("accepted ids or state with a control character: %+v", ev)
		}
		if !money.Known(ev.Currency) || ev.AmountMinor < 0 || ev.RefundAmountMinor < 0 {
			t.Fatalf("accepted currency %q amounts %d/%d", ev.Currency, ev.AmountMinor, ev.RefundAmountMinor)
		}
		if y := ev.ReceivedAt.Year(); y < minYear || y > maxYear || ev.ReceivedAt.Location() != time.UTC {
			t.Fatalf("accepted received_at %v", ev.ReceivedAt)
		}
		if len(ev.DedupKey) != 64 || ev.DeliveryKey != ev.ReceivedAt.Format("20060102150405")+sha256Hex(line)[:18] || !json.Valid([]byte(ev.Raw)) {
			t.Fatalf("keys %q %q or raw %q", ev.DedupKey, ev.DeliveryKey, ev.Raw)
		}
		// encoding/json, reading the same line, finds the same payload and
		// fields: the hand-rolled walker agrees with the standard library.
		raw, txn, state, amount := oracle(t, line)
		if ev.Raw != raw || ev.OxpayTxnID != txn || ev.State != state {
			t.Fatalf("got raw %q txn %q state %q, encoding/json finds %q %q %q", ev.Raw, ev.OxpayTxnID, ev.State, raw, txn, state)
		}
		if amount != "" && ev.Kind == "payment" && fmt.Sprint(ev.AmountMinor) != amount {
			t.Fatalf("got amount %d, encoding/json finds %s", ev.AmountMinor, amount)
		}
	})
}

// oracle reads an accepted webhook line with encoding/json.
func oracle(t *testing.T, line []byte) (payload, txn, state, amount string) {
	var top, env, body map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil {
		t.Fatalf("encoding/json rejects an accepted line: %v", err)
	}
	p := []byte(top["body"])
	if p[0] == '"' {
		var s string
		json.Unmarshal(p, &s)
		p = []byte(s)
	}
	if err := json.Unmarshal(p, &env); err != nil {
		t.Fatalf("encoding/json rejects an accepted payload: %v", err)
	}
	if err := json.Unmarshal(env["body"], &body); err != nil {
		t.Fatalf("encoding/json rejects an accepted body: %v", err)
	}
	json.Unmarshal(body["oxpay_txn_id"], &txn)
	json.Unmarshal(body["transaction_state"], &state)
	return string(p), txn, state, string(body["transaction_amount"])
}

// FuzzLineReader checks the line splitter against the obvious answer:
// splitting on "\n" and dropping one "\r" before it.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\r\nbb\n\nccc"), uint8(2))
	f.Add([]byte(strings.Repeat("x", 40)+"\r\n"), uint8(17))
	f.Fuzz(func(t *testing.T, input []byte, max uint8) {
		lr := &lineReader{r: bufio.NewReaderSize(bytes.NewReader(input), 16), max: int(max)}
		want := bytes.Split(input, []byte("\n"))
		if len(want[len(want)-1]) == 0 {
			want = want[:len(want)-1]
		}
		for i, w := range want {
			if i < len(want)-1 || bytes.HasSuffix(input, []byte("\n")) {
				w = bytes.TrimSuffix(w, []byte("\r"))
			}
			line, size, tooLong, err := lr.next()
			if err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			if size != len(w) || tooLong != (len(w) > int(max)) {
				t.Fatalf("line %d: got size %d tooLong %v, want %d bytes (max %d)", i+1, size, tooLong, len(w), max)
			}
			if wantText := w[:min(len(w), keepPrefix)]; !bytes.Equal(line, wantText) {
				t.Fatalf("line %d: got %q, want %q", i+1, line, wantText)
			}
		}
		if _, _, _, err := lr.next(); err != io.EOF {
			t.Fatalf("got %v after the last line, want io.EOF", err)
		}
	})
}

// FuzzLedgerRow feeds arbitrary rows (cells separated by ';') to the
// ledger row parser, as CSV fields or as XLSX cells with any of them
// marked numeric. It must never panic, and an accepted row must be a
// usable entry whose Raw gives back the cells.
func FuzzLedgerRow(f *testing.F) {
	f.Add(`15/01/2024;R;d;;1.250.000,00;IDR`, false, uint16(0))
	f.Add(`15/01/2024;R;d;(1.000,00);;idr`, false, uint16(0))
	f.Add(`45306;R;d;;1250000.5;SGD`, true, uint16(0b010001))
	f.Add(`2024-01-15T00:00:00Z;R;"q";;1E+3;JPY`, true, uint16(0b010000))
	f.Add("15/01/2024;R;\x00;;1;IDR", false, uint16(0))
	f.Fuzz(func(t *testing.T, row string, xlsx bool, mask uint16) {
		cells := strings.Split(row, ";")
		opts := SandboxLedgerOptions()
		header := []string{"Date", "Reference", "Description", "Debit", "Credit", "Currency"}
		cols, err := mapColumns("fuzz.csv", header, opts)
		if err != nil {
			t.Fatal(err)
		}
		p := newLedgerParser("fuzz.csv", "", opts, cols, len(header))
		if xlsx {
			p.xlsx = true
			p.date1904 = mask&0x8000 != 0
			for i := range cells {
				p.numeric = append(p.numeric, mask&(1<<i) != 0)
			}
		}
		e, reason := p.parse(cells, 2)
		if reason != "" {
			if !strings.HasPrefix(reason, "line 2: ") {
				t.Fatalf("reason %q does not name the line", reason)
			}
			return
		}
		if !money.Known(e.Currency) || len(e.RowHash) != 32 || e.SourceLine != 2 {
			t.Fatalf("accepted %+v", e)
		}
		if y := e.BookedOn.Year(); y < minYear || y > maxYear || !e.BookedOn.Equal(e.BookedOn.Truncate(24*time.Hour)) || e.BookedOn.Location() != time.UTC {
			t.Fatalf("accepted booking date %v", e.BookedOn)
		}
		var back []string
		if err := json.Unmarshal([]byte(e.Raw), &back); err != nil {
			t.Fatalf("Raw %s is not JSON: %v", e.Raw, err)
		}
		if diff := cmp.Diff(cells[:min(len(cells), len(back))], back); diff != "" || len(back) != len(header) {
			t.Fatalf("Raw does not give back the cells (-cells +raw):\n%s", diff)
		}
	})
}

// FuzzLedgerCSV reads arbitrary text after a good header as a ledger
// export. Whatever its quotes and line breaks, no line may vanish: each
// physical line after the header is a row, an input error or blank, no
// two of them claim the same line, and rows + input errors = data lines.
func FuzzLedgerCSV(f *testing.F) {
	for _, body := range []string{
		`15/01/2024,GOOD,,,"1,00",IDR` + "\n",
		"15/01/2024,R,\"unclosed,,\"1,00\",IDR\n15/01/2024,GOOD,,,\"1,00\",IDR\n",
		"15/01/2024,R,\"unclosed,,1,IDR\n15/01/2024,GOOD,,,1,IDR\n15/01/2024,GOOD,\"d\",,1,IDR\n",
		"15/01/2024,R,\"two\nlines\",,\"1,00\",IDR\n",
		"15/01/2024,R,\"a\r\nb\",,1,IDR\r\n\r\n",
		"\"\n\"\n\"",
		"\"\"\"\n\"\n,\"\n\"x\"y\n",
		",,,,,\n \n\n\"\t\"\n",
		"15/01/2024,R,d,,1,IDR,\"\n\"\n",
	} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		data := ledgerHeader + "\n" + body
		path := writeFile(t, "ledger.csv", []byte(data))
		c := &collector{}
		res, err := ReadLedger(context.Background(), path, SandboxLedgerOptions(), c)
		if err != nil {
			t.Fatalf("a good header, yet: %v", err)
		}
		claimed := map[int]string{}
		claim := func(line int, what string) {
			if line < 2 || line > res.Lines {
				t.Fatalf("%s on line %d of %d", what, line, res.Lines)
			}
			if prev, ok := claimed[line]; ok {
				t.Fatalf("line %d is both %s and %s", line, prev, what)
			}
			claimed[line] = what
		}
		for _, e := range c.ledger {
			claim(e.SourceLine, "a row")
		}
		for _, e := range c.errs {
			claim(e.Line, "an input error ("+e.Reason+")")
			if !strings.HasPrefix(e.Reason, fmt.Sprintf("line %d: ", e.Line)) && !strings.HasPrefix(e.Reason, fmt.Sprintf("lines %d-", e.Line)) {
				t.Fatalf("reason %q does not name line %d", e.Reason, e.Line)
			}
		}
		checkLinesAccounted(t, data, ',', res)
	})
}

// FuzzValidJSON holds validJSON to json.Valid's answer on every input,
// and appendCompact to json.Compact's output on every valid one.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,-0.5e+3,"x\u00e9\"",true,false,null,{}]}`, `[]`, ` 1 `, `01`, `"\x"`, `{"a" 1}`, `[1,]`,
		"\"\x01\"", `-`, `1.`, `1e`, `"\ud800"`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000), `{"a":1}x`, `nul`, "\"a\\\\\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := validJSON(b), json.Valid(b)
		if got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
		if !want {
			return
		}
		var c bytes.Buffer
		if err := json.Compact(&c, b); err != nil {
			t.Fatal(err)
		}
		if got := appendCompact(nil, b); !bytes.Equal(got, c.Bytes()) {
			t.Fatalf("appendCompact(%q) = %q, json.Compact gives %q", b, got, c.Bytes())
		}
	})
}

// FuzzUnquote holds unquote to encoding/json on every valid JSON string
// of valid UTF-8 (what the parser hands it), escapes and lone UTF-16
// surrogates included.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{``, `plain`, `a\u00e9b`, `\ud83d\ude00`, `\ud83d`, `\ud83dx`, `\ud83d\u0041`,
		`\ude00\ud83d\ude00`, `\"\\\/\b\f\n\r\t`, `\uD83D\uDE00`, `{\"body\":{\"a\":\"\\u00e9\"}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		token := []byte(`"` + s + `"`)
		if !utf8.Valid(token) || !json.Valid(token) {
			return
		}
		var want string
		if err := json.Unmarshal(token, &want); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if got := unquote(token); got != want {
			t.Fatalf("unquote(%s) = %q, encoding/json says %q", token, got, want)
		}
	})
}

// FuzzParseSecondUTC holds the parser's short way to received_at to
// time.Parse: whatever it reads, Parse reads as the same instant in UTC,
// and the seeds include the days and times Parse turns down.
func FuzzParseSecondUTC(f *testing.F) {
	for _, s := range []string{
		"2026-11-01T00:01:36Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
		"2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z", "2024-01-01T23:59:60Z", "2024-00-01T00:00:00Z",
		"2024-13-01T00:00:00Z", "2024-01-00T00:00:00Z", "2024-01-01t00:00:00z", "2024-01-01T00:00:00+00:00",
		"2024-01-01T00:00:00.5Z", "0000-01-01T00:00:00Z", "+024-01-01T00:00:00Z", "2024-1-01T00:00:00Z ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseSecondUTC([]byte(s))
		if !ok {
			return
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("parseSecondUTC(%q) = %v, time.Parse fails: %v", s, got, err)
		}
		if want = want.UTC(); got != want || got.Location() != time.UTC {
			t.Fatalf("parseSecondUTC(%q) = %v, time.Parse says %v", s, got, want)
		}
		if stamp := string(appendSecondStamp(nil, got)); stamp != got.Format(secondStamp) {
			t.Fatalf("appendSecondStamp(%v) = %q, Format says %q", got, stamp, got.Format(secondStamp))
		}
	})
}
