package reports

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"recon-2026-11-08.xlsx", "exceptions-2026-11-08.csv", ".keep", // kept
		".recon-2026-11-09.xlsx.tmp-123", ".exceptions-2026-11-09.csv.tmp-9", ".reconkit-sheet-42.deflate", // stale
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, err := RemoveStaleTemps(dir)
	if err != nil || n != 3 {
		t.Fatalf("got %d, %v; want 3 removed", n, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	slices.Sort(left)
	if d := cmp.Diff([]string{".keep", "exceptions-2026-11-08.csv", "recon-2026-11-08.xlsx"}, left); d != "" {
		t.Errorf("left (-want +got):\n%s", d)
	}
	if n, err := RemoveStaleTemps(filepath.Join(dir, "missing")); n != 0 || err != nil {
		t.Errorf("missing dir: %d, %v", n, err)
	}
}
