package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

// readLedgerXLSX streams the rows of one sheet with excelize's row
// iterator. Cells are read as raw values (RawCellValue), not as Excel
// would display them, so that a number format cannot round an amount:
// numeric cells arrive as stored numbers (1250000), date cells as serial
// day numbers (45306), text cells as their text (1.250.000,00). Which
// cells are numbers comes from the sheet's XML (cellTypes). See
// ledgerParser.money and ledgerParser.date for how each is read.
//
// Memory: excelize keeps the shared-strings table in memory and spills a
// large worksheet to a temporary file; rows themselves are streamed.
func readLedgerXLSX(ctx context.Context, path string, opts LedgerOptions, sink Sink) (Result, error) {
	res := Result{File: path, Kind: KindLedger}
	sum, err := fileSHA256(path)
	if err != nil {
		return res, fmt.Errorf("open ledger: %w", err) // *PathError names the file
	}
	res.SHA256 = sum

	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	if err != nil {
		return res, fmt.Errorf("ledger %s: not a readable xlsx workbook: %w", path, err)
	}
	defer f.Close()

	sheets := f.GetSheetList()
	sheet := opts.Sheet
	if sheet == "" {
		if len(sheets) == 0 {
			return res, fmt.Errorf("ledger %s: the workbook has no sheets", path)
		}
		sheet = sheets[0]
	} else if !containsFold(sheets, sheet) {
		return res, fmt.Errorf("ledger %s: no sheet %q (the workbook has %s)", path, sheet, quoteAll(sheets))
	} else {
		sheet = matchFold(sheets, sheet)
	}
	props, err := f.GetWorkbookProps()
	if err != nil {
		return res, fmt.Errorf("ledger %s: workbook properties: %w", path, err)
	}
	date1904 := props.Date1904 != nil && *props.Date1904

	rows, err := f.Rows(sheet)
	if err != nil {
		return res, fmt.Errorf("ledger %s: sheet %q: %w", path, sheet, err)
	}
	defer rows.Close()
	types, err := openCellTypes(path, sheet)
	if err != nil {
		return res, fmt.Errorf("ledger %s: sheet %q: %w", path, sheet, err)
	}
	defer types.Close()

	src := &xlsxRows{path: path, sheet: sheet, rows: rows, types: types, sha256: sum}
	format := ledgerFormat{
		sheet: sheet, xlsx: true, date1904: date1904, sep: ",",
		empty: fmt.Sprintf("sheet %q is empty (no header row); export the ledger again or choose another sheet", sheet),
	}
	return readRows(ctx, res, opts, format, src, sink)
}

// xlsxRows is the XLSX rowSource: the rows of one sheet.
type xlsxRows struct {
	path, sheet string
	rows        *excelize.Rows
	types       *cellTypes
	sha256      string
	no          int // the sheet row last read
	width       int // the header's, once read
}

var _ rowSource = (*xlsxRows)(nil)

// next reads the next sheet row. Once the header is read, a row that is
// not blank comes with its numeric cells, and padded to the header's
// width: trailing empty cells are not stored, so a row is often shorter
// than the header.
func (x *xlsxRows) next() (record, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return record{}, fmt.Errorf("ledger %s: sheet %q: %w", x.path, x.sheet, err)
		}
		return record{}, io.EOF
	}
	x.no++ // Next visits every row number, empty ones included
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return record{}, fmt.Errorf("ledger %s: sheet %q row %d: %w", x.path, x.sheet, x.no, err)
	}
	r := record{cells: cells, line: x.no}
	if x.width == 0 || blankRow(cells) {
		return r, nil
	}
	for len(r.cells) < x.width {
		r.cells = append(r.cells, "")
	}
	if r.numeric, err = x.types.numeric(x.no); err != nil {
		return record{}, fmt.Errorf("ledger %s: sheet %q row %d: %w", x.path, x.sheet, x.no, err)
	}
	return r, nil
}

// header drops the empty cells after the header's last name: they name
// no column, and the header's width is the rows' width.
func (x *xlsxRows) header(cells []string) []string {
	for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
		cells = cells[:len(cells)-1]
	}
	x.width = len(cells)
	return cells
}

func (x *xlsxRows) end() (string, int, error) { return x.sha256, x.no, nil }

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func containsFold(list []string, s string) bool { return matchFold(list, s) != "" }

// matchFold finds s in list: exactly if it is there, else ignoring case,
// as Excel itself treats sheet names.
func matchFold(list []string, s string) string {
	for _, x := range list {
		if x == s {
			return x
		}
	}
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return x
		}
	}
	return ""
}

func quoteAll(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
