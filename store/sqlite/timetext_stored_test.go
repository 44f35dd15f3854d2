package sqlite

import (
	"context"
	"testing"
	"time"
)

// TestStoredTimesAreUTCText checks the stored form itself, which SQL in
// later phases compares as text.
func TestStoredTimesAreUTCText(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	o := sampleOrders(1)
	o[0].CreatedAt = time.Date(2024, 3, 1, 6, 0, 0, 500, jakarta)
	if _, err := db.UpsertOrders(ctx, o); err != nil {
		t.Fatalf("UpsertOrders: %v", err)
	}
	var got string
	if err := db.X().Get(&got, `SELECT CAST(created_at AS TEXT) FROM orders`); err != nil {
		t.Fatalf("read created_at: %v", err)
	}
	if want := "2024-02-29 23:00:00.0000005+00:00"; got != want {
		t.Errorf("stored created_at: got %q, want %q", got, want)
	}
}
