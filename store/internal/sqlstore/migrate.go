package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reconkit/reconkit/store"
)

// Migration is one file of a backend's migrations, named NNNN_what.sql.
// Both backends number theirs alike: version N means the same schema.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the migrations/*.sql files of fsys in version
// order and checks that the versions run 1, 2, 3... so that a gap (a
// file lost in a merge) fails every test rather than a customer's
// upgrade.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var ms []Migration
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
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d, migrations must be numbered 1, 2, 3...", m.Name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations")
	}
	return ms, nil
}

// createSchemaMigrations is the table of applied migrations, global to
// the database (not a merchant's: the schema is shared).
var createSchemaMigrations = map[Dialect]string{
	SQLite: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER   PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL
)`,
	Postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER     PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL
)`,
}

// SchemaVersion is the highest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	v, err := schemaVersion(ctx, db.Q())
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func schemaVersion(ctx context.Context, q Q) (int, error) {
	var v int
	err := q.GetContext(ctx, &v, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	return v, err
}

// MigrateOptions say how a backend's migrations run.
type MigrateOptions struct {
	// Lock, if not empty, is run first in each migration's transaction
	// to keep other processes out until it commits (PostgreSQL's
	// transaction advisory lock). SQLite needs none: its write
	// transactions begin IMMEDIATE, one at a time.
	Lock string
	// To stops at this version (0: the latest); for tests of a
	// migration from the version before it.
	To int
}

// Migrate applies the migrations the database lacks, each in its own
// transaction together with its schema_migrations row, so that a failed
// migration leaves the previous version intact. Each transaction reads
// the version again, so two processes opening the same new database at
// once never apply a step twice. A database at a version beyond the
// last of ms is refused with store.ErrSchemaTooNew.
func (db *DB) Migrate(ctx context.Context, ms []Migration, o MigrateOptions) error {
	latest := ms[len(ms)-1].Version
	to := latest
	if o.To > 0 && o.To < latest {
		to = o.To
	}
	for {
		var done bool
		err := db.InTx(ctx, func(q Q) error {
			if o.Lock != "" {
				if _, err := q.ExecContext(ctx, o.Lock); err != nil {
					return fmt.Errorf("lock for migrations: %w", err)
				}
			}
			if _, err := q.ExecContext(ctx, createSchemaMigrations[db.dialect]); err != nil {
				return fmt.Errorf("create schema_migrations: %w", err)
			}
			current, err := schemaVersion(ctx, q)
			if err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if current > latest {
				return fmt.Errorf("%w: database is at version %d, this binary knows up to %d; use a newer reconkit", store.ErrSchemaTooNew, current, latest)
			}
			if current >= to {
				done = true
				return nil
			}
			m := ms[current]
			if _, err := q.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.Version, time.Now().UTC()); err != nil {
				return fmt.Errorf("migration %s: record version: %w", m.Name, err)
			}
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}
