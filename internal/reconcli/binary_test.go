package reconcli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/dbtest"
)

// These tests run the built recon binary as cron would, as a child
// process, against a sandbox this test serves on 127.0.0.1.

// builds holds each command built for this test process, by name.
var (
	buildMu sync.Mutex
	builds  = map[string]string{}
	binDir  string
)

// builtBinary builds ./cmd/NAME once per test process and returns its path.
func builtBinary(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builds[name]; ok {
		return p
	}
	if binDir == "" {
		dir, err := os.MkdirTemp("", "recon-bin-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = dir
	}
	p := filepath.Join(binDir, name)
	out, err := exec.Command("go", "build", "-o", p, "github.com/reconkit/reconkit/cmd/"+name).CombinedOutput()
	if err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	builds[name] = p
	return p
}

// reconBinary is the built cmd/recon.
func reconBinary(t *testing.T) string { return builtBinary(t, "recon") }

// runBinary runs recon with args and the sandbox credentials in its
// environment, and returns its exit code and output.
func runBinary(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(reconBinary(t), args...)
	cmd.Env = binaryEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run recon: %v", err)
	}
	return code, out.String(), errb.String()
}

func binaryEnv() []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TZ=UTC"}
	for k, v := range sandboxEnv {
		env = append(env, k+"="+v)
	}
	return env
}

// stoppableSandbox serves a generated world and returns a stop func the
// test may call early (it is also called at cleanup).
func stoppableSandbox(t *testing.T, orders int) (string, *gen.Dataset, func()) {
	t.Helper()
	data, err := gen.Generate(gen.Options{Seed: 3, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := sandbox.New(sandbox.DefaultConfig(), data).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stopOnce := func() { once.Do(stop) }
	t.Cleanup(stopOnce)
	return url, data, stopOnce
}

// reportFiles reads every file of a report directory, by name.
func reportFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		// A summary names the workbook's path: its directory is written
		// as <report_dir>, so two directories' files compare.
		out[e.Name()] = bytes.ReplaceAll(mustRead(t, filepath.Join(dir, e.Name())), []byte(dir), []byte("<report_dir>"))
	}
	return out
}

func sameFiles(t *testing.T, what string, want, got map[string][]byte, skip func(name string) bool) {
	t.Helper()
	for name, w := range want {
		if skip != nil && skip(name) {
			continue
		}
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: %s is gone", what, name)
		} else if !bytes.Equal(w, g) {
			t.Errorf("%s: %s changed", what, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok && (skip == nil || !skip(name)) {
			t.Errorf("%s: %s appeared", what, name)
		}
	}
}

// isWorkbook: workbooks carry the time they were written, so two runs'
// workbooks differ in bytes; the exports do not.
func isWorkbook(name string) bool { return strings.HasSuffix(name, ".xlsx") }

// TestBinaryNight drives the built binary through the nights cron sees:
// a full run, a re-run of the same date (identical exports, the date's
// results replaced), a run while another holds the lock (exit 4), a run
// against a stopped server (exit 3, the previous report and results
// intact), a bad config (exit 2, every problem listed) and a threshold
// crossed (exit 1).
func TestBinaryNight(t *testing.T) { dbtest.Each(t, testBinaryNight) }

func testBinaryNight(t *testing.T, b dbtest.Backend) {
	url, data, stop := stoppableSandbox(t, 600)
	cfg, dbPath := nightSetupOn(t, url, data, b)
	reportDir := filepath.Join(filepath.Dir(cfg), "reports")
	const date = "2026-11-10"

	code, out, errs := runBinary(t, "run", "--config", cfg, "--date", date, "--log-format", "json")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errs)
	}
	if !strings.Contains(out, "exceptions") {
		t.Errorf("no summary on stdout: %q", out)
	}
	first := reportFiles(t, reportDir)
	for _, name := range []string{"exceptions-" + date + ".csv", "exceptions-" + date + ".json", "resolved-" + date + ".csv", "recon-" + date + ".xlsx"} {
		if _, ok := first[name]; !ok {
			t.Errorf("the run did not write %s", name)
		}
	}

	// The same date again: the same exports, and one date's results.
	if code, _, errs := runBinary(t, "run", "--config", cfg, "--date", date); code != 0 {
		t.Fatalf("re-run: exit %d\n%s", code, errs)
	}
	sameFiles(t, "re-run", first, reportFiles(t, reportDir), isWorkbook)
	runs := runsOf(t, dbPath)
	if len(runs) != 2 || runs[0].Status != "ok" || runs[1].Status != "replaced" {
		t.Fatalf("after a re-run of the date: runs %+v, want the new one ok and the first replaced", runs)
	}
	results := countByRun(t, dbPath, "match_results")
	if len(results) != 1 || results[runs[0].ID] == 0 {
		t.Fatalf("match results by run after a re-run: %v, want only run %d's", results, runs[0].ID)
	}

	// Another process holds the lock: exit 4, nothing touched.
	release := holdLock(t, dbPath)
	code, _, errs = runBinary(t, "run", "--config", cfg, "--date", date)
	release()
	if code != ExitLocked || !strings.Contains(errs, "another run holds the lock") {
		t.Fatalf("locked: exit %d\n%s", code, errs)
	}

	// The server is gone: exit 3 naming the endpoint; the last good
	// report and results are as they were.
	stop()
	code, _, errs = runBinary(t, "run", "--config", cfg, "--date", date, "--log-format", "json")
	if code != ExitUnreachable || !strings.Contains(errs, "/openapi/orders") {
		t.Fatalf("stopped server: exit %d, want %d naming the endpoint\n%s", code, ExitUnreachable, errs)
	}
	sameFiles(t, "after a failed run", first, reportFiles(t, reportDir), isWorkbook)
	if after := countByRun(t, dbPath, "match_results"); after[runs[0].ID] != results[runs[0].ID] {
		t.Errorf("a failed run changed the last good run's results: %v, was %v", after, results)
	}

	// A bad config: exit 2 before any work, every problem listed.
	bad := writeFile(t, filepath.Join(t.TempDir(), "bad.yaml"), "timezone: Mars/Base\nhttp:\n  deadline: -1s\nxepeng:\n  page_size: 500\n")
	cmd := exec.Command(reconBinary(t), "run", "--config", bad)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // no credentials either
	outb, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitUsage {
		t.Fatalf("bad config: %v, want exit %d\n%s", err, ExitUsage, outb)
	}
	for _, want := range []string{"timezone", "http.deadline", "page_size", "XEPENG_CLIENT_SECRET", "OXPAY_SIGN_KEY"} {
		if !strings.Contains(string(outb), want) {
			t.Errorf("bad config: the error does not list %q:\n%s", want, outb)
		}
	}
}

// TestBinaryThresholds: a crossed threshold completes the run and exits 1.
func TestBinaryThresholds(t *testing.T) {
	url, data, _ := stoppableSandbox(t, 300)
	cfg, _ := nightSetup(t, url, data)
	code, _, errs := runBinary(t, "run", "--config", cfg, "--date", "2026-11-10", "--fail-on-category", "LEDGER_MISSING")
	if code != ExitThreshold || !strings.Contains(errs, "LEDGER_MISSING") {
		t.Fatalf("--fail-on-category: exit %d\n%s", code, errs)
	}
	// Every break is explained, so a zero unexplained limit holds.
	if code, _, errs := runBinary(t, "run", "--config", cfg, "--date", "2026-11-10", "--fail-on-unexplained", "0"); code != 0 {
		t.Fatalf("--fail-on-unexplained 0: exit %d\n%s", code, errs)
	}
}

// TestBinaryLogFormats: JSON logs are one object a line with one
// "phase done" line per phase; text logs are key=value; anything else is
// a usage error.
func TestBinaryLogFormats(t *testing.T) {
	url, data, _ := stoppableSandbox(t, 200)
	cfg, _ := nightSetup(t, url, data)
	code, _, errs := runBinary(t, "run", "--config", cfg, "--date", "2026-11-10", "--log-format", "json")
	if code != 0 {
		t.Fatalf("json: exit %d\n%s", code, errs)
	}
	phases := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a JSON log line does not parse: %q: %v", line, err)
		}
		if rec["msg"] == "phase done" {
			if _, ok := rec["seconds"].(float64); !ok {
				t.Errorf("phase line without seconds: %q", line)
			}
			phases[rec["phase"].(string)] = true
		}
	}
	for _, p := range []string{"fetch xepeng", "ingest webhooks", "ingest ledger", "fetch oxpay", "match", "report"} {
		if !phases[p] {
			t.Errorf("no phase line for %q in:\n%s", p, errs)
		}
	}

	code, _, errs = runBinary(t, "run", "--config", cfg, "--date", "2026-11-10", "--log-format", "text")
	if code != 0 || !strings.Contains(errs, `msg="phase done" `) || strings.Contains(errs, `{"time"`) {
		t.Fatalf("text: exit %d\n%s", code, errs)
	}
	code, _, errs = runBinary(t, "run", "--config", cfg, "--quiet")
	if code != 0 || strings.Contains(errs, "phase done") {
		t.Fatalf("--quiet: exit %d, want no info lines:\n%s", code, errs)
	}
	if code, _, errs := runBinary(t, "version", "--log-format", "xml"); code != ExitUsage {
		t.Fatalf("--log-format xml: exit %d\n%s", code, errs)
	}
}

// TestBinaryKilledMidRun kills the run with SIGKILL as each phase starts
// (fetch, ingest, confirm, match, report) and then runs the same night
// again: every kill leaves a database the next run continues from, never
// a half-written report, and the night ends with the same exports as an
// undisturbed run.
func TestBinaryKilledMidRun(t *testing.T) { dbtest.Each(t, testBinaryKilledMidRun) }

func testBinaryKilledMidRun(t *testing.T, b dbtest.Backend) {
	url, data, _ := stoppableSandbox(t, 800)
	const date = "2026-11-10"

	cleanCfg, _ := nightSetupOn(t, url, data, b)
	if code, _, errs := runBinary(t, "run", "--config", cleanCfg, "--date", date); code != 0 {
		t.Fatalf("clean run: exit %d\n%s", code, errs)
	}
	clean := reportFiles(t, filepath.Join(filepath.Dir(cleanCfg), "reports"))

	// Each kill comes as the named phase's predecessor logs its end, that
	// is, while the named phase runs.
	// "file read" is logged inside the webhook ingest's transaction,
	// after the log's rows and before the commit.
	for _, after := range []string{"run started", "fetch xepeng", "file read", "ingest webhooks", "ingest ledger", "fetch oxpay", "match"} {
		t.Run("after "+after, func(t *testing.T) {
			cfg, dbPath := nightSetupOn(t, url, data, b)
			reportDir := filepath.Join(filepath.Dir(cfg), "reports")
			killed := killWhen(t, after, "run", "--config", cfg, "--date", date, "--log-format", "json")
			if !killed {
				t.Skipf("the run finished before %q was seen", after)
			}
			// Whatever is in the report directory is whole.
			if entries, err := os.ReadDir(reportDir); err == nil {
				for _, e := range entries {
					if isWorkbook(e.Name()) {
						t.Errorf("a killed first run left a workbook %s", e.Name())
					}
				}
			}
			// Every kill comes before the run's commit: it is not ok (the
			// kill after "match" comes as the workbook is written).
			if rs := runsOf(t, dbPath); len(rs) != 1 || rs[0].Status != recon.RunRunning {
				t.Errorf("the killed run is recorded %s; want running (ok only once its workbook is in place)", runStates(rs))
			}
			code, _, errs := runBinary(t, "run", "--config", cfg, "--date", date)
			if code != 0 {
				t.Fatalf("the run after the kill: exit %d\n%s", code, errs)
			}
			sameFiles(t, "after a kill and a re-run", clean, reportFiles(t, reportDir), isWorkbook)
			runs := runsOf(t, dbPath)
			if len(runs) != 2 || runs[0].Status != "ok" || runs[1].Status == "running" {
				t.Fatalf("runs after a kill and a re-run: %+v", runs)
			}
			if runs[1].Status == "failed" && !strings.Contains(runs[1].Error, "interrupted") {
				t.Errorf("the killed run's error should say it was interrupted: %q", runs[1].Error)
			}
		})
	}
}

// killWhen starts recon with args and SIGKILLs it as soon as a JSON log
// line mentions marker (a msg or a phase). It reports whether it killed.
func killWhen(t *testing.T, marker string, args ...string) bool {
	t.Helper()
	cmd := exec.Command(reconBinary(t), args...)
	cmd.Env = binaryEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec struct{ Msg, Phase string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && (rec.Msg == marker || rec.Phase == marker) {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("recon did not end")
	}
	return killed
}

// countByRun counts a results table's rows per run id.
func countByRun(t *testing.T, dbPath, table string) map[int64]int {
	t.Helper()
	db, err := job.Open(context.Background(), dbPath, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out, err := db.CountByRun(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBinaryDeadline: a source that answers 503 to everything, for good,
// with attempts to spare, ends the run at http.deadline with exit 3,
// naming the endpoint and the deadline; the last good report stays.
func TestBinaryDeadline(t *testing.T) {
	data, err := gen.Generate(gen.Options{Seed: 3, Orders: 100})
	if err != nil {
		t.Fatal(err)
	}
	good, stopGood, err := sandbox.New(sandbox.DefaultConfig(), data).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stopGood()
	down := sandbox.DefaultConfig()
	down.Faults = sandbox.Faults{Rate: 1, Kinds: []sandbox.FaultKind{sandbox.Fault503}, MaxConsecutive: 1 << 30, RetryAfter: time.Second}
	bad, stopBad, err := sandbox.New(down, data).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stopBad()

	cfg, _ := nightSetup(t, good, data)
	reportDir := filepath.Join(filepath.Dir(cfg), "reports")
	if code, _, errs := runBinary(t, "run", "--config", cfg, "--date", "2026-11-10"); code != 0 {
		t.Fatalf("good run: exit %d\n%s", code, errs)
	}
	before := reportFiles(t, reportDir)

	// The same night against the failing server, with retries enough to
	// outlast any deadline and a deadline of 2 s.
	body := strings.ReplaceAll(string(mustRead(t, cfg)), good, bad)
	body = strings.Replace(body, "http:\n  max_attempts: 2\n", "http:\n  max_attempts: 1000\n  deadline: 2s\n", 1)
	writeFile(t, cfg, body)
	code, _, errs := runBinary(t, "run", "--config", cfg, "--date", "2026-11-10")
	if code != ExitUnreachable || !strings.Contains(errs, "http.deadline") || !strings.Contains(errs, "/openapi/orders") {
		t.Fatalf("source down: exit %d, want %d naming http.deadline and the endpoint\n%s", code, ExitUnreachable, errs)
	}
	sameFiles(t, "after the deadline", before, reportFiles(t, reportDir), nil)
}
