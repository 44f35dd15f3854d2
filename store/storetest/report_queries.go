package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// loadReportInputs loads n of each sample input row (ids 1..n) and two
// input errors.
func loadReportInputs(t *testing.T, db store.Backend, n int) {
	t.Helper()
	l, err := db.BeginLoad(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	links := Links(n)
	links[1].PaymentURL = "" // a link without a URL
	for _, step := range []func() error{
		func() error { _, err := l.Orders(Orders(n)); return err },
		func() error { _, err := l.PaymentLinks(links); return err },
		func() error { _, err := l.Transactions(Transactions(n)); return err },
		func() error { _, err := l.WebhookEvents(Webhooks(n)); return err },
		func() error { _, err := l.LedgerEntries(Ledger(n)); return err },
		func() error {
			_, err := l.InputErrors([]recon.InputError{
				{Source: "ledger", File: "ledger.csv", Line: 3, Text: "=1+1;x", Reason: "bad date", RecordedAt: TS(5, 0, 0)},
				{Source: "webhooks", File: "w.jsonl", Line: 9, Text: "{", Reason: "bad json", RecordedAt: TS(5, 1, 0)},
			})
			return err
		},
		l.Commit,
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
}

func testReportExceptions(t *testing.T, b Backend) {
	db := b.Open(t, store.DefaultMerchant)
	loadReportInputs(t, db, 12)
	run := startRun(t, db)
	es := []recon.Exception{
		{Category: recon.AmountMismatch, Severity: "critical", OrderUID: "ord_000000", PaymentLinkUID: "pl_000000",
			OxpayTxnID: "OX00000000", Currency: "IDR", ExpectedMinor: 100, ActualMinor: 90, DifferenceMinor: -10,
			Detail: "amount differs", WebhookEventIDs: recon.IDList{3, 4}, LedgerEntryIDs: recon.IDList{11, 2}},
		{Category: recon.LedgerUnmatched, Severity: "high", PaymentLinkUID: "pl_000001", LedgerRef: "=cmd()", Currency: "SGD",
			Detail: "ledger line"},
		{Category: recon.InputErrorCategory, Severity: "medium", Detail: "bad date", InputErrorID: 1},
	}
	writeRun(t, db, run, nil, es)
	got, err := db.ReportExceptions(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	ledger, hooks := Ledger(12), Webhooks(12)
	links, orders := Links(12), Orders(12)
	utc := func(t time.Time) *time.Time { u := t.UTC(); return &u }
	want := []store.ReportException{
		{Exception: es[0], ExceptionFacts: store.ExceptionFacts{PaymentURL: links[0].PaymentURL, OrderCreatedAt: utc(orders[0].CreatedAt),
			LinkPaidAt: utc(*links[0].PaidAt), WebhookReceivedAt: utc(hooks[2].ReceivedAt), LedgerBookedOn: utc(ledger[10].BookedOn),
			LedgerCurrency: ledger[10].Currency, LedgerMinor: ledger[10].AmountMinor}},
		{Exception: es[1]}, // its link has no URL and was never paid
		{Exception: es[2], InputSource: "ledger", InputFile: "ledger.csv", InputLine: 3, InputText: "=1+1;x", InputRecordedAt: utc(TS(5, 0, 0))},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ReportExceptions (-want +got):\n%s", d)
	}
}

// TestReportResultsAgreeWithMatchResults reads the same run both ways:
// ReportResults adds the payment URL and nothing else changes.
func testReportResultsAgreeWithMatchResults(t *testing.T, b Backend) {
	db := b.Open(t, store.DefaultMerchant)
	const n = 2*1000 + 37 // more than one batch (1000 rows)
	loadReportInputs(t, db, n)
	run := startRun(t, db)
	rs := sampleResults(n, "r")
	for i := range rs {
		rs[i].PaymentLinkUID = Links(n)[i].UID
	}
	writeRun(t, db, run, rs, nil)
	want := readResults(t, db, run)
	links := Links(n)
	links[1].PaymentURL = "" // as loadReportInputs loads it
	var got []recon.MatchResult
	batches := 0
	err := db.ReportResults(context.Background(), run, func(b []store.ReportResult) error {
		batches++
		for _, r := range b {
			if r.PaymentURL != links[len(got)].PaymentURL {
				t.Fatalf("row %d: URL %q, want %q", len(got), r.PaymentURL, links[len(got)].PaymentURL)
			}
			m := r.MatchResult
			// The batch's times are reused: keep copies.
			if m.PaidAt != nil {
				m.PaidAt = TP(*m.PaidAt)
			}
			if m.BookedOn != nil {
				m.BookedOn = TP(*m.BookedOn)
			}
			got = append(got, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if batches != 3 {
		t.Errorf("got %d batches, want 3", batches)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ReportResults (-MatchResults +ReportResults):\n%s", d)
	}
	stop := errors.New("stop")
	if err := db.ReportResults(context.Background(), run, func([]store.ReportResult) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("a callback error: got %v, want it back", err)
	}
}

func testReportResultCounts(t *testing.T, b Backend) {
	db := b.Open(t, store.DefaultMerchant)
	run := startRun(t, db)
	rs := sampleResults(20, "c")
	rs[3].Currency = "SGD"
	writeRun(t, db, run, rs, nil)
	got, err := db.ReportResultCounts(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[[2]string]store.ResultCount{}
	for _, r := range rs {
		k := [2]string{r.Kind, r.Currency}
		c := byKey[k]
		c.Kind, c.Currency = r.Kind, r.Currency
		c.Rows++
		if r.Clean {
			c.Clean++
			c.CleanGatewayMinor += r.GatewayMinor
		}
		byKey[k] = c
	}
	// Ordered by kind, then currency.
	wantOrdered := []store.ResultCount{byKey[[2]string{"refund", "IDR"}], byKey[[2]string{"sale", "IDR"}], byKey[[2]string{"sale", "SGD"}]}
	if len(byKey) != 3 {
		t.Fatalf("sample has %d kind and currency pairs, the test expects 3", len(byKey))
	}
	if d := cmp.Diff(wantOrdered, got); d != "" {
		t.Errorf("ReportResultCounts (-want +got):\n%s", d)
	}
}

func testReportSourceTotals(t *testing.T, b Backend) {
	db := b.Open(t, store.DefaultMerchant)
	l, err := db.BeginLoad(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	txns := Transactions(4)
	txns[1].Type, txns[1].RefundAmountMinor = "REFUND", 700
	txns[2].Type = "VOID"
	txns[3].Currency = "SGD"
	hooks := Webhooks(3)
	hooks[1].DedupKey = hooks[0].DedupKey // a redelivery
	hooks[2].SigCheck = recon.SigInvalid
	ledger := Ledger(3)
	ledger[1].AmountMinor = -250
	for _, step := range []func() error{
		func() error { _, err := l.Orders(Orders(2)); return err },
		func() error { _, err := l.PaymentLinks(Links(3)); return err },
		func() error { _, err := l.Transactions(txns); return err },
		func() error { _, err := l.WebhookEvents(hooks); return err },
		func() error { _, err := l.LedgerEntries(ledger); return err },
		l.Commit,
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.ReportSourceTotals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	o, pl := Orders(2), Links(3)
	want := []store.SourceTotal{
		{Source: store.SourceOrders, Currency: "IDR", Rows: 2, AmountMinor: o[0].AmountMinor + o[1].AmountMinor},
		{Source: store.SourcePaymentLinksPaid, Currency: "IDR", Rows: 2, AmountMinor: pl[0].AmountMinor + pl[2].AmountMinor}, // even links are paid
		{Source: store.SourceSales, Currency: "IDR", Rows: 1, AmountMinor: txns[0].AmountMinor},
		{Source: store.SourceSales, Currency: "SGD", Rows: 1, AmountMinor: txns[3].AmountMinor},
		{Source: store.SourceRefunds, Currency: "IDR", Rows: 1, AmountMinor: 700},
		{Source: store.SourceVoids, Currency: "IDR", Rows: 1, AmountMinor: txns[2].AmountMinor},
		{Source: store.SourceWebhooks, Currency: "IDR", Rows: 3, AmountMinor: 0},
		{Source: store.SourceWebhookUnique, Currency: "IDR", Rows: 2, AmountMinor: 0},
		{Source: store.SourceWebhookBadSig, Currency: "IDR", Rows: 1, AmountMinor: 0},
		{Source: store.SourceLedgerCredits, Currency: "IDR", Rows: 2, AmountMinor: ledger[0].AmountMinor + ledger[2].AmountMinor},
		{Source: store.SourceLedgerDebits, Currency: "IDR", Rows: 1, AmountMinor: -250},
		{Source: store.SourceLedger, Currency: "IDR", Rows: 3, AmountMinor: ledger[0].AmountMinor + ledger[2].AmountMinor - 250},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ReportSourceTotals (-want +got):\n%s", d)
	}
}
