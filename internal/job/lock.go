package job

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/reconkit/reconkit/store"
)

// ErrLocked says another run holds the lock: the database's (SQLite), or
// the merchant's (PostgreSQL).
var ErrLocked = store.ErrLocked

// Lock is an exclusive advisory lock (flock) on a file beside the
// database's real file: the same database reached through a symlink, a
// relative path or a symlinked directory takes the same lock, and so does
// a database that does not exist yet. (A second hard link to the database
// file under another name is not recognised.) The kernel drops the lock
// when the process dies, so a killed run never leaves a stale lock.
//
// The lock file notes the holder's pid, and the failures of runs that
// could not record their own end because another process held the
// database: the next run, which holds the lock, records them.
type Lock struct {
	f *os.File
	// Database is the real path of the database the lock is for.
	Database string
	notes    []failureNote
}

// failureNote is a run's failure that its run could not record.
type failureNote struct {
	runID  int64
	reason string
}

// LockPath returns the real path of the database at path and the lock
// file that guards it.
func LockPath(path string) (database, lock string, err error) {
	database, err = realPath(path)
	if err != nil {
		return "", "", fmt.Errorf("resolve database path %s: %w", path, err)
	}
	return database, database + ".lock", nil
}

// LockDatabase takes the lock of the database at path, creating the
// database's directory if needed. While another process holds it, the
// error matches ErrLocked.
func LockDatabase(path string) (*Lock, error) {
	database, lockPath, err := LockPath(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := ""
			if b, err := os.ReadFile(lockPath); err == nil {
				if line, _, _ := strings.Cut(string(b), "\n"); strings.HasPrefix(line, "pid ") {
					holder = ", " + line
				}
			}
			return nil, fmt.Errorf("%w on %s (%s%s); wait for it to finish, then run again", ErrLocked, database, lockPath, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	l := &Lock{f: f, Database: database}
	l.notes = readNotes(f)
	if err := l.rewrite(); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// Release drops the lock.
func (l *Lock) Release() {
	if l.f == nil {
		return
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}

// noteFailure keeps a run's failure in the lock file for the next run to
// record.
func (l *Lock) noteFailure(runID int64, reason string) error {
	l.notes = append(l.notes, failureNote{runID, reason})
	return l.rewrite()
}

// rewrite writes the holder's pid and the notes not yet recorded.
func (l *Lock) rewrite() error {
	var b strings.Builder
	fmt.Fprintf(&b, "pid %d\n", os.Getpid())
	for _, n := range l.notes {
		fmt.Fprintf(&b, "run %d failed: %s\n", n.runID, strconv.Quote(n.reason))
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("write lock file: %w", err)
	}
	if _, err := l.f.WriteAt([]byte(b.String()), 0); err != nil {
		return fmt.Errorf("write lock file: %w", err)
	}
	return l.f.Sync()
}

func readNotes(r io.Reader) []failureNote {
	var out []failureNote
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "run ")
		if !ok {
			continue
		}
		num, quoted, ok := strings.Cut(rest, " failed: ")
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			continue
		}
		reason, err := strconv.Unquote(quoted)
		if err != nil {
			continue
		}
		out = append(out, failureNote{id, reason})
	}
	return out
}

// realPath is the absolute path of the file at p with every symlink
// resolved, also when the file, or its directory, does not exist yet: a
// dangling symlink resolves to where it points, a missing part of the
// path stays as written.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	links := 0
	return resolve(abs, &links)
}

func resolve(p string, links *int) (string, error) {
	parent := filepath.Dir(p)
	if parent == p {
		return p, nil
	}
	rp, err := resolve(parent, links)
	if err != nil {
		return "", err
	}
	q := filepath.Join(rp, filepath.Base(p))
	fi, err := os.Lstat(q)
	if errors.Is(err, fs.ErrNotExist) {
		return q, nil
	}
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return q, nil
	}
	if *links++; *links > 40 {
		return "", fmt.Errorf("%s: too many levels of symbolic links", p)
	}
	target, err := os.Readlink(q)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(rp, target)
	}
	return resolve(target, links)
}
