package reports

import (
	"fmt"
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
// decimals the sheet shows. Rupiah are shown without decimals (sen are
// not used in practice); every other currency with its exponent. ok is
// false for a code money does not know: its amounts are then shown in
// minor units, never scaled by a guessed exponent.
func displayDigits(currency string) (exp, digits int, ok bool) {
	exp, ok = money.Exponent(currency)
	if !ok {
		return 0, 0, false
	}
	if currency == "IDR" {
		return exp, 0, true
	}
	return exp, exp, true
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
}

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{f: f, amount: map[int]int{}, amountBold: map[int]int{}, red: map[int]int{}}
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
		{&s.dateMinute, excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd hh:mm")}},
		{&s.text, excelize.Style{}},
		{&s.wrap, excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&s.link, excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}}},
		{&s.bold, excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&s.boldRight, excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "right"}}},
		{&s.minor, excelize.Style{CustomNumFmt: ptr(fmtMinor)}},
		{&s.minorBold, excelize.Style{CustomNumFmt: ptr(fmtMinor), Font: &excelize.Font{Bold: true}}},
		{&s.count, excelize.Style{CustomNumFmt: ptr(fmtCount)}},
		{&s.countBold, excelize.Style{CustomNumFmt: ptr(fmtCount), Font: &excelize.Font{Bold: true}}},
		{&s.rowsShown, excelize.Style{CustomNumFmt: ptr(fmtRowsShown), Font: &excelize.Font{Bold: true}}},
		{&s.dateTime, excelize.Style{CustomNumFmt: ptr(fmtDateTime)}},
		{&s.date, excelize.Style{CustomNumFmt: ptr(fmtDate)}},
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
		{&s.unknownMinorBold, excelize.Style{CustomNumFmt: ptr(fmtUnknownMinor), Font: &excelize.Font{Bold: true}}},
		{&s.redMinor, excelize.Style{CustomNumFmt: ptr(fmtMinorOnRed), Font: redFont, Fill: fill("C00000")}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(&d.st)
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
	id, err := s.f.NewStyle(&excelize.Style{CustomNumFmt: ptr(format), Font: redFont, Fill: fill("C00000")})
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
	_, digits, ok := displayDigits(currency)
	if !ok {
		if bold {
			return s.unknownMinorBold
		}
		return s.unknownMinor
	}
	m := s.amount
	if bold {
		m = s.amountBold
	}
	if id, ok := m[digits]; ok {
		return id
	}
	st := excelize.Style{CustomNumFmt: ptr(amountFormat(digits))}
	if bold {
		st.Font = &excelize.Font{Bold: true}
	}
	id, err := s.f.NewStyle(&st)
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

func fill(color string) excelize.Fill {
	return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
}

func ptr[T any](v T) *T { return &v }
