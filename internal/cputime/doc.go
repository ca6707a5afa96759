// Package cputime reads the CPU time the process or the calling OS thread
// has used, for benchmarks on a loaded machine: wall-clock ns/op there
// includes the time spent waiting for a CPU; CPU time does not, so a
// benchmark can report its own cost ("cpu-ns/op") beside it.
//
// It is a test-helper package: only _test.go files import it
// (internal/importgraph enforces that).
//
// # Limits
//
// The times come from getrusage(2) and are known on Linux only; elsewhere
// both functions report ok == false and benchmarks report wall time only.
// The kernel counts CPU time in ticks of the scheduler, so a reading is
// only as fine as that: divide a long run by b.N, never time one call.
package cputime
