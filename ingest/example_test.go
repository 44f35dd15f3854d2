package ingest_test

import (
	"context"
	"fmt"

	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/recon"
)

// A ledger export with one signed amount column, ISO dates and amounts
// written 1,250,000.00 (testdata/ingest/ledger-iso.csv):
//
//	booking_date,ref,memo,amount,ccy,type
//	2024-01-15,LNK-0001,OxPay settlement 10001396,"1,250,000.00",IDR,settlement
func ExampleReadLedger() {
	opts := ingest.LedgerOptions{
		Date: "booking_date", Reference: "ref", Description: "memo", Amount: "amount",
		Currency: "ccy", TxnType: "type",
		DateLayout: "2006-01-02", Decimal: '.', Thousands: ',',
	}
	sink := ingest.SinkFuncs{LedgerFunc: func(rows []recon.LedgerEntry) error {
		for _, e := range rows {
			exp, _ := money.Exponent(e.Currency)
			fmt.Println(e.SourceLine, e.BookedOn.Format("2006-01-02"), e.Reference, e.Currency, money.FormatAmount(e.AmountMinor, exp, money.Dot))
		}
		return nil
	}}
	res, err := ingest.ReadLedger(context.Background(), "../testdata/ingest/ledger-iso.csv", opts, sink)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Rows, "rows,", res.Errors, "errors")
	// Output:
	// 2 2024-01-15 LNK-0001 IDR 1,250,000.00
	// 3 2024-01-16 LNK-0001-R1 IDR -250,000.00
	// 4 2024-01-16 FEE-2024-01 SGD -12.50
	// 5 2024-01-17 LNK-0004 JPY 1,500
	// 4 rows, 0 errors
}

// The sandbox's webhook log, verified with its sign key
// (testdata/ingest/webhooks-sample.jsonl).
func ExampleReadWebhookLog() {
	sink := ingest.SinkFuncs{WebhooksFunc: func(events []recon.WebhookEvent) error {
		for _, e := range events {
			fmt.Println(e.SourceLine, e.Kind, e.OxpayTxnID, e.State, e.SigCheck, e.Trusted())
		}
		return nil
	}}
	opts := ingest.WebhookOptions{SignKey: "sandbox-sign-key"}
	if _, err := ingest.ReadWebhookLog(context.Background(), "../testdata/ingest/webhooks-sample.jsonl", opts, sink); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1 payment 10001396 sale raw true
	// 2 refund 10001400 refunded compact true
	// 3 void 10001397 voided raw true
	// 4 payment 10001396 sale raw true
	// 5 payment 10001398 sale unsigned false
	// 6 payment 10001399 sale invalid false
}
