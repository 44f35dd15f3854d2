package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// TestBulkHandle checks that the handle the bulk inserts reach through
// go-sqlite3's connection is that connection's: it names the database's
// file. A go-sqlite3 that moved its handle fails here first.
func TestBulkHandle(t *testing.T) {
	db := openTest(t)
	conn, err := db.x.Connx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got string
	if err := conn.Raw(func(dc any) error {
		got, err = sqliteHandleFile(dc.(driver.Conn))
		return err
	}); err != nil {
		t.Fatalf("handle: %v", err)
	}
	if got != db.path {
		t.Errorf("the handle's file: got %q, want %q", got, db.path)
	}
}

// TestBulkErrorKeepsCode checks that a failed bulk insert names its row
// and still unwraps to SQLite's code, so that a busy database is told
// apart (ExplainBusy).
func TestBulkErrorKeepsCode(t *testing.T) {
	db := openTest(t)
	l, err := db.beginLoad(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	l.SetRunID(77) // no such run
	_, err = l.MatchResults(77, make([]recon.MatchResult, 2))
	if err == nil {
		t.Fatal("match results of an unknown run: got no error, want the foreign key's")
	}
	if !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("error %q does not say what failed", err)
	}
	var be *bulkError
	if !errors.As(err, &be) || be.se.Code == 0 {
		t.Errorf("error %v: want a bulkError with SQLite's code", err)
	}
	if errors.Is(ExplainBusy(db.path, err), store.ErrBusy) {
		t.Errorf("a foreign key failure taken for a busy database: %v", err)
	}
}
