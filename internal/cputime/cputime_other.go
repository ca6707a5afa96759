//go:build !linux

package cputime

import "time"

// Process returns the CPU time the process has used; it is not known on
// this system, so ok is false.
func Process() (time.Duration, bool) { return 0, false }

// Thread returns the CPU time the calling OS thread has used; it is not
// known on this system, so ok is false.
func Thread() (time.Duration, bool) { return 0, false }
