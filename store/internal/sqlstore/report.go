package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// The queries below serve the reconciliation workbook (package reports),
// which reads a run's million result rows in one pass. Like every reader
// here they run without a transaction: SQLite's DSN makes every
// transaction BEGIN IMMEDIATE, which would take the write lock and block
// an ingest for as long as a report reads. Each statement still reads
// one consistent snapshot (WAL mode; PostgreSQL's statement snapshot).
//
// They select times as text and parse them with parseTimeText: SQLite's
// driver would try its layouts one after another, and a DATE column
// fails eight of them (each failure allocating an error) before it
// matches, which cost more than the rest of the row. PostgreSQL's
// connections run in UTC with ISO dates, so its text is of the same
// shape (an offset of "+00" rather than "+00:00").

// sqliteFirstID and pgFirstID are the SQL for the first id of a
// comma-separated IDList column as an integer: 0 for an empty list,
// which matches no row.
func sqliteFirstID(col string) string {
	return `CAST(substr(` + col + `, 1, instr(` + col + ` || ',', ',') - 1) AS INTEGER)`
}

func pgFirstID(col string) string {
	return `CAST(NULLIF(split_part(` + col + `, ',', 1), '') AS BIGINT)`
}

// An exception's report facts (store.ExceptionFacts) are kept with it
// when a run carried it (facts = 1: read with the run before's
// exceptions, RunExceptions, and written with the copy), and otherwise
// looked up in the rows it names. The lookups are joined only for
// facts = 0, so that a month of carried exceptions costs no read of the
// tables behind them.
const (
	factPaymentURL = `CASE WHEN e.facts = 1 THEN e.payment_url ELSE p.payment_url END`
	factOrderAt    = `CASE WHEN e.facts = 1 THEN e.order_created_at ELSE o.created_at END`
	factPaidAt     = `CASE WHEN e.facts = 1 THEN e.link_paid_at ELSE p.paid_at END`
	factReceivedAt = `CASE WHEN e.facts = 1 THEN e.webhook_received_at ELSE w.received_at END`
	factBookedOn   = `CASE WHEN e.facts = 1 THEN e.ledger_booked_on ELSE l.booked_on END`
	factLedgerCur  = `CASE WHEN e.facts = 1 THEN e.ledger_currency ELSE l.currency END`
	factLedgerAmt  = `CASE WHEN e.facts = 1 THEN e.ledger_minor ELSE l.amount_minor END`

	// The joins look a fact up by a key that is NULL where the facts
	// are kept: SQLite seeks the index, or the table by id, for a row
	// whose ON clause another term makes false (e.facts = 0 AND ...),
	// but not for a NULL key.
	factJoinsHead = `
LEFT JOIN payment_links p ON p.merchant = e.merchant AND p.uid = CASE WHEN e.facts = 0 THEN e.payment_link_uid END AND e.payment_link_uid <> ''
LEFT JOIN orders o ON o.merchant = e.merchant AND o.uid = CASE WHEN e.facts = 0 THEN e.order_uid END AND e.order_uid <> ''
LEFT JOIN webhook_events w ON w.merchant = e.merchant AND w.id = CASE WHEN e.facts = 0 THEN `
	factJoinsLedger = ` END
LEFT JOIN ledger_entries l ON l.merchant = e.merchant AND l.id = CASE WHEN e.facts = 0 THEN `
	factJoinsEnd = ` END`
)

// factJoins are the joins the facts are looked up through, in a dialect.
var factJoins = map[Dialect]string{
	SQLite:   factJoinsHead + sqliteFirstID("e.webhook_event_ids") + factJoinsLedger + sqliteFirstID("e.ledger_entry_ids") + factJoinsEnd,
	Postgres: factJoinsHead + pgFirstID("e.webhook_event_ids") + factJoinsLedger + pgFirstID("e.ledger_entry_ids") + factJoinsEnd,
}

// factColumns are the facts as the queries select them, in
// store.ExceptionFacts' order, the times as text (FactTimes).
const factColumns = `COALESCE(` + factPaymentURL + `, ''), CAST(` + factOrderAt + ` AS TEXT), CAST(` + factPaidAt + ` AS TEXT),
    CAST(` + factReceivedAt + ` AS TEXT), CAST(` + factBookedOn + ` AS TEXT),
    COALESCE(` + factLedgerCur + `, ''), COALESCE(` + factLedgerAmt + `, 0)`

const (
	reportExceptionsHead = `SELECT ` + exceptionColumns + `,
    ` + factColumns + `,
    COALESCE(i.source, ''), COALESCE(i.file, ''), COALESCE(i.line, 0),
    COALESCE(i.text, ''), CAST(i.recorded_at AS TEXT), e.carried
FROM exceptions e`
	reportExceptionsTail = `
LEFT JOIN input_errors i ON i.merchant = e.merchant AND i.id = e.input_error_id` + runExceptionRows
)

var reportExceptionsSQL = map[Dialect]string{
	SQLite:   reportExceptionsHead + factJoins[SQLite] + reportExceptionsTail,
	Postgres: reportExceptionsHead + factJoins[Postgres] + reportExceptionsTail,
}

// runExceptionsHead is RunExceptionsQuery's up to the facts' joins.
const runExceptionsHead = `SELECT ` + exceptionColumns + `,
    ` + factColumns + `
FROM exceptions e`

// RunExceptionsQuery is the query RunExceptions runs in a dialect, its
// parameters the merchant and the run id: ExceptionsQuery's columns,
// then the facts' (factColumns). A backend that reads it its own way
// (SetReaders) runs the same.
var RunExceptionsQuery = map[Dialect]string{
	SQLite:   runExceptionsHead + factJoins[SQLite] + runExceptionRows,
	Postgres: runExceptionsHead + factJoins[Postgres] + runExceptionRows,
}

// FactTimes sets the times of f from their text as factColumns select
// them (NULL: no row).
func FactTimes(f *store.ExceptionFacts, created, paid, received, booked sql.NullString) error {
	for _, t := range []struct {
		s   sql.NullString
		dst **time.Time
	}{{created, &f.OrderCreatedAt}, {paid, &f.LinkPaidAt}, {received, &f.WebhookReceivedAt}, {booked, &f.LedgerBookedOn}} {
		var err error
		if *t.dst, err = timeTextPtr(t.s); err != nil {
			return err
		}
	}
	return nil
}

// ReportExceptions returns a run's exceptions in the order they were
// written (report order, as match writes them), each with the facts of
// ReportException.
func (db *DB) ReportExceptions(ctx context.Context, runID int64) ([]store.ReportException, error) {
	rows, err := db.Q().QueryContext(ctx, reportExceptionsSQL[db.dialect], db.merchant, runID)
	if err != nil {
		return nil, fmt.Errorf("read exceptions of run %d for the report: %w", runID, err)
	}
	defer rows.Close()
	var out []store.ReportException
	var created, paid, received, booked, recorded sql.NullString
	var category string
	var carried int
	for rows.Next() {
		var x store.ReportException
		err := rows.Scan(&category, &x.Severity, &x.OrderUID, &x.PaymentLinkUID, &x.OxpayTxnID,
			&x.MerchantReferenceID, &x.LedgerRef, &x.Currency, &x.ExpectedMinor, &x.ActualMinor, &x.DifferenceMinor, &x.Detail,
			&x.WebhookEventIDs, &x.LedgerEntryIDs, &x.InputErrorID,
			&x.PaymentURL, &created, &paid, &received, &booked, &x.LedgerCurrency, &x.LedgerMinor,
			&x.InputSource, &x.InputFile, &x.InputLine, &x.InputText, &recorded, &carried)
		if err == nil {
			x.Category, x.Carried = recon.Category(category), carried != 0
			err = FactTimes(&x.ExceptionFacts, created, paid, received, booked)
		}
		if err == nil {
			x.InputRecordedAt, err = timeTextPtr(recorded)
		}
		if err != nil {
			return nil, fmt.Errorf("read exceptions of run %d for the report: %w", runID, err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read exceptions of run %d for the report: %w", runID, err)
	}
	return out, nil
}

// reportResultBatch is how many rows ReportResults hands over at once.
const reportResultBatch = 1000

// ReportResults streams a run's match results to fn in the order they
// were written, in batches that fn must not keep (the slice and its
// time values are reused), with their ledger lines' reference, amount
// and date and their payment links' URL. An error from fn stops the read
// and is returned as is.
func (db *DB) ReportResults(ctx context.Context, runID int64, fn func([]store.ReportResult) error) error {
	rows, err := db.Q().QueryContext(ctx, `SELECT r.kind, r.order_uid, r.payment_link_uid, r.oxpay_txn_id,
    r.oxpay_original_txn_id, r.merchant_reference_id, COALESCE(l.reference, ''),
    COALESCE(r.ledger_entry_id, 0), COALESCE(r.webhook_event_id, 0),
    r.state, r.source, r.currency, r.order_minor, r.gateway_minor, COALESCE(l.amount_minor, 0),
    CAST(r.paid_at AS TEXT), CAST(l.booked_on AS TEXT), r.clean, COALESCE(p.payment_url, '')
FROM match_results r
LEFT JOIN ledger_entries l ON l.merchant = r.merchant AND l.id = r.ledger_entry_id
LEFT JOIN payment_links p ON p.merchant = r.merchant AND p.uid = r.payment_link_uid AND r.payment_link_uid <> ''
WHERE r.merchant = ? AND r.run_id = ? ORDER BY r.id`, db.merchant, runID)
	if err != nil {
		return fmt.Errorf("read match results of run %d for the report: %w", runID, err)
	}
	defer rows.Close()
	buf := make([]store.ReportResult, reportResultBatch)
	times := make([]time.Time, 2*reportResultBatch)
	n := 0
	var paid, booked sql.NullString
	for rows.Next() {
		r := &buf[n]
		err := rows.Scan(&r.Kind, &r.OrderUID, &r.PaymentLinkUID, &r.OxpayTxnID, &r.OriginalTxnID, &r.MerchantReferenceID,
			&r.LedgerRef, &r.LedgerEntryID, &r.WebhookEventID, &r.State, &r.Source, &r.Currency,
			&r.OrderMinor, &r.GatewayMinor, &r.LedgerMinor, &paid, &booked, &r.Clean, &r.PaymentURL)
		r.PaidAt, r.BookedOn = nil, nil
		if err == nil && paid.Valid {
			if times[2*n], err = parseTimeText(paid.String); err == nil {
				r.PaidAt = &times[2*n]
			}
		}
		if err == nil && booked.Valid {
			if times[2*n+1], err = parseTimeText(booked.String); err == nil {
				r.BookedOn = &times[2*n+1]
			}
		}
		if err != nil {
			return fmt.Errorf("read match results of run %d for the report: %w", runID, err)
		}
		if n++; n == reportResultBatch {
			if err := fn(buf); err != nil {
				return err
			}
			n = 0
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read match results of run %d for the report: %w", runID, err)
	}
	if n > 0 {
		return fn(buf[:n])
	}
	return nil
}

// ReportResultCounts counts a run's match results by kind and currency,
// ordered by both; it reads the results table only.
func (db *DB) ReportResultCounts(ctx context.Context, runID int64) ([]store.ResultCount, error) {
	var cs []store.ResultCount
	err := db.Q().SelectContext(ctx, &cs, `SELECT kind, currency, COUNT(*) AS row_count,
    `+sum(`clean`)+` AS clean_count,
    `+sum(`CASE WHEN clean = 1 THEN gateway_minor ELSE 0 END`)+` AS clean_gateway_minor
FROM match_results WHERE merchant = ? AND run_id = ? GROUP BY kind, currency ORDER BY kind, currency`, db.merchant, runID)
	if err != nil {
		return nil, fmt.Errorf("count match results of run %d: %w", runID, err)
	}
	byteOrder(cs, func(a, b store.ResultCount) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Currency, b.Currency))
	})
	return cs, nil
}

func total(source, currency string, rows, amount int64) store.SourceTotal {
	return store.SourceTotal{Source: source, Currency: currency, Rows: rows, AmountMinor: amount}
}

// wholeTable names a table that a query reads whole. On SQLite it says
// NOT INDEXED: left to choose, SQLite reads the merchant's rows through
// an index that leads with the merchant (every table has one since
// migration 0009) and fetches each row from the table through it, a
// million lookups where one scan would do. PostgreSQL's planner, which
// keeps statistics, needs no hint.
var wholeTable = map[Dialect]func(table string) string{
	SQLite:   func(table string) string { return table + ` NOT INDEXED` },
	Postgres: func(table string) string { return table },
}

// sum is the SQL of a sum that is 0 over no rows and a BIGINT on
// either backend (PostgreSQL sums BIGINTs as NUMERIC).
func sum(expr string) string { return `CAST(COALESCE(SUM(` + expr + `), 0) AS BIGINT)` }

// ReportSourceTotals counts every input table by currency (see
// SourceTotal), in the order of the Source constants, then by currency;
// a source without rows is left out. Gateway types follow the gateway:
// REFUND and VOID, anything else is a sale. A delivery fails the
// signature when its check is neither raw nor compact. Each table is
// read once.
func (db *DB) ReportSourceTotals(ctx context.Context) ([]store.SourceTotal, error) {
	const refund, void = "REFUND", "VOID"
	from := wholeTable[db.dialect]
	type grouped struct {
		Currency string `db:"currency"`
		A        int64  `db:"a"`
		B        int64  `db:"b"`
		C        int64  `db:"c"`
		D        int64  `db:"d"`
		E        int64  `db:"e"`
		F        int64  `db:"f"`
	}
	queries := []struct {
		sql  string
		args []any
		rows func(g grouped) []store.SourceTotal
	}{
		// from names a table to read whole: see wholeTable.
		{`SELECT currency, COUNT(*) AS a, ` + sum(`amount_minor`) + ` AS b FROM ` + from("orders") + ` WHERE merchant = ? GROUP BY currency ORDER BY currency`, nil,
			func(g grouped) []store.SourceTotal {
				return []store.SourceTotal{total(store.SourceOrders, g.Currency, g.A, g.B)}
			}},
		{`SELECT currency, COUNT(*) AS a, ` + sum(`amount_minor`) + ` AS b FROM ` + from("payment_links") + ` WHERE merchant = ? AND paid_at IS NOT NULL
GROUP BY currency ORDER BY currency`, nil,
			func(g grouped) []store.SourceTotal {
				return []store.SourceTotal{total(store.SourcePaymentLinksPaid, g.Currency, g.A, g.B)}
			}},
		{`SELECT currency,
    ` + sum(`CASE WHEN type NOT IN (?, ?) THEN 1 ELSE 0 END`) + ` AS a, ` + sum(`CASE WHEN type NOT IN (?, ?) THEN amount_minor END`) + ` AS b,
    ` + sum(`CASE WHEN type = ? THEN 1 ELSE 0 END`) + ` AS c, ` + sum(`CASE WHEN type = ? THEN
        CASE WHEN refund_amount_minor <> 0 THEN refund_amount_minor ELSE amount_minor END END`) + ` AS d,
    ` + sum(`CASE WHEN type = ? THEN 1 ELSE 0 END`) + ` AS e, ` + sum(`CASE WHEN type = ? THEN amount_minor END`) + ` AS f
FROM ` + from("transactions") + ` WHERE merchant = ? GROUP BY currency ORDER BY currency`, []any{refund, void, refund, void, refund, refund, void, void},
			func(g grouped) []store.SourceTotal {
				return []store.SourceTotal{total(store.SourceSales, g.Currency, g.A, g.B), total(store.SourceRefunds, g.Currency, g.C, g.D), total(store.SourceVoids, g.Currency, g.E, g.F)}
			}},
		// Notifications are told apart by the first 16 hex digits of
		// their dedup key, as the match does (store.HookRow): the same
		// count, and a third less time than the whole key at a million
		// deliveries (1.9 s against 2.8).
		{`SELECT currency, COUNT(*) AS a, COUNT(DISTINCT substr(dedup_key, 1, 16)) AS b,
    ` + sum(`CASE WHEN sig_check NOT IN (?, ?) THEN 1 ELSE 0 END`) + ` AS c
FROM ` + from("webhook_events") + ` WHERE merchant = ? GROUP BY currency ORDER BY currency`, []any{recon.SigRaw, recon.SigCompact},
			func(g grouped) []store.SourceTotal {
				return []store.SourceTotal{total(store.SourceWebhooks, g.Currency, g.A, 0), total(store.SourceWebhookUnique, g.Currency, g.B, 0), total(store.SourceWebhookBadSig, g.Currency, g.C, 0)}
			}},
		{`SELECT currency, ` + sum(`CASE WHEN amount_minor >= 0 THEN 1 ELSE 0 END`) + ` AS a, ` + sum(`CASE WHEN amount_minor >= 0 THEN amount_minor END`) + ` AS b,
    ` + sum(`CASE WHEN amount_minor < 0 THEN 1 ELSE 0 END`) + ` AS c, ` + sum(`CASE WHEN amount_minor < 0 THEN amount_minor END`) + ` AS d,
    COUNT(*) AS e, ` + sum(`amount_minor`) + ` AS f
FROM ` + from("ledger_entries") + ` WHERE merchant = ? GROUP BY currency ORDER BY currency`, nil,
			func(g grouped) []store.SourceTotal {
				return []store.SourceTotal{total(store.SourceLedgerCredits, g.Currency, g.A, g.B), total(store.SourceLedgerDebits, g.Currency, g.C, g.D), total(store.SourceLedger, g.Currency, g.E, g.F)}
			}},
	}
	order := map[string]int{}
	for i, s := range store.Sources {
		order[s] = i
	}
	byOrder := make([][]store.SourceTotal, len(order))
	for _, q := range queries {
		var gs []grouped
		if err := db.Q().SelectContext(ctx, &gs, q.sql, append(q.args, db.merchant)...); err != nil { // the merchant's ? comes last
			return nil, fmt.Errorf("total the inputs: %w", err)
		}
		for _, g := range gs { // ordered by currency
			for _, t := range q.rows(g) {
				if t.Rows > 0 {
					byOrder[order[t.Source]] = append(byOrder[order[t.Source]], t)
				}
			}
		}
	}
	var out []store.SourceTotal
	for _, ts := range byOrder {
		byteOrder(ts, func(a, b store.SourceTotal) int { return strings.Compare(a.Currency, b.Currency) })
		out = append(out, ts...)
	}
	return out, nil
}

// timeTextPtr parses a nullable time column read as text.
func timeTextPtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTimeText(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// parseTimeText reads a time as SQLite's driver stores it
// ("2006-01-02 15:04:05.999999999+00:00"), as PostgreSQL writes a
// timestamptz in UTC ("2006-01-02 15:04:05.999999+00"), or a date
// (YYYY-MM-DD), and returns it in UTC. Those shapes are read by hand;
// any other goes through the SQLite driver's own layouts, as that
// driver would read it.
func parseTimeText(s string) (time.Time, error) {
	if t, ok := parseTimeFast(s); ok {
		return t, nil
	}
	s2 := strings.TrimSuffix(s, "Z")
	for _, layout := range sqliteTimestampFormats {
		if t, err := time.ParseInLocation(layout, s2, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: unknown layout", s)
}

// sqliteTimestampFormats are the driver's layouts, in its order.
var sqliteTimestampFormats = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseTimeFast reads "YYYY-MM-DD" and "YYYY-MM-DD HH:MM:SS[.f…][±HH[:MM]|Z]".
func parseTimeFast(s string) (time.Time, bool) {
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, len(s) > 0
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := num(s[:4])
	mo, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	if len(s) == 10 {
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		return t, t.Day() == d
	}
	if len(s) < 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	h, ok1 := num(s[11:13])
	mi, ok2 := num(s[14:16])
	sec, ok3 := num(s[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := s[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		frac := rest[1:i]
		if len(frac) == 0 || len(frac) > 9 {
			return time.Time{}, false
		}
		nsec, _ = num(frac)
		for k := len(frac); k < 9; k++ {
			nsec *= 10
		}
		rest = rest[i:]
	}
	off := 0
	switch {
	case rest == "" || rest == "Z":
	case (len(rest) == 6 && rest[3] == ':' || len(rest) == 3) && (rest[0] == '+' || rest[0] == '-'):
		oh, ok1 := num(rest[1:3])
		om, ok2 := 0, true
		if len(rest) == 6 {
			om, ok2 = num(rest[4:6])
		}
		if !ok1 || !ok2 {
			return time.Time{}, false
		}
		off = oh*3600 + om*60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC)
	if t.Day() != d { // 2024-02-31 rolled over: let the layouts refuse it
		return time.Time{}, false
	}
	return t.Add(-time.Duration(off) * time.Second), true
}
