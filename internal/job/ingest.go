package job

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// IngestResult counts what an ingest phase read and added.
type IngestResult struct {
	Files    []ingest.Result    `json:"files"`
	Skipped  []string           `json:"skipped"` // files already ingested, by content hash
	Rows     int                `json:"rows"`
	Added    int                `json:"added"` // rows not already in the database
	Errors   int                `json:"input_errors"`
	First    []recon.InputError `json:"-"` // the first input errors, for the command's own report
	Duration time.Duration      `json:"duration_ns"`
}

// reader reads one file into a sink.
type reader func(ctx context.Context, path string, sink ingest.Sink) (ingest.Result, error)

// IngestWebhooks reads webhook logs into the store in one transaction.
func IngestWebhooks(ctx context.Context, db *store.DB, paths []string, opts ingest.WebhookOptions, strict bool, log *slog.Logger) (IngestResult, error) {
	read := func(ctx context.Context, path string, sink ingest.Sink) (ingest.Result, error) {
		return ingest.ReadWebhookLog(ctx, path, opts, sink)
	}
	return ingestFiles(ctx, db, string(ingest.KindWebhooks), paths, read, strict, log)
}

// IngestLedger reads ledger exports into the store in one transaction.
func IngestLedger(ctx context.Context, db *store.DB, paths []string, opts ingest.LedgerOptions, strict bool, log *slog.Logger) (IngestResult, error) {
	read := func(ctx context.Context, path string, sink ingest.Sink) (ingest.Result, error) {
		return ingest.ReadLedger(ctx, path, opts, sink)
	}
	return ingestFiles(ctx, db, string(ingest.KindLedger), paths, read, strict, log)
}

// StrictError says --strict found input errors; nothing was stored.
type StrictError struct {
	Kind  string
	Count int
	First recon.InputError
}

func (e *StrictError) Error() string {
	return fmt.Sprintf("%s: %d input errors (--strict, nothing stored); first: %s:%d: %s",
		e.Kind, e.Count, e.First.File, e.First.Line, e.First.Reason)
}

// ingestFiles checks every file can be opened before reading any, then
// reads them all inside one load: either every file's rows and input
// errors are stored, or none are. A file whose content was ingested
// before (same SHA-256) is read again only to hash it and then skipped.
func ingestFiles(ctx context.Context, db *store.DB, kind string, paths []string, read reader, strict bool, log *slog.Logger) (IngestResult, error) {
	start := time.Now()
	var res IngestResult
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return res, fmt.Errorf("ingest %s: %w", kind, err)
		}
		f.Close()
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		return res, err
	}
	defer load.Rollback()

	for _, p := range paths {
		sink := &loadSink{load: load}
		r, err := read(ctx, p, sink)
		if err != nil {
			return res, fmt.Errorf("ingest %s: %w", kind, err)
		}
		seen, err := db.InputFileSeen(ctx, kind, r.SHA256)
		if err != nil {
			return res, err
		}
		if seen {
			// The rows are keyed, so reading them again added nothing; say so.
			res.Skipped = append(res.Skipped, p)
		}
		if err := load.RecordInputFile(store.InputFile{Kind: kind, Path: p, SHA256: r.SHA256, Rows: r.Rows, Errors: r.Errors, IngestedAt: time.Now().UTC()}); err != nil {
			return res, err
		}
		res.Files = append(res.Files, r)
		res.Rows += r.Rows
		res.Added += sink.added
		res.Errors += r.Errors
		res.First = append(res.First, sink.errors...)
		log.Info("file read", "kind", kind, "file", p, "rows", r.Rows, "added", sink.added, "input_errors", r.Errors, "already_ingested", seen)
	}
	if strict && res.Errors > 0 {
		return res, &StrictError{Kind: kind, Count: res.Errors, First: res.First[0]}
	}
	if err := load.Commit(); err != nil {
		return res, fmt.Errorf("store %s: %w", kind, err)
	}
	res.Duration = time.Since(start)
	log.Info("phase done", "phase", "ingest "+kind, "files", len(res.Files), "rows", res.Rows, "added", res.Added,
		"input_errors", res.Errors, "seconds", res.Duration.Seconds(), "peak_rss_mib", peakRSSMiB(), "process_cpu_seconds", processCPUSeconds())
	return res, nil
}

// loadSink writes each batch straight into the open load, so no batch is
// held after the call returns (the readers reuse their slices).
type loadSink struct {
	load   *store.Load
	added  int
	errors []recon.InputError
}

func (s *loadSink) Webhooks(rows []recon.WebhookEvent) error {
	n, err := s.load.WebhookEvents(rows)
	s.added += n
	return err
}

func (s *loadSink) Ledger(rows []recon.LedgerEntry) error {
	n, err := s.load.LedgerEntries(rows)
	s.added += n
	return err
}

func (s *loadSink) InputErrors(rows []recon.InputError) error {
	now := time.Now().UTC()
	for i := range rows {
		if rows[i].RecordedAt.IsZero() {
			rows[i].RecordedAt = now
		}
		// Keep the first errors for the command's own report; all are stored.
		if len(s.errors) < 100 {
			s.errors = append(s.errors, rows[i])
		}
	}
	_, err := s.load.InputErrors(rows)
	return err
}
