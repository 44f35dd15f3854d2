package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
)

// update (-update, declared in export_test.go) also rewrites
// testdata/reports/golden.json.

const workbookDir = "../testdata/reports"

// goldenZone is the golden dataset's business zone. A fixed zone keeps
// the test independent of the machine's time zone database.
var goldenZone = time.FixedZone("WIB", 7*3600)

// goldenLinkHosts allows the golden dataset's payment links.
var goldenLinkHosts = []string{"pay.xepeng.example"}

// goldenNow is when the golden workbook says it was written.
var goldenNow = time.Date(2024, 3, 15, 0, 30, 0, 0, time.UTC)

// dataset is testdata/reports/dataset.json: a hand-built store.
type dataset struct {
	BusinessDate string               `json:"business_date"`
	RunStartedAt time.Time            `json:"run_started_at"`
	Orders       []recon.Order        `json:"orders"`
	Links        []recon.PaymentLink  `json:"payment_links"`
	Transactions []recon.Transaction  `json:"transactions"`
	Webhooks     []recon.WebhookEvent `json:"webhook_events"`
	Ledger       []recon.LedgerEntry  `json:"ledger_entries"`
	InputErrors  []recon.InputError   `json:"input_errors"`
	InputFiles   []store.InputFile    `json:"input_files"`
}

// goldenStore loads testdata/reports/dataset.json into a new store and
// runs a match over it, as the CLI would.
func goldenStore(tb testing.TB) (*sqlite.DB, int64) {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(workbookDir, "dataset.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var ds dataset
	if err := json.Unmarshal(raw, &ds); err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "recon.db"), store.DefaultMerchant)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	load, err := db.BeginLoad(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer load.Rollback()
	for _, step := range []func() error{
		func() error { _, err := load.Orders(ds.Orders); return err },
		func() error { _, err := load.PaymentLinks(ds.Links); return err },
		func() error { _, err := load.Transactions(ds.Transactions); return err },
		func() error { _, err := load.WebhookEvents(ds.Webhooks); return err },
		func() error { _, err := load.LedgerEntries(ds.Ledger); return err },
		func() error { _, err := load.InputErrors(ds.InputErrors); return err },
		load.Commit,
	} {
		if err := step(); err != nil {
			tb.Fatal(err)
		}
	}
	for _, f := range ds.InputFiles {
		if err := db.RecordInputFile(ctx, f); err != nil {
			tb.Fatal(err)
		}
	}
	// Started with its final status, so that no clock reading (FinishRun
	// stamps the end with the time of the test) reaches the golden file.
	run, err := db.StartRun(ctx, recon.Run{Command: "match", BusinessDate: ds.BusinessDate, StartedAt: ds.RunStartedAt, Status: recon.RunOK})
	if err != nil {
		tb.Fatal(err)
	}
	opts := match.DefaultOptions()
	opts.Zone = goldenZone
	if _, err := match.Run(ctx, db, run, opts); err != nil {
		tb.Fatal(err)
	}
	return db, run
}

// goldenCell is one non-empty cell as a reader sees it.
type goldenCell struct {
	Sheet   string `json:"sheet"`
	Ref     string `json:"ref"`
	Type    string `json:"type"`
	Value   string `json:"value"` // raw, unformatted
	Format  string `json:"format,omitempty"`
	Formula string `json:"formula,omitempty"`
	Link    string `json:"link,omitempty"`
}

// goldenSheet is what a sheet looks like beyond its cells.
type goldenSheet struct {
	Name   string `json:"name"`
	Panes  string `json:"panes,omitempty"`
	Filter string `json:"filter,omitempty"`
}

var cellTypeNames = map[excelize.CellType]string{
	excelize.CellTypeUnset: "unset", excelize.CellTypeBool: "bool", excelize.CellTypeDate: "date",
	excelize.CellTypeError: "error", excelize.CellTypeFormula: "formula", excelize.CellTypeInlineString: "inlineString",
	excelize.CellTypeNumber: "number", excelize.CellTypeSharedString: "sharedString",
}

// readWorkbook reads every sheet and non-empty cell of a workbook back
// with excelize.
func readWorkbook(tb testing.TB, path string) ([]goldenSheet, []goldenCell) {
	tb.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	filters := map[string]string{}
	for _, d := range f.GetDefinedName() {
		if d.Name == "_xlnm._FilterDatabase" {
			filters[d.Scope] = d.RefersTo
		}
	}
	var sheets []goldenSheet
	var cells []goldenCell
	for _, name := range f.GetSheetList() {
		gs := goldenSheet{Name: name, Filter: filters[name]}
		if p, err := f.GetPanes(name); err == nil && p.Freeze {
			gs.Panes = fmt.Sprintf("frozen above row %d, top left %s", p.YSplit+1, p.TopLeftCell)
		}
		sheets = append(sheets, gs)
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			tb.Fatalf("read %s: %v", name, err)
		}
		for r, row := range rows {
			for c, v := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				formula, _ := f.GetCellFormula(name, ref)
				if v == "" && formula == "" {
					continue
				}
				typ, _ := f.GetCellType(name, ref)
				gc := goldenCell{Sheet: name, Ref: ref, Type: cellTypeNames[typ], Value: v, Formula: formula, Format: cellFormat(tb, f, name, ref)}
				switch {
				case formula != "":
					gc.Type = "formula"
				case typ == excelize.CellTypeUnset:
					gc.Type = "number" // a cell without a type attribute holds a number
				}
				if ok, target, _ := f.GetCellHyperLink(name, ref); ok {
					gc.Link = target
				}
				cells = append(cells, gc)
			}
		}
	}
	return sheets, cells
}

// cellFormat returns the number format of a cell, "" for General.
func cellFormat(tb testing.TB, f *excelize.File, sheet, ref string) string {
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil || id == 0 {
		return ""
	}
	st, err := f.GetStyle(id)
	if err != nil {
		tb.Fatalf("style of %s!%s: %v", sheet, ref, err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	if st.NumFmt != 0 {
		return fmt.Sprintf("builtin %d", st.NumFmt)
	}
	return ""
}

// golden is the expected workbook: sheets, then one cell per line.
type golden struct {
	Sheets []goldenSheet `json:"sheets"`
	Cells  []goldenCell  `json:"cells"`
}

func marshalGolden(g golden) []byte {
	var b bytes.Buffer
	b.WriteString("{\"sheets\": [\n")
	for i, s := range g.Sheets {
		j, _ := json.Marshal(s)
		b.Write(j)
		if i < len(g.Sheets)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("],\n\"cells\": [\n")
	for i, c := range g.Cells {
		j, _ := json.Marshal(c)
		b.Write(j)
		if i < len(g.Cells)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// TestGoldenWorkbook writes the workbook of the hand-built dataset and
// holds every sheet, cell value, type, format, formula and link to
// testdata/reports/golden.json (refresh with -update after checking the
// change is wanted).
func TestGoldenWorkbook(t *testing.T) {
	db, run := goldenStore(t)
	out := filepath.Join(t.TempDir(), "recon.xlsx")
	err := WriteWorkbook(context.Background(), db, run, WorkbookOptions{Path: out, Zone: goldenZone, Now: func() time.Time { return goldenNow }, LinkHosts: goldenLinkHosts})
	if err != nil {
		t.Fatal(err)
	}
	sheets, cells := readWorkbook(t, out)
	got := golden{Sheets: sheets, Cells: cells}
	path := filepath.Join(workbookDir, "golden.json")
	if *update {
		if err := os.WriteFile(path, marshalGolden(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	var want golden
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want.Sheets, got.Sheets); d != "" {
		t.Errorf("sheets differ from %s (-want +got):\n%s", path, d)
	}
	if d := cmp.Diff(want.Cells, got.Cells); d != "" {
		t.Errorf("cells differ from %s (-want +got):\n%s", path, d)
	}
}

// cellOf finds a cell read back by sheet and reference.
func cellOf(cells []goldenCell, sheet, ref string) (goldenCell, bool) {
	for _, c := range cells {
		if c.Sheet == sheet && c.Ref == ref {
			return c, true
		}
	}
	return goldenCell{}, false
}

// findRow returns the 1-based row of the first cell of a sheet whose
// value is v in column col ("A"), or 0.
func findRow(cells []goldenCell, sheet, col, v string) int {
	for _, c := range cells {
		if c.Sheet != sheet || c.Value != v {
			continue
		}
		cc, r, err := excelize.SplitCellName(c.Ref)
		if err == nil && cc == col {
			return r
		}
	}
	return 0
}

// TestGoldenExpectations states what the golden workbook must show, so
// that a -update cannot quietly accept a wrong one.
func TestGoldenExpectations(t *testing.T) {
	db, run := goldenStore(t)
	out := filepath.Join(t.TempDir(), "recon.xlsx")
	if err := WriteWorkbook(context.Background(), db, run, WorkbookOptions{Path: out, Zone: goldenZone, Now: func() time.Time { return goldenNow }, LinkHosts: goldenLinkHosts}); err != nil {
		t.Fatal(err)
	}
	sheets, cells := readWorkbook(t, out)
	var names []string
	for _, s := range sheets {
		names = append(names, s.Name)
	}
	// Category sheets most urgent first, in category order within a
	// severity.
	wantNames := []string{"Summary", "Amount mismatch", "Webhook bad signature", "Ledger missing", "Ledger unmatched",
		"Ledger amount mismatch", "Input errors", "Sales", "Refunds & voids"}
	if d := cmp.Diff(wantNames, names); d != "" {
		t.Fatalf("sheet names (-want +got):\n%s", d)
	}

	t.Run("control is zero when every break is listed", func(t *testing.T) {
		r := findRow(cells, "Summary", "A", "Unexplained")
		if r == 0 {
			t.Fatal("no Unexplained row on Summary")
		}
		for _, col := range []string{"B", "C", "D", "E"} {
			c, ok := cellOf(cells, "Summary", fmt.Sprintf("%s%d", col, r))
			if !ok || c.Value != "0" || c.Type != "number" {
				t.Errorf("Unexplained %s%d: got %+v, want the number 0", col, r, c)
			}
		}
		// The difference itself is not zero: the exceptions explain it.
		d := findRow(cells, "Summary", "A", "Difference (gateway − ledger)")
		if c, _ := cellOf(cells, "Summary", fmt.Sprintf("D%d", d)); c.Value != "5000000" {
			t.Errorf("IDR difference (minor): got %q, want 5000000 (the unbooked sale)", c.Value)
		}
		if c, _ := cellOf(cells, "Summary", fmt.Sprintf("E%d", d)); c.Value != "-490" {
			t.Errorf("SGD difference (minor): got %q, want -490 (10 cents short, 5.00 unmatched)", c.Value)
		}
	})

	tests := []struct {
		name, sheet, ref string
		want             goldenCell
	}{
		{"IDR amount in major units without decimals", "Amount mismatch", "D3",
			goldenCell{Type: "number", Value: "250000", Format: "#,##0;[Red](#,##0)"}},
		{"IDR difference negative, red in brackets", "Amount mismatch", "F3",
			goldenCell{Type: "number", Value: "-10000", Format: "#,##0;[Red](#,##0)"}},
		{"exact minor units beside it", "Amount mismatch", "T3",
			goldenCell{Type: "number", Value: "-1000000", Format: "#,##0;[Red](#,##0)"}},
		{"SGD amount with two decimals", "Ledger amount mismatch", "E3",
			goldenCell{Type: "number", Value: "39.9", Format: "#,##0.00;[Red](#,##0.00)"}},
		{"totals row per currency over the visible rows", "Ledger amount mismatch", "F1",
			goldenCell{Type: "formula", Value: "-0.1", Format: "#,##0.00;[Red](#,##0.00)", Formula: "SUBTOTAL(109,F3:F3)"}},
		{"a ledger reference that looks like a formula stays text", "Ledger unmatched", "J3",
			goldenCell{Type: "inlineString", Value: "=1+1"}},
		{"paid at as a date in the zone", "Amount mismatch", "V3",
			goldenCell{Type: "number", Value: "45365.458333333336", Format: "yyyy-mm-dd hh:mm:ss"}},
		{"payment link uid links to its URL", "Amount mismatch", "Q3",
			goldenCell{Type: "formula", Value: "plk_A002", Formula: `HYPERLINK("https://pay.xepeng.example/l/plk_A002","plk_A002")`}},
		{"a link without a URL is plain text", "Ledger missing", "Q3",
			goldenCell{Type: "inlineString", Value: "plk_A005"}},
		{"input error text kept as read", "Input errors", "F3",
			goldenCell{Type: "inlineString", Value: "-1;+1;\tTAB"}},
		{"Status column for finance", "Sales", "N3",
			goldenCell{Type: "inlineString", Value: "Status"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := cellOf(cells, tc.sheet, tc.ref)
			if !ok {
				t.Fatalf("%s!%s is empty", tc.sheet, tc.ref)
			}
			got.Sheet, got.Ref, got.Link = "", "", ""
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("%s!%s (-want +got):\n%s", tc.sheet, tc.ref, d)
			}
		})
	}

	t.Run("every data sheet has a frozen header and a filter", func(t *testing.T) {
		for _, s := range sheets[1:] {
			if s.Panes == "" || s.Filter == "" {
				t.Errorf("sheet %s: panes %q, filter %q; want both", s.Name, s.Panes, s.Filter)
			}
			if !strings.Contains(s.Filter, s.Name) {
				t.Errorf("sheet %s: filter %q is not on the sheet", s.Name, s.Filter)
			}
		}
	})
}
