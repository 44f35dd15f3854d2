package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// carryExceptions are the smallest exceptions the history tests need,
// by label. Pairs that differ only in what the key leaves out (amounts,
// detail, severity, row ids) stand for the same open break seen on two
// days; pairs that differ in category or a reference do not.
var carryExceptions = map[string]recon.Exception{
	"amount": {Category: recon.AmountMismatch, Severity: "critical", OrderUID: "ORD-1", PaymentLinkUID: "PL-1",
		OxpayTxnID: "T1", MerchantReferenceID: "ORD-1", Currency: "IDR",
		ExpectedMinor: 10000, ActualMinor: 9000, DifferenceMinor: -1000, Detail: "amount differs"},
	"amount, new amounts": {Category: recon.AmountMismatch, Severity: "high", OrderUID: "ORD-1", PaymentLinkUID: "PL-1",
		OxpayTxnID: "T1", MerchantReferenceID: "ORD-1", Currency: "IDR",
		ExpectedMinor: 10000, ActualMinor: 8000, DifferenceMinor: -2000, Detail: "amount differs more", WebhookEventIDs: recon.IDList{4}},
	"status, same refs": {Category: recon.StatusMismatch, Severity: "high", OrderUID: "ORD-1", PaymentLinkUID: "PL-1",
		OxpayTxnID: "T1", MerchantReferenceID: "ORD-1", Currency: "IDR", Detail: "order unpaid, gateway captured"},
	"amount, other txn": {Category: recon.AmountMismatch, Severity: "critical", OrderUID: "ORD-1", PaymentLinkUID: "PL-1",
		OxpayTxnID: "T2", MerchantReferenceID: "ORD-1", Currency: "IDR",
		ExpectedMinor: 10000, ActualMinor: 9000, DifferenceMinor: -1000, Detail: "amount differs"},
	// Two different ledger lines with the same reference: the key of an
	// exception about ledger lines alone holds their entry ids, so they
	// are two.
	"fee line 7": {Category: recon.LedgerUnmatched, Severity: "high", LedgerRef: "FEE", Currency: "IDR",
		ActualMinor: -500, DifferenceMinor: -500, Detail: "ledger line 7 unmatched", LedgerEntryIDs: recon.IDList{7}},
	"fee line 8": {Category: recon.LedgerUnmatched, Severity: "high", LedgerRef: "FEE", Currency: "IDR",
		ActualMinor: -700, DifferenceMinor: -700, Detail: "ledger line 8 unmatched", LedgerEntryIDs: recon.IDList{8}},
	"input error 1": {Category: recon.InputErrorCategory, Severity: "medium", Detail: "ledger.csv line 3: bad date", InputErrorID: 1},
	"input error 1, new text": {Category: recon.InputErrorCategory, Severity: "medium",
		Detail: "ledger.csv line 3: bad date (seen again)", InputErrorID: 1},
	"input error 2": {Category: recon.InputErrorCategory, Severity: "medium", Detail: "ledger.csv line 4: bad amount", InputErrorID: 2},
}

func carryPick(t *testing.T, labels ...string) []recon.Exception {
	t.Helper()
	out := make([]recon.Exception, 0, len(labels))
	for _, l := range labels {
		e, ok := carryExceptions[l]
		if !ok {
			t.Fatalf("no exception labelled %q", l)
		}
		out = append(out, e)
	}
	return out
}

func carryKey(t *testing.T, label string) string {
	t.Helper()
	e := carryPick(t, label)[0]
	return recon.ExceptionKey(&e)
}

// carryStartRun records a run as StartRun does, with the given status.
func carryStartRun(t *testing.T, db store.Backend, command, date, status, errText string) int64 {
	t.Helper()
	id, err := db.StartRun(context.Background(), recon.Run{Command: command, BusinessDate: date, Status: status, Error: errText})
	if err != nil {
		t.Fatalf("StartRun %s %s: %v", command, date, err)
	}
	return id
}

func carryWrite(t *testing.T, db store.Backend, runID int64, rs []recon.MatchResult, es []recon.Exception) {
	t.Helper()
	l, err := db.BeginLoad(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	if _, err := l.MatchResults(runID, rs); err != nil {
		t.Fatalf("MatchResults of run %d: %v", runID, err)
	}
	if _, err := l.Exceptions(runID, es); err != nil {
		t.Fatalf("Exceptions of run %d: %v", runID, err)
	}
	if err := l.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// carryOutcome is everything the store says about one matching run's
// history.
type carryOutcome struct {
	Carry     store.Carry
	FirstSeen map[string]string // as CarryForward returned it
	Stored    map[string]string // as ExceptionFirstSeen reads it back
	Replaced  int
	Resolved  []store.ResolvedException
}

// carryMatch makes the store calls of a matching run in the order
// internal/job makes them: the run is still running while its history
// is carried and its resolved list read, and CommitRun replaces the
// date's earlier runs and marks it ok, together, at the end.
func carryMatch(t *testing.T, db store.Backend, date string, es []recon.Exception) (int64, carryOutcome) {
	t.Helper()
	ctx := context.Background()
	id := carryStartRun(t, db, "match", date, recon.RunRunning, "")
	carryWrite(t, db, id, nil, es)
	var o carryOutcome
	var err error
	// Handed the previous run's exceptions, or another run's (which it
	// must not take for them), it carries as it does reading them.
	prev, hasPrev, err := db.PreviousMatchRun(ctx, date)
	if err != nil {
		t.Fatal(err)
	}
	var handed []*store.RunExceptions
	if hasPrev {
		pes, err := db.Exceptions(ctx, prev.ID)
		if err != nil {
			t.Fatal(err)
		}
		handed = append(handed, &store.RunExceptions{RunID: prev.ID, Exceptions: pes}, &store.RunExceptions{RunID: id})
	}
	for _, h := range handed {
		c, first, err := db.CarryForward(ctx, id, date, es, h)
		if err != nil {
			t.Fatalf("CarryForward run %d, handed run %d's exceptions: %v", id, h.RunID, err)
		}
		if o.Carry, o.FirstSeen, err = db.CarryForward(ctx, id, date, es, nil); err != nil {
			t.Fatalf("CarryForward run %d: %v", id, err)
		}
		if d := cmp.Diff(o.Carry, c, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("run %d: CarryForward reading (-) and handed run %d's exceptions (+) differ:\n%s", id, h.RunID, d)
		}
		if d := cmp.Diff(o.FirstSeen, first, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("run %d: first seen, reading (-) and handed run %d's exceptions (+) differ:\n%s", id, h.RunID, d)
		}
	}
	if o.Carry, o.FirstSeen, err = db.CarryForward(ctx, id, date, es, nil); err != nil {
		t.Fatalf("CarryForward run %d: %v", id, err)
	}
	if o.Resolved, err = db.ResolvedSince(ctx, id); err != nil {
		t.Fatalf("ResolvedSince run %d: %v", id, err)
	}
	if d := cmp.Diff(o.Resolved, o.Carry.ResolvedExceptions, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("run %d: ResolvedSince (-) and CarryForward's list (+) differ:\n%s", id, d)
	}
	o.Carry.ResolvedExceptions = nil // compared above; the steps state the counts
	if o.Stored, err = db.ExceptionFirstSeen(ctx, id); err != nil {
		t.Fatalf("ExceptionFirstSeen run %d: %v", id, err)
	}
	if o.Replaced, err = db.CommitRun(ctx, id, date, nil, nil); err != nil {
		t.Fatalf("CommitRun %d: %v", id, err)
	}
	return id, o
}

type carryResolved struct{ label, first, last string }

type carryStep struct {
	date string
	open []string // labels of the run's exceptions, in the order written
	prev int      // the step compared with, -1 for none
	// carry is checked with PreviousRunID and PreviousDate filled in from
	// prev.
	carry    store.Carry
	first    map[string]string // label → first-seen date, one label per key
	replaced int
	resolved []carryResolved
}

func testCarryForwardHistory(t *testing.T, b Backend) {
	tests := []struct {
		name  string
		steps []carryStep
	}{
		{
			name: "an open exception keeps its first-seen date, across month ends",
			steps: []carryStep{
				{date: "2024-02-29", open: []string{"amount"}, prev: -1,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-02-29"}, first: map[string]string{"amount": "2024-02-29"}},
				{date: "2024-03-01", open: []string{"amount"}, prev: 0,
					carry: store.Carry{Carried: 1, OldestFirstSeen: "2024-02-29"}, first: map[string]string{"amount": "2024-02-29"}},
				{date: "2024-04-02", open: []string{"amount"}, prev: 1,
					carry: store.Carry{Carried: 1, OldestFirstSeen: "2024-02-29"}, first: map[string]string{"amount": "2024-02-29"}},
			},
		},
		{
			name: "a new exception beside a carried one; the oldest is the earliest",
			steps: []carryStep{
				{date: "2024-03-01", open: []string{"amount"}, prev: -1,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"amount": "2024-03-01"}},
				// Written new first, so the oldest is not simply the first seen.
				{date: "2024-03-02", open: []string{"amount, other txn", "amount"}, prev: 0,
					carry: store.Carry{New: 1, Carried: 1, OldestFirstSeen: "2024-03-01"},
					first: map[string]string{"amount": "2024-03-01", "amount, other txn": "2024-03-02"}},
			},
		},
		{
			name: "changed amounts, detail, severity and row ids are the same exception",
			steps: []carryStep{
				{date: "2024-03-01", open: []string{"amount"}, prev: -1,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"amount": "2024-03-01"}},
				{date: "2024-03-02", open: []string{"amount, new amounts"}, prev: 0,
					carry: store.Carry{Carried: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"amount, new amounts": "2024-03-01"}},
			},
		},
		{
			name: "another category on the same references is a new exception",
			steps: []carryStep{
				{date: "2024-03-01", open: []string{"amount"}, prev: -1,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"amount": "2024-03-01"}},
				{date: "2024-03-02", open: []string{"status, same refs"}, prev: 0,
					carry:    store.Carry{New: 1, Resolved: 1, OldestFirstSeen: "2024-03-02"},
					first:    map[string]string{"status, same refs": "2024-03-02"},
					resolved: []carryResolved{{"amount", "2024-03-01", "2024-03-01"}}},
			},
		},
		{
			name: "another reference is a new exception",
			steps: []carryStep{
				{date: "2024-03-01", open: []string{"amount"}, prev: -1,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"amount": "2024-03-01"}},
				{date: "2024-03-02", open: []string{"amount, other txn"}, prev: 0,
					carry:    store.Carry{New: 1, Resolved: 1, OldestFirstSeen: "2024-03-02"},
					first:    map[string]string{"amount, other txn": "2024-03-02"},
					resolved: []carryResolved{{"amount", "2024-03-01", "2024-03-01"}}},
			},
		},
		{
			name: "an input error is known by its row id, not its text",
			steps: []carryStep{
				{date: "2024-03-01", open: []string{"input error 1"}, prev: -1,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"input error 1": "2024-03-01"}},
				{date: "2024-03-02", open: []string{"input error 1, new text", "input error 2"}, prev: 0,
					carry: store.Carry{New: 1, Carried: 1, OldestFirstSeen: "2024-03-01"},
					first: map[string]string{"input error 1, new text": "2024-03-01", "input error 2": "2024-03-02"}},
			},
		},
		{
			name: "resolved exceptions come back in the order the previous run wrote them; one that reopens is new again",
			steps: []carryStep{
				{date: "2024-03-01", open: []string{"status, same refs"}, prev: -1,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"status, same refs": "2024-03-01"}},
				// The status break was first seen a day before the amount one,
				// and is written after it.
				{date: "2024-03-02", open: []string{"amount", "status, same refs"}, prev: 0,
					carry: store.Carry{New: 1, Carried: 1, OldestFirstSeen: "2024-03-01"},
					first: map[string]string{"amount": "2024-03-02", "status, same refs": "2024-03-01"}},
				{date: "2024-03-03", open: nil, prev: 1,
					carry: store.Carry{Resolved: 2}, first: map[string]string{},
					resolved: []carryResolved{{"amount", "2024-03-02", "2024-03-02"}, {"status, same refs", "2024-03-01", "2024-03-02"}}},
				// Only the run just before is looked at: the reopened break's
				// age starts again.
				{date: "2024-03-04", open: []string{"status, same refs"}, prev: 2,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-03-04"}, first: map[string]string{"status, same refs": "2024-03-04"}},
			},
		},
		{
			name: "a re-run of a date compares with the date before, and replaces the first run of the date",
			steps: []carryStep{
				{date: "2024-03-01", open: []string{"amount"}, prev: -1,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"amount": "2024-03-01"}},
				{date: "2024-03-02", open: nil, prev: 0,
					carry: store.Carry{Resolved: 1}, first: map[string]string{},
					resolved: []carryResolved{{"amount", "2024-03-01", "2024-03-01"}}},
				// Compared with the 2nd run it would be new on the 2nd.
				{date: "2024-03-02", open: []string{"amount"}, prev: 0, replaced: 1,
					carry: store.Carry{Carried: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"amount": "2024-03-01"}},
				// The replaced run is no longer anyone's previous run.
				{date: "2024-03-03", open: []string{"amount"}, prev: 2,
					carry: store.Carry{Carried: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"amount": "2024-03-01"}},
			},
		},
		{
			name: "a backfilled date compares with the latest earlier date, not the latest run",
			steps: []carryStep{
				{date: "2024-03-01", open: []string{"amount"}, prev: -1,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"amount": "2024-03-01"}},
				{date: "2024-03-05", open: []string{"amount", "amount, other txn"}, prev: 0,
					carry: store.Carry{New: 1, Carried: 1, OldestFirstSeen: "2024-03-01"},
					first: map[string]string{"amount": "2024-03-01", "amount, other txn": "2024-03-05"}},
				{date: "2024-03-03", open: []string{"amount, other txn"}, prev: 0,
					carry:    store.Carry{New: 1, Resolved: 1, OldestFirstSeen: "2024-03-03"},
					first:    map[string]string{"amount, other txn": "2024-03-03"},
					resolved: []carryResolved{{"amount", "2024-03-01", "2024-03-01"}}},
			},
		},
		{
			name: "exceptions sharing a key count once and resolve once, as the first written",
			steps: []carryStep{
				{date: "2024-03-01", open: []string{"amount, new amounts", "amount"}, prev: -1,
					carry: store.Carry{New: 1, OldestFirstSeen: "2024-03-01"}, first: map[string]string{"amount": "2024-03-01"}},
				{date: "2024-03-02", open: nil, prev: 0,
					carry: store.Carry{Resolved: 1}, first: map[string]string{},
					resolved: []carryResolved{{"amount, new amounts", "2024-03-01", "2024-03-01"}}},
			},
		},
		{
			name: "ledger lines with the same reference are separate breaks",
			steps: []carryStep{
				{date: "2024-03-01", open: []string{"fee line 8", "fee line 7"}, prev: -1,
					carry: store.Carry{New: 2, OldestFirstSeen: "2024-03-01"},
					first: map[string]string{"fee line 8": "2024-03-01", "fee line 7": "2024-03-01"}},
				// Line 8 was matched: it is resolved, line 7 carries on.
				{date: "2024-03-02", open: []string{"fee line 7"}, prev: 0,
					carry:    store.Carry{Carried: 1, Resolved: 1, OldestFirstSeen: "2024-03-01"},
					first:    map[string]string{"fee line 7": "2024-03-01"},
					resolved: []carryResolved{{"fee line 8", "2024-03-01", "2024-03-01"}}},
				// Line 8 comes back: a new break, not line 7's.
				{date: "2024-03-03", open: []string{"fee line 8", "fee line 7"}, prev: 1,
					carry: store.Carry{New: 1, Carried: 1, OldestFirstSeen: "2024-03-01"},
					first: map[string]string{"fee line 8": "2024-03-03", "fee line 7": "2024-03-01"}},
				{date: "2024-03-04", open: nil, prev: 2,
					carry: store.Carry{Resolved: 2}, first: map[string]string{},
					resolved: []carryResolved{{"fee line 8", "2024-03-03", "2024-03-03"}, {"fee line 7", "2024-03-01", "2024-03-03"}}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := b.Open(t, store.DefaultMerchant)
			ids := make([]int64, len(tc.steps))
			for i, st := range tc.steps {
				var got carryOutcome
				ids[i], got = carryMatch(t, db, st.date, carryPick(t, st.open...))

				want := carryOutcome{Carry: st.carry, Replaced: st.replaced}
				if st.prev >= 0 {
					want.Carry.PreviousRunID, want.Carry.PreviousDate = ids[st.prev], tc.steps[st.prev].date
				}
				want.FirstSeen = map[string]string{}
				for label, d := range st.first {
					want.FirstSeen[carryKey(t, label)] = d
				}
				want.Stored = want.FirstSeen
				for _, r := range st.resolved {
					want.Resolved = append(want.Resolved, store.ResolvedException{
						Exception: carryPick(t, r.label)[0], FirstSeen: r.first, LastSeen: r.last})
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("run %d (%s, step %d) (-want +got):\n%s", ids[i], st.date, i, diff)
				}
			}
		})
	}
}

// TestCarryForwardAgain shows that carrying a run again replaces what it
// recorded instead of adding to it.
func testCarryForwardAgain(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	id := carryStartRun(t, db, "match", "2024-03-01", recon.RunRunning, "")
	if _, _, err := db.CarryForward(ctx, id, "2024-03-01", carryPick(t, "amount", "input error 1"), nil); err != nil {
		t.Fatalf("CarryForward: %v", err)
	}
	c, first, err := db.CarryForward(ctx, id, "2024-03-01", carryPick(t, "input error 2"), nil)
	if err != nil {
		t.Fatalf("CarryForward again: %v", err)
	}
	stored, err := db.ExceptionFirstSeen(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{carryKey(t, "input error 2"): "2024-03-01"}
	if diff := cmp.Diff(store.Carry{New: 1, OldestFirstSeen: "2024-03-01"}, c); diff != "" {
		t.Errorf("store.Carry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("returned first-seen dates (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("stored first-seen dates (-want +got):\n%s", diff)
	}
}

// TestPreviousRunWithoutHistory covers a previous run that recorded no
// history (a database from before migration 0003): CarryForward and
// ResolvedSince both read its exceptions and date them from the run
// itself, so the counts and the list agree.
func testPreviousRunWithoutHistory(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	prev := carryStartRun(t, db, "run", "2024-03-01", recon.RunOK, "")
	carryWrite(t, db, prev, nil, carryPick(t, "amount", "status, same refs"))

	id := carryStartRun(t, db, "match", "2024-03-02", recon.RunRunning, "")
	es := carryPick(t, "status, same refs")
	carryWrite(t, db, id, nil, es)
	c, first, err := db.CarryForward(ctx, id, "2024-03-02", es, nil)
	if err != nil {
		t.Fatalf("CarryForward: %v", err)
	}
	// Without history the previous run's exceptions are still known: one
	// is carried (first seen, as far as anyone can tell, on that run's
	// date), the other resolved, in the counts as in the list.
	wantResolved := []store.ResolvedException{{Exception: carryPick(t, "amount")[0], FirstSeen: "2024-03-01", LastSeen: "2024-03-01"}}
	want := store.Carry{PreviousRunID: prev, PreviousDate: "2024-03-01", Carried: 1, Resolved: 1, OldestFirstSeen: "2024-03-01",
		ResolvedExceptions: wantResolved}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("store.Carry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{carryKey(t, "status, same refs"): "2024-03-01"}, first); diff != "" {
		t.Errorf("first seen (-want +got):\n%s", diff)
	}
	got, err := db.ResolvedSince(ctx, id)
	if err != nil {
		t.Fatalf("ResolvedSince: %v", err)
	}
	if diff := cmp.Diff(wantResolved, got); diff != "" {
		t.Errorf("ResolvedSince (-want +got):\n%s", diff)
	}
}

// History written before ledger-only exceptions were keyed by their
// entry ids still gives their first-seen dates: every line that shared
// the older key takes its date, once; from then on each has its own.
func testCarryAcrossTheLedgerKeyChange(t *testing.T, b Backend) {
	db := b.Open(t, store.DefaultMerchant)
	prev := carryStartRun(t, db, "run", "2024-03-01", recon.RunOK, "")
	carryWrite(t, db, prev, nil, carryPick(t, "fee line 8", "fee line 7", "amount"))
	fee, amount := carryPick(t, "fee line 7")[0], carryPick(t, "amount")[0]
	for k, first := range map[string]string{recon.ExceptionKeyV1(&fee): "2024-02-20", recon.ExceptionKey(&amount): "2024-02-25"} {
		execRaw(t, db, `INSERT INTO exception_history (merchant, run_id, exception_key, first_seen) VALUES (?, ?, ?, ?)`, db.Merchant(), prev, k, first)
	}

	_, got := carryMatch(t, db, "2024-03-02", carryPick(t, "fee line 7", "amount"))
	want := carryOutcome{
		Carry:     store.Carry{PreviousRunID: prev, PreviousDate: "2024-03-01", Carried: 2, Resolved: 1, OldestFirstSeen: "2024-02-20"},
		FirstSeen: map[string]string{carryKey(t, "fee line 7"): "2024-02-20", carryKey(t, "amount"): "2024-02-25"},
		Resolved:  []store.ResolvedException{{Exception: carryPick(t, "fee line 8")[0], FirstSeen: "2024-02-20", LastSeen: "2024-03-01"}},
	}
	want.Stored = want.FirstSeen
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first run after the change (-want +got):\n%s", diff)
	}
}

func testResolvedSinceWithoutPrevious(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	id, _ := carryMatch(t, db, "2024-03-01", carryPick(t, "amount"))
	// Runs that are not a previous matching run: a later date, another
	// command, a failed and a replaced run.
	carryWrite(t, db, carryStartRun(t, db, "match", "2024-03-02", recon.RunOK, ""), nil, carryPick(t, "amount, other txn"))
	for _, r := range []struct{ command, status string }{
		{"ingest", recon.RunOK}, {"match", recon.RunFailed}, {"match", recon.RunReplaced}, {"run", recon.RunRunning},
	} {
		carryWrite(t, db, carryStartRun(t, db, r.command, "2024-02-29", r.status, ""), nil, carryPick(t, "amount, other txn"))
	}
	got, err := db.ResolvedSince(ctx, id)
	if err != nil || got != nil {
		t.Errorf("ResolvedSince of the first run: got %v, %v; want nil, nil", got, err)
	}
	if _, err := db.ResolvedSince(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ResolvedSince of an unknown run: got %v, want store.ErrNotFound", err)
	}
}

func testPreviousMatchRun(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	runs := []struct{ command, date, status string }{
		{"match", "2024-03-01", recon.RunOK},       // 0
		{"run", "2024-03-02", recon.RunOK},         // 1: the nightly run matches too
		{"match", "2024-03-03", recon.RunFailed},   // 2
		{"match", "2024-03-04", recon.RunReplaced}, // 3
		{"match", "2024-03-05", recon.RunRunning},  // 4
		{"ingest", "2024-03-06", recon.RunOK},      // 5
		{"fetch", "2024-03-07", recon.RunOK},       // 6
		{"match", "2024-03-08", recon.RunOK},       // 7
		{"run", "2024-03-08", recon.RunOK},         // 8: the same date run again
		{"match", "2024-03-10", recon.RunOK},       // 9
		{"match", "2024-03-09", recon.RunOK},       // 10: an earlier date run later
	}
	ids := make([]int64, len(runs))
	for i, r := range runs {
		ids[i] = carryStartRun(t, db, r.command, r.date, r.status, "")
	}
	tests := []struct {
		name string
		date string
		want int // index into runs, -1 for none
	}{
		{"nothing before the first date", "2024-02-01", -1},
		{"a run of the same date is not previous", "2024-03-01", -1},
		{"the day before", "2024-03-02", 0},
		{"a nightly run", "2024-03-03", 1},
		{"skips a failed run", "2024-03-04", 1},
		{"skips a replaced run", "2024-03-05", 1},
		{"skips a running run", "2024-03-06", 1},
		{"skips other commands", "2024-03-08", 1},
		{"the latest of two runs of a date", "2024-03-09", 8},
		{"the latest date, not the latest run", "2024-03-11", 9},
		{"a backfilled date", "2024-03-10", 10},
	}
	type result struct {
		Run recon.Run
		OK  bool
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want result
			if tc.want >= 0 {
				r, err := db.GetRun(ctx, ids[tc.want])
				if err != nil {
					t.Fatal(err)
				}
				want = result{r, true}
			}
			var got result
			var err error
			if got.Run, got.OK, err = db.PreviousMatchRun(ctx, tc.date); err != nil {
				t.Fatalf("PreviousMatchRun(%s): %v", tc.date, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("PreviousMatchRun(%s) (-want +got):\n%s", tc.date, diff)
			}
		})
	}
}

func testReplaceDateResults(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	const date = "2024-03-02"
	rs := []recon.MatchResult{{Kind: "sale", OxpayTxnID: "T1", State: "success", Source: "api", Currency: "IDR", Clean: true}}
	es := carryPick(t, "amount")

	// rows is what a run has: match results, exceptions, history.
	type rows struct{ Results, Exceptions, History int }
	type state struct {
		Status, Error string
		Rows          rows
	}
	full, none := rows{1, 1, 1}, rows{}
	runs := []struct {
		name, command, date, status, errText string
		want                                 state
	}{
		{"this run", "match", date, recon.RunRunning, "", state{recon.RunRunning, "", full}},
		{"earlier match of the date", "match", date, recon.RunOK, "", state{recon.RunReplaced, "", none}},
		{"earlier nightly run of the date", "run", date, recon.RunOK, "", state{recon.RunReplaced, "", none}},
		{"failed run of the date", "match", date, recon.RunFailed, "match: disk full", state{recon.RunFailed, "match: disk full", none}},
		{"another process's run of the date", "match", date, recon.RunRunning, "", state{recon.RunRunning, "", full}},
		{"already replaced run of the date", "match", date, recon.RunReplaced, "", state{recon.RunReplaced, "", full}},
		{"another command on the date", "ingest", date, recon.RunOK, "", state{recon.RunOK, "", full}},
		{"the day before", "match", "2024-03-01", recon.RunOK, "", state{recon.RunOK, "", full}},
		{"the day after", "run", "2024-03-03", recon.RunOK, "", state{recon.RunOK, "", full}},
	}
	ids := make([]int64, len(runs))
	for i, r := range runs {
		ids[i] = carryStartRun(t, db, r.command, r.date, r.status, r.errText)
		carryWrite(t, db, ids[i], rs, es)
		if _, _, err := db.CarryForward(ctx, ids[i], r.date, es, nil); err != nil {
			t.Fatalf("CarryForward %s: %v", r.name, err)
		}
	}
	read := func() map[string]state {
		t.Helper()
		counts := map[string]map[int64]int{}
		for _, table := range []string{"match_results", "exceptions", "exception_history"} {
			n, err := db.CountByRun(ctx, table)
			if err != nil {
				t.Fatal(err)
			}
			counts[table] = n
		}
		out := map[string]state{}
		for i, r := range runs {
			run, err := db.GetRun(ctx, ids[i])
			if err != nil {
				t.Fatal(err)
			}
			out[r.name] = state{run.Status, run.Error,
				rows{counts["match_results"][ids[i]], counts["exceptions"][ids[i]], counts["exception_history"][ids[i]]}}
		}
		return out
	}
	want := map[string]state{}
	for _, r := range runs {
		want[r.name] = r.want
	}

	n, err := db.ReplaceDateResults(ctx, date, ids[0])
	if err != nil {
		t.Fatalf("ReplaceDateResults: %v", err)
	}
	// The failed run's results are dropped too, and counted.
	if n != 3 {
		t.Errorf("ReplaceDateResults: got %d runs replaced, want 3", n)
	}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Errorf("runs after ReplaceDateResults (-want +got):\n%s", diff)
	}
	// What is kept is kept whole, not just counted.
	for _, i := range []int{0, 7, 8} {
		got, err := db.Exceptions(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(es, got); diff != "" {
			t.Errorf("exceptions of %s (-want +got):\n%s", runs[i].name, diff)
		}
	}

	// Called again once the run has finished ok, it still keeps the run
	// itself, and replaces nothing: the failed run keeps its status but
	// has nothing left to drop, so it is not counted again.
	if err := db.FinishRun(ctx, ids[0], recon.RunOK, "", "{}", "[]"); err != nil {
		t.Fatal(err)
	}
	want[runs[0].name] = state{recon.RunOK, "", full}
	n, err = db.ReplaceDateResults(ctx, date, ids[0])
	if err != nil || n != 0 {
		t.Errorf("ReplaceDateResults again: got %d, %v; want 0, nil", n, err)
	}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Errorf("runs after ReplaceDateResults again (-want +got):\n%s", diff)
	}
}
