package postgres

import (
	"context"
	"database/sql"
	"fmt"
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
 GREATEST((SELECT max(changed_at) FROM orders WHERE merchant = $1),
          (SELECT max(changed_at) FROM payment_links WHERE merchant = $1),
          (SELECT max(changed_at) FROM transactions WHERE merchant = $1))`, s.merchant)
	var at sql.NullTime
	if err := row.Scan(&m.WebhookID, &m.LedgerID, &at); err != nil {
		return m, fmt.Errorf("read the match mark: %w", err)
	}
	if at.Valid {
		m.ChangedAt = at.Time.UTC()
	}
	return m, nil
}

// keyedQuery is one query of Since or Reach: the table its rows come
// from and whether its first column is an id (else the row's uid, also
// its first key).
type keyedQuery struct {
	table int
	query string
}

// sinceQueries read the rows beyond a mark: $2 is the mark's
// changed_at for the first three, its last delivery id for the fourth and
// its last ledger id for the last.
var sinceQueries = []keyedQuery{
	{store.KeyedOrder, `SELECT uid FROM orders WHERE merchant = $1 AND changed_at > $2`},
	{store.KeyedLink, `SELECT uid, order_uid FROM payment_links WHERE merchant = $1 AND changed_at > $2`},
	{store.KeyedTxn, `SELECT oxpay_txn_id, merchant_reference_id, oxpay_original_txn_id FROM transactions WHERE merchant = $1 AND changed_at > $2`},
	{store.KeyedHook, `SELECT id, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id FROM webhook_events WHERE merchant = $1 AND id > $2`},
	{store.KeyedLedger, `SELECT id, reference FROM ledger_entries WHERE merchant = $1 AND id > $2`},
}

var reachQueries = []keyedQuery{
	{store.KeyedOrder, `SELECT o.uid FROM unnest($2::text[]) k(k) JOIN orders o ON o.merchant = $1 AND o.uid = k.k`},
	{store.KeyedLink, `SELECT l.uid, l.order_uid FROM unnest($2::text[]) k(k) JOIN payment_links l ON l.merchant = $1 AND l.uid = k.k`},
	{store.KeyedLink, `SELECT l.uid, l.order_uid FROM unnest($2::text[]) k(k) JOIN payment_links l ON l.merchant = $1 AND l.order_uid = k.k`},
	{store.KeyedTxn, `SELECT t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id FROM unnest($2::text[]) k(k) JOIN transactions t ON t.merchant = $1 AND t.oxpay_txn_id = k.k`},
	{store.KeyedTxn, `SELECT t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id FROM unnest($2::text[]) k(k) JOIN transactions t ON t.merchant = $1 AND t.merchant_reference_id = k.k`},
	{store.KeyedTxn, `SELECT t.oxpay_txn_id, t.merchant_reference_id, t.oxpay_original_txn_id FROM unnest($2::text[]) k(k) JOIN transactions t ON t.merchant = $1 AND t.oxpay_original_txn_id = k.k AND t.oxpay_original_txn_id <> ''`},
	{store.KeyedHook, `SELECT w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id FROM unnest($2::text[]) k(k) JOIN webhook_events w ON w.merchant = $1 AND w.oxpay_txn_id = k.k`},
	{store.KeyedHook, `SELECT w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id FROM unnest($2::text[]) k(k) JOIN webhook_events w ON w.merchant = $1 AND w.oxpay_original_txn_id = k.k AND w.oxpay_original_txn_id <> ''`},
	{store.KeyedHook, `SELECT w.id, w.oxpay_txn_id, w.oxpay_original_txn_id, w.merchant_reference_id FROM unnest($2::text[]) k(k) JOIN webhook_events w ON w.merchant = $1 AND w.merchant_reference_id = k.k AND w.merchant_reference_id <> ''`},
	{store.KeyedLedger, `SELECT e.id, e.reference FROM unnest($2::text[]) k(k) JOIN ledger_entries e ON e.merchant = $1 AND e.reference = k.k`},
}

// Since hands over the rows stored or changed after m.
func (s *Snapshot) Since(ctx context.Context, m store.Mark, fn func([]store.KeyedRow) error) error {
	changed := m.ChangedAt
	if changed.IsZero() {
		changed = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC) // before any row
	}
	for _, q := range sinceQueries {
		var arg any = changed
		switch q.table {
		case store.KeyedHook:
			arg = m.WebhookID
		case store.KeyedLedger:
			arg = m.LedgerID
		}
		if err := s.keyed(ctx, q.table, q.query, []any{arg}, fn); err != nil {
			return err
		}
	}
	return nil
}

// Reach hands over every row with one of keys in a key column.
func (s *Snapshot) Reach(ctx context.Context, keys []string, fn func([]store.KeyedRow) error) error {
	if len(keys) == 0 {
		return nil
	}
	arg := escapeAll(keys)
	for _, q := range reachQueries {
		if err := s.keyed(ctx, q.table, q.query, []any{arg}, fn); err != nil {
			return err
		}
	}
	return nil
}

// keyed runs one query of Since or Reach.
func (s *Snapshot) keyed(ctx context.Context, table int, query string, args []any, fn func([]store.KeyedRow) error) error {
	return scan(ctx, s, "scope", query, args, func(r *raw, k *store.KeyedRow) error {
		*k = store.KeyedRow{Table: table}
		first := 0
		switch table {
		case store.KeyedHook, store.KeyedLedger:
			k.ID, _ = r.int(0)
			first = 1
		default:
			k.UID = strings.Clone(r.str(0))
		}
		for i := first; i < len(r.vals); i++ {
			k.Keys[i-first] = strings.Clone(r.str(i))
		}
		return nil
	}, fn)
}

// Restrict makes the table reads that follow return the scope's rows
// only.
func (s *Snapshot) Restrict(_ context.Context, sc store.Scope) error {
	s.scope = &scoped{Scope: sc, orders: escapeAll(sc.Orders), links: escapeAll(sc.Links), txns: escapeAll(sc.Txns),
		hooks: sc.Hooks, ledger: sc.Ledger}
	if s.scope.hooks == nil {
		s.scope.hooks = []int64{}
	}
	if s.scope.ledger == nil {
		s.scope.ledger = []int64{}
	}
	return nil
}

// scoped is a Scope as the queries bind it: text escaped as stored.
type scoped struct {
	store.Scope
	orders, links, txns []string
	hooks, ledger       []int64
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
// or restricted to the scope (the same columns and order, the scope's
// keys as $2).
func (s *Snapshot) read(whole, restricted string, key func(*scoped) any) (string, []any) {
	if s.scope == nil {
		return whole, nil
	}
	return restricted, []any{key(s.scope)}
}
