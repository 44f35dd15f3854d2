package cli

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errLocked says another run holds the lock; it maps to exit code 4.
var errLocked = errors.New("another run holds the lock")

// lock is an exclusive advisory lock on a file beside the database. The
// kernel drops it when the process dies, so a killed run never leaves a
// stale lock behind for the next night.
type lock struct{ f *os.File }

func acquireLock(path string) (*lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, withCode(ExitLocked, fmt.Errorf("%w (%s); wait for it to finish", errLocked, path))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// Note the holder, for the person who finds the lock file.
	f.Truncate(0)
	fmt.Fprintf(f, "pid %d\n", os.Getpid())
	return &lock{f: f}, nil
}

func (l *lock) release() {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
