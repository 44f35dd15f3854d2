package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// TestCommitRun: a re-run of a date replaces the previous run only in
// the transaction that records it ok. A re-run that fails before (its
// files could not be put in place) leaves the previous run ok with its
// rows and history, and the next date ages its exceptions from it, not
// from the failed run's.
func testCommitRun(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	const date, next = "2024-03-02", "2024-03-03"
	rs := []recon.MatchResult{{Kind: "sale", OxpayTxnID: "T1", State: "success", Source: "api", Currency: "IDR", Clean: true}}

	// The good run of the date, which had carried "amount" from the 1st.
	first := carryStartRun(t, db, "run", "2024-03-01", recon.RunOK, "")
	carryWrite(t, db, first, nil, carryPick(t, "amount"))
	if _, _, err := db.CarryForward(ctx, first, "2024-03-01", carryPick(t, "amount"), nil); err != nil {
		t.Fatal(err)
	}
	good, _ := carryMatch(t, db, date, carryPick(t, "amount", "fee line 7"))
	carryWrite(t, db, good, rs, nil)

	type runState struct {
		Status                       string
		Results, Exceptions, History int
	}
	state := func(id int64) runState {
		t.Helper()
		r, err := db.GetRun(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		s := runState{Status: r.Status}
		for table, n := range map[string]*int{"match_results": &s.Results, "exceptions": &s.Exceptions, "exception_history": &s.History} {
			c, err := db.CountByRun(ctx, table)
			if err != nil {
				t.Fatal(err)
			}
			*n = c[id]
		}
		return s
	}
	goodState := state(good)
	if goodState.Status != recon.RunOK || goodState.History != 2 {
		t.Fatalf("the good run: %+v", goodState)
	}

	// A re-run whose install fails: everything stays as it was.
	rerun := carryStartRun(t, db, "run", date, recon.RunRunning, "")
	carryWrite(t, db, rerun, rs, carryPick(t, "input error 1"))
	if _, _, err := db.CarryForward(ctx, rerun, date, carryPick(t, "input error 1"), nil); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("rename recon-2024-03-02.xlsx: no space left on device")
	recorded := false
	_, err := db.CommitRun(ctx, rerun, date, func(int) (string, string) { recorded = true; return "{}", "[]" }, func() error { return boom })
	if !errors.Is(err, boom) || !recorded {
		t.Fatalf("CommitRun with a failing install: %v (recorded %v), want the install's error", err, recorded)
	}
	if d := cmp.Diff(goodState, state(good)); d != "" {
		t.Errorf("the good run after a failed re-run (-want +got):\n%s", d)
	}
	if s := state(rerun); s.Status != recon.RunRunning {
		t.Errorf("the failed re-run: %+v, want still running (its session records the failure)", s)
	}
	if _, err := db.FailRun(ctx, rerun, "failed: "+boom.Error()); err != nil {
		t.Fatal(err)
	}
	// The next date compares with the good run: "amount" keeps its age,
	// and the failed run's input error counts for nothing.
	_, o := carryMatch(t, db, next, carryPick(t, "amount", "fee line 7"))
	want := store.Carry{PreviousRunID: good, PreviousDate: date, Carried: 2, OldestFirstSeen: "2024-03-01"}
	if d := cmp.Diff(want, o.Carry); d != "" {
		t.Errorf("the next date's carry (-want +got):\n%s", d)
	}

	// A re-run that commits replaces the good run (and drops the failed
	// one's rows), and says how many to record.
	again := carryStartRun(t, db, "run", date, recon.RunRunning, "")
	carryWrite(t, db, again, rs, nil)
	var told int
	n, err := db.CommitRun(ctx, again, date, func(r int) (string, string) { told = r; return `{"n":1}`, "[]" }, func() error { return nil })
	if err != nil || n != 2 || told != 2 {
		t.Fatalf("CommitRun: %d (told %d), %v; want 2 replaced", n, told, err)
	}
	if d := cmp.Diff(runState{Status: recon.RunReplaced}, state(good)); d != "" {
		t.Errorf("the good run after a re-run (-want +got):\n%s", d)
	}
	if s := state(rerun); s.Status != recon.RunFailed || s.Results+s.Exceptions+s.History != 0 {
		t.Errorf("the failed run after a re-run: %+v", s)
	}
	if r, _ := db.GetRun(ctx, again); r.Status != recon.RunOK || r.Counts != `{"n":1}` || r.EndedAt == nil {
		t.Errorf("the re-run: %+v", r)
	}
	// A run commits once.
	if _, err := db.CommitRun(ctx, again, date, nil, nil); !errors.Is(err, store.ErrNotRunning) {
		t.Errorf("committing again: %v, want store.ErrNotRunning", err)
	}
}
