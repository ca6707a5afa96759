//go:build linux

package store

import (
	"syscall"
	"time"
)

// processCPUTime returns the CPU time the process has used, all threads
// together, so a benchmark on a busy machine can report its own cost apart
// from the time it waited for a CPU. (A PostgreSQL server's CPU time is
// not in it: the server is another process.)
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
