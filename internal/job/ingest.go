package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
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
// Unless opts say otherwise, the log is parsed on one core fewer than
// there are: the writer needs one of its own (see writer).
func IngestWebhooks(ctx context.Context, db ingestStore, paths []string, opts ingest.WebhookOptions, strict bool, log *slog.Logger) (IngestResult, error) {
	if opts.Workers == 0 {
		// SQLite is the slower side: with a core of its own, the writer
		// back from a cgo call finds a free processor rather than waiting
		// for a parse worker to yield one.
		opts.Workers = max(1, runtime.GOMAXPROCS(0)-1)
	}
	read := func(ctx context.Context, path string, sink ingest.Sink) (ingest.Result, error) {
		return ingest.ReadWebhookLog(ctx, path, opts, sink)
	}
	return ingestFiles(ctx, db, string(ingest.KindWebhooks), paths, read, strict, log)
}

// IngestLedger reads ledger exports into the store in one transaction.
// Unless opts say otherwise, repeated rows are counted by
// sqlite.NewRowCounter (SQLite's, whichever the database): in memory up
// to a cap, in a temporary file beyond, so memory stops growing however
// long the export.
func IngestLedger(ctx context.Context, db ingestStore, paths []string, opts ingest.LedgerOptions, strict bool, log *slog.Logger) (IngestResult, error) {
	if opts.NewRowCounter == nil {
		opts.NewRowCounter = func() (ingest.RowCounter, error) { return sqlite.NewRowCounter(ctx) }
	}
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
	// The reason names its line (the ingest readers start it so).
	return fmt.Sprintf("%s: %d input errors (--strict, nothing stored); first: %s: %s",
		e.Kind, e.Count, e.First.File, e.First.Reason)
}

// ingestStore is the database as an ingest uses it.
type ingestStore interface {
	InputFileSeen(ctx context.Context, kind, sha256 string) (bool, error)
	BeginLoad(ctx context.Context) (store.Load, error)
}

// ingestFiles checks every file can be opened before reading any, then
// reads them all inside one load: either every file's rows and input
// errors are stored, or none are. A file whose content was ingested
// before (same SHA-256) is read again only to hash it and then skipped.
//
// The rows are written by a writer goroutine (see writer) while the
// reader goes on parsing, so that a file is read at the speed of the
// slower of the two rather than of both added up.
func ingestFiles(ctx context.Context, db ingestStore, kind string, paths []string, read reader, strict bool, log *slog.Logger) (IngestResult, error) {
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

	w := startWriter(load)
	defer w.stop()
	// failed names the cause of a failure: when a write failed, the
	// reader only saw that it was refused more rows.
	failed := func(err error) error {
		if werr := w.stop(); werr != nil {
			err = werr
		}
		return fmt.Errorf("ingest %s: %w", kind, err)
	}
	sinks := make([]*loadSink, len(paths))
	for i, p := range paths {
		sink := &loadSink{w: w}
		sinks[i] = sink
		r, err := read(ctx, p, sink)
		if err != nil {
			return res, failed(err)
		}
		seen, err := db.InputFileSeen(ctx, kind, r.SHA256)
		if err != nil {
			return res, err
		}
		if seen {
			// The rows are keyed, so reading them again added nothing; say so.
			res.Skipped = append(res.Skipped, p)
		}
		f := store.InputFile{Kind: kind, Path: p, SHA256: r.SHA256, Rows: r.Rows, Errors: r.Errors, IngestedAt: time.Now().UTC()}
		// After the file's rows, on the writer: only then is its count of
		// added rows known.
		err = w.do(func(l store.Load) error {
			if err := l.RecordInputFile(f); err != nil {
				return err
			}
			log.Info("file read", "kind", kind, "file", p, "rows", r.Rows, "added", sink.added, "input_errors", r.Errors, "already_ingested", seen)
			return nil
		})
		if err != nil {
			return res, failed(err)
		}
		res.Files = append(res.Files, r)
		res.Rows += r.Rows
		res.Errors += r.Errors
		res.First = append(res.First, sink.errors...)
	}
	if err := w.stop(); err != nil {
		return res, failed(err)
	}
	for _, s := range sinks {
		res.Added += s.added
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

// loadSink hands each batch to the writer. The readers reuse their
// slices once a call returns, so it sends a copy. added is counted on the
// writer goroutine: read it only after the writer has stopped, or in a
// later write.
type loadSink struct {
	w      *writer
	added  int
	errors []recon.InputError
}

func (s *loadSink) Webhooks(rows []recon.WebhookEvent) error {
	rows = slices.Clone(rows)
	return s.w.do(func(l store.Load) error {
		n, err := l.WebhookEvents(rows)
		s.added += n
		return err
	})
}

func (s *loadSink) Ledger(rows []recon.LedgerEntry) error {
	rows = slices.Clone(rows)
	return s.w.do(func(l store.Load) error {
		n, err := l.LedgerEntries(rows)
		s.added += n
		return err
	})
}

func (s *loadSink) InputErrors(rows []recon.InputError) error {
	rows = slices.Clone(rows)
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
	return s.w.do(func(l store.Load) error {
		_, err := l.InputErrors(rows)
		return err
	})
}

// writer applies writes to a Load, in the order given, on a goroutine of
// its own. SQLite writes on one thread, so parsing the next batch on
// another core while it stores the last one is what a second core can
// do for an ingest. At most writerQueue batches wait, which bounds the
// memory in flight and makes a reader that outruns SQLite wait.
type writer struct {
	ops    chan func(store.Load) error
	done   chan struct{}
	err    error // the first failure; written by the goroutine before done closes
	failed atomic.Bool
	closed bool
}

const writerQueue = 2

func startWriter(load store.Load) *writer {
	w := &writer{ops: make(chan func(store.Load) error, writerQueue), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for op := range w.ops {
			if w.err != nil {
				continue // the Load has failed and will roll back: drain
			}
			if err := op(load); err != nil {
				w.err = err
				w.failed.Store(true)
			}
		}
	}()
	return w
}

// errWriterFailed stops a reader whose earlier batch failed to store; the
// failure itself is returned by stop.
var errWriterFailed = errors.New("storing an earlier batch failed")

// do queues op. Once a write has failed it refuses more, so the reader
// stops early; the Load then refuses to commit.
func (w *writer) do(op func(store.Load) error) error {
	if w.failed.Load() {
		return errWriterFailed
	}
	w.ops <- op
	return nil
}

// stop waits for every queued write and returns the first failure. Later
// calls return the same.
func (w *writer) stop() error {
	if !w.closed {
		w.closed = true
		close(w.ops)
	}
	<-w.done
	return w.err
}
