package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

func startRun(t *testing.T, db store.Backend) int64 {
	t.Helper()
	id, err := db.StartRun(context.Background(), recon.Run{Command: "match"})
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	return id
}

// sampleResults has more than one chunk of rows, nullable columns both
// set and unset. Even rows point at ledger entry i+1 (see withLedger).
func sampleResults(n int, tag string) []recon.MatchResult {
	rs := make([]recon.MatchResult, n)
	for i := range rs {
		r := recon.MatchResult{
			Kind: "sale", OrderUID: fmt.Sprintf("ORD-%s-%d", tag, i), PaymentLinkUID: fmt.Sprintf("PL-%d", i),
			OxpayTxnID: fmt.Sprintf("%08d", 10000001+i), MerchantReferenceID: fmt.Sprintf("ORD-%s-%d", tag, i),
			State: "success", Source: "api", Currency: "IDR",
			OrderMinor: int64(i) * 100, GatewayMinor: int64(i) * 100, Clean: i%3 != 0,
		}
		if i%2 == 0 {
			r.LedgerEntryID = int64(i + 1)
			r.WebhookEventID = int64(i + 7)
			r.PaidAt = TP(time.Date(2026, 11, 1, 3, 4, 5, 6000, time.UTC))
		}
		if i%5 == 4 {
			r.Kind, r.OriginalTxnID, r.State = "refund", "10000001", "refunded"
		}
		rs[i] = r
	}
	return rs
}

// withLedger fills in what reading a result back adds from its ledger
// line: the lines of sampleLedger, loaded first, have ids 1, 2, 3...
func withLedger(rs []recon.MatchResult) []recon.MatchResult {
	out := make([]recon.MatchResult, len(rs))
	ledger := Ledger(len(rs))
	for i, r := range rs {
		if r.LedgerEntryID != 0 {
			l := ledger[r.LedgerEntryID-1]
			r.LedgerRef, r.LedgerMinor, r.BookedOn = l.Reference, l.AmountMinor, TP(l.BookedOn)
		}
		out[i] = r
	}
	return out
}

func sampleExceptions(tag string) []recon.Exception {
	return []recon.Exception{
		{Category: recon.AmountMismatch, Severity: "critical", OrderUID: "ORD-" + tag, PaymentLinkUID: "PL-1",
			OxpayTxnID: "10000001", MerchantReferenceID: "ORD-" + tag, Currency: "IDR",
			ExpectedMinor: 15000000, ActualMinor: 150000, DifferenceMinor: -14850000, Detail: "amount differs",
			WebhookEventIDs: recon.IDList{3, 4}},
		{Category: recon.LedgerUnmatched, Severity: "high", LedgerRef: "=cmd()", Currency: "SGD",
			ActualMinor: -500, DifferenceMinor: -500, Detail: "ledger debit", LedgerEntryIDs: recon.IDList{9}},
		{Category: recon.InputErrorCategory, Severity: "medium", Detail: "ledger.csv line 3: bad date", InputErrorID: 1},
	}
}

func writeRun(t *testing.T, db store.Backend, runID int64, rs []recon.MatchResult, es []recon.Exception) {
	t.Helper()
	l, err := db.BeginLoad(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	if err := l.DeleteRunResults(runID); err != nil {
		t.Fatalf("DeleteRunResults: %v", err)
	}
	if n, err := l.MatchResults(runID, rs); err != nil || n != len(rs) {
		t.Fatalf("MatchResults: got %d, %v; want %d", n, err, len(rs))
	}
	if n, err := l.Exceptions(runID, es); err != nil || n != len(es) {
		t.Fatalf("Exceptions: got %d, %v; want %d", n, err, len(es))
	}
	if err := l.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func readResults(t *testing.T, db store.Backend, runID int64) []recon.MatchResult {
	t.Helper()
	var got []recon.MatchResult
	err := db.MatchResults(context.Background(), runID, func(b []recon.MatchResult) error {
		got = append(got, b...)
		return nil
	})
	if err != nil {
		t.Fatalf("MatchResults: %v", err)
	}
	return got
}

func testResultsRoundTripPerRun(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	if _, err := db.InsertLedgerEntries(ctx, Ledger(2500)); err != nil {
		t.Fatal(err)
	}
	run1, run2 := startRun(t, db), startRun(t, db)
	// 2500 rows: several streamed batches and chunks plus a remainder.
	rs1, rs2 := sampleResults(2500, "a"), sampleResults(40, "b")
	es1, es2 := sampleExceptions("a"), sampleExceptions("b")
	writeRun(t, db, run1, rs1, es1)
	writeRun(t, db, run2, rs2, es2)

	for _, tc := range []struct {
		run int64
		rs  []recon.MatchResult
		es  []recon.Exception
	}{{run1, rs1, es1}, {run2, rs2, es2}} {
		if d := cmp.Diff(withLedger(tc.rs), readResults(t, db, tc.run)); d != "" {
			t.Errorf("run %d results (-want +got):\n%s", tc.run, d)
		}
		got, err := db.Exceptions(ctx, tc.run)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.es, got); d != "" {
			t.Errorf("run %d exceptions (-want +got):\n%s", tc.run, d)
		}
	}

	// Writing run 1 again replaces its rows and leaves run 2 alone.
	writeRun(t, db, run1, rs1[:10], es1[:1])
	if got := readResults(t, db, run1); len(got) != 10 {
		t.Errorf("run 1 after rewrite: got %d results, want 10", len(got))
	}
	if got := readResults(t, db, run2); len(got) != len(rs2) {
		t.Errorf("run 2 after rewriting run 1: got %d results, want %d", len(got), len(rs2))
	}

	if err := db.DeleteRunResults(ctx, run1); err != nil {
		t.Fatalf("DeleteRunResults: %v", err)
	}
	if got := readResults(t, db, run1); len(got) != 0 {
		t.Errorf("run 1 after delete: got %d results, want 0", len(got))
	}
	if got, _ := db.Exceptions(ctx, run1); len(got) != 0 {
		t.Errorf("run 1 after delete: got %d exceptions, want 0", len(got))
	}
	if got, _ := db.Exceptions(ctx, run2); len(got) != len(es2) {
		t.Errorf("run 2 after deleting run 1: got %d exceptions, want %d", len(got), len(es2))
	}
}

func testResultsNeedARun(t *testing.T, b Backend) {
	db := b.Open(t, store.DefaultMerchant)
	l, err := db.BeginLoad(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	if _, err := l.Exceptions(0, sampleExceptions("a")); !errors.Is(err, store.ErrNoRun) {
		t.Fatalf("run id 0: got %v, want store.ErrNoRun", err)
	}
	if err := l.Commit(); err == nil {
		t.Fatal("commit after a failed step: got nil error")
	}

	// A run id that is not in runs breaks the foreign key: nothing lands.
	l, err = db.BeginLoad(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	if _, err := l.MatchResults(999, sampleResults(40, "x")); err == nil {
		t.Fatal("unknown run id: got nil error")
	}
	if got := readResults(t, db, 999); len(got) != 0 {
		t.Fatalf("unknown run: got %d rows stored, want 0", len(got))
	}
}

func testMatchResultsStopsOnCallbackError(t *testing.T, b Backend) {
	db := b.Open(t, store.DefaultMerchant)
	run := startRun(t, db)
	writeRun(t, db, run, sampleResults(2500, "a"), nil)
	stop := errors.New("stop")
	calls := 0
	err := db.MatchResults(context.Background(), run, func([]recon.MatchResult) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("got %v after %d calls, want the callback's error after 1", err, calls)
	}
}
