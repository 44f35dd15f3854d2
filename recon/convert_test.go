package recon

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/wire"
)

func TestOrderFromWireConvertsRupiah(t *testing.T) {
	jkt := time.FixedZone("WIB", 7*3600)
	created := time.Date(2026, 11, 1, 9, 0, 0, 0, jkt)
	w := wire.Order{UID: "ORD-1", Status: "active", Currency: "IDR", TotalAmount: 150000, CreatedAt: created, UpdatedAt: created}
	got, err := OrderFromWire(w, []byte(`{"uid":"ORD-1"}`), DefaultUnits())
	if err != nil {
		t.Fatal(err)
	}
	want := Order{UID: "ORD-1", Status: "active", Currency: "IDR", AmountMinor: 15000000,
		CreatedAt: created.UTC(), UpdatedAt: created.UTC(), Raw: `{"uid":"ORD-1"}`}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("order (-want +got):\n%s", d)
	}
}

func TestTransactionFromWire(t *testing.T) {
	now := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   wire.Transaction
		want Transaction
	}{
		{
			name: "sale in cents",
			in:   wire.Transaction{OxpayTxnID: "1", MerchantReferenceID: "ORD-1", TransactionState: "success", TransactionAmount: 15000000, TransactionCurrency: "IDR"},
			want: Transaction{OxpayTxnID: "1", Type: "SALE", MerchantReferenceID: "ORD-1", State: "success", AmountMinor: 15000000, Currency: "IDR", FetchedAt: now},
		},
		{
			name: "refund inferred from the original id",
			in:   wire.Transaction{OxpayTxnID: "2", OxpayOriginalTxnID: "1", TransactionState: "refunded", TransactionAmount: 1000, RefundAmount: 400, TransactionCurrency: "SGD"},
			want: Transaction{OxpayTxnID: "2", OriginalTxnID: "1", Type: "REFUND", State: "refunded", AmountMinor: 1000, RefundAmountMinor: 400, Currency: "SGD", FetchedAt: now},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TransactionFromWire(tc.in, nil, now, DefaultUnits())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
	if _, err := TransactionFromWire(wire.Transaction{OxpayTxnID: "3", TransactionCurrency: "XXX"}, nil, now, DefaultUnits()); err == nil {
		t.Fatal("unknown currency must be an error")
	}
}

func TestUnitsRoundTrip(t *testing.T) {
	u := DefaultUnits()
	minor, err := u.ToMinor(SourceXepeng, "IDR", 50000)
	if err != nil || minor != 5000000 {
		t.Fatalf("got %d, %v", minor, err)
	}
	back, err := u.FromMinor(SourceXepeng, "IDR", minor)
	if err != nil || back != 50000 {
		t.Fatalf("got %d, %v", back, err)
	}
	if _, err := u.FromMinor(SourceXepeng, "IDR", 5000050); err == nil {
		t.Fatal("half a rupiah cannot be sent by a source in whole rupiah")
	}
}
