package sqlite

import (
	"testing"

	"github.com/reconkit/reconkit/store/internal/sqlcheck"
)

// TestSQLIsBuiltFromConstants holds the SQLite backend's SQL to
// constants: values reach SQLite only as parameters.
func TestSQLIsBuiltFromConstants(t *testing.T) {
	sqlcheck.Check(t, ".", sqlcheck.Rules{
		// sqliteStmtText repeats an insertSQL's constant row tuple,
		// "(?, ?, ...)", once per row of a multi-row INSERT and numbers
		// the markers; the row count is an int, so values still travel
		// only as parameters.
		Builders: map[string]bool{"sqliteStmtText": true},
		Allowed: map[string]string{
			"Commit create": "the CREATE INDEX statement SQLite keeps in sqlite_master for an index the Load dropped (deferIndexes), run as it was",
		},
	}, 18)
}
