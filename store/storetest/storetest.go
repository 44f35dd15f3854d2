// Package storetest is the conformance suite every store backend
// passes: the same tests, run by each backend's own test package against
// a database of its kind (Run), so that SQLite and PostgreSQL are held
// to the same answers. It also holds the sample rows those tests load.
package storetest

import (
	"testing"

	"github.com/reconkit/reconkit/store"
)

// Backend opens databases of one backend for the suite.
type Backend struct {
	Name string
	// Open opens a new, empty database for merchant; it is closed when
	// tb ends.
	Open func(tb testing.TB, merchant string) store.Backend
	// Same opens the database db is open on once more, for merchant;
	// closed when tb ends.
	Same func(tb testing.TB, db store.Backend, merchant string) store.Backend
}

// Run runs the whole suite against b, one subtest per test.
func Run(t *testing.T, b Backend) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"MerchantsIsolated", testMerchantsIsolated},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}
