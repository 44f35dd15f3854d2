package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/postgres/pgtest"
	"github.com/reconkit/reconkit/store/storetest"
)

// TestConformance runs the store's conformance suite against PostgreSQL.
func TestConformance(t *testing.T) {
	if !pgtest.Available() {
		pgtest.URL(t) // skips, saying how to run it (or fails, in CI)
	}
	storetest.Run(t, backend())
}

// backend opens a schema of its own per database (pgtest.URL).
func backend() storetest.Backend {
	var mu sync.Mutex
	dsns := map[store.Backend]string{}
	return storetest.Backend{
		Name:     "postgres",
		TimeStep: time.Microsecond,
		// Keys beyond PostgreSQL's btree entry limit are refused, naming
		// the row (docs/reliability.md).
		MaxKeyBytes: 2000,
		Open: func(tb testing.TB, merchant string) store.Backend {
			dsn := pgtest.URL(tb)
			db := openAt(tb, dsn, merchant)
			mu.Lock()
			dsns[db] = dsn
			mu.Unlock()
			return db
		},
		Same: func(tb testing.TB, db store.Backend, merchant string) store.Backend {
			mu.Lock()
			dsn := dsns[db]
			mu.Unlock()
			other := openAt(tb, dsn, merchant)
			mu.Lock()
			dsns[other] = dsn
			mu.Unlock()
			return other
		},
	}
}

func openAt(tb testing.TB, dsn, merchant string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), dsn, merchant)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
