package reports

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/decide"
	"github.com/reconkit/reconkit/recon"
)

// ErrNotRecon is returned by ReadDecisions for a workbook without the
// WorkbookIDName that every workbook recon writes has.
var ErrNotRecon = errors.New("not a workbook recon wrote")

// headerScan is how far down a sheet ReadDecisions looks for its header
// row: below one totals row per currency.
const headerScan = 64

// ReadDecisions reads finance's decisions back from a workbook recon
// wrote, as finance saved it in Excel or LibreOffice (name is how errors
// call it): the run it shows, and every row of its category sheets that
// holds a key, a decision or a note, with its sheet, row and the sheet's
// category. Columns are found by their headers (HeaderDecision,
// HeaderNote, HeaderKey), so moved or added columns do not matter;
// sheets without a Decision header (Summary, Sales) are passed over
// after their first rows. A sheet whose name is not a category's
// (renamed) or that lost one of the three columns (deleted) is a
// problem; every problem is returned together as decide.Problems.
func ReadDecisions(r io.Reader, name string) (WorkbookID, []decide.Row, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return WorkbookID{}, nil, fmt.Errorf("%s: not an .xlsx workbook Excel or LibreOffice saved: %w", name, err)
	}
	defer f.Close()
	var id WorkbookID
	found := false
	for _, d := range f.GetDefinedName() {
		if strings.EqualFold(d.Name, WorkbookIDName) {
			id, found = parseWorkbookID(d.RefersTo)
			break
		}
	}
	if !found {
		return WorkbookID{}, nil, fmt.Errorf("%s: %w (its defined name %s, which names the run, is missing or was changed): import a workbook of a night as recon wrote it and finance saved it, or a CSV",
			name, ErrNotRecon, WorkbookIDName)
	}
	var rows []decide.Row
	var problems decide.Problems
	for _, sheet := range f.GetSheetList() {
		rs, err := readSheetDecisions(f, sheet)
		var ps decide.Problems
		switch {
		case errors.As(err, &ps):
			problems = append(problems, ps...)
		case err != nil:
			return WorkbookID{}, nil, fmt.Errorf("%s: %w", name, err)
		}
		rows = append(rows, rs...)
	}
	if len(problems) > 0 {
		return id, nil, problems
	}
	return id, rows, nil
}

// readSheetDecisions reads one sheet's decision rows; none from a sheet
// without decision columns.
func readSheetDecisions(f *excelize.File, sheet string) ([]decide.Row, error) {
	it, err := f.Rows(sheet)
	if err != nil {
		return nil, fmt.Errorf("read sheet %s: %w", sheet, err)
	}
	defer it.Close()
	return sheetDecisions(sheet, func() ([]string, bool, error) {
		if !it.Next() {
			return nil, false, it.Error()
		}
		cells, err := it.Columns()
		return cells, true, err
	})
}

// sheetDecisions finds a sheet's decision columns by their headers in
// its first rows and reads the rows below, each as next hands out its
// cells; the sheet's name says their category. It is apart from the
// workbook, so that the fuzz target runs it on any cells.
func sheetDecisions(sheet string, next func() (cells []string, ok bool, err error)) ([]decide.Row, error) {
	where := fmt.Sprintf("sheet '%s'", sheet)
	cols := map[string]int{}
	headerRow := 0
	for n := 1; headerRow == 0 && n <= headerScan; n++ {
		cells, ok, err := next()
		if err != nil {
			return nil, fmt.Errorf("read sheet %s row %d: %w", sheet, n, err)
		}
		if !ok {
			break
		}
		for i, c := range cells {
			for _, h := range []string{HeaderDecision, HeaderNote, HeaderKey} {
				if strings.EqualFold(strings.TrimSpace(c), h) {
					if _, dup := cols[h]; !dup {
						cols[h] = i
					}
					headerRow = n
				}
			}
		}
	}
	if headerRow == 0 {
		return nil, nil // not a sheet of decisions
	}
	var missing []string
	for _, h := range []string{HeaderDecision, HeaderNote, HeaderKey} {
		if _, ok := cols[h]; !ok {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		return nil, decide.Problems{{Where: where, Message: fmt.Sprintf("the %s column is gone (deleted?): without it recon cannot tell which decision is for which exception; put it back (undo), or decide again on the workbook as recon wrote it",
			strings.Join(missing, " and "))}}
	}
	category, known := sheetCategory(sheet)
	var rows []decide.Row
	for n := headerRow + 1; ; n++ {
		cells, ok, err := next()
		if err != nil {
			return nil, fmt.Errorf("read sheet %s row %d: %w", sheet, n, err)
		}
		if !ok {
			break
		}
		cell := func(h string) string {
			if i := cols[h]; i < len(cells) {
				return cells[i]
			}
			return ""
		}
		r := decide.Row{Sheet: sheet, Row: n, Category: category, Key: cell(HeaderKey), Decision: cell(HeaderDecision), Note: cell(HeaderNote)}
		if strings.TrimSpace(r.Key+r.Decision+r.Note) != "" {
			rows = append(rows, r)
		}
	}
	if !known && len(rows) > 0 {
		return nil, decide.Problems{{Where: where, Message: renamedSheet(rows)}}
	}
	return rows, nil
}

// maxParts is more sheets than one category's exceptions ever fill.
const maxParts = 16

// sheetCategory returns the category whose sheet has this name: its
// CategorySheetName, or a continuation of it ("Sales (2)").
func sheetCategory(name string) (recon.Category, bool) {
	for _, info := range recon.Categories {
		base := CategorySheetName(info.Code)
		for i := range maxParts {
			if name == partName(base, i) {
				return info.Code, true
			}
		}
	}
	return "", false
}

// renamedSheet says what a sheet of decisions that is no category's was
// called, going by the first of its keys that reads.
func renamedSheet(rows []decide.Row) string {
	for _, r := range rows {
		if _, k, err := recon.ParseDecisionKey(r.Key); err == nil {
			c, _, _ := strings.Cut(k, "\x1f")
			return fmt.Sprintf("not a sheet recon wrote (renamed?): its rows are %s exceptions, whose sheet is '%s'; name it back and import again",
				c, CategorySheetName(recon.Category(c)))
		}
	}
	return "not a sheet recon wrote (renamed?), and none of its rows holds an exception key: name it back and import again"
}
