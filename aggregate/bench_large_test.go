package aggregate_test

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// manyDetails returns n distinct failure details: distinct sending-mta-ip
// and receiving-ip, one of 16 MX host names, two result types.
func manyDetails(n int) []report.FailureDetail {
	out := make([]report.FailureDetail, n)
	for i := range out {
		fd := report.FailureDetail{
			ResultType:          report.ResultCertificateExpired,
			SendingMTAIP:        netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
			ReceivingMXHostname: fmt.Sprintf("mx%d.example.com", i%16),
			ReceivingIP:         netip.AddrFrom4([4]byte{192, 0, byte(i >> 8), byte(i)}),
		}
		if i%2 == 1 {
			fd.ResultType = report.ResultValidationFailure
			fd.FailureReasonCode = "unable to get local issuer certificate"
		}
		out[i] = fd
	}
	return out
}

// BenchmarkAggregatorReportsLarge builds the reports of a day holding
// 100,000 distinct failure details, in one policy domain or spread over
// 100. "alloc/encoded" is the bytes Reports allocates divided by the
// size of the reports' JSON encoding.
func BenchmarkAggregatorReportsLarge(b *testing.B) {
	const details = 100_000
	for _, domains := range []int{1, 100} {
		b.Run(fmt.Sprintf("domains=%d", domains), func(b *testing.B) {
			a := aggregate.New(testConfig)
			ids := make([]aggregate.PolicyID, domains)
			for d := range ids {
				id, err := a.PolicyID(policy.Policy{Type: policy.TypeSTS, Domain: fmt.Sprintf("d%d.example", d), Strings: []string{"version: STSv1", "mode: enforce"}, MXHosts: []string{"*.example.com"}})
				if err != nil {
					b.Fatal(err)
				}
				ids[d] = id
			}
			fds := manyDetails(details)
			for i, fd := range fds {
				if err := a.Record(aggregate.Session{Time: noon, Policy: ids[i%domains], Failures: failuresOf(fd)}); err != nil {
					b.Fatal(err)
				}
			}
			rs, err := a.Reports(noon)
			if err != nil {
				b.Fatal(err)
			}
			encoded := 0
			for _, r := range rs {
				j, err := r.MarshalJSON()
				if err != nil {
					b.Fatal(err)
				}
				encoded += len(j)
			}
			b.SetBytes(int64(encoded))
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for range b.N {
				if _, err := a.Reports(noon); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(encoded), "alloc/encoded")
		})
	}
}

// BenchmarkAggregatorRecordManyFailures records one session that lists n
// distinct failure details, all of whose keys exist: the work should
// grow linearly with n ("ns/failure" constant).
func BenchmarkAggregatorRecordManyFailures(b *testing.B) {
	for _, n := range []int{100, 800, 3200} {
		b.Run(fmt.Sprintf("failures=%d", n), func(b *testing.B) {
			a := aggregate.New(testConfig)
			id, err := a.PolicyID(stsCom)
			if err != nil {
				b.Fatal(err)
			}
			s := aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(manyDetails(n)...)}
			if err := a.Record(s); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := startCPUTimer()
			b.ResetTimer()
			for range b.N {
				if err := a.Record(s); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if perOp := cpu.stop(b); perOp > 0 {
				b.ReportMetric(perOp/float64(n), "cpu-ns/failure")
			}
		})
	}
}
