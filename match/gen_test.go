package match

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox/gen"
)

// TestAnswerKey runs the whole pipeline (generator, ingest readers,
// store, Run) over generated worlds and holds the exceptions to
// expected.csv: same categories and ids, nothing missing, nothing more.
func TestAnswerKey(t *testing.T) {
	type world struct {
		name string
		opts gen.Options
	}
	var worlds []world
	for seed := int64(1); seed <= 4; seed++ {
		for _, n := range []int{300, 2000} {
			worlds = append(worlds, world{fmt.Sprintf("seed %d, %d orders", seed, n), gen.Options{Seed: seed, Orders: n}})
		}
	}
	worlds = append(worlds,
		world{"20% anomalies over 7 days", gen.Options{Seed: 9, Orders: 3000, AnomalyRate: 0.2, Days: 7}},
		world{"singapore zone", gen.Options{Seed: 11, Orders: 800, Zone: time.FixedZone("SGT", 8*3600)}},
		world{"voids with their own id", gen.Options{Seed: 2, Orders: 3000, VoidStyle: gen.VoidOwnID}},
		world{"voids with their own id, 20% anomalies", gen.Options{Seed: 9, Orders: 3000, AnomalyRate: 0.2, Days: 7, VoidStyle: gen.VoidOwnID}},
	)
	for _, w := range worlds {
		ds, err := gen.Generate(w.opts)
		if err != nil {
			t.Fatal(err)
		}
		want := expectedRows(t, ds)
		scopes := []txnScope{allTxns, confirmedTxns}
		if w.opts.VoidStyle == gen.VoidOwnID {
			scopes = append(scopes, noVoidTxns)
		}
		for _, scope := range scopes {
			t.Run(w.name+", "+scope.String(), func(t *testing.T) {
				t.Parallel()
				db := buildStore(t, ds, filepath.Join(t.TempDir(), "recon.db"), scope)
				ctx := context.Background()
				run, err := db.StartRun(ctx, recon.Run{Command: "match"})
				if err != nil {
					t.Fatal(err)
				}
				opts := DefaultOptions()
				opts.Zone = ds.Options.Zone
				sum, err := Run(ctx, db, run, opts)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				got, err := db.Exceptions(ctx, run)
				if err != nil {
					t.Fatal(err)
				}
				p, r, diff := compareKeys(want, exceptionRows(got))
				if diff != "" {
					t.Errorf("exceptions differ from expected.csv: precision %.4f, recall %.4f (%d expected, %d found)\n%s",
						p, r, len(want), len(got), diff)
				}
				t.Logf("precision %.4f, recall %.4f: %d expected, %d found; %d results, %d matched", p, r, len(want), len(got), sum.Results, sum.Matched)
				if sum.Exceptions != len(got) {
					t.Errorf("summary counts %d exceptions, %d stored", sum.Exceptions, len(got))
				}
				if sum.Results == 0 || sum.Matched == 0 || sum.MatchRate <= 0.5 {
					t.Errorf("summary: %d results, %d matched (rate %.3f); want most transactions matched", sum.Results, sum.Matched, sum.MatchRate)
				}
				if scope != allTxns {
					return
				}
				// Run over the store and Match over the same rows agree on
				// everything, results and exceptions alike.
				out, err := Match(inputOf(t, ds), opts)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(out.Exceptions, got, cmpopts.EquateEmpty()); d != "" {
					t.Errorf("exceptions: Match (-) and Run (+) differ:\n%s", d)
				}
				var stored []recon.MatchResult
				if err := db.MatchResults(ctx, run, func(b []recon.MatchResult) error { stored = append(stored, b...); return nil }); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(out.Results, stored); d != "" {
					t.Errorf("results: Match (-) and Run (+) differ:\n%s", d)
				}
				if d := cmp.Diff(out.Exceptions, sum.Open, cmpopts.EquateEmpty()); d != "" {
					t.Errorf("exceptions: Match (-) and those Run handed on (+) differ:\n%s", d)
				}
				sum.RunID, sum.Scope, sum.Open = 0, nil, nil
				if d := cmp.Diff(out.Summary, sum); d != "" {
					t.Errorf("summary: Match (-) and Run (+) differ:\n%s", d)
				}
			})
		}
	}
}
