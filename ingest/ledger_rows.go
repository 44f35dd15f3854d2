package ingest

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/reconkit/reconkit/recon"
)

// rowSource is a ledger format: it reads one file's records in order.
// readRows, the row loop all formats share, does the rest (skipping
// blank rows, mapping the header onto columns, parsing each row,
// counting repeated rows, batching entries and input errors for the
// sink), so a new format (MT940, CAMT.053) is only its rowSource.
type rowSource interface {
	// next returns the next record, or io.EOF after the last. Any other
	// error fails the file, and says so in full ("ledger FILE: ...").
	next() (record, error)
	// header is handed the header row, the first record that is not
	// blank (BOMs stripped), and returns it as the columns are to be
	// found in it. Before it is called, a record the source cannot read
	// fails the file; after, it is an input error and reading goes on.
	header(cells []string) []string
	// end is called when every row has gone to the sink: it returns the
	// file's SHA-256 and how many lines (or sheet rows) it has.
	end() (sha256 string, lines int, err error)
}

// record is a row's cells and the line (or sheet row) it starts on, or,
// when bad is set, the input error that stands in its place.
type record struct {
	cells   []string
	line    int
	numeric []bool // which cells hold numbers (ledgerParser.numeric); nil when no cell does
	bad     *recon.InputError
}

// ledgerFormat is what the row loop knows of a format besides its rows.
type ledgerFormat struct {
	sheet    string // the sheet read, "" for formats without sheets
	xlsx     bool   // cells are excelize's raw values (ledgerParser.xlsx)
	date1904 bool   // serial dates count from 1904
	sep      string // between the cells of a row quoted in an input error
	empty    string // the reason of a file without a header row
}

// readRows reads a ledger's rows from src and hands its entries and
// input errors to sink (see ReadLedger). res is the Result so far, as it
// is returned should the read fail.
func readRows(ctx context.Context, res Result, opts LedgerOptions, f ledgerFormat, src rowSource, sink Sink) (Result, error) {
	path := res.File
	var (
		p *ledgerParser
		b = newBatcher(sink, opts.BatchSize)
	)
	counter, err := newRowCounter(opts)
	if err != nil {
		return res, fmt.Errorf("ledger %s: %w", path, err)
	}
	defer counter.Close()
	b.hasher = &rowHasher{counter: counter}
	for n := 1; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		r, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, err
		}
		if r.bad != nil {
			if err := b.inputError(*r.bad); err != nil {
				return res, fmt.Errorf("ledger %s: sink: %w", path, err)
			}
			continue
		}
		if blankRow(r.cells) {
			continue
		}
		if p == nil {
			header := src.header(stripBOMs(r.cells))
			cols, err := mapColumns(path, header, opts)
			if err != nil {
				return res, err
			}
			p = newLedgerParser(path, f.sheet, opts, cols, len(header))
			p.xlsx, p.date1904 = f.xlsx, f.date1904
			continue
		}
		p.numeric = r.numeric
		e, reason := p.parse(r.cells, r.line)
		if reason != "" {
			err = b.inputError(recon.InputError{
				Source: string(KindLedger), File: path, Line: r.line,
				Text: errorText([]byte(strings.Join(r.cells, f.sep))), Reason: reason,
			})
		} else {
			err = b.entry(e, p.key)
		}
		if err != nil {
			return res, fmt.Errorf("ledger %s: sink: %w", path, err)
		}
	}
	if p == nil {
		if err := emptyFile(b, KindLedger, path, f.empty); err != nil {
			return res, fmt.Errorf("ledger %s: %w", path, err)
		}
	}
	if err := b.flush(); err != nil {
		return res, fmt.Errorf("ledger %s: sink: %w", path, err)
	}
	sum, lines, err := src.end()
	if err != nil {
		return res, err
	}
	res.SHA256, res.Lines = sum, lines
	res.Rows, res.Errors = b.rows, b.nerrs
	return res, nil
}

// stripBOMs copies the header, removing a BOM an export wrote twice or
// inside a quoted first field.
func stripBOMs(rec []string) []string {
	h := append([]string(nil), rec...)
	if len(h) > 0 {
		h[0] = strings.TrimPrefix(h[0], "\uFEFF")
	}
	return h
}
