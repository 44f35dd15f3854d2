// Package sqlstore holds the SQL that the SQLite and PostgreSQL backends
// share: runs, the typed readers, input files and fetch cursors, the
// results and exceptions a run stored, their history from run to run,
// the workbook's queries and the migration runner. Each backend embeds
// a DB and adds what is its own: opening, bulk loads, the match's
// snapshot, locks and upkeep.
//
// SQL here is written once, with ? markers, and is plain enough for
// both: times are bound as time.Time and read back as time.Time (or as
// text the report queries parse, see timeCol), sums are cast to BIGINT,
// and nothing relies on an order GROUP BY happens to give. Where the two
// differ the query is written per dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/store"
)

// Dialect names the backend a DB talks to, for the few queries written
// per backend.
type Dialect int

// The dialects.
const (
	SQLite Dialect = iota
	Postgres
)

// DB is the part of a backend's handle that runs shared SQL.
type DB struct {
	x        *sqlx.DB
	dialect  Dialect
	merchant string
	// beginTx starts a write transaction for the shared writes, and done
	// ends whatever it set up; see New.
	beginTx func(ctx context.Context) (tx *sqlx.Tx, done func(), err error)
	readers Readers // SetReaders'
	// beginLoad starts one of the backend's bulk loads (SetBeginLoad).
	beginLoad func(ctx context.Context) (store.Load, error)
}

// SetBeginLoad is how the shared code starts one of the backend's bulk
// loads (store.Load), for the writes too large for a statement a row or
// a batch of them (a month of open exceptions' history).
func (db *DB) SetBeginLoad(begin func(ctx context.Context) (store.Load, error)) { db.beginLoad = begin }

// New returns a DB over x for one merchant: every row it writes carries
// the merchant, every query filters on it. beginTx, if not nil, is how
// the shared writes start a transaction (a backend may want a
// connection set up for bulk writes); without it they use x.BeginTxx.
func New(x *sqlx.DB, d Dialect, merchant string, beginTx func(ctx context.Context) (*sqlx.Tx, func(), error)) *DB {
	if beginTx == nil {
		beginTx = func(ctx context.Context) (*sqlx.Tx, func(), error) {
			tx, err := x.BeginTxx(ctx, nil)
			return tx, func() {}, err
		}
	}
	return &DB{x: x, dialect: d, merchant: merchant, beginTx: beginTx}
}

// Merchant is the merchant every row and query of the DB is for.
func (db *DB) Merchant() string { return db.merchant }

// X is the connection pool.
func (db *DB) X() *sqlx.DB { return db.x }

// Q is the pool as a Q.
func (db *DB) Q() Q { return Q{db.x} }

// Q runs SQL written with ? markers on a pool, a connection or a
// transaction, rebinding the markers for its driver ($1, $2... for
// PostgreSQL; SQLite's are left as they are, at no cost). Its methods
// are named as database/sql's, so that the check that SQL is built from
// constants sees every call.
type Q struct{ e ext }

// ext is what *sqlx.DB, *sqlx.Conn and *sqlx.Tx have in common.
type ext interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
	QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row
	Rebind(query string) string
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// On returns a Q for a pool, a connection or a transaction.
func On(e ext) Q { return Q{e} }

// ExecContext runs a statement.
func (q Q) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.e.ExecContext(ctx, q.e.Rebind(query), args...)
}

// GetContext scans one row into dest; sql.ErrNoRows when there is none.
func (q Q) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return q.e.GetContext(ctx, dest, q.e.Rebind(query), args...)
}

// SelectContext scans every row into the slice dest points at.
func (q Q) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return q.e.SelectContext(ctx, dest, q.e.Rebind(query), args...)
}

// QueryContext runs a query.
func (q Q) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.e.QueryContext(ctx, q.e.Rebind(query), args...)
}

// QueryxContext runs a query whose rows scan into structs.
func (q Q) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	return q.e.QueryxContext(ctx, q.e.Rebind(query), args...)
}

// QueryRowxContext runs a query of one row.
func (q Q) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	return q.e.QueryRowxContext(ctx, q.e.Rebind(query), args...)
}

// preparer is a transaction or a connection.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// PrepareContext prepares a statement on a transaction or a connection.
func (q Q) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	p, ok := q.e.(preparer)
	if !ok {
		return nil, errors.New("prepare: not a transaction or a connection")
	}
	return p.PrepareContext(ctx, q.e.Rebind(query))
}

// InTx runs fn in a write transaction and commits it, or rolls it back
// when fn fails.
func (db *DB) InTx(ctx context.Context, fn func(q Q) error) error {
	tx, done, err := db.beginTx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer done()
	defer tx.Rollback() // no-op after Commit
	if err := fn(Q{tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			err = cerr
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// dialect tells the dialect of q's driver by its bind markers.
func (q Q) dialect() Dialect {
	if q.e.Rebind("?") != "?" {
		return Postgres
	}
	return SQLite
}
