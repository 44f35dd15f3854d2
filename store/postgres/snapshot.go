package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// Snapshot is one REPEATABLE READ, READ ONLY transaction on a
// connection of its own: every read through it sees the database as it
// was at its first read. Its table reads go to pgx directly (rows in
// PostgreSQL's binary form, decoded into the store's Row types), a batch
// of snapshotBatch rows at a time.
type Snapshot struct {
	conn     *sqlx.Conn
	tx       *sqlx.Tx
	merchant string
}

var _ store.Snapshot = (*Snapshot)(nil)

// snapshotBatch is how many rows a Snapshot hands over at once.
const snapshotBatch = 8192

// ReadSnapshot opens a Snapshot. Close it when done.
func (db *DB) ReadSnapshot(ctx context.Context) (store.Snapshot, error) {
	conn, err := db.x.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	tx, err := conn.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	return &Snapshot{conn: conn, tx: tx, merchant: db.Merchant()}, nil
}

// Close ends the Snapshot, always by rolling back (it wrote nothing),
// and returns its connection to the pool. Closing it again does nothing.
func (s *Snapshot) Close() error {
	if s.conn == nil {
		return nil
	}
	err := s.tx.Rollback()
	if cerr := s.conn.Close(); err == nil {
		err = cerr
	}
	s.conn = nil
	if err != nil {
		return fmt.Errorf("read snapshot: end: %w", err)
	}
	return nil
}

// Count returns the number of rows in one of the tables DB.Count accepts.
func (s *Snapshot) Count(ctx context.Context, table string) (int64, error) {
	return sqlstore.Count(ctx, sqlstore.On(s.tx), s.merchant, table)
}

// InputErrors returns every input error, in load order, with RecordedAt
// left zero.
func (s *Snapshot) InputErrors(ctx context.Context) ([]recon.InputError, error) {
	var rs []recon.InputError
	if err := s.tx.SelectContext(ctx, &rs, `SELECT id, source, file, line, text, reason FROM input_errors WHERE merchant = $1 ORDER BY id`, s.merchant); err != nil {
		return nil, fmt.Errorf("read input errors: %w", err)
	}
	return rs, nil
}

// scan runs query (its $1 the merchant, then args) in the snapshot's
// transaction on pgx, decodes each row with row into a batch, and hands
// fn every snapshotBatch rows and the rest.
func scan[R any](ctx context.Context, s *Snapshot, what, query string, args []any, row func(pgx.Rows, *R) error, fn func([]R) error) error {
	err := s.conn.Raw(func(dc any) error {
		rows, err := pgxConn(dc).Query(ctx, query, append([]any{s.merchant}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		batch := make([]R, 0, snapshotBatch)
		for rows.Next() {
			batch = batch[:len(batch)+1]
			if err := row(rows, &batch[len(batch)-1]); err != nil {
				return err
			}
			if len(batch) == snapshotBatch {
				if err := fn(batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) > 0 {
			return fn(batch)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// amount reads a nullable amount column into an amount and whether it
// is known.
func amount(v *int64, dst *int64, known *bool) {
	*known = v != nil
	if v != nil {
		*dst = *v
	}
}

// Orders hands over every order, in the order stored.
func (s *Snapshot) Orders(ctx context.Context, fn func([]store.OrderRow) error) error {
	var a *int64
	return scan(ctx, s, "orders", `SELECT uid, currency, amount_minor, amount_problem FROM orders WHERE merchant = $1 ORDER BY load_order`, nil,
		func(rows pgx.Rows, r *store.OrderRow) error {
			if err := rows.Scan(&r.UID, &r.Currency, &a, &r.AmountProblem); err != nil {
				return err
			}
			r.UID, r.Currency, r.AmountProblem = unescapeText(r.UID), unescapeText(r.Currency), unescapeText(r.AmountProblem)
			amount(a, &r.AmountMinor, &r.AmountKnown)
			return nil
		}, fn)
}

// PaymentLinks hands over every payment link, in the order stored.
func (s *Snapshot) PaymentLinks(ctx context.Context, fn func([]store.LinkRow) error) error {
	var a *int64
	var paid *time.Time
	return scan(ctx, s, "payment links", `SELECT uid, order_uid, status, currency, amount_minor, amount_problem, paid_at
FROM payment_links WHERE merchant = $1 ORDER BY load_order`, nil,
		func(rows pgx.Rows, r *store.LinkRow) error {
			if err := rows.Scan(&r.UID, &r.OrderUID, &r.Status, &r.Currency, &a, &r.AmountProblem, &paid); err != nil {
				return err
			}
			r.UID, r.OrderUID, r.Status = unescapeText(r.UID), unescapeText(r.OrderUID), unescapeText(r.Status)
			r.Currency, r.AmountProblem = unescapeText(r.Currency), unescapeText(r.AmountProblem)
			amount(a, &r.AmountMinor, &r.AmountKnown)
			r.PaidAt = time.Time{}
			if paid != nil {
				r.PaidAt = paid.UTC()
			}
			return nil
		}, fn)
}

// Transactions hands over every transaction, by id.
func (s *Snapshot) Transactions(ctx context.Context, fn func([]store.TxnRow) error) error {
	return scan(ctx, s, "transactions", `SELECT oxpay_txn_id, merchant_reference_id, oxpay_original_txn_id, type, state, currency,
    amount_minor, refund_amount_minor
FROM transactions WHERE merchant = $1 ORDER BY load_order`, nil,
		func(rows pgx.Rows, r *store.TxnRow) error {
			if err := rows.Scan(&r.OxpayTxnID, &r.MerchantReferenceID, &r.OriginalTxnID, &r.Type, &r.State, &r.Currency,
				&r.AmountMinor, &r.RefundAmountMinor); err != nil {
				return err
			}
			r.OxpayTxnID, r.MerchantReferenceID, r.OriginalTxnID = unescapeText(r.OxpayTxnID), unescapeText(r.MerchantReferenceID), unescapeText(r.OriginalTxnID)
			r.Type, r.State, r.Currency = unescapeText(r.Type), unescapeText(r.State), unescapeText(r.Currency)
			return nil
		}, fn)
}

// WebhookEvents hands over every webhook delivery, in id order.
func (s *Snapshot) WebhookEvents(ctx context.Context, fn func([]store.HookRow) error) error {
	return scan(ctx, s, "webhook events", `SELECT id, received_at, oxpay_txn_id, kind, state, currency, amount_minor, refund_amount_minor,
    sig_check, substr(dedup_key, 1, 16)
FROM webhook_events WHERE merchant = $1 ORDER BY id`, nil,
		func(rows pgx.Rows, r *store.HookRow) error {
			if err := rows.Scan(&r.ID, &r.ReceivedAt, &r.OxpayTxnID, &r.Kind, &r.State, &r.Currency, &r.AmountMinor,
				&r.RefundAmountMinor, &r.SigCheck, &r.DedupPrefix); err != nil {
				return err
			}
			r.ReceivedAt = r.ReceivedAt.UTC()
			r.OxpayTxnID, r.Kind, r.State, r.Currency = unescapeText(r.OxpayTxnID), unescapeText(r.Kind), unescapeText(r.State), unescapeText(r.Currency)
			r.SigCheck, r.DedupPrefix = unescapeText(r.SigCheck), unescapeText(r.DedupPrefix)
			return nil
		}, fn)
}

// LedgerEntries hands over every ledger entry, in id order.
func (s *Snapshot) LedgerEntries(ctx context.Context, fn func([]store.EntryRow) error) error {
	return scan(ctx, s, "ledger entries", `SELECT id, booked_on, reference, currency, amount_minor
FROM ledger_entries WHERE merchant = $1 ORDER BY id`, nil,
		func(rows pgx.Rows, r *store.EntryRow) error {
			if err := rows.Scan(&r.ID, &r.BookedOn, &r.Reference, &r.Currency, &r.AmountMinor); err != nil {
				return err
			}
			r.Reference, r.Currency = unescapeText(r.Reference), unescapeText(r.Currency)
			return nil
		}, fn)
}

// WebhookReferences calls fn with the id, original txn id and
// merchant_reference_id of every webhook event, in no set order.
func (s *Snapshot) WebhookReferences(ctx context.Context, fn func(id int64, originalTxnID, merchantReferenceID string) error) error {
	return s.references(ctx, `SELECT id, oxpay_original_txn_id, merchant_reference_id FROM webhook_events WHERE merchant = $1`, nil, fn)
}

// WebhookReferencesOf is WebhookReferences for the events of the given
// OxPay transaction ids only (one lookup of the index on oxpay_txn_id
// for the lot).
func (s *Snapshot) WebhookReferencesOf(ctx context.Context, txnIDs []string, fn func(id int64, originalTxnID, merchantReferenceID string) error) error {
	if len(txnIDs) == 0 {
		return nil
	}
	ids := make([]string, len(txnIDs))
	for i, id := range txnIDs {
		ids[i] = escapeText(id)
	}
	return s.references(ctx, `SELECT id, oxpay_original_txn_id, merchant_reference_id FROM webhook_events
WHERE merchant = $1 AND oxpay_txn_id = ANY($2)`, []any{ids}, fn)
}

func (s *Snapshot) references(ctx context.Context, query string, args []any, fn func(id int64, originalTxnID, merchantReferenceID string) error) error {
	type ref struct {
		id        int64
		orig, ref string
	}
	return scan(ctx, s, "webhook events", query, args, func(rows pgx.Rows, r *ref) error {
		if err := rows.Scan(&r.id, &r.orig, &r.ref); err != nil {
			return err
		}
		r.orig, r.ref = unescapeText(r.orig), unescapeText(r.ref)
		return nil
	}, func(rs []ref) error {
		for _, r := range rs {
			if err := fn(r.id, r.orig, r.ref); err != nil {
				return err
			}
		}
		return nil
	})
}
