package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/storetest"
)

// openTest opens a fresh database file in the test's temp dir.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "recon.db"), store.DefaultMerchant)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var (
	jakarta            = storetest.Jakarta
	ts                 = storetest.TS
	tp                 = storetest.TP
	sampleOrders       = storetest.Orders
	sampleLinks        = storetest.Links
	sampleTransactions = storetest.Transactions
	sampleWebhooks     = storetest.Webhooks
	sampleLedger       = storetest.Ledger
)
