package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// InsertMatchMark records, in the transaction q, how far a match run
// read and how it matched (store.MatchMark).
func InsertMatchMark(ctx context.Context, q Q, merchant string, m store.MatchMark) error {
	net, err := json.Marshal(m.LedgerNet)
	if err != nil {
		return fmt.Errorf("record the match mark of run %d: %w", m.RunID, err)
	}
	if m.LedgerNet == nil {
		net = []byte("{}")
	}
	sources, err := json.Marshal(m.Sources)
	if err != nil {
		return fmt.Errorf("record the match mark of run %d: %w", m.RunID, err)
	}
	var changed, asOf, base any
	if !m.ChangedAt.IsZero() {
		changed = m.ChangedAt.UTC()
	}
	if !m.AsOf.IsZero() {
		asOf = m.AsOf.UTC()
	}
	if m.BaseRunID != 0 {
		base = m.BaseRunID
	}
	incremental := 0
	if m.Incremental {
		incremental = 1
	}
	_, err = q.ExecContext(ctx, `INSERT INTO match_marks (merchant, run_id, webhook_id, ledger_id, order_id, link_id, txn_id, changed_at, as_of, fingerprint, incremental, base_run_id, ledger_net, sources)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, merchant, m.RunID, m.WebhookID, m.LedgerID, m.OrderID, m.LinkID, m.TxnID, changed, asOf, m.Fingerprint, incremental, base,
		string(net), string(sources))
	if err != nil {
		return fmt.Errorf("record the match mark of run %d: %w", m.RunID, err)
	}
	return nil
}

// MatchMark returns what a match run recorded of how far it read; false
// when it recorded nothing (a run from before marks were kept, or one
// that never matched).
func (db *DB) MatchMark(ctx context.Context, runID int64) (store.MatchMark, bool, error) {
	var (
		m           = store.MatchMark{RunID: runID}
		changed     sql.NullTime
		asOf        sql.NullTime
		base        sql.NullInt64
		incremental int
		net         string
		sources     string
	)
	err := db.Q().QueryRowxContext(ctx, `SELECT webhook_id, ledger_id, order_id, link_id, txn_id, changed_at, as_of, fingerprint, incremental, base_run_id, ledger_net, sources
FROM match_marks WHERE merchant = ? AND run_id = ?`, db.merchant, runID).Scan(&m.WebhookID, &m.LedgerID, &m.OrderID, &m.LinkID, &m.TxnID,
		&changed, &asOf, &m.Fingerprint, &incremental, &base, &net, &sources)
	if errors.Is(err, sql.ErrNoRows) {
		return store.MatchMark{}, false, nil
	}
	if err != nil {
		return store.MatchMark{}, false, fmt.Errorf("read the match mark of run %d: %w", runID, err)
	}
	if changed.Valid {
		m.ChangedAt = changed.Time.In(time.UTC)
	}
	if asOf.Valid {
		m.AsOf = asOf.Time.In(time.UTC)
	}
	m.Incremental, m.BaseRunID = incremental != 0, base.Int64
	if err := json.Unmarshal([]byte(net), &m.LedgerNet); err != nil {
		return store.MatchMark{}, false, fmt.Errorf("read the match mark of run %d: ledger net: %w", runID, err)
	}
	if err := json.Unmarshal([]byte(sources), &m.Sources); err != nil {
		return store.MatchMark{}, false, fmt.Errorf("read the match mark of run %d: sources: %w", runID, err)
	}
	return m, true, nil
}

// UnpairedResults calls fn with the transaction id of each of a run's
// results that has no ledger line and was paid at or after paidFrom.
func (db *DB) UnpairedResults(ctx context.Context, runID int64, paidFrom time.Time, fn func(txnID string) error) error {
	rows, err := db.Q().QueryContext(ctx, `SELECT oxpay_txn_id FROM match_results
WHERE merchant = ? AND run_id = ? AND ledger_entry_id IS NULL AND paid_at >= ?`, db.merchant, runID, paidFrom.UTC())
	if err != nil {
		return fmt.Errorf("read the unpaired results of run %d: %w", runID, err)
	}
	defer rows.Close()
	var id string
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("read the unpaired results of run %d: %w", runID, err)
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the unpaired results of run %d: %w", runID, err)
	}
	return nil
}

// passingBatch is how many ids one query of PassingDeliveries asks for.
const passingBatch = 500

// passingQuery reads the merchant of those of rows delivery ids that
// pass the signature check. It names no indexed column but the id: given
// the merchant, SQLite walks the merchant's whole index for it and checks
// each id, where the ids alone are a primary key lookup each. The check
// on sig_check is made on the row found, and keeps the deliveries that
// still fail (a month of them, on a late night) out of the answer.
func passingQuery(rows int) string {
	return `SELECT id, merchant FROM webhook_events WHERE id IN (` +
		strings.TrimSuffix(strings.Repeat(`?, `, rows), `, `) + `) AND sig_check IN ('` + recon.SigRaw + `', '` + recon.SigCompact + `')`
}

// PassingDeliveries returns those of ids whose delivery now passes the
// signature check (a delivery verified again under another key).
func (db *DB) PassingDeliveries(ctx context.Context, ids []int64) ([]int64, error) {
	var out []int64
	for start := 0; start < len(ids); start += passingBatch {
		part := ids[start:min(start+passingBatch, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows := len(part)
		var got []struct {
			ID       int64  `db:"id"`
			Merchant string `db:"merchant"`
		}
		if err := db.Q().SelectContext(ctx, &got, passingQuery(rows), args...); err != nil {
			return nil, fmt.Errorf("read the signature checks of %d deliveries: %w", len(part), err)
		}
		for _, g := range got {
			if g.Merchant == db.merchant {
				out = append(out, g.ID)
			}
		}
	}
	return out, nil
}
