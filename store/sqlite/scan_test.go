package sqlite

import (
	"context"
	"database/sql/driver"
	"testing"
)

// TestPoolHasNoMutex checks that the pool's connections open without a
// mutex of their own, as sqliteDSN asks: a go-sqlite3 that ignored
// _mutex=no would still be correct, only slower, and fails here.
func TestPoolHasNoMutex(t *testing.T) {
	db := openTest(t)
	conn, err := db.x.Connx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var has bool
	if err := conn.Raw(func(dc any) error {
		has, err = sqliteHandleHasMutex(dc.(driver.Conn))
		return err
	}); err != nil {
		t.Fatalf("handle: %v", err)
	}
	if has {
		t.Error("a pool connection has a mutex of its own; want none (_mutex=no)")
	}
}
