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
// prepared statements (one per kind of row, run from C a batch at a time:
// bulk.go) reused for every row, so an ingest can stream a large file in
// batches and still commit all or nothing.
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
	nowText  string              // now as stored, bound once per batch
	merchant string              // every row's, bound once per batch
	stmts    [numStmts]*bulkStmt // prepared on first use (bulk.go)
	bulk     []*bulkStmt         // every statement prepared, finalized when the Load ends
	buf      rowBuf              // a batch's values, reused
	err      error               // the first failure; sticks
	done     bool
	cacheSet bool // see sqliteSetCache
	// deferred holds the CREATE INDEX statements of the indexes this
	// Load dropped before its first rows, to run before it commits
	// (deferIndexes); hooksSeen says WebhookEvents checked.
	deferred  []string
	hooksSeen bool
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
	return &Load{ctx: ctx, conn: conn, tx: tx, now: now, nowText: string(appendTimeText(nil, now)), merchant: db.Merchant()}, nil
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
	l.bulkFinalize()
	for _, create := range l.deferred {
		if _, err := l.tx.ExecContext(l.ctx, create); err != nil {
			l.tx.Rollback()
			return fmt.Errorf("commit load: build a deferred index: %w", err)
		}
	}
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
	l.bulkFinalize()
	if err := l.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("roll back load: %w", err)
	}
	return nil
}

// check is called before each call into C: a cancelled context stops
// the load within bulkRows rows rather than at the end of the batch.
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
	stmtMatchResult
	stmtException
	stmtCarriedException
	stmtHistory
	numStmts
)

// bulkRows is how many rows one call into C carries at most: the Load's
// context is checked between calls.
const bulkRows = 4096

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

// batch describes one batch to write: how many rows, how to pack the
// values of row i, and how to name row i in an error (only called on
// failure, so the happy path formats nothing).
type batch struct {
	n    int
	what string
	pack func(i int, r *rowBuf)
	name func(i int) string
}

// sql is the statement a kind of row is written with.
func (k stmtKind) sql() insertSQL {
	switch k {
	case stmtMatchResult:
		return insertMatchResult
	case stmtException:
		return insertException
	case stmtCarriedException:
		return insertCarriedException
	case stmtHistory:
		return insertHistory
	}
	return insertSQLs[k]
}

// write runs rows 0..n-1 through the kind's one-row statement, in C,
// bulkRows at a time (bulk.go), and returns how many rows changed. A
// failure names its row; the Load has failed then and will not commit.
// An OR FAIL insert has kept the rows before it, which is harmless: the
// Load never commits.
func (l *Load) write(k stmtKind, rs batch) (int64, error) {
	if err := l.check(); err != nil {
		return 0, err
	}
	s := l.stmts[k]
	if s == nil {
		var err error
		if s, err = l.bulkPrepare(k.sql()); err != nil {
			return 0, err
		}
		l.stmts[k] = s
	}
	var changed int64
	for from := 0; from < rs.n; from += bulkRows {
		if err := l.check(); err != nil {
			return changed, err
		}
		to := min(from+bulkRows, rs.n)
		l.buf.reset()
		l.buf.text(l.nowText) // ?1
		if s.shared > 1 {
			l.buf.text(l.merchant) // ?2
		}
		for i := from; i < to; i++ {
			rs.pack(i, &l.buf)
		}
		c, err := l.bulkExec(s, l.buf.b, to-from, rs.what, func(i int) string { return rs.name(from + i) })
		changed += c
		if err != nil {
			return changed, err
		}
	}
	if cap(l.buf.b) > 64<<20 {
		l.buf.b = nil // a batch of huge rows: do not keep its buffer
	}
	return changed, nil
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
		pack: func(i int, b *rowBuf) {
			r := &rs[i]
			b.text(r.UID)
			b.text(r.Status)
			b.text(r.Currency)
			b.nullInt(r.AmountMinor, r.AmountKnown())
			b.text(r.AmountSource)
			b.text(r.AmountProblem)
			b.time(r.CreatedAt)
			b.time(r.UpdatedAt)
			b.text(r.Raw)
		},
		name: func(i int) string { return strconv.Quote(rs[i].UID) },
	})
}

// PaymentLinks upserts a batch of payment links by uid.
func (l *Load) PaymentLinks(rs []recon.PaymentLink) (store.UpsertStats, error) {
	return l.upsert(stmtPaymentLink, batch{
		n: len(rs), what: "payment link",
		pack: func(i int, b *rowBuf) {
			r := &rs[i]
			b.text(r.UID)
			b.text(r.OrderUID)
			b.text(r.Status)
			b.text(r.PaymentURL)
			b.text(r.Currency)
			b.nullInt(r.AmountMinor, r.AmountKnown())
			b.text(r.AmountSource)
			b.text(r.AmountProblem)
			b.timePtr(r.ExpiredAt)
			b.timePtr(r.PaidAt)
			b.time(r.CreatedAt)
			b.time(r.UpdatedAt)
			b.text(r.Raw)
		},
		name: func(i int) string { return strconv.Quote(rs[i].UID) },
	})
}

// Transactions upserts a batch of OxPay transactions by oxpay_txn_id.
func (l *Load) Transactions(rs []recon.Transaction) (store.UpsertStats, error) {
	return l.upsert(stmtTransaction, batch{
		n: len(rs), what: "transaction",
		pack: func(i int, b *rowBuf) {
			r := &rs[i]
			b.text(r.OxpayTxnID)
			b.text(r.OriginalTxnID)
			b.text(r.Type)
			b.text(r.MerchantReferenceID)
			b.text(r.HostTxnID)
			b.text(r.State)
			b.text(r.Brand)
			b.text(r.Currency)
			b.int(r.AmountMinor)
			b.int(r.RefundAmountMinor)
			b.time(r.FetchedAt)
			b.text(r.Raw)
		},
		name: func(i int) string { return strconv.Quote(rs[i].OxpayTxnID) },
	})
}

// WebhookEvents inserts a batch of webhook deliveries, skipping those
// whose delivery_key is already stored, and returns how many it added.
// The rows' ID is ignored: the database assigns it.
func (l *Load) WebhookEvents(rs []recon.WebhookEvent) (int, error) {
	if !l.hooksSeen {
		l.hooksSeen = true
		if err := l.deferIndexes(); err != nil {
			return 0, err
		}
	}
	return l.insert(stmtWebhookEvent, batch{
		n: len(rs), what: "webhook event",
		pack: func(i int, b *rowBuf) {
			r := &rs[i]
			b.time(r.ReceivedAt)
			b.text(r.Kind)
			b.text(r.OxpayTxnID)
			b.text(r.OriginalTxnID)
			b.text(r.MerchantReferenceID)
			b.text(r.HostTxnID)
			b.text(r.State)
			b.text(r.Currency)
			b.int(r.AmountMinor)
			b.int(r.RefundAmountMinor)
			b.int(int64(r.StatusCode))
			b.text(r.SigCheck)
			b.text(r.Signature)
			b.text(r.KeyFingerprint)
			b.text(r.DedupKey)
			b.text(r.DeliveryKey)
			b.text(r.Raw)
			b.text(r.SourceFile)
			b.int(int64(r.SourceLine))
		},
		name: func(i int) string { return fmt.Sprintf("%s:%d", rs[i].SourceFile, rs[i].SourceLine) },
	})
}

// deferredIndexSQL finds the indexes a Load builds after its rows rather
// than row by row: webhook_events_reference, when webhook_events has no
// rows at all (a first load, of any merchant). Its keys (the orders'
// references) come in no order, and a million of them cost about 3.5 s
// inserted one by one (each into a leaf the table's own pages have
// pushed out of the cache) against 1.4 s built at once from sorted keys;
// the other indexes' keys come in about the order the rows do
// (docs/performance.md). A later load adds a night's keys, which fall
// together.
const deferredIndexSQL = `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'webhook_events_reference'
AND NOT EXISTS (SELECT 1 FROM webhook_events)`

// deferIndexes drops the indexes deferredIndexSQL names, to create them
// again (by the statement SQLite keeps for them) in Commit. Both happen
// inside the Load's transaction: no reader ever sees the table without
// them, and a Load rolled back leaves them as they were.
func (l *Load) deferIndexes() error {
	var creates []string
	if err := l.tx.SelectContext(l.ctx, &creates, deferredIndexSQL); err != nil {
		return l.fail(fmt.Errorf("defer indexes: %w", err))
	}
	for _, create := range creates {
		if _, err := l.tx.ExecContext(l.ctx, `DROP INDEX webhook_events_reference`); err != nil {
			return l.fail(fmt.Errorf("defer indexes: %w", err))
		}
		l.deferred = append(l.deferred, create)
	}
	return nil
}

// LedgerEntries inserts a batch of ledger rows, skipping those whose
// row_hash is already stored, and returns how many it added. BookedOn is
// stored as the calendar date it has in its own location and read back
// as midnight UTC of that date. The rows' ID is ignored.
func (l *Load) LedgerEntries(rs []recon.LedgerEntry) (int, error) {
	return l.insert(stmtLedgerEntry, batch{
		n: len(rs), what: "ledger entry",
		pack: func(i int, b *rowBuf) {
			r := &rs[i]
			b.date(r.BookedOn)
			b.text(r.Reference)
			b.text(r.Description)
			b.text(r.TxnType)
			b.text(r.Currency)
			b.int(r.AmountMinor)
			if r.FeeMinor != nil {
				b.int(*r.FeeMinor)
			} else {
				b.null()
			}
			b.text(r.RowHash)
			b.text(r.SourceFile)
			b.text(r.Sheet)
			b.int(int64(r.SourceLine))
			b.text(r.Raw)
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
		pack: func(i int, b *rowBuf) {
			r := &rs[i]
			b.text(r.Source)
			b.text(r.File)
			b.int(int64(r.Line))
			b.text(r.Text)
			b.text(r.Reason)
			if r.RecordedAt.IsZero() {
				b.text(l.nowText)
			} else {
				b.time(r.RecordedAt)
			}
			b.nullInt(l.runID.Int64, l.runID.Valid)
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
