package reconcli

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/dbtest"
	"github.com/reconkit/reconkit/store/postgres"
	"github.com/reconkit/reconkit/store/sqlite"
)

// runCLI runs the whole command line in-process with a fixed environment.
func runCLI(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return environ[k] }}
	err := execute(e, args)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return exitCode(err), out.String(), errb.String()
}

// sandboxEnv are the sandbox's default credentials, as the environment
// carries them in production.
var sandboxEnv = map[string]string{
	"XEPENG_CLIENT_ID":     sandbox.DefaultXepengClientID,
	"XEPENG_CLIENT_SECRET": sandbox.DefaultXepengClientSecret,
	"OXPAY_API_KEY":        sandbox.DefaultOxPayAPIKey,
	"OXPAY_SIGN_KEY":       sandbox.DefaultOxPaySignKey,
}

func startSandbox(t *testing.T, orders int) (string, *gen.Dataset) {
	t.Helper()
	return startWorld(t, gen.Options{Seed: 3, Orders: orders})
}

// startWorld serves a generated world on 127.0.0.1 until the test ends.
func startWorld(t *testing.T, opts gen.Options) (string, *gen.Dataset) {
	t.Helper()
	data, err := gen.Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := sandbox.New(sandbox.DefaultConfig(), data).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url, data
}

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "recon ") {
		t.Fatalf("got %d %q", code, out)
	}
}

// TestCPUProfile checks that --cpuprofile leaves a profile, and that a file it cannot create is a usage error.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	if code, _, errs := runCLI(t, nil, "version", "--cpuprofile", path); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// A pprof profile is a gzipped protocol buffer: at least the gzip
	// header, where an unstarted or unflushed profile leaves nothing.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("profile is %d bytes, not gzip: % x", len(b), b[:min(len(b), 8)])
	}
	bad := filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.prof")
	if code, _, errs := runCLI(t, nil, "version", "--cpuprofile", bad); code != ExitUsage || !strings.Contains(errs, "--cpuprofile") {
		t.Errorf("unwritable profile: exit %d (%s), want %d naming the flag", code, errs, ExitUsage)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{"no-such-command"}, {"version", "--no-such-flag"}, {"version", "extra"},
		{"sandbox", "generate", "--void-style", "new-id", "--out", t.TempDir()},
		{"sandbox", "serve", "--addr", "127.0.0.1:0", "--void-style", "new-id"},
		{"demo", "--void-style", "new-id", "--dir", t.TempDir()},
		{"sandbox", "generate", "--ledger-style", "netto", "--out", t.TempDir()},
		{"demo", "--ledger-style", "netto", "--dir", t.TempDir()}} {
		if code, _, errs := runCLI(t, nil, args...); code != ExitUsage {
			t.Errorf("%v: got exit %d (%s), want %d", args, code, errs, ExitUsage)
		}
	}
}

func TestBadConfigListsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "recon.yaml"), "timezone: Nowhere/City\nxepeng:\n  page_size: 0\n"+
		"matching:\n  payment_lag: 25h\n  settlement_window_days: [3, 1]\n")
	code, _, errs := runCLI(t, nil, "fetch", "--config", cfg)
	if code != ExitUsage {
		t.Fatalf("got exit %d, want %d", code, ExitUsage)
	}
	// The engine's own rules are listed with the rest, by YAML path.
	for _, want := range []string{"timezone", "page_size", "XEPENG_CLIENT_ID", "OXPAY_SIGN_KEY",
		"matching.payment_lag: payment lag 25h0m0s: want 0 to 24h", "matching.settlement_window_days: settlement window [3, 1] days"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, errs)
		}
	}
}

func TestFetchAgainstSandbox(t *testing.T) {
	url, data := startSandbox(t, 700)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "recon.db")
	cfg := writeFile(t, filepath.Join(dir, "recon.yaml"), "database: "+dbPath+
		"\nxepeng:\n  base_url: "+url+"\n  page_size: 50\noxpay:\n  base_url: "+url+"/oxpay\n")
	for i := 0; i < 2; i++ { // the second pull must change nothing
		code, _, errs := runCLI(t, sandboxEnv, "fetch", "--config", cfg, "--oxpay-confirm", "none")
		if code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, errs)
		}
	}
	db, err := sqlite.Open(context.Background(), dbPath, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for table, want := range map[string]int{"orders": len(data.Orders), "payment_links": len(data.Links)} {
		n, err := db.Count(context.Background(), table)
		if err != nil || int(n) != want {
			t.Errorf("%s: got %d rows (%v), want %d", table, n, err, want)
		}
	}
}

// TestOfflineCommandsNeedNoCredentials: match, report and ingest ledger
// call no API, so they run with none of the credentials set, while a
// webhook ingest still asks for the sign key.
func TestOfflineCommandsNeedNoCredentials(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "recon.yaml"), "database: "+filepath.Join(dir, "r.db")+"\nreport_dir: "+dir+"\n")
	ledger := writeFile(t, filepath.Join(dir, "ledger.csv"), "Date,Reference,Description,Debit,Credit,Currency\n02/11/2026,10000001,Sale,,\"150.000,00\",IDR\n")
	var out string
	for _, args := range [][]string{
		{"ingest", "ledger", "--config", cfg, ledger},
		{"match", "--config", cfg, "--date", "2026-11-02"},
	} {
		code, o, errs := runCLI(t, nil, args...)
		if code != 0 {
			t.Errorf("%v without credentials: exit %d: %s", args[:2], code, errs)
		}
		out = o
	}
	run := regexp.MustCompile(`run (\d+)`).FindStringSubmatch(out)
	if run == nil {
		t.Fatalf("match printed no run id: %q", out)
	}
	code, _, errs := runCLI(t, nil, "report", "--config", cfg, "--run", run[1])
	if code != 0 {
		t.Errorf("report without credentials: exit %d: %s", code, errs)
	}
	code, _, errs = runCLI(t, nil, "ingest", "webhooks", "--config", cfg, ledger)
	if code != ExitUsage || !strings.Contains(errs, "OXPAY_SIGN_KEY") || strings.Contains(errs, "XEPENG_CLIENT_ID") {
		t.Errorf("webhooks without the sign key: exit %d, want %d naming OXPAY_SIGN_KEY alone: %s", code, ExitUsage, errs)
	}
}

func TestFetchUnreachableExits3(t *testing.T) {
	dir := t.TempDir()
	// A port nothing listens on: bind one, then close it.
	url, _ := startSandbox(t, 1)
	cfg := writeFile(t, filepath.Join(dir, "recon.yaml"), "database: "+filepath.Join(dir, "r.db")+
		"\nhttp:\n  max_attempts: 2\nxepeng:\n  base_url: http://127.0.0.1:1\noxpay:\n  base_url: "+url+"/oxpay\n")
	code, _, errs := runCLI(t, sandboxEnv, "fetch", "--config", cfg)
	if code != ExitUnreachable {
		t.Fatalf("got exit %d, want %d: %s", code, ExitUnreachable, errs)
	}
	if !strings.Contains(errs, "/openapi/orders") {
		t.Errorf("the error must name the endpoint: %s", errs)
	}
}

func TestIngest(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "recon.db")
	cfg := writeFile(t, filepath.Join(dir, "recon.yaml"), "database: "+dbPath+"\n")
	data, err := gen.Generate(gen.Options{Seed: 5, Orders: 300})
	if err != nil {
		t.Fatal(err)
	}
	if err := data.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	// A log with one broken line between good ones: the rest still loads.
	good, err := os.ReadFile(filepath.Join(dir, "webhooks.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	broken := writeFile(t, filepath.Join(dir, "broken.jsonl"), lines[0]+"{not json\n"+strings.Join(lines[1:], ""))

	code, _, errs := runCLI(t, sandboxEnv, "ingest", "webhooks", "--config", cfg, "--strict", broken)
	if code != ExitThreshold || !strings.Contains(errs, "broken.jsonl: line 2: ") {
		t.Fatalf("--strict: got exit %d, want %d naming broken.jsonl, line 2:\n%s", code, ExitThreshold, errs)
	}
	code, out, errs := runCLI(t, sandboxEnv, "ingest", "webhooks", "--config", cfg, broken)
	if code != 0 || !strings.Contains(errs, "broken.jsonl: line 2: ") || !strings.Contains(out, "1 input errors") {
		t.Fatalf("got exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	code, out, errs = runCLI(t, sandboxEnv, "ingest", "ledger", "--config", cfg, filepath.Join(dir, "ledger.*"))
	if code != 0 {
		t.Fatalf("ledger: exit %d: %s", code, errs)
	}
	// Ingesting again adds nothing.
	code, out, _ = runCLI(t, sandboxEnv, "ingest", "ledger", "--config", cfg, filepath.Join(dir, "ledger.csv"))
	if code != 0 || !strings.Contains(out, " 0 added") {
		t.Fatalf("re-ingest: exit %d: %s", code, out)
	}

	db, err := sqlite.Open(context.Background(), dbPath, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for table, want := range map[string]int{"webhook_events": len(data.Webhooks), "ledger_entries": len(data.Ledger), "input_errors": 1} {
		if n, err := db.Count(ctx, table); err != nil || int(n) != want {
			t.Errorf("%s: got %d (%v), want %d", table, n, err, want)
		}
	}

	// A missing file and a header without a mapped column are usage errors naming what is wrong.
	if code, _, errs := runCLI(t, sandboxEnv, "ingest", "ledger", "--config", cfg, filepath.Join(dir, "nope.csv")); code != ExitUsage || !strings.Contains(errs, "nope.csv") {
		t.Errorf("missing file: exit %d: %s", code, errs)
	}
	odd := writeFile(t, filepath.Join(dir, "odd.csv"), "Date,Ref,Debit,Credit\n01/11/2026,X,,1\n")
	if code, _, errs := runCLI(t, sandboxEnv, "ingest", "ledger", "--config", cfg, odd); code != ExitUsage || !strings.Contains(errs, "Reference") {
		t.Errorf("missing column: exit %d: %s", code, errs)
	}
}

// nightSetup writes a generated night's inputs and a config pointing at a
// sandbox serving the same world.
func nightSetup(t *testing.T, url string, data *gen.Dataset) (cfgPath, dbPath string) {
	t.Helper()
	return nightSetupOn(t, url, data, dbtest.SQLite)
}

// nightSetupOn is nightSetup on a new database of backend b; database
// is its path or URL.
func nightSetupOn(t *testing.T, url string, data *gen.Dataset, b dbtest.Backend) (cfgPath, database string) {
	t.Helper()
	database = b.Database(t)
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := data.WriteFiles(inbox); err != nil {
		t.Fatal(err)
	}
	cfgPath = writeFile(t, filepath.Join(dir, "recon.yaml"), "database: "+database+"\nreport_dir: "+filepath.Join(dir, "reports")+
		"\nhttp:\n  max_attempts: 2\nxepeng:\n  base_url: "+url+"\noxpay:\n  base_url: "+url+"/oxpay\n"+
		"inputs:\n  webhooks: ["+filepath.Join(inbox, "webhooks*.jsonl")+"]\n  ledger: ["+filepath.Join(inbox, "ledger.csv")+"]\n")
	return cfgPath, database
}

// openDB opens the database a test's config names, as recon does.
func openDB(t *testing.T, database string) store.Backend {
	t.Helper()
	db, err := job.Open(context.Background(), database, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// holdLock takes the run lock of database as another process would, and
// returns its release.
func holdLock(t *testing.T, database string) func() {
	t.Helper()
	if postgres.IsURL(database) {
		db, err := postgres.Open(context.Background(), database, store.DefaultMerchant)
		if err != nil {
			t.Fatal(err)
		}
		lk, err := db.LockRun(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return func() { lk.Release(); db.Close() }
	}
	lk, err := job.LockDatabase(database)
	if err != nil {
		t.Fatal(err)
	}
	return lk.Release
}

func TestRunNight(t *testing.T) { dbtest.Each(t, testRunNight) }

func testRunNight(t *testing.T, b dbtest.Backend) {
	url, data := startSandbox(t, 400)
	cfg, dbPath := nightSetupOn(t, url, data, b)

	code, _, errs := runCLI(t, sandboxEnv, "run", "--config", cfg, "--date", "2026-11-02")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	db := openDB(t, dbPath)
	ctx := context.Background()
	run, ok, err := db.LastRun(ctx, "run", "")
	if err != nil || !ok || run.Status != "ok" || run.BusinessDate != "2026-11-02" || run.EndedAt == nil {
		t.Fatalf("run record: %+v ok=%v err=%v", run, ok, err)
	}
	for table, want := range map[string]int{"orders": len(data.Orders), "webhook_events": len(data.Webhooks), "ledger_entries": len(data.Ledger)} {
		if n, err := db.Count(ctx, table); err != nil || int(n) != want {
			t.Errorf("%s: got %d (%v), want %d", table, n, err, want)
		}
	}
	if n, _ := db.Count(ctx, "transactions"); n == 0 {
		t.Error("no OxPay transaction was confirmed")
	}

	// While another process holds the lock, a run exits 4 and touches nothing.
	release := holdLock(t, dbPath)
	code, _, errs = runCLI(t, sandboxEnv, "run", "--config", cfg)
	release()
	if code != ExitLocked || !strings.Contains(errs, "another run holds the lock") {
		t.Fatalf("locked: got exit %d: %s", code, errs)
	}
}

func TestRunAgainstStoppedServerExits3(t *testing.T) {
	url, data := startSandbox(t, 50)
	cfg, dbPath := nightSetup(t, "http://127.0.0.1:1", data)
	_ = url
	code, _, errs := runCLI(t, sandboxEnv, "run", "--config", cfg)
	if code != ExitUnreachable {
		t.Fatalf("got exit %d, want %d: %s", code, ExitUnreachable, errs)
	}
	db, err := sqlite.Open(context.Background(), dbPath, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, ok, err := db.LastRun(context.Background(), "run", "")
	if err != nil || !ok || run.Status != "failed" || !strings.Contains(run.Error, "/openapi/orders") {
		t.Fatalf("a failed run must be recorded with its error: %+v", run)
	}
}

// TestRunFindsExactlyTheAnswerKey runs the whole night through the CLI
// against the sandbox over loopback and holds the exceptions export to
// the generator's answer key: every injected anomaly found with its
// category and ids, nothing else reported. A second run gives
// byte-identical exports. It runs once per void style: voids that keep
// the sale's id, and voids with an id of their own as OxPay's document
// describes them (sandbox --void-style own-id).
func TestRunFindsExactlyTheAnswerKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		for _, style := range []gen.VoidStyle{gen.VoidSameID, gen.VoidOwnID} {
			t.Run(string(style), func(t *testing.T) {
				testRunFindsExactlyTheAnswerKey(t, gen.Options{Seed: 3, Orders: 1500, VoidStyle: style}, b)
			})
		}
	})
}

// TestRunFindsExactlyTheAnswerKeyNet: the same over a ledger that books
// the gateway's net settlement deposits (sandbox --ledger-style net),
// every settlement category planted, and over one that books half the
// transactions one by one and the rest in deposits (mixed), with recon
// told of the gateway's fees and calendar by the settlement.yaml the
// generator writes.
func TestRunFindsExactlyTheAnswerKeyNet(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		for _, style := range []gen.LedgerStyle{gen.LedgerNet, gen.LedgerMixed} {
			t.Run(string(style), func(t *testing.T) {
				testRunFindsExactlyTheAnswerKey(t, gen.Options{Seed: 3, Orders: 1500, LedgerStyle: style}, b)
			})
		}
	})
}

func testRunFindsExactlyTheAnswerKey(t *testing.T, opts gen.Options, b dbtest.Backend) {
	url, data := startWorld(t, opts)
	cfg, _ := nightSetupOn(t, url, data, b)
	if extra := data.SettlementConfig(); extra != "" {
		appendFile(t, cfg, extra)
	}
	reportDir := filepath.Join(filepath.Dir(cfg), "reports")
	const date = "2026-11-10" // after every settlement window of the generated days
	// Every break is an exception: the control's unexplained difference
	// is 0 in every currency, or the run exits 1.
	code, out, errs := runCLI(t, sandboxEnv, "run", "--config", cfg, "--date", date, "--fail-on-unexplained", "0")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "exceptions") {
		t.Errorf("no summary printed: %q", out)
	}
	csvPath := filepath.Join(reportDir, "exceptions-"+date+".csv")
	first := mustRead(t, csvPath)
	wb, err := excelize.OpenFile(filepath.Join(reportDir, "recon-"+date+".xlsx"))
	if err != nil {
		t.Fatalf("the run wrote no readable workbook: %v", err)
	}
	if sheets := wb.GetSheetList(); len(sheets) < 4 || sheets[0] != "Summary" {
		t.Errorf("workbook sheets: %v", sheets)
	}
	wb.Close()

	key := func(cells []string, idx map[string]int) string {
		var parts []string
		for _, c := range []string{"category", "order_uid", "payment_link_uid", "oxpay_txn_id", "merchant_reference_id", "ledger_ref"} {
			parts = append(parts, strings.TrimPrefix(cells[idx[c]], "'"))
		}
		return strings.Join(parts, "|")
	}
	want := csvKeys(t, filepath.Join(filepath.Dir(cfg), "inbox", "expected.csv"), key)
	got := csvKeys(t, csvPath, key)
	if len(want) == 0 {
		t.Fatal("the answer key is empty")
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missed: %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("reported but not injected: %s", k)
		}
	}

	// The same night again: the same exports, byte for byte.
	if code, _, errs := runCLI(t, sandboxEnv, "run", "--config", cfg, "--date", date); code != 0 {
		t.Fatalf("re-run: exit %d: %s", code, errs)
	}
	if again := mustRead(t, csvPath); !bytes.Equal(first, again) {
		t.Error("a re-run over the same inputs changed exceptions.csv")
	}

	// A threshold crossed: the run completes and exits 1.
	cat := string(data.Anomalies[0].Category)
	code, _, errs = runCLI(t, sandboxEnv, "run", "--config", cfg, "--date", date, "--fail-on-category", cat)
	if code != ExitThreshold || !strings.Contains(errs, cat) {
		t.Fatalf("threshold: got exit %d: %s", code, errs)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func csvKeys(t *testing.T, path string, key func([]string, map[string]int) string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	idx := map[string]int{}
	for i, h := range rows[0] {
		idx[h] = i
	}
	keys := map[string]bool{}
	for _, r := range rows[1:] {
		keys[key(r, idx)] = true
	}
	return keys
}

// TestBadSettlementRules: what reads in the settlement: section but
// breaks the engine's rules (a brand given twice, a pattern without its
// date group, T+N out of range) is listed with the config's other
// problems, by YAML path.
func TestBadSettlementRules(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "recon.yaml"), "settlement:\n  fees:\n    - {brand: Card, percent: \"2.9\"}\n"+
		"    - {brand: card, percent: \"1\"}\n  payout_days: 31\n  reference_pattern: 'OXPAY SETTLEMENT \\d+'\n")
	code, _, errs := runCLI(t, nil, "fetch", "--config", cfg)
	if code != ExitUsage {
		t.Fatalf("got exit %d, want %d: %s", code, ExitUsage, errs)
	}
	for _, want := range []string{"settlement.fees: fee rule 2: brand card is given twice", "settlement: payout after 31 business days",
		"settlement.reference_pattern: "} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, errs)
		}
	}
}
