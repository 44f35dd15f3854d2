package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// Snapshot is one REPEATABLE READ, READ ONLY transaction on a
// connection of its own: every read through it sees the database as it
// was at its first read. Its table reads go to pgx directly (rows in
// PostgreSQL's binary form, decoded into the store's Row types), a batch
// of snapshotBatch rows at a time (see scan).
type Snapshot struct {
	conn     *sqlx.Conn
	tx       *sqlx.Tx
	merchant string
	// scope, when set, restricts the table reads to its rows (scope.go).
	scope *store.Scope
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
	if s.scope != nil {
		if n, ok := s.scope.Len(table); ok {
			return int64(n), nil
		}
	}
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
// fn every snapshotBatch rows and the rest. The rows are read raw, as
// the server sends them, and their text is cut from one buffer per batch
// (raw), which the next batch reuses: what the match keeps it clones, so
// the strings it only looks at cost no allocation each.
func scan[R any](ctx context.Context, s *Snapshot, what, query string, args []any, row func(*raw, *R) error, fn func([]R) error) error {
	err := s.conn.Raw(func(dc any) error {
		rows, err := pgxConn(dc).Query(ctx, query, append([]any{s.merchant}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		batch := make([]R, 0, snapshotBatch)
		r := &raw{fields: rows.FieldDescriptions()}
		for rows.Next() {
			r.vals = rows.RawValues()
			batch = batch[:len(batch)+1]
			if err := row(r, &batch[len(batch)-1]); err != nil {
				return err
			}
			if r.err != nil {
				return r.err
			}
			if len(batch) == snapshotBatch {
				if err := fn(batch); err != nil {
					return err
				}
				batch, r.buf = batch[:0], r.buf[:0]
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

// raw decodes the columns of one row as the server sent them: integers,
// times and dates in PostgreSQL's binary forms (or, should a column come
// as text, its text), text as bytes, cut into strings from buf.
type raw struct {
	fields []pgconn.FieldDescription
	vals   [][]byte
	buf    []byte
	err    error // the first value that could not be read
}

func (r *raw) fail(i int, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("column %s: %w", r.fields[i].Name, err)
	}
}

// str is text column i (its escaping undone), "" for NULL.
func (r *raw) str(i int) string {
	v := r.vals[i]
	if len(v) == 0 {
		return ""
	}
	if bytes.HasPrefix(v, []byte(textMark)) {
		return unescapeText(string(v))
	}
	start := len(r.buf)
	if cap(r.buf)-start < len(v) {
		// A new buffer: the strings cut from the old one keep it alive.
		r.buf = make([]byte, 0, max(2*cap(r.buf), len(v), 64<<10))
		start = 0
	}
	r.buf = append(r.buf, v...)
	return unsafe.String(&r.buf[start], len(v))
}

// int is BIGINT column i; ok is false for NULL.
func (r *raw) int(i int) (n int64, ok bool) {
	v := r.vals[i]
	if v == nil {
		return 0, false
	}
	if r.fields[i].Format == pgtype.BinaryFormatCode && len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v)), true
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		r.fail(i, err)
	}
	return n, true
}

// y2k is PostgreSQL's epoch for times and dates.
var y2k = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// time is TIMESTAMPTZ column i in UTC; ok is false for NULL.
func (r *raw) time(i int) (t time.Time, ok bool) {
	v := r.vals[i]
	if v == nil {
		return time.Time{}, false
	}
	if r.fields[i].Format == pgtype.BinaryFormatCode && len(v) == 8 {
		us := int64(binary.BigEndian.Uint64(v))
		return y2k.Add(time.Duration(us) * time.Microsecond), true
	}
	var ts pgtype.Timestamptz
	if err := ts.Scan(string(v)); err != nil {
		r.fail(i, err)
	}
	return ts.Time.UTC(), true
}

// date is DATE column i, midnight UTC.
func (r *raw) date(i int) time.Time {
	v := r.vals[i]
	if r.fields[i].Format == pgtype.BinaryFormatCode && len(v) == 4 {
		return y2k.AddDate(0, 0, int(int32(binary.BigEndian.Uint32(v))))
	}
	t, err := time.Parse(time.DateOnly, string(v))
	if err != nil {
		r.fail(i, err)
	}
	return t
}

// Orders hands over every order, in the order stored.
func (s *Snapshot) Orders(ctx context.Context, fn func([]store.OrderRow) error) error {
	query, args := s.read(`SELECT uid, currency, amount_minor, amount_problem FROM orders WHERE merchant = $1 ORDER BY load_order`,
		`SELECT uid, currency, amount_minor, amount_problem FROM orders WHERE merchant = $1 AND (load_order IN (SELECT unnest($2::bigint[])) OR load_order > $3) ORDER BY load_order`,
		store.KeyedOrder)
	return scan(ctx, s, "orders", query, args,
		func(r *raw, o *store.OrderRow) error {
			*o = store.OrderRow{UID: r.str(0), Currency: r.str(1), AmountProblem: r.str(3)}
			o.AmountMinor, o.AmountKnown = r.int(2)
			return nil
		}, fn)
}

// PaymentLinks hands over every payment link, in the order stored.
func (s *Snapshot) PaymentLinks(ctx context.Context, fn func([]store.LinkRow) error) error {
	query, args := s.read(`SELECT uid, order_uid, status, currency, amount_minor, amount_problem, paid_at
FROM payment_links WHERE merchant = $1 ORDER BY load_order`, `SELECT uid, order_uid, status, currency, amount_minor, amount_problem, paid_at
FROM payment_links WHERE merchant = $1 AND (load_order IN (SELECT unnest($2::bigint[])) OR load_order > $3) ORDER BY load_order`,
		store.KeyedLink)
	return scan(ctx, s, "payment links", query, args,
		func(r *raw, l *store.LinkRow) error {
			*l = store.LinkRow{UID: r.str(0), OrderUID: r.str(1), Status: r.str(2), Currency: r.str(3), AmountProblem: r.str(5)}
			l.AmountMinor, l.AmountKnown = r.int(4)
			l.PaidAt, _ = r.time(6)
			return nil
		}, fn)
}

// Transactions hands over every transaction, in the order stored.
func (s *Snapshot) Transactions(ctx context.Context, fn func([]store.TxnRow) error) error {
	query, args := s.read(`SELECT oxpay_txn_id, merchant_reference_id, oxpay_original_txn_id, type, state, currency,
    amount_minor, refund_amount_minor, payment_brand
FROM transactions WHERE merchant = $1 ORDER BY load_order`, `SELECT oxpay_txn_id, merchant_reference_id, oxpay_original_txn_id, type, state, currency,
    amount_minor, refund_amount_minor, payment_brand
FROM transactions WHERE merchant = $1 AND (load_order IN (SELECT unnest($2::bigint[])) OR load_order > $3) ORDER BY load_order`,
		store.KeyedTxn)
	return scan(ctx, s, "transactions", query, args,
		func(r *raw, x *store.TxnRow) error {
			*x = store.TxnRow{OxpayTxnID: r.str(0), MerchantReferenceID: r.str(1), OriginalTxnID: r.str(2), Type: r.str(3),
				State: r.str(4), Currency: r.str(5), Brand: r.str(8)}
			x.AmountMinor, _ = r.int(6)
			x.RefundAmountMinor, _ = r.int(7)
			return nil
		}, fn)
}

// WebhookEvents hands over every webhook delivery, in id order.
func (s *Snapshot) WebhookEvents(ctx context.Context, fn func([]store.HookRow) error) error {
	query, args := s.read(`SELECT id, received_at, oxpay_txn_id, kind, state, currency, amount_minor, refund_amount_minor,
    sig_check, substr(dedup_key, 1, 16)
FROM webhook_events WHERE merchant = $1 ORDER BY id`, `SELECT id, received_at, oxpay_txn_id, kind, state, currency, amount_minor, refund_amount_minor,
    sig_check, substr(dedup_key, 1, 16)
FROM webhook_events WHERE merchant = $1 AND (id IN (SELECT unnest($2::bigint[])) OR id > $3) ORDER BY id`,
		store.KeyedHook)
	return scan(ctx, s, "webhook events", query, args,
		func(r *raw, h *store.HookRow) error {
			*h = store.HookRow{OxpayTxnID: r.str(2), Kind: r.str(3), State: r.str(4), Currency: r.str(5), SigCheck: r.str(8), DedupPrefix: r.str(9)}
			h.ID, _ = r.int(0)
			h.ReceivedAt, _ = r.time(1)
			h.AmountMinor, _ = r.int(6)
			h.RefundAmountMinor, _ = r.int(7)
			return nil
		}, fn)
}

// LedgerEntries hands over every ledger entry, in id order.
func (s *Snapshot) LedgerEntries(ctx context.Context, fn func([]store.EntryRow) error) error {
	query, args := s.read(`SELECT id, booked_on, reference, currency, amount_minor
FROM ledger_entries WHERE merchant = $1 ORDER BY id`, `SELECT id, booked_on, reference, currency, amount_minor
FROM ledger_entries WHERE merchant = $1 AND (id IN (SELECT unnest($2::bigint[])) OR id > $3) ORDER BY id`,
		store.KeyedLedger)
	return scan(ctx, s, "ledger entries", query, args,
		func(r *raw, e *store.EntryRow) error {
			*e = store.EntryRow{BookedOn: r.date(1), Reference: r.str(2), Currency: r.str(3)}
			e.ID, _ = r.int(0)
			e.AmountMinor, _ = r.int(4)
			return nil
		}, fn)
}

// WebhookReferences calls fn with the id, original txn id and
// merchant_reference_id of every webhook event, in no set order.
func (s *Snapshot) WebhookReferences(ctx context.Context, fn func(id int64, originalTxnID, merchantReferenceID string) error) error {
	query, args := s.read(`SELECT id, oxpay_original_txn_id, merchant_reference_id FROM webhook_events WHERE merchant = $1`,
		`SELECT id, oxpay_original_txn_id, merchant_reference_id FROM webhook_events WHERE merchant = $1 AND (id IN (SELECT unnest($2::bigint[])) OR id > $3)`,
		store.KeyedHook)
	return s.references(ctx, query, args, fn)
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
	// fn may keep the strings: they are copied out of the batch's buffer.
	return scan(ctx, s, "webhook events", query, args, func(r *raw, x *ref) error {
		x.id, _ = r.int(0)
		x.orig, x.ref = strings.Clone(r.str(1)), strings.Clone(r.str(2))
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
