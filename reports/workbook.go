package reports

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// WorkbookOptions say where the workbook goes and how it reads.
type WorkbookOptions struct {
	// Path is the .xlsx file to write. It is replaced atomically: readers
	// see the previous file or the whole new one.
	Path string
	// BusinessDate (YYYY-MM-DD) is the day the report covers; empty means
	// the run's own business date.
	BusinessDate string
	// Zone is where times are shown and business days cut; nil means UTC.
	Zone *time.Location
	// Now says when the report is written; nil means time.Now.
	Now func() time.Time
}

// ErrNoPath is returned when WorkbookOptions.Path is empty.
var ErrNoPath = errors.New("workbook path is empty")

func (o WorkbookOptions) normalized() (WorkbookOptions, error) {
	if o.Path == "" {
		return o, ErrNoPath
	}
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// WriteWorkbook writes the reconciliation workbook of a match run to
// opts.Path: a Summary sheet, one sheet per exception category that has
// rows, and the Matched, Refunds & voids and Input errors sheets (see
// doc.go for the layout). The file is written to a temporary file in the
// same directory, synced and renamed over Path, so a failure or a crash
// never leaves part of a workbook where the previous one was. Memory does
// not grow with the number of match results: they are streamed from the
// store and compressed as they come; only the exceptions are held.
func WriteWorkbook(ctx context.Context, db *store.DB, runID int64, opts WorkbookOptions) error {
	opts, err := opts.normalized()
	if err != nil {
		return fmt.Errorf("write workbook of run %d: %w", runID, err)
	}
	rep, err := loadReport(ctx, db, runID)
	if err != nil {
		return fmt.Errorf("write workbook of run %d: %w", runID, err)
	}
	err = WriteFileAtomic(opts.Path, func(w io.Writer) error {
		return writeWorkbook(ctx, w, rep, storeResults{db: db, runID: runID}, opts)
	})
	if err != nil {
		return fmt.Errorf("write workbook of run %d: %w", runID, err)
	}
	return nil
}

// report is what the workbook shows besides the streamed results.
type report struct {
	run        recon.Run
	exceptions []store.ReportException
	totals     []store.ResultTotal
	sources    []store.SourceTotal
	files      []store.InputFile
}

func loadReport(ctx context.Context, db *store.DB, runID int64) (*report, error) {
	var r report
	var err error
	if r.run, err = db.GetRun(ctx, runID); err != nil {
		return nil, err
	}
	if r.exceptions, err = db.ReportExceptions(ctx, runID); err != nil {
		return nil, err
	}
	if r.totals, err = db.ReportResultTotals(ctx, runID); err != nil {
		return nil, err
	}
	if r.sources, err = db.ReportSourceTotals(ctx); err != nil {
		return nil, err
	}
	if r.files, err = db.InputFiles(ctx); err != nil {
		return nil, err
	}
	return &r, nil
}

// results streams match results; the store implements it, and the
// benchmark may feed rows without one.
type results interface {
	// each calls fn with batches of the results of the given kinds,
	// grouped by currency in code order; fn must not keep a batch.
	each(ctx context.Context, kinds []string, fn func([]store.ReportResult) error) error
	// sliceTotals totals, by kind, limit results of a currency after
	// the first offset, in the order each gives them.
	sliceTotals(ctx context.Context, kinds []string, currency string, offset, limit int64) ([]store.ResultTotal, error)
}

type storeResults struct {
	db    *store.DB
	runID int64
}

func (s storeResults) each(ctx context.Context, kinds []string, fn func([]store.ReportResult) error) error {
	return s.db.ReportResults(ctx, s.runID, kinds, fn)
}

func (s storeResults) sliceTotals(ctx context.Context, kinds []string, currency string, offset, limit int64) ([]store.ResultTotal, error) {
	return s.db.ReportResultSliceTotals(ctx, s.runID, kinds, currency, offset, limit)
}

// The result sheets and the kinds each lists.
var (
	salesKinds  = []string{match.KindSale}
	refundKinds = []string{match.KindRefund, match.KindVoid}
)

// builder holds what writing one workbook needs.
type builder struct {
	ctx    context.Context
	opts   WorkbookOptions
	zone   *time.Location
	f      *excelize.File
	st     *styles
	tmpDir string
	parts  map[string]compressedPart // written data sheets, by name
}

func (b *builder) cleanup() {
	for _, p := range b.parts {
		os.Remove(p.path)
	}
}

// exceptionGroup is one category's exceptions, grouped by currency.
type exceptionGroup struct {
	category recon.Category
	rows     []*store.ReportException
	parts    []part
}

// planExceptions groups exceptions by category, most urgent category
// first, and within a category by currency (report order kept inside a
// currency), and plans their sheets.
func planExceptions(es []store.ReportException) (cats []*exceptionGroup, inputErrors *exceptionGroup) {
	by := map[recon.Category]*exceptionGroup{}
	for i := range es {
		x := &es[i]
		g := by[x.Category]
		if g == nil {
			g = &exceptionGroup{category: x.Category}
			by[x.Category] = g
			if x.Category != recon.InputErrorCategory {
				cats = append(cats, g)
			}
		}
		g.rows = append(g.rows, x)
	}
	slices.SortStableFunc(cats, func(a, b *exceptionGroup) int {
		return cmp.Or(cmp.Compare(severityRank(match.Severity(a.category)), severityRank(match.Severity(b.category))),
			cmp.Compare(categoryRank(a.category), categoryRank(b.category)), cmp.Compare(a.category, b.category))
	})
	inputErrors = by[recon.InputErrorCategory]
	if inputErrors == nil {
		inputErrors = &exceptionGroup{category: recon.InputErrorCategory}
	}
	for _, g := range append(slices.Clone(cats), inputErrors) {
		slices.SortStableFunc(g.rows, func(a, b *store.ReportException) int { return cmp.Compare(a.Currency, b.Currency) })
		var counts []piece
		for _, x := range g.rows {
			if len(counts) == 0 || counts[len(counts)-1].currency != x.Currency {
				counts = append(counts, piece{currency: x.Currency})
			}
			counts[len(counts)-1].rows++
		}
		g.parts = planParts(CategorySheetName(g.category), counts, maxSheetRows)
		// Every piece's sums, from its own rows.
		i := 0
		for pi := range g.parts {
			for ci := range g.parts[pi].pieces {
				pc := &g.parts[pi].pieces[ci]
				pc.sums = make([]int64, 3)
				for _, x := range g.rows[i : i+pc.rows] {
					a := exceptionAmounts(x)
					for k := range a {
						pc.sums[k] += a[k]
					}
				}
				i += pc.rows
			}
		}
	}
	return cats, inputErrors
}

func severityRank(s string) int {
	if i := slices.Index(match.Severities, s); i >= 0 {
		return i
	}
	return len(match.Severities)
}

func categoryRank(c recon.Category) int {
	if i := slices.Index(recon.Categories, c); i >= 0 {
		return i
	}
	return len(recon.Categories)
}

// planResults plans the sheets of the results of some kinds from their
// totals, asking src for the sums of any currency block a sheet break
// cuts.
func planResults(ctx context.Context, base string, kinds []string, totals []store.ResultTotal, src results) ([]part, error) {
	var counts []piece
	for _, t := range totals { // ordered by kind, then currency
		if !slices.Contains(kinds, t.Kind) {
			continue
		}
		i := slices.IndexFunc(counts, func(p piece) bool { return p.currency == t.Currency })
		if i < 0 {
			counts = append(counts, piece{currency: t.Currency, sums: make([]int64, 5)})
			i = len(counts) - 1
		}
		counts[i].rows += int(t.Rows)
		addResultTotal(counts[i].sums, t)
	}
	slices.SortFunc(counts, func(a, b piece) int { return strings.Compare(a.currency, b.currency) })
	parts := planParts(base, counts, maxSheetRows)
	for pi := range parts {
		for ci := range parts[pi].pieces {
			pc := &parts[pi].pieces[ci]
			if pc.sums != nil {
				continue
			}
			ts, err := src.sliceTotals(ctx, kinds, pc.currency, int64(pc.offset), int64(pc.rows))
			if err != nil {
				return nil, err
			}
			pc.sums = make([]int64, 5)
			for _, t := range ts {
				addResultTotal(pc.sums, t)
			}
		}
	}
	return parts, nil
}

// addResultTotal adds a kind's totals to the sums of the result sheets'
// amounts (see resultAmounts).
func addResultTotal(sums []int64, t store.ResultTotal) {
	var expected int64
	switch t.Kind {
	case match.KindSale:
		expected = t.GatewayMinor
	case match.KindRefund:
		expected = -t.GatewayMinor
	}
	sums[0] += t.OrderMinor
	sums[1] += t.GatewayMinor
	sums[2] += expected
	sums[3] += t.LedgerMinor
	sums[4] += t.LedgerMinor - expected
}

// writeWorkbook builds the workbook and writes it to w.
func writeWorkbook(ctx context.Context, w io.Writer, rep *report, src results, opts WorkbookOptions) (err error) {
	b := &builder{ctx: ctx, opts: opts, zone: opts.Zone, parts: map[string]compressedPart{}}
	defer b.cleanup()

	cats, inputErrors := planExceptions(rep.exceptions)
	sales, err := planResults(ctx, SheetMatched, salesKinds, rep.totals, src)
	if err != nil {
		return err
	}
	refunds, err := planResults(ctx, SheetRefunds, refundKinds, rep.totals, src)
	if err != nil {
		return err
	}

	b.f = excelize.NewFile()
	defer b.f.Close()
	if err := b.f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return fmt.Errorf("name summary sheet: %w", err)
	}
	zoneName := opts.Zone.String()
	exSpec, ieSpec, resSpec := exceptionSpec(zoneName), inputErrorSpec(zoneName), resultSpec(zoneName)
	addSheets := func(spec *sheetSpec, parts []part) error {
		for i := range parts {
			p := &parts[i]
			if _, err := b.f.NewSheet(p.name); err != nil {
				return fmt.Errorf("add sheet %s: %w", p.name, err)
			}
			// The placeholder's filter is replaced with the sheet; what
			// stays is the workbook's hidden name for it, which Excel
			// expects beside every autofilter.
			if err := b.f.AutoFilter(p.name, p.filterRef(len(spec.cols)), nil); err != nil {
				return fmt.Errorf("filter sheet %s: %w", p.name, err)
			}
		}
		return nil
	}
	for _, g := range cats {
		if err := addSheets(exSpec, g.parts); err != nil {
			return err
		}
	}
	if err := addSheets(ieSpec, inputErrors.parts); err != nil {
		return err
	}
	if err := addSheets(resSpec, sales); err != nil {
		return err
	}
	if err := addSheets(resSpec, refunds); err != nil {
		return err
	}
	if b.st, err = newStyles(b.f); err != nil {
		return err
	}

	for _, g := range cats {
		if err := b.writeExceptions(exSpec, g, b.exceptionRow); err != nil {
			return err
		}
	}
	if err := b.writeExceptions(ieSpec, inputErrors, b.inputErrorRow); err != nil {
		return err
	}
	ctl := newControl(rep.exceptions)
	if err := b.writeResults(resSpec, sales, salesKinds, src, ctl); err != nil {
		return err
	}
	if err := b.writeResults(resSpec, refunds, refundKinds, src, ctl); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sum := summarize(rep, ctl, cats)
	if err := b.writeSummary(rep, sum); err != nil {
		return err
	}
	return b.assemble(w)
}

func (b *builder) writeExceptions(spec *sheetSpec, g *exceptionGroup, row func(*rowEncoder, *store.ReportException)) error {
	if err := b.ctx.Err(); err != nil {
		return err
	}
	s := b.newSink(spec, g.parts)
	for _, x := range g.rows {
		e, err := s.next(x.Currency)
		if err != nil {
			s.abort()
			return err
		}
		row(e, x)
		if err := s.end(); err != nil {
			s.abort()
			return err
		}
	}
	if err := s.close(); err != nil {
		s.abort()
		return err
	}
	return nil
}

// resultBatches is how many batches of results may wait between the
// reader and the encoder.
const resultBatches = 4

// writeResults streams results into their sheets: one goroutine reads
// the store while this one encodes (and a third compresses), so the
// three share the machine's cores.
func (b *builder) writeResults(spec *sheetSpec, parts []part, kinds []string, src results, ctl *control) error {
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	full := make(chan []store.ReportResult, resultBatches)
	free := make(chan []store.ReportResult, resultBatches+1)
	for range resultBatches + 1 {
		free <- nil
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(full)
		readErr <- src.each(ctx, kinds, func(rs []store.ReportResult) error {
			var buf []store.ReportResult
			select {
			case buf = <-free:
			case <-ctx.Done():
				return ctx.Err()
			}
			buf = append(buf[:0], rs...)
			select {
			case full <- buf:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()

	s := b.newSink(spec, parts)
	var werr error
	for rs := range full {
		if werr == nil {
			werr = b.ctx.Err()
		}
		if werr == nil {
			werr = b.resultBatch(s, rs, ctl)
		}
		if werr != nil {
			cancel() // stop the reader; keep draining so it can exit
		}
		free <- rs
	}
	rerr := <-readErr
	if werr == nil && rerr != nil {
		werr = rerr
	}
	if werr == nil {
		werr = s.close()
	}
	if werr != nil {
		s.abort()
		return fmt.Errorf("write %s: %w", parts[0].name, werr)
	}
	return nil
}

func (b *builder) resultBatch(s *sheetSink, rs []store.ReportResult, ctl *control) error {
	for i := range rs {
		r := &rs[i]
		ctl.result(r)
		e, err := s.next(r.Currency)
		if err != nil {
			return err
		}
		b.resultRow(e, r)
		if err := s.end(); err != nil {
			return err
		}
	}
	return nil
}

// assemble writes the final archive: every part excelize made, with the
// placeholder of each data sheet replaced by the compressed sheet.
func (b *builder) assemble(w io.Writer) error {
	buf, err := b.f.WriteToBuffer()
	if err != nil {
		return fmt.Errorf("build workbook: %w", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return fmt.Errorf("read built workbook: %w", err)
	}
	paths, err := sheetPaths(zr)
	if err != nil {
		return err
	}
	replace := map[string]compressedPart{}
	for name, p := range b.parts {
		pth, ok := paths[name]
		if !ok {
			return fmt.Errorf("assemble workbook: sheet %s has no part", name)
		}
		replace[pth] = p
	}
	zw := zip.NewWriter(w)
	for _, zf := range zr.File {
		p, ok := replace[zf.Name]
		if !ok {
			if err := zw.Copy(zf); err != nil {
				return fmt.Errorf("write %s: %w", zf.Name, err)
			}
			continue
		}
		if err := b.ctx.Err(); err != nil {
			return err
		}
		if err := copyPart(zw, zf.Name, p); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish workbook: %w", err)
	}
	return nil
}

func copyPart(zw *zip.Writer, name string, p compressedPart) error {
	f, err := os.Open(p.path)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer f.Close()
	pw, err := zw.CreateRaw(&zip.FileHeader{
		Name: name, Method: zip.Deflate, CRC32: p.crc,
		CompressedSize64: uint64(p.compressed), UncompressedSize64: uint64(p.size),
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := io.Copy(pw, f); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// sheetPaths maps each sheet's name to its part in the archive, read
// from the workbook and its relationships as any reader would.
func sheetPaths(zr *zip.Reader) (map[string]string, error) {
	read := func(name string, v any) error {
		f, err := zr.Open(name)
		if err != nil {
			return fmt.Errorf("read built workbook: %w", err)
		}
		defer f.Close()
		if err := xml.NewDecoder(f).Decode(v); err != nil {
			return fmt.Errorf("read built workbook %s: %w", name, err)
		}
		return nil
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := read("xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if err := read("xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		targets[r.ID] = t
	}
	out := map[string]string{}
	for _, s := range wb.Sheets {
		if t, ok := targets[s.RID]; ok {
			out[s.Name] = t
		}
	}
	return out, nil
}
