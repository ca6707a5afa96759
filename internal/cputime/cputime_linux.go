//go:build linux

package cputime

import (
	"syscall"
	"time"
)

// rusageThread is RUSAGE_THREAD of getrusage(2), which package syscall
// does not name.
const rusageThread = 1

// Process returns the user and system CPU time the process has used, all
// its threads together (the garbage collector's included, another
// process's such as a database server's not), and whether it is known.
func Process() (time.Duration, bool) { return usage(syscall.RUSAGE_SELF) }

// Thread returns the user and system CPU time the calling OS thread has
// used, and whether it is known. The caller locks its goroutine to the
// thread (runtime.LockOSThread) from one reading to the next, so that both
// readings are of the same thread.
func Thread() (time.Duration, bool) { return usage(rusageThread) }

func usage(who int) (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
