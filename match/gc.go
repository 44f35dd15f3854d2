package match

import (
	"runtime/debug"
	"sync"
)

// writeGCPercent is the collector's target while the results are
// written. By then the engine's rows are the live heap (about 480 MiB at
// a million orders), and each result row bound for the store leaves
// garbage behind (its values boxed for database/sql): with Go's default
// of 100 the heap grew to twice the live rows before a collection, and
// the write held the peak of the whole run. At 50, BenchmarkMatch at 1M
// peaked at 620-670 MiB of heap instead of 720-770 (RSS 700 instead of
// 820-880 MiB) for 0.3-0.4 s more wall time.
const writeGCPercent = 50

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
