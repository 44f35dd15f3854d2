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
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/reports"
	"github.com/reconkit/reconkit/store"
)

// MatchResult is what the match phase found and where it wrote it.
type MatchResult struct {
	Summary match.Summary `json:"summary"`
	// Carry relates the exceptions to the previous run's; Replaced
	// counts earlier runs of the same date whose results this run
	// replaced when it committed.
	Carry    store.Carry `json:"carry"`
	Replaced int         `json:"replaced_runs"`
	// Decisions say how finance's decisions bear on the exceptions.
	Decisions DecisionCounts `json:"decisions"`
	Exports   []string       `json:"exports"`
	Duration  time.Duration  `json:"duration_ns"`
	// FirstSeen is the first-seen date of each exception key, as the
	// carry-forward recorded it; with Carry.ResolvedExceptions it is the
	// run's history, which the workbook takes (History) rather than read.
	FirstSeen map[string]string `json:"-"`
}

// History is the run's exception history as Match recorded it.
func (m *MatchResult) History() *reports.RunHistory {
	return &reports.RunHistory{FirstSeen: m.FirstSeen, Resolved: m.Carry.ResolvedExceptions}
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

// matchStore is the database as the match phase uses it.
type matchStore interface {
	match.Store
	CarryForward(ctx context.Context, runID int64, date string, es []recon.Exception, prev *store.RunExceptions) (store.Carry, map[string]string, error)
	LatestDecisions(ctx context.Context) (map[string]recon.Decision, error)
}

// Match matches everything in the store for runID (a run for business
// date), stores the results and exceptions under the run, records their
// first-seen dates under the run (carried forward from the previous
// successful run), and stages the exceptions as CSV and JSON, and those
// resolved since the previous run as CSV, in files (files in reportDir).
// Nothing of it counts until the run commits (Session.Commit): the
// date's earlier runs, their rows and their files stay as they are, and
// so does every other run's exception history.
func Match(ctx context.Context, db matchStore, runID int64, opts match.Options, files *reports.FileSet, reportDir, date string, log *slog.Logger) (MatchResult, error) {
	start := time.Now()
	var res MatchResult
	sum, err := match.Run(ctx, db, runID, opts)
	if err != nil {
		return res, err
	}
	res.Summary = sum
	es := sum.Open
	var firstSeen map[string]string
	if res.Carry, firstSeen, err = db.CarryForward(ctx, runID, date, es, sum.Previous); err != nil {
		return res, fmt.Errorf("carry exceptions forward: %w", err)
	}
	res.FirstSeen = firstSeen
	resolved := res.Carry.ResolvedExceptions
	latest, err := db.LatestDecisions(ctx)
	if err != nil {
		return res, err
	}
	res.Decisions = countDecisions(es, latest)
	aging := reports.Annotations{Date: date, FirstSeen: firstSeen, Decisions: latest}
	csvPath, jsonPath := ExportNames(reportDir, date)
	resolvedPath := ResolvedName(reportDir, date)
	err = files.AddAll(
		reports.FileWrite{Path: csvPath, Write: func(w io.Writer) error { return reports.WriteExceptionsCSV(w, es, aging) }},
		reports.FileWrite{Path: jsonPath, Write: func(w io.Writer) error { return reports.WriteExceptionsJSON(w, es, aging) }},
		reports.FileWrite{Path: resolvedPath, Write: func(w io.Writer) error { return reports.WriteResolvedCSV(w, resolved) }})
	if err != nil {
		return res, err
	}
	res.Exports = []string{csvPath, jsonPath, resolvedPath}
	res.Duration = time.Since(start)
	log.Info("phase done", "phase", "match", "results", sum.Results, "matched", sum.Matched,
		"match_rate", sum.MatchRate, "exceptions", sum.Exceptions, "pending_settlement", sum.PendingSettlement,
		"new", res.Carry.New, "carried", res.Carry.Carried, "resolved", res.Carry.Resolved,
		"explained_by_decision", res.Decisions.Explained, "reopened", res.Decisions.Reopened,
		"seconds", res.Duration.Seconds(), "peak_rss_mib", peakRSSMiB(), "process_cpu_seconds", processCPUSeconds())
	if sc := sum.Scope; sc != nil {
		took := []any{"scope_seconds", sc.ScopeSeconds, "read_seconds", sc.ReadSeconds, "match_seconds", sc.MatchSeconds,
			"write_seconds", sc.WriteSeconds, "commit_seconds", sc.CommitSeconds}
		if sc.Incremental {
			log.Info("matched what the night reached", append([]any{"phase", "match", "base_run", sc.BaseRunID, "transactions", sc.Transactions,
				"webhook_events", sc.Webhooks, "ledger_entries", sc.LedgerLines, "orders", sc.Orders, "carried_exceptions", sc.Carried}, took...)...)
		} else {
			log.Info("matched whole", append([]any{"phase", "match", "because", sc.WholeBecause, "transactions", sc.Transactions}, took...)...)
		}
	}
	for _, w := range sum.Warnings {
		log.Warn(w, "phase", "match")
	}
	return res, nil
}

// WorkbookName is the path of a business date's workbook.
func WorkbookName(reportDir, date string) string {
	return filepath.Join(reportDir, "recon-"+date+".xlsx")
}

// WorkbookOptions say where a run's workbook goes.
type WorkbookOptions struct {
	Path, Date string
	Zone       *time.Location
	// Files, when set, stages the workbook for the run's commit, which
	// puts it in place; the workbook then shows the run as ok, as it will
	// be once the workbook is in place. Without it the workbook is
	// written and renamed over Path at once, showing the run as recorded.
	Files *reports.FileSet
	// OnControl, if not nil, is given the Summary's control lines;
	// OnDigest its figures for the summary files.
	OnControl func([]reports.ControlLine)
	OnDigest  func(reports.Digest)
	// LinkHosts, Warnings and History are reports.WorkbookOptions'.
	LinkHosts []string
	Warnings  []string
	History   *reports.RunHistory
}

// Workbook writes the finance workbook of a match run.
func Workbook(ctx context.Context, db reports.Store, runID int64, o WorkbookOptions, log *slog.Logger) error {
	start := time.Now()
	// After a match in the same process most of the Go heap is garbage,
	// which Go hands back to the system only gradually: the workbook's
	// own memory would come on top of it and set the run's peak. One
	// forced collection, with a small live heap, returns it first
	// (docs/performance.md has the figures).
	debug.FreeOSMemory()
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o755); err != nil {
		return fmt.Errorf("create report dir: %w", err)
	}
	wo := reports.WorkbookOptions{Path: o.Path, BusinessDate: o.Date, Zone: o.Zone, OnControl: o.OnControl, Files: o.Files,
		LinkHosts: o.LinkHosts, Warnings: o.Warnings, OnDigest: o.OnDigest, History: o.History}
	if o.Files != nil {
		wo.Status = recon.RunOK
	}
	if err := reports.WriteWorkbook(ctx, db, runID, wo); err != nil {
		return err
	}
	log.Info("phase done", "phase", "report", "workbook", o.Path, "seconds", time.Since(start).Seconds(), "peak_rss_mib", peakRSSMiB(), "process_cpu_seconds", processCPUSeconds())
	return nil
}
