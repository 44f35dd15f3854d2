package sqlite

import (
	"context"
	"testing"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// TestSpan holds Span to the rows up to the mark: the keys of later rows,
// the keys outside the range and the columns of the other kind do not
// count, and a range no older row holds is empty.
func TestSpan(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	load := func(txnIDs []string, refs []string, ledgerRefs []string) {
		t.Helper()
		txns := sampleTransactions(len(txnIDs))
		for i := range txns {
			txns[i].OxpayTxnID, txns[i].MerchantReferenceID, txns[i].OriginalTxnID = txnIDs[i], refs[i], ""
		}
		if _, err := db.UpsertTransactions(ctx, txns); err != nil {
			t.Fatal(err)
		}
		lines := sampleLedger(len(ledgerRefs))
		for i := range lines {
			lines[i].Reference = ledgerRefs[i]
			lines[i].RowHash = ledgerRefs[i] + "-hash"
		}
		if _, err := db.InsertLedgerEntries(ctx, lines); err != nil {
			t.Fatal(err)
		}
	}
	load([]string{"1200", "1500", "9100"}, []string{"ORD-7", "ORD-3", "PL-1"}, []string{"1100", "ORD-9"})
	mark, err := snapshotOf(t, db).Mark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	load([]string{"1000", "1900"}, []string{"ORD-1", "ORD-99"}, []string{"1050", "1950", "ORD-0"})

	s := snapshotOf(t, db)
	for _, c := range []struct {
		refs     bool
		from, to string
		want     store.Span
	}{
		{false, "1", "2", store.Span{Lo: "1100", Hi: "1500"}}, // the ledger's 1100 counts, the later 1000, 1050, 1900, 1950 do not
		{false, "9", ":", store.Span{Lo: "9100", Hi: "9100"}},
		{false, "2", "3", store.Span{Empty: true}},
		{false, "ORD-", "ORD.", store.Span{Lo: "ORD-9", Hi: "ORD-9"}}, // a ledger reference is a transaction id too
		{true, "ORD-", "ORD.", store.Span{Lo: "ORD-3", Hi: "ORD-9"}},  // not the later ORD-0, ORD-1, ORD-99
		{true, "1", "2", store.Span{Lo: "1100", Hi: "1100"}},          // and a reference; the transaction ids are not
		{true, "Q", "R", store.Span{Empty: true}},
	} {
		got, err := s.Span(ctx, mark, c.refs, c.from, c.to)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("Span(refs %t, %q, %q) = %+v, want %+v", c.refs, c.from, c.to, got, c.want)
		}
	}
}

// TestDeferredIndex: a first load into an empty webhook_events builds
// webhook_events_reference after its rows, by the migration's own
// statement, holding every row; a load rolled back leaves it as it was,
// and a later load keeps it throughout.
func TestDeferredIndex(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	indexSQL := func() string {
		t.Helper()
		var sql string
		if err := db.x.GetContext(ctx, &sql, `SELECT COALESCE((SELECT sql FROM sqlite_master WHERE name = 'webhook_events_reference'), '')`); err != nil {
			t.Fatal(err)
		}
		return sql
	}
	want := indexSQL()
	if want == "" {
		t.Fatal("the migrations made no webhook_events_reference")
	}
	hooks := sampleWebhooks(40)
	// load loads rs and returns how many indexes the Load deferred.
	load := func(commit bool, rs []recon.WebhookEvent) int {
		t.Helper()
		l, err := db.beginLoad(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.WebhookEvents(rs); err != nil {
			t.Fatal(err)
		}
		deferred := len(l.deferred)
		if commit {
			if err := l.Commit(); err != nil {
				t.Fatal(err)
			}
		} else {
			l.Rollback()
		}
		return deferred
	}
	if n := load(false, hooks[:20]); n != 1 {
		t.Errorf("a first load deferred %d indexes, want 1", n)
	}
	if got := indexSQL(); got != want {
		t.Errorf("after a first load rolled back the index is %q, want %q", got, want)
	}
	load(true, hooks[:20])
	if got := indexSQL(); got != want {
		t.Errorf("after a first load the index is %q, want %q", got, want)
	}
	if n := load(true, hooks[20:]); n != 0 {
		t.Errorf("a load into a table with rows deferred %d indexes, want none", n)
	}
	var indexed, rows int
	if err := db.x.GetContext(ctx, &indexed, `SELECT count(*) FROM webhook_events INDEXED BY webhook_events_reference
WHERE merchant = ? AND merchant_reference_id <> ''`, store.DefaultMerchant); err != nil {
		t.Fatal(err)
	}
	if err := db.x.GetContext(ctx, &rows, `SELECT count(*) FROM webhook_events NOT INDEXED WHERE merchant_reference_id <> ''`); err != nil {
		t.Fatal(err)
	}
	if indexed != rows || rows == 0 {
		t.Errorf("the index holds %d rows with a reference, the table %d", indexed, rows)
	}
}
