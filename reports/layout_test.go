package reports

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/sandbox/gen"
)

// layoutBooks writes the workbooks the layout tests read: the golden
// dataset's, and a generated night's (every category, two currencies,
// a day's totals).
func layoutBooks(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	books := map[string]string{}
	db, run := goldenStore(t)
	books["golden"] = filepath.Join(dir, "golden.xlsx")
	if err := WriteWorkbook(context.Background(), db, run, WorkbookOptions{Path: books["golden"], Zone: goldenZone,
		Now: func() time.Time { return goldenNow }, LinkHosts: goldenLinkHosts}); err != nil {
		t.Fatal(err)
	}
	wdb, wrun, zone := worldStore(t, gen.Options{Seed: 1, Orders: 2000})
	books["world"] = filepath.Join(dir, "world.xlsx")
	if err := WriteWorkbook(context.Background(), wdb, wrun, WorkbookOptions{Path: books["world"], Zone: zone}); err != nil {
		t.Fatal(err)
	}
	return books
}

// TestNumbersFitTheirColumns reads every numeric cell back as a reader
// shows it (its number format applied) and holds it to its column's
// width: a figure wider than its column shows as ### in Excel and Calc,
// as the rows-shown counts did in the narrow Severity column. A width
// counts the widest digits; one character is kept spare, since totals
// are bold.
func TestNumbersFitTheirColumns(t *testing.T) {
	for name, path := range layoutBooks(t) {
		t.Run(name, func(t *testing.T) {
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			checked := 0
			for _, sheet := range f.GetSheetList() {
				rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatal(err)
				}
				for r, row := range rows {
					for c, raw := range row {
						ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
						if raw == "" || !numeric(t, f, sheet, ref) {
							continue
						}
						shown, err := f.GetCellValue(sheet, ref)
						if err != nil {
							t.Fatal(err)
						}
						col, _ := excelize.ColumnNumberToName(c + 1)
						width, err := f.GetColWidth(sheet, col)
						if err != nil {
							t.Fatal(err)
						}
						checked++
						if n := utf8.RuneCountInString(shown); float64(n) > width-1 {
							t.Errorf("%s!%s shows %q (%d characters) in a column %g wide", sheet, ref, shown, n, width)
						}
					}
				}
			}
			if checked < 100 {
				t.Fatalf("checked only %d numeric cells", checked)
			}
		})
	}
}

// numeric reports whether a cell holds a number (a plain number, or a
// formula's numeric result), not text.
func numeric(t *testing.T, f *excelize.File, sheet, ref string) bool {
	t.Helper()
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	switch typ {
	case excelize.CellTypeUnset, excelize.CellTypeNumber, excelize.CellTypeDate:
		formula, _ := f.GetCellFormula(sheet, ref)
		return formula == "" || !strings.HasPrefix(formula, "HYPERLINK(")
	}
	return false
}

// TestPrintSetup checks what every sheet tells a printer: the Summary
// portrait, the data sheets landscape, each one page wide (fitToPage
// with fitToWidth 1 and no limit down), on A4, with the sheet's name,
// the business date and the page in the footer; each data sheet prints
// its first columns (up to Note, or Notes) with its header row on every
// page.
// TestLibreOfficeOpens checks that a real renderer paginates so.
func TestPrintSetup(t *testing.T) {
	db, run := goldenStore(t)
	out := filepath.Join(t.TempDir(), "recon.xlsx")
	if err := WriteWorkbook(context.Background(), db, run, WorkbookOptions{Path: out, Zone: goldenZone,
		Now: func() time.Time { return goldenNow }}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]map[string]string{}
	for _, d := range f.GetDefinedName() {
		if names[d.Scope] == nil {
			names[d.Scope] = map[string]string{}
		}
		names[d.Scope][d.Name] = d.RefersTo
	}
	for _, sheet := range f.GetSheetList() {
		t.Run(sheet, func(t *testing.T) {
			props, err := f.GetSheetProps(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if props.FitToPage == nil || !*props.FitToPage {
				t.Errorf("fitToPage %v, want true", props.FitToPage)
			}
			pl, err := f.GetPageLayout(sheet)
			if err != nil {
				t.Fatal(err)
			}
			orientation := "landscape"
			if sheet == SheetSummary {
				orientation = "portrait"
			}
			if got := fmt.Sprintf("%v %v %v %v", deref(pl.Orientation), deref(pl.Size), deref(pl.FitToWidth), deref(pl.FitToHeight)); got != orientation+" 9 1 0" {
				t.Errorf("orientation, paper, fit to width and height: got %s, want %s 9 1 0", got, orientation)
			}
			hf, err := f.GetHeaderFooter(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if want := "&L&A&CBusiness date 2024-03-14&RPage &P of &N"; hf == nil || hf.OddFooter != want {
				t.Errorf("footer: got %+v, want %q", hf, want)
			}
			area := names[sheet]["_xlnm.Print_Area"]
			if sheet == SheetSummary {
				if !strings.HasPrefix(area, "'Summary'!$A$1:$G$") {
					t.Errorf("print area %q, want columns A to G", area)
				}
				return
			}
			last, header := "N", HeaderNote
			if strings.HasPrefix(sheet, SheetSales) || strings.HasPrefix(sheet, SheetRefunds) {
				last, header = "O", "Notes"
			} else if sheet == SheetInputErrors {
				last = "H"
			}
			if !strings.HasPrefix(area, quoteSheet(sheet)+"!$A$1:$"+last+"$") {
				t.Errorf("print area %q, want columns A to %s", area, last)
			}
			if notes, _ := f.GetCellValue(sheet, last+headerRowOf(t, f, sheet)); notes != header {
				t.Errorf("the last printed column is %q, want %s", notes, header)
			}
			if titles := names[sheet]["_xlnm.Print_Titles"]; titles != quoteSheet(sheet)+"!$"+headerRowOf(t, f, sheet)+":$"+headerRowOf(t, f, sheet) {
				t.Errorf("print titles %q, want the header row", titles)
			}
		})
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// headerRowOf returns the number of a data sheet's header row, below
// its totals rows.
func headerRowOf(t *testing.T, f *excelize.File, sheet string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 1 && r[1] == "Detail" {
			return fmt.Sprint(i + 1)
		}
	}
	t.Fatalf("%s has no header row", sheet)
	return ""
}

func TestWrappedLines(t *testing.T) {
	for _, tc := range []struct {
		s     string
		width int
		want  int
	}{
		{"", 50, 1},
		{"short", 50, 1},
		{strings.Repeat("x", 58), 50, 1},     // a sixth more than the width fits
		{strings.Repeat("word ", 20), 50, 2}, // 11 words a line
		{strings.Repeat("x", 120), 50, 3},    // cut where it has no space
		{"one\ntwo\nthree", 50, 3},
	} {
		if got := wrappedLines(tc.s, tc.width); got != tc.want {
			t.Errorf("wrappedLines(%q, %d): got %d, want %d", tc.s, tc.width, got, tc.want)
		}
	}
}
