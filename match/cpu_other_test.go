//go:build !unix

package match

import "time"

func cpuTime() time.Duration { return 0 }

func peakRSS() uint64 { return 0 }
