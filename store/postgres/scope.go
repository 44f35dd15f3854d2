package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/reconkit/reconkit/store"
)

// An incremental match's reads (store/scope.go). Keys and scopes go to
// the server as arrays, unnested and joined to the key columns'
// indexes: the planner, which knows nothing of an array parameter's
// size, takes it for a few rows and probes the index once per key.

// Mark returns how far the snapshot's tables run.
func (s *Snapshot) Mark(ctx context.Context) (store.Mark, error) {
	var m store.Mark
	row := s.tx.QueryRowxContext(ctx, `SELECT
 COALESCE((SELECT max(id) FROM webhook_events WHERE merchant = $1), 0),
 COALESCE((SELECT max(id) FROM ledger_entries WHERE merchant = $1), 0),
 COALESCE((SELECT max(load_order) FROM orders WHERE merchant = $1), 0),
 COALESCE((SELECT max(load_order) FROM payment_links WHERE merchant = $1), 0),
 COALESCE((SELECT max(load_order) FROM transactions WHERE merchant = $1), 0),
 GREATEST((SELECT max(changed_at) FROM orders WHERE merchant = $1),
          (SELECT max(changed_at) FROM payment_links WHERE merchant = $1),
          (SELECT max(changed_at) FROM transactions WHERE merchant = $1))`, s.merchant)
	var at sql.NullTime
	if err := row.Scan(&m.WebhookID, &m.LedgerID, &m.OrderID, &m.LinkID, &m.TxnID, &at); err != nil {
		return m, fmt.Errorf("read the match mark: %w", err)
	}
	if at.Valid {
		m.ChangedAt = at.Time.UTC()
	}
	return m, nil
}

// keyedQuery is one query of Since or Reach and the table its rows come
// from: each reads the row id, then the row's keys (store.KeyedRow). In
// Reach, refs says its $2 is the reference keys, not the transaction ids.
type keyedQuery struct {
	table int
	refs  bool
	query string
}

// sinceQueries read the rows beyond a mark. An order, link or
// transaction is beyond it when changed since ($2, the mark's
// changed_at) or added since ($3, the mark's last row id of the table,
// found even if the clock that stamped it ran slow); a delivery or a
// ledger line when added since ($2).
var sinceQueries = []keyedQuery{
	{table: store.KeyedOrder, query: `SELECT load_order, uid FROM orders WHERE merchant = $1 AND (changed_at > $2 OR load_order > $3)`},
	{table: store.KeyedLink, query: `SELECT load_order, uid, order_uid FROM payment_links WHERE merchant = $1 AND (changed_at > $2 OR load_order > $3)`},
	{table: store.KeyedTxn, query: `SELECT load_order, oxpay_txn_id, merchant_reference_id, oxpay_original_txn_id FROM transactions
WHERE merchant = $1 AND (changed_at > $2 OR load_order > $3)`},
	{table: store.KeyedHook, query: `SELECT id, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id FROM webhook_events WHERE merchant = $1 AND id > $2`},
	{table: store.KeyedLedger, query: `SELECT id, reference FROM ledger_entries WHERE merchant = $1 AND id > $2`},
}

// reachQueries probe each key column's index with the keys of its kind
// ($2) for the rows up to the mark ($3, its last row id of the table).
var reachQueries = []keyedQuery{
	{table: store.KeyedTxn, query: `SELECT t.load_order, t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id FROM unnest($2::text[]) k(k)
JOIN transactions t ON t.merchant = $1 AND t.oxpay_txn_id = k.k AND t.load_order <= $3`},
	{table: store.KeyedTxn, query: `SELECT t.load_order, t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id FROM unnest($2::text[]) k(k)
JOIN transactions t ON t.merchant = $1 AND t.oxpay_original_txn_id = k.k AND t.oxpay_original_txn_id <> '' AND t.load_order <= $3`},
	{table: store.KeyedHook, query: `SELECT w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id FROM unnest($2::text[]) k(k)
JOIN webhook_events w ON w.merchant = $1 AND w.oxpay_txn_id = k.k AND w.id <= $3`},
	{table: store.KeyedHook, query: `SELECT w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id FROM unnest($2::text[]) k(k)
JOIN webhook_events w ON w.merchant = $1 AND w.oxpay_original_txn_id = k.k AND w.oxpay_original_txn_id <> '' AND w.id <= $3`},
	{table: store.KeyedLedger, query: `SELECT e.id, e.reference FROM unnest($2::text[]) k(k) JOIN ledger_entries e ON e.merchant = $1 AND e.reference = k.k AND e.id <= $3`},
	{table: store.KeyedOrder, refs: true, query: `SELECT o.load_order, o.uid FROM unnest($2::text[]) k(k) JOIN orders o ON o.merchant = $1 AND o.uid = k.k AND o.load_order <= $3`},
	{table: store.KeyedLink, refs: true, query: `SELECT l.load_order, l.uid, l.order_uid FROM unnest($2::text[]) k(k)
JOIN payment_links l ON l.merchant = $1 AND l.uid = k.k AND l.load_order <= $3`},
	{table: store.KeyedLink, refs: true, query: `SELECT l.load_order, l.uid, l.order_uid FROM unnest($2::text[]) k(k)
JOIN payment_links l ON l.merchant = $1 AND l.order_uid = k.k AND l.load_order <= $3`},
	{table: store.KeyedTxn, refs: true, query: `SELECT t.load_order, t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id FROM unnest($2::text[]) k(k)
JOIN transactions t ON t.merchant = $1 AND t.merchant_reference_id = k.k AND t.load_order <= $3`},
	{table: store.KeyedHook, refs: true, query: `SELECT w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id FROM unnest($2::text[]) k(k)
JOIN webhook_events w ON w.merchant = $1 AND w.merchant_reference_id = k.k AND w.merchant_reference_id <> '' AND w.id <= $3`},
	{table: store.KeyedLedger, refs: true, query: `SELECT e.id, e.reference FROM unnest($2::text[]) k(k) JOIN ledger_entries e ON e.merchant = $1 AND e.reference = k.k AND e.id <= $3`},
}

// markID is a mark's last row id of a table.
func markID(m *store.Mark, table int) int64 {
	switch table {
	case store.KeyedOrder:
		return m.OrderID
	case store.KeyedLink:
		return m.LinkID
	case store.KeyedTxn:
		return m.TxnID
	case store.KeyedHook:
		return m.WebhookID
	}
	return m.LedgerID
}

// Since hands over the rows of tables stored or changed after m.
func (s *Snapshot) Since(ctx context.Context, m store.Mark, tables []int, fn func([]store.KeyedRow) error) error {
	changed := m.ChangedAt
	if changed.IsZero() {
		changed = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC) // before any row
	}
	for _, q := range sinceQueries {
		if !slices.Contains(tables, q.table) {
			continue
		}
		args := []any{markID(&m, q.table)}
		if q.table != store.KeyedHook && q.table != store.KeyedLedger {
			args = []any{changed, markID(&m, q.table)}
		}
		if err := s.keyed(ctx, q.table, q.query, args, fn); err != nil {
			return err
		}
	}
	return nil
}

// Reach hands over the rows up to m with one of txnKeys in a
// transaction-id column or one of refKeys in a reference column.
func (s *Snapshot) Reach(ctx context.Context, m store.Mark, txnKeys, refKeys []string, fn func([]store.KeyedRow) error) error {
	txns, refs := escapeAll(txnKeys), escapeAll(refKeys)
	for _, q := range reachQueries {
		keys := txns
		if q.refs {
			keys = refs
		}
		if len(keys) == 0 {
			continue
		}
		if err := s.keyed(ctx, q.table, q.query, []any{keys, markID(&m, q.table)}, fn); err != nil {
			return err
		}
	}
	return nil
}

// Span cannot tell: the server compares text in the database's
// collation, and its indexes are ordered so, not byte by byte; every key
// is looked for.
func (s *Snapshot) Span(context.Context, store.Mark, bool, string, string) (store.Span, error) {
	return store.Span{Unknown: true}, nil
}

// keyed runs one query of Since or Reach.
func (s *Snapshot) keyed(ctx context.Context, table int, query string, args []any, fn func([]store.KeyedRow) error) error {
	return scan(ctx, s, "scope", query, args, func(r *raw, k *store.KeyedRow) error {
		*k = store.KeyedRow{Table: table}
		k.ID, _ = r.int(0)
		for i := 1; i < len(r.vals); i++ {
			k.Keys[i-1] = strings.Clone(r.str(i))
		}
		return nil
	}, fn)
}

// Restrict makes the table reads that follow return the scope's rows
// only.
func (s *Snapshot) Restrict(_ context.Context, sc store.Scope) error {
	for _, ids := range []*[]int64{&sc.Orders, &sc.Links, &sc.Txns, &sc.Hooks, &sc.Ledger} {
		if *ids == nil {
			*ids = []int64{} // pgx sends a nil slice as NULL
		}
	}
	s.scope = &sc
	return nil
}

// escapeAll escapes keys as the store writes text (never nil: pgx
// sends a nil slice as NULL).
func escapeAll(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = escapeText(k)
	}
	return out
}

// read returns the query a table read runs and its arguments: whole,
// or restricted to the scope (the same columns and order; the scope's
// row ids of the table as $2, and the last row id before the rows
// beyond it as $3).
func (s *Snapshot) read(whole, restricted string, table int) (string, []any) {
	if s.scope == nil {
		return whole, nil
	}
	beyond := int64(math.MaxInt64)
	if s.scope.Beyond != nil {
		beyond = markID(s.scope.Beyond, table)
	}
	var ids []int64
	switch table {
	case store.KeyedOrder:
		ids = s.scope.Orders
	case store.KeyedLink:
		ids = s.scope.Links
	case store.KeyedTxn:
		ids = s.scope.Txns
	case store.KeyedHook:
		ids = s.scope.Hooks
	case store.KeyedLedger:
		ids = s.scope.Ledger
	}
	return restricted, []any{ids, beyond}
}
