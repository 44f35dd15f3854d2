package store

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned by lookups of a single row that does not exist.
var ErrNotFound = errors.New("not found")

// ErrSchemaTooNew is returned when opening a database migrated by a
// newer binary: its tables may mean things this binary does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// ErrLoadDone is returned by a Load used after Commit or Rollback.
var ErrLoadDone = errors.New("load already committed or rolled back")

// ErrNoRun is returned when results are written for run id 0.
var ErrNoRun = errors.New("results need a run id")

// ErrNotRunning is returned by CommitRun for a run that is not recorded
// as running: it already ended, or another run marked it interrupted.
var ErrNotRunning = errors.New("run is not running")

// ErrUnknownTable is returned by Count and CountByRun for a name outside
// their lists.
var ErrUnknownTable = errors.New("unknown table")

// ErrBusy matches an error that came of another process holding the
// database: the backend waited for its lock and gave up.
var ErrBusy = errors.New("database held by another process")

// BusyError is an error that came of another process holding the
// database at Path. It matches ErrBusy.
type BusyError struct {
	Path string
	Err  error
}

// Error says what happened, which database, and what to do.
func (e *BusyError) Error() string {
	return fmt.Sprintf("%v: another process holds the database %s (an sqlite3 shell, a backup or a program reading it in a long write transaction; `fuser %s` names it); let it finish, then run again",
		e.Err, e.Path, e.Path)
}

// Unwrap returns the cause.
func (e *BusyError) Unwrap() error { return e.Err }

// Is matches ErrBusy.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// ErrLocked says another run holds the run lock of the database (SQLite:
// the file lock beside it) or of the merchant (PostgreSQL: an advisory
// lock).
var ErrLocked = errors.New("another run holds the lock")
