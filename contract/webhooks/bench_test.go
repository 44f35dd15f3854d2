package webhooks

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"
)

var benchLines = flag.Int("bench.lines", 20_000, "lines of the larger log BenchmarkWebhooks reads (the smaller has a tenth)")

// repeatLog reads base over and over without holding more than base, and
// samples the heap as it goes: a log of any size at no memory cost to
// the benchmark itself.
type repeatLog struct {
	base     []byte
	left     int // repetitions still to hand out after the current one
	off      int
	read     int64
	nextPeek int64
	peakHeap uint64 // HeapAlloc: live data plus garbage not yet collected
	peakLive uint64 // the heap the last GC found live
	sample   []metrics.Sample
}

func (r *repeatLog) Read(p []byte) (int, error) {
	if r.off == len(r.base) {
		if r.left == 0 {
			return 0, io.EOF
		}
		r.left--
		r.off = 0
	}
	n := copy(p, r.base[r.off:])
	r.off += n
	r.read += int64(n)
	if r.read >= r.nextPeek {
		// ReadMemStats stops the world; every 256 KiB is often enough to
		// see a heap that grows with the log.
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		r.peakHeap = max(r.peakHeap, ms.HeapAlloc)
		if r.sample == nil {
			r.sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		}
		metrics.Read(r.sample)
		if r.sample[0].Value.Kind() == metrics.KindUint64 {
			r.peakLive = max(r.peakLive, r.sample[0].Value.Uint64())
		}
		r.nextPeek = r.read + 256<<10
	}
	return n, nil
}

// cpuTime is the process's user and system CPU time so far. Reported per
// line beside the wall-clock rate, it shows the cost of the work itself
// on a machine whose other tenants take a share of its two cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkWebhooks checks a clean sandbox log (signatures verified) and
// the drifted log (every delivery walks every kind's schema), each at
// -bench.lines and a tenth of it, and reports lines/s, CPU per line, the
// peak live heap (as the last GC found it) and peak HeapAlloc (garbage
// included, so it follows GC pacing more than the work) seen while
// reading, and the heap still held after (the Checker's tallies, and
// the drift walker's views of the spec, which package contract caches).
// The live and retained figures stay flat from the smaller size to the
// larger: memory is bounded by the distinct findings, not by the log. The
// full-size figures in docs/contract-diff-lint.md come from
// -bench.lines=200000. Lines are checked on GOMAXPROCS goroutines; -cpu 1
// measures one.
func BenchmarkWebhooks(b *testing.B) {
	logs := []struct {
		name string
		base []byte
	}{{"clean", cleanLog(b, 2000)}, {"drifted", driftedLog()}}
	for _, l := range logs {
		for _, lines := range []int{*benchLines / 10, *benchLines} {
			b.Run(fmt.Sprintf("%s/lines=%d", l.name, lines), func(b *testing.B) {
				baseLines := countLines(l.base)
				reps := max(1, lines/baseLines)
				var peak, live, retained uint64
				cpu0 := cpuTime()
				for range b.N {
					c := newChecker(b, oxpaySpec, Options{SignKey: signKey})
					before := heapAlloc()
					r := &repeatLog{base: l.base, left: reps - 1}
					if err := c.ReadLog(context.Background(), "bench.jsonl", r); err != nil {
						b.Fatal(err)
					}
					peak = max(peak, r.peakHeap)
					live = max(live, r.peakLive)
					if after := heapAlloc(); after > before {
						retained = max(retained, after-before)
					}
					runtime.KeepAlive(c)
				}
				n := float64(reps * baseLines * b.N)
				b.ReportMetric(n/b.Elapsed().Seconds(), "lines/s")
				b.ReportMetric(float64(cpuTime()-cpu0)/n, "cpu-ns/line")
				b.ReportMetric(float64(live)/(1<<20), "peak-live-MB")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(retained)/(1<<10), "retained-KB")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}
