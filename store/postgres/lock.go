package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/store"
)

// RunLock is a merchant's run lock on PostgreSQL: a session advisory
// lock, held on a connection of its own for as long as the run goes, so
// that no two hosts run the same merchant's night at once. The server
// drops it with the session, so a killed run leaves no stale lock.
// Other merchants' runs, in the same database, take other locks.
type RunLock struct {
	conn *sqlx.Conn
	key  int64
	// Database names the database and merchant the lock is for, without
	// a password: what a report directory's owner notes record.
	Database string
}

// LockKey is the advisory lock key of a merchant's runs in a schema:
// the first 63 bits of the FNV-1a hash of both, so that a merchant of
// one schema never waits for the same merchant of another.
func LockKey(schema, merchant string) int64 {
	h := fnv.New64a()
	h.Write([]byte("reconkit run\x00" + schema + "\x00" + merchant))
	return int64(h.Sum64() >> 1)
}

// lockGrace is how long LockRun waits for a lock that is held. The
// server drops a killed run's lock only once its backend sees the
// client's connection close, a moment after the kill; an operator who
// reruns at once is not told the night is locked by a run that is gone.
// A run that is alive holds the lock far longer than this.
const lockGrace = 5 * time.Second

// LockRun takes the merchant's run lock, waiting up to lockGrace: while
// another session holds it, the error matches store.ErrLocked.
func (db *DB) LockRun(ctx context.Context) (*RunLock, error) {
	conn, err := db.x.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock runs of %s: %w", db.Merchant(), err)
	}
	key := LockKey(db.schema, db.Merchant())
	var ok bool
	for deadline := time.Now().Add(lockGrace); ; {
		if err := conn.GetContext(ctx, &ok, `SELECT pg_try_advisory_lock($1)`, key); err != nil {
			conn.Close()
			return nil, fmt.Errorf("lock runs of %s: %w", db.Merchant(), err)
		}
		if ok || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			conn.Close()
			return nil, fmt.Errorf("lock runs of %s: %w", db.Merchant(), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	where := db.url + " merchant " + db.Merchant()
	if !ok {
		conn.Close()
		holder := ""
		var pid int64
		if err := db.x.GetContext(ctx, &pid, `SELECT COALESCE(MAX(pid), 0) FROM pg_locks
WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1`, key); err == nil && pid != 0 {
			holder = fmt.Sprintf(", held by server process %d (pg_stat_activity says whose)", pid)
		}
		return nil, fmt.Errorf("%w on %s (advisory lock %d%s); wait for it to finish, then run again", store.ErrLocked, where, key, holder)
	}
	return &RunLock{conn: conn, key: key, Database: where}, nil
}

// Release drops the lock and closes its connection. Calling it again
// does nothing.
func (l *RunLock) Release() error {
	if l.conn == nil {
		return nil
	}
	var ok bool
	err := l.conn.GetContext(context.Background(), &ok, `SELECT pg_advisory_unlock($1)`, l.key)
	if err == nil && !ok {
		err = errors.New("the lock was not held")
	}
	if cerr := l.conn.Close(); err == nil {
		err = cerr
	}
	l.conn = nil
	if err != nil {
		return fmt.Errorf("release the run lock of %s: %w", l.Database, err)
	}
	return nil
}
