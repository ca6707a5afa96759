//go:build linux

package aggregate_test

import (
	"syscall"
	"time"
)

// threadCPUTime returns the CPU time the calling OS thread has used, so a
// benchmark on a busy machine can report its own cost apart from the time
// it waited for a CPU. The caller locks its goroutine to the thread.
func threadCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
