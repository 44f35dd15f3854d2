package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// DB is an open reconciliation database in one SQLite file.
type DB struct {
	*sqlstore.DB
	sqlstore.OneShots
	x    *sqlx.DB
	path string
	ckpt *checkpointer
	// readChunk is SetReadChunk's, 0 for readChunk.
	readChunk int
}

var _ store.Backend = (*DB)(nil)

// Open opens the database file at path for merchant, creating it and its
// directory if needed, and brings its schema up to date. A database
// written by a newer binary is refused with store.ErrSchemaTooNew rather
// than misread.
func Open(ctx context.Context, path, merchant string) (*DB, error) {
	if err := store.CheckMerchant(merchant); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if path == "" {
		return nil, errors.New("open database: empty path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
	}
	if err := sqliteCreate(ctx, path); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	x, err := sqlx.Open(sqliteDriver, sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := &DB{x: x, path: path}
	db.DB = sqlstore.New(x, sqlstore.SQLite, merchant, db.beginTx)
	db.DB.SetReaders(sqlstore.Readers{Exceptions: db.readExceptions, RunExceptions: db.readRunExceptions, FirstSeen: db.readFirstSeen})
	db.DB.SetBeginLoad(db.BeginLoad)
	db.OneShots = sqlstore.OneShots{Begin: db.BeginLoad}
	if err := db.init(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if db.ckpt, err = startCheckpointer(ctx, x); err != nil {
		x.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

func (db *DB) init(ctx context.Context) error {
	if err := db.x.PingContext(ctx); err != nil {
		return err
	}
	if err := sqliteRequireWAL(ctx, db.x); err != nil {
		return err
	}
	return db.migrate(ctx, 0)
}

// Close closes the database, after the background checkpoint (see
// checkpointer) if one is under way; closing the last connection copies
// what is left of the log into the file. Pending reads and loads must be
// finished first.
func (db *DB) Close() error {
	ckErr := db.ckpt.stop()
	if err := db.x.Close(); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, errors.Join(err, ckErr))
	}
	if ckErr != nil {
		return fmt.Errorf("close database %s: %w", db.path, ckErr)
	}
	return nil
}

// Upkeep starts copying what the write-ahead log holds into the
// database file, on a connection and a goroutine of its own, and returns
// at once (see checkpointer). Call it when the process is about to wait
// on something other than the CPU, such as the network; Close waits for
// it. A checkpoint already under way is followed by one more.
func (db *DB) Upkeep() { db.ckpt.soon() }

// beginTx starts the shared writes' transactions (sqlstore.DB.InTx) on a
// connection set up as a Load's (see sqliteLoadConn): a re-run's
// commit deletes the date's earlier results, a million rows and their
// index entries.
func (db *DB) beginTx(ctx context.Context) (*sqlx.Tx, func(), error) {
	conn, err := sqliteLoadConn(ctx, db.x)
	if err != nil {
		return nil, nil, err
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		sqliteDiscardConn(conn)
		return nil, nil, err
	}
	return tx, func() { sqliteDiscardConn(conn) }, nil
}

// Path is the file the database was opened from.
func (db *DB) Path() string { return db.path }

// sqliteDSN builds a go-sqlite3 DSN whose settings apply to every
// connection the pool opens (a PRAGMA run once would reach only one):
//   - WAL, so reports can read while an ingest writes;
//   - busy_timeout, so a second writer waits instead of failing at once;
//   - foreign keys on (SQLite leaves them off by default);
//   - synchronous=NORMAL: in WAL mode a crash can lose the last commits
//     but never corrupts, and a run can simply be repeated;
//   - BEGIN IMMEDIATE for transactions, so a load takes the write lock up
//     front rather than failing with SQLITE_BUSY half-way;
//   - a 64 MiB page cache, so a bulk load's index pages stay in memory;
//   - no mutex of the connection's own (SQLITE_OPEN_NOMUTEX): SQLite
//     takes it in every step, bind and column call, up to 20 times a row
//     in a bulk insert or a scan (BenchmarkMatch's read: 10% less CPU
//     without it), to guard against two threads using one connection at
//     once, which database/sql never does: it hands a connection to one
//     caller at a time and serialises every call on it, and the C code
//     here (bulk.go, scan.go) reaches a connection only through
//     Conn.Raw, which holds it. SQLite's process-wide locks (the shared
//     WAL index, the files) are unchanged, and sqlite3_interrupt, which
//     go-sqlite3 calls from another goroutine when a context ends, is
//     made to be called so.
//
// The path is escaped because SQLite reads a "file:" DSN as a URI.
func sqliteDSN(path string) string {
	return "file:" + sqliteEscape(path) + "?_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on" +
		"&_synchronous=NORMAL&_txlock=immediate&_mutex=no&_cache_size=" + sqlitePoolCacheSize
}

// sqlitePoolCacheSize is the page cache of the pool's connections, in
// SQLite's terms (negative: KiB), and sqlitePoolCache the statement that
// gives it back to a connection that changed its own.
const (
	sqlitePoolCacheSize = "-65536"
	sqlitePoolCache     = `PRAGMA cache_size = ` + sqlitePoolCacheSize
)

// sqlitePageSize is the page size of a database this package creates.
// SQLite's default of 4 KiB holds about eight rows of a table that keeps
// each row's raw record; 16 KiB pages quarter the pages a bulk load
// writes (and a match scans), the WAL frames and the reads per scan:
// BenchmarkUpsertOrders and BenchmarkInsertWebhookEvents/keys=hashed
// gained 10-20% each. A database created with other pages keeps them:
// the size is fixed when the first page is written.
const sqlitePageSize = 16384

const sqliteSetPageSize = `PRAGMA page_size = 16384` // sqlitePageSize

// sqliteCreate writes a new database's first page with sqlitePageSize,
// before the pool's DSN turns WAL on (which writes that page with the
// default size). A database file that has any content is left alone.
func sqliteCreate(ctx context.Context, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return nil
	}
	x, err := sqlx.Open("sqlite3", "file:"+sqliteEscape(path)+"?_busy_timeout=5000")
	if err != nil {
		return err
	}
	defer x.Close()
	x.SetMaxOpenConns(1)
	for _, q := range []string{sqliteSetPageSize, `PRAGMA journal_mode = WAL`} {
		if _, err := x.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create: %w", err)
		}
	}
	return x.Close()
}

// sqliteEscape escapes a path for a "file:" DSN, which SQLite reads as a
// URI.
func sqliteEscape(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// sqliteRequireWAL checks that the DSN's journal mode took effect: some
// file systems cannot do WAL, and SQLite then silently keeps the rollback
// journal.
func sqliteRequireWAL(ctx context.Context, x *sqlx.DB) error {
	var mode string
	if err := x.GetContext(ctx, &mode, "PRAGMA journal_mode"); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal: put the database on a local file system", mode)
	}
	return nil
}
