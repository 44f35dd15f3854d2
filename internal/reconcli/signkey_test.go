package reconcli

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/sandbox/gen"
)

// TestBinaryWrongSignKey is the night a wrong OXPAY_SIGN_KEY was set:
// the run completes and writes its reports, but says "check
// OXPAY_SIGN_KEY" in its log, on the workbook's banner and by exit 2.
// The next run of the date with the right key verifies the stored
// deliveries again (the log is the same file, already ingested), and
// its exceptions are the answer key's: no WEBHOOK_BAD_SIGNATURE left but
// the planted ones.
func TestBinaryWrongSignKey(t *testing.T) {
	url, data := startWorld(t, gen.Options{Seed: 3, Orders: 400})
	cfg, _ := nightSetup(t, url, data)
	reportDir := filepath.Join(filepath.Dir(cfg), "reports")
	const date = "2026-11-10"
	wrong := maps.Clone(sandboxEnv)
	wrong["OXPAY_SIGN_KEY"] = "not-the-merchants-sign-key"

	var env []string
	for k, v := range wrong {
		env = append(env, k+"="+v)
	}
	env = append(env, "PATH="+os.Getenv("PATH"), "HOME="+os.Getenv("HOME"), "TZ=UTC")
	code, errs := runBinaryEnv(t, env, "run", "--config", cfg, "--date", date, "--log-format", "json")
	if code != ExitUsage || !strings.Contains(errs, "check OXPAY_SIGN_KEY") {
		t.Fatalf("wrong key: exit %d, want %d and \"check OXPAY_SIGN_KEY\"\n%s", code, ExitUsage, errs)
	}
	if !strings.Contains(errs, `"level":"ERROR"`) {
		t.Errorf("the warning is not logged as an error:\n%s", errs)
	}
	bad := countCategory(t, filepath.Join(reportDir, "exceptions-"+date+".csv"), "WEBHOOK_BAD_SIGNATURE")
	wb, err := excelize.OpenFile(filepath.Join(reportDir, "recon-"+date+".xlsx"))
	if err != nil {
		t.Fatalf("the run wrote no workbook: %v", err)
	}
	banner, _ := wb.GetCellValue("Summary", "A4")
	wb.Close()
	if !strings.Contains(banner, "check OXPAY_SIGN_KEY") {
		t.Errorf("banner %q, want it to say check OXPAY_SIGN_KEY", banner)
	}

	code, _, errs = runBinary(t, "run", "--config", cfg, "--date", date)
	if code != 0 {
		t.Fatalf("right key: exit %d\n%s", code, errs)
	}
	planted := countCategory(t, filepath.Join(filepath.Dir(cfg), "inbox", "expected.csv"), "WEBHOOK_BAD_SIGNATURE")
	after := countCategory(t, filepath.Join(reportDir, "exceptions-"+date+".csv"), "WEBHOOK_BAD_SIGNATURE")
	if after != planted || bad <= 10*planted {
		t.Errorf("WEBHOOK_BAD_SIGNATURE: %d under the wrong key, %d after the right one, want many and then the %d planted", bad, after, planted)
	}
}

// countCategory counts the rows of an exceptions or answer-key CSV in
// one category.
func countCategory(t *testing.T, path, category string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(string(mustRead(t, path)), "\n") {
		if strings.HasPrefix(line, category+",") {
			n++
		}
	}
	return n
}

// TestBinaryWorkbookLinksOnlyToAllowedHosts: the sandbox's payment links
// are on a host of its own, so they are hyperlinks in the workbook only
// once workbook.link_hosts names it; otherwise finance sees the uid as
// text. The same run's workbook is written both ways by recon report.
func TestBinaryWorkbookLinksOnlyToAllowedHosts(t *testing.T) {
	url, data := startWorld(t, gen.Options{Seed: 3, Orders: 200})
	cfg, _ := nightSetup(t, url, data)
	dir := filepath.Dir(cfg)
	if code, _, errs := runBinary(t, "run", "--config", cfg, "--date", "2026-11-10"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errs)
	}
	links := func(config, out string) int {
		t.Helper()
		if code, _, errs := runBinary(t, "report", "--config", config, "--run", "1", "--out", out); code != 0 {
			t.Fatalf("report: exit %d\n%s", code, errs)
		}
		f, err := excelize.OpenFile(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("Sales")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for r := range rows {
			for c := 1; c <= len(rows[r]); c++ {
				cell, _ := excelize.CoordinatesToCellName(c, r+1)
				if formula, _ := f.GetCellFormula("Sales", cell); strings.HasPrefix(formula, "HYPERLINK(") {
					if !strings.Contains(formula, "https://pay.sandbox.xepeng.local/") {
						t.Errorf("Sales!%s links elsewhere: %s", cell, formula)
					}
					n++
				}
			}
		}
		return n
	}
	if n := links(cfg, filepath.Join(dir, "default.xlsx")); n != 0 {
		t.Errorf("%d hyperlinks to a host no config allows, want none", n)
	}
	allowed := writeFile(t, filepath.Join(dir, "allowed.yaml"), string(mustRead(t, cfg))+"workbook:\n  link_hosts: [sandbox.xepeng.local]\n")
	if n := links(allowed, filepath.Join(dir, "allowed.xlsx")); n == 0 {
		t.Error("no hyperlinks with the sandbox's pay host allowed")
	}
}
