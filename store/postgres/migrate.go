package postgres

import (
	"context"
	"embed"

	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// LatestSchemaVersion is the schema version this binary writes.
func LatestSchemaVersion() int {
	ms, err := sqlstore.LoadMigrations(migrationFiles)
	if err != nil {
		return 0
	}
	return ms[len(ms)-1].Version
}

// migrateLock keeps other processes out of a migration until its
// transaction ends: a transaction advisory lock on the schema, in the
// two-key form, apart from the run locks' single keys (7170407 is "mig"
// in ASCII).
const migrateLock = `SELECT pg_advisory_xact_lock(7170407, hashtext(current_schema()))`

// migrate brings the schema up to version to (0: the latest).
func (db *DB) migrate(ctx context.Context, to int) error {
	ms, err := sqlstore.LoadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	return db.Migrate(ctx, ms, sqlstore.MigrateOptions{Lock: migrateLock, To: to})
}
