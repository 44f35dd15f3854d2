package match

import (
	"runtime/debug"
	"sync"
)

// matchGCPercent is the collector's target through a match run: while
// the store is read, the engine's rows grow to the live heap (about 320
// MiB at a million orders, after matching) amid the garbage of scanning;
// while the results are written, each row bound for the store leaves its
// values boxed for database/sql. With Go's default of 100 the heap grows
// to twice the live data before a collection; at 35 the peak stays near
// the live data for no measurable time, while lower targets cost CPU
// (docs/performance.md, "Figures behind the code").
const matchGCPercent = 35

var gcTight struct {
	sync.Mutex
	users int
	prev  int
}

// tightenGC lowers the collector's target to percent until the returned
// func is called; runs that overlap share one lowering. A process that
// already runs a lower target, or none (GOGC=off), is left as it is, and
// a GOMEMLIMIT applies either way.
func tightenGC(percent int) (restore func()) {
	gcTight.Lock()
	defer gcTight.Unlock()
	if gcTight.users == 0 {
		gcTight.prev = debug.SetGCPercent(percent)
		if gcTight.prev < percent { // lower already, or off (-1)
			debug.SetGCPercent(gcTight.prev)
		}
	}
	gcTight.users++
	return func() {
		gcTight.Lock()
		defer gcTight.Unlock()
		if gcTight.users--; gcTight.users == 0 {
			debug.SetGCPercent(gcTight.prev)
		}
	}
}
