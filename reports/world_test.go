package reports

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/reconkit/reconkit/sandbox/gen"
)

func TestWorldSmoke(t *testing.T) {
	db, run, zone := worldStore(t, gen.Options{Seed: 1, Orders: 2000})
	out := filepath.Join(t.TempDir(), "r.xlsx")
	if d := os.Getenv("KEEP"); d != "" {
		out = filepath.Join(d, "world.xlsx")
	}
	err := WriteWorkbook(context.Background(), db, run, WorkbookOptions{Path: out, Zone: zone, Now: func() time.Time { return time.Date(2024, 3, 15, 1, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
}
