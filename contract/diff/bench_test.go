package diff

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// peakHeap runs fn while sampling the live heap every few milliseconds and
// returns the highest HeapAlloc seen, in MiB.
func peakHeap(fn func()) float64 {
	runtime.GC()
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return float64(peak) / (1 << 20)
}

// BenchmarkDiffStripe compares the 3 MB Stripe spec with a copy in which
// one property of the widely used customer schema changed type. Target:
// under 2 s and 300 MiB of heap.
func BenchmarkDiffStripe(b *testing.B) {
	old, nw := editStripe(b)
	var worst float64
	for b.Loop() {
		p := peakHeap(func() {
			rep, err := Run(context.Background(), Options{Old: old, New: nw, OldName: "old", NewName: "new"})
			if err != nil {
				b.Fatal(err)
			}
			if len(rep.Findings) != 1 {
				b.Fatalf("got %d findings, want 1", len(rep.Findings))
			}
		})
		worst = max(worst, p)
	}
	b.ReportMetric(worst, "peak-heap-MiB")
}
