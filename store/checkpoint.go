package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// checkpointer copies the pages a Load committed to the write-ahead log
// into the database file on a goroutine of its own, so that a Load's
// Commit only appends to the log.
//
// Left to SQLite, the copy happens inside the commit: at the end of the
// transaction when the log holds more than 1,000 pages, or when the
// connection that closes is the last one. Either way the loading
// goroutine read every page back, wrote it again and synced the file
// before Commit returned: about a third of the time of
// BenchmarkUpsertOrders. The rows are committed and visible once they are
// in the log; the copy is upkeep, and here it runs on the other core
// while the caller goes on.
//
// The checkpointer holds a connection open for the DB's lifetime. That is
// also what keeps a Load's connection from ever being the last one, whose
// close would checkpoint in the caller's time. Its checkpoints are
// PASSIVE: they never wait for readers or writers and never block them;
// the pages they cannot copy yet stay in the log for the next one, or for
// the final checkpoint SQLite makes when DB.Close closes the last
// connection. A crash loses nothing either way: the log is the record.
type checkpointer struct {
	conn *sqlx.Conn
	kick chan struct{} // buffered 1: any number of kicks while one runs make one more
	done chan struct{}

	mu  sync.Mutex
	err error // the first failure, reported by stop

	stopOnce sync.Once
	stopErr  error
}

func startCheckpointer(ctx context.Context, x *sqlx.DB) (*checkpointer, error) {
	conn, err := x.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint connection: %w", err)
	}
	c := &checkpointer{conn: conn, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

// soon asks for a checkpoint after the current one, if any, without
// waiting for it. (On the zero checkpointer, which tests use to see what
// a commit leaves in the log, it does nothing.)
func (c *checkpointer) soon() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for range c.kick {
		if err := sqliteCheckpointPassive(context.Background(), c.conn); err != nil {
			c.mu.Lock()
			if c.err == nil {
				c.err = err
			}
			c.mu.Unlock()
		}
	}
}

// stop waits for a checkpoint under way, closes the connection and
// returns the first checkpoint that failed. Nothing is lost by a failed
// one: its pages are still in the log, and closing the database copies
// them. Calls after the first return what it did.
func (c *checkpointer) stop() error {
	if c.kick == nil { // an inert one, made by tests
		return nil
	}
	c.stopOnce.Do(func() {
		close(c.kick)
		<-c.done
		cerr := c.conn.Close()
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case c.err != nil:
			c.stopErr = fmt.Errorf("background checkpoint: %w", c.err)
		case cerr != nil:
			c.stopErr = fmt.Errorf("close checkpoint connection: %w", cerr)
		}
	})
	return c.stopErr
}

// sqliteCheckpointPassive copies what it can of the log into the database
// file without waiting on any lock. SQLite reports a busy log (a reader
// on an older snapshot) in the result row, not as an error, and such
// pages are left for the next checkpoint.
func sqliteCheckpointPassive(ctx context.Context, conn *sqlx.Conn) error {
	var busy, logPages, copied int
	return conn.QueryRowxContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &copied)
}

// sqliteNoAutoCheckpoint turns off the checkpoint SQLite makes at the
// commit of a transaction that leaves the log over 1,000 pages: a Load
// leaves it to the checkpointer.
const sqliteNoAutoCheckpoint = `PRAGMA wal_autocheckpoint = 0`
