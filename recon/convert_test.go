package recon

import (
	"encoding/json"
	"strings"
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
	want := Order{UID: "ORD-1", Status: "active", Currency: "IDR", AmountMinor: 15000000, AmountSource: "total_amount",
		CreatedAt: created.UTC(), UpdatedAt: created.UTC(), Raw: `{"uid":"ORD-1"}`}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("order (-want +got):\n%s", d)
	}
}

// TestOrderFromWireNeverReadsAMissingTotalAsZero decodes orders as an API
// may send them: the total under each name the documents allow, or not
// at all. An order without a readable total keeps no amount and says why.
func TestOrderFromWireNeverReadsAMissingTotalAsZero(t *testing.T) {
	tests := []struct {
		name        string
		json        string
		want        int64
		wantSource  string
		wantProblem string
	}{
		{"total_amount", `{"uid":"O1","currency":"IDR","total_amount":150000}`, 15000000, "total_amount", ""},
		{"amount", `{"uid":"O2","currency":"IDR","amount":150000}`, 15000000, "amount", ""},
		{"items", `{"uid":"O3","currency":"IDR","items":[{"amount":100000},{"amount":50000}]}`, 15000000, "items", ""},
		{"SGD in cents", `{"uid":"O4","currency":"SGD","amount":1250}`, 1250, "amount", ""},
		{"no total", `{"uid":"ORD-00017","currency":"IDR","status":"active"}`, 0, "", "order ORD-00017: no total: total_amount, amount and items[].amount are all missing"},
		{"not an integer", `{"uid":"O5","currency":"IDR","total_amount":"150.000"}`, 0, "", `order O5: total_amount "150.000" is a string, want a whole number`},
		{"items disagree", `{"uid":"O6","currency":"IDR","total_amount":10,"items":[{"amount":9}]}`, 0, "", "order O6: items[].amount add up to 9, but total_amount is 10"},
		{"no currency", `{"uid":"O7","total_amount":10}`, 0, "", `order O7: unknown currency ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w wire.Order
			if err := json.Unmarshal([]byte(tc.json), &w); err != nil {
				t.Fatal(err)
			}
			got, err := OrderFromWire(w, []byte(tc.json), DefaultUnits())
			if err != nil {
				t.Fatal(err)
			}
			if got.AmountMinor != tc.want || got.AmountSource != tc.wantSource || got.AmountProblem != tc.wantProblem ||
				got.AmountKnown() != (tc.wantProblem == "") {
				t.Fatalf("got amount %d from %q, problem %q; want %d from %q, problem %q",
					got.AmountMinor, got.AmountSource, got.AmountProblem, tc.want, tc.wantSource, tc.wantProblem)
			}
			if got.Raw != tc.json {
				t.Fatalf("raw %q, want the order as received", got.Raw)
			}
		})
	}
}

func TestPaymentLinkFromWireMissingAmount(t *testing.T) {
	var w wire.PaymentLink
	if err := json.Unmarshal([]byte(`{"uid":"PL-1","order_uid":"O1","currency":"IDR","status":"paid"}`), &w); err != nil {
		t.Fatal(err)
	}
	got, err := PaymentLinkFromWire(w, nil, DefaultUnits())
	if err != nil {
		t.Fatal(err)
	}
	if got.AmountKnown() || got.AmountProblem != "payment link PL-1: amount is missing" || got.AmountMinor != 0 {
		t.Fatalf("got %+v", got)
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
	for _, body := range []string{
		`{"oxpay_txn_id":"4","transaction_state":"success","transaction_currency":"SGD"}`,
		`{"oxpay_txn_id":"5","oxpay_original_txn_id":"4","transaction_state":"refunded","transaction_currency":"SGD","transaction_amount":100}`,
	} {
		var w wire.Transaction
		if err := json.Unmarshal([]byte(body), &w); err != nil {
			t.Fatal(err)
		}
		if got, err := TransactionFromWire(w, nil, now, DefaultUnits()); err == nil || !strings.Contains(err.Error(), "is missing") {
			t.Errorf("%s: got %+v, %v; want a missing-amount error", body, got, err)
		}
	}
}

// TestTransactionTypeWithoutOne: OxPay's get-by-id states no type, so the
// record's fields say what it is, and a record that cannot be told apart
// is refused rather than guessed at.
func TestTransactionTypeWithoutOne(t *testing.T) {
	now := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ body, want, wantErr string }{
		{`{"oxpay_txn_id":"1","transaction_state":"success","transaction_amount":100,"transaction_currency":"SGD"}`, "SALE", ""},
		{`{"oxpay_txn_id":"2","oxpay_original_txn_id":"1","transaction_state":"refunded","transaction_amount":100,"refund_amount":40,"transaction_currency":"SGD"}`, "REFUND", ""},
		{`{"oxpay_txn_id":"3","oxpay_original_txn_id":"1","transaction_state":"success","transaction_amount":100,"refund_amount":40,"transaction_currency":"SGD"}`, "REFUND", ""},
		{`{"oxpay_txn_id":"4","oxpay_original_txn_id":"1","transaction_state":"voided","transaction_amount":100,"transaction_currency":"SGD"}`, "VOID", ""},
		{`{"oxpay_txn_id":"5","oxpay_original_txn_id":"1","transaction_state":"cancelled","transaction_amount":100,"transaction_currency":"SGD"}`, "VOID", ""},
		{`{"oxpay_txn_id":"6","oxpay_original_txn_id":"1","transaction_type":"VOID","transaction_state":"success","transaction_amount":100,"transaction_currency":"SGD"}`, "VOID", ""},
		{`{"oxpay_txn_id":"7","oxpay_original_txn_id":"1","transaction_state":"success","transaction_amount":100,"transaction_currency":"SGD"}`, "", "cannot tell which it is"},
	} {
		var w wire.Transaction
		if err := json.Unmarshal([]byte(tc.body), &w); err != nil {
			t.Fatal(err)
		}
		got, err := TransactionFromWire(w, nil, now, DefaultUnits())
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: got %+v, %v; want an error containing %q", tc.body, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.Type != tc.want {
			t.Errorf("%s: got type %q, %v; want %q", tc.body, got.Type, err, tc.want)
		}
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
