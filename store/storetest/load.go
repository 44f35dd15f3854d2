package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// chunkRows is the rows per statement SQLite wrote before its inserts
// moved into C (store/sqlite/bulk.go); the upsert tests still load a
// batch just past it, a border that costs nothing to keep (PostgreSQL:
// simply a few rows).
const chunkRows = 32

// dumpSQL reads every column of every table, audit columns included, to
// show that a reload or a rolled-back load changed nothing at all.
var dumpSQL = map[string]string{
	"orders":         `SELECT * FROM orders ORDER BY uid`,
	"payment_links":  `SELECT * FROM payment_links ORDER BY uid`,
	"transactions":   `SELECT * FROM transactions ORDER BY oxpay_txn_id`,
	"webhook_events": `SELECT * FROM webhook_events ORDER BY id`,
	"ledger_entries": `SELECT * FROM ledger_entries ORDER BY id`,
	"input_errors":   `SELECT * FROM input_errors ORDER BY id`,
	"input_files":    `SELECT * FROM input_files ORDER BY id`,
}

func dump(t *testing.T, db store.Backend) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for table, q := range dumpSQL {
		rows, err := rawDB(t, db).Queryx(q)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			out[table] = append(out[table], m)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		rows.Close()
	}
	return out
}

// loadAll loads one of each kind of row through the one-shot methods and
// returns the upsert stats of the three API tables.
func loadAll(t *testing.T, db store.Backend, n int) (orders, links, txns store.UpsertStats, added [3]int) {
	t.Helper()
	ctx := context.Background()
	var err error
	if orders, err = db.UpsertOrders(ctx, Orders(n)); err != nil {
		t.Fatalf("UpsertOrders: %v", err)
	}
	if links, err = db.UpsertPaymentLinks(ctx, Links(n)); err != nil {
		t.Fatalf("UpsertPaymentLinks: %v", err)
	}
	if txns, err = db.UpsertTransactions(ctx, Transactions(n)); err != nil {
		t.Fatalf("UpsertTransactions: %v", err)
	}
	if added[0], err = db.InsertWebhookEvents(ctx, Webhooks(n)); err != nil {
		t.Fatalf("InsertWebhookEvents: %v", err)
	}
	if added[1], err = db.InsertLedgerEntries(ctx, Ledger(n)); err != nil {
		t.Fatalf("InsertLedgerEntries: %v", err)
	}
	errs := []recon.InputError{{Source: "ledger", File: "l.csv", Line: 9, Text: "x", Reason: "bad date"}}
	if added[2], err = db.InsertInputErrors(ctx, errs); err != nil {
		t.Fatalf("InsertInputErrors: %v", err)
	}
	return orders, links, txns, added
}

func testLoadTwiceIsIdempotent(t *testing.T, b Backend) {
	const n = 50
	db := b.Open(t, store.DefaultMerchant)

	o, l, x, added := loadAll(t, db, n)
	first := store.UpsertStats{Inserted: n}
	for name, got := range map[string]store.UpsertStats{"orders": o, "links": l, "transactions": x} {
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("%s first load stats (-want +got):\n%s", name, diff)
		}
	}
	if diff := cmp.Diff([3]int{n, n, 1}, added); diff != "" {
		t.Errorf("first load inserted (-want +got):\n%s", diff)
	}
	before := dump(t, db)

	o, l, x, added = loadAll(t, db, n)
	again := store.UpsertStats{Unchanged: n}
	for name, got := range map[string]store.UpsertStats{"orders": o, "links": l, "transactions": x} {
		if diff := cmp.Diff(again, got); diff != "" {
			t.Errorf("%s second load stats (-want +got):\n%s", name, diff)
		}
	}
	if diff := cmp.Diff([3]int{0, 0, 0}, added); diff != "" {
		t.Errorf("second load inserted (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, dump(t, db)); diff != "" {
		t.Errorf("tables changed by an identical reload (-before +after):\n%s", diff)
	}
}

func testUpsertCountsChanges(t *testing.T, b Backend) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(o *recon.Order)
	}{
		{"status", func(o *recon.Order) { o.Status = "refunded" }},
		{"amount", func(o *recon.Order) { o.AmountMinor++ }},
		{"updated_at", func(o *recon.Order) { o.UpdatedAt = o.UpdatedAt.Add(max(1, timeStep)) }},
		{"raw only", func(o *recon.Order) { o.Raw += " " }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := b.Open(t, store.DefaultMerchant)
			rows := Orders(10)
			if _, err := db.UpsertOrders(ctx, rows); err != nil {
				t.Fatalf("UpsertOrders: %v", err)
			}
			tc.change(&rows[4])
			rows = append(rows, Orders(12)[10:]...) // two new orders
			got, err := db.UpsertOrders(ctx, rows)
			if err != nil {
				t.Fatalf("UpsertOrders again: %v", err)
			}
			if diff := cmp.Diff(store.UpsertStats{Inserted: 2, Updated: 1, Unchanged: 9}, got); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			stored, err := db.Orders(ctx)
			if err != nil {
				t.Fatalf("Orders: %v", err)
			}
			if diff := cmp.Diff(rows, stored); diff != "" {
				t.Errorf("orders (-want +got):\n%s", diff)
			}
		})
	}
}

func testUpsertChangedLinkAndTransaction(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	links, txns := Links(5), Transactions(5)
	if _, err := db.UpsertPaymentLinks(ctx, links); err != nil {
		t.Fatalf("UpsertPaymentLinks: %v", err)
	}
	if _, err := db.UpsertTransactions(ctx, txns); err != nil {
		t.Fatalf("UpsertTransactions: %v", err)
	}

	links[1].PaidAt = TP(TS(9, 0, 0)) // nil to non-nil is a change
	links[2].PaidAt = nil             // and back
	txns[3].State = "voided"
	txns[4].FetchedAt = txns[4].FetchedAt.Add(3600e9) // a refetch alone is not a change

	ls, err := db.UpsertPaymentLinks(ctx, links)
	if err != nil {
		t.Fatalf("UpsertPaymentLinks again: %v", err)
	}
	if diff := cmp.Diff(store.UpsertStats{Updated: 2, Unchanged: 3}, ls); diff != "" {
		t.Errorf("link stats (-want +got):\n%s", diff)
	}
	xs, err := db.UpsertTransactions(ctx, txns)
	if err != nil {
		t.Fatalf("UpsertTransactions again: %v", err)
	}
	if diff := cmp.Diff(store.UpsertStats{Updated: 1, Unchanged: 4}, xs); diff != "" {
		t.Errorf("transaction stats (-want +got):\n%s", diff)
	}
	gotLinks, err := db.PaymentLinks(ctx)
	if err != nil {
		t.Fatalf("PaymentLinks: %v", err)
	}
	if diff := cmp.Diff(links, gotLinks); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	gotTxns, err := db.Transactions(ctx)
	if err != nil {
		t.Fatalf("Transactions: %v", err)
	}
	if got, want := gotTxns[3].State, "voided"; got != want {
		t.Errorf("transaction 3 state: got %q, want %q", got, want)
	}
	if got, want := gotTxns[4].FetchedAt, Transactions(5)[4].FetchedAt; !got.Equal(want) {
		t.Errorf("transaction 4 fetched_at: got %v, want the first fetch %v", got, want)
	}
}

func testLoadBatchesCommitTogether(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	l, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatalf("BeginLoad: %v", err)
	}
	defer l.Rollback()
	all := Orders(25)
	var total store.UpsertStats
	for start := 0; start < len(all); start += 10 {
		end := min(start+10, len(all))
		st, err := l.Orders(all[start:end])
		if err != nil {
			t.Fatalf("Orders batch at %d: %v", start, err)
		}
		total.Add(st)
	}
	// The same uid twice in one load: the second is an update.
	dup := all[0]
	dup.Status = "expired"
	st, err := l.Orders([]recon.Order{dup})
	if err != nil {
		t.Fatalf("Orders dup: %v", err)
	}
	total.Add(st)
	if diff := cmp.Diff(store.UpsertStats{Inserted: 25, Updated: 1}, total); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if n, _ := db.Count(ctx, "orders"); n != 0 {
		t.Errorf("orders visible before commit: got %d, want 0", n)
	}
	if err := l.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if n, _ := db.Count(ctx, "orders"); n != 25 {
		t.Errorf("orders after commit: got %d, want 25", n)
	}
	if _, err := l.Orders(all); !errors.Is(err, store.ErrLoadDone) {
		t.Errorf("Orders after Commit: got %v, want store.ErrLoadDone", err)
	}
}

func testLoadAbortLeavesDatabaseUnchanged(t *testing.T, b Backend) {
	tests := []struct {
		name  string
		abort func(t *testing.T, l store.Load, cancel context.CancelFunc) error
	}{
		{"rollback", func(t *testing.T, l store.Load, _ context.CancelFunc) error {
			return l.Rollback()
		}},
		{"cancel mid-way", func(t *testing.T, l store.Load, cancel context.CancelFunc) error {
			cancel()
			if _, err := l.Orders(Orders(300)[200:]); !errors.Is(err, context.Canceled) {
				t.Errorf("Orders after cancel: got %v, want context.Canceled", err)
			}
			if err := l.Commit(); err == nil {
				t.Error("Commit after cancel: got no error, want one")
			}
			return nil
		}},
		{"failed row", func(t *testing.T, l store.Load, _ context.CancelFunc) error {
			// A file record tied to a run that does not exist breaks the
			// foreign key: the load must not commit the rows before it.
			l.SetRunID(12345)
			if err := l.RecordInputFile(store.InputFile{Kind: "ledger", Path: "x", SHA256: "ab"}); err == nil {
				t.Error("RecordInputFile with unknown run: got no error, want a foreign key error")
			}
			if _, err := l.Orders(Orders(1)); err == nil {
				t.Error("Orders after a failure: got no error, want one")
			}
			if err := l.Commit(); err == nil {
				t.Error("Commit after a failure: got no error, want one")
			}
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := b.Open(t, store.DefaultMerchant)
			loadAll(t, db, 20)
			before := dump(t, db)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			l, err := db.BeginLoad(ctx)
			if err != nil {
				t.Fatalf("BeginLoad: %v", err)
			}
			changed := Orders(200)
			changed[0].Status = "refunded"
			if _, err := l.Orders(changed); err != nil {
				t.Fatalf("Orders: %v", err)
			}
			if _, err := l.WebhookEvents(Webhooks(100)); err != nil {
				t.Fatalf("WebhookEvents: %v", err)
			}
			if _, err := l.LedgerEntries(Ledger(100)); err != nil {
				t.Fatalf("LedgerEntries: %v", err)
			}
			if err := tc.abort(t, l, cancel); err != nil {
				t.Fatalf("abort: %v", err)
			}
			l.Rollback()
			if diff := cmp.Diff(before, dump(t, db)); diff != "" {
				t.Errorf("database changed by an aborted load (-before +after):\n%s", diff)
			}
			// The database is still writable afterwards: no lock is left.
			if _, err := db.UpsertOrders(context.Background(), Orders(1)); err != nil {
				t.Errorf("UpsertOrders after abort: %v", err)
			}
		})
	}
}

func testHostileTextIsStoredAsText(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	const evil = `'; DROP TABLE orders; --`
	o := Orders(2)
	o[0].UID, o[0].Status, o[0].Raw = evil, evil+`"`, `{"x":"`+evil+`"}`
	if _, err := db.UpsertOrders(ctx, o); err != nil {
		t.Fatalf("UpsertOrders: %v", err)
	}
	e := Ledger(1)
	e[0].Reference, e[0].Description = evil, "Robert'); DROP TABLE ledger_entries;--"
	if _, err := db.InsertLedgerEntries(ctx, e); err != nil {
		t.Fatalf("InsertLedgerEntries: %v", err)
	}
	got, err := db.Orders(ctx)
	if err != nil {
		t.Fatalf("Orders (table dropped?): %v", err)
	}
	if diff := cmp.Diff(o[0], got[0]); diff != "" {
		t.Errorf("order with hostile text (-want +got):\n%s", diff)
	}
	gotE, err := db.LedgerEntries(ctx)
	if err != nil {
		t.Fatalf("LedgerEntries (table dropped?): %v", err)
	}
	if len(gotE) != 1 || gotE[0].Reference != evil {
		t.Errorf("ledger reference: got %+v, want %q", gotE, evil)
	}
	for _, table := range store.Tables {
		if _, err := db.Count(ctx, table); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	if _, err := db.Count(ctx, "orders; DROP TABLE orders"); !errors.Is(err, store.ErrUnknownTable) {
		t.Errorf("Count of hostile name: got %v, want store.ErrUnknownTable", err)
	}
	if n, _ := db.Count(ctx, "orders"); n != 2 {
		t.Errorf("orders: got %d, want 2", n)
	}
}

func testInsertErrorNamesRow(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	l, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatalf("BeginLoad: %v", err)
	}
	defer l.Rollback()
	l.SetRunID(77) // no such run: the foreign key refuses it
	_, err = l.InputErrors([]recon.InputError{{Source: "ledger", File: "l.csv", Line: 4, Reason: "bad"}})
	if err == nil {
		t.Fatal("InputErrors with unknown run: got no error, want one")
	}
	if !strings.Contains(err.Error(), "l.csv:4") {
		t.Errorf("error %q does not name the row l.csv:4", err)
	}
}

// TestDuplicatesWithinOneChunk loads the same uid twice inside one
// multi-row statement: the later row wins, as it would row by row.
func testDuplicatesWithinOneChunk(t *testing.T, b Backend) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(o *recon.Order)
		want   store.UpsertStats
	}{
		{"identical", func(*recon.Order) {}, store.UpsertStats{Inserted: chunkRows + 7, Unchanged: 1}},
		{"changed", func(o *recon.Order) { o.Status = "refunded" }, store.UpsertStats{Inserted: chunkRows + 7, Updated: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := b.Open(t, store.DefaultMerchant)
			in := Orders(chunkRows + 7)
			dup := in[2]
			tc.change(&dup)
			in = append(in[:10], append([]recon.Order{dup}, in[10:]...)...) // inside the first chunk
			got, err := db.UpsertOrders(ctx, in)
			if err != nil {
				t.Fatalf("UpsertOrders: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			stored, err := db.Orders(ctx)
			if err != nil {
				t.Fatalf("Orders: %v", err)
			}
			if stored[2].Status != dup.Status {
				t.Errorf("order %s status: got %q, want the later row's %q", dup.UID, stored[2].Status, dup.Status)
			}
		})
	}
}

// TestChunkFailureNamesRow fails a whole multi-row statement and checks
// that the error still names a row, and that nothing is committed.
func testChunkFailureNamesRow(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	errs := make([]recon.InputError, chunkRows+3)
	for i := range errs {
		errs[i] = recon.InputError{Source: "ledger", File: "l.csv", Line: i + 1, Reason: "bad"}
	}
	l, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatalf("BeginLoad: %v", err)
	}
	defer l.Rollback()
	l.SetRunID(77) // no such run: the foreign key refuses every row
	_, err = l.InputErrors(errs)
	if err == nil {
		t.Fatal("InputErrors with unknown run: got no error, want one")
	}
	if !strings.Contains(err.Error(), "l.csv:1:") {
		t.Errorf("error %q does not name the first failing row l.csv:1", err)
	}
	if err := l.Commit(); err == nil {
		t.Error("Commit after a failure: got no error, want one")
	}
	if n, _ := db.Count(ctx, "input_errors"); n != 0 {
		t.Errorf("input errors stored: got %d, want 0", n)
	}
}

// testLongTextStored stores a megabyte of text, hostile bytes and all,
// in every column that is no part of an index, and reads it back byte
// for byte.
func testLongTextStored(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	long := strings.Repeat("L\x00\xff'; DROP TABLE orders; --", 1<<20/32)
	o := Orders(1)
	o[0].Raw, o[0].AmountProblem, o[0].AmountSource = long, long, long
	o[0].AmountMinor = 0
	if _, err := db.UpsertOrders(ctx, o); err != nil {
		t.Fatal(err)
	}
	e := Ledger(1)
	e[0].Raw, e[0].Description, e[0].Sheet, e[0].SourceFile = long, long, long, long
	if _, err := db.InsertLedgerEntries(ctx, e); err != nil {
		t.Fatal(err)
	}
	ie := []recon.InputError{{Source: "ledger", File: "l.csv", Line: 2, Text: long, Reason: "bad"}}
	if _, err := db.InsertInputErrors(ctx, ie); err != nil {
		t.Fatal(err)
	}
	gotO, err1 := db.Orders(ctx)
	gotE, err2 := db.LedgerEntries(ctx)
	gotI, err3 := db.InputErrors(ctx)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if gotO[0].Raw != long || gotO[0].AmountProblem != long || gotE[0].Description != long || gotE[0].SourceFile != long || gotI[0].Text != long {
		t.Error("a long text did not come back byte for byte")
	}
}
