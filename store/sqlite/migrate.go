package sqlite

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

// migrate brings the schema up to version to (0: the latest). Two
// processes opening the same new file at once are serialised by BEGIN
// IMMEDIATE (the DSN's), and each transaction reads the version again.
func (db *DB) migrate(ctx context.Context, to int) error {
	ms, err := sqlstore.LoadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	return db.Migrate(ctx, ms, sqlstore.MigrateOptions{To: to})
}
