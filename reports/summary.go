package reports

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// summary is what the Summary sheet shows, computed before it is laid
// out.
type summary struct {
	control []ControlLine
	// incremental says the control is of the rows the run read, not of
	// every row: it started from run baseRunID and carried its
	// exceptions the night did not reach (carried of them).
	incremental bool
	baseRunID   int64
	carried     int
	categories  []categoryRow
	stakeCurs   []string // currencies with money at stake, in code order
	matching    []matchingRow
	bySeverity  map[string]int
	// exceptions counts those that need action; decided those finance
	// accepted or wrote off on the money they have (which need none),
	// and reopened those whose money changed since (which need it again).
	exceptions, decided, reopened int
}

// categoryRow is one exception category: its count and, per currency,
// the money at stake (the sum of the absolute differences, as
// match.CategoryTotal counts it).
type categoryRow struct {
	category recon.Category
	severity string
	sheet    string
	count    int
	stake    map[string]int64
}

// matchingRow is the matching of one currency ("" for all of them).
type matchingRow struct {
	currency       string
	results, clean int64
	cleanNet       int64 // clean sales in, clean refunds out
	hasAmount      bool  // false for the all-currencies row: amounts do not add across currencies
}

func summarize(rep *report, ctl *control, cats []*exceptionGroup) *summary {
	s := &summary{bySeverity: map[string]int{}}
	sheets := map[recon.Category]string{recon.InputErrorCategory: partName(SheetInputErrors, 0)}
	for _, g := range cats {
		sheets[g.category] = g.parts[0].name
	}
	by := map[recon.Category]*categoryRow{}
	for i := range rep.exceptions {
		x := &rep.exceptions[i]
		switch st := rep.status(&x.Exception); {
		case st.Explained():
			s.decided++
			continue
		case st.Reopened:
			s.reopened++
		}
		s.exceptions++
		r := by[x.Category]
		if r == nil {
			r = &categoryRow{category: x.Category, severity: x.Severity, sheet: sheets[x.Category], stake: map[string]int64{}}
			by[x.Category] = r
		}
		r.count++
		s.bySeverity[x.Severity]++
		if x.Currency != "" {
			r.stake[x.Currency] += abs(x.DifferenceMinor)
			if !slices.Contains(s.stakeCurs, x.Currency) {
				s.stakeCurs = append(s.stakeCurs, x.Currency)
			}
		}
	}
	slices.Sort(s.stakeCurs)
	for _, r := range by {
		s.categories = append(s.categories, *r)
	}
	// Most urgent first; within a severity the most money at stake first.
	// Amounts of different currencies are not converted: the order
	// compares the sums of their major units, which is what a reader
	// scanning the column does.
	stake := func(r categoryRow) float64 {
		var t float64
		for cur, v := range r.stake {
			t += displayAmount(v, cur)
		}
		return t
	}
	slices.SortFunc(s.categories, func(a, b categoryRow) int {
		return cmp.Or(cmp.Compare(severityRank(a.severity), severityRank(b.severity)),
			cmp.Compare(stake(b), stake(a)), cmp.Compare(b.count, a.count), cmp.Compare(a.category, b.category))
	})

	ledger := map[string]int64{}
	if rep.incremental {
		maps.Copy(ledger, rep.mark.LedgerNet)
	} else {
		for _, t := range rep.sources {
			if t.Source == store.SourceLedger {
				ledger[t.Currency] += t.AmountMinor
			}
		}
	}
	s.control = ctl.lines(ledger)
	if rep.incremental {
		s.incremental, s.baseRunID = true, rep.mark.BaseRunID
		for i := range rep.exceptions {
			if rep.exceptions[i].Carried {
				s.carried++
			}
		}
	}

	all := matchingRow{}
	byCur := map[string]*matchingRow{}
	for _, t := range rep.counts {
		m := byCur[t.Currency]
		if m == nil {
			m = &matchingRow{currency: t.Currency, hasAmount: true}
			byCur[t.Currency] = m
		}
		for _, r := range []*matchingRow{m, &all} {
			r.results += t.Rows
			r.clean += t.Clean
		}
		switch t.Kind {
		case match.KindSale:
			m.cleanNet += t.CleanGatewayMinor
		case match.KindRefund:
			m.cleanNet -= t.CleanGatewayMinor
		}
	}
	for _, m := range byCur {
		s.matching = append(s.matching, *m)
	}
	slices.SortFunc(s.matching, func(a, b matchingRow) int { return cmp.Compare(a.currency, b.currency) })
	if len(s.matching) != 1 {
		s.matching = append(s.matching, all)
	}
	return s
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// sourceLabels names the input counts for people.
var sourceLabels = map[string]string{
	store.SourceOrders:           "Orders (Xepeng)",
	store.SourcePaymentLinksPaid: "Payment links paid (Xepeng)",
	store.SourceSales:            "Sales (OxPay, any state)",
	store.SourceRefunds:          "Refunds (OxPay, amount refunded)",
	store.SourceVoids:            "Voids (OxPay)",
	store.SourceWebhooks:         "Webhook deliveries",
	store.SourceWebhookUnique:    "Webhook notifications (redeliveries once)",
	store.SourceWebhookBadSig:    "Webhook deliveries failing the signature",
	store.SourceLedgerCredits:    "Ledger credits",
	store.SourceLedgerDebits:     "Ledger debits",
	store.SourceLedger:           "Ledger lines (net)",
}

// sheetWriter puts cells on a normal (non-streamed) sheet and keeps
// the widest number of each column, so the columns can be made wide
// enough for them.
type sheetWriter struct {
	f      *excelize.File
	sheet  string
	err    error
	widths map[int]int
}

// numberWidth estimates how many characters a number takes in the
// amount formats: digits, thousands separators, two decimals and the
// brackets of a negative.
func numberWidth(v float64) int {
	n := len(strconv.FormatFloat(math.Abs(math.Trunc(v)), 'f', 0, 64))
	return n + (n-1)/3 + 3 + 2
}

// need makes column col at least n characters wide, for a value whose
// width set cannot tell from the value (a date).
func (w *sheetWriter) need(col, n int) {
	if w.widths == nil {
		w.widths = map[int]int{}
	}
	w.widths[col] = max(w.widths[col], n)
}

func cellName(col, row int) string { return colName(col) + fmt.Sprint(row) }

func (w *sheetWriter) set(col, row int, v any, style int) {
	if w.err != nil {
		return
	}
	c := cellName(col, row)
	var width int
	switch v := v.(type) {
	case float64:
		width = numberWidth(v)
	case int64:
		width = numberWidth(float64(v))
	case int:
		width = numberWidth(float64(v))
	}
	if width > w.widths[col] {
		if w.widths == nil {
			w.widths = map[int]int{}
		}
		w.widths[col] = width
	}
	switch v := v.(type) {
	case nil:
	case string:
		// SetCellStr stores text as text, whatever its first character.
		w.err = w.f.SetCellStr(w.sheet, c, v)
	default:
		w.err = w.f.SetCellValue(w.sheet, c, v)
	}
	if w.err == nil && style > 0 {
		w.err = w.f.SetCellStyle(w.sheet, c, c, style)
	}
}

func (w *sheetWriter) style(from, to string, style int) {
	if w.err == nil {
		w.err = w.f.SetCellStyle(w.sheet, from, to, style)
	}
}

// headerStyle right-aligns the headers of number columns (from the
// first number column on), as the numbers below them are.
func headerStyle(st *styles, col, firstNumber int) int {
	if col >= firstNumber {
		return st.headerRight
	}
	return st.headerPlain
}

// summaryCols is how many columns the Summary's page is laid out on;
// summaryFirstCol is the width of the first, the labels'.
const (
	summaryCols     = 7
	summaryFirstCol = 42
)

// writeSummary lays out the Summary sheet: what needs action first (a
// banner, then the exception categories, most urgent and most money
// first), then the control line, the chart, the matching, the inputs and
// a legend. Each part is laid out by its own method, from the row it is
// given, and returns the row after it.
func (b *builder) writeSummary(rep *report, s *summary) error {
	w := &sheetWriter{f: b.f, sheet: SheetSummary}
	row := b.summaryHeading(w, rep)
	row = b.summaryBanner(w, rep, s, row)
	row, firstCat, lastCat := b.summaryCategories(w, rep, s, row)
	row = b.summaryControl(w, s, row)
	row = b.summaryChart(w, s, row, firstCat, lastCat)
	breakAt := row // the chart ends the first printed page
	row = b.summaryMatching(w, s, row)
	row = b.summarySources(w, rep, row)
	row = b.summaryInputFiles(w, rep, row)
	row = b.summaryLegend(w, row)
	return b.finishSummary(w, row, breakAt)
}

// summaryHeading writes the title and the run's line, from row 1.
func (b *builder) summaryHeading(w *sheetWriter, rep *report) int {
	st := b.st
	zone := b.zone.String()
	date := b.businessDate()
	stamp := func(t time.Time) string { return t.In(b.zone).Format("2006-01-02 15:04:05") }

	row := 1
	w.set(1, row, "Reconciliation report — business date "+date+" ("+zone+")", st.title)
	row++
	ran := "started " + stamp(rep.run.StartedAt)
	if rep.run.EndedAt != nil {
		ran += ", ended " + stamp(*rep.run.EndedAt)
	}
	w.set(1, row, fmt.Sprintf("Run #%d of recon %s %s · %s · report written %s · all times in %s",
		rep.run.ID, rep.run.Command, statusText(rep.run.Status), ran, stamp(b.opts.Now()), zone), st.subtitle)
	row += 2
	return row
}

// statusText says a run's status in words.
func statusText(status string) string {
	switch status {
	case recon.RunOK:
		return "finished ok"
	case recon.RunRunning:
		return "was still running"
	case recon.RunFailed:
		return "FAILED"
	case recon.RunReplaced:
		return "was replaced by a later run of the same date"
	}
	return "ended with status " + status
}

// summaryBanner writes the one line to read first.
func (b *builder) summaryBanner(w *sheetWriter, rep *report, s *summary, row int) int {
	f, st := b.f, b.st
	text, level := banner(rep, s)
	style := st.bannerStyle(level)
	w.set(1, row, text, style)
	w.style(cellName(1, row), cellName(summaryCols, row), style)
	if w.err == nil {
		w.err = f.SetRowHeight(SheetSummary, row, 22)
	}
	row += 2
	return row
}

// summaryCategories writes section 1, the exceptions by category. It
// returns the next row, and the first and last rows of the categories,
// which the chart plots.
func (b *builder) summaryCategories(w *sheetWriter, rep *report, s *summary, row int) (int, int, int) {
	f, st := b.f, b.st
	w.set(1, row, "1. What needs action: exceptions by category, most urgent and largest first", st.section)
	row++
	head := []string{"Category (click to open its sheet)", "Severity", "Count"}
	for _, c := range s.stakeCurs {
		head = append(head, "At stake "+c)
	}
	for _, c := range s.stakeCurs {
		head = append(head, c+" (minor)")
	}
	for i, h := range head {
		w.set(i+1, row, h, headerStyle(st, i, 2))
	}
	row++
	firstCat := row
	for _, r := range s.categories {
		w.set(1, row, CategorySheetName(r.category), st.link)
		if w.err == nil && r.sheet != "" {
			w.err = f.SetCellHyperLink(SheetSummary, cellName(1, row), "'"+strings.ReplaceAll(r.sheet, "'", "''")+"'!A1", "Location")
		}
		w.set(2, row, r.severity, st.severity(r.severity))
		w.set(3, row, r.count, st.count)
		for i, c := range s.stakeCurs {
			if v, ok := r.stake[c]; ok {
				w.set(4+i, row, displayAmount(v, c), st.amountStyle(c, false))
				w.set(4+len(s.stakeCurs)+i, row, v, st.minor)
			}
		}
		row++
	}
	lastCat := row - 1
	if len(s.categories) == 0 {
		w.set(1, row, "No exceptions.", st.note)
		row++
	}
	w.set(1, row, "All needing action", st.bold)
	w.set(3, row, s.exceptions, st.countBold)
	for i, c := range s.stakeCurs {
		var t int64
		for _, r := range s.categories {
			t += r.stake[c]
		}
		w.set(4+i, row, displayAmount(t, c), st.amountStyle(c, true))
		w.set(4+len(s.stakeCurs)+i, row, t, st.minorBold)
	}
	row++
	w.set(1, row, "At stake: the sum of the absolute differences. What each category means: section 6.", st.note)
	row++
	if text := decisionsLine(s); text != "" {
		w.set(1, row, text, st.note)
		row++
	}
	w.set(1, row, carryLine(rep), st.note)
	row += 2
	return row, firstCat, lastCat
}

// feesLabel is the control's line of the settlement fees, shown when a
// run has any.
const feesLabel = "  fees the gateway kept (settlement batches)"

// hasFees reports whether any currency's control has settlement fees.
func hasFees(ls []ControlLine) bool {
	return slices.ContainsFunc(ls, func(l ControlLine) bool { return l.Fees != 0 })
}

// summaryControl writes section 2, the control line.
func (b *builder) summaryControl(w *sheetWriter, s *summary, row int) int {
	f, st := b.f, b.st
	w.set(1, row, "2. Control: gateway net − ledger net per currency; unexplained must be 0", st.section)
	row++
	if s.incremental {
		w.set(1, row, fmt.Sprintf("Of what this run matched: the transactions and ledger lines the night's input reached (run %d's outcome stands for the rest); the %d exceptions carried unchanged from it are left out here.",
			s.baseRunID, s.carried), st.note)
		row++
	}
	ledgerLabel := "Ledger net (every ledger line)"
	if s.incremental {
		ledgerLabel = "Ledger net (the ledger lines read)"
	}
	w.set(1, row, "", st.headerPlain)
	for i, l := range s.control {
		w.set(2+i, row, l.Currency, st.headerRight)
		w.set(2+len(s.control)+i, row, l.Currency+" (minor)", st.headerRight)
	}
	row++
	items := []struct {
		label string
		value func(ControlLine) int64
	}{
		{"Gateway net (settled sales − refunds)", func(l ControlLine) int64 { return l.GatewayNet }},
		{ledgerLabel, func(l ControlLine) int64 { return l.LedgerNet }},
		{"Difference (gateway − ledger)", func(l ControlLine) int64 { return l.Difference }},
		{"  explained by the exceptions", func(l ControlLine) int64 { return l.Explained }},
		{"  explained by decision (accepted or written off)", func(l ControlLine) int64 { return l.ExplainedByDecision }},
		{"  no ledger line yet (not due, or ambiguous)", func(l ControlLine) int64 { return l.AwaitingYet }},
		{"  within the matching tolerance", func(l ControlLine) int64 { return l.Tolerance }},
		{"Unexplained", func(l ControlLine) int64 { return l.Unexplained }},
	}
	if hasFees(s.control) {
		fees := []struct {
			label string
			value func(ControlLine) int64
		}{{feesLabel, func(l ControlLine) int64 { return l.Fees }}}
		items = slices.Insert(items, 5, fees...)
	}
	for k, it := range items {
		last := k == len(items)-1
		label := 0
		if k == 2 || last {
			label = st.bold
		}
		w.set(1, row, it.label, label)
		for i, l := range s.control {
			v := it.value(l)
			ds, ms := st.amountStyle(l.Currency, label != 0), st.minor
			if label != 0 {
				ms = st.minorBold
			}
			if last && v != 0 {
				ds, ms = st.redAmount(l.Currency), st.redMinor
			}
			w.set(2+i, row, displayAmount(v, l.Currency), ds)
			w.set(2+len(s.control)+i, row, v, ms)
		}
		if last && len(s.control) > 0 && w.err == nil {
			// Also red if someone edits the figures above.
			w.err = f.SetConditionalFormat(SheetSummary, cellName(2, row)+":"+cellName(1+2*len(s.control), row),
				[]excelize.ConditionalFormatOptions{{Type: "cell", Criteria: "!=", Value: "0", Format: &st.redCond}})
		}
		row++
	}
	if len(s.control) == 0 {
		w.set(1, row, "No money moved: nothing to control.", st.note)
		row++
	}
	w.set(1, row, "Explained: each ledger break counted once, from its exception. Not due: the settlement window is still open.", st.note)
	row += 2
	return row
}

// summaryChart draws the exceptions by category (rows firstCat to
// lastCat of section 1), when there are any.
func (b *builder) summaryChart(w *sheetWriter, s *summary, row, firstCat, lastCat int) int {
	f, st := b.f, b.st
	if len(s.categories) > 0 && w.err == nil {
		w.set(1, row, "Exceptions by category (count)", st.section)
		row++
		h := uint(60 + 24*len(s.categories))
		axisFont := excelize.Font{Color: "000000", Size: 9}
		w.err = f.AddChart(SheetSummary, cellName(1, row), &excelize.Chart{
			Type: excelize.Bar,
			Series: []excelize.ChartSeries{{
				Name:       fmt.Sprintf("'%s'!$C$%d", SheetSummary, firstCat-1),
				Categories: fmt.Sprintf("'%s'!$A$%d:$A$%d", SheetSummary, firstCat, lastCat),
				Values:     fmt.Sprintf("'%s'!$C$%d:$C$%d", SheetSummary, firstCat, lastCat),
				Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"2F5597"}},
			}},
			Dimension: excelize.ChartDimension{Width: 480, Height: h},
			Legend:    excelize.ChartLegend{Position: "none"},
			XAxis:     excelize.ChartAxis{ReverseOrder: true, Font: axisFont},
			YAxis:     excelize.ChartAxis{Font: axisFont, MajorGridLines: true},
			PlotArea:  excelize.ChartPlotArea{ShowVal: true},
			Format:    excelize.GraphicOptions{PrintObject: ptr(true)},
		})
		row += int(h)/18 + 2
	}
	return row
}

// summaryMatching writes section 3, the matching per currency.
func (b *builder) summaryMatching(w *sheetWriter, s *summary, row int) int {
	st := b.st
	w.set(1, row, "3. Matching", st.section)
	row++
	for i, h := range []string{"Currency", "Transactions", "Matched clean", "Match rate", "Matched net", "Net (minor)"} {
		w.set(i+1, row, h, headerStyle(st, i, 1))
	}
	row++
	for _, m := range s.matching {
		label := m.currency
		bold := 0
		if label == "" {
			label, bold = "All currencies", st.bold
		}
		w.set(1, row, label, bold)
		w.set(2, row, m.results, st.count)
		w.set(3, row, m.clean, st.count)
		rate := 1.0
		if m.results > 0 {
			rate = float64(m.clean) / float64(m.results)
		}
		w.set(4, row, rate, st.percent)
		if m.hasAmount {
			w.set(5, row, displayAmount(m.cleanNet, m.currency), st.amountStyle(m.currency, false))
			w.set(6, row, m.cleanNet, st.minor)
		}
		row++
	}
	if len(s.matching) == 0 {
		w.set(1, row, "No transaction moved money.", st.note)
		row++
	}
	row++
	return row
}

// summarySources writes section 4, the inputs' rows and totals.
func (b *builder) summarySources(w *sheetWriter, rep *report, row int) int {
	st := b.st
	title := "4. Inputs: rows and totals per currency"
	if rep.incremental {
		title = "4. Inputs this run read (what the night reached): rows and totals per currency"
	}
	w.set(1, row, title, st.section)
	row++
	for i, h := range []string{"Source", "Currency", "Rows", "Total", "Total (minor)"} {
		w.set(i+1, row, h, headerStyle(st, i, 2))
	}
	row++
	for _, t := range rep.sources {
		label := sourceLabels[t.Source]
		if label == "" {
			label = t.Source
		}
		w.set(1, row, label, 0)
		w.set(2, row, t.Currency, 0)
		w.set(3, row, t.Rows, st.count)
		if !strings.HasPrefix(t.Source, "webhook_") {
			w.set(4, row, displayAmount(t.AmountMinor, t.Currency), st.amountStyle(t.Currency, false))
			w.set(5, row, t.AmountMinor, st.minor)
		}
		row++
	}
	row++
	return row
}

// shaShown is how many hex digits of an input file's SHA-256 the
// Summary shows: enough to tell files apart and to check one with
// sha256sum, and narrow enough to print.
const shaShown = 16

// summaryInputFiles writes section 5, the input files.
func (b *builder) summaryInputFiles(w *sheetWriter, rep *report, row int) int {
	st := b.st
	w.set(1, row, "5. Input files", st.section)
	row++
	for i, h := range []string{"File", "Kind", "Rows", "Errors", "Ingested at", "SHA-256 (start)"} {
		w.set(i+1, row, h, headerStyle(st, i, 2))
	}
	row++
	for _, in := range rep.files {
		w.set(1, row, in.Path, st.wrap)
		if h := rowHeight(wrappedLines(in.Path, summaryFirstCol)); w.err == nil && h > 0 {
			w.err = b.f.SetRowHeight(SheetSummary, row, h)
		}
		w.set(2, row, in.Kind, st.top)
		w.set(3, row, in.Rows, st.countTop)
		w.set(4, row, in.Errors, st.countTop)
		w.set(5, row, b.serial(in.IngestedAt), st.dateMinute)
		w.need(5, len(fmtDateMinute)+1)
		sha := in.SHA256
		if len(sha) > shaShown {
			sha = sha[:shaShown] + "…"
		}
		w.set(6, row, sha, st.top)
		w.need(6, shaShown+2)
		row++
	}
	if len(rep.files) == 0 {
		w.set(1, row, "No input files recorded.", st.note)
		row++
	}
	row++
	return row
}

// summaryLegend writes section 6, how to read the workbook, with what
// each category means.
func (b *builder) summaryLegend(w *sheetWriter, row int) int {
	f, st := b.f, b.st
	w.set(1, row, "6. How to read this workbook", st.section)
	row++
	for _, line := range legend {
		w.set(1, row, line, 0)
		row++
	}
	row++
	for i, h := range []string{"Category", "Severity", "What it means"} {
		w.set(i+1, row, h, st.headerPlain)
	}
	w.style(cellName(4, row), cellName(summaryCols, row), st.headerPlain)
	row++
	// The descriptions wrap in columns C to the last, merged, which
	// finishSummary makes as wide as the figures above need.
	merged := 0
	for c := 3; c <= summaryCols; c++ {
		merged += summaryColWidth(w, c)
	}
	for _, info := range recon.Categories {
		w.set(1, row, info.Name, st.top)
		w.set(2, row, info.Severity, st.severity(info.Severity))
		w.set(3, row, info.Description, st.wrap)
		if w.err == nil {
			w.err = f.MergeCell(SheetSummary, cellName(3, row), cellName(summaryCols, row))
		}
		if h := rowHeight(wrappedLines(info.Description, merged)); w.err == nil && h > 0 {
			w.err = f.SetRowHeight(SheetSummary, row, h)
		}
		row++
	}
	return row
}

// summaryColWidth is the width of the Summary's column c (from B on):
// its widest figure and a character to spare, at least 14.
func summaryColWidth(w *sheetWriter, c int) int { return max(14, w.widths[c]+1) }

// finishSummary sets the Summary's column widths and page layout; row is
// the row after the last one written and breakAt the row that starts
// the second printed page.
func (b *builder) finishSummary(w *sheetWriter, row, breakAt int) error {
	f := b.f
	if w.err != nil {
		return fmt.Errorf("write summary: %w", w.err)
	}
	if err := f.SetColWidth(SheetSummary, "A", "A", summaryFirstCol); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	for c := 2; c <= summaryCols; c++ {
		if err := f.SetColWidth(SheetSummary, colName(c), colName(c), float64(summaryColWidth(w, c))); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
	}
	if err := f.SetSheetProps(SheetSummary, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	// Portrait, one page wide: the Summary is narrow and long, and
	// portrait puts what needs action, the control and the chart on the
	// first page, the rest on the second.
	if err := f.SetPageLayout(SheetSummary, &excelize.PageLayoutOptions{
		Size: ptr(paperA4), Orientation: ptr("portrait"), FitToWidth: ptr(1), FitToHeight: ptr(0),
	}); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if err := f.SetPageMargins(SheetSummary, &excelize.PageLayoutMarginsOptions{
		Left: ptr(0.5), Right: ptr(0.5), Top: ptr(0.5), Bottom: ptr(0.6), Header: ptr(0.3), Footer: ptr(0.3),
	}); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if err := f.SetHeaderFooter(SheetSummary, &excelize.HeaderFooterOptions{OddFooter: b.footer()}); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if breakAt > 1 {
		if err := f.InsertPageBreak(SheetSummary, cellName(1, breakAt)); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
	}
	// Print exactly the laid-out columns: text that runs past them would
	// otherwise widen the page and shrink it.
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", Scope: SheetSummary,
		RefersTo: fmt.Sprintf("'%s'!$A$1:$%s$%d", SheetSummary, colName(summaryCols), row)}); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	f.SetActiveSheet(0)
	return nil
}

var legend = []string{
	"Amounts are numbers in major units with the currency's digits (IDR without decimals); negatives are red in brackets.",
	"Each amount has an exact twin in minor units (the \"(minor)\" columns): use those to trace a figure to the data.",
	"Every sheet has totals per currency above its header; they add up the rows a filter leaves visible.",
	"Dates and times are in the report's time zone; booking dates are calendar dates.",
	"Decision and Note (yellow) are finance's: pick a decision, write why, save, and run recon decisions import on the file.",
	"A sheet that would pass Excel's 1,048,576 rows continues on a second one, e.g. \"Sales (2)\".",
}

// Banner levels: how the first line to read is shown.
const (
	levelAlert = "alert" // red: money at risk or unexplained, or the run's footing is wrong
	levelWarn  = "warn"  // amber: only medium or low findings remain
	levelGood  = "good"  // green: everything matched
)

// banner returns the first line to read and its level: alert when
// money is at risk or unexplained, warn when only medium or low
// findings remain, good when everything matched.
func banner(rep *report, s *summary) (text, level string) {
	var unexplained []string
	for _, l := range s.control {
		if l.Unexplained != 0 {
			unexplained = append(unexplained, l.Currency)
		}
	}
	var parts []string
	for _, sev := range recon.Severities {
		if n := s.bySeverity[sev]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	msg := slices.Clone(rep.warnings)
	if rep.run.Status != recon.RunOK {
		msg = append(msg, fmt.Sprintf("Run status is %q: the figures may be incomplete", rep.run.Status))
	}
	if s.exceptions > 0 {
		msg = append(msg, fmt.Sprintf("ACTION NEEDED: %d exceptions (%s)", s.exceptions, strings.Join(parts, ", ")))
	}
	if s.decided > 0 {
		msg = append(msg, fmt.Sprintf("%d explained by decision", s.decided))
	}
	if len(unexplained) > 0 {
		msg = append(msg, "UNEXPLAINED difference in "+strings.Join(unexplained, ", ")+": see the control")
	}
	switch {
	case len(msg) == 0:
		return "All clear: every transaction matched and the ledger agrees with the gateway.", levelGood
	case s.exceptions == 0 && len(rep.warnings) == 0 && rep.run.Status == recon.RunOK && len(unexplained) == 0:
		return fmt.Sprintf("No action needed: the %d exceptions are accepted or written off (explained by decision)", s.decided), levelGood
	case len(rep.warnings) > 0 || rep.run.Status != recon.RunOK || len(unexplained) > 0 || s.bySeverity[recon.SeverityCritical]+s.bySeverity[recon.SeverityHigh] > 0:
		return strings.Join(msg, " · "), levelAlert
	default:
		return strings.Join(msg, " · "), levelWarn
	}
}

// bannerStyle is a banner level's style.
func (s *styles) bannerStyle(level string) int {
	switch level {
	case levelGood:
		return s.good
	case levelWarn:
		return s.warn
	}
	return s.alert
}

// carry is how a run's exceptions relate to the previous run's.
type carry struct {
	fresh, open, resolved int
	// oldest is the first-seen date of the oldest still open, "" for
	// none.
	oldest string
}

func carryOf(rep *report) carry {
	seen := map[string]bool{}
	c := carry{resolved: len(rep.resolved)}
	for i := range rep.exceptions {
		k := recon.ExceptionKey(&rep.exceptions[i].Exception)
		if seen[k] {
			continue
		}
		seen[k] = true
		first := rep.firstSeen[k]
		if first == "" || first == rep.run.BusinessDate {
			c.fresh++
			continue
		}
		c.open++
		if c.oldest == "" || first < c.oldest {
			c.oldest = first
		}
	}
	return c
}

// text says it in a sentence: new, still open (with the oldest
// first-seen date) and resolved.
func (c carry) text(date string) string {
	text := fmt.Sprintf("Since the last run: %d new, %d still open", c.fresh, c.open)
	if age, ok := recon.AgeDays(c.oldest, date); ok {
		text += fmt.Sprintf(" (the oldest first seen %s, %d days ago)", c.oldest, age)
	}
	return text + fmt.Sprintf(", %d resolved", c.resolved)
}

// carryLine is the Summary's line on the exceptions since the last run.
func carryLine(rep *report) string {
	c := carryOf(rep)
	text := c.text(rep.run.BusinessDate)
	if c.resolved > 0 {
		text += " (listed in resolved-" + rep.run.BusinessDate + ".csv)"
	}
	return text + ". First seen and Age (days) are on every category sheet."
}

// decisionsLine says how many exceptions finance's decisions explain
// and how many reopened; "" when none has a decision that does either.
func decisionsLine(s *summary) string {
	if s.decided == 0 && s.reopened == 0 {
		return ""
	}
	text := fmt.Sprintf("Explained by decision (accepted or written off): %d, left out above, still on their sheets and in the control.", s.decided)
	if s.reopened > 0 {
		text += fmt.Sprintf(" Reopened: %d, whose amounts changed since they were decided (see Decided on their sheets).", s.reopened)
	}
	return text
}
