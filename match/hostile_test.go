package match

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// hostileKey is the merchant's OxPay sign key in these tests; forgers
// sign with anything else, or not at all.
const hostileKey = "merchant-sign-key"

// oxpayPayload is a notification as OxPay posts it. orig and refund make
// it a refund notification.
func oxpayPayload(txn, orig, ref, state string, amount, refund int64) []byte {
	body := map[string]any{"oxpay_txn_id": txn, "merchant_reference_id": ref, "transaction_state": state,
		"transaction_currency": "IDR", "transaction_amount": amount}
	if orig != "" {
		body["oxpay_original_txn_id"], body["refund_amount"] = orig, refund
	}
	b, err := json.Marshal(map[string]any{"headers": map[string]any{"status_code": 0}, "body": body})
	if err != nil {
		panic(err)
	}
	return b
}

// delivery is one line of the receiver's log: the payload signed with
// key ("" sends no Signature header).
func delivery(received time.Time, key string, payload []byte) string {
	headers := map[string]string{}
	if key != "" {
		headers["Signature"] = sign.OxPay(key, payload)
	}
	h, _ := json.Marshal(headers)
	return `{"received_at":"` + received.UTC().Format(time.RFC3339) + `","headers":` + string(h) + `,"body":` + string(payload) + `}`
}

// TestHostileWebhooksNeverChangeState feeds the store deliveries that
// lie: forged or unsigned ones, an old delivery replayed days later, a
// signed one with another amount, one saying refunded for a sale the
// gateway API has as paid. They go through the real reader (which checks
// the signatures) into the store, and a match runs over it. The gateway
// API's transactions stay exactly as they were, every result keeps the
// API's state and amount, and each lie is the exception the rules give
// it (match/doc.go).
func TestHostileWebhooksNeverChangeState(t *testing.T) {
	ctx := context.Background()
	var f fixture
	for n := 1; n <= 5; n++ {
		f.paidOrder(n)
	}
	f.order("ORD-6", "IDR", total)
	f.link("PL-6", "ORD-6", wire.LinkPending, "IDR", total, nil)
	f.sale("10000001", "ORD-1", wire.StateSuccess, "IDR", total)
	f.sale("10000002", "ORD-2", wire.StateVoided, "IDR", total)
	f.sale("10000003", "ORD-3", wire.StateSuccess, "IDR", total)
	f.sale("10000004", "ORD-4", wire.StateSuccess, "IDR", total)
	f.sale("10000005", "ORD-5", wire.StateSuccess, "IDR", total)
	for _, id := range []string{"10000001", "10000003", "10000004", "10000005"} {
		f.line(id, "IDR", total, 3)
	}
	db, _ := storeOf(t, f.in)
	before, err := db.Transactions(ctx)
	if err != nil {
		t.Fatal(err)
	}

	successOf := func(txn, ref string) []byte { return oxpayPayload(txn, "", ref, wire.StateSuccess, total, 0) }
	oldSale := delivery(at(2, 10, 5), hostileKey, successOf("10000002", "ORD-2"))
	log := []string{
		// ORD-1: the real notification, then a forged void and an
		// unsigned refund claim.
		delivery(at(2, 10, 0), hostileKey, successOf("10000001", "ORD-1")),
		delivery(at(2, 12, 0), "forged-key", oxpayPayload("10000001", "", "ORD-1", wire.StateVoided, total, 0)),
		delivery(at(2, 12, 30), "", oxpayPayload("10000001", "", "ORD-1", wire.StateRefunded, total, 0)),
		// ORD-2: paid, then voided; the old payment delivery is replayed
		// four days later, signature and all, and once more byte for byte.
		oldSale,
		delivery(at(2, 11, 0), hostileKey, oxpayPayload("10000002", "", "ORD-2", wire.StateVoided, total, 0)),
		delivery(at(6, 9, 0), hostileKey, successOf("10000002", "ORD-2")),
		oldSale,
		// ORD-3: a signed notification of another amount than the API's.
		delivery(at(2, 10, 10), hostileKey, oxpayPayload("10000003", "", "ORD-3", wire.StateSuccess, total+100, 0)),
		// ORD-4: a signed notification calling the paid sale refunded.
		delivery(at(2, 10, 15), hostileKey, successOf("10000004", "ORD-4")),
		delivery(at(2, 14, 0), hostileKey, oxpayPayload("10000004", "", "ORD-4", wire.StateRefunded, total, 0)),
		// ORD-5: the real notification, and a forged full refund of it
		// under a new id the API does not know.
		delivery(at(2, 10, 20), hostileKey, successOf("10000005", "ORD-5")),
		delivery(at(3, 8, 0), "forged-key", oxpayPayload("90000005", "10000005", "ORD-5", wire.StateRefunded, total, total)),
		// ORD-6 was never paid: a forged payment for it under a new id.
		delivery(at(2, 10, 25), "forged-key", successOf("90000006", "ORD-6")),
	}
	path := filepath.Join(t.TempDir(), "webhooks.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(log, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer load.Rollback()
	sink := ingest.SinkFuncs{
		WebhooksFunc:    func(b []recon.WebhookEvent) error { _, err := load.WebhookEvents(b); return err },
		InputErrorsFunc: func(b []recon.InputError) error { _, err := load.InputErrors(b); return err },
	}
	res, err := ingest.ReadWebhookLog(ctx, path, ingest.WebhookOptions{SignKey: hostileKey}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := load.Commit(); err != nil {
		t.Fatal(err)
	}
	if res.Rows != len(log) || res.Errors != 0 {
		t.Fatalf("read %d deliveries and %d input errors, want %d and none", res.Rows, res.Errors, len(log))
	}
	// The byte-for-byte replay is the same delivery: stored once.
	if n, err := db.Count(ctx, "webhook_events"); err != nil || n != int64(len(log)-1) {
		t.Fatalf("stored %d deliveries (%v), want %d", n, err, len(log)-1)
	}

	out := runStore(t, db, optsWith(nil))

	after, err := db.Transactions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, after); d != "" {
		t.Errorf("gateway transactions changed (-before +after):\n%s", d)
	}
	api := map[string]recon.Transaction{}
	for _, x := range before {
		api[x.OxpayTxnID] = x
	}
	for _, r := range out.Results {
		x, ok := api[r.OxpayTxnID]
		if !ok {
			t.Errorf("result for %s, which the gateway API does not have: %+v", r.OxpayTxnID, r)
			continue
		}
		if r.State != x.State || r.Source != SourceAPI || r.GatewayMinor != x.AmountMinor {
			t.Errorf("result %s: got state %s, source %s, amount %d; want the API's %s, api, %d",
				r.OxpayTxnID, r.State, r.Source, r.GatewayMinor, x.State, x.AmountMinor)
		}
	}
	if len(out.Results) != len(before) {
		t.Errorf("got %d results, want one per API transaction (%d)", len(out.Results), len(before))
	}

	want := []row{
		// Forged and unsigned deliveries: content ignored, one finding per id.
		onTxn(recon.WebhookBadSignature, "10000001"),
		{Cat: recon.WebhookBadSignature, Order: "ORD-5", Link: "PL-5", Txn: "90000005", Ref: "ORD-5"},
		{Cat: recon.WebhookBadSignature, Order: "ORD-6", Link: "PL-6", Txn: "90000006", Ref: "ORD-6"},
		// Signed but disagreeing with the API: reported, not believed.
		{Cat: recon.WebhookAmountMismatch, Order: "ORD-3", Link: "PL-3", Txn: "10000003", Ref: "ORD-3"},
		{Cat: recon.WebhookStateMismatch, Order: "ORD-4", Link: "PL-4", Txn: "10000004", Ref: "ORD-4"},
		// The replay of ORD-2's old payment, days after the void, counts at
		// its first receipt, so the void stays the latest word; it is
		// reported as a replay.
		{Cat: recon.WebhookReplayed, Order: "ORD-2", Link: "PL-2", Txn: "10000002", Ref: "ORD-2"},
	}
	sortRows := cmpopts.SortSlices(func(a, b row) bool {
		return string(a.Cat)+a.Txn < string(b.Cat)+b.Txn
	})
	if d := cmp.Diff(want, rowsOf(out.Exceptions), sortRows); d != "" {
		t.Errorf("exceptions (-want +got):\n%s\n%s", d, details(out.Exceptions))
	}
	for _, x := range out.Exceptions {
		switch x.Category {
		case recon.WebhookBadSignature:
			if x.Severity != recon.SeverityHigh || !strings.Contains(x.Detail, "failed the signature check") {
				t.Errorf("%s %s: severity %s, detail %q", x.Category, x.OxpayTxnID, x.Severity, x.Detail)
			}
		case recon.WebhookAmountMismatch:
			if x.ExpectedMinor != total || x.ActualMinor != total+100 {
				t.Errorf("amount mismatch: expected/actual %d/%d, want the API's %d and the webhook's %d", x.ExpectedMinor, x.ActualMinor, total, total+100)
			}
		case recon.WebhookStateMismatch:
			if !strings.Contains(x.Detail, "says refunded, the gateway API says success") {
				t.Errorf("state mismatch detail %q", x.Detail)
			}
		}
	}
}

// TestReplayDoesNotReviveAStandIn: with no API record (the gateway was
// not asked), signed deliveries stand in for the transaction. A payment
// notification replayed days after the void, signature and all, must not
// bring the voided sale back to paid.
func TestReplayDoesNotReviveAStandIn(t *testing.T) {
	ctx := context.Background()
	var f fixture
	f.paidOrder(2)
	db, _ := storeOf(t, f.in)
	sale := oxpayPayload("10000002", "", "ORD-2", wire.StateSuccess, total, 0)
	log := []string{
		delivery(at(2, 10, 5), hostileKey, sale),
		delivery(at(2, 11, 0), hostileKey, oxpayPayload("10000002", "", "ORD-2", wire.StateVoided, total, 0)),
		delivery(at(6, 9, 0), hostileKey, sale),
		delivery(at(9, 9, 0), hostileKey, sale),
	}
	path := filepath.Join(t.TempDir(), "webhooks.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(log, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer load.Rollback()
	sink := ingest.SinkFuncs{WebhooksFunc: func(b []recon.WebhookEvent) error { _, err := load.WebhookEvents(b); return err }}
	if _, err := ingest.ReadWebhookLog(ctx, path, ingest.WebhookOptions{SignKey: hostileKey}, sink); err != nil {
		t.Fatal(err)
	}
	if err := load.Commit(); err != nil {
		t.Fatal(err)
	}
	out := runStore(t, db, optsWith(nil))
	// The two late copies are one replay finding naming the first
	// delivery and both copies; nothing else is reported.
	if len(out.Exceptions) != 1 || out.Exceptions[0].Category != recon.WebhookReplayed ||
		len(out.Exceptions[0].WebhookEventIDs) != 3 || out.Exceptions[0].DifferenceMinor != 0 {
		t.Errorf("got exceptions:\n%s\nwant one WEBHOOK_REPLAYED naming 3 deliveries, nothing at stake", details(out.Exceptions))
	}
	if len(out.Results) != 1 || out.Results[0].State != wire.StateVoided || out.Results[0].Source != SourceWebhook {
		t.Fatalf("got results %+v, want the sale as its void left it, from the webhook", out.Results)
	}
	if n, err := db.Count(ctx, "transactions"); err != nil || n != 0 {
		t.Errorf("transactions: got %d (%v), want none: a stand-in is never stored as an API record", n, err)
	}
}
