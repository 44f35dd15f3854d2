package sqlite

import (
	"context"
	"testing"

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
