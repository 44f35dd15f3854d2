package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// BackupTo writes a consistent, compacted copy of the database to path,
// replacing any file there only once the copy is complete, so the CLI can
// keep the last good database before a risky run. It may run while other
// connections read; a Load still open is not in the copy.
func (db *DB) BackupTo(ctx context.Context, path string) error {
	tmp := path + ".tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("back up database to %s: %w", path, err)
	}
	if err := sqliteVacuumInto(ctx, db, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("back up database to %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("back up database to %s: %w", path, err)
	}
	return nil
}

// sqliteVacuumInto copies the database with SQLite's VACUUM INTO, which
// reads one snapshot and writes a fresh file without the WAL. The target
// must not exist.
func sqliteVacuumInto(ctx context.Context, db *DB, path string) error {
	_, err := db.x.ExecContext(ctx, `VACUUM INTO ?`, path)
	return err
}
