package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// DeleteRunResults removes a run's match results, exceptions,
// settlement batches and match mark in the transaction q, so that a run
// written again replaces its rows atomically.
func DeleteRunResults(ctx context.Context, q Q, merchant string, runID int64) error {
	for _, query := range []string{`DELETE FROM match_results WHERE merchant = ? AND run_id = ?`, `DELETE FROM exceptions WHERE merchant = ? AND run_id = ?`,
		`DELETE FROM settlement_batches WHERE merchant = ? AND run_id = ?`, `DELETE FROM match_marks WHERE merchant = ? AND run_id = ?`} {
		if _, err := q.ExecContext(ctx, query, merchant, runID); err != nil {
			return fmt.Errorf("delete results of run %d: %w", runID, err)
		}
	}
	return nil
}

// DeleteRunResults removes a run's match results and exceptions; other
// runs' rows are untouched.
func (db *DB) DeleteRunResults(ctx context.Context, runID int64) error {
	return db.InTx(ctx, func(q Q) error { return DeleteRunResults(ctx, q, db.merchant, runID) })
}

// ExceptionsQuery is the query Exceptions runs, its parameters the
// merchant and the run id: a backend that reads it its own way
// (SetReaders) runs the same.
const ExceptionsQuery = `SELECT ` + exceptionColumns + `
FROM exceptions e` + runExceptionRows

// BadSignaturesQuery picks a run's WEBHOOK_BAD_SIGNATURE exceptions (its
// parameters the merchant and the run id), in the order written. The
// category is a literal, as the partial index on them has it
// (migration 0015): SQLite uses such an index only for the same term.
const BadSignaturesQuery = `SELECT ` + exceptionColumns + `
FROM exceptions e
WHERE e.merchant = ? AND e.run_id = ? AND e.category = 'WEBHOOK_BAD_SIGNATURE' ORDER BY e.id`

// exceptionColumns are an exception's columns (of exceptions e) in
// recon.Exception's order, as every read of a run's exceptions selects
// them first; runExceptionRows picks the run's, in the order written.
const (
	exceptionColumns = `e.category, e.severity, e.order_uid, e.payment_link_uid, e.oxpay_txn_id,
    e.merchant_reference_id, e.ledger_ref, e.currency, e.expected_minor, e.actual_minor, e.difference_minor, e.detail,
    e.webhook_event_ids, e.ledger_entry_ids, COALESCE(e.input_error_id, 0)`
	runExceptionRows = `
WHERE e.merchant = ? AND e.run_id = ? ORDER BY e.id`
)

// Readers are the reads a backend runs its own way, faster than through
// database/sql; a nil one is read here.
type Readers struct {
	// Exceptions runs ExceptionsQuery, RunExceptions the dialect's
	// RunExceptionsQuery, FirstSeen ExceptionFirstSeenQuery.
	Exceptions    func(ctx context.Context, runID int64) ([]recon.Exception, error)
	RunExceptions func(ctx context.Context, runID int64) (store.RunExceptions, error)
	FirstSeen     func(ctx context.Context, runID int64) (map[string]string, error)
}

// SetReaders makes Exceptions, RunExceptions and ExceptionFirstSeen read
// through r.
func (db *DB) SetReaders(r Readers) { db.readers = r }

// Exceptions returns a run's exceptions in the order they were written.
func (db *DB) Exceptions(ctx context.Context, runID int64) ([]recon.Exception, error) {
	if db.readers.Exceptions != nil {
		return db.readers.Exceptions(ctx, runID)
	}
	re, err := db.readExceptions(ctx, runID, false)
	return re.Exceptions, err
}

// RunExceptions returns a run's exceptions in the order they were
// written, with their facts: those kept with a carried exception, the
// others looked up in the rows they name.
func (db *DB) RunExceptions(ctx context.Context, runID int64) (store.RunExceptions, error) {
	if db.readers.RunExceptions != nil {
		return db.readers.RunExceptions(ctx, runID)
	}
	return db.readExceptions(ctx, runID, true)
}

// readExceptions reads a run's exceptions, and their facts if asked.
// It scans column by column rather than by sqlx's struct mapping: a
// night reads a month of open exceptions, and the mapping's reflection
// cost a third of the read.
func (db *DB) readExceptions(ctx context.Context, runID int64, facts bool) (store.RunExceptions, error) {
	query := ExceptionsQuery
	if facts {
		query = RunExceptionsQuery[db.dialect]
	}
	return db.scanExceptions(ctx, runID, facts, query, db.merchant, runID)
}

// BadSignatures returns a run's WEBHOOK_BAD_SIGNATURE exceptions, in the
// order they were written: an incremental match wants the base's before
// it can start, and the rest only later.
func (db *DB) BadSignatures(ctx context.Context, runID int64) ([]recon.Exception, error) {
	re, err := db.scanExceptions(ctx, runID, false, BadSignaturesQuery, db.merchant, runID)
	return re.Exceptions, err
}

// scanExceptions reads the exceptions query (with its args) picks of run
// runID, with their facts when it selects them too.
func (db *DB) scanExceptions(ctx context.Context, runID int64, facts bool, query string, args ...any) (store.RunExceptions, error) {
	out := store.RunExceptions{RunID: runID}
	rows, err := db.Q().QueryContext(ctx, query, args...)
	if err != nil {
		return out, fmt.Errorf("read exceptions of run %d: %w", runID, err)
	}
	defer rows.Close()
	var created, paid, received, booked sql.NullString
	for rows.Next() {
		var x recon.Exception
		var f store.ExceptionFacts
		dst := []any{&x.Category, &x.Severity, &x.OrderUID, &x.PaymentLinkUID, &x.OxpayTxnID, &x.MerchantReferenceID,
			&x.LedgerRef, &x.Currency, &x.ExpectedMinor, &x.ActualMinor, &x.DifferenceMinor, &x.Detail,
			&x.WebhookEventIDs, &x.LedgerEntryIDs, &x.InputErrorID}
		if facts {
			dst = append(dst, &f.PaymentURL, &created, &paid, &received, &booked, &f.LedgerCurrency, &f.LedgerMinor)
		}
		err := rows.Scan(dst...)
		if err == nil && facts {
			err = FactTimes(&f, created, paid, received, booked)
		}
		if err != nil {
			return store.RunExceptions{}, fmt.Errorf("read exceptions of run %d: %w", runID, err)
		}
		out.Exceptions = append(out.Exceptions, x)
		if facts {
			out.Facts = append(out.Facts, f)
		}
	}
	if err := rows.Err(); err != nil {
		return store.RunExceptions{}, fmt.Errorf("read exceptions of run %d: %w", runID, err)
	}
	return out, nil
}

// matchResultBatch is how many rows DB.MatchResults hands over at once.
const matchResultBatch = 1000

// MatchResults streams a run's match results, in the order they were
// written, to fn in batches, with their ledger lines' reference, amount
// and date; fn must not keep the slice, which is reused. An error from fn
// stops the read and is returned.
func (db *DB) MatchResults(ctx context.Context, runID int64, fn func([]recon.MatchResult) error) error {
	rows, err := db.Q().QueryxContext(ctx, `SELECT r.kind, r.order_uid, r.payment_link_uid, r.oxpay_txn_id,
    r.oxpay_original_txn_id, r.merchant_reference_id, COALESCE(l.reference, '') AS ledger_ref,
    COALESCE(r.ledger_entry_id, 0) AS ledger_entry_id, COALESCE(r.webhook_event_id, 0) AS webhook_event_id,
    r.state, r.source, r.currency, r.order_minor, r.gateway_minor, COALESCE(l.amount_minor, 0) AS ledger_minor,
    r.paid_at, l.booked_on, r.clean
FROM match_results r LEFT JOIN ledger_entries l ON l.merchant = r.merchant AND l.id = r.ledger_entry_id
WHERE r.merchant = ? AND r.run_id = ? ORDER BY r.id`, db.merchant, runID)
	if err != nil {
		return fmt.Errorf("read match results of run %d: %w", runID, err)
	}
	defer rows.Close()
	buf := make([]recon.MatchResult, 0, matchResultBatch)
	for rows.Next() {
		buf = append(buf, recon.MatchResult{})
		if err := rows.StructScan(&buf[len(buf)-1]); err != nil {
			return fmt.Errorf("read match results of run %d: %w", runID, err)
		}
		if len(buf) == matchResultBatch {
			if err := fn(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read match results of run %d: %w", runID, err)
	}
	if len(buf) > 0 {
		return fn(buf)
	}
	return nil
}
