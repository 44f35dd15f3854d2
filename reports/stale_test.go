package reports

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRemoveStaleTemps: the clean-up removes what dead writers left
// (and what versions before owners left), never a live writer's files,
// even one that shares the directory (another database's run).
func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	live, err := Claim(dir, 7, "/db/a.db")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Release()
	lt := live.Token()
	const dead = "99_3_0a0b0c0d"
	touch(t, dir,
		"recon-2026-11-08.xlsx", "exceptions-2026-11-08.csv", ".keep", // not temporary files
		".recon-2026-11-09.xlsx.tmp-"+lt+"-123", ".reconkit-sheet-"+lt+"-9.deflate", // live
		ownerPrefix+dead, ".exceptions-2026-11-09.csv.tmp-"+dead+"-5", ".reconkit-sheet-"+dead+"-6.deflate", // dead
		".resolved-2026-11-09.csv.tmp-77_0_0e0e0e0e-1",                 // owner gone
		".recon-2026-11-07.xlsx.tmp-123", ".reconkit-sheet-42.deflate", // from before owners
	)
	sw, err := RemoveStaleTemps(dir, nil)
	if err != nil || sw.Removed != 5 || sw.Restored != 0 {
		t.Fatalf("got %+v, %v; want 5 removed", sw, err)
	}
	want := []string{".keep", ".recon-2026-11-09.xlsx.tmp-" + lt + "-123", ownerPrefix + lt, ".reconkit-sheet-" + lt + "-9.deflate",
		"exceptions-2026-11-08.csv", "recon-2026-11-08.xlsx"}
	slices.Sort(want)
	if d := cmp.Diff(want, listDir(t, dir)); d != "" {
		t.Errorf("left (-want +got):\n%s", d)
	}
	if sw, err := RemoveStaleTemps(filepath.Join(dir, "missing"), nil); sw != (Swept{}) || err != nil {
		t.Errorf("missing dir: %+v, %v", sw, err)
	}
}

func content(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "(none)"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// TestUndoableInstall: an undoable install keeps the previous files
// until Done; Restore, or the clean-up after the writer died, puts them
// back (or drops them, if its run committed).
func TestUndoableInstall(t *testing.T) {
	setup := func(t *testing.T) (dir, csv, book string) {
		dir = t.TempDir()
		csv, book = filepath.Join(dir, "exceptions.csv"), filepath.Join(dir, "recon.xlsx")
		if err := os.WriteFile(csv, []byte("old csv"), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir, csv, book
	}
	install := func(t *testing.T, dir, csv, book string) (*Owner, *FileSet) {
		t.Helper()
		o, err := Claim(dir, 12, "/real/recon.db")
		if err != nil {
			t.Fatal(err)
		}
		s := o.NewFileSet(true)
		if err := s.Add(csv, writeString("new csv")); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(book, writeString("new book")); err != nil {
			t.Fatal(err)
		}
		if err := s.Install(); err != nil {
			t.Fatal(err)
		}
		if got := content(t, csv) + "|" + content(t, book); got != "new csv|new book" {
			t.Fatalf("installed: got %s", got)
		}
		return o, s
	}
	// die is what a SIGKILL does to an owner: its lock goes, its files stay.
	die := func(o *Owner) { o.f.Close(); o.f = nil }

	t.Run("restore", func(t *testing.T) {
		dir, csv, book := setup(t)
		o, s := install(t, dir, csv, book)
		if err := s.Restore(); err != nil {
			t.Fatal(err)
		}
		o.Release()
		if got := content(t, csv) + "|" + content(t, book); got != "old csv|(none)" {
			t.Errorf("restored: got %s", got)
		}
		if d := cmp.Diff([]string{"exceptions.csv"}, listDir(t, dir)); d != "" {
			t.Errorf("left (-want +got):\n%s", d)
		}
	})
	t.Run("done", func(t *testing.T) {
		dir, csv, book := setup(t)
		o, s := install(t, dir, csv, book)
		s.Done()
		o.Release()
		if d := cmp.Diff([]string{"exceptions.csv", "recon.xlsx"}, listDir(t, dir)); d != "" {
			t.Errorf("left (-want +got):\n%s", d)
		}
	})
	for _, tc := range []struct {
		name   string
		fate   Fate
		want   string
		left   []string
		restor int
	}{
		{"killed, run never committed", FateAbandoned, "old csv|(none)", []string{"exceptions.csv"}, 2},
		{"killed after the commit", FateCommitted, "new csv|new book", []string{"exceptions.csv", "recon.xlsx"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, csv, book := setup(t)
			o, _ := install(t, dir, csv, book)
			// While the writer lives, a clean-up judges nothing.
			called := false
			if _, err := RemoveStaleTemps(dir, func(OwnerNote) Fate { called = true; return tc.fate }); err != nil || called {
				t.Fatalf("live owner: fate called %v, err %v", called, err)
			}
			die(o)
			var got OwnerNote
			sw, err := RemoveStaleTemps(dir, func(n OwnerNote) Fate { got = n; return tc.fate })
			if err != nil || sw.Restored != tc.restor {
				t.Fatalf("got %+v, %v; want %d restored", sw, err, tc.restor)
			}
			if got.RunID != 12 || got.Database != "/real/recon.db" {
				t.Errorf("fate was asked about %+v", got)
			}
			if c := content(t, csv) + "|" + content(t, book); c != tc.want {
				t.Errorf("after clean-up: got %s, want %s", c, tc.want)
			}
			if d := cmp.Diff(tc.left, listDir(t, dir)); d != "" {
				t.Errorf("left (-want +got):\n%s", d)
			}
		})
	}
	t.Run("killed, not ours to judge", func(t *testing.T) {
		dir, csv, book := setup(t)
		o, _ := install(t, dir, csv, book)
		die(o)
		before := listDir(t, dir)
		if _, err := RemoveStaleTemps(dir, func(OwnerNote) Fate { return FateUnknown }); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(before, listDir(t, dir)); d != "" {
			t.Errorf("an unjudged install was touched (-before +after):\n%s", d)
		}
	})
}

// TestInstallCutShort: an install that fails, or dies, before it has
// replaced every file leaves each path as it was and no kept copy behind
// (a kept copy of a file not yet replaced is a hard link to it, which
// rename would not move).
func TestInstallCutShort(t *testing.T) {
	t.Run("fails", func(t *testing.T) {
		dir := t.TempDir()
		csv, book := filepath.Join(dir, "exceptions.csv"), filepath.Join(dir, "recon.xlsx")
		touch(t, dir, "exceptions.csv")
		if err := os.MkdirAll(filepath.Join(book, "in-the-way"), 0o755); err != nil {
			t.Fatal(err)
		}
		o, err := Claim(dir, 3, "/db")
		if err != nil {
			t.Fatal(err)
		}
		s := o.NewFileSet(true)
		if err := s.Add(csv, writeString("new")); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(book, writeString("new")); err != nil {
			t.Fatal(err)
		}
		if err := s.Install(); err == nil || !strings.Contains(err.Error(), book) {
			t.Fatalf("install over a directory: %v, want an error naming %s", err, book)
		}
		o.Release()
		if got := content(t, csv); got != "x" {
			t.Errorf("exceptions.csv: got %q, want the previous x", got)
		}
		if d := cmp.Diff([]string{"exceptions.csv", "recon.xlsx"}, listDir(t, dir)); d != "" {
			t.Errorf("left (-want +got):\n%s", d)
		}
	})
	t.Run("dies", func(t *testing.T) {
		dir := t.TempDir()
		const token = "5_3_0a0a0a0a"
		touch(t, dir, "exceptions.csv", ownerPrefix+token)
		if err := os.Link(filepath.Join(dir, "exceptions.csv"), filepath.Join(dir, ".exceptions.csv.prev-"+token)); err != nil {
			t.Fatal(err)
		}
		sw, err := RemoveStaleTemps(dir, func(OwnerNote) Fate { return FateAbandoned })
		if err != nil || sw.Restored != 1 {
			t.Fatalf("got %+v, %v", sw, err)
		}
		if d := cmp.Diff([]string{"exceptions.csv"}, listDir(t, dir)); d != "" {
			t.Errorf("left (-want +got):\n%s", d)
		}
	})
}

// TestAddAll: files written together are added in the order given,
// whichever finishes first; when one fails, none is added and no
// temporary file of any is left.
func TestAddAll(t *testing.T) {
	dir := t.TempDir()
	o, err := Claim(dir, 3, "")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	owner := listDir(t, dir)
	s := o.NewFileSet(false)
	slow := func(w io.Writer) error {
		for range 20000 {
			if _, err := io.WriteString(w, "slow line\n"); err != nil {
				return err
			}
		}
		return nil
	}
	a, b, c := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.json"), filepath.Join(dir, "c.csv")
	if err := s.AddAll(FileWrite{a, slow}, FileWrite{b, writeString("b")}, FileWrite{c, writeString("c")}); err != nil {
		t.Fatal(err)
	}
	if got := s.Paths(); !slices.Equal(got, []string{a, b, c}) {
		t.Errorf("paths %q, want a, b, c in that order", got)
	}
	boom := func(io.Writer) error { return io.ErrClosedPipe }
	d, e := filepath.Join(dir, "d.csv"), filepath.Join(dir, "e.csv")
	err = s.AddAll(FileWrite{d, slow}, FileWrite{e, boom})
	if err == nil || !strings.Contains(err.Error(), "e.csv") {
		t.Fatalf("AddAll with a failing writer: %v, want e.csv's error", err)
	}
	if got := s.Paths(); !slices.Equal(got, []string{a, b, c}) {
		t.Errorf("after the failure, paths %q, want a, b, c", got)
	}
	if err := s.Install(); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(owner), "a.csv", "b.json", "c.csv")
	slices.Sort(want)
	if d := cmp.Diff(want, listDir(t, dir)); d != "" {
		t.Errorf("the directory after install (-want +got):\n%s", d)
	}
	if got := content(t, b) + content(t, c); got != "bc" {
		t.Errorf("b and c hold %q", got)
	}
}

// TestInstallAfterSync: the files sync in the background, and a sync
// that fails stops Install before any rename: every path keeps what it
// held, and Discard leaves no temporary file behind.
func TestInstallAfterSync(t *testing.T) {
	dir := t.TempDir()
	o, err := Claim(dir, 4, "")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.json")
	touch(t, dir, "a.csv", "b.json")
	before := listDir(t, dir)
	defer func(f func(*os.File) error) { syncFile = f }(syncFile)
	syncFile = func(f *os.File) error {
		if strings.Contains(f.Name(), "b.json") {
			return io.ErrShortWrite
		}
		return f.Sync()
	}
	s := o.NewFileSet(false)
	if err := s.AddAll(FileWrite{a, writeString("new a")}, FileWrite{b, writeString("new b")}); err != nil {
		t.Fatal(err)
	}
	err = s.Install()
	if err == nil || !strings.Contains(err.Error(), "sync") || !strings.Contains(err.Error(), "b.json") {
		t.Fatalf("Install with b's sync failing: %v, want b.json's sync error", err)
	}
	if got := content(t, a) + content(t, b); got != "xx" {
		t.Errorf("after the failed install a and b hold %q, want what they held", got)
	}
	s.Discard()
	if d := cmp.Diff(before, listDir(t, dir)); d != "" {
		t.Errorf("the directory after Discard (-before +after):\n%s", d)
	}
}
