// Package postgres is the PostgreSQL backend of the store: a database a
// server keeps, shared by hosts and by merchants. It speaks through
// pgx's database/sql adapter under sqlx, shares its SQL with the SQLite
// backend where the two agree (store/internal/sqlstore), and has its own
// migrations (numbered as SQLite's), bulk loads by COPY, the match's
// snapshot reads and the run lock, an advisory lock held for the run.
//
// Money is BIGINT minor units, times TIMESTAMPTZ (PostgreSQL keeps
// microseconds: a time's nanoseconds below that are not stored), text
// COLLATE "C". Connections run in UTC.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// DB is an open PostgreSQL reconciliation database, for one merchant.
type DB struct {
	*sqlstore.DB
	sqlstore.OneShots
	x   *sqlx.DB
	url string // redacted
	// schema is the schema the tables are in (the first of the
	// search_path), which scopes the run lock.
	schema string
	// upkeep is the vacuum Upkeep started, if any.
	upkeep struct {
		sync.Mutex
		cancel context.CancelFunc
		done   chan struct{}
	}
}

var _ store.Backend = (*DB)(nil)

// IsURL reports whether database names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than an SQLite file.
func IsURL(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Redact returns a database URL with its password, if any, replaced by
// xxxxx, in the user part or as a password parameter: fit for a log or
// an error.
func Redact(database string) string {
	u, err := url.Parse(database)
	if err != nil {
		return "postgres://(unparseable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Open connects to the database at dsn (a postgres:// URL; libpq's
// environment variables, PGPASSWORD among them, fill in what it leaves
// out) for merchant, and brings its schema up to date. A search_path
// parameter in the URL chooses the schema the tables live in. A
// database migrated by a newer binary is refused with
// store.ErrSchemaTooNew. Errors name the database without its password.
func Open(ctx context.Context, dsn, merchant string) (*DB, error) {
	redacted := Redact(dsn)
	if err := store.CheckMerchant(merchant); err != nil {
		return nil, fmt.Errorf("open database %s: %w", redacted, err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors can quote the URL, password and all.
		return nil, fmt.Errorf("open database %s: the URL cannot be read", redacted)
	}
	// Times are read and written in UTC, and the report queries read a
	// timestamptz as text in ISO form (sqlstore's parseTimeText).
	cfg.RuntimeParams["timezone"] = "UTC"
	cfg.RuntimeParams["datestyle"] = "ISO, YMD"
	cfg.RuntimeParams["application_name"] = "reconkit"
	afterConnect := stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	})
	sdb := sql.OpenDB(connector{stdlib.GetConnector(*cfg, afterConnect)})
	x := sqlx.NewDb(sdb, "pgx")
	db := &DB{x: x, url: redacted}
	db.DB = sqlstore.New(x, sqlstore.Postgres, merchant, nil)
	db.DB.SetBeginLoad(db.BeginLoad)
	db.OneShots = sqlstore.OneShots{Begin: db.BeginLoad}
	if err := db.init(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("open database %s: %w", redacted, scrub(err, dsn))
	}
	return db, nil
}

func (db *DB) init(ctx context.Context) error {
	if err := db.x.PingContext(ctx); err != nil {
		return err
	}
	var schema sql.NullString
	if err := db.x.GetContext(ctx, &schema, `SELECT current_schema()`); err != nil {
		return fmt.Errorf("read the current schema: %w", err)
	}
	if !schema.Valid || schema.String == "" {
		return errors.New("no schema to create the tables in: the search_path names none that exists (CREATE SCHEMA it, or fix search_path)")
	}
	db.schema = schema.String
	return db.migrate(ctx, 0)
}

// scrub removes the password of dsn from an error's text, should a
// driver error ever quote it.
func scrub(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || err == nil {
		return err
	}
	pw, ok := u.User.Password()
	if q := u.Query().Get("password"); q != "" {
		pw, ok = q, true
	}
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
}

// Close closes the database's connections, first stopping a vacuum
// Upkeep started (the server keeps what it did; autovacuum does the rest
// later).
func (db *DB) Close() error {
	db.upkeep.Lock()
	if db.upkeep.cancel != nil {
		db.upkeep.cancel()
		<-db.upkeep.done
		db.upkeep.cancel = nil
	}
	db.upkeep.Unlock()
	if err := db.x.Close(); err != nil {
		return fmt.Errorf("close database %s: %w", db.url, err)
	}
	return nil
}

// upkeepSQL vacuums and analyzes the tables the night's loads filled
// before the confirmations: the server's autovacuum would do it on its
// own, a minute or so after the loads, whenever that falls, and on two
// cores its workers then took the CPU the match needed (at 1M orders
// the match's phase counted 20 s of the server's CPU time).
const upkeepSQL = `VACUUM (ANALYZE) orders, payment_links, webhook_events, ledger_entries`

// Upkeep vacuums and analyzes the tables the loads before it filled, on
// a connection and a goroutine of its own, while the process waits on
// the network (the confirmations), and returns at once. One vacuum at a
// time; Close stops one under way.
func (db *DB) Upkeep() {
	db.upkeep.Lock()
	defer db.upkeep.Unlock()
	if db.upkeep.done != nil {
		select {
		case <-db.upkeep.done:
		default:
			return // still under way
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	db.upkeep.cancel, db.upkeep.done = cancel, done
	go func() {
		defer close(done)
		// A failed or cancelled vacuum leaves the tables to autovacuum.
		db.x.ExecContext(ctx, upkeepSQL)
	}()
}

// URL is the database's URL, without its password.
func (db *DB) URL() string { return db.url }
