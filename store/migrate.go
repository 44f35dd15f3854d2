package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrSchemaTooNew is returned by Open when the database was migrated by a
// newer binary: its tables may mean things this binary does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one file of migrations/, named NNNN_what.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in version order and
// checks that the versions run 1, 2, 3... so that a gap (a file lost in a
// merge) fails every test rather than a customer's upgrade.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name is not NNNN_what.sql", base)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name is not NNNN_what.sql", base)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d, migrations must be numbered 1, 2, 3...", m.name, i+1)
		}
	}
	return ms, nil
}

// LatestSchemaVersion is the schema version this binary writes.
func LatestSchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// SchemaVersion is the highest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	v, err := schemaVersion(ctx, db.x)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER   PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL
)`

type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

func schemaVersion(ctx context.Context, q queryer) (int, error) {
	var v int
	err := q.GetContext(ctx, &v, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	return v, err
}

// migrate applies the migrations the database lacks, each in its own
// transaction together with its schema_migrations row, so that a failed
// migration leaves the previous version intact. Two processes opening the
// same new file at once are serialised by BEGIN IMMEDIATE, and each
// transaction re-reads the version, so neither applies a step twice.
func migrate(ctx context.Context, x *sqlx.DB) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].version
	if _, err := x.ExecContext(ctx, createSchemaMigrations); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	current, err := schemaVersion(ctx, x)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > latest {
		return fmt.Errorf("%w: database is at version %d, this binary knows up to %d; use a newer reconkit", ErrSchemaTooNew, current, latest)
	}
	for _, m := range ms[current:] {
		if err := applyMigration(ctx, x, m, latest); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, x *sqlx.DB, m migration, latest int) error {
	tx, err := x.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: begin: %w", m.name, err)
	}
	defer tx.Rollback() // no-op after Commit
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return fmt.Errorf("migration %s: read schema version: %w", m.name, err)
	}
	switch {
	case current > latest:
		return fmt.Errorf("%w: database is at version %d, this binary knows up to %d; use a newer reconkit", ErrSchemaTooNew, current, latest)
	case current >= m.version:
		return nil // another process got here first
	case current != m.version-1:
		return fmt.Errorf("migration %s: database is at version %d, want %d", m.name, current, m.version-1)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, time.Now().UTC()); err != nil {
		return fmt.Errorf("migration %s: record version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return nil
}
