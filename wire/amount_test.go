package wire

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOrderTotal reads an order's total from each name the public
// documents allow, and refuses every total it cannot be sure of.
func TestOrderTotal(t *testing.T) {
	tests := []struct {
		name     string
		json     string
		want     int64
		wantFrom string
		wantErr  string
	}{
		{"total_amount", `{"uid":"A","total_amount":150000}`, 150000, TotalFromTotalAmount, ""},
		{"amount, as the Postman body", `{"uid":"A","amount":100000,"currency":"IDR"}`, 100000, TotalFromAmount, ""},
		{"items only, as the Node package", `{"uid":"A","items":[{"amount":50000,"product_name":"Kemeja"},{"amount":25000,"product_name":"Topi"}]}`, 75000, TotalFromItems, ""},
		{"total_amount and agreeing items", `{"uid":"A","total_amount":75000,"items":[{"amount":50000},{"amount":25000}]}`, 75000, TotalFromTotalAmount, ""},
		{"total_amount and agreeing amount", `{"uid":"A","total_amount":9,"amount":9}`, 9, TotalFromTotalAmount, ""},
		{"total_amount 0 is a value", `{"uid":"A","total_amount":0}`, 0, TotalFromTotalAmount, ""},
		{"null total_amount falls through to amount", `{"uid":"A","total_amount":null,"amount":7}`, 7, TotalFromAmount, ""},
		{"no total at all", `{"uid":"A","status":"active"}`, 0, "", "no total: total_amount, amount and items[].amount are all missing"},
		{"empty items and no total", `{"uid":"A","items":[]}`, 0, "", "no total"},
		{"item without its amount", `{"uid":"A","items":[{"amount":5},{"product_name":"x"}]}`, 0, "", "no total_amount or amount, and items[1].amount is missing"},
		{"items disagree with the total", `{"uid":"A","total_amount":80000,"items":[{"amount":50000},{"amount":25000}]}`, 0, "", "items[].amount add up to 75000, but total_amount is 80000"},
		{"two totals disagree", `{"uid":"A","total_amount":5,"amount":6}`, 0, "", "total_amount 5 and amount 6 disagree"},
		{"decimal total", `{"uid":"A","total_amount":150000.5}`, 0, "", "total_amount 150000.5 is not a whole number"},
		{"total as a string", `{"uid":"A","total_amount":"150000"}`, 0, "", `total_amount "150000" is a string`},
		{"negative total", `{"uid":"A","amount":-5}`, 0, "", "amount -5 is negative"},
		{"total beyond int64", `{"uid":"A","total_amount":99999999999999999999}`, 0, "", "is beyond the int64 range"},
		{"items add up past int64", `{"uid":"A","items":[{"amount":9223372036854775807},{"amount":1}]}`, 0, "", "more than int64 holds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o Order
			if err := json.Unmarshal([]byte(tc.json), &o); err != nil {
				t.Fatalf("decode: %v (a bad amount must not fail the decode)", err)
			}
			got, from, err := o.Total()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %d from %q, err %v; want an error containing %q", got, from, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want || from != tc.wantFrom {
				t.Fatalf("got %d from %q, err %v; want %d from %q", got, from, err, tc.want, tc.wantFrom)
			}
		})
	}
}

// TestOrderDecodeKeepsTheRest: the decoder that keeps the money fields
// as received fills every other field as encoding/json would, and an
// order built in code is taken as it is.
func TestOrderDecodeKeepsTheRest(t *testing.T) {
	var o Order
	in := `{"uid":"ORD-1","status":"active","currency":"IDR","total_amount":5,"items":[{"amount":5,"product_name":"Kemeja","notes":"n"}],"created_at":"2026-11-01T09:00:00+07:00","updated_at":"2026-11-01T09:00:00+07:00"}`
	if err := json.Unmarshal([]byte(in), &o); err != nil {
		t.Fatal(err)
	}
	if o.UID != "ORD-1" || o.Status != "active" || o.Currency != "IDR" || o.TotalAmount != 5 || o.CreatedAt.IsZero() ||
		len(o.Items) != 1 || o.Items[0].Amount != 5 || o.Items[0].ProductName != "Kemeja" || o.Items[0].Notes != "n" {
		t.Fatalf("decoded %+v", o)
	}
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "Received") {
		t.Fatalf("Received must stay off the wire: %s", out)
	}
	built := Order{UID: "B", TotalAmount: 42}
	if v, from, err := built.Total(); err != nil || v != 42 || from != TotalFromTotalAmount {
		t.Fatalf("built in code: got %d %q %v", v, from, err)
	}
}

// TestTransactionAmounts: a transaction's amount is required, and a
// refund's refund_amount too; a sale may leave refund_amount out.
func TestTransactionAmounts(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		refund  bool
		amt, rf int64
		wantErr string
	}{
		{"sale", `{"oxpay_txn_id":"1","transaction_amount":500}`, false, 500, 0, ""},
		{"refund", `{"oxpay_txn_id":"2","transaction_amount":500,"refund_amount":200}`, true, 500, 200, ""},
		{"sale without amount", `{"oxpay_txn_id":"1"}`, false, 0, 0, "transaction_amount is missing"},
		{"sale with null amount", `{"oxpay_txn_id":"1","transaction_amount":null}`, false, 0, 0, "transaction_amount is missing"},
		{"refund without refund_amount", `{"oxpay_txn_id":"2","transaction_amount":500}`, true, 0, 0, "refund_amount is missing"},
		{"sale with a malformed refund_amount", `{"oxpay_txn_id":"1","transaction_amount":500,"refund_amount":"x"}`, false, 0, 0, "refund_amount \"x\" is a string"},
		{"decimal amount", `{"oxpay_txn_id":"1","transaction_amount":5.00}`, false, 0, 0, "is not a whole number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var x Transaction
			if err := json.Unmarshal([]byte(tc.json), &x); err != nil {
				t.Fatalf("decode: %v", err)
			}
			amt, rf, err := x.ReadAmounts(tc.refund)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %d, %d, %v; want an error containing %q", amt, rf, err, tc.wantErr)
				}
				return
			}
			if err != nil || amt != tc.amt || rf != tc.rf {
				t.Fatalf("got %d, %d, %v; want %d, %d", amt, rf, err, tc.amt, tc.rf)
			}
		})
	}
}

func TestLinkAmount(t *testing.T) {
	for _, tc := range []struct{ json, wantErr string }{
		{`{"uid":"L","amount":5}`, ""},
		{`{"uid":"L"}`, "amount is missing"},
		{`{"uid":"L","amount":1e3}`, "is not a whole number"},
	} {
		var l PaymentLink
		if err := json.Unmarshal([]byte(tc.json), &l); err != nil {
			t.Fatal(err)
		}
		v, err := l.ReadAmount()
		if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: got %d, %v; want error %q", tc.json, v, err, tc.wantErr)
		}
	}
}

// FuzzOrderTotal: no input makes the decoder or Total panic, and a total
// read is never negative.
func FuzzOrderTotal(f *testing.F) {
	f.Add(`{"uid":"A","total_amount":1,"items":[{"amount":1}]}`)
	f.Add(`{"uid":"A","amount":"1"}`)
	f.Add(`{"items":[{"amount":null},{}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		var o Order
		if json.Unmarshal([]byte(s), &o) != nil {
			return
		}
		if v, from, err := o.Total(); err == nil && (v < 0 || from == "") {
			t.Fatalf("total %d from %q", v, from)
		}
	})
}
