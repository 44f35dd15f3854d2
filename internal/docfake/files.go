package docfake

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Ledger layouts: one signed amount column (what recon.example.yaml says
// to configure as `amount`), or the sandbox-like Debit and Credit pair.
const (
	LedgerAmount      = "amount"
	LedgerDebitCredit = "debit-credit"
)

// FileOptions says how the merchant's receiver and finance wrote the
// world's files. The zero value is the main variant.
type FileOptions struct {
	Ledger string // LedgerAmount (default) or LedgerDebitCredit
	// PlainJSONL writes .jsonl; by default the logs are .jsonl.gz, as the
	// example config's glob.
	PlainJSONL bool
	// BodyAsString logs each payload as a JSON string holding the bytes
	// as delivered (indented); by default the payload object itself,
	// compact. docs/contract-diff-lint.md allows both.
	BodyAsString bool
	// LowerHeader logs the header as "signature" (the vendor's own
	// example spelling) instead of "Signature".
	LowerHeader bool
	// UTC logs received_at in UTC; by default in the receiver's WIB offset.
	UTC bool
}

// Inbox is where WriteInbox put the files: the globs for recon.yaml.
type Inbox struct {
	WebhookGlob, LedgerGlob string
	Files                   []string
}

// WriteInbox writes the webhook logs (one per day received) and ledger
// exports (one per booking day) into dir.
func (w *World) WriteInbox(dir string, o FileOptions) (Inbox, error) {
	var in Inbox
	ext := ".jsonl.gz"
	if o.PlainJSONL {
		ext = ".jsonl"
	}
	in.WebhookGlob = filepath.Join(dir, "oxpay-*"+ext)
	in.LedgerGlob = filepath.Join(dir, "ledger-*.csv")

	logs := map[string]*bytes.Buffer{}
	var days []string
	for _, d := range w.Deliveries {
		day := dayOf(d.ReceivedAt).Format(time.DateOnly)
		if logs[day] == nil {
			logs[day] = &bytes.Buffer{}
			days = append(days, day)
		}
		line, err := logLine(d, o)
		if err != nil {
			return in, err
		}
		logs[day].Write(line)
		logs[day].WriteByte('\n')
	}
	for _, day := range days {
		name := filepath.Join(dir, "oxpay-"+day+ext)
		data := logs[day].Bytes()
		if !o.PlainJSONL {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(data)
			if err := zw.Close(); err != nil {
				return in, err
			}
			data = z.Bytes()
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return in, fmt.Errorf("write webhook log: %w", err)
		}
		in.Files = append(in.Files, name)
	}

	books := map[string][]*LedgerLine{}
	var bookDays []string
	for _, l := range w.Ledger {
		day := l.Date.Format(time.DateOnly)
		if books[day] == nil {
			bookDays = append(bookDays, day)
		}
		books[day] = append(books[day], l)
	}
	for _, day := range bookDays {
		name := filepath.Join(dir, "ledger-"+day+".csv")
		var b bytes.Buffer
		if err := writeLedger(&b, books[day], o.Ledger); err != nil {
			return in, err
		}
		if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
			return in, fmt.Errorf("write ledger: %w", err)
		}
		in.Files = append(in.Files, name)
	}
	return in, nil
}

// logLine is one JSON Lines record of the receiver's log:
// {"received_at", "headers", "body"}, as docs/contract-diff-lint.md
// describes the format recon ingests.
func logLine(d *Delivery, o FileOptions) ([]byte, error) {
	at := d.ReceivedAt.In(wib).Format("2006-01-02T15:04:05.000Z07:00")
	if o.UTC {
		at = d.ReceivedAt.UTC().Format(time.RFC3339Nano)
	}
	headers := obj{{"Content-Type", "application/json"}, {"User-Agent", "OxPay-Notifier/1.0"}}
	if !d.NoSignature {
		name := "Signature"
		if o.LowerHeader {
			name = "signature"
		}
		headers = append(headers, field{name, d.Signature})
	}
	body := json.RawMessage(d.Payload)
	if o.BodyAsString {
		var ind bytes.Buffer
		if err := json.Indent(&ind, d.Payload, "", "  "); err != nil {
			return nil, err
		}
		s, err := marshal(ind.String())
		if err != nil {
			return nil, err
		}
		body = s
	}
	return marshal(obj{{"received_at", at}, {"headers", headers}, {"body", body}})
}

// writeLedger writes finance's CSV: dates DD/MM/YYYY, amounts with "."
// thousands and "," decimals (quoted where the comma needs it), CRLF
// line ends as a spreadsheet exports them.
func writeLedger(out io.Writer, lines []*LedgerLine, layout string) error {
	cw := csv.NewWriter(out)
	cw.UseCRLF = true
	head := []string{"Date", "Reference", "Description", "Amount", "Currency"}
	if layout == LedgerDebitCredit {
		head = []string{"Date", "Reference", "Description", "Debit", "Credit", "Currency"}
	}
	cw.Write(head)
	for _, l := range lines {
		row := []string{l.Date.Format("02/01/2006"), l.Reference, l.Description}
		if layout == LedgerDebitCredit {
			debit, credit := "", ""
			if l.Minor < 0 {
				debit = money(-l.Minor)
			} else {
				credit = money(l.Minor)
			}
			row = append(row, debit, credit)
		} else {
			row = append(row, money(l.Minor))
		}
		cw.Write(append(row, l.Currency))
	}
	cw.Flush()
	return cw.Error()
}

// money formats ISO minor units (two decimals for IDR and SGD) the way
// recon.example.yaml's ledger is written: 1.250.000,00.
func money(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	whole := strconv.FormatInt(minor/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s,%02d", sign, b.String(), minor%100)
}

// ConfigParams is what a user fills in when adapting recon.example.yaml.
type ConfigParams struct {
	Dir         string // reports go here, and the database unless Database is set
	Database    string // an SQLite path or a postgres:// URL; "" is Dir/recon.db
	XepengURL   string
	OxPayURL    string
	WebhookGlob string
	LedgerGlob  string
	Ledger      string // LedgerAmount or LedgerDebitCredit
}

// WriteConfig writes a recon.yaml the way a user adapts
// recon.example.yaml, following its comments literally: credentials as
// ${VAR}, the one-amount-column ledger as "set amount and leave debit and
// credit out", every other key as the example has it.
func WriteConfig(out io.Writer, p ConfigParams) error {
	return configTmpl.Execute(out, p)
}

var configTmpl = template.Must(template.New("recon.yaml").Parse(`# recon.yaml, adapted from recon.example.yaml for the docfake night.
timezone: Asia/Jakarta
database: {{if .Database}}{{.Database}}{{else}}{{.Dir}}/recon.db{{end}}
report_dir: {{.Dir}}/reports

xepeng:
  base_url: {{.XepengURL}}
  client_id: ${XEPENG_CLIENT_ID}
  client_secret: ${XEPENG_CLIENT_SECRET}
  page_size: 100
  lookback: 72h

oxpay:
  base_url: {{.OxPayURL}}
  api_key: ${OXPAY_API_KEY}
  sign_key: ${OXPAY_SIGN_KEY}
  confirm: unconfirmed

http:
  timeout: 15s
  max_attempts: 5
  concurrency: 4
  rate_limit: 0       # a local fake: unlimited
  deadline: 5m

inputs:
  webhooks:
    - {{.WebhookGlob}}
  ledger:
    - {{.LedgerGlob}}

# Finance exports Date,Reference,Description,{{if eq .Ledger "debit-credit"}}Debit,Credit{{else}}Amount{{end}},Currency
# with 19/11/2026 and 1.250.000,00.
ledger:
  columns:
    date: Date
    reference: Reference
    description: Description
{{- if eq .Ledger "debit-credit"}}
    debit: Debit
    credit: Credit
{{- else}}
    amount: Amount
{{- end}}
    currency: Currency
  date_layout: DD/MM/YYYY
  decimal: ","
  thousands: "."
  default_currency: IDR

units:
  xepeng: {IDR: 0}
  oxpay: {}

matching:
  reference: order_uid
  tolerance:
    absolute_minor: 0
    percent: "0"
  settlement_window_days: [0, 3]
  weekend_roll: true
  payment_lag: 1h
  replay_window: 24h
`))

// WriteKey writes the answer key as CSV: category, refs (";"-separated),
// whether it is optional, what was planted.
func (w *World) WriteKey(out io.Writer) error {
	cw := csv.NewWriter(out)
	cw.Write([]string{"category", "refs", "optional", "what"})
	for _, a := range w.Key {
		cw.Write([]string{a.Category, strings.Join(a.Refs, ";"), strconv.FormatBool(a.Optional), a.What})
	}
	cw.Flush()
	return cw.Error()
}

// WriteState writes what the fakes serve, for a human: orders and links
// as the Xepeng list answers them, transactions as GET /payment answers
// their bodies, and the notes per id.
func (w *World) WriteState(dir string) error {
	orders := make([]obj, len(w.Orders))
	for i, o := range w.Orders {
		orders[i] = orderJSON(o)
	}
	links := make([]obj, len(w.Links))
	for i, l := range w.Links {
		links[i] = linkJSON(l)
	}
	txns := make([]obj, len(w.Txns))
	for i, t := range w.Txns {
		txns[i] = txnJSON(t)
	}
	for name, v := range map[string]any{"orders.json": orders, "payment_links.json": links, "transactions.json": txns, "notes.json": w.Notes} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	var k bytes.Buffer
	if err := w.WriteKey(&k); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "answer_key.csv"), k.Bytes(), 0o644)
}
