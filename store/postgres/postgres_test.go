package postgres

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlcheck"
	"github.com/reconkit/reconkit/store/postgres/pgtest"
	"github.com/reconkit/reconkit/store/sqlite"
	"github.com/reconkit/reconkit/store/storetest"
)

// TestSQLIsBuiltFromConstants holds the PostgreSQL backend's SQL to
// constants: values reach the server only as parameters.
func TestSQLIsBuiltFromConstants(t *testing.T) {
	kind := "a field of one of the kind variables (kinds.go), every one built from constants"
	passThrough := "the driver wrapper (text.go) passing on the SQL of a database/sql call, which is checked where it is made"
	sqlcheck.Check(t, ".", sqlcheck.Rules{
		Allowed: map[string]string{
			"copyBatch prep + `; SAVEPOINT batch`": "constant statements: a kind's empty or makeTmp (kinds.go), after a constant release",
			"move k.move":                          kind,
			"insertDirect l.ctx":                   "pgx's Query(ctx, d.stored, ...): a field of hookDirect or entryDirect (kinds.go), a constant",
			"insertDirect d.nextID":                "a field of hookDirect or entryDirect (kinds.go), a constant",
			"move k.oneRow":                        kind,
			// pgx's Query takes the context first: its SQL is scan's
			// query, a constant at each of its calls (literals in
			// snapshot.go).
			"scan ctx": "pgx's Query(ctx, query, ...): query is scan's parameter, a literal at every call",
			// The driver wrapper passes database/sql's SQL through; every
			// database/sql call is itself checked.
			"ExecContext query":             passThrough,
			"QueryContext query":            passThrough,
			"Prepare query":                 passThrough,
			"PrepareContext query":          passThrough,
			"ExecContext escapeArgs(args)":  passThrough,
			"QueryContext escapeArgs(args)": passThrough,
		},
	}, 10)
}

func TestEscapeText(t *testing.T) {
	for _, s := range []string{"", "plain", "a\x00b", "\x00", "\xff\xfe not UTF-8", textMark, textMark + "x", "\\x00",
		`"quoted"`, "日本語", "\uffff\x00", strings.Repeat("\x00", 3)} {
		stored := escapeText(s)
		if strings.IndexByte(stored, 0) >= 0 || !utf8.ValidString(stored) {
			t.Errorf("escapeText(%q) = %q: not storable", s, stored)
		}
		if got := unescapeText(stored); got != s {
			t.Errorf("round trip of %q: stored %q, read %q", s, stored, got)
		}
		if !needsEscape(s) && stored != s {
			t.Errorf("escapeText(%q) = %q, want it as it is", s, stored)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://recon:s3cret@db.example:5432/recon?sslmode=require", "postgres://recon:xxxxx@db.example:5432/recon?sslmode=require"},
		{"postgres://recon@db.example/recon", "postgres://recon@db.example/recon"},
		{"postgresql://db.example/recon?user=recon&password=s3cret", "postgresql://db.example/recon?password=xxxxx&user=recon"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestOpenErrorsHideThePassword opens a server that is not there, and a
// URL that cannot be read, with a password in each: the errors name the
// database but never the password.
func TestOpenErrorsHideThePassword(t *testing.T) {
	const secret = "s3cret-Pa55"
	for _, dsn := range []string{
		"postgres://recon:" + secret + "@127.0.0.1:1/recon?connect_timeout=2",
		"postgres://recon:" + secret + "@127.0.0.1:1/recon?sslmode=bogus",
		"postgres://recon@127.0.0.1:1/recon?password=" + secret + "&connect_timeout=2",
	} {
		_, err := Open(context.Background(), dsn, store.DefaultMerchant)
		if err == nil {
			t.Fatalf("Open(%s): no error", Redact(dsn))
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error holds the password: %v", err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("Open error does not name the database: %v", err)
		}
	}
}

// TestRunLock: one run per merchant and schema at a time; another
// merchant's run goes on beside it; a released lock, or one whose
// session ended, can be taken again.
func TestRunLock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.URL(t)
	alpha := openAt(t, dsn, "alpha")
	alpha2 := openAt(t, dsn, "alpha")
	zulu := openAt(t, dsn, "zulu")
	l1, err := alpha.LockRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alpha2.LockRun(ctx); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second lock of alpha: %v, want ErrLocked", err)
	} else if !strings.Contains(err.Error(), "merchant alpha") || !strings.Contains(err.Error(), "server process") {
		t.Errorf("lock error does not say whose lock, held by whom: %v", err)
	}
	lz, err := zulu.LockRun(ctx)
	if err != nil {
		t.Fatalf("zulu's lock beside alpha's: %v", err)
	}
	lz.Release()
	if err := l1.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := alpha2.LockRun(ctx)
	if err != nil {
		t.Fatalf("alpha's lock after release: %v", err)
	}
	// A session that ends (a killed process) drops its lock a moment
	// later; LockRun waits that moment out rather than say "locked".
	var pid int
	if err := l2.conn.GetContext(ctx, &pid, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		alpha2.x.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid)
	}()
	l3, err := alpha.LockRun(ctx)
	if err != nil {
		t.Fatalf("alpha's lock as its holder's session ends: %v", err)
	}
	l3.Release()
	// Another schema's alpha is another lock.
	other := openAt(t, pgtest.URL(t), "alpha")
	l4, err := alpha.LockRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l4.Release()
	if l5, err := other.LockRun(ctx); err != nil {
		t.Errorf("alpha of another schema: %v", err)
	} else {
		l5.Release()
	}
}

// TestMigrationMerchant takes a database of version 8 with rows through
// migration 0009: every row is the default merchant's, and readable
// through the store; another merchant may then store rows under the
// same keys.
func TestMigrationMerchant(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.URL(t)
	db := openAt(t, dsn, store.DefaultMerchant)
	// Back to an empty schema at version 8, as an older binary left it.
	for _, q := range []string{`DROP TABLE exception_history, fetch_cursors, match_results, exceptions, input_files, input_errors,
		webhook_events, ledger_entries, transactions, payment_links, orders, runs, schema_migrations, decisions, settlement_batches, match_marks`,
		`DROP FUNCTION decisions_append_only()`} {
		if _, err := db.x.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.migrate(ctx, 8); err != nil {
		t.Fatal(err)
	}
	stamp := "2026-11-01 02:00:00+00"
	for i, q := range []string{
		`INSERT INTO runs (id, command, business_date, started_at, status) VALUES (7, 'run', '2026-11-01', '` + stamp + `', 'ok')`,
		`INSERT INTO orders (uid, status, currency, amount_minor, amount_source, created_at, updated_at, raw, first_seen_at, changed_at)
		 VALUES ('ORD-1', 'active', 'IDR', 15000000, 'total_amount', '` + stamp + `', '` + stamp + `', '{}', '` + stamp + `', '` + stamp + `')`,
		`INSERT INTO webhook_events (id, received_at, kind, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, host_txn_id, state, currency, amount_minor, refund_amount_minor, status_code, sig_check, dedup_key, delivery_key, raw, source_file, source_line, loaded_at)
		 VALUES (9, '` + stamp + `', 'payment', '1001', '', 'ORD-1', 'H', 'SUCCESS', 'IDR', 15000000, 0, 200, 'raw', 'dd', 'dk-1', '{}', 'w.jsonl', 1, '` + stamp + `')`,
		`INSERT INTO ledger_entries (id, booked_on, reference, description, txn_type, currency, amount_minor, row_hash, source_file, sheet, source_line, raw, loaded_at)
		 VALUES (10, '2026-11-02', 'ORD-1', 'd', 'credit', 'IDR', 15000000, 'rh-1', 'l.csv', '', 2, '[]', '` + stamp + `')`,
		`INSERT INTO input_files (id, kind, path, sha256, row_count, error_count, ingested_at, run_id) VALUES (11, 'ledger', 'l.csv', 'sha', 1, 0, '` + stamp + `', 7)`,
		`INSERT INTO exceptions (id, run_id, category, severity, order_uid, payment_link_uid, oxpay_txn_id, merchant_reference_id, ledger_ref, currency, expected_minor, actual_minor, difference_minor, detail, webhook_event_ids, ledger_entry_ids)
		 VALUES (14, 7, 'LEDGER_UNMATCHED', 'high', '', '', '', '', 'REF', 'IDR', 0, 1, 1, 'd', '', '10')`,
		`INSERT INTO exception_history (run_id, exception_key, first_seen) VALUES (7, 'k', '2026-10-30')`,
	} {
		if _, err := db.x.ExecContext(ctx, q); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	if err := db.migrate(ctx, 9); err != nil {
		t.Fatal(err)
	}
	// Read through the store, on the latest schema.
	if err := db.migrate(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if r, err := db.GetRun(ctx, 7); err != nil || r.Status != recon.RunOK {
		t.Errorf("GetRun: %+v, %v", r, err)
	}
	rs, err := db.ReportExceptions(ctx, 7)
	if err != nil || len(rs) != 1 || rs[0].LedgerBookedOn == nil {
		t.Errorf("ReportExceptions: %+v, %v", rs, err)
	}
	if fs, err := db.ExceptionFirstSeen(ctx, 7); err != nil || fs["k"] != "2026-10-30" {
		t.Errorf("ExceptionFirstSeen: %v, %v", fs, err)
	}
	hooks, err := db.WebhookEvents(ctx)
	if err != nil || len(hooks) != 1 || hooks[0].ID != 9 {
		t.Errorf("WebhookEvents: %+v, %v", hooks, err)
	}
	// A new delivery is numbered on from 9; another merchant's keys and
	// ids are its own.
	h := storetest.Webhooks(1)
	if n, err := db.InsertWebhookEvents(ctx, h); err != nil || n != 1 {
		t.Fatalf("InsertWebhookEvents: %d, %v", n, err)
	}
	other := openAt(t, dsn, "other")
	o := storetest.Orders(1)
	o[0].UID = "ORD-1"
	h[0].DeliveryKey = "dk-1"
	if st, err := other.UpsertOrders(ctx, o); err != nil || st.Inserted != 1 {
		t.Errorf("other merchant's ORD-1: %+v, %v", st, err)
	}
	if n, err := other.InsertWebhookEvents(ctx, h); err != nil || n != 1 {
		t.Errorf("other merchant's delivery dk-1: %d, %v", n, err)
	}
	var ids []int64
	for _, d := range []*DB{db, other} {
		hs, err := d.WebhookEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			ids = append(ids, h.ID)
		}
	}
	if d := cmp.Diff([]int64{9, 10, 1}, ids); d != "" {
		t.Errorf("webhook event ids of default, then other (-want +got):\n%s", d)
	}
}

// TestMigrationsMatchSQLite holds the two schemas to the same tables and
// columns at the latest version (PostgreSQL's load_order aside).
func TestMigrationsMatchSQLite(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, pgtest.URL(t), store.DefaultMerchant)
	var cols []string
	if err := db.x.SelectContext(ctx, &cols, `SELECT table_name || '.' || column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND column_name <> 'load_order' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "recon.db"), store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	var want []string
	if err := lite.X().SelectContext(ctx, &want, `SELECT m.name || '.' || c.name FROM sqlite_master m, pragma_table_info(m.name) c
WHERE m.type = 'table' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, cols); d != "" {
		t.Errorf("columns, SQLite's (-) and PostgreSQL's (+):\n%s", d)
	}
}

// TestUpkeep starts the vacuum, asks again while it may run, and closes
// the database, which stops it if it has not ended.
func TestUpkeep(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.URL(t), store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertOrders(ctx, storetest.Orders(100)); err != nil {
		t.Fatal(err)
	}
	db.Upkeep()
	db.Upkeep()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
