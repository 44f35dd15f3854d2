package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/recon"
)

// buildWorkbook writes sheets of rows (nil cells left empty) into an
// xlsx in a temp dir. Cell values keep their Go type, so numbers and
// times become numeric cells and strings text cells.
func buildWorkbook(t *testing.T, date1904 bool, sheets map[string][][]any, order ...string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range order {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[name] {
			for c, v := range row {
				if v == nil {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellValue(name, cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	path := filepath.Join(t.TempDir(), "ledger.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

var sandboxHeader = []any{"Date", "Reference", "Description", "Debit", "Credit", "Currency"}

func TestReadLedgerXLSX(t *testing.T) {
	jan15 := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)
	path := buildWorkbook(t, false, map[string][][]any{
		"Ledger": {
			sandboxHeader,
			{"15/01/2024", "TEXT", "text cells", nil, "1.250.000,00", "IDR"},
			{jan15, "NUM", "numeric cells", nil, 1250000, "IDR"},
			{45307, "SERIAL", "date as a plain serial", 99.5, nil, "IDR"},
			{jan15.Add(13 * time.Hour), "DATETIME", "date and time", nil, 0.1 + 0.2, "SGD"},
			{},
			{"15/01/2024", "BAD", "", nil, "lots", "IDR"},
			{"15/01/2024", "SHORT", nil, nil, 5},
			{"15/01/2024", "NEGATIVE", "", nil, -12.5, "SGD"},
			{"15/01/2024", "DECIMALS", "", nil, 1.005, "SGD"},
			{"15/01/2024", "TEXT-THOUSANDS", "", nil, "1.250", "IDR"},
			{"15/01/2024", "NUMERIC-DECIMALS", "", nil, 1.25, "IDR"},
			{"45306", "TEXT-SERIAL", "", nil, 1, "IDR"},
		},
		"Other": {
			{"booking_date", "ref", "memo", "amount", "ccy", "type"},
			{"2024-01-16", "ISO-1", "text", "1,250,000.00", "IDR", "settlement"},
			{jan15, "ISO-2", "numeric", -250000, "IDR", "refund"},
		},
	}, "Ledger", "Other")

	t.Run("first sheet", func(t *testing.T) {
		opts := SandboxLedgerOptions()
		opts.DefaultCurrency = "SGD"
		c, res := readLedger(t, path, opts)
		want := []recon.LedgerEntry{
			{BookedOn: day(2024, 1, 15), Reference: "TEXT", Description: "text cells", Currency: "IDR", AmountMinor: 125000000, Sheet: "Ledger", SourceLine: 2},
			{BookedOn: day(2024, 1, 15), Reference: "NUM", Description: "numeric cells", Currency: "IDR", AmountMinor: 125000000, Sheet: "Ledger", SourceLine: 3},
			{BookedOn: day(2024, 1, 16), Reference: "SERIAL", Description: "date as a plain serial", Currency: "IDR", AmountMinor: -9950, Sheet: "Ledger", SourceLine: 4},
			{BookedOn: day(2024, 1, 15), Reference: "DATETIME", Description: "date and time", Currency: "SGD", AmountMinor: 30, Sheet: "Ledger", SourceLine: 5},
			{BookedOn: day(2024, 1, 15), Reference: "SHORT", Currency: "SGD", AmountMinor: 500, Sheet: "Ledger", SourceLine: 8},
			{BookedOn: day(2024, 1, 15), Reference: "NEGATIVE", Currency: "SGD", AmountMinor: -1250, Sheet: "Ledger", SourceLine: 9},
			// The same digits, a thousand times apart: text is read in the
			// export's format, a number as the number it is.
			{BookedOn: day(2024, 1, 15), Reference: "TEXT-THOUSANDS", Currency: "IDR", AmountMinor: 125000, Sheet: "Ledger", SourceLine: 11},
			{BookedOn: day(2024, 1, 15), Reference: "NUMERIC-DECIMALS", Currency: "IDR", AmountMinor: 125, Sheet: "Ledger", SourceLine: 12},
		}
		if diff := cmp.Diff(want, c.ledger, ignoreDerived); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
		if len(c.errs) != 3 {
			t.Fatalf("got errors %v, want three", c.errs)
		}
		if e := c.errs[2]; e.Line != 13 || !strings.Contains(e.Reason, `Date "45306" does not match the date layout`) {
			t.Errorf("got %+v, want line 13's text date refused", e)
		}
		if e := c.errs[0]; e.Line != 7 || !strings.Contains(e.Reason, `line 7: Credit amount "lots"`) || e.Text != "15/01/2024,BAD,,,lots,IDR" {
			t.Errorf("got %+v, want line 7's bad amount with its cells", e)
		}
		if e := c.errs[1]; e.Line != 10 || !strings.Contains(e.Reason, "3 decimals where the currency allows 2") {
			t.Errorf("got %+v, want line 10's three decimals", e)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		wantRes := Result{File: path, Kind: KindLedger, SHA256: sha256Hex(data), Lines: 13, Rows: 8, Errors: 3}
		if diff := cmp.Diff(wantRes, res); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		if got := c.ledger[1].Raw; got != `["45306","NUM","numeric cells","","1250000","IDR"]` {
			t.Errorf("got Raw %s, want the raw cells", got)
		}
	})

	t.Run("named sheet", func(t *testing.T) {
		opts := isoOptions()
		opts.Sheet = "other" // sheet names match regardless of case, as in Excel
		c, _ := readLedger(t, path, opts)
		want := []recon.LedgerEntry{
			{BookedOn: day(2024, 1, 16), Reference: "ISO-1", Description: "text", TxnType: "settlement", Currency: "IDR", AmountMinor: 125000000, Sheet: "Other", SourceLine: 2},
			{BookedOn: day(2024, 1, 15), Reference: "ISO-2", Description: "numeric", TxnType: "refund", Currency: "IDR", AmountMinor: -25000000, Sheet: "Other", SourceLine: 3},
		}
		if diff := cmp.Diff(want, c.ledger, ignoreDerived); diff != "" || len(c.errs) != 0 {
			t.Errorf("entries (-want +got):\n%s\nerrors %v", diff, c.errs)
		}
	})

	t.Run("missing sheet", func(t *testing.T) {
		opts := SandboxLedgerOptions()
		opts.Sheet = "Nope"
		_, err := ReadLedger(context.Background(), path, opts, Discard)
		if err == nil || !strings.Contains(err.Error(), `no sheet "Nope" (the workbook has "Ledger", "Other")`) || !strings.Contains(err.Error(), path) {
			t.Fatalf("got %v, want an error naming the sheet, the sheets there are and the file", err)
		}
	})

	t.Run("missing mapped column", func(t *testing.T) {
		opts := isoOptions() // the first sheet has the sandbox header
		_, err := ReadLedger(context.Background(), path, opts, Discard)
		if err == nil || !strings.Contains(err.Error(), `"booking_date"`) {
			t.Fatalf("got %v, want the missing column named", err)
		}
	})
}

func TestReadLedgerXLSX1904(t *testing.T) {
	// The same day is serial 45306 from 1900 and 43844 from 1904.
	path := buildWorkbook(t, true, map[string][][]any{
		"Sheet1": {sandboxHeader, {43844, "R", "", nil, 1, "SGD"}},
	}, "Sheet1")
	c, _ := readLedger(t, path, SandboxLedgerOptions())
	if len(c.ledger) != 1 || !c.ledger[0].BookedOn.Equal(day(2024, 1, 15)) {
		t.Fatalf("got %+v %v, want one entry booked 2024-01-15", c.ledger, c.errs)
	}
}

func TestExcelNumber(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"1250000", "1250000", true},
		{"0.30000000000000004", "0.3", true},
		{"1.25E+6", "1250000", true},
		{"-12.5", "-12.5", true},
		{"1e-2", "0.01", true},
		{"1.250.000,00", "", false},
		{"12,5", "", false},
		{"1.", "", false},
		{"", "", false},
		{"1e999", "", false},
	} {
		got, ok := excelNumber(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("excelNumber(%q): got %q, %v, want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
