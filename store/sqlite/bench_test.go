package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/reconkit/reconkit/recon"

	"github.com/reconkit/reconkit/store"
)

const benchRows = 100_000

// benchOrders are shaped like the sandbox's: a uid, two times, and a raw
// object of about 300 bytes.
func benchOrders(n int) []recon.Order {
	rs := make([]recon.Order, n)
	for i := range rs {
		uid := fmt.Sprintf("ord_01HV%012d", i)
		t := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
		rs[i] = recon.Order{
			UID: uid, Status: "paid", Currency: "IDR", AmountMinor: int64(100000 + i*100),
			CreatedAt: t, UpdatedAt: t.Add(time.Minute),
			Raw: fmt.Sprintf(`{"uid":"%s","status":"paid","currency":"IDR","total_amount":%d,"items":[{"sku":"SKU-%d","name":"Item %d","quantity":1,"price":%d}],"created_at":"%s","updated_at":"%s"}`,
				uid, 1000+i, i%500, i%500, 1000+i, t.Format(time.RFC3339), t.Add(time.Minute).Format(time.RFC3339)),
		}
	}
	return rs
}

func benchWebhooks(n int) []recon.WebhookEvent {
	rs := sampleWebhooks(n)
	for i := range rs {
		rs[i].DedupKey = fmt.Sprintf("%064x", i)
		rs[i].DeliveryKey = fmt.Sprintf("%064x", i*7919)
		rs[i].Raw = fmt.Sprintf(`{"headers":{"status_code":200,"status_message":"OK","gateway_response_datetime":"2024-03-02T09:30:00Z"},"body":{"oxpay_txn_id":"%s","merchant_reference_id":"%s","state":"captured","amount":{"value":%d,"currency":"IDR"}}}`,
			rs[i].OxpayTxnID, rs[i].MerchantReferenceID, rs[i].AmountMinor)
	}
	return rs
}

func benchLedger(n int) []recon.LedgerEntry {
	rs := sampleLedger(n)
	for i := range rs {
		rs[i].RowHash = fmt.Sprintf("%064x", i*7919)
	}
	return rs
}

// hashedKey is a key shaped like the ones ingest wrote before migration
// 0006: 128 bits of the SHA-256 of something in hex, so consecutive rows
// land at random places in the index.
func hashedKey(s string, i int) string { return fullHashedKey(s, i)[:32] }

// fullHashedKey is the whole SHA-256 in hex, the form keys had before
// migration 0005.
func fullHashedKey(s string, i int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s%d", s, i))
	return hex.EncodeToString(sum[:])
}

// stampedKey is a key shaped like the ones ingest writes now
// (ingest.keyLen): the time of row i of n, spread evenly over span and
// written with layout, then as much of a SHA-256 in hex as makes 32
// characters. Consecutive rows land near the end of the index, in random
// order among those with the same stamp.
func stampedKey(s string, i, n int, span time.Duration, layout string) string {
	at := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * span / time.Duration(n))
	return at.Format(layout) + fullHashedKey(s, i)[:32-len(layout)]
}

// The forms of unique key the insert benchmarks run with.
const (
	keysSequential = "sequential" // growing with the row number, as the figures in docs/performance.md have always used
	keysHashed     = "hashed"     // as ingest wrote them before migration 0006
	keysStamped    = "stamped"    // as ingest writes them now
)

// benchKeys runs bench once for each form of key.
func benchKeys(b *testing.B, bench func(b *testing.B, form string)) {
	for _, form := range []string{keysSequential, keysHashed, keysStamped} {
		b.Run("keys="+form, func(b *testing.B) { bench(b, form) })
	}
}

// cpuTime is the process's user and system CPU time so far. Per row,
// beside the wall-clock rate, it shows the cost of the load itself on a
// machine whose other tenants take a share of its two cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchLoad times load on a fresh database file per iteration, after
// setup (untimed, may be nil), and reports rows per second and CPU time
// per row. The load ends at its commit, which leaves its pages in the
// write-ahead log; closing the database copies them into the file, and
// that time is reported apart, as close-ns/row.
func benchLoad(b *testing.B, n int, setup, load func(ctx context.Context, db *DB) error) {
	ctx := context.Background()
	iters := 0
	var cpu, closing time.Duration
	for b.Loop() {
		b.StopTimer()
		db, err := Open(ctx, fmt.Sprintf("%s/bench%d.db", b.TempDir(), iters), store.DefaultMerchant)
		if err != nil {
			b.Fatal(err)
		}
		if setup != nil {
			if err := setup(ctx, db); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		c0 := cpuTime()
		if err := load(ctx, db); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		b.StopTimer()
		t0 := time.Now()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		closing += time.Since(t0)
		b.StartTimer()
		iters++
	}
	b.ReportMetric(float64(n*iters)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cpu)/float64(n*iters), "cpu-ns/row")
	b.ReportMetric(float64(closing)/float64(n*iters), "close-ns/row")
}

func BenchmarkUpsertOrders(b *testing.B) {
	rows := benchOrders(benchRows)
	benchLoad(b, len(rows), nil, func(ctx context.Context, db *DB) error {
		st, err := db.UpsertOrders(ctx, rows)
		if err == nil && st.Inserted != len(rows) {
			err = fmt.Errorf("inserted %d, want %d", st.Inserted, len(rows))
		}
		return err
	})
}

// BenchmarkUpsertOrdersUnchanged reloads the same orders: the cost of an
// idempotent refetch.
func BenchmarkUpsertOrdersUnchanged(b *testing.B) {
	rows := benchOrders(benchRows)
	setup := func(ctx context.Context, db *DB) error {
		_, err := db.UpsertOrders(ctx, rows)
		return err
	}
	benchLoad(b, len(rows), setup, func(ctx context.Context, db *DB) error {
		st, err := db.UpsertOrders(ctx, rows)
		if err == nil && st.Unchanged != len(rows) {
			err = fmt.Errorf("unchanged %d, want %d", st.Unchanged, len(rows))
		}
		return err
	})
}

// BenchmarkLoadOrdersBatched streams the orders through one Load in
// batches of 5,000, as an ingest does.
func BenchmarkLoadOrdersBatched(b *testing.B) {
	rows := benchOrders(benchRows)
	benchLoad(b, len(rows), nil, func(ctx context.Context, db *DB) error {
		l, err := db.BeginLoad(ctx)
		if err != nil {
			return err
		}
		defer l.Rollback()
		for i := 0; i < len(rows); i += 5000 {
			if _, err := l.Orders(rows[i:min(i+5000, len(rows))]); err != nil {
				return err
			}
		}
		return l.Commit()
	})
}

func BenchmarkInsertWebhookEvents(b *testing.B) {
	benchKeys(b, func(b *testing.B, form string) {
		rows := benchWebhooks(benchRows)
		for i := range rows {
			switch form {
			case keysHashed:
				rows[i].DedupKey, rows[i].DeliveryKey = hashedKey("dedup", i), hashedKey("delivery", i)
			case keysStamped:
				rows[i].DedupKey, rows[i].DeliveryKey = hashedKey("dedup", i), stampedKey("delivery", i, len(rows), 24*time.Hour, "20060102150405")
			}
		}
		benchLoad(b, len(rows), nil, func(ctx context.Context, db *DB) error {
			n, err := db.InsertWebhookEvents(ctx, rows)
			if err == nil && n != len(rows) {
				err = fmt.Errorf("inserted %d, want %d", n, len(rows))
			}
			return err
		})
	})
}

func BenchmarkInsertLedgerEntries(b *testing.B) {
	benchKeys(b, func(b *testing.B, form string) {
		rows := benchLedger(benchRows)
		for i := range rows {
			switch form {
			case keysHashed:
				rows[i].RowHash = hashedKey("row", i)
			case keysStamped:
				rows[i].RowHash = stampedKey("row", i, len(rows), 5*24*time.Hour, "20060102")
			}
		}
		benchLoad(b, len(rows), nil, func(ctx context.Context, db *DB) error {
			n, err := db.InsertLedgerEntries(ctx, rows)
			if err == nil && n != len(rows) {
				err = fmt.Errorf("inserted %d, want %d", n, len(rows))
			}
			return err
		})
	})
}

var benchCounterKeys = flag.Int("bench.counterkeys", 1_000_000, "distinct keys BenchmarkRowCounter counts (the smaller size has a quarter)")

// BenchmarkRowCounter counts distinct keys, as the ledger reader does
// for an export of as many rows, in memory (the default cap) and all in
// the file (memkeys=0, what a longer export's keys beyond the cap cost),
// and reports the process's peak RSS: run each in a process of its own
// (-bench 'RowCounter/keys=1000000/memkeys=0$') to see that the file's
// memory stops growing once its cache is full.
func BenchmarkRowCounter(b *testing.B) {
	for _, n := range []int{*benchCounterKeys / 4, *benchCounterKeys} {
		for _, memKeys := range []int{rowCounterMemKeys, 0} {
			b.Run(fmt.Sprintf("keys=%d/memkeys=%d", n, memKeys), func(b *testing.B) {
				keys, seen := make([]uint64, 5000), make([]uint32, 5000)
				var cpu time.Duration
				for b.Loop() {
					c := newRowCounter(context.Background(), memKeys)
					c0 := cpuTime()
					for i := 0; i < n; i += len(keys) {
						for j := range keys {
							keys[j] = uint64(i+j) * 0x9e3779b97f4a7c15 // distinct, spread
						}
						if err := c.Count(keys, seen); err != nil {
							b.Fatal(err)
						}
					}
					cpu += cpuTime() - c0
					c.Close()
				}
				var ru syscall.Rusage
				syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "keys/s")
				b.ReportMetric(float64(cpu)/float64(n*b.N), "cpu-ns/key")
				b.ReportMetric(float64(ru.Maxrss)/1024, "peak-rss-MB")
			})
		}
	}
}
