package reports

import (
	"fmt"
	"strconv"
)

const (
	nsMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
)

// headerRow is the row of a part's column headers: below one totals row
// per currency block (at least one row for the header itself).
func (p *part) headerRow() int { return len(p.pieces) + 1 }

// lastRow is the part's last row.
func (p *part) lastRow() int { return p.headerRow() + p.rows }

// filterRef is the range of the part's autofilter: header and data.
func (p *part) filterRef(cols int) string {
	return "A" + strconv.Itoa(p.headerRow()) + ":" + colName(cols) + strconv.Itoa(p.lastRow())
}

// sheetSink writes a list of rows onto the sheets planned for it, moving
// to the next sheet when one is full. Rows must come in the planned
// currency order: a mismatch means the data changed under the report.
type sheetSink struct {
	b     *builder
	spec  *sheetSpec
	parts []part

	pi, ci int // current part and piece; pi is -1 before the first row
	left   int // rows left in the current piece
	row    int // next row number on the current sheet
	enc    rowEncoder
	def    *deflater
}

func (b *builder) newSink(spec *sheetSpec, parts []part) *sheetSink {
	return &sheetSink{b: b, spec: spec, parts: parts, pi: -1, enc: rowEncoder{buf: make([]byte, 0, chunkSize)}}
}

// next starts the next row, of the given currency, and returns the
// encoder to fill it; the caller ends it with end.
func (s *sheetSink) next(currency string) (*rowEncoder, error) {
	for s.left == 0 {
		if s.pi >= 0 && s.ci+1 < len(s.parts[s.pi].pieces) {
			s.ci++
		} else {
			if s.pi >= 0 {
				if err := s.finishPart(); err != nil {
					return nil, err
				}
			}
			if s.pi+1 >= len(s.parts) {
				return nil, fmt.Errorf("sheet %s: more rows than counted: the run changed while the report was read", s.parts[0].name)
			}
			s.pi++
			s.ci = 0
			if err := s.openPart(); err != nil {
				return nil, err
			}
			if len(s.parts[s.pi].pieces) == 0 {
				continue
			}
		}
		s.left = s.parts[s.pi].pieces[s.ci].rows
	}
	if c := s.parts[s.pi].pieces[s.ci].currency; c != currency {
		return nil, fmt.Errorf("sheet %s: a %q row where %q rows were counted: the run changed while the report was read", s.parts[s.pi].name, currency, c)
	}
	s.left--
	s.enc.startRow(s.row, 0)
	s.row++
	return &s.enc, nil
}

// end ends the row that next started.
func (s *sheetSink) end() error {
	s.enc.endRow()
	return s.enc.err
}

// close finishes the current sheet and writes the planned sheets that
// got no rows (an empty list still has its sheet).
func (s *sheetSink) close() error {
	if s.left > 0 || s.pi >= 0 && s.ci+1 < len(s.parts[s.pi].pieces) {
		return fmt.Errorf("sheet %s: fewer rows than counted: the run changed while the report was read", s.parts[s.pi].name)
	}
	if s.pi >= 0 {
		if err := s.finishPart(); err != nil {
			return err
		}
	}
	for s.pi+1 < len(s.parts) {
		s.pi++
		if s.parts[s.pi].rows > 0 {
			return fmt.Errorf("sheet %s: fewer rows than counted: the run changed while the report was read", s.parts[s.pi].name)
		}
		if err := s.openPart(); err != nil {
			return err
		}
		if err := s.finishPart(); err != nil {
			return err
		}
	}
	return nil
}

// abort drops the sheet being written.
func (s *sheetSink) abort() {
	if s.def != nil {
		s.def.abort()
		s.def = nil
	}
}

func (s *sheetSink) openPart() error {
	d, err := newDeflater(s.b.tmpDir)
	if err != nil {
		return err
	}
	s.def = d
	s.enc.out, s.enc.err, s.enc.buf = d, nil, s.enc.buf[:0]
	p := &s.parts[s.pi]
	s.writeHead(p)
	s.row = p.headerRow() + 1
	return s.enc.err
}

func (s *sheetSink) finishPart() error {
	p := &s.parts[s.pi]
	e := &s.enc
	e.raw(`</sheetData><autoFilter ref="`)
	e.raw(p.filterRef(len(s.spec.cols)))
	e.raw(`"/><pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>`)
	e.raw(`<pageSetup orientation="landscape"/></worksheet>`)
	if err := e.flush(); err != nil {
		s.abort()
		return fmt.Errorf("write sheet %s: %w", p.name, err)
	}
	cp, err := s.def.finish()
	s.def = nil
	if err != nil {
		return fmt.Errorf("write sheet %s: %w", p.name, err)
	}
	s.b.parts[p.name] = cp
	return nil
}

// writeHead writes the worksheet's opening: frozen totals and header
// rows, column widths, and the totals rows themselves.
func (s *sheetSink) writeHead(p *part) {
	e := &s.enc
	cols := len(s.spec.cols)
	h := p.headerRow()
	top := "A" + strconv.Itoa(h+1)
	e.raw(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	e.raw(`<worksheet xmlns="` + nsMain + `" xmlns:r="` + nsRel + `">`)
	e.raw(`<dimension ref="A1:` + colName(cols) + strconv.Itoa(p.lastRow()) + `"/>`)
	e.raw(`<sheetViews><sheetView workbookViewId="0"><pane ySplit="` + strconv.Itoa(h) + `" topLeftCell="` + top +
		`" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="` + top + `" sqref="` + top + `"/></sheetView></sheetViews>`)
	e.raw(`<sheetFormatPr defaultRowHeight="15"/><cols>`)
	for i, c := range s.spec.cols {
		n := strconv.Itoa(i + 1)
		e.raw(`<col min="` + n + `" max="` + n + `" width="` + strconv.FormatFloat(c.width, 'f', -1, 64) + `" customWidth="1"/>`)
	}
	e.raw(`</cols><sheetData>`)

	first := h + 1
	for i, pc := range p.pieces {
		from, to := first, first+pc.rows-1
		first += pc.rows
		e.startRow(i+1, 0)
		label := "Total " + pc.currency
		if pc.currency == "" {
			label = "Total"
		}
		rng := func(col int) string {
			c := colName(col + 1)
			return c + strconv.Itoa(from) + ":" + c + strconv.Itoa(to)
		}
		for ci, c := range s.spec.cols {
			switch {
			case ci == 0:
				e.text(label, s.b.st.bold)
			case ci == s.spec.countCol:
				e.formulaNumber("SUBTOTAL(103,"+rng(0)+")", float64(pc.rows), s.b.st.rowsShown)
			case ci == s.spec.currencyCol:
				e.text(pc.currency, s.b.st.bold)
			case c.qty >= 0:
				var sum int64
				if c.qty < len(pc.sums) {
					sum = pc.sums[c.qty]
				}
				if c.minor {
					e.formulaNumber("SUBTOTAL(109,"+rng(ci)+")", float64(sum), s.b.st.minorBold)
				} else {
					e.formulaNumber("SUBTOTAL(109,"+rng(ci)+")", displayAmount(sum, pc.currency), s.b.st.amountStyle(pc.currency, true))
				}
			default:
				e.skip(1)
			}
		}
		e.endRow()
	}
	e.startRow(h, 30)
	for _, c := range s.spec.cols {
		e.text(c.header, s.b.st.header)
	}
	e.endRow()
}
