package aggregate_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/internal/cputime"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// cpuTimer reports "cpu-ns/op", the CPU time of the benchmark's thread per
// operation, beside the wall-clock ns/op: on a loaded machine the two
// differ by the time spent waiting for a CPU.
type cpuTimer struct {
	start time.Duration
	ok    bool
}

func startCPUTimer() *cpuTimer {
	runtime.LockOSThread()
	t, ok := cputime.Thread()
	return &cpuTimer{start: t, ok: ok}
}

// stop reports "cpu-ns/op" and returns it, or 0 when the thread's CPU
// time is not known.
func (c *cpuTimer) stop(b *testing.B) float64 {
	end, ok := cputime.Thread()
	runtime.UnlockOSThread()
	if c.ok && ok && b.N > 0 {
		perOp := float64(end-c.start) / float64(b.N)
		b.ReportMetric(perOp, "cpu-ns/op")
		return perOp
	}
	return 0
}

// BenchmarkAggregatorRecord records one failed session with one failure
// detail for an existing (day, policy, detail) key: the MTA's hot path.
func BenchmarkAggregatorRecord(b *testing.B) {
	a := aggregate.New(testConfig)
	id, err := a.PolicyID(stsCom)
	if err != nil {
		b.Fatal(err)
	}
	s := aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(expired)}
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
	cpu.stop(b)
}

// BenchmarkAggregatorRecordSuccess records one successful session.
func BenchmarkAggregatorRecordSuccess(b *testing.B) {
	a := aggregate.New(testConfig)
	id, err := a.PolicyID(stsCom)
	if err != nil {
		b.Fatal(err)
	}
	s := aggregate.Session{Time: noon, Policy: id}
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
	cpu.stop(b)
}

// BenchmarkAggregatorPolicyID looks up an already registered policy, for
// callers that do not cache the PolicyID.
func BenchmarkAggregatorPolicyID(b *testing.B) {
	a := aggregate.New(testConfig)
	if _, err := a.PolicyID(stsCom); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := a.PolicyID(stsCom); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAggregatorRecordParallel records from GOMAXPROCS goroutines,
// each delivering to its own destinations (policies), successes and
// failures mixed.
func BenchmarkAggregatorRecordParallel(b *testing.B) {
	a := aggregate.New(testConfig)
	const policies = 256
	ids := make([]aggregate.PolicyID, policies)
	for i := range ids {
		id, err := a.PolicyID(policy.Policy{Type: policy.TypeSTS, Domain: fmt.Sprintf("d%d.example", i), Strings: []string{"version: STSv1", "mode: enforce"}})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
		for _, f := range [][]report.FailureDetail{nil, {expired}} {
			if err := a.Record(aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(f...)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := int(next.Add(1)) * 37
		fails := []report.FailureDetail{expired}
		for i := 0; pb.Next(); i++ {
			s := aggregate.Session{Time: noon, Policy: ids[(g+i)%policies]}
			if i%4 == 0 {
				s.Failures = failuresOf(fails...)
			}
			if err := a.Record(s); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAggregatorRecordDistinctDetails records failed sessions
// cycling through n distinct failure details (distinct sending-mta-ip)
// that all exist already. The work per record does not depend on n (one
// hash lookup; mox's linear scan grows with n); what grows at 100,000 is
// only the cache misses of touching a different entry of a large table
// each time.
func BenchmarkAggregatorRecordDistinctDetails(b *testing.B) {
	for _, n := range []int{1, 1000, 100_000} {
		b.Run(fmt.Sprintf("details=%d", n), func(b *testing.B) {
			a := aggregate.New(testConfig)
			id, err := a.PolicyID(stsCom)
			if err != nil {
				b.Fatal(err)
			}
			failures := []report.FailureDetail{expired}
			s := aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(failures...)}
			ip := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
			for i := range n {
				failures[0].SendingMTAIP = ip(i)
				if err := a.Record(s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			cpu := startCPUTimer()
			b.ResetTimer()
			for i := range b.N {
				failures[0].SendingMTAIP = ip(i % n)
				if err := a.Record(s); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu.stop(b)
		})
	}
}

// BenchmarkAggregatorReports builds the day's reports from 100 policy
// domains with 10 failure details each.
func BenchmarkAggregatorReports(b *testing.B) {
	a := aggregate.New(testConfig)
	for d := range 100 {
		id, err := a.PolicyID(policy.Policy{Type: policy.TypeNoPolicyFound, Domain: fmt.Sprintf("d%d.example", d)})
		if err != nil {
			b.Fatal(err)
		}
		for i := range 10 {
			fd := expired
			fd.ReceivingIP = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
			if err := a.Record(aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(fd)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := a.Reports(noon); err != nil {
			b.Fatal(err)
		}
	}
}

// snapshotBenchAggregator holds two days of 100 policy domains with 10
// failure details each.
func snapshotBenchAggregator(b *testing.B) *aggregate.Aggregator {
	a := aggregate.New(testConfig)
	for d := range 100 {
		id, err := a.PolicyID(policy.Policy{Type: policy.TypeSTS, Domain: fmt.Sprintf("d%d.example", d), Strings: []string{"version: STSv1", "mode: enforce"}, MXHosts: []string{"*.mx.example.com"}})
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range []time.Time{noon, nextDay} {
			if err := a.Record(aggregate.Session{Time: t, Policy: id}); err != nil {
				b.Fatal(err)
			}
			for i := range 10 {
				fd := expired
				fd.ReceivingIP = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
				if err := a.Record(aggregate.Session{Time: t, Policy: id, Failures: failuresOf(fd)}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	return a
}

// BenchmarkAggregatorWriteSnapshot writes the snapshot of
// snapshotBenchAggregator; the throughput is snapshot bytes.
func BenchmarkAggregatorWriteSnapshot(b *testing.B) {
	a := snapshotBenchAggregator(b)
	var buf bytes.Buffer
	if err := a.WriteSnapshot(&buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	cpu := startCPUTimer()
	b.ResetTimer()
	for range b.N {
		buf.Reset()
		if err := a.WriteSnapshot(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.stop(b)
}

// BenchmarkAggregatorMergeSnapshot merges the snapshot of
// snapshotBenchAggregator into an Aggregator that already holds its keys,
// as a central node merging every node's snapshot each day does.
func BenchmarkAggregatorMergeSnapshot(b *testing.B) {
	var buf bytes.Buffer
	if err := snapshotBenchAggregator(b).WriteSnapshot(&buf); err != nil {
		b.Fatal(err)
	}
	snap := buf.Bytes()
	a := aggregate.New(testConfig)
	if err := a.MergeSnapshot(bytes.NewReader(snap)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(snap)))
	b.ReportAllocs()
	cpu := startCPUTimer()
	b.ResetTimer()
	for range b.N {
		if err := a.MergeSnapshot(bytes.NewReader(snap)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.stop(b)
}
