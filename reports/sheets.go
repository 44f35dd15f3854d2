package reports

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// Sheet names besides the category sheets.
const (
	SheetSummary = "Summary"
	SheetSales   = "Sales"
	SheetRefunds = "Refunds & voids"
)

// SheetInputErrors is the sheet of the INPUT_ERROR category, laid out
// for input errors rather than as the other category sheets are.
var SheetInputErrors = CategorySheetName(recon.InputErrorCategory)

// maxSheetName is Excel's limit on a sheet name's length.
const maxSheetName = 31

// CategorySheetName returns the name of the sheet that lists a
// category's exceptions: its readable name (recon.Categories) for a
// known category, the code itself (made a valid sheet name) for any
// other.
func CategorySheetName(c recon.Category) string {
	if info, ok := c.Info(); ok {
		return info.Name
	}
	return sheetName(string(c))
}

// sheetName makes s a valid, unique-enough sheet name: no characters
// Excel refuses, no leading or trailing apostrophe, at most 31 long.
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ':', '\\', '/', '?', '*', '[', ']':
			return '_'
		}
		if r < 0x20 {
			return '_'
		}
		return r
	}, s)
	s = strings.Trim(s, "'")
	if s == "" {
		s = "Other"
	}
	r := []rune(s)
	if len(r) > maxSheetName {
		r = r[:maxSheetName]
	}
	return string(r)
}

// partName names the i-th (0-based) sheet of a list that overflowed
// Excel's row limit: "Sales", "Sales (2)", ...
func partName(base string, i int) string {
	if i == 0 {
		return base
	}
	suffix := fmt.Sprintf(" (%d)", i+1)
	r := []rune(base)
	if len(r)+len(suffix) > maxSheetName {
		r = r[:maxSheetName-len(suffix)]
	}
	return string(r) + suffix
}

// column is one column of a data sheet.
type column struct {
	header string
	width  float64
	// qty is the index of the amount the column shows, -1 for none;
	// minor says whether it holds the exact minor units (else the
	// display number in major units).
	qty   int
	minor bool
	// hidden columns are kept from the eye (the exception key).
	hidden bool
}

func textCol(h string, w float64) column { return column{header: h, width: w, qty: -1} }

// keyCol is the hidden Exception key column (decisions.go).
func keyCol() column { return column{header: HeaderKey, width: 40, qty: -1, hidden: true} }

// amountCol is the display column of amount qty; minorCol its exact
// twin. Their widths are the least: a sheet widens them to its largest
// figure (see sheetSink.widths).
func amountCol(h string, qty int) column { return column{header: h, width: 13, qty: qty} }
func minorCol(h string, qty int) column {
	return column{header: h + " (minor)", width: 14, qty: qty, minor: true}
}

// sheetSpec describes one kind of data sheet.
//
// Columns are in two parts. The first printCols are what a page of the
// sheet prints, fitted to the page's width: severity or category, the
// detail (wrapped), the amounts for reading, the ids a person looks up,
// first seen and age, and finance's Decision and Note (Status and
// Notes on the result sheets). The rest are for the screen and for
// tracing a figure: who decided, codes, other ids, the exact minor
// units, timestamps and row ids (decisions.go).
type sheetSpec struct {
	cols        []column
	printCols   int // columns A to this one are printed
	currencyCol int // the Currency column, -1 if none
	decisionCol int // the Decision column, -1 if none
	countCol    int // where a totals row shows how many rows are visible
	qtys        int
}

func newSpec(cols []column, countCol, printCols int) *sheetSpec {
	s := &sheetSpec{cols: cols, currencyCol: -1, decisionCol: -1, countCol: countCol, printCols: printCols}
	for i, c := range cols {
		switch c.header {
		case "Currency":
			s.currencyCol = i
		case HeaderDecision:
			s.decisionCol = i
		}
		if c.qty >= s.qtys {
			s.qtys = c.qty + 1
		}
	}
	return s
}

// The Detail column of every data sheet: wrapped, so a long detail
// shows whole (with the amounts at its end) in a taller row.
const (
	detailCol   = 1
	detailWidth = 50
)

// The Input errors sheet's File and Text columns, wrapped too.
const (
	inputFileWidth = 30
	inputTextWidth = 40
)

func exceptionSpec(zone string) *sheetSpec {
	return newSpec([]column{
		textCol("Severity", 11), textCol("Detail", detailWidth), textCol("Currency", 9),
		amountCol("Expected", 0), amountCol("Actual", 1), amountCol("Difference", 2),
		textCol("Order UID", 21), textCol("OxPay txn ID", 12), textCol("Merchant reference", 21), textCol("Ledger reference", 21),
		textCol("First seen", 11), textCol("Age (days)", 8), textCol(HeaderDecision, decisionWidth), textCol(HeaderNote, noteWidth),
		// Not printed.
		textCol(HeaderDecided, decidedWidth), textCol("Category", 28), textCol("Payment link UID", 21),
		minorCol("Expected", 0), minorCol("Actual", 1), minorCol("Difference", 2),
		textCol("Order created ("+zone+")", 20), textCol("Paid at ("+zone+")", 20),
		textCol("Webhook received ("+zone+")", 20), textCol("Booked on", 11),
		textCol("Webhook event ids", 14), textCol("Ledger entry ids", 14), keyCol(),
	}, detailCol, 14)
}

func resultSpec(zone string) *sheetSpec {
	return newSpec([]column{
		textCol("Category", 16), textCol("Detail", detailWidth), textCol("Kind", 7), textCol("Currency", 9),
		amountCol("Order amount", 0), amountCol("Gateway amount", 1), amountCol("Expected in ledger", 2),
		amountCol("Ledger amount", 3), amountCol("Difference", 4),
		textCol("OxPay txn ID", 12), textCol("Merchant reference", 21),
		textCol("Paid at ("+zone+")", 20), textCol("Booked on", 11),
		textCol("Status", 12), textCol("Notes", 24),
		// Not printed.
		textCol("State", 10), textCol("Source", 9), textCol("Order UID", 21), textCol("Payment link UID", 21),
		textCol("Original txn ID", 12), textCol("Ledger reference", 21),
		minorCol("Order amount", 0), minorCol("Gateway amount", 1), minorCol("Expected in ledger", 2),
		minorCol("Ledger amount", 3), minorCol("Difference", 4),
		textCol("Webhook event id", 12), textCol("Ledger entry id", 12),
	}, detailCol, 15)
}

func inputErrorSpec(zone string) *sheetSpec {
	return newSpec([]column{
		textCol("Severity", 11), textCol("Detail", detailWidth), textCol("Source", 9),
		textCol("File", inputFileWidth), textCol("Line", 8), textCol("Text", inputTextWidth),
		textCol(HeaderDecision, decisionWidth), textCol(HeaderNote, noteWidth),
		// Not printed.
		textCol(HeaderDecided, decidedWidth), textCol("Category", 14), textCol("Recorded at ("+zone+")", 20), textCol("Input error id", 12), keyCol(),
	}, detailCol, 8)
}

// piece is one currency's block of rows on one sheet, with the sums of
// its amounts in minor units (known once its rows are written).
type piece struct {
	currency string
	offset   int // rows of this currency on earlier sheets
	rows     int
	first    int // the block's first row on its sheet
	amounts  *amounts
}

// part is one sheet of a list of rows.
type part struct {
	name    string
	pieces  []piece
	rows    int
	streams []stream // each piece's, once written
	done    int      // pieces written
}

// planParts cuts a list of rows, given as per-currency counts in the
// order the rows come, into sheets that fit Excel's row limit. Each
// sheet spends one row on its header and one on each currency's totals,
// counted for every currency of the list so the cut never depends on
// where it falls. A list without rows still gets its (empty) sheet.
func planParts(base string, counts []piece, limit int) []part {
	capacity := max(limit-1-max(len(counts), 1), 1)
	parts := []part{{name: partName(base, 0)}}
	for _, c := range counts {
		done := 0
		for done < c.rows {
			p := &parts[len(parts)-1]
			if p.rows == capacity {
				parts = append(parts, part{name: partName(base, len(parts))})
				p = &parts[len(parts)-1]
			}
			n := min(c.rows-done, capacity-p.rows)
			p.pieces = append(p.pieces, piece{currency: c.currency, offset: done, rows: n})
			p.rows += n
			done += n
		}
	}
	return parts
}

// --- cells shared by the sheets ----------------------------------------

// linkFormula returns a HYPERLINK formula that shows text and opens u,
// or false when u is not a plain http(s) URL (scheme, then a host; no
// control characters, spaces, quotes or angle brackets) or either string
// is longer than the 255 characters Excel allows a text in a formula.
// Quotes in text are doubled, so it cannot end the literal it sits in.
// The stream writer has no cell hyperlinks of its own, and a workbook's
// hyperlink table is capped at 65,530 per sheet, too few for Sales.
func linkFormula(u, text string) (string, bool) {
	if u == "" || text == "" || len(u) > 255 || len(text) > 255 {
		return "", false
	}
	for _, s := range []string{u, text} {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] == 0x7f {
				return "", false
			}
		}
	}
	rest, ok := cutPrefixFold(u, "https://")
	if !ok {
		rest, ok = cutPrefixFold(u, "http://")
	}
	if !ok || rest == "" || rest[0] == '/' || strings.ContainsAny(u, " \"<>") {
		return "", false
	}
	q := func(s string) string { return strings.ReplaceAll(s, `"`, `""`) }
	return `HYPERLINK("` + q(u) + `","` + q(text) + `")`, true
}

// AllowedLink reports whether u is an http(s) URL whose host is one of
// hosts or a subdomain of one (ASCII case ignored; a port does not
// count). A URL that does not parse, or carries user information (a
// "https://pay.xepeng.com@evil.example/" trick), is not allowed.
func AllowedLink(u string, hosts []string) bool {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.User != nil {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(p.Hostname(), "."))
	if host == "" {
		return false
	}
	for _, h := range hosts {
		h = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(h), "."), "."))
		if h != "" && (host == h || strings.HasSuffix(host, "."+h)) {
			return true
		}
	}
	return false
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

func (b *builder) linkCell(e *rowEncoder, uid, u string) {
	if !AllowedLink(u, b.opts.LinkHosts) {
		e.text(uid, 0)
		return
	}
	if f, ok := linkFormula(u, uid); ok {
		e.formulaText(f, uid, b.st.linkTop)
		return
	}
	e.text(uid, 0)
}

// timeCell writes t as a date-time in the report's zone, or nothing.
func (b *builder) timeCell(e *rowEncoder, t *time.Time) {
	if t == nil || t.IsZero() {
		e.skip(1)
		return
	}
	e.number(b.serial(*t), b.st.dateTime)
}

// dateCell writes a calendar date stored as midnight UTC, or nothing.
func (b *builder) dateCell(e *rowEncoder, t *time.Time) {
	if t == nil || t.IsZero() {
		e.skip(1)
		return
	}
	u := t.UTC()
	e.number(excelSerial(u.Unix(), 0), b.st.date)
}

// serial converts t to an Excel serial in the report's zone: Excel has
// no time zones, so the cell holds the wall-clock reading the column
// header names.
func (b *builder) serial(t time.Time) float64 {
	t = t.In(b.zone)
	_, off := t.Zone()
	return excelSerial(t.Unix()+int64(off), t.Nanosecond())
}

// --- rows ------------------------------------------------------------

func (b *builder) exceptionRow(e *rowEncoder, x *store.ReportException) {
	st := b.st
	e.text(x.Severity, st.severity(x.Severity))
	e.text(x.Detail, st.wrap)
	e.text(x.Currency, 0)
	amount := st.rowAmountStyle(x.Currency)
	vals := exceptionAmounts(x)
	for _, v := range vals {
		e.number(displayAmount(v, x.Currency), amount)
	}
	e.text(x.OrderUID, 0)
	e.text(x.OxpayTxnID, 0)
	e.text(x.MerchantReferenceID, 0)
	e.text(x.LedgerRef, 0)
	first := b.firstSeen[recon.ExceptionKey(&x.Exception)]
	if age, ok := recon.AgeDays(first, b.date); ok {
		e.text(first, 0)
		e.integer(int64(age), 0)
	} else {
		e.skip(2)
	}
	b.decisionCells(e, x)
	e.text(string(x.Category), 0)
	b.linkCell(e, x.PaymentLinkUID, x.PaymentURL)
	for _, v := range vals {
		e.integer(v, st.minorTop)
	}
	b.timeCell(e, x.OrderCreatedAt)
	b.timeCell(e, x.LinkPaidAt)
	b.timeCell(e, x.WebhookReceivedAt)
	b.dateCell(e, x.LedgerBookedOn)
	e.text(x.WebhookEventIDs.String(), 0)
	e.text(x.LedgerEntryIDs.String(), 0)
	b.keyCell(e, x)
}

// lineHeight is the height of a line of the workbook's 11-point text,
// in points.
const lineHeight = 15

// rowHeight is the height of a row of lines lines: 0, the sheet's
// default, for one.
func rowHeight(lines int) float64 {
	if lines <= 1 {
		return 0
	}
	return float64(lines * lineHeight)
}

// wrappedLines estimates how many lines s takes in a wrapped column
// width characters wide. Calc keeps a row's height as written rather
// than fit it to wrapped text when it opens a file, so each row is
// written as tall as its text needs. A column's width counts its widest
// characters, the digits; a detail's characters are about a fifth
// narrower on average (Calibri: lower case, separators, and the digits
// of ids and amounts), so a line is taken to hold a sixth more than the
// width, which errs tall (a little room) rather than short (a hidden
// line).
func wrappedLines(s string, width int) int {
	width += width / 6
	if len(s) <= width && strings.IndexByte(s, '\n') < 0 {
		return 1 // most rows: no scan
	}
	lines := 0
	for para := range strings.SplitSeq(s, "\n") {
		lines++
		at := 0 // characters on the current line
		for word := range strings.FieldsSeq(para) {
			n := utf8.RuneCountInString(word)
			switch {
			case at == 0:
			case at+1+n <= width:
				at++ // the space before it
			default:
				lines++
				at = 0
			}
			for n > width { // a word longer than a line is cut
				n -= width
				lines++
			}
			at += n
		}
	}
	return lines
}

// exceptionHeight fits the detail and the decision's note and text,
// each wrapped in its column.
func (b *builder) exceptionHeight(x *store.ReportException) float64 {
	return rowHeight(max(wrappedLines(x.Detail, detailWidth), b.decisionHeight(x)))
}

// inputErrorHeight fits the detail, the file, the input text and the
// decision's, each wrapped in its column (inputErrorSpec).
func (b *builder) inputErrorHeight(x *store.ReportException) float64 {
	return rowHeight(max(wrappedLines(x.Detail, detailWidth), wrappedLines(x.InputFile, inputFileWidth), wrappedLines(x.InputText, inputTextWidth),
		b.decisionHeight(x)))
}

func exceptionAmounts(x *store.ReportException) [3]int64 {
	return [3]int64{x.ExpectedMinor, x.ActualMinor, x.DifferenceMinor}
}

func (b *builder) inputErrorRow(e *rowEncoder, x *store.ReportException) {
	st := b.st
	e.text(x.Severity, st.severity(x.Severity))
	e.text(x.Detail, st.wrap)
	e.text(x.InputSource, 0)
	e.text(x.InputFile, st.wrap)
	if x.InputLine > 0 {
		e.integer(int64(x.InputLine), 0)
	} else {
		e.skip(1)
	}
	e.text(x.InputText, st.wrap)
	b.decisionCells(e, x)
	e.text(string(x.Category), 0)
	b.timeCell(e, x.InputRecordedAt)
	if x.InputErrorID > 0 {
		e.integer(x.InputErrorID, 0)
	} else {
		e.skip(1)
	}
	b.keyCell(e, x)
}

// Categories of the result sheets' rows.
const (
	resultClean     = "MATCHED"
	resultUnclean   = "HAS_EXCEPTIONS"
	detailUnclean   = "an exception names this transaction: see its category sheet (filter on the OxPay txn ID)"
	detailViaHook   = "; the gateway API was not asked: a signed webhook stands in for it"
	detailNoLineYet = "; no ledger line yet (its settlement window is still open)"
	detailTolerance = "; the ledger differs within the matching tolerance"
)

// resultAmounts returns a result's amounts in sheet order: order,
// gateway, expected in the ledger (sales in, refunds out, voids
// nothing), ledger (signed, 0 without a line) and the difference.
func resultAmounts(r *store.ReportResult) [5]int64 {
	var expected int64
	switch r.Kind {
	case match.KindSale:
		expected = r.GatewayMinor
	case match.KindRefund:
		expected = -r.GatewayMinor
	}
	return [5]int64{r.OrderMinor, r.GatewayMinor, expected, r.LedgerMinor, r.LedgerMinor - expected}
}

// resultDetail says in words how a result matched; the texts are built
// once, not per row.
var resultDetails = func() map[string]string {
	m := map[string]string{}
	base := map[string]string{
		match.KindSale:   "order, gateway and ledger agree",
		match.KindRefund: "the refund matches its sale and its ledger debit",
		match.KindVoid:   "the sale was voided before settlement: no money moves",
	}
	for kind, text := range base {
		for _, hook := range []bool{false, true} {
			for _, noLine := range []bool{false, true} {
				t := text
				if noLine && kind != match.KindVoid {
					t = strings.Replace(t, " and its ledger debit", "", 1)
					t = strings.Replace(t, "order, gateway and ledger agree", "order and gateway agree", 1)
					t += detailNoLineYet
				}
				if hook {
					t += detailViaHook
				}
				m[detailKey(kind, hook, noLine)] = t
			}
		}
	}
	return m
}()

func detailKey(kind string, hook, noLine bool) string {
	return kind + "/" + strconv.FormatBool(hook) + "/" + strconv.FormatBool(noLine)
}

func resultDetail(r *store.ReportResult) string {
	if !r.Clean {
		return detailUnclean
	}
	d, ok := resultDetails[detailKey(r.Kind, r.Source == match.SourceWebhook, r.LedgerEntryID == 0)]
	if !ok {
		return "matched"
	}
	if a := resultAmounts(r); r.LedgerEntryID != 0 && a[4] != 0 {
		return d + detailTolerance // rare: a string per such row is fine
	}
	return d
}

// resultRow writes a result's row; detail is resultDetail(r).
func (b *builder) resultRow(e *rowEncoder, r *store.ReportResult, detail string) {
	st := b.st
	if r.Clean {
		e.text(resultClean, 0)
	} else {
		e.text(resultUnclean, 0)
	}
	e.text(detail, st.wrap)
	e.text(r.Kind, 0)
	e.text(r.Currency, 0)
	a := resultAmounts(r)
	amount := st.rowAmountStyle(r.Currency)
	if r.OrderUID != "" {
		e.number(displayAmount(a[0], r.Currency), amount)
	} else {
		e.skip(1)
	}
	for _, v := range a[1:] {
		e.number(displayAmount(v, r.Currency), amount)
	}
	e.text(r.OxpayTxnID, 0)
	e.text(r.MerchantReferenceID, 0)
	b.timeCell(e, r.PaidAt)
	b.dateCell(e, r.BookedOn)
	e.skip(2) // Status, Notes
	e.text(r.State, 0)
	e.text(r.Source, 0)
	e.text(r.OrderUID, 0)
	b.linkCell(e, r.PaymentLinkUID, r.PaymentURL)
	e.text(r.OriginalTxnID, 0)
	e.text(r.LedgerRef, 0)
	if r.OrderUID != "" {
		e.integer(a[0], st.minorTop)
	} else {
		e.skip(1)
	}
	for _, v := range a[1:] {
		e.integer(v, st.minorTop)
	}
	if r.WebhookEventID > 0 {
		e.integer(r.WebhookEventID, 0)
	} else {
		e.skip(1)
	}
	if r.LedgerEntryID > 0 {
		e.integer(r.LedgerEntryID, 0)
	} else {
		e.skip(1)
	}
}
