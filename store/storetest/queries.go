package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

func testTransactionIDsWithoutAPIRecord(t *testing.T, b Backend) {
	ctx := context.Background()
	ev := func(key, id, orig string) recon.WebhookEvent {
		return recon.WebhookEvent{DeliveryKey: key, OxpayTxnID: id, OriginalTxnID: orig, Kind: "payment", ReceivedAt: TS(1, 0, 0)}
	}
	tests := []struct {
		name   string
		events []recon.WebhookEvent
		known  []string // transactions the API returned
		want   []string
	}{
		{name: "empty", want: nil},
		{
			name:   "all known",
			events: []recon.WebhookEvent{ev("d1", "A", "")},
			known:  []string{"A"},
			want:   nil,
		},
		{
			name: "mixed",
			events: []recon.WebhookEvent{
				ev("d1", "A", ""),   // known
				ev("d2", "B", ""),   // unknown
				ev("d3", "B", ""),   // redelivery: listed once
				ev("d4", "R1", "A"), // refund of a known sale, refund unknown
				ev("d5", "R2", "C"), // refund whose sale is unknown too
				ev("d6", "", ""),    // no id at all: nothing to ask
				ev("d7", "K", "A"),  // both known
			},
			known: []string{"A", "K", "Z"},
			want:  []string{"B", "C", "R1", "R2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := b.Open(t, store.DefaultMerchant)
			if _, err := db.InsertWebhookEvents(ctx, tc.events); err != nil {
				t.Fatalf("InsertWebhookEvents: %v", err)
			}
			var txns []recon.Transaction
			for _, id := range tc.known {
				txns = append(txns, recon.Transaction{OxpayTxnID: id, Type: "SALE"})
			}
			if _, err := db.UpsertTransactions(ctx, txns); err != nil {
				t.Fatalf("UpsertTransactions: %v", err)
			}
			got, err := db.TransactionIDsWithoutAPIRecord(ctx)
			if err != nil {
				t.Fatalf("TransactionIDsWithoutAPIRecord: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func testCandidateIDsFromLedger(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	if _, err := db.UpsertOrders(ctx, []recon.Order{{UID: "ORD-1", Status: "active", Currency: "IDR", CreatedAt: TS(1, 0, 0), UpdatedAt: TS(1, 0, 0)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertPaymentLinks(ctx, []recon.PaymentLink{{UID: "PL-1", OrderUID: "ORD-1", Status: "paid", Currency: "IDR", CreatedAt: TS(1, 0, 0), UpdatedAt: TS(1, 0, 0)}}); err != nil {
		t.Fatal(err)
	}
	ledger := []recon.LedgerEntry{
		{RowHash: "h1", Reference: "ORD-1", Currency: "IDR", BookedOn: TS(1, 0, 0)}, // an order: not a transaction id
		{RowHash: "h2", Reference: "PL-1", Currency: "IDR", BookedOn: TS(1, 0, 0)},  // a link: not one either
		{RowHash: "h3", Reference: "10000007", Currency: "IDR", BookedOn: TS(1, 0, 0)},
		{RowHash: "h4", Reference: "10000008", Currency: "IDR", BookedOn: TS(1, 0, 0)},
	}
	if _, err := db.InsertLedgerEntries(ctx, ledger); err != nil {
		t.Fatal(err)
	}
	if _, err := db.InsertWebhookEvents(ctx, []recon.WebhookEvent{{DeliveryKey: "d1", OxpayTxnID: "10000009", Kind: "payment", ReceivedAt: TS(1, 0, 0)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertTransactions(ctx, []recon.Transaction{{OxpayTxnID: "10000008", Currency: "IDR", FetchedAt: TS(1, 0, 0)}, {OxpayTxnID: "10000001", Currency: "IDR", FetchedAt: TS(1, 0, 0)}}); err != nil {
		t.Fatal(err)
	}
	unconfirmed, err := db.TransactionIDsWithoutAPIRecord(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10000007", "10000009"}, unconfirmed); diff != "" {
		t.Errorf("unconfirmed ids (-want +got):\n%s", diff)
	}
	known, err := db.KnownTransactionIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10000001", "10000007", "10000008", "10000009"}, known); diff != "" {
		t.Errorf("known ids (-want +got):\n%s", diff)
	}
}

func testRuns(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)

	if _, ok, err := db.LastRun(ctx, "ingest", ""); err != nil || ok {
		t.Fatalf("LastRun on empty db: got ok=%v err=%v, want false, nil", ok, err)
	}
	start := time.Date(2024, 3, 1, 8, 0, 0, 0, Jakarta)
	id1, err := db.StartRun(ctx, recon.Run{Command: "ingest", BusinessDate: "2024-03-01", StartedAt: start, Version: "v1"})
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	id2, err := db.StartRun(ctx, recon.Run{Command: "ingest", BusinessDate: "2024-03-02", StartedAt: start.Add(time.Hour), Version: "v1"})
	if err != nil {
		t.Fatalf("StartRun 2: %v", err)
	}
	if err := db.FinishRun(ctx, id1, recon.RunOK, "", `{"orders":3}`, `[{"path":"a"}]`); err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	if err := db.FinishRun(ctx, id2, recon.RunFailed, "fetch orders: timeout", `{}`, `[]`); err != nil {
		t.Fatalf("FinishRun 2: %v", err)
	}
	if err := db.FinishRun(ctx, 999, recon.RunOK, "", "", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FinishRun of unknown id: got %v, want store.ErrNotFound", err)
	}

	got, err := db.GetRun(ctx, id1)
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	if got.EndedAt == nil || got.EndedAt.Location() != time.UTC || got.StartedAt.Location() != time.UTC {
		t.Errorf("run times: got started %v ended %v, want both set and UTC", got.StartedAt, got.EndedAt)
	}
	want := recon.Run{ID: id1, Command: "ingest", BusinessDate: "2024-03-01", StartedAt: start, EndedAt: got.EndedAt,
		Status: recon.RunOK, Counts: `{"orders":3}`, Inputs: `[{"path":"a"}]`, Version: "v1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetRun (-want +got):\n%s", diff)
	}
	if _, err := db.GetRun(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRun of unknown id: got %v, want store.ErrNotFound", err)
	}

	tests := []struct {
		command, status string
		wantID          int64
		wantOK          bool
	}{
		{"ingest", recon.RunOK, id1, true},
		{"ingest", recon.RunFailed, id2, true},
		{"ingest", "", id2, true},
		{"ingest", recon.RunRunning, 0, false},
		{"report", "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.command+"/"+tc.status, func(t *testing.T) {
			r, ok, err := db.LastRun(ctx, tc.command, tc.status)
			if err != nil {
				t.Fatalf("LastRun: %v", err)
			}
			if ok != tc.wantOK || r.ID != tc.wantID {
				t.Errorf("LastRun(%q, %q): got id %d ok %v, want id %d ok %v", tc.command, tc.status, r.ID, ok, tc.wantID, tc.wantOK)
			}
		})
	}

	rs, err := db.Runs(ctx, 0)
	if err != nil {
		t.Fatalf("Runs: %v", err)
	}
	if len(rs) != 2 || rs[0].ID != id2 {
		t.Errorf("Runs: got %d runs starting with %d, want 2 starting with %d", len(rs), rs[0].ID, id2)
	}
}

func testInputFiles(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	runID, err := db.StartRun(ctx, recon.Run{Command: "ingest"})
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}

	// A file recorded in a rolled-back load is not seen.
	l, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatalf("BeginLoad: %v", err)
	}
	if err := l.RecordInputFile(store.InputFile{Kind: "ledger", Path: "l.csv", SHA256: "aa"}); err != nil {
		t.Fatalf("RecordInputFile: %v", err)
	}
	l.Rollback()
	if seen, err := db.InputFileSeen(ctx, "ledger", "aa"); err != nil || seen {
		t.Errorf("InputFileSeen after rollback: got %v, %v; want false, nil", seen, err)
	}

	l, err = db.BeginLoad(ctx)
	if err != nil {
		t.Fatalf("BeginLoad: %v", err)
	}
	l.SetRunID(runID)
	at := TS(5, 0, 0)
	if err := l.RecordInputFile(store.InputFile{Kind: "ledger", Path: "l.csv", SHA256: "aa", Rows: 10, Errors: 1, IngestedAt: at}); err != nil {
		t.Fatalf("RecordInputFile: %v", err)
	}
	if _, err := l.InputErrors([]recon.InputError{{Source: "ledger", File: "l.csv", Line: 3, Reason: "bad"}}); err != nil {
		t.Fatalf("InputErrors: %v", err)
	}
	if err := l.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := db.RecordInputFile(ctx, store.InputFile{Kind: "webhooks", Path: "w.jsonl", SHA256: "aa", Rows: 2, IngestedAt: at}); err != nil {
		t.Fatalf("RecordInputFile: %v", err)
	}
	// The same content again keeps the first record.
	if err := db.RecordInputFile(ctx, store.InputFile{Kind: "ledger", Path: "copy.csv", SHA256: "aa", Rows: 99}); err != nil {
		t.Fatalf("RecordInputFile again: %v", err)
	}

	for _, tc := range []struct {
		kind, sha string
		want      bool
	}{{"ledger", "aa", true}, {"webhooks", "aa", true}, {"ledger", "bb", false}, {"xepeng", "aa", false}} {
		seen, err := db.InputFileSeen(ctx, tc.kind, tc.sha)
		if err != nil {
			t.Fatalf("InputFileSeen: %v", err)
		}
		if seen != tc.want {
			t.Errorf("InputFileSeen(%q, %q): got %v, want %v", tc.kind, tc.sha, seen, tc.want)
		}
	}
	got, err := db.InputFiles(ctx)
	if err != nil {
		t.Fatalf("InputFiles: %v", err)
	}
	want := []store.InputFile{
		{ID: 1, Kind: "ledger", Path: "l.csv", SHA256: "aa", Rows: 10, Errors: 1, IngestedAt: at, RunID: runID},
		{ID: 2, Kind: "webhooks", Path: "w.jsonl", SHA256: "aa", Rows: 2, IngestedAt: at},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("InputFiles (-want +got):\n%s", diff)
	}
	var errRun int64
	getRaw(t, db, &errRun, `SELECT run_id FROM input_errors`)
	if errRun != runID {
		t.Errorf("input error run_id: got %d, want %d", errRun, runID)
	}
}
