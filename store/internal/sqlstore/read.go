package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// byteOrder sorts rs with cmp unless they already are, as the queries
// leave them: text sorts byte by byte on both backends (SQLite's BINARY,
// PostgreSQL's COLLATE "C"), but for text PostgreSQL keeps escaped (see
// the postgres package), which sorts last there.
func byteOrder[T any](rs []T, cmp func(a, b T) int) {
	if !slices.IsSortedFunc(rs, cmp) {
		slices.SortStableFunc(rs, cmp)
	}
}

// The readers below load whole tables into memory, in a stable order.
// They serve tests and small tables; the match reads large tables
// through a backend's Snapshot.

// Orders returns every order, by uid. An unknown total reads as
// AmountMinor 0, which its AmountProblem says is not a value.
func (db *DB) Orders(ctx context.Context) ([]recon.Order, error) {
	var rs []recon.Order
	err := db.Q().SelectContext(ctx, &rs, `SELECT uid, status, currency, COALESCE(amount_minor, 0) AS amount_minor, amount_source, amount_problem, created_at, updated_at, raw
FROM orders WHERE merchant = ? ORDER BY uid`, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	byteOrder(rs, func(a, b recon.Order) int { return strings.Compare(a.UID, b.UID) })
	return rs, nil
}

// PaymentLinks returns every payment link, by uid.
func (db *DB) PaymentLinks(ctx context.Context) ([]recon.PaymentLink, error) {
	var rs []recon.PaymentLink
	err := db.Q().SelectContext(ctx, &rs, `SELECT uid, order_uid, status, payment_url, currency, COALESCE(amount_minor, 0) AS amount_minor, amount_source, amount_problem, expired_at, paid_at, created_at, updated_at, raw
FROM payment_links WHERE merchant = ? ORDER BY uid`, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("read payment links: %w", err)
	}
	byteOrder(rs, func(a, b recon.PaymentLink) int { return strings.Compare(a.UID, b.UID) })
	return rs, nil
}

// Transactions returns every OxPay transaction, by oxpay_txn_id.
func (db *DB) Transactions(ctx context.Context) ([]recon.Transaction, error) {
	var rs []recon.Transaction
	err := db.Q().SelectContext(ctx, &rs, `SELECT oxpay_txn_id, oxpay_original_txn_id, type, merchant_reference_id, host_txn_id, state, payment_brand, currency, amount_minor, refund_amount_minor, fetched_at, raw
FROM transactions WHERE merchant = ? ORDER BY oxpay_txn_id`, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("read transactions: %w", err)
	}
	byteOrder(rs, func(a, b recon.Transaction) int { return strings.Compare(a.OxpayTxnID, b.OxpayTxnID) })
	return rs, nil
}

// WebhookEvents returns every webhook delivery, in load order.
func (db *DB) WebhookEvents(ctx context.Context) ([]recon.WebhookEvent, error) {
	var rs []recon.WebhookEvent
	err := db.Q().SelectContext(ctx, &rs, `SELECT id, received_at, kind, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, host_txn_id, state, currency, amount_minor, refund_amount_minor, status_code, sig_check, signature, key_fp, dedup_key, delivery_key, raw, source_file, source_line
FROM webhook_events WHERE merchant = ? ORDER BY id`, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("read webhook events: %w", err)
	}
	return rs, nil
}

// LedgerEntries returns every ledger entry, in load order.
func (db *DB) LedgerEntries(ctx context.Context) ([]recon.LedgerEntry, error) {
	var rs []recon.LedgerEntry
	err := db.Q().SelectContext(ctx, &rs, `SELECT id, booked_on, reference, description, txn_type, currency, amount_minor, fee_minor, row_hash, source_file, sheet, source_line, raw
FROM ledger_entries WHERE merchant = ? ORDER BY id`, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("read ledger entries: %w", err)
	}
	return rs, nil
}

// InputErrors returns every input error, in load order.
func (db *DB) InputErrors(ctx context.Context) ([]recon.InputError, error) {
	var rs []recon.InputError
	err := db.Q().SelectContext(ctx, &rs, `SELECT id, source, file, line, text, reason, recorded_at
FROM input_errors WHERE merchant = ? ORDER BY id`, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("read input errors: %w", err)
	}
	return rs, nil
}

// countSQL is the whole list of tables Count accepts. Each query is
// written out so that no caller text ever becomes part of SQL; each
// takes the merchant, but for schema_migrations, which is the
// database's (its "? IS NOT NULL" only takes the argument).
var countSQL = map[string]string{
	"orders":            `SELECT COUNT(*) FROM orders WHERE merchant = ?`,
	"payment_links":     `SELECT COUNT(*) FROM payment_links WHERE merchant = ?`,
	"transactions":      `SELECT COUNT(*) FROM transactions WHERE merchant = ?`,
	"webhook_events":    `SELECT COUNT(*) FROM webhook_events WHERE merchant = ?`,
	"ledger_entries":    `SELECT COUNT(*) FROM ledger_entries WHERE merchant = ?`,
	"input_files":       `SELECT COUNT(*) FROM input_files WHERE merchant = ?`,
	"input_errors":      `SELECT COUNT(*) FROM input_errors WHERE merchant = ?`,
	"runs":              `SELECT COUNT(*) FROM runs WHERE merchant = ?`,
	"schema_migrations": `SELECT COUNT(*) FROM schema_migrations WHERE CAST(? AS TEXT) IS NOT NULL`,
}

// Count returns the number of rows in one of the store's tables, named as
// in the schema (orders, payment_links, transactions, webhook_events,
// ledger_entries, input_files, input_errors, runs, schema_migrations).
func (db *DB) Count(ctx context.Context, table string) (int64, error) {
	return Count(ctx, db.Q(), db.merchant, table)
}

// Count is DB.Count on q (a snapshot's connection, say), for merchant.
func Count(ctx context.Context, q Q, merchant, table string) (int64, error) {
	query, ok := countSQL[table]
	if !ok {
		return 0, fmt.Errorf("count %q: %w", table, store.ErrUnknownTable)
	}
	var n int64
	if err := q.GetContext(ctx, &n, query, merchant); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// candidateTxnIDs selects every id that may name an OxPay transaction:
// those webhooks name (as the transaction or as the original of a refund),
// and ledger references that are not a Xepeng order or payment link uid
// (finance books some lines by the gateway's id). OxPay has no list
// endpoint, so these are the only ways to learn of a transaction.
const candidateTxnIDs = `
    SELECT oxpay_txn_id AS id FROM webhook_events WHERE merchant = ? AND oxpay_txn_id <> ''
    UNION
    SELECT oxpay_original_txn_id AS id FROM webhook_events WHERE merchant = ? AND oxpay_original_txn_id <> ''
    UNION
    SELECT l.reference AS id FROM ledger_entries l
    WHERE l.merchant = ? AND l.reference <> ''
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.merchant = l.merchant AND o.uid = l.reference)
      AND NOT EXISTS (SELECT 1 FROM payment_links p WHERE p.merchant = l.merchant AND p.uid = l.reference)`

// TransactionIDsWithoutAPIRecord returns, sorted, every candidate OxPay
// transaction id (see candidateTxnIDs) that has no row in transactions:
// the ids to confirm with the gateway API before matching.
func (db *DB) TransactionIDsWithoutAPIRecord(ctx context.Context) ([]string, error) {
	var ids []string
	err := db.Q().SelectContext(ctx, &ids, `SELECT w.id FROM (`+candidateTxnIDs+`) AS w
WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.merchant = ? AND t.oxpay_txn_id = w.id)
ORDER BY w.id`, db.merchant, db.merchant, db.merchant, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("find transaction ids without an api record: %w", err)
	}
	byteOrder(ids, strings.Compare)
	return ids, nil
}

// KnownTransactionIDs returns, sorted, every candidate OxPay transaction
// id and every id already in transactions: the ids to ask for when every
// transaction is confirmed by API.
func (db *DB) KnownTransactionIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := db.Q().SelectContext(ctx, &ids, `SELECT w.id FROM (`+candidateTxnIDs+`
    UNION
    SELECT oxpay_txn_id AS id FROM transactions WHERE merchant = ?) AS w
ORDER BY w.id`, db.merchant, db.merchant, db.merchant, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("list known transaction ids: %w", err)
	}
	byteOrder(ids, strings.Compare)
	return ids, nil
}
