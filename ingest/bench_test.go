package ingest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store/sqlite"
)

// heapSink discards rows but samples the live heap once per batch, so a
// benchmark can report the peak: it must not grow with the file.
type heapSink struct{ peak uint64 }

func (h *heapSink) sample() error {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.peak = max(h.peak, m.HeapAlloc)
	return nil
}

func (h *heapSink) Webhooks([]recon.WebhookEvent) error  { return h.sample() }
func (h *heapSink) Ledger([]recon.LedgerEntry) error     { return h.sample() }
func (h *heapSink) InputErrors([]recon.InputError) error { return h.sample() }

// cpuTime is the process's user and system CPU time so far. Reported per
// line beside the wall-clock rate, it shows the cost of the work itself
// on a machine whose other tenants take a share of its two cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchFile(b *testing.B, name string, n int, line func(i int) string) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range n {
		w.WriteString(line(i))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path
}

func BenchmarkReadWebhookLog(b *testing.B) {
	for _, n := range []int{50_000, 200_000} {
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			path := benchFile(b, "hooks.jsonl", n, func(i int) string {
				p := testNotification{
					txn: fmt.Sprintf("1%09d", i), ref: fmt.Sprintf("LNK-%08d", i), host: fmt.Sprintf("H-%08d", i),
					state: "sale", currency: "SGD", amount: int64(100 + i),
				}.payload()
				return signedLine("2024-01-11T07:13:16Z", p)
			})
			info, _ := os.Stat(path)
			b.SetBytes(info.Size())
			sink := &heapSink{}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for b.Loop() {
				res, err := ReadWebhookLog(context.Background(), path, WebhookOptions{SignKey: testKey}, sink)
				if err != nil || res.Rows != n {
					b.Fatalf("got %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(n*b.N), "cpu-ns/line")
			b.ReportMetric(float64(sink.peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// BenchmarkReadLedgerCSV reads an export with each row counter: the
// default one in memory, whose heap grows with the distinct rows, and
// the store's in a temporary file, with which the reader's heap is flat.
func BenchmarkReadLedgerCSV(b *testing.B) {
	counters := []struct {
		name string
		new  func() (RowCounter, error)
	}{
		{"memory", nil},
		{"store", func() (RowCounter, error) { return sqlite.NewRowCounter(context.Background()) }},
	}
	for _, n := range []int{50_000, 200_000} {
		// In the parent's directory: both counters read the same file.
		path := benchFile(b, fmt.Sprintf("ledger%d.csv", n), n+1, func(i int) string {
			if i == 0 {
				return "Date,Reference,Description,Debit,Credit,Currency"
			}
			amount := money.FormatAmount(int64(i)*1234567, 2, money.Comma)
			if i%5 == 0 {
				return fmt.Sprintf("%02d/01/2024,FEE-%08d,Gateway fee,\"%s\",,IDR", 1+i%28, i, amount)
			}
			return fmt.Sprintf("%02d/01/2024,LNK-%08d,OxPay settlement %d,,\"%s\",IDR", 1+i%28, i, 10000000+i, amount)
		})
		for _, c := range counters {
			b.Run(fmt.Sprintf("rows=%d/counter=%s", n, c.name), func(b *testing.B) {
				info, _ := os.Stat(path)
				b.SetBytes(info.Size())
				opts := SandboxLedgerOptions()
				opts.NewRowCounter = c.new
				sink := &heapSink{}
				runtime.GC() // the peak is of this reader, not of garbage left by the last
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuTime()
				for b.Loop() {
					res, err := ReadLedger(context.Background(), path, opts, sink)
					if err != nil || res.Rows != n {
						b.Fatalf("got %+v, %v", res, err)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(n*b.N), "cpu-ns/row")
				b.ReportMetric(float64(sink.peak)/(1<<20), "peak-heap-MB")
			})
		}
	}
}

func BenchmarkParseWebhookLine(b *testing.B) {
	line := []byte(signedLine("2024-01-11T07:13:16Z", samplePayment.payload()))
	p := &webhookParser{file: "bench.jsonl", signKey: testKey, units: recon.DefaultUnits(), maxLine: DefaultMaxLineBytes}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		var ev recon.WebhookEvent
		if bad := p.parse(&ev, line, 1); bad != nil {
			b.Fatal(bad.reason)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/line")
}
