package sqlite

// SQLite's process-wide settings, made through its C interface because
// go-sqlite3 has no way to reach them. They must be made before SQLite
// initializes, that is before the first connection opens; this package's
// init runs before any code can open one through it.

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
static void reconkit_trim(void) { malloc_trim(0); }
#else
static void reconkit_trim(void) {}
#endif

// Declared here rather than by including sqlite3.h, which go-sqlite3 keeps
// to itself; the symbols are those of the SQLite it links in.
extern int sqlite3_config(int, ...);
extern long long sqlite3_memory_used(void);

static int reconkit_sqlite_memstatus(int on) {
	return sqlite3_config(9, on); // SQLITE_CONFIG_MEMSTATUS
}
*/
import "C"

import (
	"database/sql"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
)

// sqliteMemStatusOff is the result of turning SQLite's memory statistics
// off (SQLITE_OK is 0): any other value means SQLite had already started,
// and the process runs with the statistics on, slower but no less
// correct.
//
// With them on (SQLite's default) every allocation and free in SQLite
// takes a process-wide mutex to keep the count, and a bulk load allocates
// several times per row (each bound text is copied, each record built):
// BenchmarkUpsertOrders spent 8-12% less CPU per row without them.
// SQLite's list of recommended compile-time options has
// SQLITE_DEFAULT_MEMSTATUS=0 for this reason. Nothing here reads the
// statistics; they would only matter to sqlite3_soft_heap_limit64, which
// this package does not use.
var sqliteMemStatusOff = int(C.reconkit_sqlite_memstatus(0))

// sqliteMemoryUsed is SQLite's count of the memory it holds, which stays
// at 0 while the statistics are off. For tests.
func sqliteMemoryUsed() int64 { return int64(C.sqlite3_memory_used()) }

// sqliteReturnMemory hands the C heap's free memory back to the operating
// system. SQLite's page caches come from malloc, one page at a time; when
// a connection that filled one closes, glibc keeps the freed pages for
// later mallocs, so the process stays as large as at its largest load,
// and the Go heap of a later phase (the match) grows on top. malloc_trim
// releases them; it takes a few milliseconds and is called only when a
// bulk connection ends. Elsewhere than glibc it does nothing.
func sqliteReturnMemory() { C.reconkit_trim() }

// sqliteDriver is go-sqlite3 registered under a name of this package's,
// with wal_autocheckpoint = 0 on every connection it opens. The pool's
// DSN cannot say so: go-sqlite3 reads no such parameter.
//
// Left on, the commit of any transaction that leaves the write-ahead log
// over 1,000 pages copies the whole log into the database file before it
// returns, whichever connection commits: a one-row update of the runs
// table after a night's loads would stop for seconds to copy gigabytes.
// The log is copied instead by the DB's checkpointer when the caller
// says the time has come (DB.CheckpointInBackground), and by SQLite when
// the last connection closes.
const sqliteDriver = "sqlite3-reconkit"

func init() {
	sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec(`PRAGMA wal_autocheckpoint = 0`, nil)
		return err
	}})
	// sqlx picks bind variables by driver name; it knows go-sqlite3's.
	sqlx.BindDriver(sqliteDriver, sqlx.QUESTION)
}
