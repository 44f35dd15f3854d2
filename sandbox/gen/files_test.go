package gen

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/recon"
)

var allFiles = []string{WebhooksFile, LedgerCSVFile, LedgerXLSXFile, ExpectedFile}

func writeFiles(t *testing.T, opts Options) (*Dataset, string) {
	t.Helper()
	ds := generate(t, opts)
	dir := filepath.Join(t.TempDir(), "out")
	if err := ds.WriteFiles(dir); err != nil {
		t.Fatalf("WriteFiles: %v", err)
	}
	return ds, dir
}

func fileSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for _, name := range allFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		sums[name] = hex.EncodeToString(s[:])
	}
	return sums
}

func TestWriteFilesIsByteIdentical(t *testing.T) {
	opts := Options{Seed: 7, Orders: 600}
	_, dir1 := writeFiles(t, opts)
	_, dir2 := writeFiles(t, opts)
	first, second := fileSums(t, dir1), fileSums(t, dir2)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Fatalf("sha256 of the files, same options (-first +second):\n%s", diff)
	}
	_, dir3 := writeFiles(t, Options{Seed: 8, Orders: 600})
	other := fileSums(t, dir3)
	for _, name := range allFiles {
		if other[name] == first[name] {
			t.Errorf("%s is the same for seeds 7 and 8", name)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return rows
}

func TestWebhooksFile(t *testing.T) {
	ds, dir := writeFiles(t, Options{Seed: 1, Orders: 1500})
	f, err := os.Open(filepath.Join(dir, WebhooksFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n, asString, unsigned := 0, 0, 0
	for sc.Scan() {
		if n >= len(ds.Webhooks) {
			t.Fatalf("more lines than the %d deliveries", len(ds.Webhooks))
		}
		want := ds.Webhooks[n]
		var line struct {
			ReceivedAt string            `json:"received_at"`
			Headers    map[string]string `json:"headers"`
			Body       json.RawMessage   `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %d: %v\n%s", n+1, err, sc.Text())
		}
		if got := want.ReceivedAt.UTC().Format(time.RFC3339); line.ReceivedAt != got || !strings.HasSuffix(got, "Z") {
			t.Errorf("line %d: received_at %q, want %q", n+1, line.ReceivedAt, got)
		}
		sig, signed := line.Headers["Signature"]
		if sig != want.Signature || signed != (want.Signature != "") || len(line.Headers) > 1 {
			t.Errorf("line %d: headers %v, want Signature %q", n+1, line.Headers, want.Signature)
		}
		if !signed {
			unsigned++
		}
		payload := []byte(line.Body)
		if want.AsString {
			asString++
			var s string
			if err := json.Unmarshal(line.Body, &s); err != nil {
				t.Fatalf("line %d: body is not a string: %v", n+1, err)
			}
			payload = []byte(s)
		}
		if string(payload) != string(want.Payload) {
			t.Errorf("line %d: payload\n%s\nwant\n%s", n+1, payload, want.Payload)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(ds.Webhooks) || asString == 0 || unsigned == 0 {
		t.Errorf("got %d lines (%d as strings, %d unsigned), want %d with some of each", n, asString, unsigned, len(ds.Webhooks))
	}
}

func TestLedgerCSV(t *testing.T) {
	ds, dir := writeFiles(t, Options{Seed: 1, Orders: 800})
	rows := readCSV(t, filepath.Join(dir, LedgerCSVFile))
	if diff := cmp.Diff(LedgerHeader, rows[0]); diff != "" {
		t.Fatalf("header (-want +got):\n%s", diff)
	}
	rows = rows[1:]
	if len(rows) != len(ds.Ledger) {
		t.Fatalf("got %d rows, want %d", len(rows), len(ds.Ledger))
	}
	parse := func(s, currency string) int64 {
		if s == "" {
			return 0
		}
		exp, _ := money.Exponent(currency)
		v, err := money.Parse(s, exp, money.Comma)
		if err != nil {
			t.Fatalf("amount %q: %v", s, err)
		}
		return v
	}
	odd := map[string]bool{}
	for i, r := range rows {
		l := ds.Ledger[i]
		date, err := time.ParseInLocation(LedgerDateLayout, r[0], ds.Options.Zone)
		if err != nil || !date.Equal(l.Date) {
			t.Errorf("row %d: date %q, want %s (%v)", i+1, r[0], l.Date.Format(LedgerDateLayout), err)
		}
		got := LedgerLine{Date: l.Date, Reference: r[1], Description: r[2],
			Debit: parse(r[3], r[5]), Credit: parse(r[4], r[5]), Currency: r[5]}
		if diff := cmp.Diff(l, got); diff != "" {
			t.Errorf("row %d (-generated +read back):\n%s", i+1, diff)
		}
		d := r[2]
		odd["comma"] = odd["comma"] || strings.Contains(d, ",")
		odd["quote"] = odd["quote"] || strings.Contains(d, `"`)
		odd["non-ASCII"] = odd["non-ASCII"] || strings.ContainsAny(d, "éë–·")
		odd["formula"] = odd["formula"] || strings.HasPrefix(d, "=") || strings.HasPrefix(d, "@")
		odd["merchant reference"] = odd["merchant reference"] || strings.HasPrefix(r[1], "ORD-")
		odd["IDR thousands"] = odd["IDR thousands"] || r[5] == "IDR" && strings.Count(r[4], ".") >= 2 && strings.HasSuffix(r[4], ",00")
	}
	for _, k := range []string{"comma", "quote", "non-ASCII", "formula", "merchant reference", "IDR thousands"} {
		if !odd[k] {
			t.Errorf("no ledger row with a %s", k)
		}
	}
}

// Read the workbook back and compare cell values with the CSV, as the
// readers will see them.
func TestLedgerXLSX(t *testing.T) {
	_, dir := writeFiles(t, Options{Seed: 1, Orders: 800})
	want := readCSV(t, filepath.Join(dir, LedgerCSVFile))
	f, err := excelize.OpenFile(filepath.Join(dir, LedgerXLSXFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !cmp.Equal(got, []string{LedgerSheet}) {
		t.Fatalf("sheets %v, want [%s]", got, LedgerSheet)
	}
	got, err := f.GetRows(LedgerSheet)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		for len(got[i]) < len(LedgerHeader) {
			got[i] = append(got[i], "") // trailing empty cells are not returned
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("workbook vs CSV (-csv +xlsx):\n%s", diff)
	}
	// Dates are real dates; amounts and references are text.
	raw, err := f.GetRows(LedgerSheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	serial, err := excelize.ExcelDateToTime(mustFloat(t, raw[1][0]), false)
	if err != nil || serial.Format(LedgerDateLayout) != want[1][0] {
		t.Errorf("A2 holds %q (%v), want the serial date of %s", raw[1][0], serial, want[1][0])
	}
	for _, cell := range []string{"B2", "D2", "E2"} {
		typ, err := f.GetCellType(LedgerSheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := f.GetCellValue(LedgerSheet, cell); v != "" && typ != excelize.CellTypeInlineString {
			t.Errorf("%s (%q) has type %v, want an inline string", cell, v, typ)
		}
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	var v float64
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q is not a number: %v", s, err)
	}
	return v
}

func TestExpectedCSV(t *testing.T) {
	ds, dir := writeFiles(t, Options{Seed: 1, Orders: 500})
	rows := readCSV(t, filepath.Join(dir, ExpectedFile))
	if diff := cmp.Diff(ExpectedHeader, rows[0]); diff != "" {
		t.Fatalf("header (-want +got):\n%s", diff)
	}
	var got []Anomaly
	for _, r := range rows[1:] {
		got = append(got, Anomaly{Category: recon.Category(r[0]), OrderUID: r[1], PaymentLinkUID: r[2],
			OxpayTxnID: r[3], MerchantReferenceID: r[4], LedgerRef: r[5], Detail: r[6]})
	}
	if diff := cmp.Diff(ds.Anomalies, got); diff != "" {
		t.Fatalf("expected.csv (-dataset +file):\n%s", diff)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Category < got[i-1].Category {
			t.Errorf("row %d (%s) sorts before row %d (%s)", i+1, got[i].Category, i, got[i-1].Category)
		}
	}
}

func TestWriteFilesEmptyWorld(t *testing.T) {
	_, dir := writeFiles(t, Options{Seed: 1})
	for _, name := range []string{LedgerCSVFile, ExpectedFile} {
		if rows := readCSV(t, filepath.Join(dir, name)); len(rows) != 1 {
			t.Errorf("%s: got %d rows, want the header alone", name, len(rows))
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, WebhooksFile)); err != nil || len(b) != 0 {
		t.Errorf("%s: %d bytes (%v), want none", WebhooksFile, len(b), err)
	}
}
