package store

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// synthBatchDay returns the counts of one day with keys distinct failure
// details (the keys of the failure-count table), ten per policy, as an
// MTA's flush holds them: an sts policy per recipient domain, details
// with addresses, MX names and reason codes.
func synthBatchDay(keys int) []report.PolicyResult {
	var out []report.PolicyResult
	for k := 0; k < keys; k += 10 {
		d := fmt.Sprintf("domain%d.example", k/10)
		pr := report.PolicyResult{
			Policy: policy.Policy{Type: policy.TypeSTS, Domain: d, MXHosts: []string{"mx1." + d, "mx2." + d},
				Strings: []string{"version: STSv1", "mode: enforce", "mx: mx1." + d, "mx: mx2." + d, "max_age: 604800"}},
			Summary: report.Summary{TotalSuccessfulSessionCount: 1000, TotalFailureSessionCount: int64(min(10, keys-k))},
		}
		for i := k; i < min(k+10, keys); i++ {
			pr.FailureDetails = append(pr.FailureDetails, report.FailureDetail{
				ResultType:          report.ResultCertificateExpired,
				SendingMTAIP:        netip.AddrFrom4([4]byte{192, 0, 2, byte(i % 250)}),
				ReceivingMXHostname: "mx1." + d,
				ReceivingIP:         netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)}),
				FailureReasonCode:   "certificate expired",
				FailedSessionCount:  1,
			})
		}
		out = append(out, pr)
	}
	return out
}

// BenchmarkApplyBatch measures a flush: ApplyBatch of a batch with 1, 100
// or 10,000 distinct failure-detail keys (and a tenth as many policies)
// on one day, each batch a new seq adding to the keys the earlier batches
// created, the steady state of a day. ns/key is the cost of one key of a
// flush; cpu-ns/key counts this process's CPU only (not PostgreSQL's).
func BenchmarkApplyBatch(b *testing.B) {
	for _, d := range dialects {
		for _, keys := range []int{1, 100, 10000} {
			b.Run(fmt.Sprintf("%s/keys=%d", d.name, keys), func(b *testing.B) {
				ctx := context.Background()
				st := openStore(b, d.open(b), Options{})
				days := []aggregate.DayCounts{{Day: day1, Policies: synthBatchDay(keys)}}
				// The first batch creates the keys.
				if err := st.ApplyBatch(ctx, &aggregate.Batch{Node: "bench", Seq: 1, Days: days}); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				cpu0, cpuOK := processCPUTime()
				b.ResetTimer()
				seq := uint64(1)
				for b.Loop() {
					seq++
					if err := st.ApplyBatch(ctx, &aggregate.Batch{Node: "bench", Seq: seq, Days: days}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*keys), "ns/key")
				if cpu1, ok := processCPUTime(); ok && cpuOK {
					b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N*keys), "cpu-ns/key")
				}
			})
		}
	}
}
