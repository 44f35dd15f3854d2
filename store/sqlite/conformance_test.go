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
