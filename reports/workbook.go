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
	"path/filepath"
	"slices"
	"strings"
	"sync"
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
	// LinkHosts are the hosts a payment link's URL may point at for its
	// uid to be a hyperlink: a host matches itself and its subdomains.
	// The URLs come from an API, so a hostile or compromised one could
	// otherwise plant a link to any site in finance's workbook; a URL on
	// another host is shown as text. None: no hyperlinks.
	LinkHosts []string
	// OnControl, when set, is given the control lines the Summary shows,
	// so a caller can act on an unexplained difference (recon run
	// --fail-on-unexplained).
	OnControl func([]ControlLine)
	// OnDigest, when set, is given the Digest of the report: the
	// Summary's figures for the summary files people read outside Excel
	// (WriteDigestMarkdown, WriteDigestHTML).
	OnDigest func(Digest)
	// Warnings are said first on the Summary's banner, in red: what the
	// run found wrong with its own footing rather than with the money,
	// such as a sign key that failed most signatures.
	Warnings []string
	// Status, when set, is the run status the Summary shows instead of
	// the one recorded: a run writes its workbook before it records
	// itself ok, and records itself ok only once the workbook is in place.
	Status string
	// Files, when set, is where the workbook is staged: WriteWorkbook
	// adds it to the set and the caller installs the set. Path must be
	// in the set's directory. Without it the workbook is written to a
	// temporary file of its own and renamed over Path.
	Files *FileSet
	// History, when set, is the run's exception history as the caller
	// recorded it (the carry-forward of the same process): the workbook
	// takes it instead of reading it back.
	History *RunHistory

	// token marks the sheet buffers' names with their writer's (see
	// Claim); set by WriteWorkbook.
	token string
}

// RunHistory is what a run's carry-forward recorded: the first-seen date
// of each exception key (store.ExceptionFirstSeen) and the previous
// run's exceptions the run no longer has (store.ResolvedSince).
type RunHistory struct {
	FirstSeen map[string]string
	Resolved  []store.ResolvedException
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

// Store is the database as the workbook reads it: a run, its
// exceptions and results, finance's decisions on them, and what the
// Summary shows beside them.
type Store interface {
	Merchant() string
	GetRun(ctx context.Context, id int64) (recon.Run, error)
	ReportExceptions(ctx context.Context, runID int64) ([]store.ReportException, error)
	ReportResults(ctx context.Context, runID int64, fn func([]store.ReportResult) error) error
	ReportResultCounts(ctx context.Context, runID int64) ([]store.ResultCount, error)
	ReportSourceTotals(ctx context.Context) ([]store.SourceTotal, error)
	ExceptionFirstSeen(ctx context.Context, runID int64) (map[string]string, error)
	ResolvedSince(ctx context.Context, runID int64) ([]store.ResolvedException, error)
	InputFiles(ctx context.Context) ([]store.InputFile, error)
	LatestDecisions(ctx context.Context) (map[string]recon.Decision, error)
	SettlementBatches(ctx context.Context, runID int64) ([]recon.SettlementBatch, error)
	MatchMark(ctx context.Context, runID int64) (store.MatchMark, bool, error)
}

// WriteWorkbook writes the reconciliation workbook of a match run to
// opts.Path: a Summary sheet, one sheet per exception category that has
// rows, and the Sales, Refunds & voids and Input errors sheets (see
// doc.go for the layout). The file is written to a temporary file in the
// same directory, synced and renamed over Path (or staged in
// opts.Files, for the caller to install), so a failure or a crash never
// leaves part of a workbook where the previous one was. Memory does
// not grow with the number of match results: they are streamed from the
// store and compressed as they come; only the exceptions are held.
func WriteWorkbook(ctx context.Context, db Store, runID int64, opts WorkbookOptions) error {
	opts, err := opts.normalized()
	if err != nil {
		return fmt.Errorf("write workbook of run %d: %w", runID, err)
	}
	start := time.Now()
	rep, err := loadReport(ctx, db, runID, opts.History)
	if err != nil {
		return fmt.Errorf("write workbook of run %d: %w", runID, err)
	}
	defer rep.abandon() // should writeWorkbook never start
	trace("load", start)
	if opts.Status != "" {
		rep.run.Status = opts.Status
	}
	rep.warnings = opts.Warnings
	files := opts.Files
	if files == nil {
		o, err := Claim(filepath.Dir(opts.Path), 0, "")
		if err != nil {
			return fmt.Errorf("write workbook of run %d: %w", runID, err)
		}
		defer o.Release()
		files = o.NewFileSet(false)
		defer files.Discard()
	}
	opts.token = files.o.token
	err = files.Add(opts.Path, func(w io.Writer) error {
		return writeWorkbook(ctx, w, rep, storeResults{db: db, runID: runID}, opts)
	})
	if err == nil && opts.Files == nil {
		err = files.Install()
	}
	if err != nil {
		return fmt.Errorf("write workbook of run %d: %w", runID, err)
	}
	return nil
}

// tracePhase, when set (by the benchmark), is told how long each phase
// of WriteWorkbook took.
var tracePhase func(phase string, took time.Duration)

func trace(phase string, start time.Time) time.Time {
	now := time.Now()
	if tracePhase != nil {
		tracePhase(phase, now.Sub(start))
	}
	return now
}

// report is what the workbook shows besides the streamed results.
type report struct {
	run recon.Run
	// mark says how the run matched: with an incremental one, the
	// control is of the rows it read (its results, the exceptions it
	// found, the ledger lines it read), the carried exceptions left out.
	mark        store.MatchMark
	incremental bool
	warnings    []string
	exceptions  []store.ReportException
	// firstSeen is each exception key's first-seen date and resolved
	// the previous run's exceptions this run no longer has.
	firstSeen map[string]string
	resolved  []store.ResolvedException
	// merchant is the run's; decisions are its latest decisions, by
	// exception key (decisions.go).
	merchant  string
	decisions map[string]recon.Decision
	counts    []store.ResultCount
	// settlements are the run's settlement batches, members and all
	// (none without net settlements).
	settlements []recon.SettlementBatch
	sources     []store.SourceTotal
	files       []store.InputFile
	// summary fills resolved, sources and files while the data sheets
	// are written; see loadReport.
	summary *queries
}

// loadReport reads everything but the results, the queries side by
// side (each on a connection of its own; in WAL mode readers do not
// block each other). It returns once the data sheets can be written;
// the queries only the Summary needs (source totals, resolved
// exceptions, input files) go on meanwhile, and report.summaryData
// waits for them. A run that kept a mark (store.MatchMark) counted its
// inputs as the match read them; only for an older run are they counted
// from every input table, which at a million orders takes longer than
// the other queries together, and so overlaps with the result sheets.
func loadReport(ctx context.Context, db Store, runID int64, known *RunHistory) (*report, error) {
	r := report{merchant: db.Merchant()}
	var err error
	if r.run, err = db.GetRun(ctx, runID); err != nil {
		return nil, err
	}
	// A run that kept a mark counted its inputs as it read them.
	var marked bool
	if r.mark, marked, err = db.MatchMark(ctx, runID); err != nil {
		return nil, err
	}
	r.incremental = marked && r.mark.Incremental
	sources := func(ctx context.Context) (err error) { r.sources, err = db.ReportSourceTotals(ctx); return err }
	if marked {
		sources = func(context.Context) error { r.sources = r.mark.Sources; return nil }
	}
	// A run's history handed over by the carry-forward that recorded it
	// is taken as it is.
	firstSeen := func(ctx context.Context) (err error) {
		r.firstSeen, err = db.ExceptionFirstSeen(ctx, runID)
		return err
	}
	resolved := func(ctx context.Context) (err error) { r.resolved, err = db.ResolvedSince(ctx, runID); return err }
	if known != nil {
		r.firstSeen, r.resolved = known.FirstSeen, known.Resolved
		firstSeen, resolved = func(context.Context) error { return nil }, func(context.Context) error { return nil }
	}
	sheets := goAll(ctx, []func(context.Context) error{
		func(ctx context.Context) (err error) { r.exceptions, err = db.ReportExceptions(ctx, runID); return err },
		firstSeen,
		func(ctx context.Context) (err error) { r.counts, err = db.ReportResultCounts(ctx, runID); return err },
		func(ctx context.Context) (err error) {
			r.settlements, err = db.SettlementBatches(ctx, runID)
			return err
		},
		func(ctx context.Context) (err error) { r.decisions, err = db.LatestDecisions(ctx); return err },
	})
	r.summary = goAll(ctx, []func(context.Context) error{
		resolved,
		sources,
		func(ctx context.Context) (err error) { r.files, err = db.InputFiles(ctx); return err },
	})
	if err := sheets.wait(); err != nil {
		r.abandon()
		return nil, err
	}
	return &r, nil
}

// queries is a set of queries running side by side.
type queries struct {
	wg     sync.WaitGroup
	errs   []error
	cancel context.CancelFunc
}

func goAll(ctx context.Context, fs []func(context.Context) error) *queries {
	ctx, cancel := context.WithCancel(ctx)
	q := &queries{errs: make([]error, len(fs)), cancel: cancel}
	for i, f := range fs {
		q.wg.Go(func() { q.errs[i] = f(ctx) })
	}
	return q
}

// wait waits for every query and returns their errors joined. It may be
// called again.
func (q *queries) wait() error {
	q.wg.Wait()
	q.cancel()
	return errors.Join(q.errs...)
}

// summaryData waits for the Summary's queries; a report built by hand
// (tests) has none.
func (r *report) summaryData() error {
	if r.summary == nil {
		return nil
	}
	return r.summary.wait()
}

// abandon stops the Summary's queries and waits for them to end, so that
// none outlives a workbook that failed before its Summary.
func (r *report) abandon() {
	if r.summary != nil {
		r.summary.cancel()
		r.summary.wait()
	}
}

// results streams a run's match results, in batches that fn must not
// keep; the store implements it.
type results interface {
	each(ctx context.Context, fn func([]store.ReportResult) error) error
}

type storeResults struct {
	db    Store
	runID int64
}

func (s storeResults) each(ctx context.Context, fn func([]store.ReportResult) error) error {
	return s.db.ReportResults(ctx, s.runID, fn)
}

// isSale says which result sheet a result goes to: sales to Sales,
// every other kind (refunds, voids) to Refunds & voids.
func isSale(kind string) bool { return kind == match.KindSale }

// builder holds what writing one workbook needs.
type builder struct {
	ctx    context.Context
	opts   WorkbookOptions
	zone   *time.Location
	f      *excelize.File
	st     *styles
	tmpDir string
	// tmpToken is the writer's mark on the sheet buffers' names.
	tmpToken string
	parts    map[string][]stream // written data sheets, by name
	// firstSeen and date age the exceptions (see report.firstSeen).
	firstSeen map[string]string
	date      string
	// batches says which settlement batch settled a transaction without
	// a line of its own (settlements.go), for its row's detail.
	batches *batchIndex
	// rep is the report written; merchant its merchant, and dst the
	// styles of the decision columns (decisions.go).
	rep      *report
	merchant string
	dst      decisionStyles
}

func (b *builder) cleanup() {
	for _, ss := range b.parts {
		for _, st := range ss {
			if st.path != "" {
				os.Remove(st.path)
			}
		}
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
		return cmp.Or(cmp.Compare(severityRank(a.category.Severity()), severityRank(b.category.Severity())),
			cmp.Compare(a.category.Rank(), b.category.Rank()), cmp.Compare(a.category, b.category))
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
	}
	return cats, inputErrors
}

func severityRank(s string) int {
	if i := slices.Index(recon.Severities, s); i >= 0 {
		return i
	}
	return len(recon.Severities)
}

// planResults plans the sheets of the results that sale selects
// (isSale or its opposite) from the run's counts.
func planResults(base string, sale bool, counts []store.ResultCount) []part {
	var pieces []piece
	for _, c := range counts {
		if isSale(c.Kind) != sale {
			continue
		}
		i := slices.IndexFunc(pieces, func(p piece) bool { return p.currency == c.Currency })
		if i < 0 {
			pieces = append(pieces, piece{currency: c.Currency})
			i = len(pieces) - 1
		}
		pieces[i].rows += int(c.Rows)
	}
	slices.SortFunc(pieces, func(a, b piece) int { return strings.Compare(a.currency, b.currency) })
	return planParts(base, pieces, maxSheetRows)
}

// writeWorkbook builds the workbook and writes it to w.
func writeWorkbook(ctx context.Context, w io.Writer, rep *report, src results, opts WorkbookOptions) (err error) {
	// Sheet buffers go beside the workbook, hidden, so that a run killed
	// mid-write leaves them where the next run's RemoveStaleTemps finds
	// them, not in /tmp.
	b := &builder{ctx: ctx, opts: opts, zone: opts.Zone, parts: map[string][]stream{}, tmpDir: filepath.Dir(opts.Path),
		tmpToken: opts.token, firstSeen: rep.firstSeen, date: rep.run.BusinessDate, rep: rep, merchant: rep.merchant}
	defer b.cleanup()
	defer rep.abandon()

	cats, inputErrors := planExceptions(rep.exceptions)
	sales := planResults(SheetSales, true, rep.counts)
	refunds := planResults(SheetRefunds, false, rep.counts)
	settlements := planSettlements(rep.settlements)

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
			if err := setPrintNames(b.f, spec, p); err != nil {
				return err
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
	if settlements != nil {
		if err := addSheets(settlementSpec(), settlements.parts); err != nil {
			return err
		}
		if err := addSheets(memberSpec(zoneName), settlements.members); err != nil {
			return err
		}
	}
	if b.st, err = newStyles(b.f); err != nil {
		return err
	}
	if b.dst, err = newDecisionStyles(b.st); err != nil {
		return err
	}
	if err := b.setWorkbookID(rep.run); err != nil {
		return err
	}

	start := time.Now()
	for _, g := range cats {
		if err := b.writeExceptions(exSpec, g, b.exceptionRow, b.exceptionHeight); err != nil {
			return err
		}
	}
	if err := b.writeExceptions(ieSpec, inputErrors, b.inputErrorRow, b.inputErrorHeight); err != nil {
		return err
	}
	start = trace("exception sheets", start)
	ctl := newControl(rep.exceptions, rep.explained)
	ctl.settlements(rep.settlements)
	b.batches = newBatchIndex(rep.settlements)
	if err := b.writeResults(resSpec, sales, refunds, src, ctl); err != nil {
		return err
	}
	start = trace("result sheets", start)
	if settlements != nil {
		if err := b.writeSettlements(settlements); err != nil {
			return err
		}
		start = trace("settlement sheets", start)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := rep.summaryData(); err != nil {
		return err
	}
	sum := summarize(rep, ctl, cats)
	if opts.OnControl != nil {
		opts.OnControl(sum.control)
	}
	if opts.OnDigest != nil {
		opts.OnDigest(digestOf(rep, sum, b.businessDate(), zoneName, opts.Path))
	}
	if err := b.writeSummary(rep, sum); err != nil {
		return err
	}
	start = trace("summary", start)
	err = b.assemble(w)
	trace("assemble", start)
	return err
}

func (b *builder) writeExceptions(spec *sheetSpec, g *exceptionGroup, row func(*rowEncoder, *store.ReportException), height func(*store.ReportException) float64) error {
	if err := b.ctx.Err(); err != nil {
		return err
	}
	s := b.newSink(spec, g.parts)
	for _, x := range g.rows {
		e, am, err := s.next(x.Currency, height(x))
		if err != nil {
			s.abort()
			return err
		}
		row(e, x)
		if len(am.sums) == 3 {
			for k, v := range exceptionAmounts(x) {
				am.add(k, v)
			}
		}
		if err := s.end(x.Currency); err != nil {
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

// writeResults streams the results into their two lists of sheets in
// one pass over the store: one goroutine reads while this one encodes
// (and one per block compresses), so they share the machine's cores.
func (b *builder) writeResults(spec *sheetSpec, sales, refunds []part, src results, ctl *control) error {
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	full := make(chan *resultBatch, resultBatches)
	free := make(chan *resultBatch, resultBatches+1)
	for range resultBatches + 1 {
		free <- &resultBatch{}
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(full)
		readErr <- src.each(ctx, func(rs []store.ReportResult) error {
			var buf *resultBatch
			select {
			case buf = <-free:
			case <-ctx.Done():
				return ctx.Err()
			}
			buf.fill(rs)
			select {
			case full <- buf:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()

	ss, rs := b.newSink(spec, sales), b.newSink(spec, refunds)
	var werr error
	for batch := range full {
		if werr == nil {
			werr = b.ctx.Err()
		}
		for i := 0; werr == nil && i < len(batch.rows); i++ {
			r := &batch.rows[i]
			ctl.result(r)
			s := rs
			if isSale(r.Kind) {
				s = ss
			}
			werr = b.resultTo(s, r)
		}
		if werr != nil {
			cancel() // stop the reader; keep draining so it can exit
		}
		free <- batch
	}
	if rerr := <-readErr; werr == nil && rerr != nil {
		werr = rerr
	}
	if werr == nil {
		werr = ss.close()
	}
	if werr == nil {
		werr = rs.close()
	}
	if werr != nil {
		ss.abort()
		rs.abort()
		return fmt.Errorf("write match results: %w", werr)
	}
	return nil
}

// resultBatch is a copy of a batch the store handed over, with its own
// time values (the store reuses its own).
type resultBatch struct {
	rows  []store.ReportResult
	times []time.Time
}

func (b *resultBatch) fill(rs []store.ReportResult) {
	b.rows = append(b.rows[:0], rs...)
	if cap(b.times) < 2*len(rs) {
		b.times = make([]time.Time, 0, 2*len(rs))
	}
	b.times = b.times[:0]
	own := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		b.times = append(b.times, *t) // within capacity: earlier pointers stay valid
		return &b.times[len(b.times)-1]
	}
	for i := range b.rows {
		r := &b.rows[i]
		r.PaidAt, r.BookedOn = own(r.PaidAt), own(r.BookedOn)
	}
}

func (b *builder) resultTo(s *sheetSink, r *store.ReportResult) error {
	detail := resultDetail(r)
	if r.Clean && r.LedgerEntryID == 0 && b.batches != nil {
		if d, ok := b.batches.detail(r); ok {
			detail = d
		}
	}
	e, am, err := s.next(r.Currency, rowHeight(wrappedLines(detail, detailWidth)))
	if err != nil {
		return err
	}
	b.resultRow(e, r, detail)
	for k, v := range resultAmounts(r) {
		am.add(k, v)
	}
	return s.end(r.Currency)
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
	replace := map[string][]stream{}
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

// copyPart writes a sheet's streams as one zip entry: laid end to end
// and closed with a final block, they are one deflate stream.
func copyPart(zw *zip.Writer, name string, ss []stream) error {
	crc, size, compressed := concatStreams(ss)
	pw, err := zw.CreateRaw(&zip.FileHeader{
		Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(compressed), UncompressedSize64: uint64(size),
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	for _, st := range ss {
		if st.path == "" {
			if _, err := pw.Write(st.data); err != nil {
				return fmt.Errorf("write %s: %w", name, err)
			}
			continue
		}
		f, err := os.Open(st.path)
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		_, err = io.Copy(pw, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if _, err := pw.Write(finalBlock); err != nil {
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
