package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/recon"

	"github.com/reconkit/reconkit/store"
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

// Commits leave the log alone: neither a Load's commit nor the commit of
// a small write on the pool's connections, with the log past the 1,000
// pages at which SQLite would copy it inside the commit, puts a row into
// the database file. Then CheckpointInBackground copies them while the
// database stays open.
func TestCommitsLeaveTheLogToCheckpointInBackground(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	path := db.Path()
	if _, err := db.x.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil { // the schema
		t.Fatal(err)
	}

	// 40k orders are about 1,100 pages of 16 KiB.
	rows := benchOrders(40_000)
	if _, err := db.UpsertOrders(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StartRun(ctx, recon.Run{Command: "run", BusinessDate: "2024-03-02", StartedAt: time.Now(), Status: recon.RunRunning}); err != nil {
		t.Fatal(err)
	}
	if n := mainFileOrders(t, path); n != 0 {
		t.Fatalf("after the commits the file holds %d orders: a commit checkpointed", n)
	}
	var n int
	if err := db.x.Get(&n, `SELECT count(*) FROM orders`); err != nil || n != len(rows) {
		t.Fatalf("readers see %d orders (%v), want %d", n, err, len(rows))
	}

	db.Upkeep()
	deadline := time.Now().Add(30 * time.Second)
	for n, err := fileOrders(path); err != nil || n != len(rows); n, err = fileOrders(path) {
		if time.Now().After(deadline) {
			t.Fatalf("the file holds %d orders (%v) while the database is open, want %d", n, err, len(rows))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close waits for the checkpointer, even one asked for between commits,
// and leaves every row in the file.
func TestCloseLeavesEverythingInTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "close.db")
	db, err := Open(ctx, path, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	rows := benchOrders(5_000)
	for i := 0; i < 5; i++ { // several commits, checkpoints asked for while one runs
		if _, err := db.UpsertOrders(ctx, rows[i*1000:(i+1)*1000]); err != nil {
			t.Fatal(err)
		}
		db.Upkeep()
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := mainFileOrders(t, path); n != len(rows) {
		t.Fatalf("after Close the file holds %d orders, want %d", n, len(rows))
	}
}

// Closing a database twice is not an error the second time, nor a panic.
func TestCloseTwice(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "twice.db"), store.DefaultMerchant)
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
