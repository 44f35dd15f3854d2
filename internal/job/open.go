package job

import (
	"context"
	"errors"

	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/postgres"
	"github.com/reconkit/reconkit/store/sqlite"
)

// The one place a database's name chooses its backend: a postgres://
// (or postgresql://) URL is a PostgreSQL database, anything else the
// path of an SQLite file.

// Open opens the store database names for merchant (store.DefaultMerchant
// when empty), for a command that only reads what runs committed (recon
// report): without the run lock, so that a run holding it does not stop
// the command, and without a run record. A command that loads or matches
// goes through Begin. An error caused by another process holding an
// SQLite database matches store.ErrBusy and names the database; a
// PostgreSQL URL's password is never in an error.
func Open(ctx context.Context, database, merchant string) (store.Backend, error) {
	if merchant == "" {
		merchant = store.DefaultMerchant
	}
	if postgres.IsURL(database) {
		db, err := postgres.Open(ctx, database, merchant)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	db, err := sqlite.Open(ctx, database, merchant)
	if err != nil {
		return nil, sqlite.ExplainBusy(database, err)
	}
	return db, nil
}

// Describe names database for a log line or a message: the path of an
// SQLite file, or a PostgreSQL URL without its password.
func Describe(database string) string {
	if postgres.IsURL(database) {
		return postgres.Redact(database)
	}
	return database
}

// explainBusy returns err as a store.BusyError naming the database when
// another process held an SQLite database; PostgreSQL waits for its
// locks instead, and its errors pass as they are.
func explainBusy(database string, err error) error {
	if postgres.IsURL(database) {
		return err
	}
	return sqlite.ExplainBusy(database, err)
}

// runLock keeps two runs of the same database (SQLite) or merchant
// (PostgreSQL) from overlapping, for a session.
type runLock interface {
	// database is what the report directory's owner notes record of the
	// database (never a password).
	database() string
	// notes are the failures earlier runs could not record; clearNotes
	// drops them once recorded, noteFailure leaves one for the next run.
	notes() []failureNote
	clearNotes() error
	noteFailure(runID int64, reason string) error
	release() error
	// outlivesStore says whether the lock is released after the store
	// closes (SQLite's, so that no other run starts while the log is
	// copied into the file) or before (PostgreSQL's, which lives on one
	// of the store's connections).
	outlivesStore() bool
}

// lockAndOpen takes the run lock and opens the store. SQLite's lock is
// a file beside the database, taken before the database is opened (or
// created); PostgreSQL's an advisory lock of the merchant, taken once
// the database is open and migrated.
func lockAndOpen(ctx context.Context, database, merchant string) (runLock, store.Backend, error) {
	if !postgres.IsURL(database) {
		lk, err := LockDatabase(database)
		if err != nil {
			return nil, nil, err
		}
		db, err := Open(ctx, database, merchant)
		if err != nil {
			lk.Release()
			return nil, nil, err
		}
		return fileLock{lk}, db, nil
	}
	db, err := Open(ctx, database, merchant)
	if err != nil {
		return nil, nil, err
	}
	lk, err := db.(*postgres.DB).LockRun(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return advisoryLock{lk}, db, nil
}

// fileLock is SQLite's run lock, the flock of Lock.
type fileLock struct{ l *Lock }

func (f fileLock) database() string     { return f.l.Database }
func (f fileLock) notes() []failureNote { return f.l.notes }
func (f fileLock) clearNotes() error {
	f.l.notes = nil
	return f.l.rewrite()
}
func (f fileLock) noteFailure(runID int64, reason string) error {
	return f.l.noteFailure(runID, reason)
}
func (f fileLock) outlivesStore() bool { return true }
func (f fileLock) release() error {
	f.l.Release()
	return nil
}

// advisoryLock is PostgreSQL's run lock. It has nowhere beside it to
// leave a failure: a run that could not record its end is marked
// interrupted by the next run of the merchant.
type advisoryLock struct{ l *postgres.RunLock }

func (a advisoryLock) database() string     { return a.l.Database }
func (a advisoryLock) notes() []failureNote { return nil }
func (a advisoryLock) clearNotes() error    { return nil }
func (a advisoryLock) noteFailure(runID int64, reason string) error {
	return errors.New("no lock file on PostgreSQL: the next run of the merchant marks the run interrupted")
}
func (a advisoryLock) outlivesStore() bool { return false }
func (a advisoryLock) release() error      { return a.l.Release() }
