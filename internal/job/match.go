package job

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/reports"
	"github.com/reconkit/reconkit/store"
)

// MatchResult is what the match phase found and where it wrote it.
type MatchResult struct {
	Summary match.Summary `json:"summary"`
	// Carry relates the exceptions to the previous run's; Replaced
	// counts earlier runs of the same date whose results this run
	// replaced.
	Carry    store.Carry   `json:"carry"`
	Replaced int           `json:"replaced_runs"`
	Exports  []string      `json:"exports"`
	Duration time.Duration `json:"duration_ns"`
}

// ExportNames returns the paths of a business date's exception exports.
func ExportNames(reportDir, date string) (csvPath, jsonPath string) {
	return filepath.Join(reportDir, "exceptions-"+date+".csv"), filepath.Join(reportDir, "exceptions-"+date+".json")
}

// ResolvedName is the path of a business date's export of the
// exceptions resolved since the previous run.
func ResolvedName(reportDir, date string) string {
	return filepath.Join(reportDir, "resolved-"+date+".csv")
}

// Match matches everything in the store for runID (a run for business
// date), stores the results and exceptions with the run, carries the
// open exceptions' first-seen dates forward from the previous run, and
// replaces the results of earlier runs for the same date. It writes the
// exceptions as CSV and JSON, and those resolved since the previous run
// as CSV, into reportDir. Each export is written to a temporary file and
// renamed, so yesterday's file stays whole until today's is complete.
func Match(ctx context.Context, db *store.DB, runID int64, opts match.Options, reportDir, date string, log *slog.Logger) (MatchResult, error) {
	start := time.Now()
	var res MatchResult
	sum, err := match.Run(ctx, db, runID, opts)
	if err != nil {
		return res, err
	}
	res.Summary = sum
	es, err := db.Exceptions(ctx, runID)
	if err != nil {
		return res, fmt.Errorf("read exceptions of run %d: %w", runID, err)
	}
	var firstSeen map[string]string
	if res.Carry, firstSeen, err = db.CarryForward(ctx, runID, date, es); err != nil {
		return res, fmt.Errorf("carry exceptions forward: %w", err)
	}
	// Only now that this run's rows are complete are the date's earlier
	// ones dropped: a failure before here leaves them as they were.
	if res.Replaced, err = db.ReplaceDateResults(ctx, date, runID); err != nil {
		return res, fmt.Errorf("replace earlier results of %s: %w", date, err)
	}
	resolved, err := db.ResolvedSince(ctx, runID)
	if err != nil {
		return res, fmt.Errorf("read exceptions resolved since the last run: %w", err)
	}
	aging := reports.Aging{Date: date, FirstSeen: firstSeen}
	if err := os.MkdirAll(reportDir, 0o755); err != nil {
		return res, fmt.Errorf("create report dir: %w", err)
	}
	csvPath, jsonPath := ExportNames(reportDir, date)
	if err := reports.WriteFileAtomic(csvPath, func(w io.Writer) error { return reports.WriteExceptionsCSV(w, es, aging) }); err != nil {
		return res, fmt.Errorf("write %s: %w", csvPath, err)
	}
	if err := reports.WriteFileAtomic(jsonPath, func(w io.Writer) error { return reports.WriteExceptionsJSON(w, es, aging) }); err != nil {
		return res, fmt.Errorf("write %s: %w", jsonPath, err)
	}
	resolvedPath := ResolvedName(reportDir, date)
	if err := reports.WriteFileAtomic(resolvedPath, func(w io.Writer) error { return reports.WriteResolvedCSV(w, resolved) }); err != nil {
		return res, fmt.Errorf("write %s: %w", resolvedPath, err)
	}
	res.Exports = []string{csvPath, jsonPath, resolvedPath}
	res.Duration = time.Since(start)
	log.Info("phase done", "phase", "match", "results", sum.Results, "matched", sum.Matched,
		"match_rate", sum.MatchRate, "exceptions", sum.Exceptions, "pending_settlement", sum.PendingSettlement,
		"new", res.Carry.New, "carried", res.Carry.Carried, "resolved", res.Carry.Resolved, "replaced_runs", res.Replaced,
		"seconds", res.Duration.Seconds(), "peak_rss_mib", peakRSSMiB(), "process_cpu_seconds", processCPUSeconds())
	return res, nil
}

// WorkbookName is the path of a business date's workbook.
func WorkbookName(reportDir, date string) string {
	return filepath.Join(reportDir, "recon-"+date+".xlsx")
}

// Workbook writes the finance workbook of a match run to path. onControl,
// if not nil, is given the Summary's control lines.
func Workbook(ctx context.Context, db *store.DB, runID int64, path, date string, zone *time.Location, onControl func([]reports.ControlLine), log *slog.Logger) error {
	start := time.Now()
	// After a match in the same process, most of the Go heap (about 600
	// MiB at a million orders) is garbage that Go hands back to the
	// system only gradually, so the workbook's own few hundred MiB landed
	// on top of it: `recon run` peaked at 930 MiB in the report phase.
	// One forced collection, with a small live heap, returns it now.
	debug.FreeOSMemory()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create report dir: %w", err)
	}
	if err := reports.WriteWorkbook(ctx, db, runID, reports.WorkbookOptions{Path: path, BusinessDate: date, Zone: zone, OnControl: onControl}); err != nil {
		return err
	}
	log.Info("phase done", "phase", "report", "workbook", path, "seconds", time.Since(start).Seconds(), "peak_rss_mib", peakRSSMiB(), "process_cpu_seconds", processCPUSeconds())
	return nil
}
