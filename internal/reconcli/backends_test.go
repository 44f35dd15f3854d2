package reconcli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store/dbtest"
	"github.com/reconkit/reconkit/store/postgres/pgtest"
)

// TestSameNightOnBothBackends runs the same two nights (a date, then the
// next, whose exceptions are carried from the first) on SQLite and on
// PostgreSQL, from empty databases against the same sandbox and files:
// the exports are byte for byte the same, and so is every value of the
// workbooks but the time each was written.
func TestSameNightOnBothBackends(t *testing.T) {
	if !pgtest.Available() {
		pgtest.URL(t) // skips, saying how to run it (or fails, in CI)
	}
	url, data := startWorld(t, gen.Options{Seed: 3, Orders: 1500})
	dates := []string{"2026-11-09", "2026-11-10"}
	files := map[string]map[string][]byte{}
	inbox := filepath.Join(t.TempDir(), "inbox") // one for both: the workbook names the files
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := data.WriteFiles(inbox); err != nil {
		t.Fatal(err)
	}
	for _, b := range dbtest.All() {
		dir := t.TempDir()
		cfg := writeFile(t, filepath.Join(dir, "recon.yaml"), "database: "+b.Database(t)+"\nreport_dir: "+filepath.Join(dir, "reports")+
			"\nxepeng:\n  base_url: "+url+"\noxpay:\n  base_url: "+url+"/oxpay\n"+
			"inputs:\n  webhooks: ["+filepath.Join(inbox, "webhooks*.jsonl")+"]\n  ledger: ["+filepath.Join(inbox, "ledger.csv")+"]\n")
		for _, date := range dates {
			if code, _, errs := runCLI(t, sandboxEnv, "run", "--config", cfg, "--date", date); code != 0 {
				t.Fatalf("%s: run %s: exit %d: %s", b.Name, date, code, errs)
			}
		}
		files[b.Name] = reportFiles(t, filepath.Join(filepath.Dir(cfg), "reports"))
	}
	lite, pg := files[dbtest.SQLite.Name], files[dbtest.Postgres.Name]
	if len(lite) == 0 {
		t.Fatal("no report files")
	}
	for name, want := range lite {
		got, ok := pg[name]
		switch {
		case !ok:
			t.Errorf("PostgreSQL's night wrote no %s", name)
		case isWorkbook(name):
			if d := cmp.Diff(workbookValues(t, want), workbookValues(t, got)); d != "" {
				t.Errorf("%s: values differ (-SQLite +PostgreSQL):\n%s", name, d)
			}
		case !bytes.Equal(want, got):
			t.Errorf("%s differs between SQLite (%d bytes) and PostgreSQL (%d bytes)", name, len(want), len(got))
		}
	}
	for name := range pg {
		if _, ok := lite[name]; !ok {
			t.Errorf("PostgreSQL's night wrote %s, SQLite's did not", name)
		}
	}
}

// workbookValues reads every cell of every sheet as stored, but the two
// that say when: the Summary's line on when the report was written, and
// the time each input file was ingested.
func workbookValues(t *testing.T, b []byte) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		ingested := -1 // the input files' column of times, in their table
		for _, r := range rows {
			if len(r) == 0 {
				ingested = -1
			}
			for i, c := range r {
				switch {
				case strings.Contains(c, "report written"):
					r[i] = "(when the report was written)"
				case i == ingested:
					r[i] = "(when the file was ingested)"
				case len(r) > 1 && r[0] == "File" && r[1] == "Kind" && strings.Contains(strings.ToLower(c), "ingested"):
					ingested = i
				}
			}
		}
		out[sheet] = rows
	}
	return out
}
