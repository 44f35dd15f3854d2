package job

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
)

var quiet = slog.New(slog.DiscardHandler)

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "recon.db"), store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// ledgerFile writes an export of the given data rows.
func ledgerFile(t *testing.T, name string, rows ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	data := "Date,Reference,Description,Debit,Credit,Currency\n" + strings.Join(rows, "\n") + "\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func refs(t *testing.T, db *sqlite.DB) []string {
	t.Helper()
	es, err := db.LedgerEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s@%s:%d", e.Reference, filepath.Base(e.SourceFile), e.SourceLine))
	}
	return out
}

// TestIngestLedgerRepeatedRows ingests through the writer goroutine and
// the store's row counter, in batches smaller than the files: a row
// booked twice in one file is kept twice, the same file again adds
// nothing, and an overlapping export adds only what it has more of.
func TestIngestLedgerRepeatedRows(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	opts := ingest.SandboxLedgerOptions()
	opts.BatchSize = 2
	row := func(ref string) string { return `15/01/2024,` + ref + `,,,"1,00",IDR` }

	first := ledgerFile(t, "first.csv", row("A"), row("B"), row("C"), row("B"), row("D"))
	res, err := IngestLedger(ctx, db, []string{first}, opts, false, quiet)
	if err != nil {
		t.Fatalf("IngestLedger: %v", err)
	}
	if res.Rows != 5 || res.Added != 5 || len(res.Skipped) != 0 {
		t.Errorf("first: got %d rows, %d added, skipped %v; want 5, 5, none", res.Rows, res.Added, res.Skipped)
	}

	// The same file, and an overlapping export with B three times and a
	// new E: only the third B and E are new.
	overlap := ledgerFile(t, "overlap.csv", row("B"), row("B"), row("E"), row("B"))
	res, err = IngestLedger(ctx, db, []string{first, overlap}, opts, false, quiet)
	if err != nil {
		t.Fatalf("IngestLedger again: %v", err)
	}
	if res.Rows != 9 || res.Added != 2 || len(res.Skipped) != 1 || res.Skipped[0] != first {
		t.Errorf("again: got %d rows, %d added, skipped %v; want 9, 2, [%s]", res.Rows, res.Added, res.Skipped, first)
	}
	want := []string{"A@first.csv:2", "B@first.csv:3", "C@first.csv:4", "B@first.csv:5", "D@first.csv:6", "E@overlap.csv:4", "B@overlap.csv:5"}
	if diff := cmp.Diff(want, refs(t, db)); diff != "" {
		t.Errorf("stored rows (-want +got):\n%s", diff)
	}
	files, err := db.InputFiles(ctx)
	if err != nil || len(files) != 2 {
		t.Fatalf("input files: got %+v, %v; want first and overlap", files, err)
	}
}

// TestIngestWriteFailure fails a write while the reader is still going:
// the error is the write's own, naming its row, and nothing is stored.
func TestIngestWriteFailure(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	if _, err := db.X().Exec(`CREATE TRIGGER boom BEFORE INSERT ON ledger_entries WHEN NEW.reference = 'BOOM'
BEGIN SELECT RAISE(FAIL, 'boom refused'); END`); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for i := range 40 {
		ref := fmt.Sprintf("R%d", i)
		if i == 7 {
			ref = "BOOM"
		}
		rows = append(rows, `15/01/2024,`+ref+`,,,"1,00",IDR`)
	}
	path := ledgerFile(t, "ledger.csv", rows...)
	opts := ingest.SandboxLedgerOptions()
	opts.BatchSize = 3
	_, err := IngestLedger(ctx, db, []string{path, path}, opts, false, quiet)
	if err == nil || !strings.Contains(err.Error(), "boom refused") || !strings.Contains(err.Error(), "ledger.csv::9") {
		t.Fatalf("got %v, want the trigger's error naming ledger.csv::9", err)
	}
	for _, table := range []string{"ledger_entries", "input_files"} {
		if n, err := db.Count(ctx, table); err != nil || n != 0 {
			t.Errorf("%s: got %d rows (%v), want none", table, n, err)
		}
	}
	// The load let go of the database: the next one commits.
	if _, err := IngestLedger(ctx, db, []string{ledgerFile(t, "ok.csv", rows[0])}, opts, false, quiet); err != nil {
		t.Errorf("IngestLedger after the failure: %v", err)
	}
}
