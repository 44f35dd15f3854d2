package match

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// resultBatch is how many result rows Run hands the store at once; the
// rows are built as they are written, never all held at once.
const resultBatch = 4096

// errStopped ends the result builder when the writer has failed.
var errStopped = errors.New("stopped")

// tracePhase, when set (by the benchmark), is told how long each phase
// of Run took.
var tracePhase func(phase string, took time.Duration)

func trace(phase string, start time.Time) time.Time {
	now := time.Now()
	if tracePhase != nil {
		tracePhase(phase, now.Sub(start))
	}
	return now
}

// Run reads the store, matches, and writes the run's results and
// exceptions in one load, replacing any the run already had (other runs
// are untouched). The run must exist in the store's runs. It returns the
// run's totals.
func Run(ctx context.Context, db Store, runID int64, opts Options) (Summary, error) {
	if err := opts.Validate(); err != nil {
		return Summary{}, err
	}
	start := time.Now()
	begin := start
	defer tightenGC(matchGCPercent)()
	opts = opts.normalized()
	fp := fingerprint(opts)
	inc, whole, err := plan(ctx, db, runID, opts, fp)
	if err != nil {
		return Summary{}, fmt.Errorf("match run %d: %w", runID, err)
	}
	if inc != nil {
		// The base's exceptions are being read (the scope waits for
		// the seeds among them, the run for the rest after its own
		// read); a run that fails before never leaves a read behind.
		defer inc.wait() //nolint:errcheck // the run's error is its own
	}
	e, mark, err := readStore(ctx, db, opts, inc)
	if err != nil {
		return Summary{}, fmt.Errorf("match run %d: %w", runID, err)
	}
	scope := &ScopeSummary{WholeBecause: whole, Orders: len(e.d.orders), Links: len(e.d.links), Transactions: len(e.d.txns),
		Webhooks: len(e.d.hooks), LedgerLines: len(e.d.entries), sized: e.d.sized}
	mm := store.MatchMark{RunID: runID, Mark: mark, AsOf: opts.AsOf, Fingerprint: fp, LedgerNet: e.ledgerNet(), Sources: e.sourceTotals()}
	var carried []int
	var prev []recon.Exception
	if inc != nil {
		if err := inc.wait(); err != nil {
			return Summary{}, fmt.Errorf("match run %d: %w", runID, err)
		}
		prev = inc.prev
		carried = inc.carried()
		scope.Incremental, scope.BaseRunID, scope.Carried, scope.reached = true, inc.base.RunID, len(carried), inc.keys
		mm.Incremental, mm.BaseRunID = true, inc.base.RunID
	}
	start = trace("read", start)
	scope.ReadSeconds = time.Since(begin).Seconds()
	if inc != nil {
		scope.ScopeSeconds = inc.took.Seconds()
	}
	e.finish()
	e.release()
	scope.MatchSeconds = time.Since(start).Seconds()
	start = trace("match", start)
	if err := ctx.Err(); err != nil {
		return Summary{}, fmt.Errorf("match run %d: %w", runID, err)
	}

	load, err := db.BeginLoad(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("match run %d: %w", runID, err)
	}
	defer load.Rollback()
	if err := load.DeleteRunResults(runID); err != nil {
		return Summary{}, fmt.Errorf("match run %d: %w", runID, err)
	}
	// Result rows are built on one core while the store writes the
	// previous batch on the other; two batches take turns.
	tally := newTally()
	type batch struct {
		rows  []recon.MatchResult
		times []time.Time // the rows' PaidAt and BookedOn point here
	}
	free := make(chan *batch, 2)
	full := make(chan *batch, 2)
	for range 2 {
		free <- &batch{rows: make([]recon.MatchResult, 0, resultBatch), times: make([]time.Time, 0, 2*resultBatch)}
	}
	stop := make(chan struct{})
	var buildErr error
	go func() {
		defer close(full)
		b := <-free
		buildErr = e.eachResult(func(t time.Time) *time.Time {
			b.times = append(b.times, t)
			return &b.times[len(b.times)-1]
		}, func(r *recon.MatchResult) error {
			tally.result(r)
			b.rows = append(b.rows, *r)
			if len(b.rows) < resultBatch {
				return nil
			}
			full <- b
			b = nil
			select {
			case b = <-free:
				b.rows, b.times = b.rows[:0], b.times[:0]
				return nil
			case <-stop:
				return errStopped
			}
		})
		if b != nil && len(b.rows) > 0 {
			full <- b
		}
	}()
	for b := range full {
		if err == nil {
			_, err = load.MatchResults(runID, b.rows)
		}
		free <- b
		if err != nil {
			select {
			case <-stop:
			default:
				close(stop)
			}
		}
	}
	if err == nil {
		err = buildErr
	}
	all, from := mergeCarried(e.out, prev, carried)
	// In report order, carried or not: a run of either kind at a time,
	// the carried ones with the facts the base kept or looked up.
	for i := 0; err == nil && i < len(all); {
		carried := from[i] >= 0
		j := i + 1
		for j < len(all) && (from[j] >= 0) == carried {
			j++
		}
		if carried {
			facts := make([]store.ExceptionFacts, 0, j-i)
			for _, at := range from[i:j] {
				facts = append(facts, inc.prevFacts[at])
			}
			_, err = load.CarriedExceptions(runID, all[i:j], facts)
		} else {
			_, err = load.Exceptions(runID, all[i:j])
		}
		i = j
	}
	if err == nil {
		err = load.MatchMark(mm)
	}
	// A batch at a time, members and all: a net-settlement night's
	// million members are never all built at once.
	for i := 0; err == nil && i < len(e.batches); i++ {
		_, err = load.SettlementBatches(runID, []recon.SettlementBatch{e.settlementBatch(i)})
	}
	scope.WriteSeconds = time.Since(start).Seconds()
	start = trace("write", start)
	if err == nil {
		err = load.Commit()
	}
	scope.CommitSeconds = time.Since(start).Seconds()
	trace("commit", start)
	if err != nil {
		return Summary{}, fmt.Errorf("match run %d: store results: %w", runID, err)
	}
	s := tally.summary(all, e.pending)
	s.Settlement, s.Warnings = e.settleSum, e.warnings
	s.RunID, s.Scope, s.Open = runID, scope, all
	if inc != nil {
		s.Previous = &store.RunExceptions{RunID: inc.base.RunID, Exceptions: inc.prev, FirstSeen: inc.prevFirst}
	}
	return s, nil
}
