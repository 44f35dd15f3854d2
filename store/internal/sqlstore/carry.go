package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// matchCommands are the commands whose runs write results.
const matchCommands = `('run', 'match')`

// PreviousMatchRun returns the run whose exceptions a run for date is
// compared with: the latest successful matching run for an earlier
// business date (the latest of that date, should it have been run more
// than once). It returns false when there is none.
func (db *DB) PreviousMatchRun(ctx context.Context, date string) (recon.Run, bool, error) {
	var r recon.Run
	err := db.Q().GetContext(ctx, &r, `SELECT `+runColumns+` FROM runs
WHERE merchant = ? AND command IN `+matchCommands+` AND status = ? AND business_date < ?
ORDER BY business_date DESC, id DESC LIMIT 1`, db.merchant, recon.RunOK, date)
	if errors.Is(err, sql.ErrNoRows) {
		return recon.Run{}, false, nil
	}
	if err != nil {
		return recon.Run{}, false, fmt.Errorf("read the run before %s: %w", date, err)
	}
	return r, true, nil
}

// replaceHistory replaces a run's exception history with rows, in one
// of the backend's bulk loads: a month of open exceptions is 120k rows a
// night, and database/sql would bind their values one call at a time.
func (db *DB) replaceHistory(ctx context.Context, runID int64, rows []store.HistoryRow) error {
	if db.beginLoad == nil {
		return fmt.Errorf("record exception history of run %d: the backend has no bulk load", runID)
	}
	l, err := db.beginLoad(ctx)
	if err != nil {
		return fmt.Errorf("record exception history of run %d: %w", runID, err)
	}
	defer l.Rollback()
	if _, err := l.ReplaceExceptionHistory(runID, rows); err != nil {
		return err
	}
	if err := l.Commit(); err != nil {
		return fmt.Errorf("record exception history of run %d: %w", runID, err)
	}
	return nil
}

// CarryForward records the first-seen date of each exception of runID (a
// run for business date), carrying it over from the previous matching
// run (PreviousMatchRun) for keys open there and setting it to date for
// new ones. It replaces what the run had recorded, so it may be called
// again for the same run. It returns the first-seen dates it recorded,
// by exception key (what ExceptionFirstSeen would read back). The
// previous run's exceptions are taken from known when they are that
// run's (openAfter): an incremental match has read them already.
func (db *DB) CarryForward(ctx context.Context, runID int64, date string, es []recon.Exception, known *store.RunExceptions) (store.Carry, map[string]string, error) {
	var c store.Carry
	prev, ok, err := db.PreviousMatchRun(ctx, date)
	if err != nil {
		return c, nil, err
	}
	// The run's keys are built on one core while the previous run's
	// history is read and keyed on the other.
	keys := make([]string, len(es))
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range es {
			keys[i] = recon.ExceptionKey(&es[i])
		}
	})
	var before openBreaks
	if ok {
		c.PreviousRunID, c.PreviousDate = prev.ID, prev.BusinessDate
		before, err = db.openAfter(ctx, prev, known)
	}
	wg.Wait()
	if err != nil {
		return c, nil, err
	}
	now := make(map[string]string, len(es))
	for _, k := range keys {
		if _, done := now[k]; done {
			continue
		}
		first, open := before.first[k]
		if open {
			c.Carried++
		} else {
			first = date
			c.New++
		}
		now[k] = first
		if c.OldestFirstSeen == "" || first < c.OldestFirstSeen {
			c.OldestFirstSeen = first
		}
	}
	// One per key open before and not now: the count is the list's length.
	c.ResolvedExceptions = before.resolved(now, prev.BusinessDate)
	c.Resolved = len(c.ResolvedExceptions)
	// In key order: the rows go into the table's primary key one after
	// another instead of all over it.
	rows := make([]store.HistoryRow, 0, len(now))
	for _, k := range slices.Sorted(maps.Keys(now)) {
		rows = append(rows, store.HistoryRow{Key: k, FirstSeen: now[k]})
	}
	if err := db.replaceHistory(ctx, runID, rows); err != nil {
		return store.Carry{}, nil, err
	}
	return c, now, nil
}

// ExceptionFirstSeenQuery is the query ExceptionFirstSeen runs, its
// parameters the merchant and the run id (see Readers).
const ExceptionFirstSeenQuery = `SELECT exception_key, first_seen FROM exception_history WHERE merchant = ? AND run_id = ?`

// ExceptionFirstSeen returns the first-seen date of each exception key
// of a run, as CarryForward recorded it (empty for a run it never saw).
func (db *DB) ExceptionFirstSeen(ctx context.Context, runID int64) (map[string]string, error) {
	if db.readers.FirstSeen != nil {
		return db.readers.FirstSeen(ctx, runID)
	}
	rows, err := db.Q().QueryContext(ctx, ExceptionFirstSeenQuery, db.merchant, runID)
	if err != nil {
		return nil, fmt.Errorf("read exception history of run %d: %w", runID, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, d string
		if err := rows.Scan(&k, &d); err != nil {
			return nil, fmt.Errorf("read exception history of run %d: %w", runID, err)
		}
		out[k] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read exception history of run %d: %w", runID, err)
	}
	return out, nil
}

// ResolvedSince returns the exceptions of the run before runID
// (PreviousMatchRun of its business date) that runID no longer has, in
// the order that run wrote them, one per key.
func (db *DB) ResolvedSince(ctx context.Context, runID int64) ([]store.ResolvedException, error) {
	run, err := db.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	prev, ok, err := db.PreviousMatchRun(ctx, run.BusinessDate)
	if err != nil || !ok {
		return nil, err
	}
	now, err := db.ExceptionFirstSeen(ctx, runID)
	if err != nil {
		return nil, err
	}
	before, err := db.openAfter(ctx, prev, nil)
	if err != nil {
		return nil, err
	}
	return before.resolved(now, prev.BusinessDate), nil
}

// resolved lists the breaks open after the run that are not open now
// (by key), in the order the run wrote them, one per key; last is the
// run's business date.
func (o openBreaks) resolved(now map[string]string, last string) []store.ResolvedException {
	var out []store.ResolvedException
	seen := map[string]bool{}
	for i, k := range o.keys {
		if _, open := now[k]; open || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, store.ResolvedException{Exception: o.exceptions[i], FirstSeen: o.first[k], LastSeen: last})
	}
	return out
}

// openBreaks is what was open after a matching run: its exceptions in
// the order written, their keys, and the first-seen date of each key.
type openBreaks struct {
	exceptions []recon.Exception
	keys       []string
	first      map[string]string
}

// openAfter reads what was open after run, the run another is compared
// with; its exceptions and history are taken from known when they are
// that run's (nil or another run's, or not there: they are read). Both
// CarryForward (the counts) and ResolvedSince (the list) read it, so
// they agree. The first-seen dates come from the run's exception
// history; a break that history does not know (the run was made before
// there was any) was first seen, as far as anyone can tell, on the run's
// own date. History written before ledger-only exceptions were keyed by
// their entry ids holds such a break under its older key
// (recon.ExceptionKeyV1); every line that shared it takes its date.
func (db *DB) openAfter(ctx context.Context, run recon.Run, known *store.RunExceptions) (openBreaks, error) {
	if known == nil || known.RunID != run.ID {
		known = &store.RunExceptions{RunID: run.ID}
	}
	hist, es := known.FirstSeen, known.Exceptions
	var err error
	if hist == nil {
		if hist, err = db.ExceptionFirstSeen(ctx, run.ID); err != nil {
			return openBreaks{}, err
		}
	}
	if es == nil {
		if es, err = db.Exceptions(ctx, run.ID); err != nil {
			return openBreaks{}, err
		}
	}
	o := openBreaks{exceptions: es, keys: make([]string, len(es)), first: make(map[string]string, len(es))}
	for i := range es {
		k := recon.ExceptionKey(&es[i])
		o.keys[i] = k
		if _, done := o.first[k]; done {
			continue
		}
		first, ok := hist[k]
		if !ok {
			first, ok = hist[recon.ExceptionKeyV1(&es[i])]
		}
		if !ok {
			first = run.BusinessDate
		}
		o.first[k] = first
	}
	return o, nil
}

// DeleteRunHistory removes a run's exception history in the transaction
// q (a re-run's, replaced; or a run's own, before it is written again).
func DeleteRunHistory(ctx context.Context, q Q, merchant string, runID int64) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM exception_history WHERE merchant = ? AND run_id = ?`, merchant, runID); err != nil {
		return fmt.Errorf("delete exception history of run %d: %w", runID, err)
	}
	return nil
}

// ReplaceDateResults deletes the match results, exceptions and exception
// history of every other finished matching run for the same business
// date as keep, and marks the successful ones recon.RunReplaced (a failed
// one keeps its status and error), in one transaction: a
// re-run of a date replaces that date's results. It returns how many runs
// it replaced: a failed run is counted by the re-run that drops its rows,
// not again. Runs still running (another process's) are left alone.
// CommitRun does the same inside the transaction that records a run ok.
func (db *DB) ReplaceDateResults(ctx context.Context, date string, keep int64) (int, error) {
	var n int
	err := db.InTx(ctx, func(q Q) (err error) {
		n, err = ReplaceDateResults(ctx, q, db.merchant, date, keep)
		return err
	})
	return n, err
}

// ReplaceDateResults is DB.ReplaceDateResults in the transaction q.
func ReplaceDateResults(ctx context.Context, q Q, merchant, date string, keep int64) (int, error) {
	var ids []int64
	// A failed run keeps its status once replaced, so it is taken
	// only while it still holds rows: counted once, not by every
	// later re-run of the date.
	err := q.SelectContext(ctx, &ids, `SELECT id FROM runs
WHERE merchant = ? AND command IN `+matchCommands+` AND business_date = ? AND id <> ?
  AND (status = ? OR status = ? AND (
       EXISTS (SELECT 1 FROM match_results WHERE merchant = runs.merchant AND run_id = runs.id)
    OR EXISTS (SELECT 1 FROM exceptions WHERE merchant = runs.merchant AND run_id = runs.id)
    OR EXISTS (SELECT 1 FROM exception_history WHERE merchant = runs.merchant AND run_id = runs.id)))`,
		merchant, date, keep, recon.RunOK, recon.RunFailed)
	if err != nil {
		return 0, fmt.Errorf("find earlier runs of %s: %w", date, err)
	}
	for _, id := range ids {
		if err := DeleteRunResults(ctx, q, merchant, id); err != nil {
			return 0, err
		}
		if err := DeleteRunHistory(ctx, q, merchant, id); err != nil {
			return 0, err
		}
		if _, err := q.ExecContext(ctx, `UPDATE runs SET status = ? WHERE merchant = ? AND id = ? AND status = ?`, recon.RunReplaced, merchant, id, recon.RunOK); err != nil {
			return 0, fmt.Errorf("mark run %d replaced: %w", id, err)
		}
	}
	return len(ids), nil
}

// CommitRun records that matching run runID, for business date date,
// succeeded, in one transaction: the date's earlier runs are replaced
// (as ReplaceDateResults does), record is told how many and returns the
// run's counts and inputs as JSON, and the run is marked recon.RunOK
// with them. install, if not nil, runs last, just before the commit (it
// puts the run's report files in place): an error from it, or from any
// step, rolls everything back, so the date's earlier runs and their
// rows and history stay as they were. The run's own results, exceptions
// and exception history were stored before, under its id; until this
// commit they count for nothing (PreviousMatchRun reads only ok runs).
// It returns how many runs it replaced.
func (db *DB) CommitRun(ctx context.Context, runID int64, date string, record func(replaced int) (counts, inputs string), install func() error) (int, error) {
	var n int
	err := db.InTx(ctx, func(q Q) error {
		var err error
		if n, err = ReplaceDateResults(ctx, q, db.merchant, date, runID); err != nil {
			return fmt.Errorf("replace earlier runs of %s: %w", date, err)
		}
		var counts, inputs string
		if record != nil {
			counts, inputs = record(n)
		}
		res, err := q.ExecContext(ctx, `UPDATE runs SET ended_at = ?, status = ?, error = '', counts = ?, inputs = ? WHERE merchant = ? AND id = ? AND status = ?`,
			time.Now().UTC(), recon.RunOK, counts, inputs, db.merchant, runID, recon.RunRunning)
		if err != nil {
			return fmt.Errorf("record run %d ok: %w", runID, err)
		}
		if k, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("record run %d ok: %w", runID, err)
		} else if k == 0 {
			return fmt.Errorf("record run %d ok: %w", runID, store.ErrNotRunning)
		}
		if install != nil {
			return install()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// countByRunSQL are the tables whose rows belong to a run, with the query
// that counts them per run (a table name cannot be a placeholder).
var countByRunSQL = map[string]string{
	"match_results":     `SELECT run_id, COUNT(*) FROM match_results WHERE merchant = ? GROUP BY run_id`,
	"exceptions":        `SELECT run_id, COUNT(*) FROM exceptions WHERE merchant = ? GROUP BY run_id`,
	"exception_history": `SELECT run_id, COUNT(*) FROM exception_history WHERE merchant = ? GROUP BY run_id`,
}

// CountByRun counts the rows of a per-run table (match_results,
// exceptions or exception_history) by run id; runs without rows are
// left out.
func (db *DB) CountByRun(ctx context.Context, table string) (map[int64]int, error) {
	q, ok := countByRunSQL[table]
	if !ok {
		return nil, fmt.Errorf("count %q by run: %w", table, store.ErrUnknownTable)
	}
	rows, err := db.Q().QueryContext(ctx, q, db.merchant)
	if err != nil {
		return nil, fmt.Errorf("count %s by run: %w", table, err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("count %s by run: %w", table, err)
		}
		out[id] = n
	}
	return out, rows.Err()
}
