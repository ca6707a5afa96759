package report_test

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

var mergeOpts = cmp.Options{cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Addr{})}

func TestMerge(t *testing.T) {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	sts := policy.Policy{Type: policy.TypeSTS, Domain: "example.com", Strings: []string{"version: STSv1", "mode: enforce"}, MXHosts: []string{"mx.example.com"}}
	stsUpper := sts
	stsUpper.Domain = "EXAMPLE.com" // the same policy as Key compares
	tlsa := policy.Policy{Type: policy.TypeTLSA, Domain: "mx.example.com", Strings: []string{"3 1 1 aa"}}
	none := policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "a.example"}
	expired := report.FailureDetail{ResultType: report.ResultCertificateExpired, ReceivingIP: netip.MustParseAddr("192.0.2.1")}
	expired2 := expired
	expired2.ReceivingIP = netip.MustParseAddr("192.0.2.2")
	mismatch := report.FailureDetail{ResultType: report.ResultCertificateHostMismatch}
	n := func(fd report.FailureDetail, c int64) report.FailureDetail { fd.FailedSessionCount = c; return fd }
	rep := func(id string, start time.Time, prs ...report.PolicyResult) *report.Report {
		return &report.Report{OrganizationName: "Org " + id, ContactInfo: id + "@example.net", ReportID: id,
			DateRange: report.DateRange{Start: start, End: start.Add(24*time.Hour - time.Second)}, Policies: prs}
	}
	pr := func(p policy.Policy, ok, failed int64, fds ...report.FailureDetail) report.PolicyResult {
		return report.PolicyResult{Policy: p, Summary: report.Summary{TotalSuccessfulSessionCount: ok, TotalFailureSessionCount: failed}, FailureDetails: fds}
	}
	tests := []struct {
		name   string
		reason string
		in     []*report.Report
		want   *report.Report
	}{{
		name:   "none",
		reason: "nothing to merge is nil",
		in:     []*report.Report{nil, nil},
		want:   nil,
	}, {
		name:   "one",
		reason: "a single report comes out sorted, otherwise unchanged",
		in:     []*report.Report{rep("a", day, pr(tlsa, 1, 2, n(mismatch, 1), n(expired, 1)), pr(none, 3, 0))},
		want:   rep("a", day, pr(none, 3, 0), pr(tlsa, 1, 2, n(expired, 1), n(mismatch, 1))),
	}, {
		name:   "sums",
		reason: "counts of the same policy and detail add up; the first report's metadata is kept, the date-range covers all",
		in: []*report.Report{
			rep("a", day, pr(sts, 5, 2, n(expired, 2))),
			nil,
			rep("b", day.Add(24*time.Hour), pr(stsUpper, 1, 3, n(expired, 1), n(expired2, 2)), pr(tlsa, 0, 1, n(mismatch, 1))),
		},
		want: &report.Report{OrganizationName: "Org a", ContactInfo: "a@example.net", ReportID: "a",
			DateRange: report.DateRange{Start: day, End: day.Add(48*time.Hour - time.Second)},
			Policies: []report.PolicyResult{
				pr(sts, 6, 5, n(expired, 3), n(expired2, 2)),
				pr(tlsa, 0, 1, n(mismatch, 1)),
			}},
	}, {
		name:   "saturate",
		reason: "sums saturate at the largest int64",
		in:     []*report.Report{rep("a", day, pr(none, math.MaxInt64, 0)), rep("a", day, pr(none, 1, 0))},
		want:   rep("a", day, pr(none, math.MaxInt64, 0)),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fmt.Sprintf("%+v", tt.in)
			got := report.Merge(tt.in...)
			if diff := cmp.Diff(tt.want, got, mergeOpts); diff != "" {
				t.Errorf("%s\nMerge (-want +got):\n%s", tt.reason, diff)
			}
			if after := fmt.Sprintf("%+v", tt.in); after != before {
				t.Errorf("Merge changed its input:\n%s\n%s", before, after)
			}
		})
	}
}

// TestMergeSharesNothing: changing the merged report leaves its inputs
// alone.
func TestMergeSharesNothing(t *testing.T) {
	in := &report.Report{Policies: []report.PolicyResult{{
		Policy:         policy.Policy{Type: policy.TypeSTS, Domain: "example.com", Strings: []string{"version: STSv1"}, MXHosts: []string{"mx.example.com"}},
		FailureDetails: []report.FailureDetail{{ResultType: report.ResultCertificateExpired, FailedSessionCount: 1}},
	}}}
	out := report.Merge(in)
	out.Policies[0].Policy.Strings[0] = "changed"
	out.Policies[0].Policy.MXHosts[0] = "changed"
	out.Policies[0].FailureDetails[0].FailedSessionCount = 9
	p := in.Policies[0]
	if p.Policy.Strings[0] != "version: STSv1" || p.Policy.MXHosts[0] != "mx.example.com" || p.FailureDetails[0].FailedSessionCount != 1 {
		t.Errorf("changing Merge's result changed its input: %+v", p)
	}
}

func TestFailureDetailCompare(t *testing.T) {
	// Ascending, one member at a time in the documented order.
	sorted := []report.FailureDetail{
		{ResultType: report.ResultCertificateExpired, ReceivingMXHostname: "b", ReceivingIP: netip.MustParseAddr("192.0.2.9")},
		{ResultType: report.ResultCertificateHostMismatch},
		{ResultType: report.ResultCertificateHostMismatch, ReceivingMXHostname: "a"},
		{ResultType: report.ResultCertificateHostMismatch, ReceivingMXHostname: "a", ReceivingIP: netip.MustParseAddr("192.0.2.1")},
		{ResultType: report.ResultCertificateHostMismatch, ReceivingMXHostname: "a", ReceivingIP: netip.MustParseAddr("2001:db8::1")},
		{ResultType: report.ResultCertificateHostMismatch, ReceivingMXHostname: "a", ReceivingIP: netip.MustParseAddr("2001:db8::1"), SendingMTAIP: netip.MustParseAddr("192.0.2.1")},
		{ResultType: report.ResultCertificateHostMismatch, ReceivingMXHostname: "a", ReceivingIP: netip.MustParseAddr("2001:db8::1"), SendingMTAIP: netip.MustParseAddr("192.0.2.1"), ReceivingMXHelo: "h"},
		{ResultType: report.ResultCertificateHostMismatch, ReceivingMXHostname: "a", ReceivingIP: netip.MustParseAddr("2001:db8::1"), SendingMTAIP: netip.MustParseAddr("192.0.2.1"), ReceivingMXHelo: "h", FailureReasonCode: "c"},
		{ResultType: report.ResultCertificateHostMismatch, ReceivingMXHostname: "a", ReceivingIP: netip.MustParseAddr("2001:db8::1"), SendingMTAIP: netip.MustParseAddr("192.0.2.1"), ReceivingMXHelo: "h", FailureReasonCode: "c", AdditionalInformation: "https://x"},
		{ResultType: report.ResultCertificateHostMismatch, ReceivingMXHostname: "a", ReceivingIP: netip.MustParseAddr("2001:db8::1"), SendingMTAIP: netip.MustParseAddr("192.0.2.1"), ReceivingMXHelo: "h", FailureReasonCode: "c", AdditionalInformation: "https://x", FailedSessionCount: 1},
	}
	for i := range sorted {
		for j := range sorted {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := sorted[i].Compare(sorted[j]); got != want {
				t.Errorf("[%d].Compare([%d]) = %d, want %d", i, j, got, want)
			}
		}
	}
	shuffled := slices.Clone(sorted)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, report.FailureDetail.Compare)
	if diff := cmp.Diff(sorted, shuffled, mergeOpts); diff != "" {
		t.Errorf("sorted (-want +got):\n%s", diff)
	}
}

// ExampleMerge adds up the reports of two nodes of one sender about the
// same day.
func ExampleMerge() {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	sts := policy.Policy{Type: policy.TypeSTS, Domain: "example.com", Strings: []string{"version: STSv1", "mode: enforce"}, MXHosts: []string{"mx.example.com"}}
	expired := report.FailureDetail{ResultType: report.ResultCertificateExpired, ReceivingMXHostname: "mx.example.com"}
	node := func(ok, failed int64) *report.Report {
		fd := expired
		fd.FailedSessionCount = failed
		return &report.Report{
			OrganizationName: "Example Sender",
			DateRange:        report.DateRange{Start: day, End: day.Add(24*time.Hour - time.Second)},
			ContactInfo:      "tlsrpt@sender.example",
			ReportID:         "2026-11-24.example.com@sender.example",
			Policies: []report.PolicyResult{{Policy: sts,
				Summary:        report.Summary{TotalSuccessfulSessionCount: ok, TotalFailureSessionCount: failed},
				FailureDetails: []report.FailureDetail{fd}}},
		}
	}
	m := report.Merge(node(100, 2), node(50, 1))
	b, err := m.MarshalJSON()
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"organization-name":"Example Sender","date-range":{"start-datetime":"2026-11-24T00:00:00Z","end-datetime":"2026-11-24T23:59:59Z"},"contact-info":"tlsrpt@sender.example","report-id":"2026-11-24.example.com@sender.example","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce"],"policy-domain":"example.com","mx-host":["mx.example.com"]},"summary":{"total-successful-session-count":150,"total-failure-session-count":3},"failure-details":[{"result-type":"certificate-expired","receiving-mx-hostname":"mx.example.com","failed-session-count":3}]}]}
}
