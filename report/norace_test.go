//go:build !race

package report

// raceEnabled reports whether the test binary has the race detector, which
// makes some reading patterns far slower.
const raceEnabled = false
