// Package pgtest gives tests a PostgreSQL database of their own: a new,
// empty schema on the server RECON_TEST_POSTGRES names, dropped when the
// test ends. Without the variable the tests that need one skip, saying
// how to run them; with RECON_REQUIRE_POSTGRES=1 (CI) they fail instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvURL names the server; EnvRequire makes its absence a failure.
const (
	EnvURL     = "RECON_TEST_POSTGRES"
	EnvRequire = "RECON_REQUIRE_POSTGRES"
)

// HowTo says how to run the PostgreSQL tests.
const HowTo = "PostgreSQL tests skipped: set " + EnvURL + " to a server's URL, for instance the one " +
	"`PGPORT_TEST=55433 .ci/postgres.sh start /tmp/recon-pg` prints (stop it with `.ci/postgres.sh stop /tmp/recon-pg`)"

var (
	once  sync.Once
	admin *sql.DB
	base  string
	err   error
)

// Available reports whether a server is set.
func Available() bool { return os.Getenv(EnvURL) != "" }

// URL returns the URL of a new, empty schema for tb (its search_path),
// dropped with everything in it when tb ends. It skips tb when no server
// is set, or fails it when one is required.
func URL(tb testing.TB) string {
	tb.Helper()
	if !Available() {
		if os.Getenv(EnvRequire) == "1" {
			tb.Fatalf("%s is not set, and %s=1 requires the PostgreSQL tests", EnvURL, EnvRequire)
		}
		tb.Skip(HowTo)
	}
	once.Do(func() {
		base = os.Getenv(EnvURL)
		admin, err = sql.Open("pgx", base)
		if err == nil {
			err = admin.PingContext(context.Background())
		}
	})
	if err != nil {
		tb.Fatalf("PostgreSQL test server %s: %v", EnvURL, err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, perr := url.Parse(base)
	if perr != nil {
		tb.Fatalf("%s: %v", EnvURL, perr)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
