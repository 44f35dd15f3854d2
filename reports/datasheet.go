package reports

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

const (
	nsMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
)

// headerRow is the row of a part's column headers: below one totals row
// per currency block.
func (p *part) headerRow() int { return len(p.pieces) + 1 }

// lastRow is the part's last row.
func (p *part) lastRow() int { return p.headerRow() + p.rows }

// filterRef is the range of the part's autofilter: header and data.
func (p *part) filterRef(cols int) string {
	return "A" + strconv.Itoa(p.headerRow()) + ":" + colName(cols) + strconv.Itoa(p.lastRow())
}

// sheetSink writes a list of rows onto the sheets planned for it. Rows
// may come in any currency order: each currency's block on each sheet is
// a stream of its own, opened at its planned first row and compressed as
// it fills, and a sheet is put together once its blocks are complete,
// with its totals rows (whose sums are known only then) in front. The
// number of rows per currency must match the plan: a mismatch means the
// run changed under the report.
type sheetSink struct {
	b     *builder
	spec  *sheetSpec
	parts []part
	curs  map[string]*currencyState
	open  []*pieceWriter // every writer not yet finished, for abort
}

type pieceRef struct{ part, piece int }

// currencyState walks one currency's blocks in row order.
type currencyState struct {
	refs []pieceRef
	i    int
	w    *pieceWriter
}

// pieceWriter writes one currency block of one sheet.
type pieceWriter struct {
	enc        rowEncoder
	def        *deflater
	ref        pieceRef
	next, last int // the next row to write and the block's last row
	amounts    *amounts
}

// amounts are what a block's rows add up to, per amount of the sheet,
// in minor units: the sums its totals row shows and the largest
// magnitude of a single row, which with the sums sets how wide the
// amount columns are.
type amounts struct {
	sums, peaks []int64
}

func newAmounts(n int) *amounts { return &amounts{sums: make([]int64, n), peaks: make([]int64, n)} }

// add counts v in amount k.
func (a *amounts) add(k int, v int64) {
	a.sums[k] += v
	if v < 0 {
		v = -v
	}
	if v > a.peaks[k] {
		a.peaks[k] = v
	}
}

func (b *builder) newSink(spec *sheetSpec, parts []part) *sheetSink {
	s := &sheetSink{b: b, spec: spec, parts: parts, curs: map[string]*currencyState{}}
	for pi := range parts {
		p := &parts[pi]
		p.streams = make([]stream, len(p.pieces))
		row := p.headerRow() + 1
		for ci := range p.pieces {
			pc := &p.pieces[ci]
			pc.first = row
			row += pc.rows
			cs := s.curs[pc.currency]
			if cs == nil {
				cs = &currencyState{}
				s.curs[pc.currency] = cs
			}
			cs.refs = append(cs.refs, pieceRef{pi, ci})
		}
	}
	return s
}

func (s *sheetSink) changed(format string, args ...any) error {
	return fmt.Errorf("sheet %s: "+format+": the run changed while the report was read", append([]any{s.parts[0].name}, args...)...)
}

// next starts the next row of a currency, height points tall (0: the
// default), and returns the encoder to fill it and the block's amounts
// to add its own to; end ends it.
func (s *sheetSink) next(currency string, height float64) (*rowEncoder, *amounts, error) {
	cs := s.curs[currency]
	if cs == nil {
		return nil, nil, s.changed("a %q row where none were counted", currency)
	}
	if cs.w == nil {
		if cs.i >= len(cs.refs) {
			return nil, nil, s.changed("more %q rows than counted", currency)
		}
		w, err := s.openPiece(cs.refs[cs.i])
		if err != nil {
			return nil, nil, err
		}
		cs.w = w
	}
	w := cs.w
	// A cell without a style of its own sits at the top of a row that
	// a wrapped detail makes taller, level with the detail's first line;
	// in a row of one line, where top and bottom are the same, it keeps
	// no style (the bytes count over a million rows).
	w.enc.base = 0
	if height > 0 {
		w.enc.base = s.b.st.top
	}
	w.enc.startRow(w.next, height)
	w.next++
	return &w.enc, w.amounts, nil
}

// end ends the row of a currency that next started.
func (s *sheetSink) end(currency string) error {
	cs := s.curs[currency]
	w := cs.w
	w.enc.endRow()
	if w.enc.err != nil {
		return w.enc.err
	}
	if w.next <= w.last {
		return nil
	}
	cs.w = nil
	cs.i++
	return s.finishPiece(w)
}

func (s *sheetSink) openPiece(ref pieceRef) (*pieceWriter, error) {
	d, err := newDeflater(s.b.tmpDir, s.b.tmpToken)
	if err != nil {
		return nil, err
	}
	pc := &s.parts[ref.part].pieces[ref.piece]
	w := &pieceWriter{def: d, ref: ref, next: pc.first, last: pc.first + pc.rows - 1, amounts: newAmounts(s.spec.qtys)}
	w.enc = rowEncoder{out: d, buf: make([]byte, 0, chunkSize)}
	s.open = append(s.open, w)
	return w, nil
}

func (s *sheetSink) finishPiece(w *pieceWriter) error {
	for i, o := range s.open {
		if o == w {
			s.open = append(s.open[:i], s.open[i+1:]...)
			break
		}
	}
	if err := w.enc.flush(); err != nil {
		w.def.abort()
		return err
	}
	st, err := w.def.finish()
	if err != nil {
		return err
	}
	p := &s.parts[w.ref.part]
	p.streams[w.ref.piece] = st
	p.pieces[w.ref.piece].amounts = w.amounts
	p.done++
	if p.done == len(p.pieces) {
		return s.finishPart(w.ref.part)
	}
	return nil
}

// close checks that every block got its rows and writes the sheets
// still open (an empty list still has its sheet).
func (s *sheetSink) close() error {
	for cur, cs := range s.curs {
		if cs.w != nil || cs.i < len(cs.refs) {
			return s.changed("fewer %q rows than counted", cur)
		}
	}
	for pi := range s.parts {
		if len(s.parts[pi].pieces) == 0 {
			if err := s.finishPart(pi); err != nil {
				return err
			}
		}
	}
	return nil
}

// abort drops every stream not yet handed to the builder.
func (s *sheetSink) abort() {
	for _, w := range s.open {
		w.def.abort()
	}
	s.open = nil
	for pi := range s.parts {
		p := &s.parts[pi]
		if _, handed := s.b.parts[p.name]; handed {
			continue
		}
		for _, st := range p.streams {
			if st.path != "" {
				os.Remove(st.path)
			}
		}
	}
}

// finishPart puts a sheet's streams together: its head (the worksheet's
// opening, frozen panes, columns, totals rows and header), its blocks in
// row order, and its tail (the autofilter and page setup).
func (s *sheetSink) finishPart(pi int) error {
	p := &s.parts[pi]
	var buf bytes.Buffer
	head := rowEncoder{out: &buf}
	s.writeHead(&head, p)
	if err := head.flush(); err != nil {
		return err
	}
	hs, err := deflateBytes(buf.Bytes())
	if err != nil {
		return fmt.Errorf("write sheet %s: %w", p.name, err)
	}
	tail := `</sheetData><autoFilter ref="` + p.filterRef(len(s.spec.cols)) + `"/>` + s.decisionValidation(p) + s.b.printSetup() + `</worksheet>`
	ts, err := deflateBytes([]byte(tail))
	if err != nil {
		return fmt.Errorf("write sheet %s: %w", p.name, err)
	}
	all := append([]stream{hs}, p.streams...)
	s.b.parts[p.name] = append(all, ts)
	return nil
}

// writeHead writes the worksheet's opening: page setup properties,
// frozen totals and header rows, column widths, the totals rows and the
// header.
func (s *sheetSink) writeHead(e *rowEncoder, p *part) {
	cols := len(s.spec.cols)
	h := p.headerRow()
	top := "A" + strconv.Itoa(h+1)
	e.raw(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	e.raw(`<worksheet xmlns="` + nsMain + `" xmlns:r="` + nsRel + `">`)
	// fitToPage makes pageSetup's fitToWidth count (see printSetup).
	e.raw(`<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>`)
	e.raw(`<dimension ref="A1:` + colName(cols) + strconv.Itoa(p.lastRow()) + `"/>`)
	e.raw(`<sheetViews><sheetView workbookViewId="0"><pane ySplit="` + strconv.Itoa(h) + `" topLeftCell="` + top +
		`" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="` + top + `" sqref="` + top + `"/></sheetView></sheetViews>`)
	e.raw(`<sheetFormatPr defaultRowHeight="15"/><cols>`)
	for i, w := range s.widths(p) {
		n := strconv.Itoa(i + 1)
		hidden := ""
		if s.spec.cols[i].hidden {
			hidden = ` hidden="1"`
		}
		e.raw(`<col min="` + n + `" max="` + n + `" width="` + strconv.FormatFloat(w, 'f', -1, 64) + `" customWidth="1"` + hidden + `/>`)
	}
	e.raw(`</cols><sheetData>`)

	st := s.b.st
	for i, pc := range p.pieces {
		from, to := strconv.Itoa(pc.first), strconv.Itoa(pc.first+pc.rows-1)
		rng := func(col int) string {
			c := colName(col + 1)
			return c + from + ":" + c + to
		}
		label := "Total " + pc.currency
		if pc.currency == "" {
			label = "Total"
		}
		e.startRow(i+1, 0)
		for ci, c := range s.spec.cols {
			switch {
			case ci == 0:
				e.text(label, st.bold)
			case ci == s.spec.countCol:
				e.formulaNumber("SUBTOTAL(103,"+rng(0)+")", float64(pc.rows), st.rowsShown)
			case ci == s.spec.currencyCol:
				e.text(pc.currency, st.bold)
			case c.qty >= 0:
				var sum int64
				if pc.amounts != nil && c.qty < len(pc.amounts.sums) {
					sum = pc.amounts.sums[c.qty]
				}
				if c.minor {
					e.formulaNumber("SUBTOTAL(109,"+rng(ci)+")", float64(sum), st.minorBold)
				} else {
					e.formulaNumber("SUBTOTAL(109,"+rng(ci)+")", displayAmount(sum, pc.currency), st.amountStyle(pc.currency, true))
				}
			default:
				e.skip(1)
			}
		}
		e.endRow()
	}
	e.startRow(h, 30)
	for _, c := range s.spec.cols {
		e.text(c.header, st.header)
	}
	e.endRow()
}

// widths returns the part's column widths: each column's own, and an
// amount column widened to its largest figure, a total or a single row,
// formatted as it is shown (digits, separators, decimals, the brackets
// of a negative), so that no figure shows as ###.
func (s *sheetSink) widths(p *part) []float64 {
	ws := make([]float64, len(s.spec.cols))
	for i, c := range s.spec.cols {
		ws[i] = c.width
		if c.qty < 0 {
			continue
		}
		for _, pc := range p.pieces {
			if pc.amounts == nil || c.qty >= len(pc.amounts.sums) {
				continue
			}
			for _, v := range []int64{abs(pc.amounts.sums[c.qty]), pc.amounts.peaks[c.qty]} {
				n := minorWidth(v)
				if !c.minor {
					n = displayWidth(v, pc.currency)
				}
				// One character to spare: totals are bold.
				ws[i] = max(ws[i], float64(n+1))
			}
		}
	}
	return ws
}
