package match

import (
	"runtime/debug"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/wire"
)

func TestTightenGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)

	for _, tc := range []struct {
		name       string
		start      int
		during     int
		overlapped bool
	}{
		{"lowers the default", 100, 50, false},
		{"overlapping runs restore once", 100, 50, true},
		{"keeps a lower target", 20, 20, false},
		{"keeps the collector off", -1, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(tc.start)
			restore := tightenGC(50)
			if tc.overlapped {
				second := tightenGC(50)
				second()
				if got := gcPercent(); got != tc.during {
					t.Fatalf("after the first of two overlapping runs ended: GC percent %d, want %d", got, tc.during)
				}
			}
			if got := gcPercent(); got != tc.during {
				t.Fatalf("during: GC percent %d, want %d", got, tc.during)
			}
			restore()
			if got := gcPercent(); got != tc.start {
				t.Fatalf("after: GC percent %d, want %d", got, tc.start)
			}
		})
	}
}

// gcPercent reads the collector's target, which Go only returns from a
// change.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// TestRunTightensGCThroughout: a match run holds the collector at
// matchGCPercent while it reads the store as well as while it writes
// the results, and gives the process its own target back at the end.
func TestRunTightensGCThroughout(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	var f fixture
	f.paidOrder(1)
	f.sale("10000001", "ORD-1", wire.StateSuccess, "IDR", 1000)
	db, _ := storeOf(t, f.in)
	seen := map[string]int{}
	tracePhase = func(phase string, _ time.Duration) { seen[phase] = gcPercent() }
	defer func() { tracePhase = nil }()
	runStore(t, db, Options{})
	want := map[string]int{"read": matchGCPercent, "match": matchGCPercent, "write": matchGCPercent, "commit": matchGCPercent}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("GC percent at the end of each phase (-want +got):\n%s", diff)
	}
	if got := gcPercent(); got != 100 {
		t.Errorf("after the run: GC percent %d, want the process's 100", got)
	}
}
