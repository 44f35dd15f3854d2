package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// Bulk reads for match: whole tables, a few columns each, as fast as
// SQLite hands them over, decoded into the store's Row types and handed
// over a chunk at a time (Snapshot's methods, in snapshot.go). Each table
// is one SELECT stepped in C, a chunk of rows packed per cgo call
// (scan.go).

// ErrNoScan is returned by scanChunked for a table tableScans does not
// hold.
var ErrNoScan = errors.New("no scan of this table")

// tableScan is one table read scanChunked serves.
type tableScan struct {
	what  string // the rows' name in errors
	query string // rowid first, then width columns; ?1 is the merchant
	width int
}

// tableScans is the whole list of reads scanChunked accepts, by table,
// each the columns match reads and no others, written out so that no
// caller text ever becomes SQL. The decoders in snapshot.go take the
// columns by position. Times are read as stored, as text, for
// parseStamp. dedup_key's first 16 characters (hex of a SHA-256) are
// enough to tell one transaction's notifications apart. NOT INDEXED
// keeps every scan on the table in rowid order: left to choose, SQLite
// takes an index that leads with the merchant (every table has one since
// migration 0009) and looks every row up through it.
var tableScans = map[string]tableScan{
	"orders": {what: "orders", width: 4,
		query: `SELECT rowid, uid, currency, amount_minor, amount_problem FROM orders NOT INDEXED WHERE merchant = ?1 ORDER BY rowid`},
	"payment_links": {what: "payment links", width: 7,
		query: `SELECT rowid, uid, order_uid, status, currency, amount_minor, amount_problem, CAST(paid_at AS TEXT) FROM payment_links NOT INDEXED WHERE merchant = ?1 ORDER BY rowid`},
	"transactions": {what: "transactions", width: 9,
		query: `SELECT rowid, oxpay_txn_id, merchant_reference_id, oxpay_original_txn_id, type, state, currency, amount_minor, refund_amount_minor, payment_brand FROM transactions NOT INDEXED WHERE merchant = ?1 ORDER BY rowid`},
	"webhook_events": {what: "webhook events", width: 9,
		query: `SELECT rowid, CAST(received_at AS TEXT), oxpay_txn_id, kind, state, currency, amount_minor, refund_amount_minor, sig_check, substr(dedup_key, 1, 16) FROM webhook_events NOT INDEXED WHERE merchant = ?1 ORDER BY rowid`},
	"ledger_entries": {what: "ledger entries", width: 4,
		query: `SELECT rowid, CAST(booked_on AS TEXT), reference, currency, amount_minor FROM ledger_entries NOT INDEXED WHERE merchant = ?1 ORDER BY rowid`},
}

// Snapshot is one read transaction on a connection of its own: every
// read through it sees the database as it was at its first read. It is
// not safe for concurrent use; two Snapshots read in parallel.
type Snapshot struct {
	conn     *sqlx.Conn
	merchant string
	// chunk is how many rows one batch holds at most (readChunk).
	chunk int
	// hasTemp says the scope's temporary tables exist (scope.go); scope,
	// when set, restricts the table reads to its rows.
	hasTemp bool
	scope   *store.Scope
	mark    *store.Mark // in temp.scope_mark
}

var _ store.Snapshot = (*Snapshot)(nil)

// readChunk is how many rows one cgo call packs and one batch holds at
// most; a full buffer (scanBuf) ends a batch sooner.
const readChunk = 16384

// SetReadChunk sets how many rows db's snapshots read per batch at most
// (16384 unless set), for tests that cut batches in odd places.
func (db *DB) SetReadChunk(n int) { db.readChunk = n }

// sqliteScanCache is the page cache of a Snapshot's connection. Its
// reads are whole-table scans that read each page once, so the pool's 64
// MiB cache would only fill with pages never read again, and stay
// resident, full, while the connection waited in the pool: two readers
// held 128 MiB through the match's write and the report. Close frees the
// pages and gives the connection the pool's setting back.
const sqliteScanCache = `PRAGMA cache_size = -4096`

// ReadSnapshot opens a Snapshot. This is the SQLite implementation: the
// transaction is begun by hand with BEGIN DEFERRED, which takes no lock
// until the first read and then only a read snapshot (WAL), while a
// transaction begun through database/sql would take the write lock (the
// DSN's _txlock=immediate). Close it when done.
func (db *DB) ReadSnapshot(ctx context.Context) (store.Snapshot, error) { return db.readSnapshot(ctx) }

func (db *DB) readSnapshot(ctx context.Context) (*Snapshot, error) {
	conn, err := db.x.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	for _, q := range []string{sqliteScanCache, `BEGIN DEFERRED`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
			conn.Close()
			return nil, fmt.Errorf("read snapshot: %w", err)
		}
	}
	chunk := db.readChunk
	if chunk <= 0 {
		chunk = readChunk
	}
	return &Snapshot{conn: conn, merchant: db.Merchant(), chunk: chunk}, nil
}

// Close ends the Snapshot, always by rolling back (it wrote nothing), and
// returns its connection to the pool. A connection whose transaction
// could not be ended is dropped from the pool, never reused half-open.
// Closing it again does nothing.
func (s *Snapshot) Close() error {
	if s.conn == nil {
		return nil
	}
	defer func() { s.conn, s.scope, s.mark, s.hasTemp = nil, nil, nil, false }()
	var err error
	for _, q := range []string{`ROLLBACK`, `PRAGMA shrink_memory`, sqlitePoolCache} {
		if _, rerr := s.conn.ExecContext(context.Background(), q); rerr != nil {
			s.conn.Raw(func(any) error { return driver.ErrBadConn })
			err = fmt.Errorf("read snapshot: end: %w", rerr)
			break
		}
	}
	s.conn.Close()
	sqliteReturnMemory()
	return err
}

// Count returns the number of rows in one of the tables DB.Count accepts.
func (s *Snapshot) Count(ctx context.Context, table string) (int64, error) {
	if s.scope != nil {
		if n, ok := s.scope.Len(table); ok {
			return int64(n), nil
		}
	}
	return sqlstore.Count(ctx, sqlstore.On(s.conn), s.merchant, table)
}

// inputErrorsSQL is DB.InputErrors's query but for recorded_at, which
// matching does not use.
const inputErrorsSQL = `SELECT id, source, file, line, text, reason FROM input_errors WHERE merchant = ? ORDER BY id`

// InputErrors returns every input error, in load order, with RecordedAt
// left zero: matching does not read it.
func (s *Snapshot) InputErrors(ctx context.Context) ([]recon.InputError, error) {
	var rs []recon.InputError
	if err := s.conn.SelectContext(ctx, &rs, inputErrorsSQL, s.merchant); err != nil {
		return nil, fmt.Errorf("read input errors: %w", err)
	}
	return rs, nil
}

// webhookReferencesSQL reads what a webhook event names besides its
// transaction: the sale a refund refers to and the merchant's reference.
const webhookReferencesSQL = `SELECT id, oxpay_original_txn_id, merchant_reference_id FROM webhook_events WHERE merchant = ?`

// WebhookReferences calls fn with the id, oxpay_original_txn_id and
// merchant_reference_id of every webhook event, in no set order. fn may
// keep the strings.
func (s *Snapshot) WebhookReferences(ctx context.Context, fn func(id int64, originalTxnID, merchantReferenceID string) error) error {
	query := webhookReferencesSQL
	if s.scope != nil {
		query = scopedWebhookReferencesSQL
	}
	rows, err := s.conn.QueryxContext(ctx, query, s.merchant)
	if err != nil {
		return fmt.Errorf("read webhook events: %w", err)
	}
	return eachWebhookReference(rows, fn)
}

// WebhookReferencesOf is WebhookReferences for the events of the given
// OxPay transaction ids only: one lookup in the index on oxpay_txn_id per
// id, through one prepared statement (as fast as IN lists of 500 ids, and
// its SQL is a constant).
func (s *Snapshot) WebhookReferencesOf(ctx context.Context, txnIDs []string, fn func(id int64, originalTxnID, merchantReferenceID string) error) error {
	if len(txnIDs) == 0 {
		return nil
	}
	stmt, err := s.conn.PreparexContext(ctx, webhookReferencesSQL+` AND oxpay_txn_id = ?`)
	if err != nil {
		return fmt.Errorf("read webhook events: %w", err)
	}
	defer stmt.Close()
	for _, id := range txnIDs {
		rows, err := stmt.QueryxContext(ctx, s.merchant, id)
		if err != nil {
			return fmt.Errorf("read webhook events: %w", err)
		}
		if err := eachWebhookReference(rows, fn); err != nil {
			return err
		}
	}
	return nil
}

// eachWebhookReference calls fn for each of rows, and closes them.
func eachWebhookReference(rows *sqlx.Rows, fn func(id int64, originalTxnID, merchantReferenceID string) error) error {
	defer rows.Close()
	var (
		id        int64
		orig, ref string
	)
	for rows.Next() {
		if err := rows.Scan(&id, &orig, &ref); err != nil {
			return fmt.Errorf("read webhook events: %w", err)
		}
		if err := fn(id, orig, ref); err != nil {
			return fmt.Errorf("read webhook events: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read webhook events: %w", err)
	}
	return nil
}

// scanChunked calls fn with every row of table, in rowid order: its rowid
// and its columns (tableScans says which; any other table is ErrNoScan),
// and flush (if not nil) after each chunk of at most chunk rows. fn must
// not keep vals (reused); the strings in them stay valid. An error from
// fn or flush stops the scan and is returned, wrapped.
func (s *Snapshot) scanChunked(ctx context.Context, table string, chunk int, fn func(rowid int64, vals []scanVal) error, flush func() error) error {
	sc, ok := tableScans[table]
	if !ok {
		return fmt.Errorf("scan %q: %w", table, ErrNoScan)
	}
	if chunk < 1 {
		return fmt.Errorf("scan %s: chunk of %d rows, want at least 1", sc.what, chunk)
	}
	queries := []string{sc.query}
	if s.scope != nil {
		r := scopedScans[table]
		queries = []string{r.old, r.beyond}
	}
	for _, q := range queries {
		err := scanTable(ctx, s.conn, q, s.merchant, 1+sc.width, chunk, func(vals []scanVal) error {
			if vals[0].kind != valInt {
				return fmt.Errorf("rowid %q is not an integer", vals[0].text())
			}
			return fn(vals[0].i, vals[1:])
		}, flush)
		if err != nil {
			return fmt.Errorf("read %s: %w", sc.what, err)
		}
	}
	return nil
}
