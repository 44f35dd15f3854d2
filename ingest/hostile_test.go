package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
)

// The tests in this file feed the readers hostile and malformed input:
// huge lines, invalid UTF-8, deep nesting, NUL bytes, numbers beyond
// int64, dates in year 0001 and 9999, empty files, CRLF and BOMs. Each
// bad line must be one InputError naming the file and the line with a
// reason a person can act on, and every good line around it must still
// load with its exact values.

// tenMB is the size of the huge line: more than the webhook line limit
// and the ledger row limit, far less than what would strain the test.
const tenMB = 10 << 20

// hookGist is what the hostile tests check of a webhook event.
type hookGist struct {
	Line          int
	Txn, Ref, Sig string
	Amount        int64
	DeliveryKey   string
}

func hookGists(hs []recon.WebhookEvent) []hookGist {
	out := []hookGist{}
	for _, h := range hs {
		out = append(out, hookGist{h.SourceLine, h.OxpayTxnID, h.MerchantReferenceID, h.SigCheck, h.AmountMinor, h.DeliveryKey})
	}
	return out
}

// errGist is an input error without its text, which is checked apart.
type errGist struct {
	Source, File string
	Line         int
	Reason       string
}

func errGists(es []recon.InputError) []errGist {
	out := []errGist{}
	for _, e := range es {
		out = append(out, errGist{e.Source, e.File, e.Line, e.Reason})
	}
	return out
}

// checkErrorText holds an InputError's text to what a report can carry:
// at most 200 bytes of valid UTF-8 without NUL, the start of the line
// when the line is given and printable.
func checkErrorText(t *testing.T, e recon.InputError, line string) {
	t.Helper()
	if len(e.Text) > maxTextBytes || !utf8.ValidString(e.Text) || strings.ContainsRune(e.Text, 0) {
		t.Errorf("error text %q: want at most %d bytes of valid UTF-8 without NUL", e.Text, maxTextBytes)
	}
	if line != "" && utf8.ValidString(line) && !strings.ContainsRune(line, 0) && !strings.HasPrefix(line, e.Text) {
		t.Errorf("error text %q: want the start of the line", clip([]byte(e.Text)))
	}
}

var (
	hostileA = testNotification{txn: "10001396", ref: "LNK-0001", host: "H-1", state: "sale", currency: "SGD", amount: 12550}
	hostileB = testNotification{txn: "10001397", ref: "LNK-0002", host: "H-2", state: "sale", currency: "SGD", amount: 990}
)

// hostileBody is a log line whose notification body holds fields, as
// TestWebhookInputErrors writes them.
func hostileBody(fields string) string {
	return `{"received_at":"2024-01-11T07:13:16Z","headers":{},"body":{"headers":{"status_code":0},"body":{` + fields + `}}}`
}

const hostileFields = `"oxpay_txn_id":"1","transaction_state":"sale","transaction_currency":"SGD"`

func TestHostileWebhookLines(t *testing.T) {
	goodA := signedLine("2024-01-11T07:13:16Z", hostileA.payload())
	goodB := signedLine("2024-01-11T07:14:16Z", hostileB.payload())
	wantHooks := []hookGist{
		{1, "10001396", "LNK-0001", recon.SigRaw, 12550, deliveryKeyOf(t, goodA)},
		{3, "10001397", "LNK-0002", recon.SigRaw, 990, deliveryKeyOf(t, goodB)},
	}
	huge := `{"received_at":"2024-01-11T07:13:16Z","headers":{},"body":{"pad":"`
	huge += strings.Repeat("x", tenMB-len(huge)-3) + `"}}`
	badUTF8Ref := testNotification{txn: "10001398", ref: "LNK-\xff\xfe", state: "sale", currency: "SGD", amount: 5}.payload()
	badUTF8Ref = bytes.ReplaceAll(badUTF8Ref, []byte(`\ufffd`), []byte("\xff")) // json.Marshal had replaced it
	tests := []struct {
		name   string
		line   string
		reason string
	}{
		{"10 MB line", huge, "line 2: line is 10485760 bytes, longer than the limit of 1048576"},
		{"invalid UTF-8 in the reference", signedLine("2024-01-11T07:13:16Z", badUTF8Ref),
			"line 2: not valid UTF-8; webhook logs must be UTF-8 JSON Lines"},
		{"invalid UTF-8 in a key", "{\"received_at\":\"2024-01-11T07:13:16Z\",\"\xc0\xaf\":1}",
			"line 2: not valid UTF-8; webhook logs must be UTF-8 JSON Lines"},
		{"100k nested arrays", `{"received_at":"2024-01-11T07:13:16Z","body":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`,
			"line 2: broken JSON: nested more than 10000 levels deep at byte 10045"},
		{"100k unclosed arrays", strings.Repeat("[", 100000),
			"line 2: broken JSON: nested more than 10000 levels deep at byte 10001"},
		{"10k nested objects in the notification", `{"received_at":"2024-01-11T07:13:16Z","body":{"body":` + strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001) + `}}`,
			"line 2: broken JSON: nested more than 10000 levels deep at byte 50044"},
		{"NUL byte in a string", hostileBody(hostileFields + ",\"merchant_reference_id\":\"LNK\x00\",\"transaction_amount\":5"),
			"line 2: NUL byte at column 199; the log is binary or corrupt"},
		{"escaped NUL in the reference", hostileBody(hostileFields + `,"merchant_reference_id":"LNK\u0000-1","transaction_amount":5`),
			`line 2: body.merchant_reference_id holds a control character (U+0000); ids, states and currencies cannot`},
		{"escaped NUL in the txn id", hostileBody(`"oxpay_txn_id":"1\u0000","transaction_state":"sale","transaction_currency":"SGD","transaction_amount":5`),
			`line 2: body.oxpay_txn_id holds a control character (U+0000); ids, states and currencies cannot`},
		{"binary garbage", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"[8:] + "\x00",
			"line 2: NUL byte at column 1; the log is binary or corrupt"},
		{"amount one past int64", hostileBody(hostileFields + `,"transaction_amount":9223372036854775808`),
			"line 2: body.transaction_amount 9223372036854775808 is beyond the int64 range"},
		{"amount 1e400", hostileBody(hostileFields + `,"transaction_amount":1e400`),
			"line 2: body.transaction_amount 1e400 is not a whole number"},
		{"refund amount of 400 digits", hostileBody(`"oxpay_txn_id":"2","oxpay_original_txn_id":"1","transaction_currency":"SGD","transaction_amount":5,"refund_amount":` + strings.Repeat("9", 400)),
			"line 2: body.refund_amount 9999999999999999999999999999999999999999… is beyond the int64 range"},
		{"status code beyond int64", strings.Replace(hostileBody(hostileFields+`,"transaction_amount":5`), `"status_code":0`, `"status_code":99999999999999999999`, 1),
			"line 2: headers.status_code 99999999999999999999 is beyond the int64 range"},
		{"received in year 0001", strings.Replace(goodA, "2024-01-11T07:13:16Z", "0001-01-01T00:00:00Z", 1),
			"line 2: received_at 0001-01-01T00:00:00Z is outside the years 2000 to 2100"},
		{"received in year 9999", strings.Replace(goodA, "2024-01-11T07:13:16Z", "9999-12-31T23:59:59Z", 1),
			"line 2: received_at 9999-12-31T23:59:59Z is outside the years 2000 to 2100"},
		{"received in year 10000", strings.Replace(goodA, "2024-01-11T07:13:16Z", "+10000-01-01T00:00:00Z", 1),
			`line 2: received_at "+10000-01-01T00:00:00Z" is not an RFC 3339 time`},
		{"a BOM inside the file", "\ufeff" + goodA,
			"line 2: broken JSON: invalid character 'ï' looking for beginning of value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeLines(t, "hooks.jsonl", goodA, tc.line, goodB)
			c, res := readLog(t, path, WebhookOptions{})
			if d := cmp.Diff([]errGist{{"webhooks", path, 2, tc.reason}}, errGists(c.errs)); d != "" {
				t.Errorf("input errors (-want +got):\n%s", d)
			}
			if len(c.errs) == 1 {
				checkErrorText(t, c.errs[0], tc.line)
			}
			if d := cmp.Diff(wantHooks, hookGists(c.hooks)); d != "" {
				t.Errorf("events (-want +got):\n%s", d)
			}
			if res.Lines != 3 || res.Rows != 2 || res.Errors != 1 {
				t.Errorf("got lines/rows/errors %d/%d/%d, want 3/2/1", res.Lines, res.Rows, res.Errors)
			}
		})
	}
}

// TestHostileWebhookValuesLoad: hostile text that is valid JSON in valid
// fields loads byte for byte; keeping it harmless is the store's and the
// report's job (their own hostile tests).
func TestHostileWebhookValuesLoad(t *testing.T) {
	for _, ref := range []string{
		"'; DROP TABLE orders; --", `" OR 1=1 --`, "=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)", "-1", "%_\\",
		"\u202eevil\u202c", "日本語 ✓", "\ufffd", strings.Repeat("r", 4096),
	} {
		t.Run(clip([]byte(ref)), func(t *testing.T) {
			p := testNotification{txn: "10001398", ref: ref, state: "sale", currency: "SGD", amount: 5}.payload()
			path := writeLines(t, "hooks.jsonl", signedLine("2024-01-11T07:13:16Z", p))
			c, _ := readLog(t, path, WebhookOptions{})
			if len(c.errs) != 0 || len(c.hooks) != 1 {
				t.Fatalf("got events %d and errors %v, want one event", len(c.hooks), c.errs)
			}
			if got := c.hooks[0]; got.MerchantReferenceID != ref || got.SigCheck != recon.SigRaw || got.Raw != string(p) {
				t.Errorf("got reference %q sig %s, want %q signed raw", got.MerchantReferenceID, got.SigCheck, ref)
			}
		})
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestHostileWebhookFiles covers what concerns the file as a whole.
func TestHostileWebhookFiles(t *testing.T) {
	goodA := signedLine("2024-01-11T07:13:16Z", hostileA.payload())
	goodB := signedLine("2024-01-11T07:14:16Z", hostileB.payload())
	both := []hookGist{
		{1, "10001396", "LNK-0001", recon.SigRaw, 12550, deliveryKeyOf(t, goodA)},
		{2, "10001397", "LNK-0002", recon.SigRaw, 990, deliveryKeyOf(t, goodB)},
	}
	const empty = "line 1: the webhook log is empty (no line holds a delivery); check that it was copied whole"
	tests := []struct {
		name  string
		file  string
		data  []byte
		hooks []hookGist
		err   string // the reason of the one input error, "" for none
		lines int
	}{
		{name: "empty file", file: "h.jsonl", data: nil, err: empty, lines: 0},
		{name: "blank lines only", file: "h.jsonl", data: []byte("\n  \r\n\t\n"), err: empty, lines: 3},
		{name: "empty gzip", file: "h.jsonl.gz", data: gzipped(t, nil), err: empty, lines: 0},
		{name: "BOM only", file: "h.jsonl", data: []byte("\ufeff"), err: empty, lines: 0},
		{name: "CRLF line ends", file: "h.jsonl", data: []byte(goodA + "\r\n" + goodB + "\r\n"), hooks: both, lines: 2},
		{name: "BOM", file: "h.jsonl", data: []byte("\ufeff" + goodA + "\n" + goodB), hooks: both, lines: 2},
		{name: "BOM and CRLF, gzipped", file: "h.jsonl.gz", data: gzipped(t, []byte("\ufeff"+goodA+"\r\n"+goodB+"\r\n")), hooks: both, lines: 2},
		{name: "huge last line without a line end", file: "h.jsonl", data: []byte(goodA + "\n" + goodB + "\n" + strings.Repeat("{", tenMB)),
			hooks: both, err: "line 3: line is 10485760 bytes, longer than the limit of 1048576", lines: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.data)
			c, res := readLog(t, path, WebhookOptions{})
			wantErrs := []errGist{}
			if tc.err != "" {
				wantErrs = append(wantErrs, errGist{"webhooks", path, int(tc.err[5] - '0'), tc.err})
			}
			if d := cmp.Diff(wantErrs, errGists(c.errs)); d != "" {
				t.Errorf("input errors (-want +got):\n%s", d)
			}
			if tc.hooks == nil {
				tc.hooks = []hookGist{}
			}
			if d := cmp.Diff(tc.hooks, hookGists(c.hooks)); d != "" {
				t.Errorf("events (-want +got):\n%s", d)
			}
			want := Result{File: path, Kind: KindWebhooks, SHA256: sha256Hex(tc.data), Lines: tc.lines, Rows: len(tc.hooks), Errors: len(wantErrs),
				Signed: len(tc.hooks)}
			if d := cmp.Diff(want, res); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
		})
	}
}

// ledgerGist is what the hostile tests check of a ledger entry.
type ledgerGist struct {
	Line        int
	Booked      string
	Ref, Desc   string
	Currency    string
	AmountMinor int64
}

func ledgerGists(es []recon.LedgerEntry) []ledgerGist {
	out := []ledgerGist{}
	for _, e := range es {
		out = append(out, ledgerGist{e.SourceLine, e.BookedOn.Format(time.DateOnly), e.Reference, e.Description, e.Currency, e.AmountMinor})
	}
	return out
}

const ledgerHeader = "Date,Reference,Description,Debit,Credit,Currency"

func TestHostileLedgerRows(t *testing.T) {
	const goodA, goodB = `15/01/2024,GOOD-A,first,,"1.250,00",IDR`, `16/01/2024,GOOD-B,second,"10,50",,SGD`
	wantEntries := []ledgerGist{
		{2, "2024-01-15", "GOOD-A", "first", "IDR", 125000},
		{4, "2024-01-16", "GOOD-B", "second", "SGD", -1050},
	}
	tests := []struct {
		name   string
		row    string
		reason string
	}{
		{"10 MB description", `15/01/2024,R,` + strings.Repeat("x", tenMB) + `,,"1,00",IDR`,
			"line 3: the row is 10485783 bytes, longer than the limit of 1048576; the export is corrupt"},
		{"invalid UTF-8 in the reference", "15/01/2024,R\xff\xfe,,,\"1,00\",IDR",
			"line 3: column 2 is not valid UTF-8; export the ledger as UTF-8"},
		{"Latin-1 description", "15/01/2024,R,caf\xe9,,\"1,00\",IDR",
			"line 3: column 3 is not valid UTF-8; export the ledger as UTF-8"},
		{"NUL in the reference", "15/01/2024,R\x00,,,\"1,00\",IDR",
			"line 3: column 2 holds a NUL byte; the file is binary or corrupt"},
		{"credit one past int64", `15/01/2024,R,,,9223372036854775808,IDR`,
			`line 3: Credit amount "9223372036854775808": amount out of range`},
		{"credit of int64 max minor units", `15/01/2024,R,,,"92233720368547758,08",IDR`,
			`line 3: Credit amount "92233720368547758,08": amount out of range`},
		{"credit 1e400", `15/01/2024,R,,,1e400,IDR`,
			`line 3: Credit amount "1e400": unexpected character 'e'`},
		{"debit of 400 digits", `15/01/2024,R,,` + strings.Repeat("9", 400) + `,,IDR`,
			`line 3: Debit amount "9999999999999999999999999999999999999999…" is 400 bytes long; no amount needs more than 64`},
		{"booked in year 0001", `01/01/0001,R,,,"1,00",IDR`,
			`line 3: Date "01/01/0001" is outside the years 2000 to 2100`},
		{"booked in year 9999", `31/12/9999,R,,,"1,00",IDR`,
			`line 3: Date "31/12/9999" is outside the years 2000 to 2100`},
		{"booked in year 1999", `31/12/1999,R,,,"1,00",IDR`,
			`line 3: Date "31/12/1999" is outside the years 2000 to 2100`},
		{"no such day", `29/02/2023,R,,,"1,00",IDR`,
			`line 3: Date "29/02/2023" does not match the date layout DD/MM/YYYY`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeLines(t, "ledger.csv", ledgerHeader, goodA, tc.row, goodB)
			c, res := readLedger(t, path, SandboxLedgerOptions())
			wantB := wantEntries[1]
			wantB.Line += strings.Count(tc.row, "\n")
			if d := cmp.Diff([]ledgerGist{wantEntries[0], wantB}, ledgerGists(c.ledger)); d != "" {
				t.Errorf("entries (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]errGist{{"ledger", path, 3, tc.reason}}, errGists(c.errs)); d != "" {
				t.Errorf("input errors (-want +got):\n%s", d)
			}
			if len(c.errs) == 1 {
				checkErrorText(t, c.errs[0], "") // the row's cells joined by commas, not the line
			}
			if res.Rows != 2 || res.Errors != 1 || res.Lines != 4+strings.Count(tc.row, "\n") {
				t.Errorf("got lines/rows/errors %d/%d/%d, want %d/2/1", res.Lines, res.Rows, res.Errors, 4+strings.Count(tc.row, "\n"))
			}
		})
	}
}

// TestHostileLedgerValuesLoad: hostile but well-formed text loads as it
// is written; the store and the report keep it harmless.
func TestHostileLedgerValuesLoad(t *testing.T) {
	refs := []string{"'; DROP TABLE orders; --", `" OR 1=1 --`, "=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)", "-1", "+1", "%_\\", "日本語 ✓"}
	var rows []string
	var want []ledgerGist
	for i, r := range refs {
		rows = append(rows, `15/01/2024,"`+strings.ReplaceAll(r, `"`, `""`)+`",d,,"1,00",IDR`)
		want = append(want, ledgerGist{i + 2, "2024-01-15", r, "d", "IDR", 100})
	}
	c, _ := readLedger(t, writeLines(t, "ledger.csv", append([]string{ledgerHeader}, rows...)...), SandboxLedgerOptions())
	if d := cmp.Diff(want, ledgerGists(c.ledger)); d != "" || len(c.errs) != 0 {
		t.Errorf("entries (-want +got):\n%s\nerrors %v", d, c.errs)
	}
}

func TestHostileLedgerFiles(t *testing.T) {
	goodA, goodB := `15/01/2024,GOOD-A,first,,"1.250,00",IDR`, `16/01/2024,GOOD-B,second,"10,50",,SGD`
	both := []ledgerGist{
		{2, "2024-01-15", "GOOD-A", "first", "IDR", 125000},
		{3, "2024-01-16", "GOOD-B", "second", "SGD", -1050},
	}
	const empty = "line 1: the ledger export is empty (no header row); export it again"
	tests := []struct {
		name    string
		data    string
		entries []ledgerGist
		err     string
		lines   int
	}{
		{name: "empty file", data: "", err: empty},
		{name: "blank lines only", data: "\n\r\n,,,\n", err: empty, lines: 3},
		{name: "BOM only", data: "\ufeff", err: empty},
		// A day without bookings exports just the header: nothing to read,
		// nothing wrong.
		{name: "header only", data: ledgerHeader + "\n", lines: 1},
		{name: "header only, no line end", data: ledgerHeader, lines: 1},
		{name: "CRLF line ends", data: ledgerHeader + "\r\n" + goodA + "\r\n" + goodB + "\r\n", entries: both, lines: 3},
		{name: "BOM", data: "\ufeff" + ledgerHeader + "\n" + goodA + "\n" + goodB, entries: both, lines: 3},
		{name: "BOM and CRLF", data: "\ufeff" + ledgerHeader + "\r\n" + goodA + "\r\n" + goodB + "\r\n", entries: both, lines: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "ledger.csv", []byte(tc.data))
			c, res := readLedger(t, path, SandboxLedgerOptions())
			wantErrs := []errGist{}
			if tc.err != "" {
				wantErrs = append(wantErrs, errGist{"ledger", path, 1, tc.err})
			}
			if d := cmp.Diff(wantErrs, errGists(c.errs)); d != "" {
				t.Errorf("input errors (-want +got):\n%s", d)
			}
			if tc.entries == nil {
				tc.entries = []ledgerGist{}
			}
			if d := cmp.Diff(tc.entries, ledgerGists(c.ledger)); d != "" {
				t.Errorf("entries (-want +got):\n%s", d)
			}
			want := Result{File: path, Kind: KindLedger, SHA256: sha256Hex([]byte(tc.data)), Lines: tc.lines, Rows: len(tc.entries), Errors: len(wantErrs)}
			if d := cmp.Diff(want, res); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
		})
	}
}

func TestHostileLedgerXLSX(t *testing.T) {
	path := buildWorkbook(t, false, map[string][][]any{
		"Ledger": {
			sandboxHeader,
			{"15/01/2024", "GOOD-A", "first", nil, "1.250,00", "IDR"},
			{"01/01/0001", "R", "", nil, 1, "IDR"},
			{2958465, "R", "serial of 31/12/9999", nil, 1, "IDR"},
			{"31/12/9999", "R", "", nil, 1, "IDR"},
			{"15/01/2024", "R", "", nil, 1e19, "IDR"},
			{"15/01/2024", "R", "", nil, "9223372036854775808", "IDR"},
			{"15/01/2024", "R", "", nil, "1e400", "IDR"},
			{"15/01/2024", "'; DROP TABLE orders; --", "=1+1", nil, -12.5, "SGD"},
		},
		"Empty":  {},
		"Header": {sandboxHeader},
	}, "Ledger", "Empty", "Header")

	t.Run("rows", func(t *testing.T) {
		c, res := readLedger(t, path, SandboxLedgerOptions())
		want := []ledgerGist{
			{2, "2024-01-15", "GOOD-A", "first", "IDR", 125000},
			{9, "2024-01-15", "'; DROP TABLE orders; --", "=1+1", "SGD", -1250},
		}
		if d := cmp.Diff(want, ledgerGists(c.ledger)); d != "" {
			t.Errorf("entries (-want +got):\n%s", d)
		}
		wantErrs := []errGist{
			{"ledger", path, 3, `line 3: Date "01/01/0001" is outside the years 2000 to 2100`},
			{"ledger", path, 4, `line 4: Date "2958465" (9999-12-31) is outside the years 2000 to 2100`},
			{"ledger", path, 5, `line 5: Date "31/12/9999" is outside the years 2000 to 2100`},
			{"ledger", path, 6, `line 6: Credit amount "10000000000000000000": amount out of range`},
			{"ledger", path, 7, `line 7: Credit amount "9223372036854775808": amount out of range`},
			{"ledger", path, 8, `line 8: Credit amount "1e400": unexpected character 'e'`},
		}
		if d := cmp.Diff(wantErrs, errGists(c.errs)); d != "" {
			t.Errorf("input errors (-want +got):\n%s", d)
		}
		if res.Rows != 2 || res.Errors != 6 || res.Lines != 9 {
			t.Errorf("got lines/rows/errors %d/%d/%d, want 9/2/6", res.Lines, res.Rows, res.Errors)
		}
	})
	t.Run("empty sheet", func(t *testing.T) {
		opts := SandboxLedgerOptions()
		opts.Sheet = "Empty"
		c, res := readLedger(t, path, opts)
		want := []errGist{{"ledger", path, 1, `line 1: sheet "Empty" is empty (no header row); export the ledger again or choose another sheet`}}
		if d := cmp.Diff(want, errGists(c.errs)); d != "" || len(c.ledger) != 0 || res.Errors != 1 {
			t.Errorf("input errors (-want +got):\n%s\nentries %v, result %+v", d, c.ledger, res)
		}
	})
	t.Run("header only", func(t *testing.T) {
		opts := SandboxLedgerOptions()
		opts.Sheet = "Header"
		c, res := readLedger(t, path, opts)
		if len(c.ledger)+len(c.errs) != 0 || res.Rows != 0 || res.Errors != 0 || res.Lines != 1 {
			t.Errorf("got entries %v errors %v result %+v, want nothing from one row", c.ledger, c.errs, res)
		}
	})
}

// TestHostileFilesDoNotStopTheRest reads a batch of files the way an
// ingest does, hostile ones among them: none returns an error, so the
// good files' rows all arrive.
func TestHostileFilesDoNotStopTheRest(t *testing.T) {
	ctx := context.Background()
	good := signedLine("2024-01-11T07:13:16Z", hostileA.payload())
	c := &collector{}
	for _, data := range [][]byte{nil, []byte(strings.Repeat("[", tenMB)), []byte("\x00\x01\x02"), []byte(good + "\n")} {
		if _, err := ReadWebhookLog(ctx, writeFile(t, "h.jsonl", data), WebhookOptions{SignKey: testKey}, c); err != nil {
			t.Fatalf("ReadWebhookLog: %v", err)
		}
	}
	for _, data := range []string{"", "\ufeff", ledgerHeader + "\n01/01/0001,R,,,1,IDR\n", ledgerHeader + "\n15/01/2024,R,,,1,IDR\n"} {
		if _, err := ReadLedger(ctx, writeFile(t, "l.csv", []byte(data)), SandboxLedgerOptions(), c); err != nil {
			t.Fatalf("ReadLedger: %v", err)
		}
	}
	if len(c.hooks) != 1 || len(c.ledger) != 1 || len(c.errs) != 6 {
		t.Fatalf("got %d events, %d entries and errors %v; want 1, 1 and 6 errors", len(c.hooks), len(c.ledger), errGists(c.errs))
	}
	if c.hooks[0].SigCheck != recon.SigRaw || c.hooks[0].DeliveryKey != deliveryKeyOf(t, good) || c.ledger[0].AmountMinor != 100 {
		t.Errorf("got %+v and %+v, want the good rows' values", c.hooks[0], c.ledger[0])
	}
}
