package sqlstore

import (
	"testing"

	"github.com/reconkit/reconkit/store/internal/sqlcheck"
)

// TestSQLIsBuiltFromConstants holds the shared SQL to constants: values
// reach the database only as parameters.
func TestSQLIsBuiltFromConstants(t *testing.T) {
	rebind := "the caller's SQL, rebound for the driver: every call of the method is itself checked"
	sqlcheck.Check(t, ".", sqlcheck.Rules{
		// sqliteFirstID and pgFirstID wrap a column name (a literal at
		// every call) in SQL; sum wraps an SQL expression (likewise);
		// historyInsert and passingQuery repeat a constant row tuple.
		Builders: map[string]bool{"sqliteFirstID": true, "pgFirstID": true, "sum": true, "historyInsert": true, "passingQuery": true},
		Allowed: map[string]string{
			"Migrate m.SQL":                      "the text of a backend's embedded migrations/*.sql file (go:embed), fixed at build time",
			"ExecContext q.e.Rebind(query)":      rebind,
			"GetContext q.e.Rebind(query)":       rebind,
			"SelectContext q.e.Rebind(query)":    rebind,
			"QueryContext q.e.Rebind(query)":     rebind,
			"QueryxContext q.e.Rebind(query)":    rebind,
			"QueryRowxContext q.e.Rebind(query)": rebind,
			"PrepareContext q.e.Rebind(query)":   rebind,
			"Migrate o.Lock":                     "a backend's constant lock statement (MigrateOptions.Lock)",
			"ReportSourceTotals q.sql":           "one of the function's constant queries, each naming its table through wholeTable, which adds a constant hint or nothing",
		},
	}, 20)
}
