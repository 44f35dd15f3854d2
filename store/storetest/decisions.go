package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/decide"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// decisionChain makes n sealed decisions for merchant continuing a
// history whose last entry is (seq, hash), on the exceptions named by
// label in turn. Their times have nanoseconds, which Seal cuts to the
// microsecond both backends keep.
func decisionChain(t *testing.T, merchant string, seq int64, hash string, labels ...string) []recon.Decision {
	t.Helper()
	states := []recon.DecisionState{recon.DecisionInvestigating, recon.DecisionAccepted, recon.DecisionWrittenOff}
	at := time.Date(2026, 11, 11, 3, 4, 5, 123456789, time.FixedZone("WIB", 7*3600))
	var out []recon.Decision
	for i, l := range labels {
		e := carryPick(t, l)[0]
		d := recon.Decision{Seq: seq + 1, Merchant: merchant, ExceptionKey: recon.ExceptionKey(&e), Category: e.Category,
			BusinessDate: "2026-11-10", RunID: 7, Currency: e.Currency, ExpectedMinor: e.ExpectedMinor,
			ActualMinor: e.ActualMinor, DifferenceMinor: e.DifferenceMinor, Decision: states[i%len(states)],
			Note: "note " + l, DecidedBy: "alice", DecidedAt: at.Add(time.Duration(i) * time.Second),
			SourceFile: "recon-2026-11-10.xlsx", SourceSHA256: strings.Repeat("ab", 32)}
		decide.Seal(&d, hash)
		seq, hash = d.Seq, d.Hash
		out = append(out, d)
	}
	return out
}

func testDecisionsAppendOnly(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	first := decisionChain(t, store.DefaultMerchant, 0, "", "amount", "fee line 7")
	if err := db.AppendDecisions(ctx, first); err != nil {
		t.Fatalf("AppendDecisions: %v", err)
	}
	second := decisionChain(t, store.DefaultMerchant, 2, first[1].Hash, "amount")
	if err := db.AppendDecisions(ctx, second); err != nil {
		t.Fatalf("AppendDecisions after: %v", err)
	}
	all := append(append([]recon.Decision{}, first...), second...)

	t.Run("read back as written, and the chain verifies", func(t *testing.T) {
		got, err := db.Decisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(all, got); d != "" {
			t.Errorf("Decisions (-want +got):\n%s", d)
		}
		if head, err := decide.Verify(got); err != nil || head != second[0].Hash {
			t.Errorf("Verify: head %q, %v; want %q", head, err, second[0].Hash)
		}
		seq, hash, err := db.DecisionHead(ctx)
		if err != nil || seq != 3 || hash != second[0].Hash {
			t.Errorf("DecisionHead: %d %q %v; want 3 and the last hash", seq, hash, err)
		}
	})

	t.Run("the latest decision of each exception", func(t *testing.T) {
		got, err := db.LatestDecisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]recon.Decision{carryKey(t, "amount"): second[0], carryKey(t, "fee line 7"): first[1]}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("LatestDecisions (-want +got):\n%s", d)
		}
	})

	t.Run("entries that do not continue the history are refused, all of them", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			ds   []recon.Decision
		}{
			{"a number already taken", decisionChain(t, store.DefaultMerchant, 2, second[0].Hash, "fee line 8")},
			{"another hash before it", decisionChain(t, store.DefaultMerchant, 3, first[1].Hash, "fee line 8")},
			{"a good entry, then a gap", func() []recon.Decision {
				ds := decisionChain(t, store.DefaultMerchant, 3, second[0].Hash, "fee line 8", "amount")
				ds[1].Seq++
				return ds
			}()},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := db.AppendDecisions(ctx, tc.ds); !errors.Is(err, store.ErrDecisionsMoved) {
					t.Errorf("AppendDecisions: %v, want ErrDecisionsMoved", err)
				}
				if got, _ := db.Decisions(ctx); len(got) != len(all) {
					t.Errorf("%d decisions stored, want the %d before", len(got), len(all))
				}
			})
		}
	})

	t.Run("a stored decision cannot be changed or deleted", func(t *testing.T) {
		x := rawDB(t, db)
		for _, q := range []string{`UPDATE decisions SET note = 'edited' WHERE seq = 1`, `DELETE FROM decisions WHERE seq = 3`} {
			if _, err := x.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want refused as append-only", q, err)
			}
		}
		if got, _ := db.Decisions(ctx); !cmp.Equal(all, got) {
			t.Error("the history changed")
		}
	})

	t.Run("each merchant has a history of its own", func(t *testing.T) {
		other := b.Same(t, db, "other")
		if seq, hash, err := other.DecisionHead(ctx); err != nil || seq != 0 || hash != "" {
			t.Fatalf("another merchant's head: %d %q %v; want an empty history", seq, hash, err)
		}
		mine := decisionChain(t, "other", 0, "", "amount")
		if err := other.AppendDecisions(ctx, mine); err != nil {
			t.Fatal(err)
		}
		if got, _ := other.Decisions(ctx); !cmp.Equal(mine, got) {
			t.Errorf("the other merchant reads %+v", got)
		}
		if got, _ := db.Decisions(ctx); !cmp.Equal(all, got) {
			t.Error("the default merchant's history changed")
		}
	})
}

// testDecisionsHostileText stores what a note or a key may hold: a NUL,
// bytes that are not UTF-8, a formula, and a key longer than an index
// entry may be.
func testDecisionsHostileText(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	ds := decisionChain(t, store.DefaultMerchant, 0, "", "amount")
	ds[0].Note = "=1+1\x00\xff\r\nrefund booked by hand on 3 Dec"
	ds[0].ExceptionKey = strings.Repeat("AMOUNT_MISMATCH\x1f", 400)
	decide.Seal(&ds[0], "")
	if err := db.AppendDecisions(ctx, ds); err != nil {
		t.Fatal(err)
	}
	got, err := db.LatestDecisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]recon.Decision{ds[0].ExceptionKey: ds[0]}, got); d != "" {
		t.Errorf("LatestDecisions (-want +got):\n%s", d)
	}
}

// testMatchRunOf finds a date's latest successful matching run, and the
// dates an exception was open on.
func testMatchRunOf(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	if _, ok, err := db.MatchRunOf(ctx, ""); ok || err != nil {
		t.Fatalf("MatchRunOf on an empty database: %v %v", ok, err)
	}
	first, _ := carryMatch(t, db, "2026-11-09", carryPick(t, "amount"))
	second, _ := carryMatch(t, db, "2026-11-10", carryPick(t, "amount", "fee line 7"))
	carryStartRun(t, db, "match", "2026-11-11", recon.RunFailed, "boom")
	carryStartRun(t, db, "fetch", "2026-11-12", recon.RunOK, "")
	for _, tc := range []struct {
		date string
		want int64 // 0: none
	}{{"2026-11-09", first}, {"2026-11-10", second}, {"2026-11-11", 0}, {"", second}} {
		r, ok, err := db.MatchRunOf(ctx, tc.date)
		if err != nil || ok != (tc.want != 0) || r.ID != tc.want {
			t.Errorf("MatchRunOf(%q): run %d %v %v; want run %d", tc.date, r.ID, ok, err, tc.want)
		}
	}
	// A re-run of 2026-11-10 without the fee line replaces the run
	// that had it: its history goes with it, so the line was never open
	// in a run that stands.
	carryMatch(t, db, "2026-11-10", carryPick(t, "amount"))
	for _, tc := range []struct {
		label, want string
	}{{"amount", "2026-11-10"}, {"fee line 7", ""}, {"fee line 8", ""}} {
		date, ok, err := db.ExceptionLastSeen(ctx, carryKey(t, tc.label))
		if err != nil || date != tc.want || ok != (tc.want != "") {
			t.Errorf("ExceptionLastSeen(%s): %q %v %v; want %q", tc.label, date, ok, err, tc.want)
		}
	}
}
