package reports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/recon"
)

// Number formats. Amounts are shown in major units with the currency's
// own digits, negatives red in brackets (accountants' convention); the
// exact minor-unit columns beside them use the integer format.
const (
	fmtMinor        = `#,##0;[Red](#,##0)`
	fmtDateTime     = `yyyy-mm-dd hh:mm:ss`
	fmtDate         = `yyyy-mm-dd`
	fmtDateMinute   = `yyyy-mm-dd hh:mm`
	fmtCount        = `#,##0`
	fmtRowsShown    = `#,##0" rows shown"`
	fmtPercent      = `0.00%`
	fmtUnknownMinor = `#,##0" (minor units)";[Red](#,##0" (minor units)")`

	fmtMinorOnRed        = `#,##0;(#,##0)`
	fmtUnknownMinorOnRed = `#,##0" (minor units)";(#,##0" (minor units)")`
)

// amountFormatOnRed is amountFormat without the red negative section,
// for cells that are red already.
func amountFormatOnRed(d int) string {
	return strings.ReplaceAll(amountFormat(d), "[Red]", "")
}

// amountFormat returns the display format with d decimals.
func amountFormat(d int) string {
	n := "#,##0"
	if d > 0 {
		n += "." + strings.Repeat("0", d)
	}
	return n + ";[Red](" + n + ")"
}

// displayDigits says how a currency's amounts are shown: exp is the
// ISO 4217 exponent its minor units are stored in, digits how many
// decimals the sheet shows (money.DisplayDigits: rupiah without
// decimals, every other currency with its exponent). ok is false for a
// code money does not know: its amounts are then shown in minor units,
// never scaled by a guessed exponent.
func displayDigits(currency string) (exp, digits int, ok bool) {
	exp, ok = money.Exponent(currency)
	if !ok {
		return 0, 0, false
	}
	digits, _ = money.DisplayDigits(currency)
	return exp, digits, true
}

var pow10f = [...]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// major converts minor units to the major-unit number a display cell
// holds. It is for display only: a float64 holds every integer below
// 2^53 exactly, and the quotient is the double nearest the decimal
// amount, which is what Excel would store had a person typed it. The
// exact figure is the minor-unit column beside it.
func major(minor int64, exp int) float64 {
	return float64(minor) / pow10f[exp]
}

// styles holds the workbook's style ids, made once per workbook.
type styles struct {
	f *excelize.File

	header, headerPlain, headerRight, text, wrap, link, bold, boldRight, minor, minorBold, count, countBold, rowsShown int
	dateTime, date, percent, title, subtitle, section, note, alert, warn, good, legendHead                             int
	critical, high, low, top, dateMinute                                                                               int
	unknownMinor, unknownMinorBold, redMinor, redCond                                                                  int
	red                                                                                                                map[int]int // by digits
	amount, amountBold                                                                                                 map[int]int // by digits

	// The data rows' own: at the top of a row that a wrapped detail
	// makes taller (the Summary's rows are one line).
	linkTop, minorTop, countTop, unknownMinorTop int
	amountTop                                    map[int]int // by digits
}

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{f: f, amount: map[int]int{}, amountBold: map[int]int{}, amountTop: map[int]int{}, red: map[int]int{}}
	border := []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}
	defs := []struct {
		id *int
		st excelize.Style
	}{
		{&s.header, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill("DDEBF7"), Border: border,
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&s.headerPlain, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill("DDEBF7"), Border: border}},
		{&s.headerRight, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill("DDEBF7"), Border: border,
			Alignment: &excelize.Alignment{Horizontal: "right"}}},
		{&s.critical, excelize.Style{Font: &excelize.Font{Bold: true, Color: "C00000"}, Alignment: topAligned}},
		{&s.high, excelize.Style{Font: &excelize.Font{Bold: true, Color: "C65911"}, Alignment: topAligned}},
		{&s.low, excelize.Style{Font: &excelize.Font{Color: "7F7F7F"}, Alignment: topAligned}},
		{&s.top, excelize.Style{Alignment: topAligned}},
		{&s.dateMinute, excelize.Style{CustomNumFmt: ptr(fmtDateMinute), Alignment: topAligned}}, // beside a wrapped path
		{&s.text, excelize.Style{}},
		{&s.wrap, excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&s.link, excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}}},
		{&s.linkTop, excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}, Alignment: topAligned}},
		{&s.bold, excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&s.boldRight, excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "right"}}},
		{&s.minor, excelize.Style{CustomNumFmt: ptr(fmtMinor)}},
		{&s.minorTop, excelize.Style{CustomNumFmt: ptr(fmtMinor), Alignment: topAligned}},
		{&s.minorBold, excelize.Style{CustomNumFmt: ptr(fmtMinor), Font: &excelize.Font{Bold: true}}},
		{&s.count, excelize.Style{CustomNumFmt: ptr(fmtCount)}},
		{&s.countTop, excelize.Style{CustomNumFmt: ptr(fmtCount), Alignment: topAligned}},
		{&s.countBold, excelize.Style{CustomNumFmt: ptr(fmtCount), Font: &excelize.Font{Bold: true}}},
		{&s.rowsShown, excelize.Style{CustomNumFmt: ptr(fmtRowsShown), Font: &excelize.Font{Bold: true}}},
		{&s.dateTime, excelize.Style{CustomNumFmt: ptr(fmtDateTime), Alignment: topAligned}},
		{&s.date, excelize.Style{CustomNumFmt: ptr(fmtDate), Alignment: topAligned}},
		{&s.percent, excelize.Style{CustomNumFmt: ptr(fmtPercent)}},
		{&s.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}}},
		{&s.subtitle, excelize.Style{Font: &excelize.Font{Color: "595959"}}},
		{&s.section, excelize.Style{Font: &excelize.Font{Bold: true, Size: 12, Color: "1F4E79"},
			Border: []excelize.Border{{Type: "bottom", Color: "1F4E79", Style: 2}}}},
		{&s.note, excelize.Style{Font: &excelize.Font{Italic: true, Color: "595959"}}},
		{&s.alert, excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF", Size: 12}, Fill: fill("C00000")}},
		{&s.warn, excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}, Fill: fill("FFC000")}},
		{&s.good, excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF", Size: 12}, Fill: fill("548235")}},
		{&s.legendHead, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill("F2F2F2")}},
		{&s.unknownMinor, excelize.Style{CustomNumFmt: ptr(fmtUnknownMinor)}},
		{&s.unknownMinorTop, excelize.Style{CustomNumFmt: ptr(fmtUnknownMinor), Alignment: topAligned}},
		{&s.unknownMinorBold, excelize.Style{CustomNumFmt: ptr(fmtUnknownMinor), Font: &excelize.Font{Bold: true}}},
		{&s.redMinor, excelize.Style{CustomNumFmt: ptr(fmtMinorOnRed), Font: redFont, Fill: fill("C00000")}},
	}
	for _, d := range defs {
		id, err := s.newStyle(&d.st)
		if err != nil {
			return nil, fmt.Errorf("new style: %w", err)
		}
		*d.id = id
	}
	id, err := f.NewConditionalStyle(&excelize.Style{Font: redFont, Fill: fill("C00000")})
	if err != nil {
		return nil, fmt.Errorf("new style: %w", err)
	}
	s.redCond = id
	return s, nil
}

// newStyle adds a style to the workbook. A font the style sets is the
// workbook's own (Calibri, 11 points) unless it says otherwise: a font
// without a name or size is one a reader picks for itself, and Calc
// picks a wider serif, in which a figure that fits its column in Excel
// shows as ###.
func (s *styles) newStyle(st *excelize.Style) (int, error) {
	if st.Font != nil {
		font := *st.Font
		if font.Family == "" {
			font.Family = "Calibri"
		}
		if font.Size == 0 {
			font.Size = 11
		}
		st.Font = &font
	}
	return s.f.NewStyle(st)
}

// topAligned puts text at the top of a tall row, level with wrapped
// text beside it.
var topAligned = &excelize.Alignment{Vertical: "top"}

// redFont is white bold text, for figures on a red fill.
var redFont = &excelize.Font{Bold: true, Color: "FFFFFF"}

// redAmount returns a currency's display style on a red fill, for an
// unexplained difference: the negative section keeps its brackets but
// not its red, which would vanish on the fill.
func (s *styles) redAmount(currency string) int {
	_, digits, ok := displayDigits(currency)
	if !ok {
		digits = -1
	}
	if id, ok := s.red[digits]; ok {
		return id
	}
	format := fmtUnknownMinorOnRed
	if digits >= 0 {
		format = amountFormatOnRed(digits)
	}
	id, err := s.newStyle(&excelize.Style{CustomNumFmt: ptr(format), Font: redFont, Fill: fill("C00000")})
	if err != nil {
		return s.redMinor
	}
	s.red[digits] = id
	return id
}

// severity returns the style of a severity's name: the urgent ones
// stand out.
func (s *styles) severity(sev string) int {
	switch sev {
	case recon.SeverityCritical:
		return s.critical
	case recon.SeverityHigh:
		return s.high
	case recon.SeverityLow:
		return s.low
	}
	return s.top
}

// amountStyle returns the display style of a currency's amounts.
func (s *styles) amountStyle(currency string, bold bool) int {
	if bold {
		return s.amountIn(s.amountBold, currency, s.unknownMinorBold, excelize.Style{Font: &excelize.Font{Bold: true}})
	}
	return s.amountIn(s.amount, currency, s.unknownMinor, excelize.Style{})
}

// rowAmountStyle returns the display style of a currency's amounts in a
// data row.
func (s *styles) rowAmountStyle(currency string) int {
	return s.amountIn(s.amountTop, currency, s.unknownMinorTop, excelize.Style{Alignment: topAligned})
}

// amountIn returns the style in m for a currency's digits, made from
// base with the amount format the first time; unknown is the style of
// a currency money does not know.
func (s *styles) amountIn(m map[int]int, currency string, unknown int, base excelize.Style) int {
	_, digits, ok := displayDigits(currency)
	if !ok {
		return unknown
	}
	if id, ok := m[digits]; ok {
		return id
	}
	base.CustomNumFmt = ptr(amountFormat(digits))
	id, err := s.newStyle(&base)
	if err != nil {
		// A format string of digits and literals cannot be refused; fall
		// back to the minor style rather than fail a report over it.
		return s.minor
	}
	m[digits] = id
	return id
}

// displayAmount returns the number a display cell holds for minor units
// of a currency: major units when the exponent is known, else the minor
// units themselves (shown with the "(minor units)" format).
func displayAmount(minor int64, currency string) float64 {
	exp, _, ok := displayDigits(currency)
	if !ok {
		return float64(minor)
	}
	return major(minor, exp)
}

// minorWidth is how many characters v takes in the minor-unit format:
// digits, thousands separators and the brackets of a negative.
func minorWidth(v int64) int {
	n := len(strconv.FormatUint(absU(v), 10))
	return n + (n-1)/3 + 2
}

// displayWidth is how many characters minor units of a currency take in
// its display format (see amountStyle).
func displayWidth(v int64, currency string) int {
	exp, digits, ok := displayDigits(currency)
	if !ok {
		return minorWidth(v) + len(" (minor units)")
	}
	n := len(strconv.FormatUint(absU(v)/uint64(pow10f[exp]), 10))
	w := n + (n-1)/3 + 2
	if digits > 0 {
		w += 1 + digits
	}
	return w
}

func absU(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

func fill(color string) excelize.Fill {
	return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
}

func ptr[T any](v T) *T { return &v }
