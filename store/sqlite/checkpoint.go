package sqlite

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// checkpointer copies the pages committed to the write-ahead log into the
// database file on a goroutine and a connection of its own, when asked
// (DB.CheckpointInBackground).
//
// SQLite would make that copy inside a commit, at the end of any
// transaction that leaves the log over 1,000 pages: the committing
// goroutine read every page back, wrote it again and synced the file
// before its commit returned. That is turned off for every connection
// (sqliteDriver). The rows are committed and visible once they
// are in the log; the copy is upkeep, best made while the process waits
// for something else. A night's run asks for it as it starts confirming
// transactions with the gateway, which is bound by the network: the
// fetched orders and the ingested files are then copied on a core the
// run is not using. What later phases add is copied when the last
// connection closes (DB.Close), after the workbook.
//
// Copying as each load commits would copy the fetched orders while the
// webhook log is ingested, on the core the ingest needs
// (docs/performance.md, "Figures behind the code").
//
// The checkpointer's connection is open for the DB's lifetime, which
// also keeps a Load's connection from ever being the last one, whose
// close would copy the whole log in the Load's time. Its
// checkpoints are PASSIVE: they never wait for readers or writers and
// never block them; the pages they cannot copy yet stay in the log for
// the next one, or for the final checkpoint SQLite makes when DB.Close
// closes the last connection. A crash loses nothing either way: the log
// is the record, and SQLite replays it when the database next opens.
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
// waiting for it. (On the zero checkpointer, which tests that build a DB
// by hand use, it does nothing.)
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
