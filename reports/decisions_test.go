package reports

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/decide"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store/sqlite"
)

// decideAll records one decision for each exception of a run, on the
// money it has, chained as an import chains them.
func decideAll(t *testing.T, db *sqlite.DB, run int64, state func(*recon.Exception) recon.DecisionState) {
	t.Helper()
	ctx := context.Background()
	es, err := db.Exceptions(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.GetRun(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var ds []recon.Decision
	head := ""
	for i := range es {
		x := &es[i]
		k := recon.ExceptionKey(x)
		s := state(x)
		if seen[k] || s == "" {
			continue
		}
		seen[k] = true
		d := recon.Decision{Seq: int64(len(ds) + 1), Merchant: db.Merchant(), ExceptionKey: k, Category: x.Category,
			BusinessDate: r.BusinessDate, RunID: run, Currency: x.Currency, ExpectedMinor: x.ExpectedMinor,
			ActualMinor: x.ActualMinor, DifferenceMinor: x.DifferenceMinor, Decision: s, Note: "test",
			DecidedBy: "test", DecidedAt: time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC), SourceFile: "test.csv",
			SourceSHA256: strings.Repeat("0", 64)}
		decide.Seal(&d, head)
		head = d.Hash
		ds = append(ds, d)
	}
	if err := db.AppendDecisions(ctx, ds); err != nil {
		t.Fatal(err)
	}
}

// TestControlWithDecisions: exceptions finance accepted or wrote off
// move their share of the control from "explained by the exceptions"
// to "explained by decision", and nothing else: the nets, the
// difference and the unexplained rest stay as they were.
func TestControlWithDecisions(t *testing.T) {
	db, run, _ := worldStore(t, gen.Options{Seed: 9, Orders: 3000, AnomalyRate: 0.2, Days: 7})
	before := controlOf(t, db, run)
	decideAll(t, db, run, func(x *recon.Exception) recon.DecisionState {
		if x.Category == recon.InputErrorCategory {
			return recon.DecisionInvestigating // explains nothing
		}
		return recon.DecisionAccepted
	})
	after := controlOf(t, db, run)
	if len(after) != len(before) {
		t.Fatalf("%d control lines, want %d", len(after), len(before))
	}
	moved := false
	for i, b := range before {
		a := after[i]
		if b.ExplainedByDecision != 0 {
			t.Errorf("%s: explained by decision %d before any decision", b.Currency, b.ExplainedByDecision)
		}
		want := b
		want.Explained, want.ExplainedByDecision = 0, b.Explained
		if d := cmp.Diff(want, a); d != "" {
			t.Errorf("%s: every exception accepted (-want +got):\n%s", b.Currency, d)
		}
		moved = moved || a.ExplainedByDecision != 0
	}
	if !moved {
		t.Errorf("nothing explained by decision: %+v", after)
	}
}

// TestReadDecisionsRoundTrip writes a workbook, decides in it as
// finance would (with excelize: a decision and note on one row, a note
// alone on another) and reads it back: the run it names, and each
// decided row by sheet, row, category and key.
func TestReadDecisionsRoundTrip(t *testing.T) {
	db, run := goldenStore(t)
	ctx := context.Background()
	book := filepath.Join(t.TempDir(), "recon.xlsx")
	if err := WriteWorkbook(ctx, db, run, WorkbookOptions{Path: book, Zone: goldenZone, Now: func() time.Time { return goldenNow }, LinkHosts: goldenLinkHosts}); err != nil {
		t.Fatal(err)
	}
	r, err := db.GetRun(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	sheet := CategorySheetName(recon.LedgerUnmatched)
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	header := 0
	cols := map[string]int{}
	for i, row := range rows {
		if len(row) > 1 && row[1] == "Detail" {
			header = i + 1
			for c, v := range row {
				cols[v] = c
			}
			break
		}
	}
	if header == 0 || len(rows) < header+1 {
		t.Fatalf("sheet %s has no header row or no exception", sheet)
	}
	set := func(row int, h, v string) {
		ref, _ := excelize.CoordinatesToCellName(cols[h]+1, row)
		if err := f.SetCellStr(sheet, ref, v); err != nil {
			t.Fatal(err)
		}
	}
	first := header + 1
	set(first, HeaderDecision, "Written off")
	set(first, HeaderNote, "bank fee\r\nbooked 3 Dec")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	f.Close()

	id, got, err := ReadDecisions(bytes.NewReader(buf.Bytes()), "finance.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if !id.SameRun(r) || id.Merchant != db.Merchant() {
		t.Errorf("workbook id %+v, want run %d of %s, merchant %s", id, r.ID, r.BusinessDate, db.Merchant())
	}
	var decided []decide.Row
	keys := 0
	for _, row := range got {
		if row.Key == "" {
			t.Errorf("%s: a row without its key", row.Where())
		}
		keys++
		if row.Decision != "" || row.Note != "" {
			decided = append(decided, row)
		}
	}
	want := []decide.Row{{Sheet: sheet, Row: first, Category: recon.LedgerUnmatched, Key: rows[first-1][cols[HeaderKey]],
		Decision: "Written off", Note: "bank fee\r\nbooked 3 Dec"}}
	if d := cmp.Diff(want, decided); d != "" {
		t.Errorf("decided rows (-want +got):\n%s", d)
	}
	es, err := db.Exceptions(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if keys != len(es) {
		t.Errorf("%d rows with a key, want one per exception: %d", keys, len(es))
	}
}

// TestReadDecisionsRefuses: a file that is not a workbook, and one
// without the defined name that names the run, are refused as such.
func TestReadDecisionsRefuses(t *testing.T) {
	if _, _, err := ReadDecisions(strings.NewReader("key,decision,note\n"), "d.xlsx"); err == nil || !strings.Contains(err.Error(), "d.xlsx: not an .xlsx workbook") {
		t.Errorf("a CSV named .xlsx: %v", err)
	}
	f := excelize.NewFile()
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadDecisions(&buf, "blank.xlsx"); !errors.Is(err, ErrNotRecon) || !strings.Contains(err.Error(), "blank.xlsx") {
		t.Errorf("a blank workbook: %v, want ErrNotRecon naming the file", err)
	}
}

// TestWorkbookIDRoundTrip: the defined name reads back as written,
// with or without the quotes and equals sign Excel and Calc add.
func TestWorkbookIDRoundTrip(t *testing.T) {
	id := WorkbookID{Merchant: "acme-id", Date: "2026-12-03", RunID: 42, Started: time.Date(2026, 12, 3, 17, 1, 2, 345678000, time.UTC)}
	for _, s := range []string{id.String(), `"` + id.String() + `"`, `="` + id.String() + `"`} {
		got, ok := parseWorkbookID(s)
		if !ok || got != id {
			t.Errorf("parseWorkbookID(%q) = %+v, %v; want %+v", s, got, ok, id)
		}
	}
	for _, s := range []string{"", "reconkit workbook v1", "reconkit workbook v1 merchant=a date=2026-12-03 run=x started=2026-12-03T00:00:00Z",
		"reconkit workbook v1 merchant=a date=2026-12-03 run=0 started=2026-12-03T00:00:00Z"} {
		if got, ok := parseWorkbookID(s); ok {
			t.Errorf("parseWorkbookID(%q) = %+v, want refused", s, got)
		}
	}
}

// FuzzParseWorkbookID: whatever a defined name holds, the parse
// neither panics nor takes a WorkbookID without its four parts.
func FuzzParseWorkbookID(f *testing.F) {
	f.Add(WorkbookID{Merchant: "m", Date: "2026-12-03", RunID: 1, Started: time.Unix(0, 0)}.String())
	f.Add(`="reconkit workbook v1 merchant= date= run=-1 started="`)
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := parseWorkbookID(s)
		if ok && (id.Merchant == "" || id.Date == "" || id.RunID <= 0 || id.Started.IsZero()) {
			t.Errorf("parseWorkbookID(%q) = %+v, taken without every part", s, id)
		}
	})
}

// FuzzSheetDecisions: whatever finance typed into a sheet's first
// rows (or named the sheet), reading its decisions never panics; a row
// it returns is below the header, holds text, and is what the sheet
// holds in the columns the header names; a sheet that is no category's
// returns none.
func FuzzSheetDecisions(f *testing.F) {
	f.Add("Ledger unmatched", HeaderDecision, HeaderNote, HeaderKey, "default:TEVER0VSX1VOTUFUQ0hFRB8fHw", "written off", "bank fee", uint8(3))
	f.Add("Fees checked", HeaderDecision, HeaderNote, HeaderKey, "k", "", "", uint8(1))
	f.Add("Amount mismatch (2)", " decision ", "NOTE", "Exception Key", "", "", "a note alone", uint8(70))
	f.Add("Summary", "Decision", "", "", "x", "y", "z", uint8(0))
	f.Fuzz(func(t *testing.T, sheet, h1, h2, h3, key, decision, note string, above uint8) {
		rows := make([][]string, int(above)) // totals rows above the header
		rows = append(rows, []string{"Severity", "Detail", h1, h2, h3}, []string{"", "", decision, note, key}, nil)
		i := 0
		got, err := sheetDecisions(sheet, func() ([]string, bool, error) {
			if i == len(rows) {
				return nil, false, nil
			}
			i++
			return rows[i-1], true, nil
		})
		if err != nil {
			return
		}
		_, known := sheetCategory(sheet)
		for _, r := range got {
			if !known || r.Sheet != sheet || r.Row != int(above)+2 || strings.TrimSpace(r.Key+r.Decision+r.Note) == "" {
				t.Errorf("row %+v of sheet %q (%d rows above the header)", r, sheet, above)
			}
			if !slices.Contains(rows[above+1], r.Key) || !slices.Contains(rows[above+1], r.Decision) || !slices.Contains(rows[above+1], r.Note) {
				t.Errorf("row %+v holds text the sheet's row %q does not", r, rows[above+1])
			}
		}
	})
}
