package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// sqliteLoadConn takes a connection of its own for a Load, with
// temp_store = MEMORY. SQLite keeps a statement journal of the pages each
// multi-row statement changes, to undo just that statement if it fails;
// past 64 KiB it spills to a temporary file, and a chunk of upserts whose
// keys land all over an index changes well over that. In memory it is a
// copy of a few hundred pages at most. SQLite reads the setting when the
// write transaction starts, so it is made before BEGIN. The commit leaves
// the log's pages in the log (see sqliteDriver).
func sqliteLoadConn(ctx context.Context, x *sqlx.DB) (*sqlx.Conn, error) {
	conn, err := x.Connx(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA temp_store = MEMORY`); err != nil {
		sqliteDiscardConn(conn)
		return nil, err
	}
	return conn, nil
}

// sqliteDiscardConn closes a Load's connection instead of returning it to
// the pool: its settings (and the cache a Load may set, see
// Load.sqliteSetCache) are for bulk writes only, and closing frees them
// at once, back to the operating system. The pool opens a fresh
// connection when it next needs one.
func sqliteDiscardConn(conn *sqlx.Conn) {
	// Raw returning ErrBadConn is how database/sql is told to close a
	// connection rather than reuse it; Close then only reports it done.
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
	sqliteReturnMemory()
}

// The page cache a Load sets for itself before its first rows, in place
// of the pool's 64 MiB; the first setting sticks for the Load, and the
// memory goes when it ends (sqliteDiscardConn).
const (
	// sqliteHashedCache, for webhook events and ledger entries: their
	// indexes take inserts at random places (the gateway's transaction
	// ids, ledger references, and within a stamp the hash part of the
	// unique keys); once the indexes outgrow 64 MiB (at about 300k rows)
	// nearly every such insert would read a page back and write another
	// out. 256 MiB holds the indexes of a million-row night, and fills
	// only as far as the load needs (docs/performance.md, "Figures behind
	// the code").
	sqliteHashedCache = `PRAGMA cache_size = -262144`
	// sqliteAppendCache, for match results: a new run's rows and its
	// index entries go at the right edge of their trees, so a page once
	// full is not touched again, and a large cache would only hold
	// written pages: the pool's 64 MiB would stay resident through the
	// whole write for nothing.
	sqliteAppendCache = `PRAGMA cache_size = -8192`
)

func (l *Load) sqliteSetCache(pragma string) error {
	if l.cacheSet {
		return nil
	}
	if _, err := l.tx.ExecContext(l.ctx, pragma); err != nil {
		return l.fail(fmt.Errorf("set the page cache: %w", err))
	}
	l.cacheSet = true
	return nil
}
