package job

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/postgres/pgtest"
	"github.com/reconkit/reconkit/store/sqlite"
)

// TestLockPath: the same database reached by other paths (a symlink to
// the file, a symlinked directory, a relative path, a dangling symlink
// to a database not created yet) has one lock, and a second holder is
// refused with ErrLocked.
func TestLockPath(t *testing.T) {
	root := t.TempDir()
	// t.TempDir may itself sit behind a symlink (macOS /var); compare
	// against its real form.
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(root, "data")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dataDir, "recon.db")
	link := func(target, name string) string {
		p := filepath.Join(root, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, db)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(realRoot, "data", "recon.db")
	for name, path := range map[string]string{
		"as configured":                  db,
		"through a symlink, not created": link(db, "link.db"),
		"through a relative symlink":     link("data/recon.db", "rel-link.db"),
		"through a symlinked directory":  filepath.Join(link(dataDir, "datalink"), "recon.db"),
		"relative":                       rel,
		"in a directory not created yet": filepath.Join(link(filepath.Join(dataDir, "later"), "later-link"), "..", "recon.db"),
	} {
		got, lock, err := LockPath(path)
		if name == "in a directory not created yet" {
			// .. after a symlink to a missing directory: resolved lexically
			// by filepath.Abs, so it only needs to be stable.
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err != nil || got != want || lock != want+".lock" {
			t.Errorf("%s (%s): got %q, %q, %v; want %q", name, path, got, lock, err, want)
		}
	}
	deeper := filepath.Join(link(filepath.Join(root, "not-yet"), "nylink"), "sub", "recon.db")
	if got, _, err := LockPath(deeper); err != nil || got != filepath.Join(realRoot, "not-yet", "sub", "recon.db") {
		t.Errorf("a dangling directory link: got %q, %v", got, err)
	}

	lk, err := LockDatabase(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockDatabase(filepath.Join(root, "link.db")); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), want) {
		t.Errorf("second lock through a symlink: %v, want ErrLocked naming %s", err, want)
	}
	lk.Release()
	lk, err = LockDatabase(filepath.Join(root, "link.db"))
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	lk.Release()
}

func sessionOptions(dir, command, date string) SessionOptions {
	return SessionOptions{Command: command, BusinessDate: date, Database: filepath.Join(dir, "recon.db"),
		ReportDir: filepath.Join(dir, "reports"), Reports: true, Log: quiet}
}

// holdDatabase takes the database's write lock from a connection of the
// test's own, as another program would, until the returned func.
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

// TestSessionRecordsBusyFailure: a run that fails because another
// process holds the database says so, naming it, and, since it cannot
// record its failure then either, the next run records it with that
// reason, not "interrupted".
func TestSessionRecordsBusyFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out SQLite's busy timeout twice")
	}
	ctx := context.Background()
	dir := t.TempDir()
	o := sessionOptions(dir, "match", "2026-11-10")
	s, err := Begin(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	first := s.RunID
	release := holdDatabase(t, o.Database)
	err = s.DB.DeleteRunResults(ctx, first) // any write
	err = s.Finish(err, nil, nil)
	release()
	if !errors.Is(err, store.ErrBusy) || !strings.Contains(err.Error(), o.Database) || strings.Contains(err.Error(), "run run") {
		t.Fatalf("got %v, want a busy error naming %s", err, o.Database)
	}

	s, err = Begin(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Finish(nil, nil, nil)
	r, err := s.DB.GetRun(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != recon.RunFailed || !strings.Contains(r.Error, "another process holds the database") || strings.Contains(r.Error, "interrupted") {
		t.Errorf("the busy run is recorded %s: %q; want failed with the busy reason", r.Status, r.Error)
	}
}

// TestSessionCancelledIsRecordedFailed: a command whose context is
// cancelled (Ctrl-C) still records its run failed.
func TestSessionCancelledIsRecordedFailed(t *testing.T) {
	dir := t.TempDir()
	o := sessionOptions(dir, "match", "2026-11-10")
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Begin(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	id := s.RunID
	cancel()
	_, err = s.DB.ReplaceDateResults(ctx, o.BusinessDate, id)
	if err = s.Finish(err, nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	db, err := sqlite.Open(context.Background(), o.Database, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if r, err := db.GetRun(context.Background(), id); err != nil || r.Status != recon.RunFailed {
		t.Errorf("a cancelled run is recorded %+v, %v; want failed", r, err)
	}
}

// TestSessionFinishesCutInstalls: a run killed while it put its report
// files in place left the previous files beside the new ones. The next
// session of the same database puts the previous ones back if the run
// never committed, drops them if it did, and leaves another database's
// alone.
func TestSessionFinishesCutInstalls(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o := sessionOptions(dir, "match", "2026-11-10")
	real, _, err := LockPath(o.Database)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, o.Database, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	cut, err := db.StartRun(ctx, recon.Run{Command: "run", BusinessDate: "2026-11-10"})
	if err != nil {
		t.Fatal(err)
	}
	committed, err := db.StartRun(ctx, recon.Run{Command: "run", BusinessDate: "2026-11-09"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CommitRun(ctx, committed, "2026-11-09", nil, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if err := os.MkdirAll(o.ReportDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(o.ReportDir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// An owner that died (its file is not locked), as Claim names it.
	dead := func(run int64, database, date string) {
		token := fmt.Sprintf("99999_%d_0a0b0c0d", run)
		if database != real {
			token = fmt.Sprintf("99998_%d_0a0b0c0d", run)
		}
		write(".reconkit-owner-"+token, fmt.Sprintf("pid=99999\nrun=%d\ndatabase=%s\n", run, database))
		write("exceptions-"+date+".csv", "new")
		write(".exceptions-"+date+".csv.prev-"+token, "previous")
		write("recon-"+date+".xlsx", "new")
		write(".recon-"+date+".xlsx.new-"+token, "")
	}
	dead(cut, real, "2026-11-10")
	dead(committed, real, "2026-11-09")
	dead(cut, "/elsewhere/other.db", "2026-11-08")

	s, err := Begin(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	entries, err := os.ReadDir(o.ReportDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(o.ReportDir, e.Name()))
		got[e.Name()] = string(b)
	}
	other := "99998_" + fmt.Sprint(cut) + "_0a0b0c0d"
	want := map[string]string{
		// Never committed: the previous export is back, the new workbook gone.
		"exceptions-2026-11-10.csv": "previous",
		// Committed: the new files stand.
		"exceptions-2026-11-09.csv": "new", "recon-2026-11-09.xlsx": "new",
		// Another database's: left as they are.
		"exceptions-2026-11-08.csv": "new", "recon-2026-11-08.xlsx": "new",
		".exceptions-2026-11-08.csv.prev-" + other: "previous", ".recon-2026-11-08.xlsx.new-" + other: "",
		".reconkit-owner-" + other: "pid=99999\nrun=" + fmt.Sprint(cut) + "\ndatabase=/elsewhere/other.db\n",
	}
	if d := cmp.Diff(want, got); d != "" {
		names := slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		})
		t.Errorf("report dir after the next session (-want +got):\n%s\n%v", d, names)
	}
}

// TestSessionLocksPerMerchant: on PostgreSQL two sessions of one
// merchant cannot overlap (ErrLocked, naming the merchant), while
// another merchant's goes on beside them in the same database; a session
// that finished lets the next one in.
func TestSessionLocksPerMerchant(t *testing.T) {
	ctx := context.Background()
	database := pgtest.URL(t)
	opts := func(merchant string) SessionOptions {
		o := sessionOptions(t.TempDir(), "match", "2026-11-02")
		o.Database, o.Merchant = database, merchant
		return o
	}
	alpha, err := Begin(ctx, opts("alpha"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Begin(ctx, opts("alpha")); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "merchant alpha") {
		t.Fatalf("a second session of alpha: %v, want ErrLocked naming the merchant", err)
	}
	zulu, err := Begin(ctx, opts("zulu"))
	if err != nil {
		t.Fatalf("zulu beside alpha: %v", err)
	}
	if err := zulu.Finish(nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := alpha.Finish(nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	again, err := Begin(ctx, opts("alpha"))
	if err != nil {
		t.Fatalf("alpha after its session finished: %v", err)
	}
	again.Finish(nil, nil, nil)
	db, err := Open(ctx, database, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if runs, err := db.Runs(ctx, 0); err != nil || len(runs) != 2 || runs[0].Status != recon.RunOK || runs[1].Status != recon.RunOK {
		t.Errorf("alpha's runs: %+v, %v; want two ok (zulu's are its own)", runs, err)
	}
}
