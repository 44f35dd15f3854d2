package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/postgres/pgtest"
	"github.com/reconkit/reconkit/store/storetest"
)

// benchRows is how many rows each load of the benchmarks writes, in
// ingest's batches of 5,000 (ingest.DefaultBatchSize).
const (
	benchRows  = 100_000
	benchBatch = 5_000
)

// hashedHooks are n webhook deliveries with keys as ingest makes them:
// the second received, then hash digits.
func hashedHooks(n int) []recon.WebhookEvent {
	hs := storetest.Webhooks(n)
	for i := range hs {
		hs[i].DeliveryKey = fmt.Sprintf("%s%018x", hs[i].ReceivedAt.UTC().Format("20060102150405"), uint64(i)*0x9e3779b97f4a7c15)
		hs[i].DedupKey = fmt.Sprintf("%064x", uint64(i)*0x9e3779b97f4a7c15)
	}
	return hs
}

// BenchmarkCopy is COPY alone: a load's rows of webhook deliveries copied
// into its temporary table, as a Load does before it moves them. It
// reports rows/s.
func BenchmarkCopy(b *testing.B) {
	ctx := context.Background()
	db := openAt(b, pgtest.URL(b), store.DefaultMerchant)
	hs := hashedHooks(benchRows)
	rows := make([][]any, len(hs))
	for i := range hs {
		r := &hs[i]
		rows[i] = append([]any{int64(i)}, r.ReceivedAt, t(r.Kind), t(r.OxpayTxnID), t(r.OriginalTxnID), t(r.MerchantReferenceID),
			t(r.HostTxnID), t(r.State), t(r.Currency), r.AmountMinor, r.RefundAmountMinor, int32(r.StatusCode), t(r.SigCheck),
			t(r.Signature), t(r.KeyFingerprint), t(r.DedupKey), t(r.DeliveryKey), t(r.Raw), t(r.SourceFile), int32(r.SourceLine))
	}
	for b.Loop() {
		l, err := db.beginLoad(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(rows); i += benchBatch {
			if err := l.copyBatch(&hookKind, rows[i:min(i+benchBatch, len(rows))]); err != nil {
				b.Fatal(err)
			}
		}
		l.Rollback()
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkLoad writes a load of each kind into an empty database, in
// ingest's batches: COPY, then the move into the table with its keys and
// indexes. It reports rows/s, and the server's share is in the wall
// clock (run it beside `top` to see it).
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	hooks := hashedHooks(benchRows)
	ledger := storetest.Ledger(benchRows)
	orders := storetest.Orders(benchRows)
	for _, tc := range []struct {
		name  string
		batch int
		load  func(l *Load, from, to int) error
	}{
		{"orders", benchBatch, func(l *Load, from, to int) error { _, err := l.Orders(orders[from:to]); return err }},
		// As a Xepeng pull loads them: a page of 100 at a time.
		{"orders/batch=100", 100, func(l *Load, from, to int) error { _, err := l.Orders(orders[from:to]); return err }},
		{"webhook_events", benchBatch, func(l *Load, from, to int) error { _, err := l.WebhookEvents(hooks[from:to]); return err }},
		{"ledger_entries", benchBatch, func(l *Load, from, to int) error { _, err := l.LedgerEntries(ledger[from:to]); return err }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var took time.Duration
			for b.Loop() {
				b.StopTimer()
				db := openAt(b, pgtest.URL(b), store.DefaultMerchant)
				b.StartTimer()
				start := time.Now()
				l, err := db.beginLoad(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < benchRows; i += tc.batch {
					if err := tc.load(l, i, min(i+tc.batch, benchRows)); err != nil {
						b.Fatal(err)
					}
				}
				if err := l.Commit(); err != nil {
					b.Fatal(err)
				}
				took += time.Since(start)
			}
			b.ReportMetric(float64(benchRows*b.N)/took.Seconds(), "rows/s")
		})
	}
}
