package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/reconkit/reconkit/store"
)

func TestSQLiteMemoryStatisticsOff(t *testing.T) {
	if sqliteMemStatusOff != 0 {
		t.Fatalf("sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) = %d, want SQLITE_OK", sqliteMemStatusOff)
	}
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "m.db"), store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.UpsertOrders(context.Background(), benchOrders(100)); err != nil {
		t.Fatal(err)
	}
	if n := sqliteMemoryUsed(); n != 0 {
		t.Fatalf("SQLite counts %d bytes in use: its memory statistics are on", n)
	}
}
