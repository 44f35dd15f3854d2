package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// startRunSQL records a run. PostgreSQL numbers a merchant's runs on
// from its largest id, as SQLite does with its rowid, rather than from
// a sequence, which a rolled-back insert leaves a gap in (see the
// postgres package's loads).
var startRunSQL = map[Dialect]string{
	SQLite: `INSERT INTO runs (merchant, command, business_date, started_at, status, error, counts, inputs, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
	Postgres: `INSERT INTO runs (id, merchant, command, business_date, started_at, status, error, counts, inputs, version)
SELECT COALESCE(MAX(id), 0) + 1, CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TIMESTAMPTZ), CAST($5 AS TEXT),
    CAST($6 AS TEXT), CAST($7 AS TEXT), CAST($8 AS TEXT), CAST($9 AS TEXT)
FROM runs WHERE merchant = $1 RETURNING id`,
}

const runColumns = `id, command, business_date, started_at, ended_at, status, error, counts, inputs, version`

// StartRun records the start of a run and returns its id. A zero
// StartedAt is stored as now and an empty Status as recon.RunRunning; the
// run's ID and EndedAt are ignored.
func (db *DB) StartRun(ctx context.Context, r recon.Run) (int64, error) {
	if r.StartedAt.IsZero() {
		r.StartedAt = time.Now()
	}
	if r.Status == "" {
		r.Status = recon.RunRunning
	}
	var id int64
	err := db.Q().GetContext(ctx, &id, startRunSQL[db.dialect],
		db.merchant, r.Command, r.BusinessDate, r.StartedAt.UTC(), r.Status, r.Error, r.Counts, r.Inputs, r.Version)
	if err != nil {
		return 0, fmt.Errorf("record the start of recon %s: %w", r.Command, err)
	}
	return id, nil
}

// FinishRun records the end of a run: its final status (recon.RunOK or
// recon.RunFailed), the error text if it failed, and its counts and inputs
// as JSON. It returns store.ErrNotFound for an unknown id.
func (db *DB) FinishRun(ctx context.Context, id int64, status, errText, counts, inputs string) error {
	res, err := db.Q().ExecContext(ctx, `UPDATE runs SET ended_at = ?, status = ?, error = ?, counts = ?, inputs = ? WHERE merchant = ? AND id = ?`,
		time.Now().UTC(), status, errText, counts, inputs, db.merchant, id)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("finish run %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// LastRun returns the most recently started run of a command with the
// given status ("" for any status), and false if there is none.
func (db *DB) LastRun(ctx context.Context, command, status string) (recon.Run, bool, error) {
	var r recon.Run
	err := db.Q().GetContext(ctx, &r, `SELECT `+runColumns+` FROM runs
WHERE merchant = ? AND command = ? AND (CAST(? AS TEXT) = '' OR status = ?)
ORDER BY started_at DESC, id DESC LIMIT 1`, db.merchant, command, status, status)
	if errors.Is(err, sql.ErrNoRows) {
		return recon.Run{}, false, nil
	}
	if err != nil {
		return recon.Run{}, false, fmt.Errorf("read last %s run: %w", command, err)
	}
	return r, true, nil
}

// GetRun returns one run, or store.ErrNotFound.
func (db *DB) GetRun(ctx context.Context, id int64) (recon.Run, error) {
	var r recon.Run
	err := db.Q().GetContext(ctx, &r, `SELECT `+runColumns+` FROM runs WHERE merchant = ? AND id = ?`, db.merchant, id)
	if errors.Is(err, sql.ErrNoRows) {
		return recon.Run{}, fmt.Errorf("read run %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return recon.Run{}, fmt.Errorf("read run %d: %w", id, err)
	}
	return r, nil
}

// Runs returns the latest runs, newest first; limit <= 0 returns all.
func (db *DB) Runs(ctx context.Context, limit int) ([]recon.Run, error) {
	if limit <= 0 {
		limit = math.MaxInt64
	}
	var rs []recon.Run
	err := db.Q().SelectContext(ctx, &rs, `SELECT `+runColumns+` FROM runs WHERE merchant = ? ORDER BY started_at DESC, id DESC LIMIT ?`, db.merchant, limit)
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	return rs, nil
}

// MarkInterrupted marks every run of the merchant still recorded as
// running, other than current, as failed: the caller holds the
// merchant's run lock, so no other process can be running them, and a
// run that was killed never got to record its
// end. It returns how many it marked.
func (db *DB) MarkInterrupted(ctx context.Context, current int64) (int64, error) {
	res, err := db.Q().ExecContext(ctx, `UPDATE runs SET status = ?, error = ?, ended_at = ? WHERE merchant = ? AND status = ? AND id <> ?`,
		recon.RunFailed, fmt.Sprintf("interrupted: the process ended before the run finished (found by run %d)", current),
		time.Now().UTC(), db.merchant, recon.RunRunning, current)
	if err != nil {
		return 0, fmt.Errorf("mark interrupted runs: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("mark interrupted runs: %w", err)
	}
	return n, nil
}

// FailRun records that a run still recorded as running failed, with
// errText: the run could not record its end itself (its database was
// held by another process), and the next run, which found the reason
// beside the lock, records it instead. A run no longer running is left
// alone; it returns whether the run was marked.
func (db *DB) FailRun(ctx context.Context, id int64, errText string) (bool, error) {
	res, err := db.Q().ExecContext(ctx, `UPDATE runs SET status = ?, error = ?, ended_at = ? WHERE merchant = ? AND id = ? AND status = ?`,
		recon.RunFailed, errText, time.Now().UTC(), db.merchant, id, recon.RunRunning)
	if err != nil {
		return false, fmt.Errorf("record the failure of run %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record the failure of run %d: %w", id, err)
	}
	return n > 0, nil
}
