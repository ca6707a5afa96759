package report

import (
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/cputime"
)

// processCPUTime returns the CPU time the process has used, all threads
// together (the garbage collector's included), so a benchmark on a busy
// machine can report its own cost apart from the time it waited for a CPU.
func processCPUTime() (time.Duration, bool) { return cputime.Process() }
