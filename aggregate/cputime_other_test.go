//go:build !linux

package aggregate_test

import "time"

// threadCPUTime is not available here; benchmarks then report wall time
// only.
func threadCPUTime() (time.Duration, bool) { return 0, false }
