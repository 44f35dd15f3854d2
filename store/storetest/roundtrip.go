package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// rawJSON is kept byte for byte: odd spacing, key order, escapes, a
// multi-byte character, a trailing newline.
const rawJSON = "{ \"uid\" :\"x\",\n\t\"b\":1.50, \"a\":\"Jl. Sudirman \\u00e9 \u00e9\", \"z\":null}\n"

// assertUTC fails for any time not in UTC: cmp.Diff compares times with
// Equal, which ignores the zone, so the zone is checked on its own.
func assertUTC(t *testing.T, what string, ts ...*time.Time) {
	t.Helper()
	for i, v := range ts {
		if v != nil && v.Location() != time.UTC {
			t.Errorf("%s time %d: got zone %v, want UTC", what, i, v.Location())
		}
	}
}

func testRoundTripOrders(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	in := Orders(3)
	in[1].Raw = rawJSON
	in[2].CreatedAt = time.Time{} // the zero time survives too
	if _, err := db.UpsertOrders(ctx, in); err != nil {
		t.Fatalf("UpsertOrders: %v", err)
	}
	got, err := db.Orders(ctx)
	if err != nil {
		t.Fatalf("Orders: %v", err)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("orders (-want +got):\n%s", diff)
	}
	for _, o := range got {
		assertUTC(t, o.UID, &o.CreatedAt, &o.UpdatedAt)
	}
	if len(got) > 1 && got[1].Raw != rawJSON {
		t.Errorf("raw: got %q, want %q", got[1].Raw, rawJSON)
	}
}

func testRoundTripPaymentLinks(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	in := Links(4) // even rows paid, odd rows not: PaidAt nil and non-nil
	in[1].ExpiredAt = nil
	in[3].Raw = rawJSON
	if _, err := db.UpsertPaymentLinks(ctx, in); err != nil {
		t.Fatalf("UpsertPaymentLinks: %v", err)
	}
	got, err := db.PaymentLinks(ctx)
	if err != nil {
		t.Fatalf("PaymentLinks: %v", err)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("payment links (-want +got):\n%s", diff)
	}
	for i, l := range got {
		if (l.PaidAt == nil) != (in[i].PaidAt == nil) || (l.ExpiredAt == nil) != (in[i].ExpiredAt == nil) {
			t.Errorf("link %s: nil times: got paid %v expired %v, want paid %v expired %v",
				l.UID, l.PaidAt == nil, l.ExpiredAt == nil, in[i].PaidAt == nil, in[i].ExpiredAt == nil)
		}
		assertUTC(t, l.UID, l.ExpiredAt, l.PaidAt, &l.CreatedAt, &l.UpdatedAt)
	}
}

func testRoundTripTransactions(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	in := Transactions(3)
	in[2].Type, in[2].OriginalTxnID, in[2].RefundAmountMinor = "REFUND", in[0].OxpayTxnID, 5000
	in[1].Raw = rawJSON
	if _, err := db.UpsertTransactions(ctx, in); err != nil {
		t.Fatalf("UpsertTransactions: %v", err)
	}
	got, err := db.Transactions(ctx)
	if err != nil {
		t.Fatalf("Transactions: %v", err)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("transactions (-want +got):\n%s", diff)
	}
	for _, x := range got {
		assertUTC(t, x.OxpayTxnID, &x.FetchedAt)
	}
}

func testRoundTripWebhookEvents(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	in := Webhooks(3)
	in[1].Raw = rawJSON
	in[2].Kind, in[2].OriginalTxnID, in[2].SigCheck = "refund", in[0].OxpayTxnID, recon.SigInvalid
	in[0].ID = 999 // ignored: the database assigns ids
	n, err := db.InsertWebhookEvents(ctx, in)
	if err != nil {
		t.Fatalf("InsertWebhookEvents: %v", err)
	}
	if n != len(in) {
		t.Errorf("inserted: got %d, want %d", n, len(in))
	}
	got, err := db.WebhookEvents(ctx)
	if err != nil {
		t.Fatalf("WebhookEvents: %v", err)
	}
	for i := range in {
		in[i].ID = int64(i + 1)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("webhook events (-want +got):\n%s", diff)
	}
	for _, e := range got {
		assertUTC(t, e.DeliveryKey, &e.ReceivedAt)
	}
}

func testRoundTripLedgerEntries(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	in := Ledger(3)
	in[1].Raw = rawJSON
	in[2].AmountMinor = -12345 // debits are negative
	// A date given at midnight in Jakarta is the same calendar date.
	in[2].BookedOn = time.Date(2024, 3, 5, 0, 0, 0, 0, Jakarta)
	if _, err := db.InsertLedgerEntries(ctx, in); err != nil {
		t.Fatalf("InsertLedgerEntries: %v", err)
	}
	got, err := db.LedgerEntries(ctx)
	if err != nil {
		t.Fatalf("LedgerEntries: %v", err)
	}
	want := append([]recon.LedgerEntry(nil), in...)
	for i := range want {
		want[i].ID = int64(i + 1)
	}
	want[2].BookedOn = time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ledger entries (-want +got):\n%s", diff)
	}
	for _, e := range got {
		assertUTC(t, e.RowHash, &e.BookedOn)
	}
	var bookedOn string
	getRaw(t, db, &bookedOn, `SELECT CAST(booked_on AS TEXT) FROM ledger_entries WHERE id = 3`)
	if bookedOn != "2024-03-05" {
		t.Errorf("stored booked_on: got %q, want %q", bookedOn, "2024-03-05")
	}
}

func testRoundTripInputErrors(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	in := []recon.InputError{
		{Source: "webhooks", File: "w.jsonl", Line: 7, Text: "{not json", Reason: "invalid JSON", RecordedAt: TS(2, 1, 0)},
		{Source: "ledger", File: "l.csv", Line: 3, Text: "a,b", Reason: "amount: not a number", RecordedAt: TS(2, 2, 0)},
	}
	n, err := db.InsertInputErrors(ctx, in)
	if err != nil {
		t.Fatalf("InsertInputErrors: %v", err)
	}
	if n != 2 {
		t.Errorf("inserted: got %d, want 2", n)
	}
	got, err := db.InputErrors(ctx)
	if err != nil {
		t.Fatalf("InputErrors: %v", err)
	}
	for i := range in {
		in[i].ID = int64(i + 1)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("input errors (-want +got):\n%s", diff)
	}
}
