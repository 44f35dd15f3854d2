package storetest

import (
	"fmt"
	"time"

	"github.com/reconkit/reconkit/recon"
)

// Jakarta is UTC+7, a zone other than UTC.
var Jakarta = time.FixedZone("WIB", 7*3600)

// timeStep is what TS cuts times to (see Backend.TimeStep).
var timeStep time.Duration

// TS is a time with a non-UTC zone and nanoseconds, to show that both
// survive storage (cut to the backend's TimeStep while the suite runs).
func TS(day, sec, nsec int) time.Time {
	t := time.Date(2024, 3, day, 9, 30, sec, nsec, Jakarta)
	if timeStep > 0 {
		t = t.Truncate(timeStep)
	}
	return t
}

// TP points at t.
func TP(t time.Time) *time.Time { return &t }

// Orders returns n sample orders, numbered from 0.
func Orders(n int) []recon.Order {
	rs := make([]recon.Order, n)
	for i := range rs {
		uid := fmt.Sprintf("ord_%06d", i)
		rs[i] = recon.Order{
			UID: uid, Status: "paid", Currency: "IDR", AmountMinor: int64(150000+i) * 100,
			CreatedAt: TS(1, i%60, i), UpdatedAt: TS(2, i%60, 0),
			Raw: fmt.Sprintf(`{"uid":"%s","status":"paid","currency":"IDR","total_amount":%d}`, uid, 150000+i),
		}
	}
	return rs
}

// Links returns n sample payment links, every other one paid, numbered from 0.
func Links(n int) []recon.PaymentLink {
	rs := make([]recon.PaymentLink, n)
	for i := range rs {
		uid := fmt.Sprintf("pl_%06d", i)
		rs[i] = recon.PaymentLink{
			UID: uid, OrderUID: fmt.Sprintf("ord_%06d", i), Status: "paid",
			PaymentURL: "https://pay.example/" + uid, Currency: "IDR", AmountMinor: int64(150000+i) * 100,
			ExpiredAt: TP(TS(3, 0, 0)), CreatedAt: TS(1, 0, 0), UpdatedAt: TS(2, 0, 0),
			Raw: fmt.Sprintf(`{"uid":"%s"}`, uid),
		}
		if i%2 == 0 {
			rs[i].PaidAt = TP(TS(2, 5, 123456789))
		}
	}
	return rs
}

// Transactions returns n sample OxPay sales, numbered from 0.
func Transactions(n int) []recon.Transaction {
	rs := make([]recon.Transaction, n)
	for i := range rs {
		id := fmt.Sprintf("OX%08d", i)
		rs[i] = recon.Transaction{
			OxpayTxnID: id, Type: "SALE", MerchantReferenceID: fmt.Sprintf("ord_%06d", i),
			HostTxnID: "H" + id, State: "captured", Brand: "VISA", Currency: "IDR",
			AmountMinor: int64(150000+i) * 100, FetchedAt: TS(4, 0, 0),
			Raw: fmt.Sprintf(`{"oxpay_txn_id":"%s"}`, id),
		}
	}
	return rs
}

// Webhooks returns n sample signed webhook deliveries, one per sale, numbered from 0.
func Webhooks(n int) []recon.WebhookEvent {
	rs := make([]recon.WebhookEvent, n)
	for i := range rs {
		id := fmt.Sprintf("OX%08d", i)
		rs[i] = recon.WebhookEvent{
			ReceivedAt: TS(2, i%60, i), Kind: "payment", OxpayTxnID: id,
			MerchantReferenceID: fmt.Sprintf("ord_%06d", i), HostTxnID: "H" + id, State: "captured",
			Currency: "IDR", AmountMinor: int64(150000+i) * 100, StatusCode: 200, SigCheck: recon.SigRaw,
			DedupKey: "dd" + id, DeliveryKey: fmt.Sprintf("dl%08d", i),
			Raw:        fmt.Sprintf(`{"headers":{},"body":{"oxpay_txn_id":"%s"}}`, id),
			SourceFile: "webhooks.jsonl", SourceLine: i + 1,
		}
	}
	return rs
}

// Ledger returns n sample ledger credits, one per order, numbered from 0.
func Ledger(n int) []recon.LedgerEntry {
	rs := make([]recon.LedgerEntry, n)
	for i := range rs {
		rs[i] = recon.LedgerEntry{
			BookedOn: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), Reference: fmt.Sprintf("ord_%06d", i),
			Description: "card settlement", TxnType: "credit", Currency: "IDR", AmountMinor: int64(150000+i) * 100,
			RowHash: fmt.Sprintf("rh%08d", i), SourceFile: "ledger.xlsx", Sheet: "Sheet1", SourceLine: i + 2,
			Raw: fmt.Sprintf(`["2024-03-02","ord_%06d"]`, i),
		}
		if i%3 == 1 { // some lines state the gateway's fee, the others none
			fee := int64(i) * 7
			rs[i].FeeMinor = &fee
		}
	}
	return rs
}
