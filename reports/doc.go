// Package reports turns a match run into what finance reads: the
// reconciliation workbook (WriteWorkbook), its digest for people who read
// the night in a chat or an e-mail (WriteDigestMarkdown, WriteDigestHTML:
// the Summary's banner, categories, control and carry-forward, the HTML
// with an inline SVG chart, both byte-identical for the same inputs) and
// the CSV/JSON exception exports (WriteExceptionsCSV,
// WriteExceptionsJSON).
//
// Data enters from the store only: the run, its exceptions (held in
// memory: thousands, not millions), its match results (streamed in
// batches, never held) and counts of the input tables. Files leave as
// temporary files of an Owner, renamed into place one at a time
// (WriteFileAtomic) or as a FileSet that a run installs when it commits,
// so a reader sees the previous file or the whole new one (files.go).
//
// # The workbook
//
// Summary comes first: a banner with what needs action, the exception
// categories (most urgent, then most money at stake, first; each links
// to its sheet), the control line per currency (gateway net − ledger net,
// split into what the exceptions explain, lines not due yet, tolerance,
// and the unexplained rest, red when not zero: see control.go), a bar
// chart of exceptions by category, the match rate, the inputs' counts
// and totals, and the input files.
//
// Then one sheet per exception category that has rows (most urgent
// first, named as CategorySheetName says), Input errors, Sales (every
// sale, matched clean or named by an exception) and Refunds & voids.
// Every data sheet has one totals row per currency above its frozen
// header (SUBTOTAL(109, …) over that currency's block of rows, which the
// rows are grouped into, so a filter keeps the totals right and
// currencies never mix), an autofilter, the ids as text, the payment
// link uid as a HYPERLINK formula when the link has an http(s) URL,
// dates as real dates in the report's zone, a wrapped Detail (each row
// as tall as its text), and empty Status and Notes columns for finance.
// Amounts are numbers in major units for reading (IDR without decimals,
// others with their exponent's, negatives red in brackets; their columns
// as wide as their largest figure), each with an exact minor-unit twin
// column, since a spreadsheet number is a float64. A list longer than
// Excel's 1,048,576 rows continues on "Name (2)".
//
// Every sheet prints (print.go): A4, one page wide, a footer with the
// sheet, the business date and the page. A data sheet prints landscape
// its first columns, what a person reads on paper (to Notes), with its
// header row on every page; the columns past them (codes, other ids,
// minor units, timestamps) are for the screen. The Summary prints
// portrait on two pages, the chart whole on the first.
//
// Text from outside (ids, details, ledger references, input lines) is
// always written as an inline string, so "=1+1" stays those four
// characters and never becomes a formula.
//
// # How it is written
//
// excelize builds the workbook around the data sheets: styles, the
// Summary, the chart, the sheet list, defined names (autofilters, print
// area). The data sheets' rows are encoded here (sheetxml.go) rather
// than by excelize's StreamWriter, which costs about 1.3 µs a cell on
// the 2-core build machine, too slow for a million 28-column rows in
// 15 s. Each currency block of each sheet is encoded and deflated on its
// own, as the rows arrive in one pass over the run's results (a reader
// goroutine, the encoder, a compressor per block), and the blocks are
// laid end to end in the final archive behind their sheet's totals rows,
// which are known only at the end (datasheet.go).
package reports
