package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// Bulk reads for match: whole tables, a few columns each, as fast as
// SQLite hands them over, decoded into the store's Row types and handed
// over a chunk at a time (Snapshot's methods, in snapshot.go).
//
// Rows come back in chunks, in rowid order, each chunk as one text:
// every row's values joined by concat_ws with a unit separator (bound as
// a parameter), rows joined by group_concat with a record separator. At a
// million rows per table, handing rows over one by one (a step, a text
// and an interface per row, through cgo and database/sql) cost more CPU
// than SQLite's own scan (7.3 s against 3.1 s for the five tables); one
// text per chunk, cut here, took that to about 4.5 s. A value holding
// either separator makes the chunk cut into the wrong number of rows or
// fields: that chunk is read again row by row, column by column.

// chunkSep joins a row's values and chunkRecSep the rows of a chunk: the
// ASCII unit and record separators, which ids and references do not hold
// in practice (and are read again when they do). char(30) in the chunk
// queries is chunkRecSep.
const (
	chunkSep    = "\x1f"
	chunkRecSep = "\x1e"
)

// ErrNoChunkedScan is returned by scanChunked for a table and column list
// that chunkedScans does not hold.
var ErrNoChunkedScan = errors.New("no chunked scan of these columns")

// chunkedScan is one table read scanChunked serves.
type chunkedScan struct {
	what string   // the rows' name in errors
	cols []string // the column names a caller lists, in order
}

// chunkedScans is the whole list of reads scanChunked accepts, by table:
// the columns match reads, and no others. The SQL of each is written out
// in chunkedSQL and chunkedRowSQL (TestChunkedSQL holds the two to the
// same column expressions), so that no caller text ever becomes SQL.
// Every value arrives as text: a time as stored, a NULL as "" (an
// unknown amount_minor too: its amount_problem says why).
// dedup_key[:16] is the first 16 characters of the dedup key (hex of a
// SHA-256), enough to tell one transaction's notifications apart.
var chunkedScans = map[string]chunkedScan{
	"orders":        {what: "orders", cols: []string{"uid", "currency", "amount_minor", "amount_problem"}},
	"payment_links": {what: "payment links", cols: []string{"uid", "order_uid", "status", "currency", "amount_minor", "amount_problem", "paid_at"}},
	"transactions": {what: "transactions", cols: []string{"oxpay_txn_id", "merchant_reference_id", "oxpay_original_txn_id",
		"type", "state", "currency", "amount_minor", "refund_amount_minor", "payment_brand"}},
	"webhook_events": {what: "webhook events", cols: []string{"received_at", "oxpay_txn_id", "kind", "state", "currency",
		"amount_minor", "refund_amount_minor", "sig_check", "dedup_key[:16]"}},
	"ledger_entries": {what: "ledger entries", cols: []string{"booked_on", "reference", "currency", "amount_minor"}},
}

// The chunk queries return count(*) and the group_concat of the
// merchant's (?4) rows after rowid ?2, at most ?3 of them; ?1 is
// chunkSep. The row queries return the same rows one by one, every
// column as text. NOT INDEXED keeps them on the rowid range: left to
// choose, SQLite takes an index that leads with the merchant (every
// table has one since migration 0009), finds all the merchant's rows by
// it and sorts them by rowid for every chunk, a million rows sixty times
// over (the match's read at 1M orders went from 7 s to 17 s).
const (
	chunkHead = `SELECT count(*), group_concat(x, char(30)) FROM (SELECT concat_ws(?1, rowid, `
	chunkTail = ` NOT INDEXED WHERE rowid > ?2 AND merchant = ?4 ORDER BY rowid LIMIT ?3)`
	rowTail   = ` NOT INDEXED WHERE rowid > ?1 AND merchant = ?3 ORDER BY rowid LIMIT ?2`
)

var chunkedSQL = map[string]string{
	"orders":         chunkHead + `uid, currency, COALESCE(amount_minor, ''), amount_problem) AS x FROM orders` + chunkTail,
	"payment_links":  chunkHead + `uid, order_uid, status, currency, COALESCE(amount_minor, ''), amount_problem, COALESCE(CAST(paid_at AS TEXT), '')) AS x FROM payment_links` + chunkTail,
	"transactions":   chunkHead + `oxpay_txn_id, merchant_reference_id, oxpay_original_txn_id, type, state, currency, amount_minor, refund_amount_minor, payment_brand) AS x FROM transactions` + chunkTail,
	"webhook_events": chunkHead + `CAST(received_at AS TEXT), oxpay_txn_id, kind, state, currency, amount_minor, refund_amount_minor, sig_check, substr(dedup_key, 1, 16)) AS x FROM webhook_events` + chunkTail,
	"ledger_entries": chunkHead + `CAST(booked_on AS TEXT), reference, currency, amount_minor) AS x FROM ledger_entries` + chunkTail,
}

var chunkedRowSQL = map[string]string{
	"orders":         `SELECT rowid, CAST(uid AS TEXT), CAST(currency AS TEXT), CAST(COALESCE(amount_minor, '') AS TEXT), CAST(amount_problem AS TEXT) FROM orders` + rowTail,
	"payment_links":  `SELECT rowid, CAST(uid AS TEXT), CAST(order_uid AS TEXT), CAST(status AS TEXT), CAST(currency AS TEXT), CAST(COALESCE(amount_minor, '') AS TEXT), CAST(amount_problem AS TEXT), CAST(COALESCE(CAST(paid_at AS TEXT), '') AS TEXT) FROM payment_links` + rowTail,
	"transactions":   `SELECT rowid, CAST(oxpay_txn_id AS TEXT), CAST(merchant_reference_id AS TEXT), CAST(oxpay_original_txn_id AS TEXT), CAST(type AS TEXT), CAST(state AS TEXT), CAST(currency AS TEXT), CAST(amount_minor AS TEXT), CAST(refund_amount_minor AS TEXT), CAST(payment_brand AS TEXT) FROM transactions` + rowTail,
	"webhook_events": `SELECT rowid, CAST(CAST(received_at AS TEXT) AS TEXT), CAST(oxpay_txn_id AS TEXT), CAST(kind AS TEXT), CAST(state AS TEXT), CAST(currency AS TEXT), CAST(amount_minor AS TEXT), CAST(refund_amount_minor AS TEXT), CAST(sig_check AS TEXT), CAST(substr(dedup_key, 1, 16) AS TEXT) FROM webhook_events` + rowTail,
	"ledger_entries": `SELECT rowid, CAST(CAST(booked_on AS TEXT) AS TEXT), CAST(reference AS TEXT), CAST(currency AS TEXT), CAST(amount_minor AS TEXT) FROM ledger_entries` + rowTail,
}

// Snapshot is one read transaction on a connection of its own: every
// read through it sees the database as it was at its first read. It is
// not safe for concurrent use; two Snapshots read in parallel.
type Snapshot struct {
	conn     *sqlx.Conn
	merchant string
	// chunk is how many rows one chunk query returns (readChunk).
	chunk int
}

var _ store.Snapshot = (*Snapshot)(nil)

// readChunk is how many rows one chunk query returns: 0.5 to 1.6 MB of
// text, alive until it is cut.
const readChunk = 16384

// SetReadChunk sets how many rows db's snapshots read per query
// (16384 unless set), for tests that cut chunks in odd places.
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
	defer func() { s.conn = nil }()
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
	rows, err := s.conn.QueryxContext(ctx, webhookReferencesSQL, s.merchant)
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
// and its cols, as text (see chunkedScans for the tables, columns and
// forms it serves; any other list is ErrNoChunkedScan), and flush (if not
// nil) after each chunk's rows. It reads chunk rows per query. fn must
// not keep fields (reused); their strings stay valid until flush
// returns. An error from fn or flush stops the scan and is returned,
// wrapped.
func (s *Snapshot) scanChunked(ctx context.Context, table string, cols []string, chunk int, fn func(rowid int64, fields []string) error, flush func() error) error {
	sc, ok := chunkedScans[table]
	if !ok || !slices.Equal(sc.cols, cols) {
		return fmt.Errorf("scan %q %q: %w", table, cols, ErrNoChunkedScan)
	}
	if chunk < 1 {
		return fmt.Errorf("scan %s: chunk of %d rows, want at least 1", sc.what, chunk)
	}
	chunkQ, ok1 := chunkedSQL[table]
	rowQ, ok2 := chunkedRowSQL[table]
	if !ok1 || !ok2 {
		return fmt.Errorf("scan %q: %w", table, ErrNoChunkedScan)
	}
	width := 1 + len(cols) // the rowid, then the columns
	var (
		after  int64
		n      int
		text   sql.NullString
		fields []string // every row's fields, reused from chunk to chunk
		ids    []int64  // every row's rowid, likewise
	)
	for {
		if err := s.conn.QueryRowxContext(ctx, chunkQ, chunkSep, after, chunk, s.merchant).Scan(&n, &text); err != nil {
			return fmt.Errorf("read %s: %w", sc.what, err)
		}
		if n == 0 {
			return nil
		}
		fields = slices.Grow(fields[:0], n*width)[:n*width]
		var cut bool
		if ids, cut = chunkCut(text.String, n, after, fields, slices.Grow(ids[:0], n)); !cut {
			last, err := s.scanRows(ctx, sc.what, rowQ, after, chunk, fields[:width], fn)
			if err != nil {
				return err
			}
			after = last
		} else {
			for i, id := range ids {
				if err := fn(id, fields[i*width+1:(i+1)*width]); err != nil {
					return fmt.Errorf("read %s: %w", sc.what, err)
				}
			}
			after = ids[len(ids)-1]
		}
		if flush != nil {
			if err := flush(); err != nil {
				return fmt.Errorf("read %s: %w", sc.what, err)
			}
		}
	}
}

// chunkCut cuts a chunk's text into n rows of fields (len(fields)/n
// each, the rowid first) with rowids rising from after, and returns the
// rowids, appended to ids. It reports false when the text does not cut
// that way: some value holds a separator.
func chunkCut(text string, n int, after int64, fields []string, ids []int64) ([]int64, bool) {
	width := len(fields) / n
	last := after
	i := 0
	for line := range strings.SplitSeq(text, chunkRecSep) {
		if i == len(fields) || !chunkSplit(line, fields[i:i+width]) {
			return ids, false
		}
		id, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil || id <= last {
			return ids, false
		}
		ids = append(ids, id)
		last = id
		i += width
	}
	return ids, i == len(fields)
}

// chunkSplit cuts line into exactly len(out) fields, without allocating;
// it reports false when the count differs.
func chunkSplit(line string, out []string) bool {
	for i := range len(out) - 1 {
		j := strings.IndexByte(line, chunkSep[0])
		if j < 0 {
			return false
		}
		out[i], line = line[:j], line[j+1:]
	}
	if strings.IndexByte(line, chunkSep[0]) >= 0 {
		return false
	}
	out[len(out)-1] = line
	return true
}

// scanRows reads the chunk after rowid after column by column, for a
// chunk whose text did not cut cleanly, and returns the last rowid.
func (s *Snapshot) scanRows(ctx context.Context, what, query string, after int64, chunk int, f []string, fn func(rowid int64, fields []string) error) (int64, error) {
	rows, err := s.conn.QueryxContext(ctx, query, after, chunk, s.merchant)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	vals := make([]sql.NullString, len(f))
	dest := make([]any, len(f))
	for i := range vals {
		dest[i] = &vals[i]
	}
	last := after
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return 0, fmt.Errorf("read %s: %w", what, err)
		}
		for i, v := range vals {
			f[i] = v.String
		}
		if last, err = strconv.ParseInt(f[0], 10, 64); err != nil {
			return 0, fmt.Errorf("read %s: rowid %q: %w", what, f[0], err)
		}
		if err := fn(last, f[1:]); err != nil {
			return 0, fmt.Errorf("read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", what, err)
	}
	return last, nil
}
