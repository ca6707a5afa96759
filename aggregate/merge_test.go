package aggregate_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// randomSessions returns n sessions over three days around day0, under a
// few policies of a few domains, with 0 to 3 failure details drawn from a
// small pool (so that keys repeat), some of them report deliveries.
func randomSessions(r *rand.Rand, n int) []session {
	policies := []policy.Policy{
		stsCom,
		{Type: policy.TypeSTS, Domain: "example.com", Strings: []string{"version: STSv1", "mode: testing"}},
		{Type: policy.TypeTLSA, Domain: "mx1.example.com", Strings: []string{"3 1 1 AA", "2 0 1 bb"}},
		{Type: policy.TypeTLSA, Domain: "MX1.example.com", Strings: []string{"2 0 1 BB", "3 1 1 aa"}}, // equal to the one above
		tlsaMX,
		noneOrg,
		{Type: policy.TypeNoPolicyFound, Domain: "xn--bcher-kva.example"},
	}
	types := []report.ResultType{report.ResultCertificateExpired, report.ResultSTARTTLSNotSupported, report.ResultValidationFailure, report.ResultSTSPolicyInvalid}
	var pool []report.FailureDetail
	for i := range 24 {
		fd := report.FailureDetail{ResultType: types[i%len(types)]}
		if i%2 == 0 {
			fd.SendingMTAIP = netip.AddrFrom4([4]byte{192, 0, 2, byte(i % 3)})
		}
		if i%3 != 0 {
			fd.ReceivingMXHostname = fmt.Sprintf("mx%d.example.com", i%4)
			fd.ReceivingIP = netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i%5))
		}
		if i%5 == 0 {
			fd.ReceivingMXHelo = "mx.example.com ESMTP"
			fd.FailureReasonCode = "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
		}
		if fd.ResultType == report.ResultValidationFailure && fd.FailureReasonCode == "" && i%8 != 2 {
			// Some validation-failures stay without a reason code: RFC
			// 8460 §4.3.1 makes it a SHOULD, and they are counted.
			fd.FailureReasonCode = "handshake failure"
		}
		if i%7 == 0 {
			fd.AdditionalInformation = "https://help.example.com/tls"
		}
		pool = append(pool, fd)
	}
	start := day0.Add(-24 * time.Hour)
	out := make([]session, n)
	for i := range out {
		s := session{
			t: start.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))),
			p: policies[r.IntN(len(policies))],
		}
		if r.IntN(4) == 0 {
			s.t = day0.Add(time.Duration(r.IntN(2)) * 24 * time.Hour).Add(-time.Duration(r.IntN(2)) * time.Nanosecond) // near midnight
		}
		for range r.IntN(4) {
			s.failures = append(s.failures, pool[r.IntN(len(pool))])
		}
		s.delivery = r.IntN(20) == 0
		out[i] = s
	}
	return out
}

// TestMergeEqualsSingleNode is the property that makes aggregation
// addable: sessions spread over N aggregators whose snapshots are merged
// give exactly the reports (and snapshot) of one aggregator that recorded
// them all.
func TestMergeEqualsSingleNode(t *testing.T) {
	for seed := range uint64(24) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 8460))
			ss := randomSessions(r, 1+r.IntN(300))
			single := aggregate.New(testConfig)
			record(t, single, ss...)

			nodes := make([]*aggregate.Aggregator, 1+r.IntN(5))
			for i := range nodes {
				nodes[i] = aggregate.New(testConfig)
			}
			for _, s := range ss {
				record(t, nodes[r.IntN(len(nodes))], s)
			}
			merged := aggregate.New(testConfig)
			for _, n := range nodes {
				merge(t, merged, snapshot(t, n))
			}
			want, got := allReports(t, single), allReports(t, merged)
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				t.Fatalf("merged reports differ from the single node (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(string(snapshot(t, single)), string(snapshot(t, merged))); diff != "" {
				t.Fatalf("merged snapshot differs from the single node (-want +got):\n%s", diff)
			}
			for _, rs := range got {
				for _, rep := range rs {
					checkReport(t, rep)
				}
			}
		})
	}
}

// TestConcurrent records from many goroutines while snapshots and reports
// are taken; run with -race. The final counts are exact.
func TestConcurrent(t *testing.T) {
	a := aggregate.New(testConfig)
	const workers, per = 8, 500
	ss := randomSessions(rand.New(rand.NewPCG(1, 2)), per)
	ids := make([]aggregate.PolicyID, len(ss))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, s := range ss {
				id, err := a.PolicyID(s.p)
				if err != nil {
					t.Error(err)
					return
				}
				if w == 0 {
					ids[i] = id
				}
				if err := a.Record(aggregate.Session{Time: s.t, Policy: id, Failures: failuresOf(s.failures...), ReportDelivery: s.delivery}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			if err := a.WriteSnapshot(discard{}); err != nil {
				t.Error(err)
			}
			if _, err := a.Reports(day0); err != nil {
				t.Error(err)
			}
			a.Days()
			a.Stats()
		}
	}()
	wg.Wait()

	single := aggregate.New(testConfig)
	for range workers {
		record(t, single, ss...)
	}
	if diff := cmp.Diff(allReports(t, single), allReports(t, a), cmpOpts); diff != "" {
		t.Errorf("concurrent counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(single.Stats(), a.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestReportMergeEqualsSingleNode: RFC 8460 reports are an export format
// between nodes. The reports of N Aggregators for a day, merged per
// report-id with report.Merge, are byte for byte the reports of one
// Aggregator that recorded every session.
func TestReportMergeEqualsSingleNode(t *testing.T) {
	for seed := range uint64(24) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 4))
			ss := randomSessions(r, 1+r.IntN(300))
			single := aggregate.New(testConfig)
			record(t, single, ss...)
			nodes := make([]*aggregate.Aggregator, 1+r.IntN(5))
			for i := range nodes {
				nodes[i] = aggregate.New(testConfig)
			}
			for _, s := range ss {
				record(t, nodes[r.IntN(len(nodes))], s)
			}
			for _, day := range single.Days() {
				want, err := single.Reports(day)
				if err != nil {
					t.Fatal(err)
				}
				byID := make(map[string][]*report.Report)
				for _, n := range nodes {
					rs, err := n.Reports(day)
					if err != nil {
						t.Fatal(err)
					}
					for _, rep := range rs {
						byID[rep.ReportID] = append(byID[rep.ReportID], rep)
					}
				}
				var got []*report.Report
				for _, w := range want {
					got = append(got, report.Merge(byID[w.ReportID]...))
					delete(byID, w.ReportID)
				}
				if len(byID) != 0 {
					t.Errorf("nodes have reports the single node has not: %v", byID)
				}
				if diff := cmp.Diff(reportsJSON(t, want), reportsJSON(t, got)); diff != "" {
					t.Fatalf("%s: merged reports (-single +merged):\n%s", day.Format(time.DateOnly), diff)
				}
			}
		})
	}
}
