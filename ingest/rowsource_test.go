package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
)

// The recipe "a new ledger format" (docs/architecture.md), followed once:
// a toy format whose records are lines of field=value pairs split by
// semicolons ("Date=21/11/2026;Reference=...;Credit=1.250.000,00"), the
// first line naming the fields. It is only a rowSource and a
// ledgerFormat; the shared row loop gives it header mapping, parsing,
// input errors, repeated-row counts and batching, and it reads the same
// entries as the CSV export of the same rows.

// pairsSource is the toy format's rowSource.
type pairsSource struct {
	lines []string
	n     int
	data  []byte
}

var _ rowSource = (*pairsSource)(nil)

func (s *pairsSource) next() (record, error) {
	for s.n < len(s.lines) {
		s.n++
		line := s.lines[s.n-1]
		if strings.TrimSpace(line) == "" {
			continue
		}
		var cells []string
		for _, kv := range strings.Split(line, ";") {
			_, v, _ := strings.Cut(kv, "=")
			cells = append(cells, v)
		}
		if s.n == 1 { // the header: the field names
			cells = cells[:0]
			for _, kv := range strings.Split(line, ";") {
				k, _, _ := strings.Cut(kv, "=")
				cells = append(cells, k)
			}
		}
		return record{cells: cells, line: s.n}, nil
	}
	return record{}, io.EOF
}

func (s *pairsSource) header(cells []string) []string { return cells }

func (s *pairsSource) end() (string, int, error) {
	sum := sha256.Sum256(s.data)
	return hex.EncodeToString(sum[:]), len(s.lines), nil
}

func TestNewLedgerFormatIsOnlyItsRowSource(t *testing.T) {
	rows := [][]string{
		{"21/11/2026", "10000001", "Sale", "", "1.250.000,00", "IDR"},
		{"22/11/2026", "10000002", "Refund", "250.000,00", "", "IDR"},
		{"22/11/2026", "10000002", "Refund", "250.000,00", "", "IDR"}, // booked twice: kept twice
		{"23/11/2026", "10000003", "Bad date", "", "5,00", "IDR"},
	}
	header := []string{"Date", "Reference", "Description", "Debit", "Credit", "Currency"}
	var csv, pairs strings.Builder
	csv.WriteString(strings.Join(header, ",") + "\n")
	for i, r := range rows {
		if i == 3 {
			r = append([]string{"31/02/2026"}, r[1:]...)
		}
		q := make([]string, len(r))
		var kv []string
		for j, v := range r {
			q[j] = `"` + v + `"`
			kv = append(kv, header[j]+"="+v)
		}
		csv.WriteString(strings.Join(q, ",") + "\n")
		pairs.WriteString(strings.Join(kv, ";") + "\n")
	}
	pairsText := strings.Join(header, "=;") + "=\n" + pairs.String()

	csvPath := filepath.Join(t.TempDir(), "ledger.csv")
	if err := os.WriteFile(csvPath, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := SandboxLedgerOptions()
	fromCSV, csvRes := readLedger(t, csvPath, opts)

	c := &collector{}
	src := &pairsSource{lines: strings.Split(strings.TrimSuffix(pairsText, "\n"), "\n"), data: []byte(pairsText)}
	res, err := readRows(context.Background(), Result{File: csvPath, Kind: KindLedger}, opts,
		ledgerFormat{sep: ";", empty: "the export is empty"}, src, c)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(entryGists(fromCSV.ledger), entryGists(c.ledger)); d != "" {
		t.Errorf("entries (-csv +pairs):\n%s", d)
	}
	if len(c.errs) != 1 || len(fromCSV.errs) != 1 || c.errs[0].Line != fromCSV.errs[0].Line || c.errs[0].Reason != fromCSV.errs[0].Reason {
		t.Errorf("input errors: csv %+v, pairs %+v; want the same one", fromCSV.errs, c.errs)
	}
	if res.Rows != csvRes.Rows || res.Errors != csvRes.Errors || res.Rows != 3 {
		t.Errorf("results: csv %+v, pairs %+v", csvRes, res)
	}
}

// entryGist is what a ledger entry says, whatever format it came from.
type entryGist struct {
	Booked, Ref, Desc, Cur string
	Amount                 int64
	Line                   int
}

func entryGists(es []recon.LedgerEntry) []entryGist {
	var out []entryGist
	for _, e := range es {
		out = append(out, entryGist{e.BookedOn.Format("2006-01-02"), e.Reference, e.Description, e.Currency, e.AmountMinor, e.SourceLine})
	}
	return out
}
