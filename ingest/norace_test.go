//go:build !race

package ingest

// raceEnabled reports whether the test binary has the race detector, which
// multiplies memory use.
const raceEnabled = false
