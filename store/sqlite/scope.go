package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/reconkit/reconkit/store"
)

// An incremental match's reads (store/scope.go): the snapshot's mark,
// the rows beyond an earlier one, the rows a set of keys reaches, the
// span of the older keys of a class, and the table scans restricted to
// a scope. Keys, marks and scopes go into
// temporary tables of the snapshot's connection, created inside its read
// transaction, so that its ROLLBACK (Close) drops them; every query
// joins from them with the join order forced (CROSS JOIN): SQLite keeps
// no statistics here, and left to itself walks a whole index and probes
// the key table instead (docs/performance.md, "A month of nights").

// scopeTemp creates the temporary tables, once per snapshot.
const scopeTemp = `CREATE TEMP TABLE IF NOT EXISTS scope_mark (hook INTEGER NOT NULL, ledger INTEGER NOT NULL, orders INTEGER NOT NULL,
    links INTEGER NOT NULL, txns INTEGER NOT NULL, changed TEXT NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS reach_txn (k TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS reach_ref (k TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS scope_orders (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS scope_links (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS scope_txns (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS scope_hooks (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS scope_ledger (id INTEGER PRIMARY KEY)`

// keyedScan is one query of Since or Reach: the table its rows come
// from, how many columns it reads (the row's id, then its keys), and,
// in Reach, whether it probes with the reference keys rather than the
// transaction ids.
type keyedScan struct {
	table int
	width int
	query string
	refs  bool
}

// The columns each table's queries read: the row id, then its keys.
const (
	orderKeyed = `o.rowid, o.uid`
	linkKeyed  = `l.rowid, l.uid, l.order_uid`
	txnKeyed   = `t.rowid, t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id`
	hookKeyed  = `w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id`
	lineKeyed  = `e.id, e.reference`
)

// sinceScans find the rows beyond the mark: the orders, links and
// transactions added since (by row id: a new row is found even if the
// clock that stamped it ran slow) or, older, changed since (by
// changed_at), and the deliveries and ledger lines added since. A range
// of row ids is read NOT INDEXED, which keeps SQLite on it where it would
// otherwise walk an index that leads with the merchant, every row of it.
var sinceScans = []keyedScan{
	{table: store.KeyedOrder, width: 2, query: `SELECT ` + orderKeyed + ` FROM orders o WHERE o.merchant = ?1 AND o.changed_at > (SELECT changed FROM temp.scope_mark) AND o.rowid <= (SELECT orders FROM temp.scope_mark)`},
	{table: store.KeyedOrder, width: 2, query: `SELECT ` + orderKeyed + ` FROM orders o NOT INDEXED WHERE o.rowid > (SELECT orders FROM temp.scope_mark) AND o.merchant = ?1`},
	{table: store.KeyedLink, width: 3, query: `SELECT ` + linkKeyed + ` FROM payment_links l WHERE l.merchant = ?1 AND l.changed_at > (SELECT changed FROM temp.scope_mark) AND l.rowid <= (SELECT links FROM temp.scope_mark)`},
	{table: store.KeyedLink, width: 3, query: `SELECT ` + linkKeyed + ` FROM payment_links l NOT INDEXED WHERE l.rowid > (SELECT links FROM temp.scope_mark) AND l.merchant = ?1`},
	{table: store.KeyedTxn, width: 4, query: `SELECT ` + txnKeyed + ` FROM transactions t WHERE t.merchant = ?1 AND t.changed_at > (SELECT changed FROM temp.scope_mark) AND t.rowid <= (SELECT txns FROM temp.scope_mark)`},
	{table: store.KeyedTxn, width: 4, query: `SELECT ` + txnKeyed + ` FROM transactions t NOT INDEXED WHERE t.rowid > (SELECT txns FROM temp.scope_mark) AND t.merchant = ?1`},
	{table: store.KeyedHook, width: 4, query: `SELECT ` + hookKeyed + ` FROM webhook_events w NOT INDEXED WHERE w.id > (SELECT hook FROM temp.scope_mark) AND w.merchant = ?1`},
	{table: store.KeyedLedger, width: 2, query: `SELECT ` + lineKeyed + ` FROM ledger_entries e NOT INDEXED WHERE e.id > (SELECT ledger FROM temp.scope_mark) AND e.merchant = ?1`},
}

// reachScans probe each key column's index with the keys of its kind,
// for the rows up to the mark (the others came from Since): the row id
// is in the index, so a newer row costs no read of the table. The
// partial indexes on original ids and webhook references are named by
// their condition.
var reachScans = []keyedScan{
	{table: store.KeyedTxn, width: 4, query: `SELECT ` + txnKeyed + ` FROM temp.reach_txn k CROSS JOIN transactions t
WHERE t.merchant = ?1 AND t.oxpay_txn_id = k.k AND t.rowid <= (SELECT txns FROM temp.scope_mark)`},
	{table: store.KeyedTxn, width: 4, query: `SELECT ` + txnKeyed + ` FROM temp.reach_txn k CROSS JOIN transactions t
WHERE t.merchant = ?1 AND t.oxpay_original_txn_id = k.k AND t.oxpay_original_txn_id <> '' AND t.rowid <= (SELECT txns FROM temp.scope_mark)`},
	{table: store.KeyedHook, width: 4, query: `SELECT ` + hookKeyed + ` FROM temp.reach_txn k CROSS JOIN webhook_events w
WHERE w.merchant = ?1 AND w.oxpay_txn_id = k.k AND w.id <= (SELECT hook FROM temp.scope_mark)`},
	{table: store.KeyedHook, width: 4, query: `SELECT ` + hookKeyed + ` FROM temp.reach_txn k CROSS JOIN webhook_events w
WHERE w.merchant = ?1 AND w.oxpay_original_txn_id = k.k AND w.oxpay_original_txn_id <> '' AND w.id <= (SELECT hook FROM temp.scope_mark)`},
	{table: store.KeyedLedger, width: 2, query: `SELECT ` + lineKeyed + ` FROM temp.reach_txn k CROSS JOIN ledger_entries e
WHERE e.merchant = ?1 AND e.reference = k.k AND e.id <= (SELECT ledger FROM temp.scope_mark)`},
	{table: store.KeyedOrder, width: 2, refs: true, query: `SELECT ` + orderKeyed + ` FROM temp.reach_ref k CROSS JOIN orders o
WHERE o.merchant = ?1 AND o.uid = k.k AND o.rowid <= (SELECT orders FROM temp.scope_mark)`},
	{table: store.KeyedLink, width: 3, refs: true, query: `SELECT ` + linkKeyed + ` FROM temp.reach_ref k CROSS JOIN payment_links l
WHERE l.merchant = ?1 AND l.uid = k.k AND l.rowid <= (SELECT links FROM temp.scope_mark)`},
	{table: store.KeyedLink, width: 3, refs: true, query: `SELECT ` + linkKeyed + ` FROM temp.reach_ref k CROSS JOIN payment_links l
WHERE l.merchant = ?1 AND l.order_uid = k.k AND l.rowid <= (SELECT links FROM temp.scope_mark)`},
	{table: store.KeyedTxn, width: 4, refs: true, query: `SELECT ` + txnKeyed + ` FROM temp.reach_ref k CROSS JOIN transactions t
WHERE t.merchant = ?1 AND t.merchant_reference_id = k.k AND t.rowid <= (SELECT txns FROM temp.scope_mark)`},
	{table: store.KeyedHook, width: 4, refs: true, query: `SELECT ` + hookKeyed + ` FROM temp.reach_ref k CROSS JOIN webhook_events w
WHERE w.merchant = ?1 AND w.merchant_reference_id = k.k AND w.merchant_reference_id <> '' AND w.id <= (SELECT hook FROM temp.scope_mark)`},
	{table: store.KeyedLedger, width: 2, refs: true, query: `SELECT ` + lineKeyed + ` FROM temp.reach_ref k CROSS JOIN ledger_entries e
WHERE e.merchant = ?1 AND e.reference = k.k AND e.id <= (SELECT ledger FROM temp.scope_mark)`},
}

// spanTxn and spanRef find, among the rows up to the mark, the least and
// the greatest key from ?2 up to (not including) ?3 in the transaction-id
// columns and in the reference columns: each column's index walked from
// either end of the range (named, or SQLite would read the rows up to
// the mark by row id instead), skipping the entries of newer rows.
const spanTxn = `SELECT min(lo), max(hi) FROM (SELECT (SELECT oxpay_txn_id FROM transactions INDEXED BY sqlite_autoindex_transactions_1 WHERE merchant = ?1 AND oxpay_txn_id >= ?2 AND oxpay_txn_id < ?3 AND rowid <= (SELECT txns FROM temp.scope_mark) ORDER BY oxpay_txn_id LIMIT 1) AS lo,
  (SELECT oxpay_txn_id FROM transactions INDEXED BY sqlite_autoindex_transactions_1 WHERE merchant = ?1 AND oxpay_txn_id >= ?2 AND oxpay_txn_id < ?3 AND rowid <= (SELECT txns FROM temp.scope_mark) ORDER BY oxpay_txn_id DESC LIMIT 1) AS hi
UNION ALL SELECT (SELECT oxpay_original_txn_id FROM transactions INDEXED BY transactions_original_txn_id WHERE merchant = ?1 AND oxpay_original_txn_id <> '' AND oxpay_original_txn_id >= ?2 AND oxpay_original_txn_id < ?3 AND rowid <= (SELECT txns FROM temp.scope_mark) ORDER BY oxpay_original_txn_id LIMIT 1) AS lo,
  (SELECT oxpay_original_txn_id FROM transactions INDEXED BY transactions_original_txn_id WHERE merchant = ?1 AND oxpay_original_txn_id <> '' AND oxpay_original_txn_id >= ?2 AND oxpay_original_txn_id < ?3 AND rowid <= (SELECT txns FROM temp.scope_mark) ORDER BY oxpay_original_txn_id DESC LIMIT 1) AS hi
UNION ALL SELECT (SELECT oxpay_txn_id FROM webhook_events INDEXED BY webhook_events_txn_id WHERE merchant = ?1 AND oxpay_txn_id >= ?2 AND oxpay_txn_id < ?3 AND id <= (SELECT hook FROM temp.scope_mark) ORDER BY oxpay_txn_id LIMIT 1) AS lo,
  (SELECT oxpay_txn_id FROM webhook_events INDEXED BY webhook_events_txn_id WHERE merchant = ?1 AND oxpay_txn_id >= ?2 AND oxpay_txn_id < ?3 AND id <= (SELECT hook FROM temp.scope_mark) ORDER BY oxpay_txn_id DESC LIMIT 1) AS hi
UNION ALL SELECT (SELECT oxpay_original_txn_id FROM webhook_events INDEXED BY webhook_events_original_txn_id WHERE merchant = ?1 AND oxpay_original_txn_id <> '' AND oxpay_original_txn_id >= ?2 AND oxpay_original_txn_id < ?3 AND id <= (SELECT hook FROM temp.scope_mark) ORDER BY oxpay_original_txn_id LIMIT 1) AS lo,
  (SELECT oxpay_original_txn_id FROM webhook_events INDEXED BY webhook_events_original_txn_id WHERE merchant = ?1 AND oxpay_original_txn_id <> '' AND oxpay_original_txn_id >= ?2 AND oxpay_original_txn_id < ?3 AND id <= (SELECT hook FROM temp.scope_mark) ORDER BY oxpay_original_txn_id DESC LIMIT 1) AS hi
UNION ALL SELECT (SELECT reference FROM ledger_entries INDEXED BY ledger_entries_reference WHERE merchant = ?1 AND reference >= ?2 AND reference < ?3 AND id <= (SELECT ledger FROM temp.scope_mark) ORDER BY reference LIMIT 1) AS lo,
  (SELECT reference FROM ledger_entries INDEXED BY ledger_entries_reference WHERE merchant = ?1 AND reference >= ?2 AND reference < ?3 AND id <= (SELECT ledger FROM temp.scope_mark) ORDER BY reference DESC LIMIT 1) AS hi)`

const spanRef = `SELECT min(lo), max(hi) FROM (SELECT (SELECT uid FROM orders INDEXED BY sqlite_autoindex_orders_1 WHERE merchant = ?1 AND uid >= ?2 AND uid < ?3 AND rowid <= (SELECT orders FROM temp.scope_mark) ORDER BY uid LIMIT 1) AS lo,
  (SELECT uid FROM orders INDEXED BY sqlite_autoindex_orders_1 WHERE merchant = ?1 AND uid >= ?2 AND uid < ?3 AND rowid <= (SELECT orders FROM temp.scope_mark) ORDER BY uid DESC LIMIT 1) AS hi
UNION ALL SELECT (SELECT uid FROM payment_links INDEXED BY sqlite_autoindex_payment_links_1 WHERE merchant = ?1 AND uid >= ?2 AND uid < ?3 AND rowid <= (SELECT links FROM temp.scope_mark) ORDER BY uid LIMIT 1) AS lo,
  (SELECT uid FROM payment_links INDEXED BY sqlite_autoindex_payment_links_1 WHERE merchant = ?1 AND uid >= ?2 AND uid < ?3 AND rowid <= (SELECT links FROM temp.scope_mark) ORDER BY uid DESC LIMIT 1) AS hi
UNION ALL SELECT (SELECT order_uid FROM payment_links INDEXED BY payment_links_order_uid WHERE merchant = ?1 AND order_uid >= ?2 AND order_uid < ?3 AND rowid <= (SELECT links FROM temp.scope_mark) ORDER BY order_uid LIMIT 1) AS lo,
  (SELECT order_uid FROM payment_links INDEXED BY payment_links_order_uid WHERE merchant = ?1 AND order_uid >= ?2 AND order_uid < ?3 AND rowid <= (SELECT links FROM temp.scope_mark) ORDER BY order_uid DESC LIMIT 1) AS hi
UNION ALL SELECT (SELECT merchant_reference_id FROM transactions INDEXED BY transactions_merchant_reference_id WHERE merchant = ?1 AND merchant_reference_id >= ?2 AND merchant_reference_id < ?3 AND rowid <= (SELECT txns FROM temp.scope_mark) ORDER BY merchant_reference_id LIMIT 1) AS lo,
  (SELECT merchant_reference_id FROM transactions INDEXED BY transactions_merchant_reference_id WHERE merchant = ?1 AND merchant_reference_id >= ?2 AND merchant_reference_id < ?3 AND rowid <= (SELECT txns FROM temp.scope_mark) ORDER BY merchant_reference_id DESC LIMIT 1) AS hi
UNION ALL SELECT (SELECT merchant_reference_id FROM webhook_events INDEXED BY webhook_events_reference WHERE merchant = ?1 AND merchant_reference_id <> '' AND merchant_reference_id >= ?2 AND merchant_reference_id < ?3 AND id <= (SELECT hook FROM temp.scope_mark) ORDER BY merchant_reference_id LIMIT 1) AS lo,
  (SELECT merchant_reference_id FROM webhook_events INDEXED BY webhook_events_reference WHERE merchant = ?1 AND merchant_reference_id <> '' AND merchant_reference_id >= ?2 AND merchant_reference_id < ?3 AND id <= (SELECT hook FROM temp.scope_mark) ORDER BY merchant_reference_id DESC LIMIT 1) AS hi
UNION ALL SELECT (SELECT reference FROM ledger_entries INDEXED BY ledger_entries_reference WHERE merchant = ?1 AND reference >= ?2 AND reference < ?3 AND id <= (SELECT ledger FROM temp.scope_mark) ORDER BY reference LIMIT 1) AS lo,
  (SELECT reference FROM ledger_entries INDEXED BY ledger_entries_reference WHERE merchant = ?1 AND reference >= ?2 AND reference < ?3 AND id <= (SELECT ledger FROM temp.scope_mark) ORDER BY reference DESC LIMIT 1) AS hi)`

// scopedScan is a table read restricted to a scope, the same columns in
// the same order as tableScans': the rows up to the scope's mark looked
// up by row id (old), then those beyond it read as a range (beyond), so
// that the night's own rows cost what a whole table scan costs a row.
type scopedScan struct {
	old, beyond string
}

var scopedScans = map[string]scopedScan{
	"orders": {
		old:    `SELECT o.rowid, o.uid, o.currency, o.amount_minor, o.amount_problem FROM temp.scope_orders s CROSS JOIN orders o WHERE o.rowid = s.id AND o.merchant = ?1 ORDER BY s.id`,
		beyond: `SELECT rowid, uid, currency, amount_minor, amount_problem FROM orders NOT INDEXED WHERE rowid > (SELECT orders FROM temp.scope_mark) AND merchant = ?1 ORDER BY rowid`},
	"payment_links": {
		old:    `SELECT l.rowid, l.uid, l.order_uid, l.status, l.currency, l.amount_minor, l.amount_problem, CAST(l.paid_at AS TEXT) FROM temp.scope_links s CROSS JOIN payment_links l WHERE l.rowid = s.id AND l.merchant = ?1 ORDER BY s.id`,
		beyond: `SELECT rowid, uid, order_uid, status, currency, amount_minor, amount_problem, CAST(paid_at AS TEXT) FROM payment_links NOT INDEXED WHERE rowid > (SELECT links FROM temp.scope_mark) AND merchant = ?1 ORDER BY rowid`},
	"transactions": {
		old:    `SELECT t.rowid, t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id, t.type, t.state, t.currency, t.amount_minor, t.refund_amount_minor, t.payment_brand FROM temp.scope_txns s CROSS JOIN transactions t WHERE t.rowid = s.id AND t.merchant = ?1 ORDER BY s.id`,
		beyond: `SELECT rowid, oxpay_txn_id, merchant_reference_id, oxpay_original_txn_id, type, state, currency, amount_minor, refund_amount_minor, payment_brand FROM transactions NOT INDEXED WHERE rowid > (SELECT txns FROM temp.scope_mark) AND merchant = ?1 ORDER BY rowid`},
	"webhook_events": {
		old:    `SELECT w.rowid, CAST(w.received_at AS TEXT), w.oxpay_txn_id, w.kind, w.state, w.currency, w.amount_minor, w.refund_amount_minor, w.sig_check, substr(w.dedup_key, 1, 16) FROM temp.scope_hooks s CROSS JOIN webhook_events w WHERE w.id = s.id AND w.merchant = ?1 ORDER BY s.id`,
		beyond: `SELECT rowid, CAST(received_at AS TEXT), oxpay_txn_id, kind, state, currency, amount_minor, refund_amount_minor, sig_check, substr(dedup_key, 1, 16) FROM webhook_events NOT INDEXED WHERE rowid > (SELECT hook FROM temp.scope_mark) AND merchant = ?1 ORDER BY rowid`},
	"ledger_entries": {
		old:    `SELECT e.rowid, CAST(e.booked_on AS TEXT), e.reference, e.currency, e.amount_minor FROM temp.scope_ledger s CROSS JOIN ledger_entries e WHERE e.id = s.id AND e.merchant = ?1 ORDER BY s.id`,
		beyond: `SELECT rowid, CAST(booked_on AS TEXT), reference, currency, amount_minor FROM ledger_entries NOT INDEXED WHERE rowid > (SELECT ledger FROM temp.scope_mark) AND merchant = ?1 ORDER BY rowid`},
}

// scopedWebhookReferencesSQL is webhookReferencesSQL over the scope.
const scopedWebhookReferencesSQL = `SELECT w.id, w.oxpay_original_txn_id, w.merchant_reference_id FROM temp.scope_hooks s CROSS JOIN webhook_events w WHERE w.id = s.id AND w.merchant = ?1
UNION ALL SELECT id, oxpay_original_txn_id, merchant_reference_id FROM webhook_events NOT INDEXED WHERE id > (SELECT hook FROM temp.scope_mark) AND merchant = ?1`

// temp creates the snapshot's temporary tables.
func (s *Snapshot) temp(ctx context.Context) error {
	if s.hasTemp {
		return nil
	}
	if _, err := s.conn.ExecContext(ctx, scopeTemp); err != nil {
		return fmt.Errorf("scope: temporary tables: %w", err)
	}
	s.hasTemp = true
	return nil
}

// Mark returns how far the snapshot's tables run. Each last row id is
// read backwards from the end of its table (NOT INDEXED, for the reason
// sinceScans give).
func (s *Snapshot) Mark(ctx context.Context) (store.Mark, error) {
	var m store.Mark
	var changed *string
	err := s.conn.QueryRowxContext(ctx, `SELECT
 COALESCE((SELECT id FROM webhook_events NOT INDEXED WHERE merchant = ?1 ORDER BY id DESC LIMIT 1), 0),
 COALESCE((SELECT id FROM ledger_entries NOT INDEXED WHERE merchant = ?1 ORDER BY id DESC LIMIT 1), 0),
 COALESCE((SELECT rowid FROM orders NOT INDEXED WHERE merchant = ?1 ORDER BY rowid DESC LIMIT 1), 0),
 COALESCE((SELECT rowid FROM payment_links NOT INDEXED WHERE merchant = ?1 ORDER BY rowid DESC LIMIT 1), 0),
 COALESCE((SELECT rowid FROM transactions NOT INDEXED WHERE merchant = ?1 ORDER BY rowid DESC LIMIT 1), 0),
 (SELECT MAX(c) FROM (SELECT MAX(changed_at) AS c FROM orders WHERE merchant = ?1
  UNION ALL SELECT MAX(changed_at) FROM payment_links WHERE merchant = ?1
  UNION ALL SELECT MAX(changed_at) FROM transactions WHERE merchant = ?1))`, s.merchant).Scan(&m.WebhookID, &m.LedgerID,
		&m.OrderID, &m.LinkID, &m.TxnID, &changed)
	if err != nil {
		return m, fmt.Errorf("read the match mark: %w", err)
	}
	if changed != nil {
		if m.ChangedAt, err = parseStamp(*changed); err != nil {
			return m, fmt.Errorf("read the match mark: changed_at: %w", err)
		}
	}
	return m, nil
}

// Since hands over the rows of tables stored or changed after m.
func (s *Snapshot) Since(ctx context.Context, m store.Mark, tables []int, fn func([]store.KeyedRow) error) error {
	if err := s.temp(ctx); err != nil {
		return err
	}
	if err := s.useMark(ctx, m); err != nil {
		return err
	}
	var scans []keyedScan
	for _, sc := range sinceScans {
		if slices.Contains(tables, sc.table) {
			scans = append(scans, sc)
		}
	}
	return s.keyed(ctx, scans, fn)
}

// useMark sets m as the mark unless it is already.
func (s *Snapshot) useMark(ctx context.Context, m store.Mark) error {
	if s.mark != nil && *s.mark == m {
		return nil
	}
	return s.setMark(ctx, m)
}

// setMark puts m where the queries read it, temp.scope_mark.
func (s *Snapshot) setMark(ctx context.Context, m store.Mark) error {
	changed := ""
	if !m.ChangedAt.IsZero() {
		changed = string(appendTimeText(nil, m.ChangedAt))
	}
	if _, err := s.conn.ExecContext(ctx, `DELETE FROM temp.scope_mark`); err != nil {
		return fmt.Errorf("scope: mark: %w", err)
	}
	if _, err := s.conn.ExecContext(ctx, `INSERT INTO temp.scope_mark (hook, ledger, orders, links, txns, changed) VALUES (?, ?, ?, ?, ?, ?)`,
		m.WebhookID, m.LedgerID, m.OrderID, m.LinkID, m.TxnID, changed); err != nil {
		return fmt.Errorf("scope: mark: %w", err)
	}
	s.mark = &m
	return nil
}

// Reach hands over the rows up to m with one of txnKeys in a
// transaction-id column or one of refKeys in a reference column.
func (s *Snapshot) Reach(ctx context.Context, m store.Mark, txnKeys, refKeys []string, fn func([]store.KeyedRow) error) error {
	if err := s.temp(ctx); err != nil {
		return err
	}
	if err := s.useMark(ctx, m); err != nil {
		return err
	}
	for _, t := range []struct {
		table string
		keys  []string
	}{{"reach_txn", txnKeys}, {"reach_ref", refKeys}} {
		if _, err := s.conn.ExecContext(ctx, `DELETE FROM temp.`+t.table); err != nil {
			return fmt.Errorf("scope: keys: %w", err)
		}
		if err := s.fillText(ctx, t.table, t.keys); err != nil {
			return err
		}
	}
	var scans []keyedScan
	for _, sc := range reachScans {
		if (sc.refs && len(refKeys) > 0) || (!sc.refs && len(txnKeys) > 0) {
			scans = append(scans, sc)
		}
	}
	return s.keyed(ctx, scans, fn)
}

// Span finds the least and the greatest key from from up to (not
// including) to in the rows up to m, in the reference columns (refs)
// or the transaction-id columns. SQLite compares text byte by byte, as
// Go does.
func (s *Snapshot) Span(ctx context.Context, m store.Mark, refs bool, from, to string) (store.Span, error) {
	if err := s.temp(ctx); err != nil {
		return store.Span{}, err
	}
	if err := s.useMark(ctx, m); err != nil {
		return store.Span{}, err
	}
	query := spanTxn
	if refs {
		query = spanRef
	}
	var lo, hi sql.NullString
	if err := s.conn.QueryRowxContext(ctx, query, s.merchant, from, to).Scan(&lo, &hi); err != nil {
		return store.Span{}, fmt.Errorf("scope: the span of the keys from %q: %w", from, err)
	}
	if !lo.Valid || !hi.Valid {
		return store.Span{Empty: true}, nil
	}
	return store.Span{Lo: lo.String, Hi: hi.String}, nil
}

// keyed runs scans, handing over their rows a chunk at a time.
func (s *Snapshot) keyed(ctx context.Context, scans []keyedScan, fn func([]store.KeyedRow) error) error {
	var batch []store.KeyedRow
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := fn(batch)
		batch = batch[:0]
		return err
	}
	for _, sc := range scans {
		err := scanTable(ctx, s.conn, sc.query, s.merchant, sc.width, s.chunk, func(v []scanVal) error {
			r := store.KeyedRow{Table: sc.table}
			if v[0].kind != valInt {
				return fmt.Errorf("row id %q is not an integer", v[0].text())
			}
			r.ID = v[0].i
			for i, k := range v[1:] {
				r.Keys[i] = k.text()
			}
			batch = append(batch, r)
			return nil
		}, flush)
		if err != nil {
			return fmt.Errorf("scope: %w", err)
		}
	}
	return nil
}

// Restrict makes the table reads that follow return the scope's rows
// only.
func (s *Snapshot) Restrict(ctx context.Context, sc store.Scope) error {
	if err := s.temp(ctx); err != nil {
		return err
	}
	// Without a mark every row is read by id: a mark past every id.
	beyond := store.Mark{WebhookID: math.MaxInt64, LedgerID: math.MaxInt64, OrderID: math.MaxInt64, LinkID: math.MaxInt64, TxnID: math.MaxInt64}
	if sc.Beyond != nil {
		beyond = *sc.Beyond
	}
	if err := s.setMark(ctx, beyond); err != nil {
		return err
	}
	for _, f := range []struct {
		table string
		ids   []int64
		upTo  int64
	}{{"scope_orders", sc.Orders, beyond.OrderID}, {"scope_links", sc.Links, beyond.LinkID}, {"scope_txns", sc.Txns, beyond.TxnID},
		{"scope_hooks", sc.Hooks, beyond.WebhookID}, {"scope_ledger", sc.Ledger, beyond.LedgerID}} {
		if _, err := s.conn.ExecContext(ctx, `DELETE FROM temp.`+f.table); err != nil {
			return fmt.Errorf("scope: %w", err)
		}
		var old []int64
		for _, id := range f.ids {
			if id <= f.upTo {
				old = append(old, id)
			}
		}
		if err := s.fillIDs(ctx, f.table, old); err != nil {
			return err
		}
	}
	s.scope = &sc
	return nil
}

// fillBatch is how many values one statement adds to a temporary table.
const fillBatch = 50000

// fillText adds keys to a temporary table of text keys: as one JSON
// array per statement, which SQLite takes apart far faster than
// database/sql binds one value per call. A key that is not valid UTF-8
// would not survive JSON unchanged; those go in one at a time.
func (s *Snapshot) fillText(ctx context.Context, table string, keys []string) error {
	var odd []string
	for start := 0; start < len(keys); start += fillBatch {
		part := keys[start:min(start+fillBatch, len(keys))]
		valid := part[:0:0]
		for _, k := range part {
			if utf8.ValidString(k) {
				valid = append(valid, k)
			} else {
				odd = append(odd, k)
			}
		}
		b, err := json.Marshal(valid)
		if err != nil {
			return fmt.Errorf("scope: %s: %w", table, err)
		}
		if _, err := s.conn.ExecContext(ctx, `INSERT OR IGNORE INTO temp.`+table+` (k) SELECT value FROM json_each(?)`, string(b)); err != nil {
			return fmt.Errorf("scope: %s: %w", table, err)
		}
	}
	for _, k := range odd {
		if _, err := s.conn.ExecContext(ctx, `INSERT OR IGNORE INTO temp.`+table+` (k) VALUES (?)`, k); err != nil {
			return fmt.Errorf("scope: %s: %w", table, err)
		}
	}
	return nil
}

// fillIDs adds ids to a temporary table of ids.
func (s *Snapshot) fillIDs(ctx context.Context, table string, ids []int64) error {
	var b []byte
	for start := 0; start < len(ids); start += fillBatch {
		b = append(b[:0], '[')
		for i, id := range ids[start:min(start+fillBatch, len(ids))] {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, id, 10)
		}
		b = append(b, ']')
		if _, err := s.conn.ExecContext(ctx, `INSERT OR IGNORE INTO temp.`+table+` (id) SELECT value FROM json_each(?)`, string(b)); err != nil {
			return fmt.Errorf("scope: %s: %w", table, err)
		}
	}
	return nil
}
