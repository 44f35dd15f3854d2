package ingest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/reconkit/reconkit/money"
)

// LedgerOptions map a ledger export's columns onto ledger entries and say
// how its dates and amounts are written. Column names are header texts,
// matched case-insensitively after trimming; an empty name leaves that
// field unmapped. Either Amount (signed) or Debit and Credit must be
// mapped.
type LedgerOptions struct {
	Date        string
	Reference   string
	Description string
	Amount      string // one signed column: credits positive, debits negative
	Debit       string // money out, written positive; the entry's amount is Credit − Debit
	Credit      string // money in
	Currency    string
	TxnType     string
	// Fee, optional, is a column stating the fee the gateway kept from a
	// settlement deposit, written positive in the amounts' format; an
	// empty cell states none.
	Fee string

	// Delimiter separates a CSV row's fields: ',' when 0, or ';', '\t',
	// '|' or any other character but a quote or a line break.
	// AutoDelimiter picks it from the header line. XLSX ignores it.
	Delimiter rune

	// DateLayout is a Go time layout: "02/01/2006" for DD/MM/YYYY,
	// "2006-01-02" for ISO dates.
	DateLayout string
	// Decimal and Thousands are the separators amounts are written with:
	// '.' and ',' for 1,250,000.00; ',' and '.' for 1.250.000,00.
	// Thousands may be 0 when the export writes none.
	Decimal   byte
	Thousands byte
	// DefaultCurrency applies to rows whose currency cell is empty, and to
	// every row when Currency is unmapped.
	DefaultCurrency string
	// Exponents caps, per currency, how many decimals an amount may carry
	// (default: the ISO 4217 exponent, money.Exponent). Amounts are
	// stored in ISO minor units whatever the cap, so a cap below the ISO
	// exponent only rejects more rows, and one above it accepts extra
	// decimals only when they are zero.
	Exponents map[string]int
	// Sheet is the XLSX sheet to read; empty means the first one. CSV
	// ignores it.
	Sheet string
	// BatchSize is how many rows go to the Sink at once; 0 means
	// DefaultBatchSize.
	BatchSize int
	// NewRowCounter makes the counter of repeated rows for each file read
	// (see RowCounter). nil counts in memory, which grows with the number
	// of distinct rows; sqlite.NewRowCounter caps that memory and counts
	// the rows beyond in a temporary file.
	NewRowCounter func() (RowCounter, error)
}

// AutoDelimiter as LedgerOptions.Delimiter picks the delimiter from the
// header line: of ',', ';', tab and '|', the one that splits it into the
// most fields outside quotes. A tie, or none of them, fails the file.
const AutoDelimiter rune = -1

// SandboxLedgerOptions is the mapping of the sandbox's ledger export and
// the documented example of a debit/credit export:
//
//	Date,Reference,Description,Debit,Credit,Currency
//	15/01/2024,LNK-0001,OxPay settlement,,"1.250.000,00",IDR
//
// Dates are DD/MM/YYYY and amounts are written 1.250.000,00.
func SandboxLedgerOptions() LedgerOptions {
	return LedgerOptions{
		Date:        "Date",
		Reference:   "Reference",
		Description: "Description",
		Debit:       "Debit",
		Credit:      "Credit",
		Currency:    "Currency",
		DateLayout:  "02/01/2006",
		Decimal:     ',',
		Thousands:   '.',
	}
}

// Validate reports every problem with the options at once, so a config
// file can be fixed in one go.
func (o LedgerOptions) Validate() error {
	var errs []error
	if strings.TrimSpace(o.Date) == "" {
		errs = append(errs, errors.New("the date column is not mapped"))
	}
	hasAmount := strings.TrimSpace(o.Amount) != ""
	hasDebit, hasCredit := strings.TrimSpace(o.Debit) != "", strings.TrimSpace(o.Credit) != ""
	switch {
	case hasAmount && (hasDebit || hasCredit):
		errs = append(errs, errors.New("map either an amount column or debit and credit columns, not both"))
	case !hasAmount && !(hasDebit && hasCredit):
		errs = append(errs, errors.New("map an amount column, or both a debit and a credit column"))
	}
	if o.DateLayout == "" {
		errs = append(errs, errors.New("the date layout is empty (for example 02/01/2006 or 2006-01-02)"))
	}
	if o.Decimal == 0 {
		errs = append(errs, errors.New("the decimal separator is not set"))
	}
	if o.Decimal != 0 && o.Decimal == o.Thousands {
		errs = append(errs, fmt.Errorf("the decimal and thousands separators are both %q", o.Decimal))
	}
	for _, c := range []byte{o.Decimal, o.Thousands} {
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '(' || c == ')' {
			errs = append(errs, fmt.Errorf("%q cannot be a separator", c))
		}
	}
	if d := o.Delimiter; d != 0 && d != AutoDelimiter && (d == '"' || d == '\r' || d == '\n' || d == utf8.RuneError || !utf8.ValidRune(d)) {
		errs = append(errs, fmt.Errorf("%q cannot be the delimiter", d))
	}
	if o.DefaultCurrency != "" && !money.Known(o.DefaultCurrency) {
		errs = append(errs, fmt.Errorf("unknown default currency %q", o.DefaultCurrency))
	}
	if strings.TrimSpace(o.Currency) == "" && o.DefaultCurrency == "" {
		errs = append(errs, errors.New("map a currency column or set a default currency"))
	}
	for cur, e := range o.Exponents {
		if !money.Known(cur) {
			errs = append(errs, fmt.Errorf("exponent given for unknown currency %q", cur))
		}
		if e < 0 || e > 8 {
			errs = append(errs, fmt.Errorf("exponent %d for %s is out of range 0..8", e, cur))
		}
	}
	return errors.Join(errs...)
}

// MissingColumnsError is returned when a ledger's header lacks columns
// the options map: the export or the mapping is wrong, and reading on
// would turn every row into an input error.
type MissingColumnsError struct {
	File    string
	Missing []string // the mapped names not found
	Found   []string // the header as read
}

// Error names the file, the missing columns and what the header holds.
func (e *MissingColumnsError) Error() string {
	q := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		q[i] = fmt.Sprintf("%q", m)
	}
	return fmt.Sprintf("ledger %s: header has no column %s (found %s); fix the column mapping or the export",
		e.File, strings.Join(q, ", "), strings.Join(e.Found, ", "))
}

// ReadLedger reads a ledger export, CSV or XLSX by its extension, and
// hands its entries and input errors to sink in file order. A row that
// cannot be used becomes an InputError, and so does a file (or sheet)
// without even a header row, on line 1; an unreadable file, invalid
// options, a header without a mapped column, a sink error or ctx ending
// stop the read with an error.
//
// The header is the first row that is not blank; blank rows are skipped.
// A CSV row is one line: a quoted field that runs over a line break (an
// unclosed quote, or a description with a line break in it) is an input
// error naming the lines it spans, and the lines after its first are read
// again as rows of their own, so every line after the header is a row,
// an input error or blank (see csvInput).
// Dates become midnight UTC of their calendar day (years 2000 to 2100),
// amounts exact int64 minor units in the currency's ISO exponent, credits
// positive. For each entry:
//   - RowHash is the booking date as YYYYMMDD, then the first 96 bits, in
//     hex (see keyLen), of the SHA-256 of the normalised fields (date,
//     reference, description, type, currency, amount) joined by 0x1F,
//     plus the number of identical rows earlier in the file: a row booked
//     twice is kept twice, and re-reading an overlapping export repeats
//     the same hashes;
//   - Raw is the row's cells as a JSON array of strings;
//   - SourceLine is the physical line (CSV, header included) or the sheet
//     row (XLSX), Sheet the sheet name ("" for CSV), SourceFile path as
//     given.
func ReadLedger(ctx context.Context, path string, opts LedgerOptions, sink Sink) (Result, error) {
	res := Result{File: path, Kind: KindLedger}
	if err := opts.Validate(); err != nil {
		return res, fmt.Errorf("ledger %s: options: %w", path, err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return readLedgerCSV(ctx, path, opts, sink)
	case ".xlsx":
		return readLedgerXLSX(ctx, path, opts, sink)
	}
	return res, fmt.Errorf("ledger %s: unsupported format %q; export the ledger as .csv or .xlsx", path, filepath.Ext(path))
}
