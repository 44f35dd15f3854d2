package sqlite

import (
	"errors"

	"github.com/mattn/go-sqlite3"

	"github.com/reconkit/reconkit/store"
)

// ExplainBusy returns err as a *store.BusyError naming path when SQLite
// gave up waiting for a lock another connection held (SQLITE_BUSY or
// SQLITE_LOCKED), and err itself otherwise.
func ExplainBusy(path string, err error) error {
	if err == nil || errors.Is(err, store.ErrBusy) {
		return err
	}
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		return &store.BusyError{Path: path, Err: err}
	}
	return err
}
