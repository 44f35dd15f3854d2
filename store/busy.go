package store

import (
	"errors"
	"fmt"

	"github.com/mattn/go-sqlite3"
)

// ErrBusy matches an error that came of another process holding the
// database: SQLite waited the busy timeout (5 s) for its lock and gave up.
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

// ExplainBusy returns err as a *BusyError naming path when SQLite gave
// up waiting for a lock another connection held (SQLITE_BUSY or
// SQLITE_LOCKED), and err itself otherwise.
func ExplainBusy(path string, err error) error {
	if err == nil || errors.Is(err, ErrBusy) {
		return err
	}
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		return &BusyError{Path: path, Err: err}
	}
	return err
}
