package store

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// The days and policies of the MTA tests: one of each policy type, an
// A-label domain, IPv4 and IPv6 addresses.
var (
	day1 = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	day2 = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

	stsPolicy = policy.Policy{Type: policy.TypeSTS, Domain: "xn--bcher-kva.example",
		Strings: []string{"version: STSv1", "mode: enforce", "mx: *.mx.xn--bcher-kva.example", "max_age: 604800"},
		MXHosts: []string{"*.mx.xn--bcher-kva.example"}}
	tlsaPolicy = policy.Policy{Type: policy.TypeTLSA, Domain: "mx.example.net",
		Strings: []string{"3 1 1 0a1b2c", "2 0 1 ffee"}}
	noPolicy = policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.org"}

	certExpired = report.FailureDetail{ResultType: report.ResultCertificateExpired,
		SendingMTAIP: netip.MustParseAddr("2001:db8::25"), ReceivingMXHostname: "a.mx.xn--bcher-kva.example",
		ReceivingIP: netip.MustParseAddr("2001:db8:1::1")}
	starttls = report.FailureDetail{ResultType: report.ResultSTARTTLSNotSupported,
		SendingMTAIP: netip.MustParseAddr("192.0.2.25"), ReceivingMXHostname: "mx.example.net",
		ReceivingMXHelo: "mx1.example.net", ReceivingIP: netip.MustParseAddr("198.51.100.7"),
		AdditionalInformation: "https://mx.example.net/why", FailureReasonCode: "no STARTTLS in EHLO reply"}
	tlsaInvalid = report.FailureDetail{ResultType: report.ResultTLSAInvalid,
		ReceivingMXHostname: "mx.example.net", ReceivingIP: netip.MustParseAddr("2001:db8:2::7")}
)

// withCount returns fd with failed-session-count n.
func withCount(fd report.FailureDetail, n int64) report.FailureDetail {
	fd.FailedSessionCount = n
	return fd
}

func result(p policy.Policy, ok, failed int64, details ...report.FailureDetail) report.PolicyResult {
	return report.PolicyResult{Policy: p, Summary: report.Summary{TotalSuccessfulSessionCount: ok, TotalFailureSessionCount: failed},
		FailureDetails: details}
}

// sortResults orders policy results and their details for comparison
// (DayCounts' order is the stored keys').
func sortResults(rs []report.PolicyResult) []report.PolicyResult {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b report.PolicyResult) int { return strings.Compare(a.Policy.Key(), b.Policy.Key()) })
	for i := range rs {
		rs[i].FailureDetails = slices.Clone(rs[i].FailureDetails)
		slices.SortFunc(rs[i].FailureDetails, func(a, b report.FailureDetail) int {
			return cmp.Or(strings.Compare(string(a.ResultType), string(b.ResultType)),
				a.SendingMTAIP.Compare(b.SendingMTAIP), a.ReceivingIP.Compare(b.ReceivingIP),
				strings.Compare(a.ReceivingMXHostname, b.ReceivingMXHostname), strings.Compare(a.ReceivingMXHelo, b.ReceivingMXHelo),
				strings.Compare(a.AdditionalInformation, b.AdditionalInformation), strings.Compare(a.FailureReasonCode, b.FailureReasonCode))
		})
	}
	return rs
}

func dayCounts(t testing.TB, st *Store, day time.Time) []report.PolicyResult {
	t.Helper()
	got, err := st.DayCounts(context.Background(), day)
	require.NoError(t, err)
	return sortResults(got)
}

// TestApplyBatchDayCounts applies batches of two nodes over two days and
// reads back every policy and failure detail exactly, summed.
func TestApplyBatchDayCounts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		batches := []*aggregate.Batch{
			{Node: "mta-a", Seq: 1, Days: []aggregate.DayCounts{{Day: day1, Policies: []report.PolicyResult{
				result(stsPolicy, 100, 3, withCount(certExpired, 3)),
				result(tlsaPolicy, 7, 2, withCount(starttls, 1), withCount(tlsaInvalid, 1)),
			}}}},
			{Node: "mta-b", Seq: 1, Days: []aggregate.DayCounts{
				{Day: day1, Policies: []report.PolicyResult{
					result(stsPolicy, 50, 1, withCount(certExpired, 1)),
					result(noPolicy, 9, 0),
				}},
				{Day: day2, Policies: []report.PolicyResult{result(stsPolicy, 1, 0)}},
			}},
			{Node: "mta-a", Seq: 2, Days: []aggregate.DayCounts{{Day: day1, Policies: []report.PolicyResult{
				result(tlsaPolicy, 1, 5, withCount(tlsaInvalid, 5)),
				// The same policy twice in one batch is merged.
				result(noPolicy, 1, 0),
				result(noPolicy, 2, 0),
			}}}},
		}
		for _, b := range batches {
			require.NoError(t, st.ApplyBatch(ctx, b))
		}
		// The stored form of tlsa sorts the RRset.
		storedTLSA := tlsaPolicy
		storedTLSA.Strings = []string{"2 0 1 ffee", "3 1 1 0a1b2c"}
		want1 := sortResults([]report.PolicyResult{
			result(stsPolicy, 150, 4, withCount(certExpired, 4)),
			result(storedTLSA, 8, 7, withCount(starttls, 1), withCount(tlsaInvalid, 6)),
			result(noPolicy, 12, 0),
		})
		if diff := gocmp.Diff(want1, dayCounts(t, st, day1), cmpOpts); diff != "" {
			t.Errorf("DayCounts(day1) (-want +got):\n%s", diff)
		}
		want2 := []report.PolicyResult{result(stsPolicy, 1, 0)}
		if diff := gocmp.Diff(want2, dayCounts(t, st, day2), cmpOpts); diff != "" {
			t.Errorf("DayCounts(day2) (-want +got):\n%s", diff)
		}
		got, err := st.DayCounts(ctx, day2.AddDate(0, 0, 1))
		require.NoError(t, err)
		if len(got) != 0 {
			t.Errorf("DayCounts of a day without counts = %v", got)
		}
		days, err := st.Days(ctx)
		require.NoError(t, err)
		if diff := gocmp.Diff([]time.Time{day1, day2}, days); diff != "" {
			t.Errorf("Days (-want +got):\n%s", diff)
		}
		for node, want := range map[string]uint64{"mta-a": 2, "mta-b": 1, "mta-c": 0} {
			seq, err := st.LastSeq(ctx, node)
			require.NoError(t, err)
			if seq != want {
				t.Errorf("LastSeq(%s) = %d, want %d", node, seq, want)
			}
		}
		// The reports built from the counts, one per policy domain,
		// validate.
		for _, pr := range dayCounts(t, st, day1) {
			rep := &report.Report{OrganizationName: "Example", ContactInfo: "mailto:tlsrpt@example.com", ReportID: "r",
				DateRange: report.DateRange{Start: day1, End: day1.Add(24*time.Hour - time.Second)}, Policies: []report.PolicyResult{pr}}
			require.NoError(t, rep.Validate())
		}
	})
}

// TestApplyBatchKeyRules checks that policies equal by policy.Policy.Key
// (domain case and trailing dot, mx-host case, tlsa RR order and case)
// count as one, stored in lower case, while sts strings keep their case and
// order and failure details differing in any member stay apart.
func TestApplyBatchKeyRules(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		loud := stsPolicy
		loud.Domain = "XN--Bcher-KVA.Example."
		loud.MXHosts = []string{"*.MX.xn--bcher-kva.example"}
		tlsaLoud := tlsaPolicy
		tlsaLoud.Domain = "MX.example.net"
		tlsaLoud.Strings = []string{"2 0 1 FFEE", "3 1 1 0A1B2C"}
		stsOtherOrder := stsPolicy
		stsOtherOrder.Strings = []string{"mode: enforce", "version: STSv1", "mx: *.mx.xn--bcher-kva.example", "max_age: 604800"}
		otherHelo := withCount(starttls, 1)
		otherHelo.ReceivingMXHelo = "mx2.example.net"
		require.NoError(t, st.ApplyBatch(ctx, &aggregate.Batch{Node: "n", Seq: 1, Days: []aggregate.DayCounts{{Day: day1,
			Policies: []report.PolicyResult{
				result(stsPolicy, 1, 0), result(loud, 2, 0), result(stsOtherOrder, 4, 0),
				result(tlsaPolicy, 0, 1, withCount(starttls, 1)), result(tlsaLoud, 0, 2, withCount(starttls, 1), otherHelo),
			}}}}))
		storedTLSA := tlsaPolicy
		storedTLSA.Strings = []string{"2 0 1 ffee", "3 1 1 0a1b2c"}
		want := sortResults([]report.PolicyResult{
			result(stsPolicy, 3, 0), result(stsOtherOrder, 4, 0),
			result(storedTLSA, 0, 3, withCount(starttls, 2), otherHelo),
		})
		if diff := gocmp.Diff(want, dayCounts(t, st, day1), cmpOpts); diff != "" {
			t.Errorf("DayCounts (-want +got):\n%s", diff)
		}
	})
}

// TestMTAKeys checks the key encoding: equal exactly when policy.Key is
// equal, and stable (the keys are persisted: a change needs a new
// version prefix and a migration).
func TestMTAKeys(t *testing.T) {
	variants := []policy.Policy{
		stsPolicy, tlsaPolicy, noPolicy,
		{Type: policy.TypeSTS, Domain: "XN--BCHER-KVA.example.", Strings: stsPolicy.Strings, MXHosts: []string{"*.mx.XN--bcher-kva.example"}},
		{Type: policy.TypeSTS, Domain: "xn--bcher-kva.example", Strings: []string{"Version: STSv1"}},
		{Type: policy.TypeSTS, Domain: "xn--bcher-kva.example", Strings: []string{"version: STSv1"}},
		{Type: policy.TypeTLSA, Domain: "mx.example.net", Strings: []string{"2 0 1 FFEE", "3 1 1 0A1B2C"}},
		{Type: policy.TypeTLSA, Domain: "mx.example.net", Strings: []string{"2 0 1 ffee"}},
		{Type: policy.TypeNoPolicyFound, Domain: "example.org", Strings: []string{}, MXHosts: []string{}},
		{Type: policy.TypeNoPolicyFound, Domain: "example.org."},
		{Type: policy.TypeNoPolicyFound, Domain: "example.com"},
		// Element boundaries matter.
		{Type: policy.TypeSTS, Domain: "a", Strings: []string{"ab", "c"}},
		{Type: policy.TypeSTS, Domain: "a", Strings: []string{"a", "bc"}},
	}
	for i, a := range variants {
		sa, _, ka, err := mtaPolicy(a)
		require.NoError(t, err)
		if sa.Key() != a.Key() {
			t.Errorf("stored form of %v has another Key", a)
		}
		for _, b := range variants[i:] {
			_, _, kb, err := mtaPolicy(b)
			require.NoError(t, err)
			if (ka == kb) != (a.Key() == b.Key()) {
				t.Errorf("keys of %v and %v: equal %v, policy.Key equal %v", a, b, ka == kb, a.Key() == b.Key())
			}
		}
	}
	_, js, key, err := mtaPolicy(tlsaPolicy)
	require.NoError(t, err)
	if want := `{"policy-type":"tlsa","policy-string":["2 0 1 ffee","3 1 1 0a1b2c"],"policy-domain":"mx.example.net","mx-host":[]}`; js != want {
		t.Errorf("policy JSON = %s, want %s", js, want)
	}
	djs, dkey, err := mtaDetail(&starttls)
	require.NoError(t, err)
	if want := `{"result-type":"starttls-not-supported","sending-mta-ip":"192.0.2.25","receiving-mx-hostname":"mx.example.net",` +
		`"receiving-mx-helo":"mx1.example.net","receiving-ip":"198.51.100.7","additional-information":"https://mx.example.net/why",` +
		`"failure-reason-code":"no STARTTLS in EHLO reply"}`; djs != want {
		t.Errorf("detail JSON = %s, want %s", djs, want)
	}
	for _, c := range []struct{ name, got, want string }{
		{"policy", hex.EncodeToString(key[:]), stablePolicyKey},
		{"detail", hex.EncodeToString(dkey[:]), stableDetailKey},
	} {
		if c.got != c.want {
			t.Errorf("%s key = %s, want %s: the persisted key encoding changed", c.name, c.got, c.want)
		}
	}
	// Details compare exactly: an IPv4-mapped or zoned address is kept.
	for _, fd := range []report.FailureDetail{certExpired, starttls, tlsaInvalid, {ResultType: report.ResultValidationFailure},
		{ResultType: "x-unknown", SendingMTAIP: netip.MustParseAddr("::ffff:192.0.2.1"), ReceivingIP: netip.MustParseAddr("fe80::1%eth0")}} {
		js, _, err := mtaDetail(&fd)
		require.NoError(t, err)
		back, err := parseDetail(js, 0)
		require.NoError(t, err)
		if diff := gocmp.Diff(fd, back, cmpOpts); diff != "" {
			t.Errorf("detail round trip (-want +got):\n%s", diff)
		}
	}
	if _, _, _, err := mtaPolicy(policy.Policy{Type: policy.TypeSTS, Domain: "a", Strings: []string{"\xff"}}); err == nil {
		t.Error("mtaPolicy accepted invalid UTF-8")
	}
	if _, _, err := mtaDetail(&report.FailureDetail{ResultType: "x", FailureReasonCode: "\xff"}); err == nil {
		t.Error("mtaDetail accepted invalid UTF-8")
	}
}

// The keys of tlsaPolicy and starttls in version 1 of the encoding: the
// SHA-256 of the version prefix and the JSON above (checked with
// sha256sum).
const (
	stablePolicyKey = "bec4602d9b08e60b84f909b4974d3ea6358e4e7e5e17e23dd6aa526e345b342c"
	stableDetailKey = "ddc9a4f5c6a6b2f0e5feb345592fed0566bdd0aa0e384d0ba3fa14e760a50de8"
)

// TestApplyBatchReplay applies batches again, also with other contents
// under the same (node, seq): nothing changes.
func TestApplyBatchReplay(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		b := &aggregate.Batch{Node: "mta-a", Seq: 7, Days: []aggregate.DayCounts{{Day: day1,
			Policies: []report.PolicyResult{result(stsPolicy, 10, 2, withCount(certExpired, 2))}}}}
		require.NoError(t, st.ApplyBatch(ctx, b))
		want := dayCounts(t, st, day1)
		require.NoError(t, st.ApplyBatch(ctx, b))
		other := &aggregate.Batch{Node: "mta-a", Seq: 7, Days: []aggregate.DayCounts{{Day: day2,
			Policies: []report.PolicyResult{result(noPolicy, 1, 0)}}}}
		require.NoError(t, st.ApplyBatch(ctx, other))
		if diff := gocmp.Diff(want, dayCounts(t, st, day1), cmpOpts); diff != "" {
			t.Errorf("DayCounts after replay (-first +replayed):\n%s", diff)
		}
		if got := dayCounts(t, st, day2); len(got) != 0 {
			t.Errorf("a replayed seq with other counts was applied: %v", got)
		}
		// An empty batch is recorded too.
		require.NoError(t, st.ApplyBatch(ctx, &aggregate.Batch{Node: "mta-a", Seq: 8}))
		seq, err := st.LastSeq(ctx, "mta-a")
		require.NoError(t, err)
		if seq != 8 {
			t.Errorf("LastSeq = %d, want 8", seq)
		}
	})
}

// TestApplyBatchInvalid checks that a malformed batch fails before
// anything is written.
func TestApplyBatchInvalid(t *testing.T) {
	good := result(stsPolicy, 1, 0)
	tests := []struct {
		name string
		b    *aggregate.Batch
	}{
		{"nil", nil},
		{"empty node", &aggregate.Batch{Seq: 1}},
		{"seq 0", &aggregate.Batch{Node: "n"}},
		{"seq too large", &aggregate.Batch{Node: "n", Seq: 1 << 63}},
		{"not midnight", &aggregate.Batch{Node: "n", Seq: 1, Days: []aggregate.DayCounts{{Day: day1.Add(time.Hour), Policies: []report.PolicyResult{good}}}}},
		{"not UTC midnight", &aggregate.Batch{Node: "n", Seq: 1, Days: []aggregate.DayCounts{{Day: time.Date(2026, 11, 28, 0, 0, 0, 0, time.FixedZone("x", 3600)), Policies: []report.PolicyResult{good}}}}},
		{"negative summary", &aggregate.Batch{Node: "n", Seq: 1, Days: []aggregate.DayCounts{{Day: day1, Policies: []report.PolicyResult{good, result(noPolicy, -1, 0)}}}}},
		{"negative detail", &aggregate.Batch{Node: "n", Seq: 1, Days: []aggregate.DayCounts{{Day: day1, Policies: []report.PolicyResult{good, result(noPolicy, 0, 0, withCount(starttls, -1))}}}}},
		{"invalid UTF-8", &aggregate.Batch{Node: "n", Seq: 1, Days: []aggregate.DayCounts{{Day: day1, Policies: []report.PolicyResult{good, result(noPolicy, 0, 1, report.FailureDetail{ResultType: report.ResultValidationFailure, FailureReasonCode: "\xfe", FailedSessionCount: 1})}}}}},
	}
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		for _, tt := range tests {
			if err := st.ApplyBatch(ctx, tt.b); err == nil {
				t.Errorf("%s: ApplyBatch succeeded", tt.name)
			}
		}
		seq, err := st.LastSeq(ctx, "n")
		require.NoError(t, err)
		days, err := st.Days(ctx)
		require.NoError(t, err)
		if seq != 0 || len(days) != 0 {
			t.Errorf("after failed batches: LastSeq %d, Days %v", seq, days)
		}
		for _, day := range []time.Time{day1.Add(time.Second), day1.In(time.FixedZone("x", 3600)).Add(time.Hour)} {
			if _, err := st.DayCounts(ctx, day); err == nil {
				t.Errorf("DayCounts(%v) succeeded", day)
			}
			if err := st.ForgetDay(ctx, day); err == nil {
				t.Errorf("ForgetDay(%v) succeeded", day)
			}
		}
		// The same instant in another zone is the day.
		_, err = st.DayCounts(ctx, day1.In(time.FixedZone("x", 3600)))
		require.NoError(t, err)
	})
}

// maxTestConns bounds the connections of a concurrency test's pool, as a
// deployment would: the goroutines outnumber them, and the tests of the
// package share one PostgreSQL server (max_connections 200).
const maxTestConns = 16

// TestApplyBatchConcurrent applies batches from many goroutines at once
// (each batch also a second time, concurrently, as a retried flush): the
// stored counts are the exact sums.
func TestApplyBatchConcurrent(t *testing.T) {
	const workers, perWorker = 8, 12
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		st.db.SetMaxOpenConns(maxTestConns)
		var wg sync.WaitGroup
		errs := make(chan error, 2*workers*perWorker)
		for w := range workers {
			node := fmt.Sprintf("mta-%d", w%3)
			for i := range perWorker {
				seq := uint64(w/3*1000 + i + 1)
				// Every batch adds 1 success and 1 failure to each of
				// stsPolicy (detail certExpired) and tlsaPolicy (a detail
				// of its own per worker, and the shared starttls), on
				// both days, so every row is contended.
				mine := withCount(certExpired, 1)
				mine.ReceivingMXHelo = fmt.Sprintf("w%d", w)
				var days []aggregate.DayCounts
				for _, d := range []time.Time{day2, day1} {
					days = append(days, aggregate.DayCounts{Day: d, Policies: []report.PolicyResult{
						result(tlsaPolicy, 1, 2, withCount(starttls, 1), mine),
						result(stsPolicy, 1, 1, withCount(certExpired, 1)),
					}})
				}
				b := &aggregate.Batch{Node: node, Seq: seq, Days: days}
				for range 2 {
					wg.Go(func() { errs <- st.ApplyBatch(ctx, b) })
				}
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		const n = workers * perWorker
		tlsaWant := result(tlsaPolicy, n, 2*n, withCount(starttls, n))
		tlsaWant.Policy.Strings = []string{"2 0 1 ffee", "3 1 1 0a1b2c"}
		for w := range workers {
			mine := withCount(certExpired, perWorker)
			mine.ReceivingMXHelo = fmt.Sprintf("w%d", w)
			tlsaWant.FailureDetails = append(tlsaWant.FailureDetails, mine)
		}
		want := sortResults([]report.PolicyResult{result(stsPolicy, n, n, withCount(certExpired, n)), tlsaWant})
		for _, d := range []time.Time{day1, day2} {
			if diff := gocmp.Diff(want, dayCounts(t, st, d), cmpOpts); diff != "" {
				t.Errorf("DayCounts(%s) (-want +got):\n%s", d.Format(time.DateOnly), diff)
			}
		}
	})
}

// TestForgetDay deletes one day's counts and claims and keeps the other
// day's and the applied seqs.
func TestForgetDay(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		require.NoError(t, st.ApplyBatch(ctx, &aggregate.Batch{Node: "n", Seq: 3, Days: []aggregate.DayCounts{
			{Day: day1, Policies: []report.PolicyResult{result(stsPolicy, 1, 1, withCount(certExpired, 1))}},
			{Day: day2, Policies: []report.PolicyResult{result(noPolicy, 2, 0)}},
		}}))
		now := day2.Add(26 * time.Hour)
		for _, d := range []time.Time{day1, day2} {
			ok, err := st.ClaimReport(ctx, aggregate.Claim{Day: d, PolicyDomain: "example.org", Node: "n", Now: now, Until: now.Add(time.Hour)})
			require.NoError(t, err)
			require.True(t, ok)
		}
		require.NoError(t, st.ForgetDay(ctx, day1))
		days, err := st.Days(ctx)
		require.NoError(t, err)
		if diff := gocmp.Diff([]time.Time{day2}, days); diff != "" {
			t.Errorf("Days after ForgetDay (-want +got):\n%s", diff)
		}
		if got := dayCounts(t, st, day1); len(got) != 0 {
			t.Errorf("DayCounts of a forgotten day = %v", got)
		}
		if diff := gocmp.Diff([]report.PolicyResult{result(noPolicy, 2, 0)}, dayCounts(t, st, day2), cmpOpts); diff != "" {
			t.Errorf("DayCounts(day2) (-want +got):\n%s", diff)
		}
		// day1's claim is gone: another node claims it; day2's is kept.
		for _, c := range []struct {
			day  time.Time
			want bool
		}{{day1, true}, {day2, false}} {
			ok, err := st.ClaimReport(ctx, aggregate.Claim{Day: c.day, PolicyDomain: "example.org", Node: "m", Now: now, Until: now.Add(time.Hour)})
			require.NoError(t, err)
			if ok != c.want {
				t.Errorf("claim of %s after ForgetDay(day1) = %v, want %v", c.day.Format(time.DateOnly), ok, c.want)
			}
		}
		seq, err := st.LastSeq(ctx, "n")
		require.NoError(t, err)
		if seq != 3 {
			t.Errorf("LastSeq after ForgetDay = %d, want 3", seq)
		}
		// Forgetting a day without counts is no error.
		require.NoError(t, st.ForgetDay(ctx, day1.AddDate(-1, 0, 0)))
	})
}

// TestApplyBatchSeqRuns applies a node's seqs out of order and again: each
// counts once, and the applied seqs are kept as runs of consecutive seqs,
// a row per run rather than per batch.
func TestApplyBatchSeqRuns(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		apply := func(node string, seqs ...uint64) {
			t.Helper()
			for _, seq := range seqs {
				require.NoError(t, st.ApplyBatch(ctx, &aggregate.Batch{Node: node, Seq: seq, Days: []aggregate.DayCounts{{Day: day1,
					Policies: []report.PolicyResult{result(noPolicy, int64(seq), 0)}}}}))
			}
		}
		runs := func(node string) []string {
			t.Helper()
			rows, err := st.db.QueryContext(ctx, rebind(st.dialect,
				"SELECT first_seq, last_seq FROM tlsrpt_mta_applied WHERE node = ? ORDER BY first_seq"), node)
			require.NoError(t, err)
			defer rows.Close()
			var out []string
			for rows.Next() {
				var first, last int64
				require.NoError(t, rows.Scan(&first, &last))
				out = append(out, fmt.Sprintf("%d..%d", first, last))
			}
			require.NoError(t, rows.Err())
			return out
		}
		steps := []struct {
			node string
			seqs []uint64
			runs []string
		}{
			{"a", []uint64{1, 2, 3}, []string{"1..3"}},
			{"a", []uint64{5}, []string{"1..3", "5..5"}},
			{"a", []uint64{3, 1, 5, 2}, []string{"1..3", "5..5"}},
			{"a", []uint64{4}, []string{"1..4", "5..5"}},
			{"a", []uint64{4, 5, 6, 6}, []string{"1..4", "5..6"}},
			// Runs are not merged: seqs out of order are rare (a Flusher
			// applies its batches in order).
			{"a", []uint64{9, 8}, []string{"1..4", "5..6", "8..8", "9..9"}},
			{"a", []uint64{10, 8, 9}, []string{"1..4", "5..6", "8..8", "9..10"}},
			{"b", []uint64{2}, []string{"2..2"}},
			{"b", []uint64{1}, []string{"1..1", "2..2"}},
			{"b", []uint64{1, 2, 3}, []string{"1..1", "2..3"}},
		}
		for _, s := range steps {
			apply(s.node, s.seqs...)
			if diff := gocmp.Diff(s.runs, runs(s.node)); diff != "" {
				t.Errorf("after %s %v: runs (-want +got):\n%s", s.node, s.seqs, diff)
			}
		}
		// Each seq added its number once: a 1..10 without 7, b 1..3.
		want := int64(1+2+3+4+5+6+8+9+10) + (1 + 2 + 3)
		if diff := gocmp.Diff([]report.PolicyResult{result(noPolicy, want, 0)}, dayCounts(t, st, day1), cmpOpts); diff != "" {
			t.Errorf("DayCounts (-want +got):\n%s", diff)
		}
		for node, want := range map[string]uint64{"a": 10, "b": 3} {
			seq, err := st.LastSeq(ctx, node)
			require.NoError(t, err)
			if seq != want {
				t.Errorf("LastSeq(%s) = %d, want %d", node, seq, want)
			}
		}
	})
}

// TestApplyBatchSeqRace applies the seqs of one node from many goroutines
// at once, each seq three times, in random order: every seq counts once,
// whichever runs of seqs the concurrent batches extend or start.
func TestApplyBatchSeqRace(t *testing.T) {
	const seqs, copies = 60, 3
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		st.db.SetMaxOpenConns(maxTestConns)
		order := make([]uint64, 0, seqs*copies)
		for seq := range uint64(seqs) {
			for range copies {
				order = append(order, seq+1)
			}
		}
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var wg sync.WaitGroup
		for _, seq := range order {
			wg.Go(func() {
				err := st.ApplyBatch(ctx, &aggregate.Batch{Node: "racer", Seq: seq, Days: []aggregate.DayCounts{{Day: day1,
					Policies: []report.PolicyResult{result(noPolicy, int64(seq), 0)}}}})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if diff := gocmp.Diff([]report.PolicyResult{result(noPolicy, seqs*(seqs+1)/2, 0)}, dayCounts(t, st, day1), cmpOpts); diff != "" {
			t.Errorf("DayCounts (-want +got):\n%s", diff)
		}
		last, err := st.LastSeq(ctx, "racer")
		require.NoError(t, err)
		if last != seqs {
			t.Errorf("LastSeq = %d, want %d", last, seqs)
		}
	})
}

// TestLastSeqWaitsForNode checks that on PostgreSQL LastSeq waits for a
// batch of the node still in flight (a crashed predecessor's last
// ApplyBatch, whose COMMIT the server may still carry out): reading the
// last Seq before it commits would make the restarted node reuse that
// Seq, and its first batch would be taken for a replay and dropped.
func TestLastSeqWaitsForNode(t *testing.T) {
	st := openStore(t, dialects[1].open(t), Options{})
	ctx := context.Background()
	require.NoError(t, st.ApplyBatch(ctx, &aggregate.Batch{Node: "n", Seq: 1}))
	// The predecessor's transaction, as ApplyBatch runs it, not yet
	// committed.
	tx, err := st.db.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", int32(nodeLock), "n")
	require.NoError(t, err)
	_, err = tx.ExecContext(ctx, "UPDATE tlsrpt_mta_applied SET last_seq = 2 WHERE node = 'n' AND last_seq = 1")
	require.NoError(t, err)
	got := make(chan uint64, 1)
	go func() {
		seq, err := st.LastSeq(ctx, "n")
		if err != nil {
			t.Error(err)
		}
		got <- seq
	}()
	select {
	case seq := <-got:
		t.Fatalf("LastSeq = %d while a batch of the node was in flight", seq)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, tx.Commit())
	if seq := <-got; seq != 2 {
		t.Errorf("LastSeq = %d after the batch committed, want 2", seq)
	}
	// Other nodes do not wait.
	seq, err := st.LastSeq(ctx, "other")
	require.NoError(t, err)
	if seq != 0 {
		t.Errorf("LastSeq(other) = %d", seq)
	}
}
