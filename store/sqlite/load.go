package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// Load is one write transaction kept open across batches, with its
// prepared statements (per kind of row: one for chunkRows rows at a time,
// one for a single row) reused for every row, so an ingest can stream a
// large file in batches and still commit all or nothing.
//
// After any error the Load refuses further rows and Commit rolls back:
// a half-applied batch is never committed. A Load is not safe for
// concurrent use. SQLite has a single writer, so while a Load is open,
// writes through other DB methods wait for it (up to the busy timeout);
// reads go on as usual.
type Load struct {
	ctx      context.Context
	conn     *sqlx.Conn // the connection tx runs on, closed when the Load ends
	tx       *sqlx.Tx
	now      time.Time // first_seen_at / changed_at / loaded_at of every row
	runID    sql.NullInt64
	nowText  any                    // now as stored, bound once per statement
	merchant string                 // every row's, bound once per statement
	stmts    [numStmts][2]*sql.Stmt // one row, chunkRows rows
	err      error                  // the first failure; sticks
	done     bool
	cacheSet bool // see sqliteSetCache
}

var _ store.Load = (*Load)(nil)

// BeginLoad starts a Load. Cancelling ctx aborts it: the transaction is
// rolled back and every later call fails.
func (db *DB) BeginLoad(ctx context.Context) (store.Load, error) { return db.beginLoad(ctx) }

func (db *DB) beginLoad(ctx context.Context) (*Load, error) {
	conn, err := sqliteLoadConn(ctx, db.x)
	if err != nil {
		return nil, fmt.Errorf("begin load: %w", err)
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		sqliteDiscardConn(conn)
		return nil, fmt.Errorf("begin load: %w", err)
	}
	now := time.Now().UTC()
	return &Load{ctx: ctx, conn: conn, tx: tx, now: now, nowText: sqliteTimeText(now), merchant: db.Merchant()}, nil
}

// SetRunID ties the input errors and input files recorded by this Load to
// a run, so a report can say which run first saw them.
func (l *Load) SetRunID(id int64) { l.runID = sql.NullInt64{Int64: id, Valid: id != 0} }

// Commit makes every row of the Load visible. It fails, and rolls back,
// if any earlier call failed or the context was cancelled.
func (l *Load) Commit() error {
	if l.done {
		return store.ErrLoadDone
	}
	if l.err != nil {
		l.Rollback()
		return fmt.Errorf("commit load: an earlier step failed: %w", l.err)
	}
	if err := l.ctx.Err(); err != nil {
		l.Rollback()
		return fmt.Errorf("commit load: %w", err)
	}
	l.done = true
	defer sqliteDiscardConn(l.conn)
	if err := l.tx.Commit(); err != nil {
		if cerr := l.ctx.Err(); cerr != nil {
			err = cerr
		}
		return fmt.Errorf("commit load: %w", err)
	}
	return nil
}

// Rollback discards every row of the Load. It does nothing after Commit,
// so `defer l.Rollback()` is the usual guard.
func (l *Load) Rollback() error {
	if l.done {
		return nil
	}
	l.done = true
	defer sqliteDiscardConn(l.conn)
	if err := l.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("roll back load: %w", err)
	}
	return nil
}

// check is called before each chunk of rows: a cancelled context stops
// the load within chunkRows rows rather than at the end of the batch.
func (l *Load) check() error {
	if l.done {
		return store.ErrLoadDone
	}
	if l.err != nil {
		return fmt.Errorf("load already failed: %w", l.err)
	}
	if err := l.ctx.Err(); err != nil {
		return l.fail(err)
	}
	return nil
}

// fail0 is fail for an error that may be nil.
func (l *Load) fail0(err error) error {
	if err == nil {
		return nil
	}
	return l.fail(err)
}

func (l *Load) fail(err error) error {
	if l.err == nil {
		l.err = err
	}
	return err
}

type stmtKind int

const (
	stmtOrder stmtKind = iota
	stmtPaymentLink
	stmtTransaction
	stmtWebhookEvent
	stmtLedgerEntry
	stmtInputError
	numStmts
)

// chunkRows is how many rows one multi-row INSERT carries. One statement
// per row spends most of its time in database/sql and cgo overhead per
// call; 32 rows a statement cut a bulk load's time by about a third (see
// BenchmarkUpsertOrders), and more gained nothing measurable.
const chunkRows = 32

// insertSQL is an INSERT written once per table. In row, "?" stands for
// a value of the row, "@" for the load time shared by every row of the
// Load and "&" for the Load's merchant; sqliteStmtText numbers them.
type insertSQL struct {
	head string // INSERT INTO ... VALUES
	row  string // the tuple of one row
	tail string // ON CONFLICT ...
	// shared is how many values every statement binds first, once: 1
	// (the load time, ?1) unless 2 (and the merchant, ?2).
	shared int
}

// The upserts only write when a column differs, so that an unchanged
// reload rewrites no page and reports nothing changed; first_seen_at is
// never overwritten. The inserts skip a row whose unique key exists (and
// only for that key: any other constraint still fails the load).
//
// The inserts of webhook events and ledger entries say OR FAIL: a
// failing statement then stops without undoing its earlier rows, so
// SQLite keeps no statement journal for them. Their unique keys are
// hashes, so a chunk changes pages all over the index, and journaling
// those pages for every statement (in a temporary file past 64 KiB) took
// more than half the time of an insert
// (BenchmarkInsertWebhookEvents/keys=hashed). Nothing is lost: a Load
// that fails is never committed. (The upserts cannot do the same, their
// DO UPDATE always aborts; input errors need the journal for their
// foreign key.)
var insertSQLs = [numStmts]insertSQL{
	stmtOrder: {
		head: `INSERT INTO orders (merchant, uid, status, currency, amount_minor, amount_source, amount_problem, created_at, updated_at, raw, first_seen_at, changed_at) VALUES `,
		row:  `(&, ?, ?, ?, ?, ?, ?, ?, ?, ?, @, @)`,
		tail: `
ON CONFLICT (merchant, uid) DO UPDATE SET
    status = excluded.status, currency = excluded.currency, amount_minor = excluded.amount_minor,
    amount_source = excluded.amount_source, amount_problem = excluded.amount_problem,
    created_at = excluded.created_at, updated_at = excluded.updated_at, raw = excluded.raw,
    changed_at = excluded.changed_at
WHERE orders.status IS DISTINCT FROM excluded.status
   OR orders.currency IS DISTINCT FROM excluded.currency
   OR orders.amount_minor IS DISTINCT FROM excluded.amount_minor
   OR orders.amount_source IS DISTINCT FROM excluded.amount_source
   OR orders.amount_problem IS DISTINCT FROM excluded.amount_problem
   OR orders.created_at IS DISTINCT FROM excluded.created_at
   OR orders.updated_at IS DISTINCT FROM excluded.updated_at
   OR orders.raw IS DISTINCT FROM excluded.raw`,
		shared: 2,
	},

	stmtPaymentLink: {
		head: `INSERT INTO payment_links (merchant, uid, order_uid, status, payment_url, currency, amount_minor, amount_source, amount_problem, expired_at, paid_at, created_at, updated_at, raw, first_seen_at, changed_at) VALUES `,
		row:  `(&, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, @, @)`,
		tail: `
ON CONFLICT (merchant, uid) DO UPDATE SET
    order_uid = excluded.order_uid, status = excluded.status, payment_url = excluded.payment_url,
    currency = excluded.currency, amount_minor = excluded.amount_minor,
    amount_source = excluded.amount_source, amount_problem = excluded.amount_problem,
    expired_at = excluded.expired_at, paid_at = excluded.paid_at,
    created_at = excluded.created_at, updated_at = excluded.updated_at, raw = excluded.raw,
    changed_at = excluded.changed_at
WHERE payment_links.order_uid IS DISTINCT FROM excluded.order_uid
   OR payment_links.status IS DISTINCT FROM excluded.status
   OR payment_links.payment_url IS DISTINCT FROM excluded.payment_url
   OR payment_links.currency IS DISTINCT FROM excluded.currency
   OR payment_links.amount_minor IS DISTINCT FROM excluded.amount_minor
   OR payment_links.amount_source IS DISTINCT FROM excluded.amount_source
   OR payment_links.amount_problem IS DISTINCT FROM excluded.amount_problem
   OR payment_links.expired_at IS DISTINCT FROM excluded.expired_at
   OR payment_links.paid_at IS DISTINCT FROM excluded.paid_at
   OR payment_links.created_at IS DISTINCT FROM excluded.created_at
   OR payment_links.updated_at IS DISTINCT FROM excluded.updated_at
   OR payment_links.raw IS DISTINCT FROM excluded.raw`,
		shared: 2,
	},

	// fetched_at is left out of the comparison: every fetch has a new one,
	// and a transaction whose content did not change has not changed.
	// fetched_at therefore says when the current content was first fetched.
	stmtTransaction: {
		head: `INSERT INTO transactions (merchant, oxpay_txn_id, oxpay_original_txn_id, type, merchant_reference_id, host_txn_id, state, payment_brand, currency, amount_minor, refund_amount_minor, fetched_at, raw, first_seen_at, changed_at) VALUES `,
		row:  `(&, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, @, @)`,
		tail: `
ON CONFLICT (merchant, oxpay_txn_id) DO UPDATE SET
    oxpay_original_txn_id = excluded.oxpay_original_txn_id, type = excluded.type,
    merchant_reference_id = excluded.merchant_reference_id, host_txn_id = excluded.host_txn_id,
    state = excluded.state, payment_brand = excluded.payment_brand, currency = excluded.currency,
    amount_minor = excluded.amount_minor, refund_amount_minor = excluded.refund_amount_minor,
    fetched_at = excluded.fetched_at, raw = excluded.raw, changed_at = excluded.changed_at
WHERE transactions.oxpay_original_txn_id IS DISTINCT FROM excluded.oxpay_original_txn_id
   OR transactions.type IS DISTINCT FROM excluded.type
   OR transactions.merchant_reference_id IS DISTINCT FROM excluded.merchant_reference_id
   OR transactions.host_txn_id IS DISTINCT FROM excluded.host_txn_id
   OR transactions.state IS DISTINCT FROM excluded.state
   OR transactions.payment_brand IS DISTINCT FROM excluded.payment_brand
   OR transactions.currency IS DISTINCT FROM excluded.currency
   OR transactions.amount_minor IS DISTINCT FROM excluded.amount_minor
   OR transactions.refund_amount_minor IS DISTINCT FROM excluded.refund_amount_minor
   OR transactions.raw IS DISTINCT FROM excluded.raw`,
		shared: 2,
	},

	stmtWebhookEvent: {
		head: `INSERT OR FAIL INTO webhook_events (merchant, received_at, kind, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, host_txn_id, state, currency, amount_minor, refund_amount_minor, status_code, sig_check, signature, key_fp, dedup_key, delivery_key, raw, source_file, source_line, loaded_at) VALUES `,
		row:  `(&, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, @)`,
		tail: `
ON CONFLICT (merchant, delivery_key) DO NOTHING`,
		shared: 2,
	},

	stmtLedgerEntry: {
		head: `INSERT OR FAIL INTO ledger_entries (merchant, booked_on, reference, description, txn_type, currency, amount_minor, fee_minor, row_hash, source_file, sheet, source_line, raw, loaded_at) VALUES `,
		row:  `(&, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, @)`,
		tail: `
ON CONFLICT (merchant, row_hash) DO NOTHING`,
		shared: 2,
	},

	stmtInputError: {
		head: `INSERT INTO input_errors (merchant, source, file, line, text, reason, recorded_at, run_id) VALUES `,
		row:  `(&, ?, ?, ?, ?, ?, ?, ?)`,
		tail: `
ON CONFLICT (merchant, source, file, line, reason) DO NOTHING`,
		shared: 2,
	},
}

// sqliteStmtText writes the statement for rows rows, with SQLite's
// numbered parameters: ?1 is the load time (bound even where a table has
// no use for it, so every statement takes the same arguments), ?2 the
// merchant when q.shared is 2, then each row's values in order. Only the
// constant text of insertSQLs goes into it, never a value.
func sqliteStmtText(q insertSQL, rows int) string {
	var b strings.Builder
	b.WriteString(q.head)
	n := 1 + max(q.shared, 1)
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		for _, c := range []byte(q.row) {
			switch c {
			case '?':
				b.WriteByte('?')
				b.WriteString(strconv.Itoa(n))
				n++
			case '@':
				b.WriteString("?1")
			case '&':
				b.WriteString("?2")
			default:
				b.WriteByte(c)
			}
		}
	}
	b.WriteString(q.tail)
	return b.String()
}

// stmt prepares the statement for one row (chunk false) or for
// chunkRows rows on first use, so a load of webhooks alone does not
// prepare the ledger's.
func (l *Load) stmt(k stmtKind, chunk bool) (*sql.Stmt, error) {
	i := 0
	if chunk {
		i = 1
	}
	if s := l.stmts[k][i]; s != nil {
		return s, nil
	}
	rows := 1
	if chunk {
		rows = chunkRows
	}
	s, err := l.tx.PrepareContext(l.ctx, sqliteStmtText(insertSQLs[k], rows))
	if err != nil {
		return nil, l.fail(fmt.Errorf("prepare: %w", err))
	}
	l.stmts[k][i] = s
	return s, nil
}

// exec runs a prepared statement and returns how many rows it changed.
// It passes context.Background on purpose: go-sqlite3 starts a goroutine
// per call for a cancellable context, which would cost more than the
// insert; cancellation is checked per chunk instead, and the transaction
// itself is bound to the Load's context.
func exec(s *sql.Stmt, args ...any) (int64, error) {
	res, err := s.ExecContext(context.Background(), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// batch describes one batch to write: how many rows, how to append the
// values of row i to a statement's arguments, and how to name row i in
// an error (only called on failure, so the happy path formats nothing).
type batch struct {
	n    int
	what string
	args func(i int, a []any) []any
	name func(i int) string
}

// write runs rows 0..n-1 through the kind's statements, chunkRows at a
// time and the remainder one by one, and returns how many rows changed.
// A failed chunk is replayed row by row so the error can name its row;
// the Load has failed by then and will not commit.
func (l *Load) write(k stmtKind, rs batch) (int64, error) {
	var changed int64
	a := make([]any, 0, 2+chunkRows*strings.Count(insertSQLs[k].row, "?"))
	i := 0
	for ; i+chunkRows <= rs.n; i += chunkRows {
		if err := l.check(); err != nil {
			return changed, err
		}
		s, err := l.stmt(k, true)
		if err != nil {
			return changed, err
		}
		a = append(a[:0], l.nowText, l.merchant)
		for j := i; j < i+chunkRows; j++ {
			a = rs.args(j, a)
		}
		c, err := exec(s, a...)
		if err != nil {
			return changed, l.fail(l.nameFailure(k, rs, i, i+chunkRows, err))
		}
		changed += c
	}
	for ; i < rs.n; i++ {
		if err := l.check(); err != nil {
			return changed, err
		}
		s, err := l.stmt(k, false)
		if err != nil {
			return changed, err
		}
		a = rs.args(i, append(a[:0], l.nowText, l.merchant))
		c, err := exec(s, a...)
		if err != nil {
			return changed, l.fail(fmt.Errorf("%s %s: %w", rs.what, rs.name(i), err))
		}
		changed += c
	}
	return changed, nil
}

// nameFailure finds the row of a failed chunk that fails on its own. A
// failed upsert changed nothing; a failed OR FAIL insert kept the rows
// before the failing one, and the replay skips those as existing keys.
// Either way the first row that fails again failed the chunk.
func (l *Load) nameFailure(k stmtKind, rs batch, from, to int, chunkErr error) error {
	s, err := l.stmt(k, false)
	if err != nil {
		return fmt.Errorf("%s %s to %s: %w", rs.what, rs.name(from), rs.name(to-1), chunkErr)
	}
	for i := from; i < to; i++ {
		if _, err := exec(s, rs.args(i, []any{l.nowText, l.merchant})...); err != nil {
			return fmt.Errorf("%s %s: %w", rs.what, rs.name(i), err)
		}
	}
	return fmt.Errorf("%s %s to %s: %w", rs.what, rs.name(from), rs.name(to-1), chunkErr)
}

// sqliteMaxRowid returns the largest rowid of an upserted table. SQLite
// gives a new row max(rowid)+1 and an upsert's update keeps the rowid, so
// the difference across a batch is the number of rows it inserted: this
// splits RowsAffected into inserts and updates at two index lookups per
// batch instead of one query per row. (PostgreSQL would use RETURNING
// xmax = 0.)
func (l *Load) sqliteMaxRowid(k stmtKind) (int64, error) {
	var q string
	switch k {
	case stmtOrder:
		q = `SELECT COALESCE(MAX(rowid), 0) FROM orders`
	case stmtPaymentLink:
		q = `SELECT COALESCE(MAX(rowid), 0) FROM payment_links`
	case stmtTransaction:
		q = `SELECT COALESCE(MAX(rowid), 0) FROM transactions`
	default:
		return 0, fmt.Errorf("no rowid query for statement %d", k)
	}
	var n int64
	if err := l.tx.QueryRowContext(l.ctx, q).Scan(&n); err != nil {
		return 0, l.fail(fmt.Errorf("read max rowid: %w", err))
	}
	return n, nil
}

// upsert runs one batch of an idempotent upsert.
func (l *Load) upsert(k stmtKind, rs batch) (store.UpsertStats, error) {
	var st store.UpsertStats
	if err := l.check(); err != nil {
		return st, err
	}
	if rs.n == 0 {
		return st, nil
	}
	before, err := l.sqliteMaxRowid(k)
	if err != nil {
		return st, err
	}
	rs.what = "upsert " + rs.what
	changed, err := l.write(k, rs)
	if err != nil {
		return st, err
	}
	after, err := l.sqliteMaxRowid(k)
	if err != nil {
		return st, err
	}
	st.Inserted = int(after - before)
	st.Updated = int(changed) - st.Inserted
	st.Unchanged = rs.n - int(changed)
	return st, nil
}

// insert runs one batch of inserts that skip rows whose unique key
// exists, and returns how many it added.
func (l *Load) insert(k stmtKind, rs batch) (int, error) {
	if err := l.check(); err != nil {
		return 0, err
	}
	if k == stmtWebhookEvent || k == stmtLedgerEntry {
		if err := l.sqliteSetCache(sqliteHashedCache); err != nil {
			return 0, err
		}
	}
	rs.what = "insert " + rs.what
	changed, err := l.write(k, rs)
	return int(changed), err
}

// Orders upserts a batch of orders by uid.
func (l *Load) Orders(rs []recon.Order) (store.UpsertStats, error) {
	return l.upsert(stmtOrder, batch{
		n: len(rs), what: "order",
		args: func(i int, a []any) []any {
			r := &rs[i]
			return append(a, r.UID, r.Status, r.Currency, knownAmount(r.AmountMinor, r.AmountKnown()), r.AmountSource, r.AmountProblem,
				sqliteTimeText(r.CreatedAt), sqliteTimeText(r.UpdatedAt), r.Raw)
		},
		name: func(i int) string { return strconv.Quote(rs[i].UID) },
	})
}

// knownAmount is the value an amount column is bound to: NULL when the
// amount is not known, so that no SQL reads it as 0.
func knownAmount(v int64, known bool) any {
	if !known {
		return nil
	}
	return v
}

// PaymentLinks upserts a batch of payment links by uid.
func (l *Load) PaymentLinks(rs []recon.PaymentLink) (store.UpsertStats, error) {
	return l.upsert(stmtPaymentLink, batch{
		n: len(rs), what: "payment link",
		args: func(i int, a []any) []any {
			r := &rs[i]
			return append(a, r.UID, r.OrderUID, r.Status, r.PaymentURL, r.Currency, knownAmount(r.AmountMinor, r.AmountKnown()),
				r.AmountSource, r.AmountProblem,
				sqliteTimeTextPtr(r.ExpiredAt), sqliteTimeTextPtr(r.PaidAt),
				sqliteTimeText(r.CreatedAt), sqliteTimeText(r.UpdatedAt), r.Raw)
		},
		name: func(i int) string { return strconv.Quote(rs[i].UID) },
	})
}

// Transactions upserts a batch of OxPay transactions by oxpay_txn_id.
func (l *Load) Transactions(rs []recon.Transaction) (store.UpsertStats, error) {
	return l.upsert(stmtTransaction, batch{
		n: len(rs), what: "transaction",
		args: func(i int, a []any) []any {
			r := &rs[i]
			return append(a, r.OxpayTxnID, r.OriginalTxnID, r.Type, r.MerchantReferenceID, r.HostTxnID,
				r.State, r.Brand, r.Currency, r.AmountMinor, r.RefundAmountMinor,
				sqliteTimeText(r.FetchedAt), r.Raw)
		},
		name: func(i int) string { return strconv.Quote(rs[i].OxpayTxnID) },
	})
}

// WebhookEvents inserts a batch of webhook deliveries, skipping those
// whose delivery_key is already stored, and returns how many it added.
// The rows' ID is ignored: the database assigns it.
func (l *Load) WebhookEvents(rs []recon.WebhookEvent) (int, error) {
	return l.insert(stmtWebhookEvent, batch{
		n: len(rs), what: "webhook event",
		args: func(i int, a []any) []any {
			r := &rs[i]
			return append(a, sqliteTimeText(r.ReceivedAt), r.Kind, r.OxpayTxnID, r.OriginalTxnID, r.MerchantReferenceID,
				r.HostTxnID, r.State, r.Currency, r.AmountMinor, r.RefundAmountMinor,
				int64(r.StatusCode), r.SigCheck, r.Signature, r.KeyFingerprint, r.DedupKey, r.DeliveryKey, r.Raw,
				r.SourceFile, int64(r.SourceLine))
		},
		name: func(i int) string { return fmt.Sprintf("%s:%d", rs[i].SourceFile, rs[i].SourceLine) },
	})
}

// LedgerEntries inserts a batch of ledger rows, skipping those whose
// row_hash is already stored, and returns how many it added. BookedOn is
// stored as the calendar date it has in its own location and read back
// as midnight UTC of that date. The rows' ID is ignored.
func (l *Load) LedgerEntries(rs []recon.LedgerEntry) (int, error) {
	return l.insert(stmtLedgerEntry, batch{
		n: len(rs), what: "ledger entry",
		args: func(i int, a []any) []any {
			r := &rs[i]
			return append(a, r.BookedOn.Format(time.DateOnly), r.Reference, r.Description, r.TxnType, r.Currency,
				r.AmountMinor, feeArg(r.FeeMinor), r.RowHash, r.SourceFile, r.Sheet, int64(r.SourceLine), r.Raw)
		},
		name: func(i int) string { return fmt.Sprintf("%s:%s:%d", rs[i].SourceFile, rs[i].Sheet, rs[i].SourceLine) },
	})
}

// InputErrors inserts a batch of input errors, skipping those already
// stored for the same source, file, line and reason, and returns how many
// it added. A zero RecordedAt is stored as the Load's start time. The
// rows' ID is ignored.
func (l *Load) InputErrors(rs []recon.InputError) (int, error) {
	return l.insert(stmtInputError, batch{
		n: len(rs), what: "input error",
		args: func(i int, a []any) []any {
			r := &rs[i]
			at := l.nowText
			if !r.RecordedAt.IsZero() {
				at = sqliteTimeText(r.RecordedAt)
			}
			return append(a, r.Source, r.File, int64(r.Line), r.Text, r.Reason, at, l.runID)
		},
		name: func(i int) string { return fmt.Sprintf("%s:%d", rs[i].File, rs[i].Line) },
	})
}

// RecordInputFile records, inside the Load, that a file was ingested, so
// the file counts as seen only if its rows commit. A file already
// recorded under the same kind and hash keeps its first record. A zero
// IngestedAt is stored as the Load's start time; a zero RunID as the
// Load's run (see SetRunID).
func (l *Load) RecordInputFile(f store.InputFile) error {
	if err := l.check(); err != nil {
		return err
	}
	if f.RunID == 0 && l.runID.Valid {
		f.RunID = l.runID.Int64
	}
	if f.IngestedAt.IsZero() {
		f.IngestedAt = l.now
	}
	return l.fail0(sqlstore.RecordInputFile(l.ctx, sqlstore.On(l.tx), l.merchant, f))
}

// SetFetchCursor records, inside the Load, that list has been read up to
// newest (the latest created_at among its items). A cursor only moves
// forward: an older newest leaves it as it is.
func (l *Load) SetFetchCursor(list string, newest time.Time) error {
	if err := l.check(); err != nil {
		return err
	}
	return l.fail0(sqlstore.SetFetchCursor(l.ctx, sqlstore.On(l.tx), l.merchant, list, newest, l.now))
}

// FailedSignatureIDs returns the ids of the stored deliveries whose
// signature failed under another key than keyFP (every failed one, when
// all), that kept their signature, in id order.
func (l *Load) FailedSignatureIDs(keyFP string, all bool) ([]int64, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	ids, err := sqlstore.FailedSignatureIDs(l.ctx, sqlstore.On(l.tx), l.merchant, keyFP, all)
	return ids, l.fail0(err)
}

// StoredSignatures returns the payload and signature of the deliveries
// ids names, in id order.
func (l *Load) StoredSignatures(ids []int64) ([]store.StoredSignature, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	out, err := sqlstore.StoredSignatures(l.ctx, sqlstore.On(l.tx), sqlstore.SQLite, l.merchant, ids)
	return out, l.fail0(err)
}

// SetSignatureCheck records a new verdict on a failed delivery: the key
// it was made with, and sigCheck when the delivery now passes. A
// delivery that is not a failed one is left as it is.
func (l *Load) SetSignatureCheck(id int64, sigCheck, keyFP string) error {
	if err := l.check(); err != nil {
		return err
	}
	return l.fail0(sqlstore.SetSignatureCheck(l.ctx, sqlstore.On(l.tx), l.merchant, id, sigCheck, keyFP))
}

// ReverifyDelivery records what a log read again says of a stored failed
// delivery with the same delivery key; it reports whether one was found.
func (l *Load) ReverifyDelivery(ev recon.WebhookEvent) (bool, error) {
	if err := l.check(); err != nil {
		return false, err
	}
	found, err := sqlstore.ReverifyDelivery(l.ctx, sqlstore.On(l.tx), l.merchant, ev)
	return found, l.fail0(err)
}
