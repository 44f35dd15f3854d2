package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reconkit/reconkit/recon"
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

// benchLoad times load on a fresh, empty database file per iteration and
// reports rows per second.
func benchLoad(b *testing.B, n int, load func(ctx context.Context, db *DB) error) {
	ctx := context.Background()
	iters := 0
	for b.Loop() {
		b.StopTimer()
		db, err := Open(ctx, fmt.Sprintf("%s/bench%d.db", b.TempDir(), iters))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := load(ctx, db); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
		iters++
	}
	b.ReportMetric(float64(n*iters)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkUpsertOrders(b *testing.B) {
	rows := benchOrders(benchRows)
	benchLoad(b, len(rows), func(ctx context.Context, db *DB) error {
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
	benchLoad(b, len(rows), func(ctx context.Context, db *DB) error {
		b.StopTimer()
		if _, err := db.UpsertOrders(ctx, rows); err != nil {
			return err
		}
		b.StartTimer()
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
	benchLoad(b, len(rows), func(ctx context.Context, db *DB) error {
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
	rows := benchWebhooks(benchRows)
	benchLoad(b, len(rows), func(ctx context.Context, db *DB) error {
		_, err := db.InsertWebhookEvents(ctx, rows)
		return err
	})
}

func BenchmarkInsertLedgerEntries(b *testing.B) {
	rows := benchLedger(benchRows)
	benchLoad(b, len(rows), func(ctx context.Context, db *DB) error {
		_, err := db.InsertLedgerEntries(ctx, rows)
		return err
	})
}
