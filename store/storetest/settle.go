package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// testSettlements: what the settlement step reads (a transaction's
// payment brand, a ledger line's description and stated fee) and writes
// (a run's batches, members and all, read back with their deposit's
// reference and date, and gone with the run's other results).
func testSettlements(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	ledger := Ledger(5)
	if _, err := db.UpsertTransactions(ctx, Transactions(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.InsertLedgerEntries(ctx, ledger); err != nil {
		t.Fatal(err)
	}
	stored, err := db.LedgerEntries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range stored {
		if got, want := stored[i].FeeMinor, ledger[i].FeeMinor; (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("ledger entry %d: fee %v, want %v", i+1, got, want)
		}
	}

	s, err := db.ReadSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var brands []string
	var texts []store.EntryTextRow
	err = s.Transactions(ctx, func(rs []store.TxnRow) error {
		for _, r := range rs {
			brands = append(brands, r.Brand)
		}
		return nil
	})
	if err == nil {
		err = s.LedgerTexts(ctx, func(rs []store.EntryTextRow) error { texts = append(texts, rs...); return nil })
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"VISA", "VISA"}, brands); d != "" {
		t.Errorf("transaction brands (-want +got):\n%s", d)
	}
	var want []store.EntryTextRow
	for i, l := range ledger {
		r := store.EntryTextRow{ID: int64(i + 1), Description: l.Description}
		if l.FeeMinor != nil {
			r.FeeMinor, r.HasFee = *l.FeeMinor, true
		}
		want = append(want, r)
	}
	if d := cmp.Diff(want, texts); d != "" {
		t.Errorf("LedgerTexts (-want +got):\n%s", d)
	}

	paid := time.Date(2026, 11, 2, 3, 4, 5, 6000, time.UTC)
	batches := []recon.SettlementBatch{
		{Currency: "IDR", Day: "2026-11-02", PayoutDay: "2026-11-03", Transactions: 2, SalesMinor: 300_000, RefundsMinor: 50_000,
			FeesMinor: 8_700, FeesKnown: true, NetMinor: 241_300, DepositEntryID: 2, DepositMinor: 241_000, DifferenceMinor: -300,
			FeeDiffMinor: 300, Outcome: recon.BatchMismatch, Detail: "short by 300",
			Members: []recon.SettlementMember{
				{OxpayTxnID: "OX00000000", Kind: "sale", Brand: "VISA", AmountMinor: 300_000, FeeMinor: 8_700, PaidAt: paid},
				{OxpayTxnID: "OX\"\\\x01é", Kind: "refund", Brand: "Card \t<b>", AmountMinor: 50_000, PaidAt: paid.Add(time.Hour)},
			}},
		{Currency: "SGD", Day: "2026-11-02", PayoutDay: "2026-11-03", Outcome: recon.BatchMissing, Detail: "no deposit",
			Members: []recon.SettlementMember{}},
	}
	run1, run2 := startRun(t, db), startRun(t, db)
	for _, run := range []int64{run1, run2} {
		l, err := db.BeginLoad(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := l.SettlementBatches(run, batches); err != nil || n != len(batches) {
			t.Fatalf("SettlementBatches: got %d, %v", n, err)
		}
		if err := l.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	wantBack := append([]recon.SettlementBatch(nil), batches...)
	wantBack[0].DepositRef, wantBack[0].DepositBookedOn = ledger[1].Reference, TP(ledger[1].BookedOn)
	got, err := db.SettlementBatches(ctx, run1)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantBack, got); d != "" {
		t.Errorf("settlement batches (-want +got):\n%s", d)
	}
	if err := db.DeleteRunResults(ctx, run1); err != nil {
		t.Fatal(err)
	}
	if got, err := db.SettlementBatches(ctx, run1); err != nil || len(got) != 0 {
		t.Errorf("after DeleteRunResults: %d batches, %v; want none", len(got), err)
	}
	if got, err := db.SettlementBatches(ctx, run2); err != nil || len(got) != 2 {
		t.Errorf("the other run: %d batches, %v; want 2", len(got), err)
	}
}
