package reports

import (
	"bufio"
	"embed"
	"fmt"
	"github.com/reconkit/reconkit/markdown"
	"html/template"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/recon"
)

// Digest is the night in figures for people who read it outside Excel,
// in a chat or an e-mail: the Summary sheet's banner, categories,
// control line and carry-forward, and where the workbook is. It holds no
// clock reading and no run id, so the same inputs give the same digest,
// and the same files, byte for byte.
type Digest struct {
	// BusinessDate is the day the report covers; Zone names the zone
	// that cuts it.
	BusinessDate string
	Zone         string
	// Banner is the first line to read, as the Summary's; Level is
	// "alert" (red), "warn" (amber) or "good" (green).
	Banner string
	Level  string
	// Exceptions counts those that need action; Categories are those
	// with any, most urgent and most money at stake first; Currencies
	// are the currencies with money at stake, in code order.
	Exceptions int
	// Decided counts the exceptions finance accepted or wrote off (on
	// the money they have), which need no action; Reopened those whose
	// money changed since, which need it again.
	Decided, Reopened int
	Categories        []DigestCategory
	Currencies        []string
	// Control is the control line per currency, in code order.
	Control []ControlLine
	// New, StillOpen and Resolved relate the exceptions to the previous
	// run's; OldestOpen is the first-seen date of the oldest still
	// open, "" for none.
	New, StillOpen, Resolved int
	OldestOpen               string
	// Transactions and MatchedClean are the matching over all
	// currencies.
	Transactions, MatchedClean int64
	// Workbook is the workbook's path, as the caller named it.
	Workbook string
}

// DigestCategory is one exception category of a Digest.
type DigestCategory struct {
	Code     recon.Category
	Name     string
	Severity string
	Count    int
	// Stake is the money at stake per currency, in minor units: the sum
	// of the absolute differences.
	Stake map[string]int64
}

// digestOf makes the Digest of a report from what the Summary shows.
func digestOf(rep *report, s *summary, date, zone, workbook string) Digest {
	d := Digest{BusinessDate: date, Zone: zone, Exceptions: s.exceptions, Decided: s.decided, Reopened: s.reopened, Currencies: s.stakeCurs,
		Control: s.control, Workbook: workbook}
	d.Banner, d.Level = banner(rep, s)
	for _, c := range s.categories {
		d.Categories = append(d.Categories, DigestCategory{Code: c.category, Name: CategorySheetName(c.category),
			Severity: c.severity, Count: c.count, Stake: c.stake})
	}
	c := carryOf(rep)
	d.New, d.StillOpen, d.Resolved, d.OldestOpen = c.fresh, c.open, c.resolved, c.oldest
	for _, m := range s.matching {
		if m.currency == "" { // the all-currencies row, last when there are several
			d.Transactions, d.MatchedClean = m.results, m.clean
			break
		}
		d.Transactions += m.results
		d.MatchedClean += m.clean
	}
	return d
}

// StakeText is the money at stake in a currency as shown, "" when the
// category has none in it.
func (c DigestCategory) StakeText(currency string) string {
	v, ok := c.Stake[currency]
	if !ok {
		return ""
	}
	return amountText(v, currency)
}

// StakeTotal is the money at stake in a currency over every category.
func (d Digest) StakeTotal(currency string) int64 {
	var t int64
	for _, c := range d.Categories {
		t += c.Stake[currency]
	}
	return t
}

// MatchRate is the share of transactions matched clean (1 when there
// are none).
func (d Digest) MatchRate() float64 {
	if d.Transactions == 0 {
		return 1
	}
	return float64(d.MatchedClean) / float64(d.Transactions)
}

// Carry says how the exceptions relate to the previous run's, in a
// sentence.
func (d Digest) Carry() string {
	return carry{fresh: d.New, open: d.StillOpen, resolved: d.Resolved, oldest: d.OldestOpen}.text(d.BusinessDate) + "."
}

// DecisionsLine says how many exceptions finance's decisions explain
// and how many reopened, as the Summary does; "" for none.
func (d Digest) DecisionsLine() string {
	return decisionsLine(&summary{decided: d.Decided, reopened: d.Reopened})
}

// Title is the digest's heading.
func (d Digest) Title() string {
	return "Reconciliation " + d.BusinessDate + " (" + d.Zone + ")"
}

// amountText writes minor units of a currency as the workbook shows
// them (rupiah without decimals, others with their exponent's; a code
// money does not know in minor units).
func amountText(minor int64, currency string) string {
	exp, _, ok := displayDigits(currency)
	if !ok {
		return strconv.FormatInt(minor, 10) + " (minor units)"
	}
	return money.FormatDisplay(minor, exp, currency, money.Dot)
}

// countText writes a count with thousands separators.
func countText(n int64) string { return money.FormatAmount(n, 0, money.Dot) }

// controlRow is a row of the control table: its label, its figure per
// currency as shown (red: an unexplained difference that is not zero),
// and whether it is a total (bold).
type controlRow struct {
	Label  string
	Values []controlCell
	Total  bool
}

type controlCell struct {
	Text string
	Red  bool
}

// controlTable lays out the control line as the Summary does, one
// column per currency.
func (d Digest) controlTable() []controlRow {
	items := []struct {
		label string
		value func(ControlLine) int64
		total bool
	}{
		{"Gateway net (settled sales − refunds)", func(l ControlLine) int64 { return l.GatewayNet }, false},
		{"Ledger net (every ledger line)", func(l ControlLine) int64 { return l.LedgerNet }, false},
		{"Difference (gateway − ledger)", func(l ControlLine) int64 { return l.Difference }, true},
		{"explained by the exceptions", func(l ControlLine) int64 { return l.Explained }, false},
		{"explained by decision (accepted or written off)", func(l ControlLine) int64 { return l.ExplainedByDecision }, false},
		{"no ledger line yet (not due, or ambiguous)", func(l ControlLine) int64 { return l.AwaitingYet }, false},
		{"within the matching tolerance", func(l ControlLine) int64 { return l.Tolerance }, false},
		{"Unexplained (must be 0)", func(l ControlLine) int64 { return l.Unexplained }, true},
	}
	if hasFees(d.Control) {
		items = slices.Insert(items, 5, struct {
			label string
			value func(ControlLine) int64
			total bool
		}{strings.TrimSpace(feesLabel), func(l ControlLine) int64 { return l.Fees }, false})
	}
	var rows []controlRow
	for i, it := range items {
		r := controlRow{Label: it.label, Total: it.total}
		for _, l := range d.Control {
			v := it.value(l)
			r.Values = append(r.Values, controlCell{Text: amountText(v, l.Currency), Red: i == len(items)-1 && v != 0})
		}
		rows = append(rows, r)
	}
	return rows
}

// WriteDigestMarkdown writes the digest as Markdown for a chat or an
// e-mail: a heading, the banner, the categories and the control as
// tables, the carry-forward and matching in a line each, and the
// workbook's path.
func WriteDigestMarkdown(w io.Writer, d Digest) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	cell := markdown.Text
	p("# %s\n\n", d.Title())
	p("**%s**\n\n", markdown.Text(d.Banner))

	p("## Exceptions by category\n\n")
	if len(d.Categories) == 0 {
		p("No exceptions.\n\n")
	} else {
		p("| Category | Severity | Count |")
		for _, c := range d.Currencies {
			p(" At stake %s |", c)
		}
		p("\n|---|---|--:|%s\n", strings.Repeat("--:|", len(d.Currencies)))
		for _, c := range d.Categories {
			p("| %s | %s | %d |", cell(c.Name), cell(c.Severity), c.Count)
			for _, cur := range d.Currencies {
				p(" %s |", c.StakeText(cur))
			}
			p("\n")
		}
		p("| **All needing action** | | **%d** |", d.Exceptions)
		for _, cur := range d.Currencies {
			p(" **%s** |", amountText(d.StakeTotal(cur), cur))
		}
		p("\n\nAt stake: the sum of the absolute differences.\n\n")
	}
	if text := d.DecisionsLine(); text != "" {
		p("%s\n\n", markdown.Text(text))
	}
	p("%s\n\n", d.Carry())

	p("## Control: gateway net − ledger net per currency\n\n")
	if len(d.Control) == 0 {
		p("No money moved: nothing to control.\n\n")
	} else {
		p("| |")
		for _, l := range d.Control {
			p(" %s |", cell(l.Currency))
		}
		p("\n|---|%s\n", strings.Repeat("--:|", len(d.Control)))
		for _, r := range d.controlTable() {
			bold := ""
			if r.Total {
				bold = "**"
			}
			p("| %s%s%s |", bold, r.Label, bold)
			for _, v := range r.Values {
				p(" %s%s%s |", bold, v.Text, bold)
			}
			p("\n")
		}
		p("\n")
	}
	p("Matching: %s transactions, %s matched clean (%.1f%%).\n\n",
		countText(d.Transactions), countText(d.MatchedClean), 100*d.MatchRate())
	p("Workbook: `%s`\n", markdown.Code(d.Workbook))
	return bw.Flush()
}

//go:embed digest.html.tmpl
var digestTemplate embed.FS

var digestHTML = template.Must(template.New("digest.html.tmpl").Funcs(template.FuncMap{
	"amount": amountText,
	"count": func(n any) string {
		switch n := n.(type) {
		case int:
			return countText(int64(n))
		case int64:
			return countText(n)
		}
		return fmt.Sprint(n)
	},
	"pct":  func(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" },
	"base": filepath.Base,
}).ParseFS(digestTemplate, "digest.html.tmpl"))

// chart is the bar chart of exceptions by category, laid out in pixels
// for the HTML digest's inline SVG.
type chart struct {
	Width, Height      int
	LabelsX, BarHeight int
	Bars               []bar
}

type bar struct {
	Label, Severity   string
	Count             int
	Y, Width, TextY   int
	CountX, LabelEndX int
}

const (
	chartLabels = 210 // the category names' column
	chartBars   = 330 // the longest bar
	chartRow    = 24  // one category
	chartBar    = 16  // a bar's thickness
)

func chartOf(d Digest) chart {
	c := chart{Width: chartLabels + chartBars + 60, Height: chartRow*len(d.Categories) + 8, LabelsX: chartLabels, BarHeight: chartBar}
	most := 1
	for _, x := range d.Categories {
		most = max(most, x.Count)
	}
	for i, x := range d.Categories {
		w := max(2, x.Count*chartBars/most)
		y := 4 + i*chartRow
		c.Bars = append(c.Bars, bar{Label: x.Name, Severity: x.Severity, Count: x.Count, Y: y + (chartRow-chartBar)/2,
			Width: w, TextY: y + chartRow/2 + 5, CountX: chartLabels + w + 6, LabelEndX: chartLabels - 8})
	}
	return c
}

// WriteDigestHTML writes the digest as one self-contained HTML page (its
// style inline, no script, nothing fetched): the same figures as the
// Markdown, with a bar chart of exceptions by category as inline SVG.
// Every text is escaped.
func WriteDigestHTML(w io.Writer, d Digest) error {
	bw := bufio.NewWriter(w)
	err := digestHTML.Execute(bw, struct {
		Digest
		Chart        chart
		ControlTable []controlRow
	}{d, chartOf(d), d.controlTable()})
	if err != nil {
		return fmt.Errorf("write HTML summary: %w", err)
	}
	return bw.Flush()
}

// DigestNames returns the paths of a business date's summary files in
// dir: summary-DATE.md and summary-DATE.html.
func DigestNames(dir, date string) (markdown, html string) {
	return filepath.Join(dir, "summary-"+date+".md"), filepath.Join(dir, "summary-"+date+".html")
}

// StageDigest adds a business date's summary files to files, named by
// DigestNames: the Markdown, and with html the HTML page too.
func StageDigest(files *FileSet, dir, date string, d Digest, html bool) error {
	md, page := DigestNames(dir, date)
	if err := files.Add(md, func(w io.Writer) error { return WriteDigestMarkdown(w, d) }); err != nil {
		return err
	}
	if !html {
		return nil
	}
	return files.Add(page, func(w io.Writer) error { return WriteDigestHTML(w, d) })
}
