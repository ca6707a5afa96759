// Package measure holds what the bench programs share: CPU-time clocks
// for paired rounds, medians, deterministic gzip, the formats of their
// tables, and the typical report of the mime.Write and receiver rows.
package measure

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// Clock selects the CPU time getrusage reports.
type Clock int

const (
	// Process is the CPU time of every thread of the process, so that the
	// garbage collector's work on other threads counts.
	Process Clock = syscall.RUSAGE_SELF
	// Thread is the CPU time of the calling thread only (Linux
	// RUSAGE_THREAD); lock the goroutine to its thread first.
	Thread Clock = 1
)

// Now returns the CPU time used so far.
func (c Clock) Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(int(c), &ru); err != nil {
		panic(fmt.Sprintf("getrusage: %v", err))
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Run calls f n times after a garbage collection and returns the CPU
// time spent.
func (c Clock) Run(f func(), n int) time.Duration {
	runtime.GC()
	start := c.Now()
	for i := 0; i < n; i++ {
		f()
	}
	return c.Now() - start
}

// Calibrate returns how many calls of f take about target CPU time.
func (c Clock) Calibrate(f func(), target time.Duration) int {
	f() // warm up
	n := 1
	for {
		d := c.Run(f, n)
		if d >= target/10 || n >= 1<<30 {
			return max(1, int(float64(n)*float64(target)/float64(max(d, 1))))
		}
		n *= 4
	}
}

// Median returns the median of v (the mean of the middle two for an even
// length); v is not changed.
func Median[T int64 | float64 | time.Duration](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Gzip compresses data deterministically (no name, no mtime).
func Gzip(data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Size formats a byte count for the tables.
func Size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Duration formats a time per operation for the tables.
func Duration(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	}
	return fmt.Sprintf("%d ns", d)
}

// TypicalReport returns the report of the mime.Write and receiver rows:
// mime's test report, two policies and three failure details, 1.1 KiB of
// JSON.
func TypicalReport() *report.Report {
	return &report.Report{
		OrganizationName: "Sender Ärger Inc.",
		DateRange: report.DateRange{
			Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2024, 3, 1, 23, 59, 59, 0, time.UTC),
		},
		ContactInfo: "mailto:tlsrpt@mail.sender.example",
		ReportID:    "2024-03-01T00:00:00Z_example.net",
		Policies: []report.PolicyResult{
			{
				Policy: policy.Policy{
					Type:    policy.TypeSTS,
					Strings: []string{"version: STSv1", "mode: enforce", "mx: mx1.example.net", "max_age: 86400"},
					Domain:  "example.net",
					MXHosts: []string{"mx1.example.net"},
				},
				Summary: report.Summary{TotalSuccessfulSessionCount: 5326, TotalFailureSessionCount: 303},
				FailureDetails: []report.FailureDetail{
					{ResultType: report.ResultCertificateExpired, SendingMTAIP: netip.MustParseAddr("2001:db8::25"), ReceivingMXHostname: "mx1.example.net", ReceivingIP: netip.MustParseAddr("192.0.2.10"), FailedSessionCount: 200},
					{ResultType: report.ResultSTARTTLSNotSupported, SendingMTAIP: netip.MustParseAddr("198.51.100.7"), FailedSessionCount: 3, FailureReasonCode: "500 5.5.1 unknown command"},
					{ResultType: report.ResultCertificateExpired, ReceivingMXHostname: "mx2.example.net", FailedSessionCount: 100},
				},
			},
			{
				Policy:  policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.net"},
				Summary: report.Summary{TotalSuccessfulSessionCount: 12},
			},
		},
	}
}
