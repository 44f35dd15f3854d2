package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/reconkit/reconkit/store"
)

// An incremental match's reads (store/scope.go): the snapshot's mark,
// the rows beyond an earlier one, the rows a set of keys reaches, and
// the table scans restricted to a scope. Keys, marks and scopes go into
// temporary tables of the snapshot's connection, created inside its read
// transaction, so that its ROLLBACK (Close) drops them; every query
// joins from them with the join order forced (CROSS JOIN): SQLite keeps
// no statistics here, and left to itself walks a whole index and probes
// the key table instead (docs/performance.md, "A month of nights").

// scopeTemp creates the temporary tables, once per snapshot.
const scopeTemp = `CREATE TEMP TABLE IF NOT EXISTS scope_mark (hook INTEGER NOT NULL, ledger INTEGER NOT NULL, changed TEXT NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS reach_keys (k TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS scope_orders (k TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS scope_links (k TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS scope_txns (k TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS scope_hooks (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS scope_ledger (id INTEGER PRIMARY KEY)`

// keyedScan is one query of Since or Reach: the table its rows come
// from, and how many columns it reads (the row's own id or uid first,
// then its keys).
type keyedScan struct {
	table int
	width int
	query string
}

// The first column is the row's own key; for orders, links and
// transactions it is also its first key. The deliveries and ledger lines
// beyond a mark are a range of ids: NOT INDEXED keeps SQLite on it, where
// it would otherwise walk an index that leads with the merchant, every
// row of it.
var sinceScans = []keyedScan{
	{store.KeyedOrder, 1, `SELECT o.uid FROM orders o WHERE o.merchant = ?1 AND o.changed_at > (SELECT changed FROM temp.scope_mark)`},
	{store.KeyedLink, 2, `SELECT l.uid, l.order_uid FROM payment_links l WHERE l.merchant = ?1 AND l.changed_at > (SELECT changed FROM temp.scope_mark)`},
	{store.KeyedTxn, 3, `SELECT t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id FROM transactions t WHERE t.merchant = ?1 AND t.changed_at > (SELECT changed FROM temp.scope_mark)`},
	{store.KeyedHook, 4, `SELECT w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id FROM webhook_events w NOT INDEXED WHERE w.id > (SELECT hook FROM temp.scope_mark) AND w.merchant = ?1`},
	{store.KeyedLedger, 2, `SELECT e.id, e.reference FROM ledger_entries e NOT INDEXED WHERE e.id > (SELECT ledger FROM temp.scope_mark) AND e.merchant = ?1`},
}

// reachScans probe every key column's index with every key. The partial
// indexes on original ids and webhook references are named by their
// condition.
var reachScans = []keyedScan{
	{store.KeyedOrder, 1, `SELECT o.uid FROM temp.reach_keys k CROSS JOIN orders o WHERE o.merchant = ?1 AND o.uid = k.k`},
	{store.KeyedLink, 2, `SELECT l.uid, l.order_uid FROM temp.reach_keys k CROSS JOIN payment_links l WHERE l.merchant = ?1 AND l.uid = k.k`},
	{store.KeyedLink, 2, `SELECT l.uid, l.order_uid FROM temp.reach_keys k CROSS JOIN payment_links l WHERE l.merchant = ?1 AND l.order_uid = k.k`},
	{store.KeyedTxn, 3, `SELECT t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id FROM temp.reach_keys k CROSS JOIN transactions t WHERE t.merchant = ?1 AND t.oxpay_txn_id = k.k`},
	{store.KeyedTxn, 3, `SELECT t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id FROM temp.reach_keys k CROSS JOIN transactions t WHERE t.merchant = ?1 AND t.merchant_reference_id = k.k`},
	{store.KeyedTxn, 3, `SELECT t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id FROM temp.reach_keys k CROSS JOIN transactions t WHERE t.merchant = ?1 AND t.oxpay_original_txn_id = k.k AND t.oxpay_original_txn_id <> ''`},
	{store.KeyedHook, 4, `SELECT w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id FROM temp.reach_keys k CROSS JOIN webhook_events w WHERE w.merchant = ?1 AND w.oxpay_txn_id = k.k`},
	{store.KeyedHook, 4, `SELECT w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id FROM temp.reach_keys k CROSS JOIN webhook_events w WHERE w.merchant = ?1 AND w.oxpay_original_txn_id = k.k AND w.oxpay_original_txn_id <> ''`},
	{store.KeyedHook, 4, `SELECT w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id FROM temp.reach_keys k CROSS JOIN webhook_events w WHERE w.merchant = ?1 AND w.merchant_reference_id = k.k AND w.merchant_reference_id <> ''`},
	{store.KeyedLedger, 2, `SELECT e.id, e.reference FROM temp.reach_keys k CROSS JOIN ledger_entries e WHERE e.merchant = ?1 AND e.reference = k.k`},
}

// scopedScans are tableScans restricted to the scope's rows, the same
// columns in the same order.
var scopedScans = map[string]tableScan{
	"orders": {what: "orders", width: 4,
		query: `SELECT o.rowid, o.uid, o.currency, o.amount_minor, o.amount_problem FROM temp.scope_orders s CROSS JOIN orders o WHERE o.merchant = ?1 AND o.uid = s.k ORDER BY o.rowid`},
	"payment_links": {what: "payment links", width: 7,
		query: `SELECT l.rowid, l.uid, l.order_uid, l.status, l.currency, l.amount_minor, l.amount_problem, CAST(l.paid_at AS TEXT) FROM temp.scope_links s CROSS JOIN payment_links l WHERE l.merchant = ?1 AND l.uid = s.k ORDER BY l.rowid`},
	"transactions": {what: "transactions", width: 9,
		query: `SELECT t.rowid, t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id, t.type, t.state, t.currency, t.amount_minor, t.refund_amount_minor, t.payment_brand FROM temp.scope_txns s CROSS JOIN transactions t WHERE t.merchant = ?1 AND t.oxpay_txn_id = s.k ORDER BY t.rowid`},
	"webhook_events": {what: "webhook events", width: 9,
		query: `SELECT w.rowid, CAST(w.received_at AS TEXT), w.oxpay_txn_id, w.kind, w.state, w.currency, w.amount_minor, w.refund_amount_minor, w.sig_check, substr(w.dedup_key, 1, 16) FROM temp.scope_hooks s CROSS JOIN webhook_events w WHERE w.id = s.id AND w.merchant = ?1 ORDER BY s.id`},
	"ledger_entries": {what: "ledger entries", width: 4,
		query: `SELECT e.rowid, CAST(e.booked_on AS TEXT), e.reference, e.currency, e.amount_minor FROM temp.scope_ledger s CROSS JOIN ledger_entries e WHERE e.id = s.id AND e.merchant = ?1 ORDER BY s.id`},
}

// scopedWebhookReferencesSQL is webhookReferencesSQL over the scope.
const scopedWebhookReferencesSQL = `SELECT w.id, w.oxpay_original_txn_id, w.merchant_reference_id FROM temp.scope_hooks s CROSS JOIN webhook_events w WHERE w.id = s.id AND w.merchant = ?`

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

// Mark returns how far the snapshot's tables run. The last id is read
// backwards from the end of the table (NOT INDEXED, for the reason the
// Since scans give).
func (s *Snapshot) Mark(ctx context.Context) (store.Mark, error) {
	var m store.Mark
	var changed *string
	err := s.conn.QueryRowxContext(ctx, `SELECT
 COALESCE((SELECT id FROM webhook_events NOT INDEXED WHERE merchant = ?1 ORDER BY id DESC LIMIT 1), 0),
 COALESCE((SELECT id FROM ledger_entries NOT INDEXED WHERE merchant = ?1 ORDER BY id DESC LIMIT 1), 0),
 (SELECT MAX(c) FROM (SELECT MAX(changed_at) AS c FROM orders WHERE merchant = ?1
  UNION ALL SELECT MAX(changed_at) FROM payment_links WHERE merchant = ?1
  UNION ALL SELECT MAX(changed_at) FROM transactions WHERE merchant = ?1))`, s.merchant).Scan(&m.WebhookID, &m.LedgerID, &changed)
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

// Since hands over the rows stored or changed after m.
func (s *Snapshot) Since(ctx context.Context, m store.Mark, fn func([]store.KeyedRow) error) error {
	if err := s.temp(ctx); err != nil {
		return err
	}
	changed := ""
	if !m.ChangedAt.IsZero() {
		changed = string(appendTimeText(nil, m.ChangedAt))
	}
	if _, err := s.conn.ExecContext(ctx, `DELETE FROM temp.scope_mark`); err != nil {
		return fmt.Errorf("scope: mark: %w", err)
	}
	if _, err := s.conn.ExecContext(ctx, `INSERT INTO temp.scope_mark (hook, ledger, changed) VALUES (?, ?, ?)`, m.WebhookID, m.LedgerID, changed); err != nil {
		return fmt.Errorf("scope: mark: %w", err)
	}
	return s.keyed(ctx, sinceScans, fn)
}

// Reach hands over every row with one of keys in a key column.
func (s *Snapshot) Reach(ctx context.Context, keys []string, fn func([]store.KeyedRow) error) error {
	if len(keys) == 0 {
		return nil
	}
	if err := s.temp(ctx); err != nil {
		return err
	}
	if _, err := s.conn.ExecContext(ctx, `DELETE FROM temp.reach_keys`); err != nil {
		return fmt.Errorf("scope: keys: %w", err)
	}
	if err := s.fillText(ctx, "reach_keys", keys); err != nil {
		return err
	}
	return s.keyed(ctx, reachScans, fn)
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
			keys := v[1:]
			switch sc.table {
			case store.KeyedHook, store.KeyedLedger:
				if v[0].kind != valInt {
					return fmt.Errorf("id %q is not an integer", v[0].text())
				}
				r.ID = v[0].i
			default:
				r.UID = v[0].text()
				keys = v
			}
			for i := range keys {
				r.Keys[i] = keys[i].text()
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
	for _, t := range []string{"scope_orders", "scope_links", "scope_txns", "scope_hooks", "scope_ledger"} {
		if _, err := s.conn.ExecContext(ctx, `DELETE FROM temp.`+t); err != nil {
			return fmt.Errorf("scope: %w", err)
		}
	}
	for _, f := range []struct {
		table string
		keys  []string
	}{{"scope_orders", sc.Orders}, {"scope_links", sc.Links}, {"scope_txns", sc.Txns}} {
		if err := s.fillText(ctx, f.table, f.keys); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		table string
		ids   []int64
	}{{"scope_hooks", sc.Hooks}, {"scope_ledger", sc.Ledger}} {
		if err := s.fillIDs(ctx, f.table, f.ids); err != nil {
			return err
		}
	}
	s.scope = &store.Scope{Orders: sc.Orders, Links: sc.Links, Txns: sc.Txns, Hooks: sc.Hooks, Ledger: sc.Ledger}
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
