package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// fileOrders counts the orders in the database file itself, ignoring
// the write-ahead log: SQLite reads a file opened immutable as it is,
// so a read while a checkpoint writes the file may fail.
func fileOrders(path string) (int, error) {
	x, err := sqlx.Open("sqlite3", "file:"+sqliteEscape(path)+"?mode=ro&immutable=1")
	if err != nil {
		return 0, err
	}
	defer x.Close()
	var n int
	err = x.Get(&n, `SELECT count(*) FROM orders`)
	return n, err
}

func mainFileOrders(t *testing.T, path string) int {
	t.Helper()
	n, err := fileOrders(path)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A Load's commit appends to the log and leaves the copy into the file
// to the checkpointer, which makes it on its own goroutine.
func TestCommitLeavesCheckpointToCheckpointer(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	path := db.Path()
	// Hold the background checkpointer off, and keep a connection open
	// so the Load's is not the last one (closing the last one
	// checkpoints, as it should).
	if err := db.ckpt.stop(); err != nil {
		t.Fatal(err)
	}
	db.ckpt = &checkpointer{}
	hold, err := db.x.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	if _, err := hold.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil { // the schema
		t.Fatal(err)
	}

	// 40k orders are about 1,100 pages of 16 KiB: past the 1,000 at which
	// SQLite would checkpoint inside the commit on its own.
	rows := benchOrders(40_000)
	if _, err := db.UpsertOrders(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if n := mainFileOrders(t, path); n != 0 {
		t.Fatalf("after commit the file holds %d orders: the commit checkpointed", n)
	}
	var n int
	if err := db.x.Get(&n, `SELECT count(*) FROM orders`); err != nil || n != len(rows) {
		t.Fatalf("readers see %d orders (%v), want %d", n, err, len(rows))
	}

	db.ckpt, err = startCheckpointer(ctx, db.x)
	if err != nil {
		t.Fatal(err)
	}
	db.ckpt.soon()
	deadline := time.Now().Add(30 * time.Second)
	for n, err := fileOrders(path); err != nil || n != len(rows); n, err = fileOrders(path) {
		if time.Now().After(deadline) {
			t.Fatalf("the checkpointer did not copy the log into the file")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := db.ckpt.stop(); err != nil {
		t.Fatal(err)
	}
	db.ckpt = &checkpointer{}
}

// Close waits for the checkpointer and leaves every row in the file.
func TestCloseLeavesEverythingInTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "close.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rows := benchOrders(5_000)
	for i := 0; i < 5; i++ { // several commits, kicks while one runs
		if _, err := db.UpsertOrders(ctx, rows[i*1000:(i+1)*1000]); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := mainFileOrders(t, path); n != len(rows) {
		t.Fatalf("after Close the file holds %d orders, want %d", n, len(rows))
	}
}

// A Load's commit sets the checkpointer going: the rows reach the file
// while the database stays open.
func TestCommitKicksCheckpointer(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	path := db.Path()
	rows := benchOrders(40_000)
	if _, err := db.UpsertOrders(ctx, rows); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for n, err := fileOrders(path); err != nil || n != len(rows); n, err = fileOrders(path) {
		if time.Now().After(deadline) {
			t.Fatalf("the file holds %d orders (%v) while the database is open, want %d", n, err, len(rows))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Closing a database twice is not an error the second time, nor a panic.
func TestCloseTwice(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "twice.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
