package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/wire"
)

// ledgerColumns holds the index of each mapped column in the header, -1
// when unmapped.
type ledgerColumns struct {
	date, ref, desc, amount, debit, credit, currency, txnType, fee int
	names                                                          [9]string // header texts, for reasons
}

// mapColumns finds each mapped column in the header.
func mapColumns(file string, header []string, o LedgerOptions) (ledgerColumns, error) {
	index := make(map[string]int, len(header))
	dup := make(map[string]bool)
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if _, ok := index[k]; ok {
			dup[k] = true
			continue
		}
		index[k] = i
	}
	var cols ledgerColumns
	var missing []string
	var dups []string
	find := func(slot int, name string) int {
		name = strings.TrimSpace(name)
		if name == "" {
			return -1
		}
		k := strings.ToLower(name)
		i, ok := index[k]
		if !ok {
			missing = append(missing, name)
			return -1
		}
		if dup[k] {
			dups = append(dups, name)
		}
		cols.names[slot] = name
		return i
	}
	cols.date = find(0, o.Date)
	cols.ref = find(1, o.Reference)
	cols.desc = find(2, o.Description)
	cols.amount = find(3, o.Amount)
	cols.debit = find(4, o.Debit)
	cols.credit = find(5, o.Credit)
	cols.currency = find(6, o.Currency)
	cols.txnType = find(7, o.TxnType)
	cols.fee = find(8, o.Fee)
	if len(missing) > 0 {
		found := make([]string, len(header))
		for i, h := range header {
			found[i] = fmt.Sprintf("%q", errorText([]byte(h)))
		}
		return cols, &MissingColumnsError{File: file, Missing: missing, Found: found}
	}
	if len(dups) > 0 {
		return cols, fmt.Errorf("ledger %s: column %q appears more than once in the header; rename one in the export", file, dups[0])
	}
	return cols, nil
}

// ledgerParser turns rows into entries. It carries the per-file state of
// the row hashes, so each file needs its own.
type ledgerParser struct {
	file, sheet string
	opts        LedgerOptions
	format      money.Format
	cols        ledgerColumns
	width       int  // header width
	xlsx        bool // cells come from excelize with raw values
	date1904    bool // the workbook counts serial dates from 1904
	// numeric marks the XLSX cells of the current row (by column) that
	// are numbers: their raw value is a stored number or serial date.
	numeric []bool
	// key is the content key of the last row parsed (see rowKey), for the
	// batcher to count repeats of.
	key uint64
	buf []byte
}

func newLedgerParser(file, sheet string, opts LedgerOptions, cols ledgerColumns, width int) *ledgerParser {
	return &ledgerParser{
		file: file, sheet: sheet, opts: opts, cols: cols, width: width,
		format: money.Format{Decimal: opts.Decimal, Thousands: opts.Thousands},
	}
}

// blankRow reports whether every cell is empty or spaces: exports end
// with such rows and they are not errors.
func blankRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// maxRowBytes bounds a ledger row's text (its cells and separators). A
// real row is a few hundred bytes; a megabyte row is a corrupt export or
// a hostile one, and its cells must not reach the store and the report.
// (A stray quote that swallows the rows after it is caught before this:
// see csvInput.)
const maxRowBytes = 1 << 20

// parse reads one non-blank data row found at line no. On failure it
// returns the reason, starting with the line.
func (p *ledgerParser) parse(cells []string, no int) (recon.LedgerEntry, string) {
	var e recon.LedgerEntry
	fail := func(format string, args ...any) (recon.LedgerEntry, string) {
		return recon.LedgerEntry{}, fmt.Sprintf("line %d: ", no) + fmt.Sprintf(format, args...)
	}
	size := len(cells) - 1 // the separators
	for _, c := range cells {
		size += len(c)
	}
	if size > maxRowBytes {
		return fail("the row is %d bytes, longer than the limit of %d; the export is corrupt", size, maxRowBytes)
	}
	for i, c := range cells {
		if !utf8.ValidString(c) {
			return fail("column %d is not valid UTF-8; export the ledger as UTF-8", i+1)
		}
		if strings.IndexByte(c, 0) >= 0 {
			return fail("column %d holds a NUL byte; the file is binary or corrupt", i+1)
		}
	}
	if len(cells) != p.width {
		if len(cells) < p.width || !p.xlsx || !blankRow(cells[p.width:]) {
			return fail("%d fields where the header has %d", len(cells), p.width)
		}
		cells = cells[:p.width]
	}
	cell := func(i int) string {
		if i < 0 {
			return ""
		}
		return strings.TrimSpace(cells[i])
	}

	booked, reason := p.date(cell(p.cols.date), p.cols.date)
	if reason != "" {
		return fail("%s %s", p.cols.names[0], reason)
	}
	currency := strings.ToUpper(cell(p.cols.currency))
	if currency == "" {
		currency = p.opts.DefaultCurrency
	}
	if currency == "" {
		return fail("no currency: the %s cell is empty and no default currency is set", p.cols.names[6])
	}
	iso, ok := money.Exponent(currency)
	if !ok {
		return fail("unknown currency %q", clip([]byte(currency)))
	}
	exp := iso
	if x, ok := p.opts.Exponents[currency]; ok {
		exp = x
	}

	var amount int64
	if p.cols.amount >= 0 {
		s := cell(p.cols.amount)
		if s == "" {
			return fail("%s is empty", p.cols.names[3])
		}
		v, reason := p.money(s, p.cols.amount, exp, iso)
		if reason != "" {
			return fail("%s %s", p.cols.names[3], reason)
		}
		amount = v
	} else {
		ds, cs := cell(p.cols.debit), cell(p.cols.credit)
		if ds == "" && cs == "" {
			return fail("neither %s nor %s has an amount", p.cols.names[4], p.cols.names[5])
		}
		var d, c int64
		if ds != "" {
			v, reason := p.money(ds, p.cols.debit, exp, iso)
			if reason != "" {
				return fail("%s %s", p.cols.names[4], reason)
			}
			d = v
		}
		if cs != "" {
			v, reason := p.money(cs, p.cols.credit, exp, iso)
			if reason != "" {
				return fail("%s %s", p.cols.names[5], reason)
			}
			c = v
		}
		if d != 0 && c != 0 {
			return fail("both %s and %s have an amount; a row is one or the other", p.cols.names[4], p.cols.names[5])
		}
		// One of them is zero and neither is MinInt64 (money.Parse stops
		// at ±MaxInt64), so this cannot overflow.
		amount = c - d
	}

	if s := cell(p.cols.fee); s != "" {
		v, reason := p.money(s, p.cols.fee, exp, iso)
		if reason != "" {
			return fail("%s %s", p.cols.names[8], reason)
		}
		if v < 0 {
			return fail("%s %s is negative; a fee the gateway kept is written positive", p.cols.names[8], clip([]byte(s)))
		}
		e.FeeMinor = &v
	}
	e.BookedOn = booked
	e.Reference = cell(p.cols.ref)
	e.Description = cell(p.cols.desc)
	e.TxnType = cell(p.cols.txnType)
	e.Currency = currency
	e.AmountMinor = amount
	// The hash of a first occurrence: the batcher's rowHasher corrects it
	// if identical rows came before this one.
	p.buf = rowContent(p.buf[:0], &e)
	p.key = rowKey(p.buf)
	e.RowHash = rowHashOf(e.BookedOn, p.buf, 0)
	e.SourceFile = p.file
	e.Sheet = p.sheet
	e.SourceLine = no
	e.Raw = jsonStrings(cells)
	return e, ""
}

// isNumeric reports whether the XLSX cell in column col is a number.
func (p *ledgerParser) isNumeric(col int) bool {
	return col >= 0 && col < len(p.numeric) && p.numeric[col]
}

// date reads a booking date as midnight UTC of its calendar day. An XLSX
// date cell is a number, the serial day count from the workbook's epoch
// (1900 or 1904); an XLSX text cell and a CSV field are parsed with the
// layout, and an XLSX ISO 8601 date cell (t="d") by its date part.
func (p *ledgerParser) date(s string, col int) (time.Time, string) {
	if s == "" {
		return time.Time{}, "is empty"
	}
	var t time.Time
	var err error
	if p.isNumeric(col) {
		serial, ok := excelSerial(s)
		if !ok {
			return time.Time{}, fmt.Sprintf("%s is not a date serial number", clip([]byte(s)))
		}
		t, err = excelize.ExcelDateToTime(serial, p.date1904)
	} else {
		t, err = time.Parse(p.opts.DateLayout, s)
		if err != nil && p.xlsx && len(s) >= 10 && (len(s) == 10 || s[10] == 'T' || s[10] == ' ') {
			if t2, err2 := time.Parse(time.DateOnly, s[:10]); err2 == nil {
				t, err = t2, nil
			}
		}
	}
	if err != nil {
		return time.Time{}, fmt.Sprintf("%q does not match the date layout %s", clip([]byte(s)), layoutText(p.opts.DateLayout))
	}
	y, m, d := t.Date()
	if y < minYear || y > maxYear {
		if p.isNumeric(col) { // a serial says nothing to a person: show its date
			return time.Time{}, fmt.Sprintf("%q (%s) is outside the years %d to %d", clip([]byte(s)), t.Format(time.DateOnly), minYear, maxYear)
		}
		return time.Time{}, fmt.Sprintf("%q is outside the years %d to %d", clip([]byte(s)), minYear, maxYear)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), ""
}

// maxAmountBytes bounds an amount's text: int64 minor units need 19
// digits, and separators, a sign or brackets and spaces add less than
// the rest.
const maxAmountBytes = 64

// money parses an amount written with at most exp decimals into ISO
// minor units (exponent iso). An XLSX numeric cell holds a binary
// floating-point number, written in the XML as 1250000, 1250000.5 or
// 1.25E+6: it is read as Excel shows it, to 15 significant digits, so
// 0.30000000000000004 is 0.30. Text cells and CSV fields are read in the
// export's own format.
func (p *ledgerParser) money(s string, col, exp, iso int) (int64, string) {
	if len(s) > maxAmountBytes {
		// money.Parse quotes the whole text in its error, and the reason
		// is stored and reported: say it briefly instead.
		return 0, fmt.Sprintf("amount %q is %d bytes long; no amount needs more than %d", clip([]byte(s)), len(s), maxAmountBytes)
	}
	var v int64
	var err error
	if p.isNumeric(col) {
		text, ok := excelNumber(s)
		if !ok {
			return 0, fmt.Sprintf("%q is not a number", clip([]byte(s)))
		}
		v, err = money.Parse(text, exp, money.Dot)
	} else {
		v, err = money.Parse(s, exp, p.format)
	}
	if err != nil {
		return 0, err.Error()
	}
	v, err = money.Rescale(v, exp, iso)
	if err != nil {
		return 0, fmt.Sprintf("%q: %v", clip([]byte(s)), err)
	}
	return v, ""
}

// isExcelNumber reports whether s has the form numbers take in a
// worksheet's XML: an optional minus, digits, an optional fraction and
// an optional exponent.
func isExcelNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// excelNumber renders a worksheet number as plain decimal text, rounded
// to the 15 significant digits Excel shows (0.30000000000000004 is 0.3).
func excelNumber(s string) (string, bool) {
	if !isExcelNumber(s) {
		return "", false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return "", false
	}
	f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// excelSerial reads a serial date: a non-negative worksheet number.
func excelSerial(s string) (float64, bool) {
	if !isExcelNumber(s) || s[0] == '-' {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f > 2958465 { // 9999-12-31, Excel's last date
		return 0, false
	}
	return f, true
}

// jsonStrings renders cells as a JSON array of strings: the Raw of a
// ledger entry. Cells are valid UTF-8 here; HTML characters stay as they
// are, unlike encoding/json's default, so Raw reads like the export.
func jsonStrings(cells []string) string {
	n := 2
	for _, c := range cells {
		n += len(c) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = wire.AppendJSONString(b, c)
	}
	b = append(b, ']')
	return string(b)
}

// layoutText writes a Go date layout as finance configures it
// (ledger.date_layout): "02/01/2006" is DD/MM/YYYY.
func layoutText(layout string) string {
	return strings.NewReplacer("2006", "YYYY", "06", "YY", "01", "MM", "02", "DD").Replace(layout)
}
