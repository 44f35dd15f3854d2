package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/reconkit/reconkit/recon"
)

// The queries below serve the reconciliation workbook (package reports).
// Like every reader here they run without a transaction: the DSN makes
// every transaction BEGIN IMMEDIATE, which would take the write lock and
// block an ingest for as long as a report reads. In WAL mode each
// statement still reads one consistent snapshot.

// ReportException is an exception with what the workbook shows beside
// it: the payment link's URL and the dates of the rows it names, read
// from those rows (an exception stores ids only). Times are UTC; nil
// when the row does not exist. The ledger and webhook columns are those
// of the first id the exception lists.
type ReportException struct {
	Exception
	PaymentURL        string     `db:"payment_url"`
	OrderCreatedAt    *time.Time `db:"order_created_at"`
	LinkPaidAt        *time.Time `db:"link_paid_at"`
	WebhookReceivedAt *time.Time `db:"webhook_received_at"`
	// LedgerBookedOn is midnight UTC of the booking date.
	LedgerBookedOn *time.Time `db:"ledger_booked_on"`
	LedgerCurrency string     `db:"ledger_currency"`
	LedgerMinor    int64      `db:"ledger_minor"`
	// The input error an INPUT_ERROR exception stands for.
	InputSource     string     `db:"input_source"`
	InputFile       string     `db:"input_file"`
	InputLine       int        `db:"input_line"`
	InputText       string     `db:"input_text"`
	InputRecordedAt *time.Time `db:"input_recorded_at"`
}

// firstID is the SQL for the first id of a comma-separated IDList column
// as an integer: 0 for an empty list, which matches no row.
func firstID(col string) string {
	return `CAST(substr(` + col + `, 1, instr(` + col + ` || ',', ',') - 1) AS INTEGER)`
}

// ReportExceptions returns a run's exceptions in the order they were
// written (report order, as match writes them), each with the facts of
// ReportException.
func (db *DB) ReportExceptions(ctx context.Context, runID int64) ([]ReportException, error) {
	var rs []ReportException
	err := db.x.SelectContext(ctx, &rs, `SELECT e.category, e.severity, e.order_uid, e.payment_link_uid, e.oxpay_txn_id,
    e.merchant_reference_id, e.ledger_ref, e.currency, e.expected_minor, e.actual_minor, e.difference_minor, e.detail,
    e.webhook_event_ids, e.ledger_entry_ids, COALESCE(e.input_error_id, 0) AS input_error_id,
    COALESCE(p.payment_url, '') AS payment_url, o.created_at AS order_created_at, p.paid_at AS link_paid_at,
    w.received_at AS webhook_received_at, l.booked_on AS ledger_booked_on,
    COALESCE(l.currency, '') AS ledger_currency, COALESCE(l.amount_minor, 0) AS ledger_minor,
    COALESCE(i.source, '') AS input_source, COALESCE(i.file, '') AS input_file, COALESCE(i.line, 0) AS input_line,
    COALESCE(i.text, '') AS input_text, i.recorded_at AS input_recorded_at
FROM exceptions e
LEFT JOIN payment_links p ON p.uid = e.payment_link_uid AND e.payment_link_uid <> ''
LEFT JOIN orders o ON o.uid = e.order_uid AND e.order_uid <> ''
LEFT JOIN webhook_events w ON w.id = `+firstID("e.webhook_event_ids")+`
LEFT JOIN ledger_entries l ON l.id = `+firstID("e.ledger_entry_ids")+`
LEFT JOIN input_errors i ON i.id = e.input_error_id
WHERE e.run_id = ? ORDER BY e.id`, runID)
	if err != nil {
		return nil, fmt.Errorf("read exceptions of run %d for the report: %w", runID, err)
	}
	return rs, nil
}

// ReportResult is a match result with its payment link's URL.
type ReportResult struct {
	MatchResult
	PaymentURL string `db:"payment_url"`
}

// reportResultBatch is how many rows ReportResults hands over at once.
const reportResultBatch = 1000

// kindFilter returns "kind IN (?, ?)" for the given kinds and their
// arguments; kinds are bound, never spliced into the SQL.
func kindFilter(kinds []string) (string, []any) {
	if len(kinds) == 0 {
		return "1 = 0", nil
	}
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = k
	}
	return "r.kind IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ") + ")", args
}

// ReportResults streams a run's match results of the given kinds to fn,
// grouped by currency (in code order) and within a currency in the order
// they were written, in batches that fn must not keep. Grouping by
// currency lets a sheet total each currency over one block of rows. An
// error from fn stops the read and is returned as is.
func (db *DB) ReportResults(ctx context.Context, runID int64, kinds []string, fn func([]ReportResult) error) error {
	filter, args := kindFilter(kinds)
	rows, err := db.x.QueryxContext(ctx, `SELECT r.kind, r.order_uid, r.payment_link_uid, r.oxpay_txn_id,
    r.oxpay_original_txn_id, r.merchant_reference_id, COALESCE(l.reference, '') AS ledger_ref,
    COALESCE(r.ledger_entry_id, 0) AS ledger_entry_id, COALESCE(r.webhook_event_id, 0) AS webhook_event_id,
    r.state, r.source, r.currency, r.order_minor, r.gateway_minor, COALESCE(l.amount_minor, 0) AS ledger_minor,
    r.paid_at, l.booked_on, r.clean, COALESCE(p.payment_url, '') AS payment_url
FROM match_results r
LEFT JOIN ledger_entries l ON l.id = r.ledger_entry_id
LEFT JOIN payment_links p ON p.uid = r.payment_link_uid AND r.payment_link_uid <> ''
WHERE r.run_id = ? AND `+filter+` ORDER BY r.currency, r.id`, append([]any{runID}, args...)...)
	if err != nil {
		return fmt.Errorf("read match results of run %d for the report: %w", runID, err)
	}
	defer rows.Close()
	buf := make([]ReportResult, 0, reportResultBatch)
	for rows.Next() {
		buf = append(buf, ReportResult{})
		if err := rows.StructScan(&buf[len(buf)-1]); err != nil {
			return fmt.Errorf("read match results of run %d for the report: %w", runID, err)
		}
		if len(buf) == reportResultBatch {
			if err := fn(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read match results of run %d for the report: %w", runID, err)
	}
	if len(buf) > 0 {
		return fn(buf)
	}
	return nil
}

// ResultTotal adds up a run's match results of one kind in one currency.
// LedgerMinor sums the matched ledger lines (signed, whatever their own
// currency); WithLedger counts the results that have one.
type ResultTotal struct {
	Kind         string `db:"kind" json:"kind"`
	Currency     string `db:"currency" json:"currency"`
	Rows         int64  `db:"row_count" json:"rows"`
	Clean        int64  `db:"clean_count" json:"clean"`
	WithLedger   int64  `db:"with_ledger" json:"with_ledger"`
	OrderMinor   int64  `db:"order_minor" json:"order_minor"`
	GatewayMinor int64  `db:"gateway_minor" json:"gateway_minor"`
	LedgerMinor  int64  `db:"ledger_minor" json:"ledger_minor"`
	// CleanGatewayMinor sums GatewayMinor over the clean results only.
	CleanGatewayMinor int64 `db:"clean_gateway_minor" json:"clean_gateway_minor"`
}

const resultTotalColumns = `kind, currency, COUNT(*) AS row_count, COALESCE(SUM(clean), 0) AS clean_count,
    COALESCE(SUM(has_line), 0) AS with_ledger, COALESCE(SUM(order_minor), 0) AS order_minor,
    COALESCE(SUM(gateway_minor), 0) AS gateway_minor, COALESCE(SUM(ledger_minor), 0) AS ledger_minor,
    COALESCE(SUM(CASE WHEN clean = 1 THEN gateway_minor ELSE 0 END), 0) AS clean_gateway_minor`

const resultTotalRows = `SELECT r.id, r.kind, r.currency, r.clean, r.order_minor, r.gateway_minor,
        CASE WHEN l.id IS NULL THEN 0 ELSE 1 END AS has_line, COALESCE(l.amount_minor, 0) AS ledger_minor
    FROM match_results r LEFT JOIN ledger_entries l ON l.id = r.ledger_entry_id`

// ReportResultTotals returns a run's match results added up by kind and
// currency, ordered by both.
func (db *DB) ReportResultTotals(ctx context.Context, runID int64) ([]ResultTotal, error) {
	var ts []ResultTotal
	err := db.x.SelectContext(ctx, &ts, `SELECT `+resultTotalColumns+` FROM (`+resultTotalRows+`
    WHERE r.run_id = ?) GROUP BY kind, currency ORDER BY kind, currency`, runID)
	if err != nil {
		return nil, fmt.Errorf("total match results of run %d: %w", runID, err)
	}
	return ts, nil
}

// ReportResultSliceTotals adds up, by kind, a slice of the rows that
// ReportResults gives for kinds in one currency: limit rows after the
// first offset. A sheet that a currency's rows overflow totals each part
// with it.
func (db *DB) ReportResultSliceTotals(ctx context.Context, runID int64, kinds []string, currency string, offset, limit int64) ([]ResultTotal, error) {
	filter, args := kindFilter(kinds)
	all := append([]any{runID}, args...)
	all = append(all, currency, limit, offset)
	var ts []ResultTotal
	err := db.x.SelectContext(ctx, &ts, `SELECT `+resultTotalColumns+` FROM (`+resultTotalRows+`
    WHERE r.run_id = ? AND `+filter+` AND r.currency = ? ORDER BY r.id LIMIT ? OFFSET ?) GROUP BY kind, currency ORDER BY kind`, all...)
	if err != nil {
		return nil, fmt.Errorf("total a slice of the %s match results of run %d: %w", currency, runID, err)
	}
	return ts, nil
}

// Sources that ReportSourceTotals counts.
const (
	SourceOrders           = "orders"
	SourceSales            = "sales"
	SourceRefunds          = "refunds"
	SourceVoids            = "voids"
	SourceWebhooks         = "webhook_deliveries"
	SourceWebhookUnique    = "webhook_notifications"
	SourceWebhookBadSig    = "webhook_bad_signature"
	SourceLedgerCredits    = "ledger_credits"
	SourceLedgerDebits     = "ledger_debits"
	SourceLedger           = "ledger_lines"
	SourcePaymentLinksPaid = "payment_links_paid"
)

// SourceTotal counts one source's rows in one currency and sums their
// amounts in minor units: order totals, sale amounts, refund amounts
// (the refunded amount, not the sale's), void amounts, signed ledger
// amounts. Webhook sources are counted only: deliveries repeat the same
// notification, so a sum of their amounts means nothing (AmountMinor 0).
type SourceTotal struct {
	Source      string `db:"source" json:"source"`
	Currency    string `db:"currency" json:"currency"`
	Rows        int64  `db:"row_count" json:"rows"`
	AmountMinor int64  `db:"amount_minor" json:"amount_minor"`
}

// ReportSourceTotals counts every input table by currency (see
// SourceTotal), in the order of the Source constants' query, then by
// currency. Types follow the gateway's: REFUND and VOID, anything else is
// a sale; a signature check other than raw or compact failed.
func (db *DB) ReportSourceTotals(ctx context.Context) ([]SourceTotal, error) {
	const refund, void = "REFUND", "VOID"
	var ts []SourceTotal
	err := db.x.SelectContext(ctx, &ts, `SELECT source, currency, row_count, amount_minor FROM (
    SELECT 1 AS ord, ? AS source, currency, COUNT(*) AS row_count, SUM(amount_minor) AS amount_minor
        FROM orders GROUP BY currency
    UNION ALL SELECT 2, ?, currency, COUNT(*), SUM(amount_minor)
        FROM payment_links WHERE paid_at IS NOT NULL GROUP BY currency
    UNION ALL SELECT 3, ?, currency, COUNT(*), SUM(amount_minor)
        FROM transactions WHERE type NOT IN (?, ?) GROUP BY currency
    UNION ALL SELECT 4, ?, currency, COUNT(*), SUM(CASE WHEN refund_amount_minor <> 0 THEN refund_amount_minor ELSE amount_minor END)
        FROM transactions WHERE type = ? GROUP BY currency
    UNION ALL SELECT 5, ?, currency, COUNT(*), SUM(amount_minor)
        FROM transactions WHERE type = ? GROUP BY currency
    UNION ALL SELECT 6, ?, currency, COUNT(*), 0 FROM webhook_events GROUP BY currency
    UNION ALL SELECT 7, ?, currency, COUNT(DISTINCT dedup_key), 0 FROM webhook_events GROUP BY currency
    UNION ALL SELECT 8, ?, currency, COUNT(*), 0 FROM webhook_events WHERE sig_check NOT IN (?, ?) GROUP BY currency
    UNION ALL SELECT 9, ?, currency, COUNT(*), SUM(amount_minor) FROM ledger_entries WHERE amount_minor >= 0 GROUP BY currency
    UNION ALL SELECT 10, ?, currency, COUNT(*), SUM(amount_minor) FROM ledger_entries WHERE amount_minor < 0 GROUP BY currency
    UNION ALL SELECT 11, ?, currency, COUNT(*), SUM(amount_minor) FROM ledger_entries GROUP BY currency
) ORDER BY ord, currency`,
		SourceOrders, SourcePaymentLinksPaid, SourceSales, refund, void, SourceRefunds, refund, SourceVoids, void,
		SourceWebhooks, SourceWebhookUnique, SourceWebhookBadSig, recon.SigRaw, recon.SigCompact,
		SourceLedgerCredits, SourceLedgerDebits, SourceLedger)
	if err != nil {
		return nil, fmt.Errorf("total the inputs: %w", err)
	}
	return ts, nil
}
