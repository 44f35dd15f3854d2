package job

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/reports"
	"github.com/reconkit/reconkit/store"
)

// MatchResult is what the match phase found and where it wrote it.
type MatchResult struct {
	Summary  match.Summary `json:"summary"`
	Exports  []string      `json:"exports"`
	Duration time.Duration `json:"duration_ns"`
}

// ExportNames returns the paths of a business date's exception exports.
func ExportNames(reportDir, date string) (csvPath, jsonPath string) {
	return filepath.Join(reportDir, "exceptions-"+date+".csv"), filepath.Join(reportDir, "exceptions-"+date+".json")
}

// Match matches everything in the store for runID, stores the results
// and exceptions with the run, and writes the exceptions as CSV and JSON
// into reportDir. Each export is written to a temporary file and renamed,
// so yesterday's file stays whole until today's is complete.
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
	if err := os.MkdirAll(reportDir, 0o755); err != nil {
		return res, fmt.Errorf("create report dir: %w", err)
	}
	csvPath, jsonPath := ExportNames(reportDir, date)
	if err := reports.WriteFileAtomic(csvPath, func(w io.Writer) error { return reports.WriteExceptionsCSV(w, es) }); err != nil {
		return res, fmt.Errorf("write %s: %w", csvPath, err)
	}
	if err := reports.WriteFileAtomic(jsonPath, func(w io.Writer) error { return reports.WriteExceptionsJSON(w, es) }); err != nil {
		return res, fmt.Errorf("write %s: %w", jsonPath, err)
	}
	res.Exports = []string{csvPath, jsonPath}
	res.Duration = time.Since(start)
	log.Info("phase done", "phase", "match", "results", sum.Results, "matched", sum.Matched,
		"match_rate", sum.MatchRate, "exceptions", sum.Exceptions, "pending_settlement", sum.PendingSettlement,
		"seconds", res.Duration.Seconds(), "peak_rss_mib", peakRSSMiB())
	return res, nil
}

// WorkbookName is the path of a business date's workbook.
func WorkbookName(reportDir, date string) string {
	return filepath.Join(reportDir, "recon-"+date+".xlsx")
}

// Workbook writes the finance workbook of a match run to path.
func Workbook(ctx context.Context, db *store.DB, runID int64, path, date string, zone *time.Location, log *slog.Logger) error {
	start := time.Now()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create report dir: %w", err)
	}
	if err := reports.WriteWorkbook(ctx, db, runID, reports.WorkbookOptions{Path: path, BusinessDate: date, Zone: zone}); err != nil {
		return err
	}
	log.Info("phase done", "phase", "report", "workbook", path, "seconds", time.Since(start).Seconds(), "peak_rss_mib", peakRSSMiB())
	return nil
}
