package ingest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
)

// isoOptions maps the second documented example, ledger-iso.csv: ISO
// dates, 1,250,000.00 amounts and one signed amount column.
func isoOptions() LedgerOptions {
	return LedgerOptions{
		Date: "booking_date", Reference: "ref", Description: "memo", Amount: "amount",
		Currency: "ccy", TxnType: "type",
		DateLayout: "2006-01-02", Decimal: '.', Thousands: ',',
	}
}

func readLedger(t *testing.T, path string, opts LedgerOptions) (*collector, Result) {
	t.Helper()
	c := &collector{}
	res, err := ReadLedger(context.Background(), path, opts, c)
	if err != nil {
		t.Fatalf("ReadLedger: %v", err)
	}
	return c, res
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// ignoreDerived leaves out the fields checked by their own tests.
var ignoreDerived = cmpopts.IgnoreFields(recon.LedgerEntry{}, "RowHash", "Raw", "SourceFile")

func TestReadLedgerFixtures(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		opts  LedgerOptions
		want  []recon.LedgerEntry
		lines int
	}{
		{
			name: "sandbox", file: "ledger-sandbox.csv", opts: SandboxLedgerOptions(), lines: 6,
			want: []recon.LedgerEntry{
				{BookedOn: day(2024, 1, 15), Reference: "LNK-0001", Description: "OxPay settlement 10001396", Currency: "IDR", AmountMinor: 125000000, SourceLine: 2},
				{BookedOn: day(2024, 1, 15), Reference: "LNK-0002", Description: "OxPay settlement 10001397", Currency: "IDR", AmountMinor: 9990000, SourceLine: 3},
				{BookedOn: day(2024, 1, 16), Reference: "LNK-0001-R1", Description: "Refund 10001400", Currency: "IDR", AmountMinor: -25000000, SourceLine: 4},
				{BookedOn: day(2024, 1, 16), Reference: "FEE-2024-01", Description: "Gateway fees, January", Currency: "IDR", AmountMinor: -1250050, SourceLine: 5},
				{BookedOn: day(2024, 1, 17), Reference: "LNK-0003", Description: "Card payment", Currency: "SGD", AmountMinor: 12550, SourceLine: 6},
			},
		},
		{
			name: "iso", file: "ledger-iso.csv", opts: isoOptions(), lines: 5,
			want: []recon.LedgerEntry{
				{BookedOn: day(2024, 1, 15), Reference: "LNK-0001", Description: "OxPay settlement 10001396", TxnType: "settlement", Currency: "IDR", AmountMinor: 125000000, SourceLine: 2},
				{BookedOn: day(2024, 1, 16), Reference: "LNK-0001-R1", Description: "Refund 10001400", TxnType: "refund", Currency: "IDR", AmountMinor: -25000000, SourceLine: 3},
				{BookedOn: day(2024, 1, 16), Reference: "FEE-2024-01", Description: "Gateway fees", TxnType: "fee", Currency: "SGD", AmountMinor: -1250, SourceLine: 4},
				{BookedOn: day(2024, 1, 17), Reference: "LNK-0004", Description: "Yen payment", TxnType: "settlement", Currency: "JPY", AmountMinor: 1500, SourceLine: 5},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "ingest", tc.file)
			c, res := readLedger(t, path, tc.opts)
			if diff := cmp.Diff(tc.want, c.ledger, ignoreDerived); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if len(c.errs) != 0 {
				t.Errorf("got input errors %v, want none", c.errs)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := Result{File: path, Kind: KindLedger, SHA256: sha256Hex(data), Lines: tc.lines, Rows: len(tc.want)}
			if diff := cmp.Diff(want, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			for _, e := range c.ledger {
				if e.SourceFile != path || e.Sheet != "" || len(e.RowHash) != 32 {
					t.Errorf("got file %q sheet %q hash %q, want %q, no sheet, a 128-bit key", e.SourceFile, e.Sheet, e.RowHash, path)
				}
			}
			// Re-reading gives the very same rows and keys.
			again, _ := readLedger(t, path, tc.opts)
			if diff := cmp.Diff(c.ledger, again.ledger); diff != "" {
				t.Errorf("second read differs (-first +second):\n%s", diff)
			}
		})
	}
}

// ledgerCSV writes a sandbox-format export with the given data rows.
func ledgerCSV(t *testing.T, rows ...string) string {
	return writeLines(t, "ledger.csv", append([]string{"Date,Reference,Description,Debit,Credit,Currency"}, rows...)...)
}

func TestLedgerAmounts(t *testing.T) {
	tests := []struct {
		name  string
		row   string
		opts  func(*LedgerOptions)
		want  int64
		error string // a fragment of the reason; "" when the row loads
	}{
		{name: "credit with thousands", row: `15/01/2024,R,,,"1.250.000,00",IDR`, want: 125000000},
		{name: "credit without separators", row: `15/01/2024,R,,,1250000,IDR`, want: 125000000},
		{name: "credit with one decimal", row: `15/01/2024,R,,,"10,5",IDR`, want: 1050},
		{name: "debit is negative", row: `15/01/2024,R,,"1.000,00",,IDR`, want: -100000},
		{name: "debit with zero credit", row: `15/01/2024,R,,"1.000,00","0,00",IDR`, want: -100000},
		{name: "negative credit", row: `15/01/2024,R,,,"-1.000,00",IDR`, want: -100000},
		{name: "accounting negative credit", row: `15/01/2024,R,,,"(1.000,00)",IDR`, want: -100000},
		{name: "trailing minus", row: `15/01/2024,R,,,"1.000,00-",IDR`, want: -100000},
		{name: "spaces around", row: `15/01/2024,R,,," 1.000,00 ",IDR`, want: 100000},
		{name: "zero-exponent currency", row: `15/01/2024,R,,,1.500,JPY`, want: 1500},
		{name: "trailing zero decimals beyond the exponent", row: `15/01/2024,R,,,"1.500,00",JPY`, want: 1500},
		{name: "lower-case currency", row: `15/01/2024,R,,,"1,00",sgd`, want: 100},
		{name: "default currency", row: `15/01/2024,R,,,"1,00",`, opts: func(o *LedgerOptions) { o.DefaultCurrency = "SGD" }, want: 100},
		{name: "exponent cap rejects decimals", row: `15/01/2024,R,,,"1,50",IDR`, opts: func(o *LedgerOptions) { o.Exponents = map[string]int{"IDR": 0} }, error: "2 decimals where the currency allows 0"},
		{name: "exponent cap allows whole amounts", row: `15/01/2024,R,,,"1.500",IDR`, opts: func(o *LedgerOptions) { o.Exponents = map[string]int{"IDR": 0} }, want: 150000},
		{name: "too many decimals", row: `15/01/2024,R,,,"1,505",IDR`, error: "Credit amount \"1,505\": 3 decimals where the currency allows 2"},
		{name: "decimals on a zero-exponent currency", row: `15/01/2024,R,,,"1,5",JPY`, error: "1 decimals where the currency allows 0"},
		{name: "both debit and credit", row: `15/01/2024,R,,"1,00","2,00",IDR`, error: "both Debit and Credit have an amount"},
		{name: "neither debit nor credit", row: `15/01/2024,R,,,,IDR`, error: "neither Debit nor Credit has an amount"},
		{name: "not a number", row: `15/01/2024,R,,,abc,IDR`, error: `Credit amount "abc": unexpected character`},
		{name: "dot format in a comma export", row: `15/01/2024,R,,,"1,250,000.00",IDR`, error: "Credit amount"},
		{name: "beyond int64", row: `15/01/2024,R,,,"99.999.999.999.999.999.999,00",IDR`, error: "out of range"},
		{name: "unknown currency", row: `15/01/2024,R,,,"1,00",XXX`, error: `unknown currency "XXX"`},
		{name: "no currency", row: `15/01/2024,R,,,"1,00",`, error: "no currency: the Currency cell is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := SandboxLedgerOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			c, _ := readLedger(t, ledgerCSV(t, tc.row), opts)
			if tc.error != "" {
				if len(c.errs) != 1 || !strings.Contains(c.errs[0].Reason, tc.error) {
					t.Fatalf("got errors %v, want one containing %q", c.errs, tc.error)
				}
				if !strings.HasPrefix(c.errs[0].Reason, "line 2: ") {
					t.Errorf("got reason %q, want it to start with line 2", c.errs[0].Reason)
				}
				return
			}
			if len(c.ledger) != 1 || len(c.errs) != 0 {
				t.Fatalf("got entries %v and errors %v, want one entry", c.ledger, c.errs)
			}
			if got := c.ledger[0].AmountMinor; got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestLedgerDates(t *testing.T) {
	tests := []struct {
		name, layout, cell string
		want               time.Time
		error              string
	}{
		{name: "DD/MM/YYYY", layout: "02/01/2006", cell: "31/01/2024", want: day(2024, 1, 31)},
		{name: "ISO", layout: "2006-01-02", cell: "2024-02-29", want: day(2024, 2, 29)},
		{name: "with a time of day", layout: "2006-01-02 15:04", cell: "2024-02-29 23:59", want: day(2024, 2, 29)},
		{name: "spaces around", layout: "2006-01-02", cell: " 2024-02-29 ", want: day(2024, 2, 29)},
		{name: "year 2000", layout: "2006-01-02", cell: "2000-01-01", want: day(2000, 1, 1)},
		{name: "year 2100", layout: "2006-01-02", cell: "2100-12-31", want: day(2100, 12, 31)},
		{name: "wrong layout", layout: "02/01/2006", cell: "2024-01-31", error: `Date "2024-01-31" does not match the date layout DD/MM/YYYY`},
		{name: "no such day", layout: "2006-01-02", cell: "2023-02-29", error: "does not match"},
		{name: "empty", layout: "2006-01-02", cell: "", error: "Date is empty"},
		{name: "year 0001", layout: "2006-01-02", cell: "0001-01-01", error: "outside the years 2000 to 2100"},
		{name: "year 9999", layout: "2006-01-02", cell: "9999-12-31", error: "outside the years 2000 to 2100"},
		{name: "serial number in a CSV", layout: "2006-01-02", cell: "45306", error: "does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := SandboxLedgerOptions()
			opts.DateLayout = tc.layout
			c, _ := readLedger(t, ledgerCSV(t, tc.cell+`,R,,,"1,00",IDR`), opts)
			if tc.error != "" {
				if len(c.errs) != 1 || !strings.Contains(c.errs[0].Reason, tc.error) {
					t.Fatalf("got errors %v, want one containing %q", c.errs, tc.error)
				}
				return
			}
			if len(c.ledger) != 1 {
				t.Fatalf("got errors %v, want one entry", c.errs)
			}
			if got := c.ledger[0].BookedOn; !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLedgerInputErrors(t *testing.T) {
	const good = `15/01/2024,GOOD,,,"1,00",IDR`
	tests := []struct {
		name   string
		row    string
		line   int
		reason string
	}{
		{"too few fields", `15/01/2024,R,,"1,00",IDR`, 2, "line 2: 5 fields where the header has 6"},
		{"too many fields", `15/01/2024,R,,,"1,00",IDR,extra`, 2, "line 2: 7 fields where the header has 6"},
		{"bad date", `2024-01-15,R,,,"1,00",IDR`, 2, "line 2: Date \"2024-01-15\" does not match"},
		{"bad amount", `15/01/2024,R,,,"1.2.3,00",IDR`, 2, "line 2: Credit amount \"1.2.3,00\": misplaced thousands separator"},
		{"too many decimals", `15/01/2024,R,,,"1,001",IDR`, 2, "3 decimals where the currency allows 2"},
		{"unknown currency", `15/01/2024,R,,,"1,00",RUP`, 2, `line 2: unknown currency "RUP"`},
		{"invalid UTF-8", "15/01/2024,R,caf\xe9,,\"1,00\",IDR", 2, "line 2: column 3 is not valid UTF-8"},
		{"NUL byte", "15/01/2024,R,a\x00b,,\"1,00\",IDR", 2, "line 2: column 3 holds a NUL byte"},
		{"bare quote", `15/01/2024,R,say "hi",,"1,00",IDR`, 2, `line 2: broken CSV: bare " in non-quoted-field`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := ledgerCSV(t, tc.row, good)
			c, res := readLedger(t, path, SandboxLedgerOptions())
			if len(c.errs) != 1 {
				t.Fatalf("got errors %v, want one", c.errs)
			}
			e := c.errs[0]
			if !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("got reason %q, want it to contain %q", e.Reason, tc.reason)
			}
			if e.Source != "ledger" || e.File != path || e.Line != tc.line || e.Text == "" || len(e.Text) > 200 {
				t.Errorf("got %+v, want source ledger, file %s, line %d and the row's text", e, path, tc.line)
			}
			// The row after the bad one still loads, with its own line.
			if len(c.ledger) != 1 || c.ledger[0].Reference != "GOOD" {
				t.Fatalf("got entries %+v, want the good row", c.ledger)
			}
			wantLine := 3 + strings.Count(tc.row, "\n")
			if c.ledger[0].SourceLine != wantLine {
				t.Errorf("got the good row on line %d, want %d", c.ledger[0].SourceLine, wantLine)
			}
			if res.Rows != 1 || res.Errors != 1 {
				t.Errorf("got rows/errors %d/%d, want 1/1", res.Rows, res.Errors)
			}
		})
	}
	t.Run("error text is the row", func(t *testing.T) {
		c, _ := readLedger(t, ledgerCSV(t, `15/01/2024,R,"a, b",,"1,00",XXX`), SandboxLedgerOptions())
		if len(c.errs) != 1 || c.errs[0].Text != `15/01/2024,R,a, b,,1,00,XXX` {
			t.Fatalf("got %v, want the row's fields joined with commas", c.errs)
		}
	})
	t.Run("broken CSV text is the raw line", func(t *testing.T) {
		c, _ := readLedger(t, ledgerCSV(t, `15/01/2024,R,say "hi",,"1,00",IDR`), SandboxLedgerOptions())
		if len(c.errs) != 1 || c.errs[0].Text != `15/01/2024,R,say "hi",,"1,00",IDR` {
			t.Fatalf("got %v, want the line as written", c.errs)
		}
	})
}

func TestLedgerHeader(t *testing.T) {
	t.Run("BOM, case and spaces", func(t *testing.T) {
		path := writeFile(t, "ledger.csv", []byte("\xEF\xBB\xBF DATE ,reference,Description, debit,CREDIT,currency\r\n15/01/2024,R,,,\"1,00\",IDR\r\n"))
		c, res := readLedger(t, path, SandboxLedgerOptions())
		if len(c.ledger) != 1 || c.ledger[0].AmountMinor != 100 {
			t.Fatalf("got %v %v, want one entry of 100", c.ledger, c.errs)
		}
		if res.Lines != 2 {
			t.Errorf("got %d lines, want 2", res.Lines)
		}
	})
	t.Run("columns in another order, extra columns, blank lines", func(t *testing.T) {
		path := writeFile(t, "ledger.csv", []byte("Currency,Note,Credit,Debit,Date,Reference,Description\n\n,,,,,,\nIDR,x,\"2,00\",,15/01/2024,R,D\n"))
		c, _ := readLedger(t, path, SandboxLedgerOptions())
		want := []recon.LedgerEntry{{BookedOn: day(2024, 1, 15), Reference: "R", Description: "D", Currency: "IDR", AmountMinor: 200, SourceLine: 4}}
		if diff := cmp.Diff(want, c.ledger, ignoreDerived); diff != "" || len(c.errs) != 0 {
			t.Errorf("entries (-want +got):\n%s\nerrors %v", diff, c.errs)
		}
	})
	t.Run("missing mapped columns", func(t *testing.T) {
		path := writeLines(t, "ledger.csv", "Date,Reference,Description,Amount,Currency", `15/01/2024,R,,"1,00",IDR`)
		_, err := ReadLedger(context.Background(), path, SandboxLedgerOptions(), Discard)
		var mc *MissingColumnsError
		if !errors.As(err, &mc) {
			t.Fatalf("got %v, want a MissingColumnsError", err)
		}
		if !cmp.Equal(mc.Missing, []string{"Debit", "Credit"}) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"Debit", "Credit"`) {
			t.Errorf("got %v (missing %v), want Debit and Credit named with the file", err, mc.Missing)
		}
	})
	t.Run("duplicate mapped column", func(t *testing.T) {
		path := writeLines(t, "ledger.csv", "Date,Reference,Description,Debit,Credit,Currency,credit")
		_, err := ReadLedger(context.Background(), path, SandboxLedgerOptions(), Discard)
		if err == nil || !strings.Contains(err.Error(), `"Credit" appears more than once`) {
			t.Fatalf("got %v, want a duplicate column error", err)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		// An input error, so that the other files still load: see hostile_test.go.
		c, res := readLedger(t, writeFile(t, "ledger.csv", nil), SandboxLedgerOptions())
		if len(c.ledger) != 0 || len(c.errs) != 1 || res.Errors != 1 || !strings.Contains(c.errs[0].Reason, "no header row") {
			t.Fatalf("got %+v and errors %v, want one no-header input error", res, c.errs)
		}
	})
	t.Run("header only", func(t *testing.T) {
		c, res := readLedger(t, ledgerCSV(t), SandboxLedgerOptions())
		if len(c.ledger)+len(c.errs) != 0 || res.Rows != 0 || res.Lines != 1 {
			t.Fatalf("got %+v, want nothing read from one line", res)
		}
	})
}

func TestLedgerFileErrors(t *testing.T) {
	tests := []struct {
		name string
		path func(t *testing.T) string
		opts LedgerOptions
		want string
	}{
		{"missing CSV", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.csv") }, SandboxLedgerOptions(), "nope.csv"},
		{"missing XLSX", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.xlsx") }, SandboxLedgerOptions(), "nope.xlsx"},
		{"unsupported extension", func(t *testing.T) string { return writeFile(t, "ledger.txt", []byte("x")) }, SandboxLedgerOptions(), `unsupported format ".txt"`},
		{"not a workbook", func(t *testing.T) string { return writeFile(t, "ledger.xlsx", []byte("plain text")) }, SandboxLedgerOptions(), "not a readable xlsx workbook"},
		{"invalid options", func(t *testing.T) string { return ledgerCSV(t) }, LedgerOptions{Amount: "a", Debit: "d", Decimal: '.', Thousands: '.'}, "the date column is not mapped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path(t)
			_, err := ReadLedger(context.Background(), path, tc.opts, Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want an error naming %s and containing %q", err, path, tc.want)
			}
		})
	}
	t.Run("missing file is fs.ErrNotExist", func(t *testing.T) {
		_, err := ReadLedger(context.Background(), filepath.Join(t.TempDir(), "nope.csv"), SandboxLedgerOptions(), Discard)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("got %v, want fs.ErrNotExist", err)
		}
	})
}

func TestLedgerOptionsValidate(t *testing.T) {
	if err := SandboxLedgerOptions().Validate(); err != nil {
		t.Errorf("sandbox options: got %v, want valid", err)
	}
	if err := isoOptions().Validate(); err != nil {
		t.Errorf("iso options: got %v, want valid", err)
	}
	bad := LedgerOptions{Amount: "a", Debit: "d", Decimal: ',', Thousands: ',', DefaultCurrency: "XXX", Exponents: map[string]int{"IDR": 12}}
	err := bad.Validate()
	for _, want := range []string{
		"the date column is not mapped", "not both", "date layout is empty", "both ','",
		`unknown default currency "XXX"`, "exponent 12 for IDR",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to mention %q", err, want)
		}
	}
}

func TestLedgerRowHash(t *testing.T) {
	rows := []string{
		`15/01/2024,A,,,"1,00",IDR`,
		`15/01/2024,B,,,"2,00",IDR`,
		`15/01/2024,B,,,"2,00",IDR`, // booked twice on purpose
		`16/01/2024,C,,,"3,00",IDR`,
	}
	first, _ := readLedger(t, ledgerCSV(t, rows...), SandboxLedgerOptions())
	if len(first.ledger) != 4 {
		t.Fatalf("got %d entries, want 4", len(first.ledger))
	}
	h := func(es []recon.LedgerEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.RowHash)
		}
		return out
	}
	got := h(first.ledger)
	if got[1] == got[2] {
		t.Error("two identical rows in one file share a RowHash; want both kept")
	}

	// An overlapping export (rows B, B, C and a new D) written differently
	// (other spacing, no thousands, a description spelled the same)
	// repeats the hashes of the rows it shares.
	second, _ := readLedger(t, ledgerCSV(t,
		` 15/01/2024 ,B,,,"2,00",IDR`,
		`15/01/2024,B,,,2,IDR`,
		`16/01/2024,C,,,"3,00",idr`,
		`17/01/2024,D,,,"4,00",IDR`,
	), SandboxLedgerOptions())
	if diff := cmp.Diff(got[1:], h(second.ledger)[:3]); diff != "" {
		t.Errorf("shared rows hash differently (-first +second):\n%s", diff)
	}
	if e := second.ledger[0]; e.Raw != `[" 15/01/2024 ","B","","","2,00","IDR"]` {
		t.Errorf("got Raw %s, want the cells as read", e.Raw)
	}
}

func TestJSONStrings(t *testing.T) {
	got := jsonStrings([]string{"a\"b", `c\d`, "tab\there", "new\nline", "\x01", "<é>"})
	want := `["a\"b","c\\d","tab\there","new\nline","\u0001","<é>"]`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestLedgerFee: the optional fee column states what the gateway kept
// from a deposit, in the amounts' format; an empty cell states none, a
// bad or negative one is an input error naming the line, and a row
// without a fee keeps the row hash it had before the column existed.
func TestLedgerFee(t *testing.T) {
	path := writeLines(t, "ledger.csv", "Date,Reference,Description,Debit,Credit,Currency,Fee",
		`23/11/2026,STL-1,OXPAY SETTLEMENT 2026-11-20 IDR,,"41.377.250,00",IDR,"1.250.000,00"`,
		`23/11/2026,STL-2,OXPAY SETTLEMENT 2026-11-20 SGD,,"120,00",SGD,`,
		`23/11/2026,STL-3,bad fee,,"120,00",SGD,"1,2,3"`,
		`23/11/2026,STL-4,negative fee,,"120,00",SGD,"-1,00"`)
	opts := SandboxLedgerOptions()
	opts.Fee = "Fee"
	c, _ := readLedger(t, path, opts)
	fee := int64(125_000_000)
	want := []recon.LedgerEntry{
		{BookedOn: day(2026, 11, 23), Reference: "STL-1", Description: "OXPAY SETTLEMENT 2026-11-20 IDR", Currency: "IDR", AmountMinor: 4_137_725_000, FeeMinor: &fee, SourceLine: 2},
		{BookedOn: day(2026, 11, 23), Reference: "STL-2", Description: "OXPAY SETTLEMENT 2026-11-20 SGD", Currency: "SGD", AmountMinor: 12_000, SourceLine: 3},
	}
	if d := cmp.Diff(want, c.ledger, ignoreDerived); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	var reasons []string
	for _, e := range c.errs {
		reasons = append(reasons, e.Reason)
	}
	if len(reasons) != 2 || !strings.HasPrefix(reasons[0], "line 4: Fee amount") || !strings.HasPrefix(reasons[1], "line 5: Fee -1,00 is negative") {
		t.Errorf("input errors %q, want line 4's bad fee and line 5's negative one", reasons)
	}
	// The row without a fee hashes as it did without the column.
	plain := ledgerCSV(t, `23/11/2026,STL-2,OXPAY SETTLEMENT 2026-11-20 SGD,,"120,00",SGD`)
	c2, _ := readLedger(t, plain, SandboxLedgerOptions())
	if len(c2.ledger) != 1 || c2.ledger[0].RowHash != c.ledger[1].RowHash {
		t.Errorf("row hash of a row without a fee: %v, want %s", c2.ledger, c.ledger[1].RowHash)
	}
}
