package ingest

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLedgerDelimiter reads a semicolon-separated export, as Indonesian
// and European spreadsheets write CSV (decimal comma, so amounts need no
// quotes), and the same with tabs and pipes, with the delimiter given and
// with it sniffed from the header.
func TestLedgerDelimiter(t *testing.T) {
	const template = "\ufeffDate{s}Reference{s}\"Description{s} free text\"{s}Debit{s}Credit{s}Currency\r\n" +
		"15/01/2024{s}LNK-0001{s}OxPay settlement, batch 1{s}{s}1.250.000,00{s}IDR\r\n" +
		"16/01/2024{s}LNK-0001-R1{s}\"Refund{s} partial\"{s}250.000,00{s}{s}IDR\r\n"
	tests := []struct {
		name   string
		sep    rune
		delim  rune
		prefix string // lines before the header
	}{
		{"semicolon given", ';', ';', ""},
		{"semicolon sniffed", ';', AutoDelimiter, ""},
		{"tab given", '\t', '\t', ""},
		{"tab sniffed", '\t', AutoDelimiter, ""},
		{"pipe sniffed after blank lines", '|', AutoDelimiter, "\n \r\n|||\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := string(tc.sep)
			data := tc.prefix + strings.ReplaceAll(template, "{s}", s)
			o := SandboxLedgerOptions()
			o.Description = "Description" + s + " free text"
			o.Delimiter = tc.delim
			c, res := readLedger(t, writeFile(t, "ledger.csv", []byte(data)), o)
			first := 2 + strings.Count(tc.prefix, "\n")
			want := []ledgerGist{
				{first, "2024-01-15", "LNK-0001", "OxPay settlement, batch 1", "IDR", 125000000},
				{first + 1, "2024-01-16", "LNK-0001-R1", "Refund" + s + " partial", "IDR", -25000000},
			}
			if d := cmp.Diff(want, ledgerGists(c.ledger)); d != "" || len(c.errs) != 0 {
				t.Errorf("entries (-want +got):\n%s\nerrors %v", d, c.errs)
			}
			if res.Rows != 2 || res.Errors != 0 {
				t.Errorf("got rows/errors %d/%d, want 2/0", res.Rows, res.Errors)
			}
		})
	}
}

// TestLedgerDelimiterSniff: the separator that splits the header line
// into the most fields outside quotes wins; a tie or none is an error
// that says what to set.
func TestLedgerDelimiterSniff(t *testing.T) {
	tests := []struct {
		header string
		want   rune
		err    string
	}{
		{"Date,Reference,Description,Debit,Credit,Currency", ',', ""},
		{"Date;Reference;Description;Debit;Credit;Currency", ';', ""},
		{"Date\tReference\tDescription\tDebit\tCredit\tCurrency", '\t', ""},
		{"Date|Reference|Description|Debit|Credit|Currency", '|', ""},
		// Separators inside quotes do not count.
		{`"Date;1";"Ref, erence";"Desc, ri, ption";Debit;Credit;Currency`, ';', ""},
		{"Date,Reference;Description", 0, "header line 1: as many ',' as ';' (1 each) outside quotes; set ledger.delimiter"},
		{"Date;Reference;Description\tDebit\tCredit|A|B", 0, "header line 1: as many ';' as tab (2 each) outside quotes; set ledger.delimiter"},
		{"Date Reference Description", 0, "header line 1: no ',', ';', tab or '|' outside quotes; set ledger.delimiter"},
		{`"Date,Reference,Description"`, 0, "header line 1: no ',', ';', tab or '|' outside quotes; set ledger.delimiter"},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			got, err := sniffDelimiter([]byte(tc.header + "\r\n15/01/2024;R;d;;1,00;IDR\n"))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got %q, %v; want error %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Run("an unclear header fails the file, naming it", func(t *testing.T) {
		path := writeFile(t, "ledger.csv", []byte("Date Reference\n"))
		o := SandboxLedgerOptions()
		o.Delimiter = AutoDelimiter
		_, err := ReadLedger(context.Background(), path, o, Discard)
		want := "ledger " + path + ": header line 1: no ',', ';', tab or '|' outside quotes; set ledger.delimiter"
		if err == nil || err.Error() != want {
			t.Fatalf("got %v, want %q", err, want)
		}
	})
}

func TestLedgerOptionsDelimiter(t *testing.T) {
	for _, d := range []rune{0, ',', ';', '\t', '|', AutoDelimiter} {
		o := SandboxLedgerOptions()
		o.Delimiter = d
		if err := o.Validate(); err != nil {
			t.Errorf("delimiter %q: %v", d, err)
		}
	}
	for _, d := range []rune{'"', '\n', '\r', -2, 0xFFFD} {
		o := SandboxLedgerOptions()
		o.Delimiter = d
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "cannot be the delimiter") {
			t.Errorf("delimiter %q: got %v, want it refused", d, err)
		}
	}
}
