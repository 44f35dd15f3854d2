package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
	"github.com/reconkit/reconkit/store/storetest"
)

type appliedMigration struct {
	Version   int       `db:"version"`
	AppliedAt time.Time `db:"applied_at"`
}

func appliedMigrations(t *testing.T, db *DB) []appliedMigration {
	t.Helper()
	var ms []appliedMigration
	if err := db.X().Select(&ms, `SELECT version, applied_at FROM schema_migrations ORDER BY version`); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return ms
}

func TestOpenAppliesMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "dir", "recon.db")
	db, err := Open(ctx, path, store.DefaultMerchant)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

	latest := LatestSchemaVersion()
	if latest < 1 {
		t.Fatalf("LatestSchemaVersion = %d, want >= 1", latest)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	if v != latest {
		t.Errorf("schema version: got %d, want %d", v, latest)
	}
	ms := appliedMigrations(t, db)
	if len(ms) != latest {
		t.Fatalf("schema_migrations rows: got %d, want %d", len(ms), latest)
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("schema_migrations[%d].version: got %d, want %d", i, m.Version, i+1)
		}
		if m.AppliedAt.IsZero() || m.AppliedAt.Location() != time.UTC {
			t.Errorf("schema_migrations[%d].applied_at: got %v, want a UTC time", i, m.AppliedAt)
		}
	}
	for _, table := range store.Tables {
		t.Run(table, func(t *testing.T) {
			if _, err := db.Count(ctx, table); err != nil {
				t.Errorf("Count(%s): %v", table, err)
			}
		})
	}
}

func TestSecondOpenIsNoop(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "recon.db")
	db, err := Open(ctx, path, store.DefaultMerchant)
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}
	if _, err := db.UpsertOrders(ctx, sampleOrders(3)); err != nil {
		t.Fatalf("UpsertOrders: %v", err)
	}
	before := appliedMigrations(t, db)
	db.Close()

	db, err = Open(ctx, path, store.DefaultMerchant)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer db.Close()
	if diff := cmp.Diff(before, appliedMigrations(t, db)); diff != "" {
		t.Errorf("schema_migrations changed on second Open (-before +after):\n%s", diff)
	}
	n, err := db.Count(ctx, "orders")
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	if n != 3 {
		t.Errorf("orders after second Open: got %d, want 3", n)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "recon.db")
	db, err := Open(ctx, path, store.DefaultMerchant)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	future := LatestSchemaVersion() + 1
	if _, err := db.X().Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, future, time.Now().UTC()); err != nil {
		t.Fatalf("insert future version: %v", err)
	}
	db.Close()

	db, err = Open(ctx, path, store.DefaultMerchant)
	if err == nil {
		db.Close()
		t.Fatal("Open of a newer database: got no error, want store.ErrSchemaTooNew")
	}
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Errorf("Open error: got %v, want store.ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("Open error %q does not name the file %s", err, path)
	}
}

func TestOpenSettings(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "5000"},
		{"page_size", strconv.Itoa(sqlitePageSize)},
	}
	for _, tc := range tests {
		t.Run(tc.pragma, func(t *testing.T) {
			var got string
			// The pragma names are the constants above, not caller text.
			if err := db.X().Get(&got, "PRAGMA "+tc.pragma); err != nil {
				t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s: got %q, want %q", tc.pragma, got, tc.want)
			}
		})
	}
}

// TestOpenKeepsPageSize opens a database that was created with SQLite's
// default pages: it keeps them (only a new file gets sqlitePageSize) and
// its data, in WAL mode.
func TestOpenKeepsPageSize(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	x, err := sqlx.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA page_size = 4096`, `CREATE TABLE kept (v TEXT)`, `INSERT INTO kept VALUES ('x')`} {
		if _, err := x.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	x.Close()

	db, err := Open(ctx, path, store.DefaultMerchant)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	var size int
	var mode, v string
	if err := db.X().Get(&size, `PRAGMA page_size`); err != nil {
		t.Fatal(err)
	}
	if err := db.X().Get(&mode, `PRAGMA journal_mode`); err != nil {
		t.Fatal(err)
	}
	if err := db.X().Get(&v, `SELECT v FROM kept`); err != nil {
		t.Fatal(err)
	}
	if size != 4096 || mode != "wal" || v != "x" {
		t.Errorf("page_size %d, journal_mode %q, kept %q; want 4096, wal, x", size, mode, v)
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if db, err := Open(context.Background(), "", store.DefaultMerchant); err == nil {
		db.Close()
		t.Error("Open(\"\"): got no error, want one")
	}
}

// dbAtVersion makes a database at schema version v, as that version of
// recon left it, for a test of the migrations after it; migrateTo takes
// it on to a later version.
func dbAtVersion(t *testing.T, v int) *DB {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v"+strconv.Itoa(v)+".db")
	if err := sqliteCreate(ctx, path); err != nil {
		t.Fatal(err)
	}
	x, err := sqlx.Open(sqliteDriver, sqliteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	db := &DB{x: x, path: path, ckpt: &checkpointer{}}
	db.DB = sqlstore.New(x, sqlstore.SQLite, store.DefaultMerchant, db.beginTx)
	db.DB.SetBeginLoad(db.BeginLoad)
	db.OneShots = sqlstore.OneShots{Begin: db.BeginLoad}
	t.Cleanup(func() { db.Close() })
	migrateTo(t, db, v)
	return db
}

func migrateTo(t *testing.T, db *DB, v int) {
	t.Helper()
	if err := db.migrate(context.Background(), v); err != nil {
		t.Fatal(err)
	}
}

// storedKeys returns every delivery_key and row_hash, sorted.
func storedKeys(t *testing.T, db *DB) []string {
	t.Helper()
	var keys []string
	if err := db.x.Select(&keys, `SELECT delivery_key FROM webhook_events UNION ALL SELECT row_hash FROM ledger_entries`); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

// storeRows stores webhook events and ledger entries as keyed, skipping
// those whose key is stored, and returns how many of each it added. The
// rows go in the columns every version since 0001 has (since 0009 they
// are the default merchant's), so that it serves a database at any of
// them.
func storeRows(t *testing.T, db *DB, hooks []recon.WebhookEvent, ledger []recon.LedgerEntry) (int, int) {
	t.Helper()
	var added [2]int
	for _, h := range hooks {
		res, err := db.x.Exec(`INSERT OR IGNORE INTO webhook_events (received_at, kind, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id,
host_txn_id, state, currency, amount_minor, refund_amount_minor, status_code, sig_check, dedup_key, delivery_key, raw,
source_file, source_line, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sqliteTimeText(h.ReceivedAt), h.Kind, h.OxpayTxnID, h.OriginalTxnID, h.MerchantReferenceID, h.HostTxnID, h.State,
			h.Currency, h.AmountMinor, h.RefundAmountMinor, h.StatusCode, h.SigCheck, h.DedupKey, h.DeliveryKey, h.Raw,
			h.SourceFile, h.SourceLine, sqliteTimeText(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := res.RowsAffected()
		added[0] += int(n)
	}
	for _, l := range ledger {
		res, err := db.x.Exec(`INSERT OR IGNORE INTO ledger_entries (booked_on, reference, description, txn_type, currency,
amount_minor, row_hash, source_file, sheet, source_line, raw, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.BookedOn.Format(time.DateOnly), l.Reference, l.Description, l.TxnType, l.Currency, l.AmountMinor, l.RowHash,
			l.SourceFile, l.Sheet, l.SourceLine, l.Raw, sqliteTimeText(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := res.RowsAffected()
		added[1] += int(n)
	}
	return added[0], added[1]
}

// wantNothingAdded stores the rows again and fails unless their keys
// found the rows already stored.
func wantNothingAdded(t *testing.T, db *DB, hooks []recon.WebhookEvent, ledger []recon.LedgerEntry) {
	t.Helper()
	if h, l := storeRows(t, db, hooks, ledger); h != 0 || l != 0 {
		t.Errorf("ingested again: added %d webhook events and %d ledger entries, want none", h, l)
	}
}

// Migration 0005 cuts the stored unique keys of webhook events and
// ledger entries to the 32 hex digits ingest then wrote, so that a log
// or an export ingested again after the upgrade adds nothing.
func TestMigrationShortKeys(t *testing.T) {
	db := dbAtVersion(t, 4)

	// Rows as version 4 stored them: whole SHA-256s.
	full := fullHashedKey
	hooks, ledger := sampleWebhooks(3), sampleLedger(3)
	for i := range hooks {
		hooks[i].DeliveryKey = full("delivery", i)
		ledger[i].RowHash = full("row", i)
	}
	storeRows(t, db, hooks, ledger)

	migrateTo(t, db, 5)
	want := []string{}
	for _, s := range []string{"delivery", "row"} {
		for i := range 3 {
			want = append(want, full(s, i)[:32])
		}
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, storedKeys(t, db)); diff != "" {
		t.Errorf("stored keys after the migration (-want +got):\n%s", diff)
	}

	// The same rows, keyed as ingest keyed them then, add nothing.
	for i := range hooks {
		hooks[i].DeliveryKey = hooks[i].DeliveryKey[:32]
		ledger[i].RowHash = ledger[i].RowHash[:32]
	}
	wantNothingAdded(t, db, hooks, ledger)
}

// Migration 0006 puts the row's time before the hash in the stored
// unique keys, as ingest now writes them (ingest.keyLen): the second a
// delivery was received, in UTC, before 72 bits of its hash, and the day
// a ledger line was booked before 96 bits of its hash. A log or an
// export ingested again after the upgrade adds nothing.
func TestMigrationKeysByTime(t *testing.T) {
	db := dbAtVersion(t, 5)

	// Rows as version 5 stored them: 128 bits of a SHA-256. The times are
	// in Jakarta (UTC+7), one with a fraction of a second that must be
	// cut, not rounded, and the dates fall on either side of a month.
	key := hashedKey
	hooks, ledger := sampleWebhooks(3), sampleLedger(3)
	hooks[0].ReceivedAt = time.Date(2024, 3, 1, 6, 59, 59, 999_999_999, jakarta)
	hooks[1].ReceivedAt = time.Date(2024, 3, 1, 7, 0, 0, 0, jakarta)
	hooks[2].ReceivedAt = time.Date(2024, 12, 31, 23, 59, 58, 500_000_000, time.UTC)
	ledger[1].BookedOn = time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	ledger[2].BookedOn = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range hooks {
		hooks[i].DeliveryKey = key("delivery", i)
		ledger[i].RowHash = key("row", i)
	}
	storeRows(t, db, hooks, ledger)

	migrateTo(t, db, 6)
	want := []string{
		"20240229235959" + key("delivery", 0)[:18],
		"20240301000000" + key("delivery", 1)[:18],
		"20241231235958" + key("delivery", 2)[:18],
		"20240302" + key("row", 0)[:24],
		"20240229" + key("row", 1)[:24],
		"20250101" + key("row", 2)[:24],
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, storedKeys(t, db)); diff != "" {
		t.Errorf("stored keys after the migration (-want +got):\n%s", diff)
	}

	// The same rows, keyed as ingest keys them now, add nothing.
	for i := range hooks {
		hooks[i].DeliveryKey = hooks[i].ReceivedAt.UTC().Format("20060102150405") + key("delivery", i)[:18]
		ledger[i].RowHash = ledger[i].BookedOn.Format("20060102") + key("row", i)[:24]
	}
	wantNothingAdded(t, db, hooks, ledger)
}

// TestMigrationAmountUnknown takes orders and links stored by version 6
// through migration 0007: their amounts, rowids and every other column
// stay, their source is the field version 6 read, and afterwards an
// unknown amount is stored as NULL and read back as unknown.
func TestMigrationAmountUnknown(t *testing.T) {
	ctx := context.Background()
	db := dbAtVersion(t, 6)
	for i, q := range []string{
		`INSERT INTO orders (uid, status, currency, amount_minor, created_at, updated_at, raw, first_seen_at, changed_at)
		 VALUES ('ORD-2', 'active', 'IDR', 15000000, '2026-11-01 02:00:00+00:00', '2026-11-01 02:00:00+00:00', '{"uid":"ORD-2"}', '2026-11-02 00:00:00+00:00', '2026-11-02 00:00:00+00:00')`,
		`INSERT INTO orders (uid, status, currency, amount_minor, created_at, updated_at, raw, first_seen_at, changed_at)
		 VALUES ('ORD-1', 'pending', 'SGD', 0, '2026-11-01 03:00:00+00:00', '2026-11-01 03:00:00+00:00', '{"uid":"ORD-1"}', '2026-11-02 00:00:00+00:00', '2026-11-02 00:00:00+00:00')`,
		`INSERT INTO payment_links (uid, order_uid, status, payment_url, currency, amount_minor, paid_at, created_at, updated_at, raw, first_seen_at, changed_at)
		 VALUES ('PL-1', 'ORD-2', 'paid', 'https://pay.example/PL-1', 'IDR', 15000000, '2026-11-01 04:00:00+00:00', '2026-11-01 02:00:00+00:00', '2026-11-01 04:00:00+00:00', '{"uid":"PL-1"}', '2026-11-02 00:00:00+00:00', '2026-11-02 00:00:00+00:00')`,
	} {
		if _, err := db.x.ExecContext(ctx, q); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	migrateTo(t, db, 7)

	type stored struct {
		Rowid  int64  `db:"rowid"`
		UID    string `db:"uid"`
		Amount *int64 `db:"amount_minor"`
		Source string `db:"amount_source"`
		Raw    string `db:"raw"`
	}
	var got []stored
	if err := db.x.SelectContext(ctx, &got, `SELECT rowid, uid, amount_minor, amount_source, raw FROM orders
		UNION ALL SELECT rowid, uid, amount_minor, amount_source, raw FROM payment_links ORDER BY uid`); err != nil {
		t.Fatal(err)
	}
	i64 := func(v int64) *int64 { return &v }
	want := []stored{
		{2, "ORD-1", i64(0), "total_amount", `{"uid":"ORD-1"}`},
		{1, "ORD-2", i64(15000000), "total_amount", `{"uid":"ORD-2"}`},
		{1, "PL-1", i64(15000000), "amount", `{"uid":"PL-1"}`},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows after the migration (-want +got):\n%s", d)
	}

	// An order whose total could not be read is stored as NULL, never 0
	// (through the store, which writes the latest schema).
	migrateTo(t, db, LatestSchemaVersion())
	load, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer load.Rollback()
	unknown := recon.Order{UID: "ORD-3", Status: "active", Currency: "IDR", AmountProblem: "order ORD-3: amount is missing",
		CreatedAt: time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC)}
	if _, err := load.Orders([]recon.Order{unknown}); err != nil {
		t.Fatal(err)
	}
	if err := load.Commit(); err != nil {
		t.Fatal(err)
	}
	var nulls int
	if err := db.x.GetContext(ctx, &nulls, `SELECT COUNT(*) FROM orders WHERE uid = 'ORD-3' AND amount_minor IS NULL AND amount_problem <> ''`); err != nil || nulls != 1 {
		t.Fatalf("ORD-3 stored with a NULL amount: %d rows, %v", nulls, err)
	}
	orders, err := db.Orders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o := orders[2]; o.UID != "ORD-3" || o.AmountKnown() || o.AmountProblem != unknown.AmountProblem {
		t.Fatalf("read back %+v", o)
	}
}

// TestMigrationMerchant takes a database of version 8, with a row in
// every table, through migration 0009: every row is the default
// merchant's, with its rowid and every other column kept, and readable
// through the store; another merchant may then store rows under the
// same keys.
func TestMigrationMerchant(t *testing.T) {
	ctx := context.Background()
	db := dbAtVersion(t, 8)
	stamp := "2026-11-01 02:00:00+00:00"
	for i, q := range []string{
		`INSERT INTO runs (id, command, business_date, started_at, status) VALUES (7, 'run', '2026-11-01', '` + stamp + `', 'ok')`,
		`INSERT INTO orders (rowid, uid, status, currency, amount_minor, amount_source, created_at, updated_at, raw, first_seen_at, changed_at)
		 VALUES (5, 'ORD-1', 'active', 'IDR', 15000000, 'total_amount', '` + stamp + `', '` + stamp + `', '{}', '` + stamp + `', '` + stamp + `')`,
		`INSERT INTO payment_links (rowid, uid, order_uid, status, payment_url, currency, amount_minor, amount_source, paid_at, created_at, updated_at, raw, first_seen_at, changed_at)
		 VALUES (6, 'PL-1', 'ORD-1', 'paid', 'https://pay.example/PL-1', 'IDR', 15000000, 'amount', '` + stamp + `', '` + stamp + `', '` + stamp + `', '{}', '` + stamp + `', '` + stamp + `')`,
		`INSERT INTO transactions (rowid, oxpay_txn_id, oxpay_original_txn_id, type, merchant_reference_id, host_txn_id, state, payment_brand, currency, amount_minor, refund_amount_minor, fetched_at, raw, first_seen_at, changed_at)
		 VALUES (8, '1001', '', 'SALE', 'ORD-1', 'H', 'SUCCESS', 'VISA', 'IDR', 15000000, 0, '` + stamp + `', '{}', '` + stamp + `', '` + stamp + `')`,
		`INSERT INTO webhook_events (id, received_at, kind, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, host_txn_id, state, currency, amount_minor, refund_amount_minor, status_code, sig_check, dedup_key, delivery_key, raw, source_file, source_line, loaded_at, signature, key_fp)
		 VALUES (9, '` + stamp + `', 'payment', '1001', '', 'ORD-1', 'H', 'SUCCESS', 'IDR', 15000000, 0, 200, 'invalid', 'dd', 'dk-1', '{}', 'w.jsonl', 1, '` + stamp + `', 'sig', 'fp')`,
		`INSERT INTO ledger_entries (id, booked_on, reference, description, txn_type, currency, amount_minor, row_hash, source_file, sheet, source_line, raw, loaded_at)
		 VALUES (10, '2026-11-02', 'ORD-1', 'd', 'credit', 'IDR', 15000000, 'rh-1', 'l.csv', '', 2, '[]', '` + stamp + `')`,
		`INSERT INTO input_files (id, kind, path, sha256, row_count, error_count, ingested_at, run_id) VALUES (11, 'ledger', 'l.csv', 'sha', 1, 0, '` + stamp + `', 7)`,
		`INSERT INTO input_errors (id, source, file, line, text, reason, recorded_at, run_id) VALUES (12, 'ledger', 'l.csv', 3, 'x', 'bad', '` + stamp + `', 7)`,
		`INSERT INTO match_results (id, run_id, kind, order_uid, payment_link_uid, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, ledger_entry_id, webhook_event_id, state, source, currency, order_minor, gateway_minor, paid_at, clean)
		 VALUES (13, 7, 'sale', 'ORD-1', 'PL-1', '1001', '', 'ORD-1', 10, 9, 'SUCCESS', 'api', 'IDR', 15000000, 15000000, '` + stamp + `', 1)`,
		`INSERT INTO exceptions (id, run_id, category, severity, order_uid, payment_link_uid, oxpay_txn_id, merchant_reference_id, ledger_ref, currency, expected_minor, actual_minor, difference_minor, detail, webhook_event_ids, ledger_entry_ids)
		 VALUES (14, 7, 'LEDGER_UNMATCHED', 'high', '', '', '', '', 'REF', 'IDR', 0, 1, 1, 'd', '', '10')`,
		`INSERT INTO exception_history (run_id, exception_key, first_seen) VALUES (7, 'k', '2026-10-30')`,
		`INSERT INTO fetch_cursors (list, newest, updated_at) VALUES ('orders', '` + stamp + `', '` + stamp + `')`,
	} {
		if _, err := db.x.ExecContext(ctx, q); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	migrateTo(t, db, 9)

	for _, table := range []string{"runs", "orders", "payment_links", "transactions", "webhook_events", "ledger_entries", "input_files",
		"input_errors", "match_results", "exceptions", "exception_history", "fetch_cursors"} {
		var others int
		if err := db.x.GetContext(ctx, &others, `SELECT COUNT(*) FROM `+table+` WHERE merchant <> 'default'`); err != nil || others != 0 {
			t.Errorf("%s: %d rows of another merchant, %v", table, others, err)
		}
	}
	var rowids []int64
	if err := db.x.SelectContext(ctx, &rowids, `SELECT rowid FROM orders UNION ALL SELECT rowid FROM payment_links
		UNION ALL SELECT rowid FROM transactions UNION ALL SELECT id FROM webhook_events UNION ALL SELECT id FROM ledger_entries
		UNION ALL SELECT id FROM input_files UNION ALL SELECT id FROM input_errors`); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int64{5, 6, 8, 9, 10, 11, 12}, rowids); d != "" {
		t.Errorf("rowids (-want +got):\n%s", d)
	}
	// Read through the store, on the latest schema, as the default merchant.
	migrateTo(t, db, 0)
	if r, err := db.GetRun(ctx, 7); err != nil || r.Status != recon.RunOK {
		t.Errorf("GetRun: %+v, %v", r, err)
	}
	if rs, err := db.ReportExceptions(ctx, 7); err != nil || len(rs) != 1 || rs[0].LedgerBookedOn == nil {
		t.Errorf("ReportExceptions: %+v, %v", rs, err)
	}
	if fs, err := db.ExceptionFirstSeen(ctx, 7); err != nil || fs["k"] != "2026-10-30" {
		t.Errorf("ExceptionFirstSeen: %v, %v", fs, err)
	}
	if c, ok, err := db.FetchCursor(ctx, "orders"); err != nil || !ok || c.IsZero() {
		t.Errorf("FetchCursor: %v %v %v", c, ok, err)
	}
	if seen, err := db.InputFileSeen(ctx, "ledger", "sha"); err != nil || !seen {
		t.Errorf("InputFileSeen: %v, %v", seen, err)
	}
	// Another merchant stores rows under the same keys.
	other, err := Open(ctx, db.path, "other")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	o := storetest.Orders(1)
	o[0].UID = "ORD-1"
	h := storetest.Webhooks(1)
	h[0].DeliveryKey = "dk-1"
	l := storetest.Ledger(1)
	l[0].RowHash = "rh-1"
	if st, err := other.UpsertOrders(ctx, o); err != nil || st.Inserted != 1 {
		t.Errorf("other merchant's ORD-1: %+v, %v", st, err)
	}
	if n, err := other.InsertWebhookEvents(ctx, h); err != nil || n != 1 {
		t.Errorf("other merchant's delivery dk-1: %d, %v", n, err)
	}
	if n, err := other.InsertLedgerEntries(ctx, l); err != nil || n != 1 {
		t.Errorf("other merchant's row rh-1: %d, %v", n, err)
	}
	if n, err := db.Count(ctx, "orders"); err != nil || n != 1 {
		t.Errorf("default merchant's orders: %d, %v", n, err)
	}
}
