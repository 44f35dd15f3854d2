package reconcli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/ingest"
)

func TestLedgerOptionsDelimiter(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  rune
	}{{",", ','}, {";", ';'}, {"\t", '\t'}, {"tab", '\t'}, {"auto", ingest.AutoDelimiter}} {
		cfg := config.Default()
		cfg.Ledger.Delimiter = tc.value
		opts, err := ledgerOptions(cfg)
		if err != nil || opts.Delimiter != tc.want {
			t.Errorf("delimiter %q: got %q, %v; want %q", tc.value, opts.Delimiter, err, tc.want)
		}
	}
}

// TestIngestSemicolonLedger loads a semicolon-separated export with
// decimal commas, the delimiter set in the config or picked from the
// header.
func TestIngestSemicolonLedger(t *testing.T) {
	for _, delim := range []string{`";"`, "auto"} {
		t.Run(delim, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeFile(t, filepath.Join(dir, "recon.yaml"), "database: "+filepath.Join(dir, "recon.db")+"\nledger:\n  delimiter: "+delim+"\n")
			ledger := writeFile(t, filepath.Join(dir, "ledger.csv"), "Date;Reference;Description;Debit;Credit;Currency\n"+
				"15/01/2024;LNK-0001;OxPay settlement, batch 1;;1.250.000,00;IDR\n16/01/2024;LNK-0002;Refund;250,50;;IDR\n")
			code, out, errs := runCLI(t, nil, "ingest", "ledger", "--config", cfg, ledger)
			if code != 0 || !strings.Contains(out, "2 rows read, 2 added, 0 input errors") {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
			}
		})
	}
}

// TestConfigProblemsAllAtOnce: a value of the wrong type and a misspelt
// key in the file do not hide Validate's problems: every one is listed,
// by its YAML path, and the command exits 2.
func TestConfigProblemsAllAtOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "recon.yaml"), "xepeng:\n  page_size: abc\nmatching:\n  tolerence: {percent: \"1\"}\nhttp:\n  max_attempts: 0\n")
	code, _, errs := runCLI(t, nil, "match", "--config", cfg)
	want := "invalid config:\n" +
		"  - xepeng.page_size (line 2): \"abc\" is not a whole number\n" +
		"  - matching.tolerence (line 4): unknown key; did you mean tolerance?\n" +
		"  - http.max_attempts 0 must be at least 1"
	if code != ExitUsage || !strings.Contains(errs, want) {
		t.Fatalf("got exit %d:\n%s\nwant exit %d and:\n%s", code, errs, ExitUsage, want)
	}
}
