package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// Finance's decisions on exceptions, an append-only history per
// merchant (store/decisions.go says what each method promises;
// migration 0010 makes the tables refuse an update or a delete).

const decisionColumns = `seq, merchant, exception_key, category, business_date, run_id, currency,
    expected_minor, actual_minor, difference_minor, decision, note, previous, decided_by, decided_at,
    source_file, source_sha256, prev_hash, hash`

// AppendDecisions appends ds to the merchant's history in one
// transaction, after checking that they continue it (see
// store.ErrDecisionsMoved).
func (db *DB) AppendDecisions(ctx context.Context, ds []recon.Decision) error {
	if len(ds) == 0 {
		return nil
	}
	return db.InTx(ctx, func(q Q) error {
		seq, hash, err := decisionHead(ctx, q, db.merchant)
		if err != nil {
			return err
		}
		for i := range ds {
			d := &ds[i]
			if d.Seq != seq+1 || d.PrevHash != hash {
				return fmt.Errorf("append decision %d after %d: %w", d.Seq, seq, store.ErrDecisionsMoved)
			}
			_, err := q.ExecContext(ctx, `INSERT INTO decisions (`+decisionColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				d.Seq, db.merchant, d.ExceptionKey, string(d.Category), d.BusinessDate, d.RunID, d.Currency,
				d.ExpectedMinor, d.ActualMinor, d.DifferenceMinor, string(d.Decision), d.Note, string(d.Previous), d.DecidedBy, d.DecidedAt.UTC(),
				d.SourceFile, d.SourceSHA256, d.PrevHash, d.Hash)
			if err != nil {
				return fmt.Errorf("append decision %d: %w", d.Seq, err)
			}
			seq, hash = d.Seq, d.Hash
		}
		return nil
	})
}

func decisionHead(ctx context.Context, q Q, merchant string) (int64, string, error) {
	var head struct {
		Seq  int64  `db:"seq"`
		Hash string `db:"hash"`
	}
	err := q.GetContext(ctx, &head, `SELECT seq, hash FROM decisions WHERE merchant = ? ORDER BY seq DESC LIMIT 1`, merchant)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("read the last decision: %w", err)
	}
	return head.Seq, head.Hash, nil
}

// DecisionHead returns the number and hash of the merchant's last
// decision; 0 and "" when there is none.
func (db *DB) DecisionHead(ctx context.Context) (int64, string, error) {
	return decisionHead(ctx, db.Q(), db.merchant)
}

// Decisions returns the merchant's decision history in the order it was
// written.
func (db *DB) Decisions(ctx context.Context) ([]recon.Decision, error) {
	var ds []recon.Decision
	err := db.Q().SelectContext(ctx, &ds, `SELECT `+decisionColumns+` FROM decisions WHERE merchant = ? ORDER BY seq`, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("read decisions: %w", err)
	}
	utcDecisions(ds)
	return ds, nil
}

// LatestDecisions returns each exception's latest decision, by
// exception key.
func (db *DB) LatestDecisions(ctx context.Context) (map[string]recon.Decision, error) {
	var ds []recon.Decision
	err := db.Q().SelectContext(ctx, &ds, `SELECT `+decisionColumns+` FROM decisions d
WHERE merchant = ? AND NOT EXISTS (SELECT 1 FROM decisions n
    WHERE n.merchant = d.merchant AND n.exception_key = d.exception_key AND n.seq > d.seq)`, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("read the latest decisions: %w", err)
	}
	utcDecisions(ds)
	out := make(map[string]recon.Decision, len(ds))
	for _, d := range ds {
		out[d.ExceptionKey] = d
	}
	return out, nil
}

func utcDecisions(ds []recon.Decision) {
	for i := range ds {
		ds[i].DecidedAt = ds[i].DecidedAt.UTC()
	}
}

// MatchRunOf returns the latest successful matching run for a business
// date, or of the latest date when date is "", and false when there is
// none.
func (db *DB) MatchRunOf(ctx context.Context, date string) (recon.Run, bool, error) {
	var r recon.Run
	err := db.Q().GetContext(ctx, &r, `SELECT `+runColumns+` FROM runs
WHERE merchant = ? AND command IN `+matchCommands+` AND status = ? AND (CAST(? AS TEXT) = '' OR business_date = ?)
ORDER BY business_date DESC, id DESC LIMIT 1`, db.merchant, recon.RunOK, date, date)
	if errors.Is(err, sql.ErrNoRows) {
		return recon.Run{}, false, nil
	}
	if err != nil {
		return recon.Run{}, false, fmt.Errorf("read the matching run of %q: %w", date, err)
	}
	return r, true, nil
}

// ExceptionLastSeen returns the latest business date of a successful
// matching run that had the exception open, and false when none had.
func (db *DB) ExceptionLastSeen(ctx context.Context, exceptionKey string) (string, bool, error) {
	var date sql.NullString
	err := db.Q().GetContext(ctx, &date, `SELECT MAX(r.business_date) FROM exception_history h
JOIN runs r ON r.merchant = h.merchant AND r.id = h.run_id
WHERE h.merchant = ? AND h.exception_key = ? AND r.status = ?`, db.merchant, exceptionKey, recon.RunOK)
	if err != nil {
		return "", false, fmt.Errorf("read the history of an exception: %w", err)
	}
	return date.String, date.Valid, nil
}
