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

// IngestWebhooks reads webhook logs into the store in one transaction.
func IngestWebhooks(ctx context.Context, db *store.DB, paths []string, opts ingest.WebhookOptions, strict bool, log *slog.Logger) (IngestResult, error) {
	return ingestFiles(ctx, db, webhookReader(opts, 1), paths, strict, log)
}

// IngestLedger reads ledger exports into the store in one transaction.
func IngestLedger(ctx context.Context, db *store.DB, paths []string, opts ingest.LedgerOptions, strict bool, log *slog.Logger) (IngestResult, error) {
	return ingestFiles(ctx, db, ledgerReader(ctx, opts), paths, strict, log)
}

// IngestInputs reads the night's webhook logs and ledger exports side by
// side into one transaction: both are stored, or neither. SQLite stores
// on one thread, but reading, checking signatures and counting repeated
// ledger rows need not wait for it: with both inputs read at once, the
// writer always has rows from one while the other is parsed. Each result
// carries its own reader's duration; the two overlap. Input errors never
// fail it (there is no strict mode here).
func IngestInputs(ctx context.Context, db *store.DB, webhookPaths []string, wopts ingest.WebhookOptions, ledgerPaths []string, lopts ingest.LedgerOptions, log *slog.Logger) (hooks, ledger IngestResult, err error) {
	start := time.Now()
	hookR, ledgerR := webhookReader(wopts, 2), ledgerReader(ctx, lopts)
	for _, in := range []struct {
		r     kindReader
		paths []string
	}{{hookR, webhookPaths}, {ledgerR, ledgerPaths}} {
		for _, p := range in.paths {
			if err := canOpen(p); err != nil {
				return hooks, ledger, fmt.Errorf("ingest %s: %w", in.r.kind, err)
			}
		}
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		return hooks, ledger, err
	}
	defer load.Rollback()
	w := startWriter(load)
	defer w.stop()

	// The ledger's reader parses on a core the webhook log's workers
	// leave free: they take two fewer than there are (one at least).
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ledgerErr error
	var hookSinks, ledgerSinks []*loadSink
	done := make(chan struct{})
	go func() {
		defer close(done)
		ledger, ledgerSinks, ledgerErr = readFiles(readCtx, db, w, ledgerR, ledgerPaths, log)
		if ledgerErr != nil {
			cancel() // the webhook reader need not go on
		}
	}()
	hooks, hookSinks, err = readFiles(readCtx, db, w, hookR, webhookPaths, log)
	if err != nil {
		cancel()
	}
	<-done
	// A failed write is the cause of whatever a reader then saw.
	if werr := w.stop(); werr != nil {
		return hooks, ledger, fmt.Errorf("ingest: %w", werr)
	}
	for _, e := range []error{err, ledgerErr} {
		// A reader stopped because the other failed says only "context
		// canceled"; the other's error is the one to report.
		if e != nil && !(errors.Is(e, context.Canceled) && ctx.Err() == nil) {
			return hooks, ledger, e
		}
	}
	hooks.Added, ledger.Added = added(hookSinks), added(ledgerSinks)
	if err := load.Commit(); err != nil {
		return hooks, ledger, fmt.Errorf("store inputs: %w", err)
	}
	log.Info("phase done", "phase", "ingest", "files", len(hooks.Files)+len(ledger.Files), "rows", hooks.Rows+ledger.Rows,
		"added", hooks.Added+ledger.Added, "input_errors", hooks.Errors+ledger.Errors,
		"webhook_rows", hooks.Rows, "webhook_seconds", hooks.Duration.Seconds(),
		"ledger_rows", ledger.Rows, "ledger_seconds", ledger.Duration.Seconds(),
		"seconds", time.Since(start).Seconds(), "peak_rss_mib", peakRSSMiB(), "process_cpu_seconds", processCPUSeconds())
	return hooks, ledger, nil
}

// kindReader reads one kind of input file into a sink.
type kindReader struct {
	kind string
	read func(ctx context.Context, path string, sink ingest.Sink) (ingest.Result, error)
}

// webhookReader reads webhook logs. Unless opts say otherwise, the log is
// parsed on spare cores fewer than there are: the writer needs one of
// its own (see writer), and so does anything else reading beside it.
func webhookReader(opts ingest.WebhookOptions, spare int) kindReader {
	if opts.Workers == 0 {
		// SQLite is the slower side: with a core of its own, the writer
		// back from a cgo call finds a free processor rather than waiting
		// for a parse worker to yield one.
		opts.Workers = max(1, runtime.GOMAXPROCS(0)-spare)
	}
	return kindReader{kind: string(ingest.KindWebhooks), read: func(ctx context.Context, path string, sink ingest.Sink) (ingest.Result, error) {
		return ingest.ReadWebhookLog(ctx, path, opts, sink)
	}}
}

// ledgerReader reads ledger exports. Unless opts say otherwise, repeated
// rows are counted in a temporary file (store.NewRowCounter), so memory
// does not grow with the export.
func ledgerReader(ctx context.Context, opts ingest.LedgerOptions) kindReader {
	if opts.NewRowCounter == nil {
		opts.NewRowCounter = func() (ingest.RowCounter, error) { return store.NewRowCounter(ctx) }
	}
	return kindReader{kind: string(ingest.KindLedger), read: func(ctx context.Context, path string, sink ingest.Sink) (ingest.Result, error) {
		return ingest.ReadLedger(ctx, path, opts, sink)
	}}
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
// errors are stored, or none are.
//
// The rows are written by a writer goroutine (see writer) while the
// reader goes on parsing, so that a file is read at the speed of the
// slower of the two rather than of both added up.
func ingestFiles(ctx context.Context, db *store.DB, r kindReader, paths []string, strict bool, log *slog.Logger) (IngestResult, error) {
	for _, p := range paths {
		if err := canOpen(p); err != nil {
			return IngestResult{}, fmt.Errorf("ingest %s: %w", r.kind, err)
		}
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		return IngestResult{}, err
	}
	defer load.Rollback()

	start := time.Now()
	w := startWriter(load)
	defer w.stop()
	res, sinks, err := readFiles(ctx, db, w, r, paths, log)
	// A failed write is the cause of whatever the reader then saw: it
	// was only refused more rows.
	if werr := w.stop(); werr != nil {
		return res, fmt.Errorf("ingest %s: %w", r.kind, werr)
	}
	if err != nil {
		return res, err
	}
	res.Added = added(sinks)
	if strict && res.Errors > 0 {
		return res, &StrictError{Kind: r.kind, Count: res.Errors, First: res.First[0]}
	}
	if err := load.Commit(); err != nil {
		return res, fmt.Errorf("store %s: %w", r.kind, err)
	}
	res.Duration = time.Since(start)
	log.Info("phase done", "phase", "ingest "+r.kind, "files", len(res.Files), "rows", res.Rows, "added", res.Added,
		"input_errors", res.Errors, "seconds", res.Duration.Seconds(), "peak_rss_mib", peakRSSMiB(), "process_cpu_seconds", processCPUSeconds())
	return res, nil
}

func canOpen(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// readFiles reads every file through the writer w, recording each file
// after its rows. A file whose content was ingested before (same
// SHA-256) is read again only to hash it, and reported skipped. It
// neither stops w nor commits: Duration is the reading's, and Added is
// left for the caller to take from the sinks once w has stopped.
func readFiles(ctx context.Context, db *store.DB, w *writer, r kindReader, paths []string, log *slog.Logger) (IngestResult, []*loadSink, error) {
	start := time.Now()
	var res IngestResult
	sinks := make([]*loadSink, len(paths))
	for i, p := range paths {
		sink := &loadSink{w: w}
		sinks[i] = sink
		got, err := r.read(ctx, p, sink)
		if err != nil {
			return res, sinks, fmt.Errorf("ingest %s: %w", r.kind, err)
		}
		seen, err := db.InputFileSeen(ctx, r.kind, got.SHA256)
		if err != nil {
			return res, sinks, err
		}
		if seen {
			// The rows are keyed, so reading them again added nothing; say so.
			res.Skipped = append(res.Skipped, p)
		}
		f := store.InputFile{Kind: r.kind, Path: p, SHA256: got.SHA256, Rows: got.Rows, Errors: got.Errors, IngestedAt: time.Now().UTC()}
		// After the file's rows, on the writer: only then is its count of
		// added rows known.
		err = w.do(func(l *store.Load) error {
			if err := l.RecordInputFile(f); err != nil {
				return err
			}
			log.Info("file read", "kind", r.kind, "file", p, "rows", got.Rows, "added", sink.added, "input_errors", got.Errors, "already_ingested", seen)
			return nil
		})
		if err != nil {
			return res, sinks, fmt.Errorf("ingest %s: %w", r.kind, err)
		}
		res.Files = append(res.Files, got)
		res.Rows += got.Rows
		res.Errors += got.Errors
		res.First = append(res.First, sink.errors...)
	}
	res.Duration = time.Since(start)
	return res, sinks, nil
}

// added is how many rows the sinks' batches added: read it only after
// the writer has stopped.
func added(sinks []*loadSink) int {
	n := 0
	for _, s := range sinks {
		n += s.added
	}
	return n
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
	return s.w.do(func(l *store.Load) error {
		n, err := l.WebhookEvents(rows)
		s.added += n
		return err
	})
}

func (s *loadSink) Ledger(rows []recon.LedgerEntry) error {
	rows = slices.Clone(rows)
	return s.w.do(func(l *store.Load) error {
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
	return s.w.do(func(l *store.Load) error {
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
	ops    chan func(*store.Load) error
	done   chan struct{}
	err    error // the first failure; written by the goroutine before done closes
	failed atomic.Bool
	closed bool
}

const writerQueue = 2

func startWriter(load *store.Load) *writer {
	w := &writer{ops: make(chan func(*store.Load) error, writerQueue), done: make(chan struct{})}
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
func (w *writer) do(op func(*store.Load) error) error {
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
