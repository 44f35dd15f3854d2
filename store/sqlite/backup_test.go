package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/store"
)

func TestBackupTo(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.UpsertOrders(ctx, sampleOrders(5)); err != nil {
		t.Fatalf("UpsertOrders: %v", err)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, []byte("an older backup"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := db.BackupTo(ctx, path); err != nil {
		t.Fatalf("BackupTo: %v", err)
	}
	// Later changes are not in the copy.
	if _, err := db.UpsertOrders(ctx, sampleOrders(8)); err != nil {
		t.Fatalf("UpsertOrders: %v", err)
	}
	b, err := Open(ctx, path, store.DefaultMerchant)
	if err != nil {
		t.Fatalf("Open backup: %v", err)
	}
	defer b.Close()
	got, err := b.Orders(ctx)
	if err != nil {
		t.Fatalf("Orders from backup: %v", err)
	}
	if diff := cmp.Diff(sampleOrders(5), got); diff != "" {
		t.Errorf("backup orders (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary copy left behind: stat err %v", err)
	}
}
