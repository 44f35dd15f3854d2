package reports

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
)

// The full-size figures (1,000,000 matched sales, 100,000 refunds and
// 50,000 exceptions) come from
//
//	go test ./reports -run '^$' -bench BenchmarkWorkbook -benchtime 1x \
//	    -bench.rows 1000000 -bench.exceptions 50000 -bench.dbdir /tmp
//
// which builds the store once in -bench.dbdir (about half a minute) and
// reuses it. On the 2-core build machine, otherwise idle: 10.9 s,
// 16.5 s of CPU, peak Go heap 100 MiB (26 MiB with 1,000 exceptions,
// whatever the number of results), peak RSS 327 MiB (SQLite's page
// caches included), a 164 MiB file. With other jobs on the machine the
// wall time rose to 15 s for the same CPU time.
var (
	benchRows       = flag.Int("bench.rows", 20_000, "matched sales (plus a tenth as many refunds) in BenchmarkWorkbook's run")
	benchExceptions = flag.Int("bench.exceptions", 1_000, "exceptions in BenchmarkWorkbook's run")
	benchDBDir      = flag.String("bench.dbdir", "", "keep BenchmarkWorkbook's database in this directory and reuse it; empty: a temporary one")
	benchOut        = flag.String("bench.out", "", "write BenchmarkWorkbook's workbook to this file; empty: a temporary one")
)

// BenchmarkWorkbook writes the workbook of a synthetic run read from a
// store: every sale has a payment link (with a URL, so every row gets a
// link) and a ledger line, a tenth of them a refund too, and the
// exceptions spread over every category in IDR and SGD. It reports rows
// per second, the peak Go heap while writing and the process's peak
// resident memory (which includes SQLite's page cache and the setup).
func BenchmarkWorkbook(b *testing.B) {
	db, run := benchStore(b, *benchRows, *benchExceptions)
	out := *benchOut
	if out == "" {
		out = filepath.Join(b.TempDir(), "recon.xlsx")
	}
	ctx := context.Background()
	phases := map[string]time.Duration{}
	tracePhase = func(phase string, took time.Duration) { phases[phase] += took }
	defer func() { tracePhase = nil }()
	cpu0 := cpuTime()
	b.ResetTimer()
	var peak uint64
	for range b.N {
		stop := samplePeakHeap(&peak)
		err := WriteWorkbook(ctx, db, run, WorkbookOptions{Path: out, Zone: benchZone})
		stop()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	for phase, took := range phases {
		b.Logf("%s: %v", phase, took/time.Duration(b.N))
	}
	rows := float64(*benchRows + *benchRows/10 + *benchExceptions)
	b.ReportMetric(rows*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB")
	}
	if st, err := os.Stat(out); err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
	}
}

var benchZone = time.FixedZone("WIB", 7*3600)

// cpuTime is the process's user plus system CPU time so far: the work
// done, whatever else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// samplePeakHeap records the largest heap seen (live and unswept alike)
// until the returned stop is called.
func samplePeakHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64() + s[1].Value.Uint64(); v > *peak {
				*peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// benchStore returns a store holding a synthetic run, built once per
// directory and size.
func benchStore(b *testing.B, sales, exceptions int) (*sqlite.DB, int64) {
	b.Helper()
	dir := *benchDBDir
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("reconkit-report-bench-%d-%d.db", sales, exceptions))
	done := path + ".done"
	ctx := context.Background()
	if _, err := os.Stat(done); err != nil {
		os.Remove(path)
		db, err := sqlite.Open(ctx, path, store.DefaultMerchant)
		if err != nil {
			b.Fatal(err)
		}
		if err := synthesize(ctx, db, sales, exceptions); err != nil {
			b.Fatal(err)
		}
		db.Close()
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	db, err := sqlite.Open(ctx, path, store.DefaultMerchant)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, 1
}

// synthesize writes run 1 straight into the store in chunks, so that
// setting up a million rows neither takes the whole pipeline's time nor
// holds them all in memory.
func synthesize(ctx context.Context, db *sqlite.DB, sales, exceptions int) error {
	run, err := db.StartRun(ctx, recon.Run{Command: "match", BusinessDate: "2024-03-14",
		StartedAt: time.Date(2024, 3, 15, 6, 0, 0, 0, time.UTC)})
	if err != nil {
		return err
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		return err
	}
	defer load.Rollback()
	const chunk = 20_000
	base := time.Date(2024, 3, 14, 2, 0, 0, 0, time.UTC)
	booked := time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)
	links := make([]recon.PaymentLink, 0, chunk)
	lines := make([]recon.LedgerEntry, 0, chunk)
	results := make([]recon.MatchResult, 0, chunk)
	flush := func() error {
		if _, err := load.PaymentLinks(links); err != nil {
			return err
		}
		if _, err := load.LedgerEntries(lines); err != nil {
			return err
		}
		if _, err := load.MatchResults(run, results); err != nil {
			return err
		}
		links, lines, results = links[:0], lines[:0], results[:0]
		return nil
	}
	total := sales + sales/10
	for i := range total {
		cur, amount := "IDR", int64(150_000+i%5000)*100
		if i%7 == 0 {
			cur, amount = "SGD", int64(1_000+i%900)
		}
		order := fmt.Sprintf("ord_%08d", i)
		link := fmt.Sprintf("plk_%08d", i)
		txn := fmt.Sprint(10_000_000 + i)
		paid := base.Add(time.Duration(i) * time.Second)
		kind, ledger := match.KindSale, amount
		r := recon.MatchResult{Kind: kind, OrderUID: order, PaymentLinkUID: link, OxpayTxnID: txn, MerchantReferenceID: order,
			LedgerEntryID: int64(i + 1), WebhookEventID: 0, State: "success", Source: match.SourceAPI, Currency: cur,
			OrderMinor: amount, GatewayMinor: amount, PaidAt: &paid, Clean: i%97 != 0}
		if i >= sales { // refunds of earlier sales
			r.Kind, r.State, r.OriginalTxnID, ledger = match.KindRefund, "refunded", fmt.Sprint(10_000_000+i-sales), -amount
		} else {
			links = append(links, recon.PaymentLink{UID: link, OrderUID: order, Status: "paid",
				PaymentURL: "https://pay.example.com/l/" + link, Currency: cur, AmountMinor: amount, PaidAt: &paid,
				CreatedAt: base, UpdatedAt: base, Raw: "{}"})
		}
		lines = append(lines, recon.LedgerEntry{BookedOn: booked, Reference: txn, Description: "settlement " + txn, TxnType: "SALE",
			Currency: cur, AmountMinor: ledger, RowHash: fmt.Sprintf("h%d", i), SourceFile: "ledger.csv", Sheet: "", SourceLine: i + 2, Raw: "[]"})
		results = append(results, r)
		if len(results) == chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	es := make([]recon.Exception, 0, exceptions)
	for i := range exceptions {
		info := recon.Categories[i%len(recon.Categories)]
		cur := "IDR"
		if i%5 == 0 {
			cur = "SGD"
		}
		if info.Code == recon.InputErrorCategory {
			cur = ""
		}
		es = append(es, recon.Exception{Category: info.Code, Severity: info.Severity,
			OrderUID: fmt.Sprintf("ord_%08d", i), PaymentLinkUID: fmt.Sprintf("plk_%08d", i), OxpayTxnID: fmt.Sprint(20_000_000 + i),
			MerchantReferenceID: fmt.Sprintf("ord_%08d", i), Currency: cur, ExpectedMinor: 100_000, ActualMinor: 90_000, DifferenceMinor: -10_000,
			Detail: "synthetic finding " + fmt.Sprint(i) + ": the amounts differ by 100.00", LedgerEntryIDs: recon.IDList{int64(i + 1)}})
	}
	match.SortExceptions(es)
	if _, err := load.Exceptions(run, es); err != nil {
		return err
	}
	if err := load.Commit(); err != nil {
		return err
	}
	return db.FinishRun(ctx, run, recon.RunOK, "", "{}", "[]")
}

// BenchmarkExports writes the exceptions exports of a month of open
// breaks: 120,000 exceptions (the thirtieth night's of bench/nights.sh),
// first seen on thirty dates.
func BenchmarkExports(b *testing.B) {
	const n = 120_000
	es := make([]recon.Exception, n)
	first := map[string]string{}
	for i := range es {
		es[i] = recon.Exception{Category: recon.AmountMismatch, Severity: "high", OrderUID: fmt.Sprintf("ORD-%08d", i),
			OxpayTxnID: fmt.Sprintf("%08d", 10000000+i), MerchantReferenceID: fmt.Sprintf("ORD-%08d", i), Currency: "IDR",
			ExpectedMinor: 100000, ActualMinor: 99000, DifferenceMinor: -1000, Detail: "order total 1,000.00 IDR, gateway 990.00 IDR",
			WebhookEventIDs: recon.IDList{int64(i)}, LedgerEntryIDs: recon.IDList{int64(i)}}
		first[recon.ExceptionKey(&es[i])] = time.Date(2026, 11, 1+i%30, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	match.SortExceptions(es)
	a := Annotations{Date: "2026-12-17", FirstSeen: first}
	for _, c := range []struct {
		name  string
		write func(io.Writer, []recon.Exception, Annotations) error
	}{{"csv", WriteExceptionsCSV}, {"json", WriteExceptionsJSON}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := c.write(io.Discard, es, a); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/exception")
		})
	}
}
