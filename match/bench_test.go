package match

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
)

// BenchmarkMatch logs each phase's wall and CPU time (read, match,
// write, commit) beside the peak heap; docs/performance.md keeps the
// figures and what they were measured against ("The match at 1M" and the
// session sections). To measure 1M (the database is kept in the
// directory and reused):
//
//	go test ./match -run '^$' -bench 'BenchmarkMatch$' -benchtime 1x -bench.orders 1000000 -bench.dbdir /tmp
var (
	benchOrders = flag.Int("bench.orders", 100_000, "orders in the world BenchmarkMatch reconciles")
	benchDBDir  = flag.String("bench.dbdir", "", "keep BenchmarkMatch's database (and answer key) in this directory and reuse it; empty: a temporary one")
)

// benchStore returns a database holding a generated world of n orders
// and the world's answer key, built once per directory and size.
func benchStore(b *testing.B, n int) (*sqlite.DB, []keyRow, *time.Location) {
	b.Helper()
	dir := *benchDBDir
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("reconkit-match-bench-%d.db", n))
	keyPath := path + ".expected.csv"
	opts := gen.Options{Seed: 1, Orders: n}
	zone := mustZone(b)
	if _, err := os.Stat(keyPath); err != nil {
		os.Remove(path)
		ds, err := gen.Generate(opts)
		if err != nil {
			b.Fatal(err)
		}
		db := buildStore(b, ds, path, confirmedTxns)
		writeTo(b, keyPath, ds.WriteExpected)
		db.Close()
	}
	db, err := sqlite.Open(context.Background(), path, store.DefaultMerchant)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	f, err := os.Open(keyPath)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	want := readKeyCSV(b, f)
	return db, want, zone
}

func mustZone(tb testing.TB) *time.Location {
	ds, err := gen.Generate(gen.Options{Seed: 1, Orders: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return ds.Options.Zone
}

// peakHeap samples the heap (live objects and garbage not yet swept
// alike, what runtime.MemStats calls HeapAlloc) while a measured step
// runs. runtime/metrics reads it without stopping the world, which
// ReadMemStats would do every few milliseconds.
type peakHeap struct {
	stop chan struct{}
	done sync.WaitGroup
	max  atomic.Uint64 // read by the phase log while sampling goes on
}

func startPeakHeap() *peakHeap {
	runtime.GC()
	p := &peakHeap{stop: make(chan struct{})}
	p.done.Go(func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > p.max.Load() {
				p.max.Store(v)
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	})
	return p
}

func (p *peakHeap) end() uint64 {
	close(p.stop)
	p.done.Wait()
	return p.max.Load()
}

// BenchmarkMatch reconciles a generated world (100k orders unless
// -bench.orders says otherwise) from the store into the store, as the
// match command does, and reports orders/s and the peak live heap. The
// first iteration's exceptions are held to the answer key.
func BenchmarkMatch(b *testing.B) {
	ctx := context.Background()
	n := *benchOrders
	db, want, zone := benchStore(b, n)
	opts := DefaultOptions()
	opts.Zone = zone
	var peak uint64
	var cpu time.Duration
	checked := false
	lastCPU := cpuTime()
	var p *peakHeap
	tracePhase = func(phase string, took time.Duration) {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
		metrics.Read(sample)
		c := cpuTime()
		b.Logf("%-6s %-8v cpu %-8v heap %4d MiB (peak so far %4d MiB), %d GCs so far", phase, took.Round(time.Millisecond),
			(c - lastCPU).Round(time.Millisecond), sample[0].Value.Uint64()>>20, p.max.Load()>>20, sample[1].Value.Uint64())
		lastCPU = c
	}
	defer func() { tracePhase = nil }()
	for b.Loop() {
		b.StopTimer()
		run, err := db.StartRun(ctx, recon.Run{Command: "match"})
		if err != nil {
			b.Fatal(err)
		}
		p = startPeakHeap()
		c := cpuTime()
		lastCPU = c
		b.StartTimer()
		sum, err := Run(ctx, db, run, opts)
		b.StopTimer()
		cpu += cpuTime() - c
		peak = max(peak, p.end())
		if err != nil {
			b.Fatal(err)
		}
		if !checked {
			got, err := db.Exceptions(ctx, run)
			if err != nil {
				b.Fatal(err)
			}
			if p, r, diff := compareKeys(want, exceptionRows(got)); diff != "" {
				b.Fatalf("precision %.5f, recall %.5f against the answer key:\n%s", p, r, diff)
			}
			b.Logf("%d orders: %d results, %d matched, %d exceptions; precision and recall 1", n, sum.Results, sum.Matched, sum.Exceptions)
			checked = true
		}
		if err := db.DeleteRunResults(ctx, run); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	// Includes building the world when the database is new.
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkMatchCore times the in-memory engine alone over recon rows.
func BenchmarkMatchCore(b *testing.B) {
	ds, err := gen.Generate(gen.Options{Seed: 1, Orders: min(*benchOrders, 100_000)})
	if err != nil {
		b.Fatal(err)
	}
	in := inputOf(b, ds)
	opts := DefaultOptions()
	opts.Zone = ds.Options.Zone
	for b.Loop() {
		if _, err := Match(in, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ds.Orders))*float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}
