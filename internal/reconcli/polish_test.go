package reconcli

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/reports"
	"github.com/reconkit/reconkit/sandbox/gen"
)

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errs := runCLI(t, nil, args...)
		if code != 0 || out != "recon "+Version+"\n" {
			t.Errorf("%v: got exit %d, %q (%s); want recon %s", args, code, out, errs, Version)
		}
	}
}

// TestInit: recon init writes a commented starter config that loads
// with no problem but the credentials the environment is to give, and
// keeps an existing file unless --force.
func TestInit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "recon.yaml")
	code, out, errs := runCLI(t, nil, "init", path)
	if code != 0 || !strings.Contains(out, "wrote "+path) {
		t.Fatalf("init: exit %d, %q, %s", code, out, errs)
	}
	body := string(mustRead(t, path))
	if !strings.HasPrefix(body, "# recon.yaml") || strings.Count(body, "\n#") < 10 {
		t.Errorf("not a commented config:\n%s", body)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
	cfg, err := config.Load(path, func(k string) string { return sandboxEnv[k] })
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("validate, credentials in the environment: %v", err)
	}
	if _, err := config.Load(path, func(string) string { return "" }); err != nil {
		t.Errorf("load without credentials: %v", err)
	}

	if code, _, errs := runCLI(t, nil, "init", path); code != ExitUsage || !strings.Contains(errs, "--force") {
		t.Errorf("over an existing file: exit %d (%s), want %d naming --force", code, errs, ExitUsage)
	}
	if code, _, errs := runCLI(t, nil, "init", "--sandbox", "--force", path); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, errs)
	}
	if body := string(mustRead(t, path)); !strings.Contains(body, "recon sandbox serve") {
		t.Errorf("--sandbox --force did not write the sandbox's config:\n%s", body)
	}
}

// TestInitSandboxRunsWithNoEdits follows the sandbox config's own
// comment, in a fresh directory: recon init --sandbox, recon sandbox
// serve (on its default address, 127.0.0.1:8080), recon sandbox
// generate, and recon run with the config as written. It is skipped
// when something else holds the port.
func TestInitSandboxRunsWithNoEdits(t *testing.T) {
	if testing.Short() {
		t.Skip("a night against the sandbox")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		t.Skipf("127.0.0.1:8080, the sandbox's default address, is taken: %v", err)
	}
	ln.Close()
	t.Chdir(t.TempDir())
	if code, _, errs := runCLI(t, nil, "init", "--sandbox"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		var out bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
		served <- executeContext(ctx, e, []string{"sandbox", "serve", "--log-level", "error"})
	}()
	defer func() {
		cancel()
		<-served
	}()
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", "127.0.0.1:8080")
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("the sandbox did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _, errs := runCLI(t, nil, "sandbox", "generate"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errs)
	}
	code, out, errs := runCLI(t, nil, "run", "--config", "recon.yaml", "--date", "2026-11-08", "--summary-html")
	if code != 0 {
		t.Fatalf("run with the config as written: exit %d\n%s\n%s", code, out, errs)
	}
	for _, f := range []string{"recon-2026-11-08.xlsx", "summary-2026-11-08.md", "summary-2026-11-08.html"} {
		if _, err := os.Stat(filepath.Join("reports", f)); err != nil {
			t.Errorf("the run wrote no %s: %v", f, err)
		}
	}
	if strings.Contains(errs, "level=WARN") || strings.Contains(errs, `"level":"WARN"`) {
		t.Errorf("the sandbox's config draws warnings:\n%s", errs)
	}
}

// TestDemoSays: the demo's first line is its headline, how many of the
// planted anomalies the run found (counted here again from the files,
// as the answer-key test counts them); its last is what to open next;
// and it leaves no lock file.
func TestDemoSays(t *testing.T) {
	for _, style := range []gen.LedgerStyle{gen.LedgerGross, gen.LedgerNet} {
		t.Run(string(style), func(t *testing.T) { testDemoSays(t, style) })
	}
}

// testDemoSays: with --ledger-style net the demo's ledger books net
// settlement deposits, its answer key plants the settlement categories,
// and its workbook has the Settlements sheet.
func testDemoSays(t *testing.T, style gen.LedgerStyle) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, nil, "demo", "--dir", dir, "--orders", "400", "--seed", "2", "--ledger-style", string(style))
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	const date = "2026-11-08"
	key := func(cells []string, idx map[string]int) string {
		var parts []string
		for _, c := range []string{"category", "order_uid", "payment_link_uid", "oxpay_txn_id", "merchant_reference_id", "ledger_ref"} {
			parts = append(parts, strings.TrimPrefix(cells[idx[c]], "'"))
		}
		return strings.Join(parts, "|")
	}
	want := csvKeys(t, filepath.Join(dir, "inbox", gen.ExpectedFile), key)
	got := csvKeys(t, filepath.Join(dir, "reports", "exceptions-"+date+".csv"), key)
	found := 0
	for k := range want {
		if got[k] {
			found++
		}
	}
	if found != len(want) || len(got) != len(want) {
		t.Fatalf("the run found %d of %d planted anomalies and reported %d: the demo's world should be found exactly", found, len(want), len(got))
	}
	headline := "reconkit demo: " + strconv.Itoa(found) + " of " + strconv.Itoa(len(want)) + " planted anomalies found, nothing else reported"
	if lines[0] != headline {
		t.Errorf("first line %q, want %q", lines[0], headline)
	}
	next := "Next: open " + filepath.Join(dir, "reports", "recon-"+date+".xlsx")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, next) {
		t.Errorf("last line %q, want it to start %q", last, next)
	}
	if style == gen.LedgerNet {
		if !strings.Contains(out, "settlement batches") || !want["SETTLEMENT_MISSING|||||"+settlementMissingRef(t, dir)] {
			t.Errorf("a net demo should say its settlement batches and plant SETTLEMENT_MISSING:\n%s", out)
		}
		wb, err := excelize.OpenFile(filepath.Join(dir, "reports", "recon-"+date+".xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(wb.GetSheetList(), reports.SheetSettlements) {
			t.Errorf("a net demo's workbook has no %s sheet: %v", reports.SheetSettlements, wb.GetSheetList())
		}
		wb.Close()
	}
	if locks, _ := filepath.Glob(filepath.Join(dir, "*.lock")); len(locks) > 0 {
		t.Errorf("the demo left %v", locks)
	}
	for _, f := range []string{"summary-" + date + ".md", "summary-" + date + ".html"} {
		if _, err := os.Stat(filepath.Join(dir, "reports", f)); err != nil {
			t.Errorf("no %s: %v", f, err)
		}
	}
}

// TestCheckAnswerKey: the headline counts what the export holds against
// the answer key, never just the number of rows.
func TestCheckAnswerKey(t *testing.T) {
	planted := []gen.Anomaly{
		{Category: recon.LedgerMissing, OxpayTxnID: "1", MerchantReferenceID: "ORD-1"},
		{Category: recon.AmountMismatch, OrderUID: "ORD-2", OxpayTxnID: "2"},
		{Category: recon.LedgerUnmatched, LedgerRef: "-ADJ"},
	}
	header := "category,severity,order_uid,payment_link_uid,oxpay_txn_id,merchant_reference_id,ledger_ref\n"
	for _, tc := range []struct {
		name, rows, want string
	}{
		{"all found", "LEDGER_MISSING,high,,,1,ORD-1,\nAMOUNT_MISMATCH,critical,ORD-2,,2,,\nLEDGER_UNMATCHED,high,,,,,'-ADJ\n",
			"3 of 3 planted anomalies found, nothing else reported"},
		{"one missed", "LEDGER_MISSING,high,,,1,ORD-1,\nLEDGER_UNMATCHED,high,,,,,'-ADJ\n",
			"2 of 3 planted anomalies found (1 missed), nothing else reported"},
		{"same count, another finding", "LEDGER_MISSING,high,,,1,ORD-1,\nAMOUNT_MISMATCH,critical,ORD-2,,2,,\nLEDGER_UNMATCHED,high,,,,,'-OTHER\n",
			"2 of 3 planted anomalies found, 1 exceptions reported that were not planted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(t.TempDir(), "exceptions.csv"), header+tc.rows)
			got, err := checkAnswerKey(planted, path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNoBarUnderCron: with stderr not a terminal (a buffer, or a pipe
// as cron gives), a night writes no progress bar, only its log lines.
func TestNoBarUnderCron(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	piped := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); piped <- b }()
	var out bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: w, getenv: func(string) string { return "" }}
	err = execute(e, []string{"demo", "--dir", t.TempDir(), "--orders", "200", "--log-format", "text"})
	w.Close()
	stderr := <-piped
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	if bytes.ContainsAny(stderr, "\r") || bytes.Contains(stderr, []byte("[1/6]")) || bytes.Contains(stderr, []byte("%|")) {
		t.Errorf("a bar was written to a pipe:\n%q", stderr)
	}
	if !bytes.Contains(stderr, []byte(`msg="phase done"`)) {
		t.Errorf("no log lines:\n%s", stderr)
	}
}

// TestNightProgress runs a night as a person at a terminal sees it: a
// bar on stderr goes through every phase, in order, each named (so the
// phases nightPhases lists are the night's: their "phase done" records
// move the bar), with the pages and ids of the API phases counted; the
// bar is cleared when the night ends.
func TestNightProgress(t *testing.T) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		isTTY: func(io.Writer) bool { return true }}
	if err := execute(e, []string{"demo", "--dir", t.TempDir(), "--orders", "300"}); err != nil {
		t.Fatalf("demo: %v\n%s", err, errb.String())
	}
	stderr := errb.String()
	phases := nightPhases(1, 1)
	last := -1
	for i, p := range phases {
		title := "[" + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(phases)) + "] " + p.label
		at := strings.Index(stderr, title)
		if at < 0 {
			t.Errorf("the bar never showed %q", title)
			continue
		}
		if at < last {
			t.Errorf("%q shown before the phase before it", title)
		}
		last = at
	}
	for _, want := range []string{"xepeng pages", "oxpay ids confirmed", "ingest webhook logs: files"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the bar never counted %q", want)
		}
	}
	// The bar's last drawing is cleared (spaces and a carriage return),
	// and a log line never shares a line with a bar.
	lastBar := strings.LastIndex(stderr, "/"+strconv.Itoa(len(phases))+"] ")
	if !regexp.MustCompile(`\r +\r`).MatchString(stderr[lastBar:]) {
		t.Errorf("the bar was not cleared at the end: %q", stderr[lastBar:])
	}
	for _, line := range strings.Split(stderr, "\n") {
		if i := strings.Index(line, "time="); i > 0 && strings.Contains(line[:i], "%|") {
			t.Errorf("a log line written after a bar on the same line: %q", line)
		}
	}
}

// TestUnknownCategoryListsTheValidOnes: --fail-on-category with a code
// that is not a category exits 2 and lists the codes there are.
func TestUnknownCategoryListsTheValidOnes(t *testing.T) {
	code, _, errs := runCLI(t, nil, "match", "--db", filepath.Join(t.TempDir(), "r.db"), "--fail-on-category", "LEDGER_MISING")
	if code != ExitUsage || !strings.Contains(errs, `"LEDGER_MISING" is not a category`) {
		t.Fatalf("got exit %d: %s", code, errs)
	}
	for _, info := range recon.Categories {
		if !strings.Contains(errs, string(info.Code)) {
			t.Errorf("the error does not list %s: %s", info.Code, errs)
		}
	}
}

// TestLedgerErrorSaysLayoutAndLineOnce: an input error in a ledger
// export names the date layout as configured (DD/MM/YYYY, not Go's
// 02/01/2006) and its line once, on the terminal and in the --strict
// error.
func TestLedgerErrorSaysLayoutAndLineOnce(t *testing.T) {
	dir := t.TempDir()
	ledger := writeFile(t, filepath.Join(dir, "ledger.csv"), "Date,Reference,Description,Debit,Credit,Currency\n"+
		"15/01/2024,LNK-1,x,,\"1.000,00\",IDR\n2024-01-16,LNK-2,y,,\"2.000,00\",IDR\n")
	for _, strict := range []bool{false, true} {
		args := []string{"ingest", "ledger", "--db", filepath.Join(dir, "r.db"), ledger}
		if strict {
			args = append(args, "--strict")
		}
		_, _, errs := runCLI(t, nil, args...)
		want := ledger + `: line 3: Date "2024-01-16" does not match the date layout DD/MM/YYYY`
		if !strings.Contains(errs, want) {
			t.Errorf("strict %v: want %q in:\n%s", strict, want, errs)
		}
		for _, line := range strings.Split(errs, "\n") {
			if strings.Contains(line, "2024-01-16") && (strings.Count(line, "line 3") != 1 || strings.Contains(line, ledger+":3")) {
				t.Errorf("strict %v: the line number is said more than once: %s", strict, line)
			}
		}
	}
}

// settlementMissingRef is the ledger_ref of the answer key's
// SETTLEMENT_MISSING row in a demo's inbox.
func settlementMissingRef(t *testing.T, dir string) string {
	t.Helper()
	for _, line := range strings.Split(string(mustRead(t, filepath.Join(dir, "inbox", gen.ExpectedFile))), "\n") {
		if f := strings.Split(line, ","); len(f) > 5 && f[0] == "SETTLEMENT_MISSING" {
			return f[5]
		}
	}
	return ""
}
