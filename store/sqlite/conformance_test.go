package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/storetest"
)

// TestConformance runs the store's conformance suite against SQLite.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Name: "sqlite",
		Open: func(tb testing.TB, merchant string) store.Backend {
			return openAt(tb, filepath.Join(tb.TempDir(), "recon.db"), merchant)
		},
		Same: func(tb testing.TB, db store.Backend, merchant string) store.Backend {
			return openAt(tb, db.(*DB).Path(), merchant)
		},
		// A backup to a hostile path holds the same rows.
		Copy: func(tb testing.TB, db store.Backend) store.Backend {
			backup := filepath.Join(tb.TempDir(), "bak'; DROP TABLE runs; --%3f?#.db")
			if err := db.(*DB).BackupTo(context.Background(), backup); err != nil {
				tb.Fatalf("BackupTo: %v", err)
			}
			return openAt(tb, backup, db.Merchant())
		},
		Check: func(tb testing.TB, db store.Backend) {
			var check string
			if err := db.(*DB).x.Get(&check, `PRAGMA integrity_check`); err != nil || check != "ok" {
				tb.Errorf("integrity_check: got %q, %v", check, err)
			}
		},
	})
}

func openAt(tb testing.TB, path, merchant string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path, merchant)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestHostileDatabasePath opens a database whose path looks like SQL and
// like a URI's escapes: the DSN must escape it.
func TestHostileDatabasePath(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "x'; DROP TABLE orders; -- %3f?#")
	path := filepath.Join(dir, "re'c?on#%.db")
	db := openAt(t, path, store.DefaultMerchant)
	if _, err := db.UpsertOrders(ctx, sampleOrders(3)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	again := openAt(t, path, store.DefaultMerchant)
	if n, err := again.Count(ctx, "orders"); err != nil || n != 3 {
		t.Errorf("orders after reopening %q: %d, %v; want 3", path, n, err)
	}
}
