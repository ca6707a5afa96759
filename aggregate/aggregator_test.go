package aggregate_test

import (
	"bytes"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

var testConfig = aggregate.Config{
	OrganizationName: "Example Sender",
	ContactInfo:      "tlsrpt@sender.example",
}

var (
	stsCom = policy.Policy{
		Type:    policy.TypeSTS,
		Strings: []string{"version: STSv1", "mode: enforce", "mx: *.mx.example.com", "max_age: 604800"},
		Domain:  "example.com",
		MXHosts: []string{"*.mx.example.com"},
	}
	tlsaMX = policy.Policy{
		Type:    policy.TypeTLSA,
		Strings: []string{"3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		Domain:  "mx1.example.net",
	}
	noneOrg = policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.org"}
)

var (
	day0    = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	noon    = day0.Add(12 * time.Hour)
	lastNs  = day0.Add(24*time.Hour - time.Nanosecond)
	nextDay = day0.Add(24 * time.Hour)
)

var (
	expired = report.FailureDetail{
		ResultType:          report.ResultCertificateExpired,
		SendingMTAIP:        netip.MustParseAddr("192.0.2.1"),
		ReceivingMXHostname: "mx1.mx.example.com",
		ReceivingIP:         netip.MustParseAddr("198.51.100.25"),
	}
	mismatch = report.FailureDetail{
		ResultType:          report.ResultCertificateHostMismatch,
		SendingMTAIP:        netip.MustParseAddr("192.0.2.1"),
		ReceivingMXHostname: "mx1.mx.example.com",
		ReceivingIP:         netip.MustParseAddr("198.51.100.25"),
	}
	noSTARTTLS = report.FailureDetail{
		ResultType:          report.ResultSTARTTLSNotSupported,
		SendingMTAIP:        netip.MustParseAddr("2001:db8::1"),
		ReceivingMXHostname: "mx2.mx.example.com",
		ReceivingMXHelo:     "mx2.mx.example.com",
		ReceivingIP:         netip.MustParseAddr("2001:db8:25::2"),
	}
)

// session is a Session with the policy given by value, for tables.
type session struct {
	t        time.Time
	p        policy.Policy
	failures []report.FailureDetail
	delivery bool
}

func record(t testing.TB, a *aggregate.Aggregator, ss ...session) {
	t.Helper()
	for _, s := range ss {
		id, err := a.PolicyID(s.p)
		if err != nil {
			t.Fatalf("PolicyID(%+v): %v", s.p, err)
		}
		if err := a.Record(aggregate.Session{Time: s.t, Policy: id, Failures: failuresOf(s.failures...), ReportDelivery: s.delivery}); err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
}

func repeat(n int, s session) []session {
	out := make([]session, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func withCount(fd report.FailureDetail, n int64) report.FailureDetail {
	fd.FailedSessionCount = n
	return fd
}

// dayRange is the date-range of day0's reports.
var dayRange = report.DateRange{Start: day0, End: day0.Add(24*time.Hour - time.Second)}

func rep(prs ...report.PolicyResult) *report.Report {
	return &report.Report{
		OrganizationName: testConfig.OrganizationName,
		DateRange:        dayRange,
		ContactInfo:      testConfig.ContactInfo,
		Policies:         prs,
	}
}

func pr(p policy.Policy, ok, failed int64, details ...report.FailureDetail) report.PolicyResult {
	return report.PolicyResult{
		Policy:         p,
		Summary:        report.Summary{TotalSuccessfulSessionCount: ok, TotalFailureSessionCount: failed},
		FailureDetails: details,
	}
}

func TestCounting(t *testing.T) {
	tests := []struct {
		name     string
		reason   string
		cfg      aggregate.Config
		sessions []session
		want     []*report.Report
	}{{
		name:     "successes",
		reason:   "sessions without failures count as successful (RFC 8460 §4.2.1)",
		sessions: repeat(3, session{t: noon, p: stsCom}),
		want:     []*report.Report{rep(pr(stsCom, 3, 0))},
	}, {
		name:   "failures",
		reason: "each failed session counts once in the total and once in its detail",
		sessions: append(append(repeat(2, session{t: noon, p: stsCom, failures: []report.FailureDetail{expired}}),
			session{t: noon, p: stsCom, failures: []report.FailureDetail{mismatch}}),
			session{t: noon, p: stsCom}),
		want: []*report.Report{rep(pr(stsCom, 1, 3, withCount(expired, 2), withCount(mismatch, 1)))},
	}, {
		name:   "non-exclusive",
		reason: "a session with two details counts once in total-failure-session-count and once in each detail (RFC 8460 §4.2)",
		sessions: []session{
			{t: noon, p: stsCom, failures: []report.FailureDetail{expired, mismatch}},
			{t: noon, p: stsCom, failures: []report.FailureDetail{expired}},
		},
		want: []*report.Report{rep(pr(stsCom, 0, 2, withCount(expired, 2), withCount(mismatch, 1)))},
	}, {
		name:   "catch-all without reason code",
		reason: "RFC 8460 §4.3.1 makes failure-reason-code a SHOULD: sessions without one are counted, apart from those with one, and the report passes Validate",
		sessions: []session{
			{t: noon, p: stsCom, failures: []report.FailureDetail{{ResultType: report.ResultValidationFailure}}},
			{t: noon, p: stsCom, failures: []report.FailureDetail{{ResultType: report.ResultValidationFailure}}},
			{t: noon, p: stsCom, failures: []report.FailureDetail{{ResultType: report.ResultValidationFailure, FailureReasonCode: "tls-alert-handshake-failure"}}},
			{t: noon, p: stsCom, failures: []report.FailureDetail{{ResultType: report.ResultCertificateNotTrusted}}},
		},
		want: []*report.Report{rep(pr(stsCom, 0, 4,
			report.FailureDetail{ResultType: report.ResultCertificateNotTrusted, FailedSessionCount: 1},
			report.FailureDetail{ResultType: report.ResultValidationFailure, FailedSessionCount: 2},
			report.FailureDetail{ResultType: report.ResultValidationFailure, FailureReasonCode: "tls-alert-handshake-failure", FailedSessionCount: 1},
		))},
	}, {
		name:   "duplicate detail in one session",
		reason: "the same detail listed twice in one session counts once; FailedSessionCount of the input is ignored",
		sessions: []session{
			{t: noon, p: stsCom, failures: []report.FailureDetail{expired, withCount(expired, 7)}},
		},
		want: []*report.Report{rep(pr(stsCom, 0, 1, withCount(expired, 1)))},
	}, {
		name:   "day boundary",
		reason: "23:59:59.999999999Z is the day, 00:00:00Z the next one, whatever the time zone of the time.Time",
		sessions: []session{
			{t: day0, p: stsCom},
			{t: lastNs, p: stsCom},
			{t: lastNs.In(time.FixedZone("UTC+14", 14*3600)), p: stsCom},
			{t: nextDay, p: stsCom},
			{t: day0.Add(-time.Nanosecond), p: stsCom},
			{t: nextDay.In(time.FixedZone("UTC-12", -12*3600)), p: stsCom},
		},
		want: []*report.Report{rep(pr(stsCom, 3, 0))},
	}, {
		name:   "several policy domains",
		reason: "one report per policy domain, ordered by domain (RFC 8460 §4.1)",
		sessions: []session{
			{t: noon, p: tlsaMX},
			{t: noon, p: noneOrg},
			{t: noon, p: stsCom, failures: []report.FailureDetail{noSTARTTLS}},
		},
		want: []*report.Report{
			rep(pr(stsCom, 0, 1, withCount(noSTARTTLS, 1))),
			rep(pr(noneOrg, 1, 0)),
			rep(pr(tlsaMX, 1, 0)),
		},
	}, {
		name:   "several policies of one domain",
		reason: "policies of one domain share a report, ordered by Key (sts before tlsa, fewer strings first; the policy changed during the day)",
		sessions: []session{
			{t: noon, p: policy.Policy{Type: policy.TypeTLSA, Domain: "example.com", Strings: []string{"3 1 1 aa"}}},
			{t: noon, p: stsCom},
			{t: noon, p: policy.Policy{Type: policy.TypeSTS, Domain: "example.com", Strings: []string{"version: STSv1", "mode: testing"}}},
		},
		want: []*report.Report{rep(
			pr(policy.Policy{Type: policy.TypeSTS, Domain: "example.com", Strings: []string{"version: STSv1", "mode: testing"}}, 1, 0),
			pr(policy.Policy{Type: policy.TypeSTS, Domain: "example.com", Strings: []string{"version: STSv1", "mode: enforce", "mx: *.mx.example.com", "max_age: 604800"}, MXHosts: []string{"*.mx.example.com"}}, 1, 0),
			pr(policy.Policy{Type: policy.TypeTLSA, Domain: "example.com", Strings: []string{"3 1 1 aa"}}, 1, 0),
		)},
	}, {
		name:   "loop guard",
		reason: "sessions delivering a TLS report are never counted (RFC 8460 §3)",
		sessions: []session{
			{t: noon, p: stsCom, delivery: true},
			{t: noon, p: noneOrg, delivery: true, failures: []report.FailureDetail{expired}},
			{t: noon, p: stsCom},
		},
		want: []*report.Report{rep(pr(stsCom, 1, 0))},
	}, {
		name:   "only failures",
		reason: "with OnlyFailures, domains without a failed session get no report",
		cfg:    aggregate.Config{OnlyFailures: true},
		sessions: []session{
			{t: noon, p: stsCom},
			{t: noon, p: noneOrg},
			{t: noon, p: tlsaMX, failures: []report.FailureDetail{{ResultType: report.ResultTLSAInvalid, ReceivingMXHostname: "mx1.example.net"}}},
		},
		want: []*report.Report{rep(pr(tlsaMX, 0, 1, report.FailureDetail{ResultType: report.ResultTLSAInvalid, ReceivingMXHostname: "mx1.example.net", FailedSessionCount: 1}))},
	}, {
		name:   "normalisation",
		reason: "domains become lower-case A-labels, IPv4-mapped addresses are unmapped, zones dropped, tlsa RRs lower-cased and sorted",
		sessions: []session{
			{t: noon, p: policy.Policy{Type: policy.TypeTLSA, Domain: "MX.Bücher.example.", Strings: []string{"3 1 1 BB", "3 1 1 AA"}}, failures: []report.FailureDetail{{
				ResultType: report.ResultDANERequired, ReceivingMXHostname: "MX.Bücher.example.",
				SendingMTAIP: netip.MustParseAddr("::ffff:192.0.2.7"), ReceivingIP: netip.MustParseAddr("fe80::1%eth0"),
			}}},
			{t: noon, p: policy.Policy{Type: policy.TypeTLSA, Domain: "mx.xn--bcher-kva.example", Strings: []string{"3 1 1 aa", "3 1 1 bb"}}},
		},
		want: []*report.Report{rep(pr(policy.Policy{Type: policy.TypeTLSA, Domain: "mx.xn--bcher-kva.example", Strings: []string{"3 1 1 aa", "3 1 1 bb"}}, 1, 1,
			report.FailureDetail{
				ResultType: report.ResultDANERequired, ReceivingMXHostname: "mx.xn--bcher-kva.example",
				SendingMTAIP: netip.MustParseAddr("192.0.2.7"), ReceivingIP: netip.MustParseAddr("fe80::1"), FailedSessionCount: 1,
			}))},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.OrganizationName, cfg.ContactInfo = testConfig.OrganizationName, testConfig.ContactInfo
			a := aggregate.New(cfg)
			record(t, a, tt.sessions...)
			got, err := a.Reports(noon)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts, cmpopts.IgnoreFields(report.Report{}, "ReportID")); diff != "" {
				t.Errorf("%s\nReports mismatch (-want +got):\n%s", tt.reason, diff)
			}
			for _, r := range got {
				checkReport(t, r)
			}
		})
	}
}

func TestRecordErrors(t *testing.T) {
	a := aggregate.New(aggregate.Config{})
	id, err := a.PolicyID(stsCom)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		s    aggregate.Session
		want error
	}{
		{"zero policy", aggregate.Session{Time: noon}, aggregate.ErrUnknownPolicy},
		{"policy not issued", aggregate.Session{Time: noon, Policy: id + 1}, aggregate.ErrUnknownPolicy},
		{"zero time", aggregate.Session{Policy: id}, aggregate.ErrNoTime},
		{"empty result-type", aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(expired, report.FailureDetail{})}, aggregate.ErrInvalidDetail},
		{"bad mx hostname", aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(report.FailureDetail{ResultType: report.ResultCertificateExpired, ReceivingMXHostname: "mx..example"})}, aggregate.ErrInvalidDetail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := a.Record(tt.s); !errors.Is(err, tt.want) {
				t.Errorf("Record = %v, want %v", err, tt.want)
			}
		})
	}
	if got := a.Days(); len(got) != 0 {
		t.Errorf("failed Records counted something: Days = %v", got)
	}
	if got := a.Stats(); got != (aggregate.Stats{}) {
		t.Errorf("Stats = %+v, want zero", got)
	}
}

func TestPolicyID(t *testing.T) {
	a := aggregate.New(aggregate.Config{})
	id1, err := a.PolicyID(tlsaMX)
	if err != nil {
		t.Fatal(err)
	}
	if id1 == 0 {
		t.Error("PolicyID issued the zero id")
	}
	// An equal policy (RR order and hex case differ, domain in upper case
	// with a trailing dot) gets the same id.
	eq := policy.Policy{Type: policy.TypeTLSA, Domain: "MX1.example.NET.", Strings: []string{"3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"}}
	if id2, err := a.PolicyID(eq); err != nil || id2 != id1 {
		t.Errorf("PolicyID(equal policy) = %v, %v; want %v", id2, err, id1)
	}
	if id3, err := a.PolicyID(stsCom); err != nil || id3 == id1 {
		t.Errorf("PolicyID(other policy) = %v, %v; want a new id", id3, err)
	}
	// The caller's slices are copied.
	p := policy.Policy{Type: policy.TypeSTS, Domain: "copy.example", Strings: []string{"mode: enforce"}}
	id4, err := a.PolicyID(p)
	if err != nil {
		t.Fatal(err)
	}
	p.Strings[0] = "mode: none"
	if err := a.Record(aggregate.Session{Time: noon, Policy: id4}); err != nil {
		t.Fatal(err)
	}
	withCfg := aggregate.New(testConfig)
	var buf bytes.Buffer
	if err := a.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if err := withCfg.MergeSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	rs, err := withCfg.Reports(noon)
	if err != nil || len(rs) != 1 {
		t.Fatalf("Reports = %v, %v", rs, err)
	}
	if got := rs[0].Policies[0].Policy.Strings; !slices.Equal(got, []string{"mode: enforce"}) {
		t.Errorf("policy-string = %q: the caller's slice was not copied", got)
	}
	if rs, err := aggregate.New(testConfig).Reports(noon); err != nil || rs != nil {
		t.Errorf("Reports of an empty aggregator = %v, %v; want nil, nil", rs, err)
	}

	for _, bad := range []policy.Policy{
		{Domain: "example.com"},
		{Type: policy.TypeSTS},
		{Type: policy.TypeSTS, Domain: "exa mple.com"},
		{Type: policy.TypeSTS, Domain: "example.com", MXHosts: []string{"mx..example.com"}},
	} {
		if _, err := a.PolicyID(bad); !errors.Is(err, aggregate.ErrInvalidPolicy) {
			t.Errorf("PolicyID(%+v) = %v, want ErrInvalidPolicy", bad, err)
		}
	}
}

func TestStatsDaysForget(t *testing.T) {
	a := aggregate.New(testConfig)
	record(t, a,
		session{t: noon, p: stsCom},
		session{t: nextDay, p: stsCom, failures: []report.FailureDetail{expired}},
		session{t: nextDay, p: stsCom, delivery: true},
		session{t: day0.AddDate(0, 0, -40), p: noneOrg},
	)
	if diff := cmp.Diff(aggregate.Stats{Sessions: 3, ReportDeliverySessions: 1}, a.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	wantDays := []time.Time{day0.AddDate(0, 0, -40), day0, nextDay}
	if diff := cmp.Diff(wantDays, a.Days()); diff != "" {
		t.Errorf("Days (-want +got):\n%s", diff)
	}
	a.Forget(noon)
	if diff := cmp.Diff([]time.Time{day0.AddDate(0, 0, -40), nextDay}, a.Days()); diff != "" {
		t.Errorf("Days after Forget (-want +got):\n%s", diff)
	}
	if rs, err := a.Reports(day0); err != nil || len(rs) != 0 {
		t.Errorf("Reports of a forgotten day = %v, %v", rs, err)
	}
	rs, err := a.Reports(nextDay.Add(time.Hour))
	if err != nil || len(rs) != 1 {
		t.Fatalf("Reports(next day) = %v, %v", rs, err)
	}
	if got := rs[0].Policies[0].Summary; got != (report.Summary{TotalFailureSessionCount: 1}) {
		t.Errorf("next day summary = %+v", got)
	}
}

// TestRecordDoesNotAllocate pins the hot-path promise: recording for
// existing keys allocates nothing, additional-information included (its
// URI check runs only for new keys).
func TestRecordDoesNotAllocate(t *testing.T) {
	a := aggregate.New(testConfig)
	id, err := a.PolicyID(stsCom)
	if err != nil {
		t.Fatal(err)
	}
	withURI := noSTARTTLS
	withURI.AdditionalInformation = "https://help.example/tls?id=1"
	withURI.FailureReasonCode = "no STARTTLS in EHLO"
	for name, s := range map[string]aggregate.Session{
		"success":        {Time: noon, Policy: id},
		"one detail":     {Time: noon, Policy: id, Failures: failuresOf(expired)},
		"three details":  {Time: noon, Policy: id, Failures: failuresOf(expired, mismatch, withURI)},
		"repeated":       {Time: noon, Policy: id, Failures: failuresOf(expired, expired)},
		"report session": {Time: noon, Policy: id, ReportDelivery: true},
	} {
		if err := a.Record(s); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = a.Record(s) }); n != 0 {
			t.Errorf("%s: %v allocations per Record, want 0", name, n)
		}
	}
}

func TestRecordAllOrNothing(t *testing.T) {
	a := aggregate.New(testConfig)
	id, err := a.PolicyID(stsCom)
	if err != nil {
		t.Fatal(err)
	}
	bad := expired
	bad.AdditionalInformation = "not a uri"
	err = a.Record(aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(mismatch, bad)})
	if !errors.Is(err, aggregate.ErrInvalidDetail) {
		t.Fatalf("Record = %v, want ErrInvalidDetail", err)
	}
	if days := a.Days(); len(days) != 0 {
		t.Errorf("a refused session left counts behind: %v", days)
	}
	// Once a key exists, a refused session still changes nothing.
	record(t, a, session{t: noon, p: stsCom, failures: []report.FailureDetail{mismatch}})
	if err := a.Record(aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(mismatch, bad)}); err == nil {
		t.Fatal("Record accepted an invalid detail")
	}
	rs, err := a.Reports(noon)
	if err != nil {
		t.Fatal(err)
	}
	want := []*report.Report{rep(pr(stsCom, 0, 1, withCount(mismatch, 1)))}
	if diff := cmp.Diff(want, rs, cmpOpts, cmpopts.IgnoreFields(report.Report{}, "ReportID")); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
}

// TestDaysBeforeEpoch checks the UTC day arithmetic on both sides of the
// Unix epoch, where integer division rounds toward zero.
func TestDaysBeforeEpoch(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	a := aggregate.New(testConfig)
	record(t, a,
		session{t: epoch.Add(-time.Nanosecond), p: stsCom},
		session{t: epoch.Add(-24 * time.Hour), p: stsCom},
		session{t: epoch, p: stsCom},
		session{t: epoch.Add(-24*time.Hour - time.Second), p: stsCom},
	)
	want := []time.Time{epoch.Add(-48 * time.Hour), epoch.Add(-24 * time.Hour), epoch}
	if diff := cmp.Diff(want, a.Days()); diff != "" {
		t.Errorf("Days (-want +got):\n%s", diff)
	}
	rs, err := a.Reports(epoch.Add(-time.Hour))
	if err != nil || len(rs) != 1 {
		t.Fatalf("Reports = %v, %v", rs, err)
	}
	if got := rs[0].Policies[0].Summary.TotalSuccessfulSessionCount; got != 2 {
		t.Errorf("1969-12-31 counts %d sessions, want 2", got)
	}
}

// TestRecordManyFailures: a session listing many failures, some of them
// more than once, counts each distinct one once, however many there are.
func TestRecordManyFailures(t *testing.T) {
	a := aggregate.New(testConfig)
	fds := make([]report.FailureDetail, 40)
	for i := range fds {
		fds[i] = expired
		fds[i].SendingMTAIP = netip.AddrFrom4([4]byte{10, 0, 0, byte(i % 25)}) // 25 distinct
	}
	record(t, a, repeat(2, session{t: noon, p: stsCom, failures: fds})...)
	rs, err := a.Reports(noon)
	if err != nil {
		t.Fatal(err)
	}
	var want []report.FailureDetail
	for i := range 25 {
		fd := withCount(expired, 2)
		fd.SendingMTAIP = netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		want = append(want, fd)
	}
	slices.SortFunc(want, report.FailureDetail.Compare)
	if diff := cmp.Diff([]*report.Report{rep(pr(stsCom, 0, 2, want...))}, rs, cmpOpts, cmpopts.IgnoreFields(report.Report{}, "ReportID")); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
}
