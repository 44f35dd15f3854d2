// Package dbtest gives a test a new, empty database of each backend, as
// the command line names one (database: in recon.yaml): an SQLite file
// in the test's directory, or a PostgreSQL URL of a schema of its own
// (store/postgres/pgtest), for tests that run the same night on both.
package dbtest

import (
	"path/filepath"
	"testing"

	"github.com/reconkit/reconkit/store/postgres/pgtest"
)

// Backend is one backend a test runs on.
type Backend struct {
	Name string
	// Database returns a new, empty database for tb: a file path or a
	// postgres:// URL. PostgreSQL's skips tb when no server is set (see
	// pgtest).
	Database func(tb testing.TB) string
}

// SQLite and Postgres are the two backends.
var (
	SQLite = Backend{Name: "sqlite", Database: func(tb testing.TB) string {
		return filepath.Join(tb.TempDir(), "recon.db")
	}}
	Postgres = Backend{Name: "postgres", Database: pgtest.URL}
)

// All lists every backend.
func All() []Backend { return []Backend{SQLite, Postgres} }

// Each runs fn once per backend, as subtests named after them.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	for _, b := range All() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}
