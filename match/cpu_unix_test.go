//go:build unix

package match

import (
	"syscall"
	"time"
)

// cpuTime is the process's user plus system CPU time so far, so the
// benchmark can report work done independently of other load on the
// machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
