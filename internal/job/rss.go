package job

import (
	"syscall"
	"time"
)

// peakRSSMiB is the process's peak resident set so far, in MiB, from
// getrusage. Each phase logs it, so a run's log shows which phase set the
// peak (the figure never falls: it is the high-water mark up to that
// phase). It is 0 where the call fails.
func peakRSSMiB() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss / 1024 // Linux reports kilobytes
}

// processCPUSeconds is the CPU time (user and system) the process has
// used so far. Each phase logs it, so the difference between two phase
// lines is the CPU the later phase used, across all cores.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
