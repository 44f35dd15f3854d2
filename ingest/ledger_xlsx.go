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

	"github.com/reconkit/reconkit/recon"
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

	var (
		p  *ledgerParser
		b  = newBatcher(sink, opts.BatchSize)
		no int
	)
	counter, err := newRowCounter(opts)
	if err != nil {
		return res, fmt.Errorf("ledger %s: %w", path, err)
	}
	defer counter.Close()
	b.hasher = &rowHasher{counter: counter}
	for rows.Next() {
		no++ // Next visits every row number, empty ones included
		if no%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return res, fmt.Errorf("ledger %s: sheet %q row %d: %w", path, sheet, no, err)
		}
		if blankRow(cells) {
			continue
		}
		if p == nil {
			header := stripBOMs(cells)
			for len(header) > 0 && strings.TrimSpace(header[len(header)-1]) == "" {
				header = header[:len(header)-1]
			}
			cols, err := mapColumns(path, header, opts)
			if err != nil {
				return res, err
			}
			p = newLedgerParser(path, sheet, opts, cols, len(header))
			p.xlsx, p.date1904 = true, date1904
			continue
		}
		// Trailing empty cells are not stored, so a row is often shorter
		// than the header.
		for len(cells) < p.width {
			cells = append(cells, "")
		}
		if p.numeric, err = types.numeric(no); err != nil {
			return res, fmt.Errorf("ledger %s: sheet %q row %d: %w", path, sheet, no, err)
		}
		e, reason := p.parse(cells, no)
		if reason != "" {
			err = b.inputError(recon.InputError{
				Source: string(KindLedger), File: path, Line: no,
				Text: errorText([]byte(strings.Join(cells, ","))), Reason: reason,
			})
		} else {
			err = b.entry(e, p.key)
		}
		if err != nil {
			return res, fmt.Errorf("ledger %s: sink: %w", path, err)
		}
	}
	if err := rows.Error(); err != nil {
		return res, fmt.Errorf("ledger %s: sheet %q: %w", path, sheet, err)
	}
	if p == nil {
		reason := fmt.Sprintf("sheet %q is empty (no header row); export the ledger again or choose another sheet", sheet)
		if err := emptyFile(b, KindLedger, path, reason); err != nil {
			return res, fmt.Errorf("ledger %s: %w", path, err)
		}
	}
	if err := b.flush(); err != nil {
		return res, fmt.Errorf("ledger %s: sink: %w", path, err)
	}
	res.Lines = no
	res.Rows, res.Errors = b.rows, b.nerrs
	return res, nil
}

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
