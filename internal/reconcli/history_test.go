package reconcli

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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
	"github.com/reconkit/reconkit/store"
)

// background is recon started by signalWhen.
type background struct {
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	errs bytes.Buffer
	err  error
}

// signalWhen starts recon with args and sends it sig as soon as a JSON
// log line's msg or phase is marker. It reports false when recon ended
// without logging marker.
func signalWhen(t *testing.T, marker string, sig syscall.Signal, args ...string) (*background, bool) {
	t.Helper()
	b := &background{cmd: exec.Command(reconBinary(t), args...), done: make(chan struct{})}
	b.cmd.Env = binaryEnv()
	stderr, err := b.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.cmd.Process.Signal(syscall.SIGCONT)
		b.cmd.Process.Kill()
		<-b.done
	})
	seen := make(chan bool, 1)
	go func() {
		defer close(b.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		signalled := false
		for sc.Scan() {
			b.mu.Lock()
			b.errs.Write(sc.Bytes())
			b.errs.WriteByte('\n')
			b.mu.Unlock()
			var rec struct{ Msg, Phase string }
			if !signalled && json.Unmarshal(sc.Bytes(), &rec) == nil && (rec.Msg == marker || rec.Phase == marker) {
				b.cmd.Process.Signal(sig)
				signalled = true
				seen <- true
			}
		}
		if !signalled {
			seen <- false
		}
		b.err = b.cmd.Wait()
	}()
	select {
	case ok := <-seen:
		return b, ok
	case <-time.After(2 * time.Minute):
		t.Fatalf("recon logged no %q", marker)
		return nil, false
	}
}

// wait waits for the process to end and returns its exit code and log.
func (b *background) wait(t *testing.T) (int, string) {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("recon did not end")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var ee *exec.ExitError
	switch {
	case b.err == nil:
		return 0, b.errs.String()
	case errors.As(b.err, &ee):
		return ee.ExitCode(), b.errs.String()
	}
	t.Fatalf("recon: %v", b.err)
	return 0, ""
}

// runsOf reads a database's runs, newest first.
func runsOf(t *testing.T, dbPath string) []recon.Run {
	t.Helper()
	db, err := job.Open(context.Background(), dbPath, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Runs(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// runStates says briefly what runs are recorded: id, command, status,
// error.
func runStates(rs []recon.Run) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "[%d %s %s %q] ", r.ID, r.Command, r.Status, r.Error)
	}
	return b.String()
}

// regularFiles reads the regular files of a directory, by name.
func regularFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if e.Type().IsRegular() {
			out[e.Name()] = mustRead(t, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// TestBinaryFailedRerunKeepsPreviousRun: a re-run of a date that reads
// more than the first run (so its exports would differ) and then cannot
// put its workbook in place fails without touching the first run: it
// stays ok with its results, exceptions and exception history, its
// exports stay byte for byte, and the next night ages the open
// exceptions from it instead of calling them all new.
func TestBinaryFailedRerunKeepsPreviousRun(t *testing.T) {
	url, data, _ := stoppableSandbox(t, 600)
	cfg, dbPath := nightSetup(t, url, data)
	dir := filepath.Dir(cfg)
	reportDir := filepath.Join(dir, "reports")
	const date, next = "2026-11-10", "2026-11-11"

	if code, _, errs := runBinary(t, "run", "--config", cfg, "--date", date); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, errs)
	}
	before := regularFiles(t, reportDir)
	good := runsOf(t, dbPath)[0]
	tables := []string{"match_results", "exceptions", "exception_history"}
	rows := map[string]int{}
	for _, table := range tables {
		rows[table] = countByRun(t, dbPath, table)[good.ID]
		if rows[table] == 0 {
			t.Fatalf("the first run has no %s", table)
		}
	}

	ledger := filepath.Join(dir, "inbox", "ledger.csv")
	writeFile(t, ledger, string(mustRead(t, ledger))+"10/11/2026,EXTRA-1,Bank fee,\"1.000,00\",,IDR\n")
	book := filepath.Join(reportDir, "recon-"+date+".xlsx")
	if err := os.Remove(book); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(book, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runBinary(t, "run", "--config", cfg, "--date", date)
	if code == 0 || !strings.Contains(errs, "recon-"+date+".xlsx") {
		t.Fatalf("re-run with its workbook in the way: exit %d, want a failure naming the workbook\n%s", code, errs)
	}

	runs := runsOf(t, dbPath)
	if len(runs) != 2 || runs[1].ID != good.ID || runs[1].Status != recon.RunOK || runs[0].Status != recon.RunFailed {
		t.Fatalf("runs after a failed re-run: %s; want the first still ok and the re-run failed", runStates(runs))
	}
	for _, table := range tables {
		if got := countByRun(t, dbPath, table)[good.ID]; got != rows[table] {
			t.Errorf("the first run's %s: %d rows after a failed re-run, were %d", table, got, rows[table])
		}
	}
	sameFiles(t, "after a failed re-run", before, regularFiles(t, reportDir), isWorkbook)

	// The next night compares with the first run: its open exceptions
	// are carried, with their age, not new.
	if err := os.RemoveAll(book); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runBinary(t, "run", "--config", cfg, "--date", next); code != 0 {
		t.Fatalf("next night: exit %d\n%s", code, errs)
	}
	var counts struct {
		Match job.MatchResult `json:"match"`
	}
	if err := json.Unmarshal([]byte(runsOf(t, dbPath)[0].Counts), &counts); err != nil {
		t.Fatal(err)
	}
	c := counts.Match.Carry
	if c.PreviousRunID != good.ID || c.Carried == 0 || c.New > 1 {
		t.Errorf("next night's carry: %+v; want previous run %d, the open exceptions carried, at most the extra ledger line new", c, good.ID)
	}
}

// TestBinaryLockIdentity: the lock is the database's, whatever path
// reaches it, and two databases that share a report directory run side
// by side without either's clean-up touching the other's live files.
func TestBinaryLockIdentity(t *testing.T) {
	url, data, _ := stoppableSandbox(t, 1500)
	shared := filepath.Join(t.TempDir(), "shared-reports")
	withReportDir := func(cfg string) string {
		body := string(mustRead(t, cfg))
		i := strings.Index(body, "report_dir: ")
		j := i + strings.Index(body[i:], "\n")
		return writeFile(t, cfg, body[:i]+"report_dir: "+shared+body[j:])
	}
	cfgA, dbA := nightSetup(t, url, data)
	cfgB, _ := nightSetup(t, url, data)
	withReportDir(cfgA)
	withReportDir(cfgB)
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}

	// A writer of another database at work in the shared directory (its
	// owner file locked) and one that died there.
	const live, dead = "4242_1_0a0b0c0d", "4243_1_0a0b0c0e"
	owner, err := os.OpenFile(filepath.Join(shared, ".reconkit-owner-"+live), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if err := syscall.Flock(int(owner.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	liveFiles := []string{".recon-2026-11-09.xlsx.tmp-" + live + "-1", ".reconkit-sheet-" + live + "-2.deflate"}
	deadFiles := []string{".reconkit-owner-" + dead, ".exceptions-2026-11-09.csv.tmp-" + dead + "-3"}
	for _, n := range append(append([]string{}, liveFiles...), deadFiles...) {
		writeFile(t, filepath.Join(shared, n), "x")
	}
	if code, _, errs := runBinary(t, "run", "--config", cfgB, "--date", "2026-11-11"); code != 0 {
		t.Fatalf("run of database B: exit %d\n%s", code, errs)
	}
	for _, n := range liveFiles {
		if _, err := os.Stat(filepath.Join(shared, n)); err != nil {
			t.Errorf("the clean-up removed a live writer's %s", n)
		}
	}
	for _, n := range deadFiles {
		if _, err := os.Stat(filepath.Join(shared, n)); err == nil {
			t.Errorf("the clean-up left a dead writer's %s", n)
		}
	}

	// A run of database A, stopped with its exports staged.
	const dateA = "2026-11-10"
	a, ok := signalWhen(t, "match", syscall.SIGSTOP, "run", "--config", cfgA, "--date", dateA, "--log-format", "json")
	if !ok {
		t.Fatal("the run of database A logged no match phase")
	}
	staged := map[string]bool{}
	for _, e := range mustReadDir(t, shared) {
		if n := e.Name(); strings.HasPrefix(n, ".") && !strings.Contains(n, live) && !strings.HasPrefix(n, ".reconkit-owner-") {
			staged[n] = true
		}
	}

	// The same database through a symlink: the lock is held.
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(dbA, link); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runBinary(t, "run", "--config", cfgA, "--db", link, "--date", dateA)
	if code != ExitLocked || !strings.Contains(errs, "another run holds the lock") {
		t.Errorf("database A through a symlink while A runs: exit %d, want %d\n%s", code, ExitLocked, errs)
	}

	// Database B meanwhile, in the same report directory.
	if code, _, errs := runBinary(t, "run", "--config", cfgB, "--date", "2026-11-12"); code != 0 {
		t.Fatalf("run of database B beside A: exit %d\n%s", code, errs)
	}
	if len(staged) == 0 {
		t.Log("the run of database A had put its files in place before it stopped; nothing staged to check")
	}
	for n := range staged {
		if _, err := os.Stat(filepath.Join(shared, n)); err != nil {
			t.Errorf("B's clean-up removed A's live %s", n)
		}
	}
	a.cmd.Process.Signal(syscall.SIGCONT)
	if code, errs := a.wait(t); code != 0 {
		t.Fatalf("the run of database A, continued: exit %d\n%s", code, errs)
	}
	for _, n := range []string{"exceptions-" + dateA + ".csv", "recon-" + dateA + ".xlsx", "recon-2026-11-12.xlsx"} {
		if _, err := os.Stat(filepath.Join(shared, n)); err != nil {
			t.Errorf("%s is missing: %v", n, err)
		}
	}
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestBinaryMatchInterrupted: Ctrl-C stops `recon match` and its run is
// recorded failed, not left running; the date's good run is untouched.
func TestBinaryMatchInterrupted(t *testing.T) {
	url, data, _ := stoppableSandbox(t, 2000)
	cfg, dbPath := nightSetup(t, url, data)
	const date = "2026-11-10"
	if code, _, errs := runBinary(t, "run", "--config", cfg, "--date", date); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errs)
	}
	m, ok := signalWhen(t, "run started", syscall.SIGINT, "match", "--config", cfg, "--date", date, "--log-format", "json")
	if !ok {
		t.Fatal("recon match logged no run start")
	}
	code, errs := m.wait(t)
	runs := runsOf(t, dbPath)
	if runs[0].Status == recon.RunOK {
		t.Skip("the match finished before the interrupt arrived")
	}
	if runs[0].Command != "match" || runs[0].Status != recon.RunFailed || !strings.Contains(runs[0].Error, "context canceled") {
		t.Errorf("the interrupted match is recorded %q %q: %q; want a failed match", runs[0].Command, runs[0].Status, runs[0].Error)
	}
	if code != ExitInternal {
		t.Errorf("interrupted: exit %d, want %d\n%s", code, ExitInternal, errs)
	}
	if len(runs) != 2 || runs[1].Status != recon.RunOK {
		t.Errorf("the date's good run after an interrupted match: %s", runStates(runs[1:]))
	}
}

// runBinaryEnv is runBinary with another environment.
func runBinaryEnv(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(reconBinary(t), args...)
	cmd.Env = env
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), errb.String()
	}
	t.Fatalf("run recon: %v", err)
	return 0, ""
}

// TestBinaryExitCodes drives the binary into each exit code a scheduler
// acts on.
func TestBinaryExitCodes(t *testing.T) {
	url, data, _ := stoppableSandbox(t, 300)
	cfg, dbPath := nightSetup(t, url, data)
	dir := filepath.Dir(cfg)
	body := string(mustRead(t, cfg))
	const date = "2026-11-10"
	run := []string{"run", "--config", cfg, "--date", date}

	wrongSecret := append(binaryEnv(), "XEPENG_CLIENT_SECRET=not-the-secret")
	unreachable := writeFile(t, filepath.Join(dir, "unreachable.yaml"), strings.ReplaceAll(body, url, "http://127.0.0.1:1"))
	corrupt := writeFile(t, filepath.Join(dir, "corrupt.db"), strings.Repeat("this is not an SQLite database\n", 1000))
	notADir := writeFile(t, filepath.Join(dir, "not-a-dir"), "a file where report_dir should be")
	i := strings.Index(body, "report_dir: ")
	j := i + strings.Index(body[i:], "\n")
	badReports := writeFile(t, filepath.Join(dir, "bad-reports.yaml"), body[:i]+"report_dir: "+notADir+body[j:])

	for _, tc := range []struct {
		name  string
		env   []string
		args  []string
		hold  func() func() // held while recon runs
		want  int
		names []string // in the error
	}{
		{name: "done", args: run, want: ExitOK},
		{name: "threshold crossed", args: append(run, "--fail-on-category", "LEDGER_MISSING"), want: ExitThreshold, names: []string{"LEDGER_MISSING"}},
		{name: "bad usage", args: append(run, "--no-such-flag"), want: ExitUsage},
		{name: "credentials refused", env: wrongSecret, args: run, want: ExitUsage, names: []string{"401", "XEPENG_CLIENT_SECRET"}},
		{name: "source unreachable", args: []string{"run", "--config", unreachable, "--date", date}, want: ExitUnreachable, names: []string{"/openapi/orders"}},
		{name: "another run holds the lock", args: run, want: ExitLocked, names: []string{"another run holds the lock"},
			hold: func() func() {
				lk, err := job.LockDatabase(dbPath)
				if err != nil {
					t.Fatal(err)
				}
				return lk.Release
			}},
		{name: "another process holds the database", args: run, want: ExitLocked, names: []string{dbPath, "another process holds the database"},
			hold: func() func() { return holdDatabase(t, dbPath) }},
		{name: "corrupt database", args: append(run, "--db", corrupt), want: ExitInternal, names: []string{corrupt}},
		{name: "report dir not writable", args: []string{"run", "--config", badReports, "--date", date}, want: ExitInternal, names: []string{notADir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			if env == nil {
				env = binaryEnv()
			}
			if tc.hold != nil {
				defer tc.hold()()
			}
			code, errs := runBinaryEnv(t, env, tc.args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d\n%s", code, tc.want, errs)
			}
			for _, n := range tc.names {
				if !strings.Contains(errs, n) {
					t.Errorf("the error does not name %q:\n%s", n, errs)
				}
			}
		})
	}
}

// holdDatabase takes the database's write lock from a connection of the
// test's own, as an sqlite3 shell in a transaction would, until the
// returned func.
func holdDatabase(t *testing.T, path string) func() {
	t.Helper()
	x, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate&_busy_timeout=1000")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := x.Begin()
	if err != nil {
		x.Close()
		t.Fatal(err)
	}
	return func() { tx.Rollback(); x.Close() }
}

// TestExitCodeTable: the README's table of exit codes and `recon --help`
// say what exitCodes says.
func TestExitCodeTable(t *testing.T) {
	readme := string(mustRead(t, filepath.Join("..", "..", "README.md")))
	const heading = "### Exit codes (`recon`)"
	i := strings.Index(readme, heading)
	if i < 0 {
		t.Fatalf("README has no %q", heading)
	}
	var got []string
	for _, line := range strings.Split(readme[i+len(heading):], "\n") {
		line = strings.TrimSpace(line)
		if line == "" && len(got) > 0 {
			break
		}
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| code") || strings.HasPrefix(line, "|---") {
			continue
		}
		got = append(got, line)
	}
	var want []string
	for _, c := range exitCodes {
		want = append(want, "| "+string(rune('0'+c.code))+" | "+c.meaning+" |")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README exit codes:\n%s\nwant (from exitCodes in errors.go):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	code, out, errs := runCLI(t, nil, "--help")
	if code != 0 || !strings.Contains(out, exitCodeHelp()) {
		t.Errorf("recon --help: exit %d, want the exit codes\n%s%s", code, out, errs)
	}
	for _, c := range exitCodes {
		if !strings.Contains(out, "\n  "+string(rune('0'+c.code))+"  ") {
			t.Errorf("recon --help does not list exit code %d", c.code)
		}
	}
}

// TestBinaryKilledWritingWorkbook: a run killed while its workbook is
// being written (its temporary file is there) is not recorded ok: ok
// comes only once the workbook is in place. The next run puts the night
// right.
func TestBinaryKilledWritingWorkbook(t *testing.T) {
	url, data, _ := stoppableSandbox(t, 1500)
	cfg, dbPath := nightSetup(t, url, data)
	reportDir := filepath.Join(filepath.Dir(cfg), "reports")
	const date = "2026-11-10"
	cmd := exec.Command(reconBinary(t), "run", "--config", cfg, "--date", date)
	cmd.Env = binaryEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	writing := func() bool {
		es, _ := os.ReadDir(reportDir)
		for _, e := range es {
			n := e.Name()
			if strings.HasPrefix(n, ".recon-"+date+".xlsx.tmp-") || strings.HasPrefix(n, ".reconkit-sheet-") {
				return true
			}
		}
		return false
	}
	killed := false
	for !killed {
		select {
		case <-done:
			t.Fatal("the run ended before its workbook was seen being written")
		case <-time.After(time.Millisecond):
			if writing() {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
	}
	<-done
	if _, err := os.Stat(filepath.Join(reportDir, "recon-"+date+".xlsx")); err == nil {
		t.Skip("the workbook was in place before the kill landed")
	}
	if rs := runsOf(t, dbPath); len(rs) != 1 || rs[0].Status == recon.RunOK {
		t.Errorf("a run killed while writing its workbook is recorded %s; want not ok", runStates(rs))
	}
	if code, _, errs := runBinary(t, "run", "--config", cfg, "--date", date); code != 0 {
		t.Fatalf("the run after the kill: exit %d\n%s", code, errs)
	}
	rs := runsOf(t, dbPath)
	if len(rs) != 2 || rs[0].Status != recon.RunOK || rs[1].Status != recon.RunFailed || !strings.Contains(rs[1].Error, "interrupted") {
		t.Errorf("runs after the next run: %s", runStates(rs))
	}
	if _, err := os.Stat(filepath.Join(reportDir, "recon-"+date+".xlsx")); err != nil {
		t.Errorf("no workbook after the next run: %v", err)
	}
	for _, e := range mustReadDir(t, reportDir) {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left in the report dir: %s", e.Name())
		}
	}
}
