package match

import (
	"runtime/debug"
	"testing"
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
