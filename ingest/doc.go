// Package ingest reads the two file inputs of a reconciliation: the
// webhook log the merchant's receiver wrote (JSON Lines, optionally
// gzipped) and finance's ledger export (CSV or XLSX).
//
// Readers stream: a file enters line by line (or row by row), each line
// becomes a recon.WebhookEvent, a recon.LedgerEntry or a recon.InputError,
// and those leave in batches through a caller-supplied Sink, so memory
// stays bounded however large the file is (for a ledger, with a
// RowCounter whose memory stops at a cap: see LedgerOptions.NewRowCounter).
// A line that cannot be used is an InputError and reading goes on; only
// a file that cannot be read at all (missing, unreadable, a ledger header
// without a mapped column) is a returned error. The package parses and
// checks signatures; it decides nothing about trust or matching, which
// belong to match/.
//
// The webhook log format itself (gzip, lines, the JSON record around a
// payload) is read by package webhooklog, which `contract webhooks`
// shares; this package makes events of what it decodes.
//
// A ledger format is a rowSource (ledger_rows.go): next hands out records
// (a row's cells and line, or an input error in its place), header trims
// the header row and end gives the file's SHA-256 and line count. The
// row loop, readRows, does the rest for every format: blank rows, the
// header's columns, parsing, repeated-row counts and batches. To add a
// format (MT940, CAMT.053), write its rowSource and its ledgerFormat (how
// a row is quoted in an error, what an empty file is called) in a file
// of its own, as ledger_csv.go and ledger_xlsx.go do, and pick it by
// extension in ReadLedger; its cells then go through ledgerParser like
// any other row's.
package ingest
