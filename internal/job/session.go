package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/reports"
	"github.com/reconkit/reconkit/store"
)

// SessionOptions say which command a session records, and where.
type SessionOptions struct {
	// Command is what the runs table calls it ("run", "match", "fetch",
	// "ingest webhooks", ...); BusinessDate is the day it is for, if any.
	Command      string
	BusinessDate string
	// Database is the database as configured (an SQLite file's path or a
	// postgres:// URL); Merchant the merchant the session is for.
	Database string
	Merchant string
	// ReportDir is cleaned of what dead writers left there. With Reports
	// the session also creates it and claims it for the run's own files
	// (see Session.Files).
	ReportDir string
	Reports   bool
	Version   string
	Log       *slog.Logger
}

// Session is one command's hold on the database: its lock, the open
// store and the run recorded in it. Every command that changes the
// database goes through Begin and Finish, so each takes the lock, records
// its run and ends that record the same way.
type Session struct {
	DB    store.Backend
	RunID int64
	// Log carries the run id (and the business date, if any).
	Log     *slog.Logger
	Started time.Time

	opts      SessionOptions
	lock      runLock
	owner     *reports.Owner
	sets      []*reports.FileSet
	committed bool
	ended     bool
}

// Begin takes the run lock and opens the store (see lockAndOpen: an
// SQLite database's file lock, or a PostgreSQL merchant's advisory lock;
// an error matching ErrLocked while another run holds it), records the
// run as running,
// records the failures earlier runs could not record themselves (left
// beside the lock), marks the runs a killed process left running as
// failed ("interrupted"), and cleans up after dead writers in the report
// directory: their temporary files go, and an install of report files
// that was cut short is finished or undone as its run's record says (see
// reports.RemoveStaleTemps). An error caused by another process holding
// the database matches store.ErrBusy and names the database.
func Begin(ctx context.Context, o SessionOptions) (*Session, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	lk, db, err := lockAndOpen(ctx, o.Database, o.Merchant)
	if err != nil {
		return nil, err
	}
	s := &Session{DB: db, opts: o, lock: lk, Started: time.Now().UTC()}
	s.RunID, err = db.StartRun(ctx, recon.Run{Command: o.Command, BusinessDate: o.BusinessDate, StartedAt: s.Started,
		Status: recon.RunRunning, Version: o.Version})
	if err != nil {
		s.closeStore()
		return nil, explainBusy(o.Database, err)
	}
	s.Log = o.Log.With("run_id", s.RunID)
	if o.BusinessDate != "" {
		s.Log = s.Log.With("business_date", o.BusinessDate)
	}
	// From here the run is recorded, and a failure ends its record.
	if err := s.begin(ctx); err != nil {
		return nil, s.Finish(err, nil, nil)
	}
	s.Log.Info("run started", "command", o.Command, "database", Describe(o.Database), "merchant", db.Merchant())
	return s, nil
}

func (s *Session) begin(ctx context.Context) error {
	for _, n := range s.lock.notes() {
		marked, err := s.DB.FailRun(ctx, n.runID, n.reason)
		if err != nil {
			return err
		}
		if marked {
			s.Log.Warn("recorded the failure of an earlier run that could not record it itself", "failed_run", n.runID, "error", n.reason)
		}
	}
	if len(s.lock.notes()) > 0 {
		if err := s.lock.clearNotes(); err != nil {
			return err
		}
	}
	if n, err := s.DB.MarkInterrupted(ctx, s.RunID); err != nil {
		return err
	} else if n > 0 {
		s.Log.Warn("earlier runs had been interrupted; marked failed", "runs", n)
	}
	if s.opts.ReportDir == "" {
		return nil
	}
	if s.opts.Reports {
		if err := os.MkdirAll(s.opts.ReportDir, 0o755); err != nil {
			return fmt.Errorf("create report dir: %w", err)
		}
		o, err := reports.Claim(s.opts.ReportDir, s.RunID, s.lock.database())
		if err != nil {
			return err
		}
		s.owner = o
	}
	sw, err := reports.RemoveStaleTemps(s.opts.ReportDir, func(n reports.OwnerNote) reports.Fate { return s.fate(ctx, n) })
	if sw.Removed > 0 {
		s.Log.Warn("removed temporary files a killed run left", "dir", s.opts.ReportDir, "files", sw.Removed)
	}
	if sw.Restored > 0 {
		s.Log.Warn("put back the report files a killed run had replaced before it could commit", "dir", s.opts.ReportDir, "files", sw.Restored)
	}
	return err
}

// fate judges a dead writer's unfinished install of report files: only
// a run of this database is this session's to judge, and its files stand
// if it committed (ok, or since replaced).
func (s *Session) fate(ctx context.Context, n reports.OwnerNote) reports.Fate {
	if n.RunID == 0 || n.Database != s.lock.database() {
		return reports.FateUnknown
	}
	r, err := s.DB.GetRun(ctx, n.RunID)
	if err != nil {
		return reports.FateUnknown
	}
	switch r.Status {
	case recon.RunOK, recon.RunReplaced:
		return reports.FateCommitted
	default:
		return reports.FateAbandoned
	}
}

// Files starts a set of the run's report files, staged in the report
// directory and put in place by Commit. The session must have been begun
// with Reports.
func (s *Session) Files() *reports.FileSet {
	set := s.owner.NewFileSet(true)
	s.sets = append(s.sets, set)
	return set
}

// Commit ends a matching run that succeeded. In one transaction it
// replaces the business date's earlier runs (marked replaced, their
// results, exceptions and exception history removed), records this run
// ok with the counts and inputs record returns (told how many runs were
// replaced), and, last before the commit, puts files in place (the
// workbook last; the previous files are kept until the commit is done).
// If anything fails, nothing is committed and the previous files are put
// back. A kill between the renames and the commit leaves the previous
// files beside the new ones: the next session of this database puts
// them back, since the run was never recorded ok.
func (s *Session) Commit(ctx context.Context, files *reports.FileSet, record func(replaced int) (counts, inputs any)) (int, error) {
	var install func() error
	if files != nil {
		install = files.Install
	}
	n, err := s.DB.CommitRun(ctx, s.RunID, s.opts.BusinessDate, func(replaced int) (string, string) {
		if record == nil {
			return "", ""
		}
		c, in := record(replaced)
		return jsonText(c), jsonText(in)
	}, install)
	if err != nil {
		if files != nil {
			if rerr := files.Restore(); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		return 0, fmt.Errorf("commit run %d: %w", s.RunID, err)
	}
	if files != nil {
		files.Done()
	}
	s.committed = true
	return n, nil
}

// Finish ends the session and returns the error the command ends with.
// Unless Commit recorded the run ok, it records the run's end: ok when
// err is nil, else failed with err's text. It records with a context that
// is never cancelled, so that an interrupted command (Ctrl-C) is recorded
// failed rather than left running. Should the database refuse the record
// (another process holds it), the failure is left beside the lock, and
// the next run records it. Then it removes the run's staged files,
// closes the database and releases the lock. An err caused by another
// process holding the database comes back as a store.BusyError naming it.
// A committed run stays ok whatever err is (a threshold crossed).
func (s *Session) Finish(err error, counts, inputs any) error {
	if s.ended {
		return err
	}
	s.ended = true
	err = explainBusy(s.opts.Database, err)
	ctx := context.Background()
	seconds := time.Since(s.Started).Seconds()
	switch {
	case s.committed:
		s.Log.Info("run finished", "status", recon.RunOK, "seconds", seconds)
	case err == nil:
		if ferr := s.DB.FinishRun(ctx, s.RunID, recon.RunOK, "", jsonText(counts), jsonText(inputs)); ferr != nil {
			err = fmt.Errorf("record the end of run %d: %w", s.RunID, explainBusy(s.opts.Database, ferr))
			s.note(err.Error())
			s.Log.Error("run failed", "seconds", seconds, "error", err.Error())
		} else {
			s.Log.Info("run finished", "status", recon.RunOK, "seconds", seconds)
		}
	default:
		if ferr := s.DB.FinishRun(ctx, s.RunID, recon.RunFailed, err.Error(), jsonText(counts), jsonText(inputs)); ferr != nil {
			s.Log.Error("could not record the run's failure; the next run will", "record_error", ferr.Error())
			s.note(err.Error())
		}
		s.Log.Error("run failed", "seconds", seconds, "error", err.Error())
	}
	for _, set := range s.sets {
		set.Discard()
	}
	if s.owner != nil {
		s.owner.Release()
	}
	if cerr := s.closeStore(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// closeStore closes the store and releases the run lock, in the order
// the lock wants (see runLock.outlivesStore).
func (s *Session) closeStore() error {
	release := func() {
		if err := s.lock.release(); err != nil && s.Log != nil {
			s.Log.Warn("could not release the run lock; it goes with its connection", "error", err.Error())
		}
	}
	if !s.lock.outlivesStore() {
		release()
	}
	err := s.DB.Close()
	if s.lock.outlivesStore() {
		release()
	}
	return err
}

// note leaves the run's failure beside the lock for the next run.
func (s *Session) note(reason string) {
	if err := s.lock.noteFailure(s.RunID, reason); err != nil {
		s.Log.Error("could not note the run's failure beside the lock", "error", err.Error())
	}
}

// jsonText is v as JSON, "" for nil.
func jsonText(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
