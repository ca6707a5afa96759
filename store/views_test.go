package store

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// putCorpus stores every report of the shared corpus.
func putCorpus(t *testing.T, st *Store) {
	t.Helper()
	dir := corpus.Dir(t, "reports")
	paths, err := filepath.Glob(filepath.Join(dir, "*.json*"))
	require.NoError(t, err)
	for _, p := range paths {
		f := loadFixture(t, p)
		_, err := st.Put(context.Background(), entryOf(f, "corpus"))
		require.NoError(t, err, p)
	}
}

// rowMatches is the Go twin of ViewFilter's conditions on one row.
func rowMatches(f ViewFilter, r Row) bool {
	if !f.Since.IsZero() && r.DateRange.Start.Before(f.Since) || !f.Until.IsZero() && !r.DateRange.Start.Before(f.Until) {
		return false
	}
	if f.Domain != "" && r.Policy.Domain != f.Domain || f.Reporter != "" && r.OrganizationName != f.Reporter ||
		f.PolicyType != "" && r.Policy.Type != f.PolicyType || f.Mode != "" && r.Mode != f.Mode {
		return false
	}
	if r.Kind == RowPolicy {
		return true
	}
	if f.ResultType != "" && r.Failure.ResultType != f.ResultType || f.Category != "" && r.Failure.ResultType.Category() != f.Category {
		return false
	}
	if f.MX != "" && !strings.EqualFold(r.Failure.ReceivingMXHostname, f.MX) || f.SendingIP.IsValid() && r.Failure.SendingMTAIP != f.SendingIP {
		return false
	}
	return true
}

// TestSummarizeCorpus checks Summarize's totals against sums over Rows on
// the corpus, for a table of filters.
func TestSummarizeCorpus(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		putCorpus(t, st)
		var rows []Row
		for r, err := range st.Rows(ctx, Filter{}) {
			require.NoError(t, err)
			rows = append(rows, r)
		}
		// Values to filter on, taken from the corpus.
		var dom, org string
		var fail Row
		for _, r := range rows {
			if r.Kind == RowFailure && fail.Key == 0 && r.Failure.ReceivingMXHostname != "" && r.Failure.SendingMTAIP.IsValid() {
				fail = r
			}
			if r.Kind == RowPolicy && dom == "" {
				dom, org = r.Policy.Domain, r.OrganizationName
			}
		}
		require.NotZero(t, fail.Key, "the corpus has a failure row with MX and IP")
		mid := rows[len(rows)/2].DateRange.Start
		filters := []struct {
			name string
			f    ViewFilter
		}{
			{"all", ViewFilter{}},
			{"domain", ViewFilter{Filter: Filter{Domain: dom}}},
			{"reporter", ViewFilter{Filter: Filter{Reporter: org}}},
			{"since", ViewFilter{Filter: Filter{Since: mid}}},
			{"until", ViewFilter{Filter: Filter{Until: mid}}},
			{"window", ViewFilter{Filter: Filter{Since: mid.AddDate(-1, 0, 0), Until: mid}}},
			{"sts", ViewFilter{PolicyType: policy.TypeSTS}},
			{"enforce", ViewFilter{Mode: "enforce"}},
			{"tlsa", ViewFilter{PolicyType: policy.TypeTLSA}},
			{"result type", ViewFilter{ResultType: fail.Failure.ResultType}},
			{"category sts", ViewFilter{Category: report.CategorySTS}},
			{"category negotiation", ViewFilter{Category: report.CategoryNegotiation}},
			{"mx", ViewFilter{MX: strings.ToUpper(fail.Failure.ReceivingMXHostname)}},
			{"sending ip", ViewFilter{SendingIP: fail.Failure.SendingMTAIP}},
			{"domain and result type", ViewFilter{Filter: Filter{Domain: fail.Policy.Domain}, ResultType: fail.Failure.ResultType}},
		}
		for _, tc := range filters {
			t.Run(tc.name, func(t *testing.T) {
				var want Totals
				keys := map[int64]bool{}
				days := map[string]int64{}
				for _, r := range rows {
					if !rowMatches(tc.f, r) {
						continue
					}
					day := r.DateRange.Start.UTC().Format(time.DateOnly) + " " + r.Policy.Domain
					switch {
					case r.Kind == RowPolicy:
						keys[r.Key] = true
						want.Successful += r.Summary.TotalSuccessfulSessionCount
						days[day] += r.Summary.TotalSuccessfulSessionCount
						if !tc.f.hasFailureFilter() {
							want.Failed += r.Summary.TotalFailureSessionCount
							days[day] += r.Summary.TotalFailureSessionCount
						}
					case tc.f.hasFailureFilter():
						want.Failed += r.Failure.FailedSessionCount
						days[day] += r.Failure.FailedSessionCount
					}
				}
				want.Reports = int64(len(keys))
				sum, err := st.Summarize(ctx, tc.f)
				require.NoError(t, err)
				if diff := cmp.Diff(want, sum.Total); diff != "" {
					t.Errorf("Total (-want +got):\n%s", diff)
				}
				gotDays := map[string]int64{}
				for _, d := range sum.Days {
					gotDays[d.Day+" "+d.Domain] += d.Sessions()
				}
				for k, v := range days {
					if v == 0 && gotDays[k] == 0 {
						delete(days, k)
						delete(gotDays, k)
					}
				}
				for k, v := range gotDays {
					if v == 0 {
						delete(gotDays, k)
					}
				}
				if diff := cmp.Diff(days, gotDays); diff != "" {
					t.Errorf("sessions per day and domain (-want +got):\n%s", diff)
				}
				var byReporter Totals
				for _, c := range sum.ByReporter {
					byReporter.Successful += c.Successful
					byReporter.Failed += c.Failed
				}
				byReporter.Reports = want.Reports
				if diff := cmp.Diff(want, byReporter); diff != "" {
					t.Errorf("ByReporter sums (-want +got):\n%s", diff)
				}
				var byType int64
				for _, c := range sum.ByResultType {
					byType += c.Failed
				}
				var wantType int64
				for _, r := range rows {
					if r.Kind == RowFailure && rowMatches(tc.f, r) {
						wantType += r.Failure.FailedSessionCount
					}
				}
				if byType != wantType {
					t.Errorf("ByResultType sums to %d failed sessions, want %d", byType, wantType)
				}
				if tc.f.Since.IsZero() != (sum.Previous == nil) && !tc.f.Until.IsZero() {
					t.Errorf("Previous = %v for window %v..%v", sum.Previous, tc.f.Since, tc.f.Until)
				}
			})
		}
	})
}

// day0 is the first day of the view fixtures.
var day0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// stsReport builds a one-policy sts report of org on day, in mode.
func stsReport(org string, day int, dom, mode string, succ int64, fails ...report.FailureDetail) *report.Report {
	start := day0.AddDate(0, 0, day)
	var failed int64
	for _, f := range fails {
		failed += f.FailedSessionCount
	}
	return &report.Report{
		OrganizationName: org,
		DateRange:        report.DateRange{Start: start, End: start.Add(24*time.Hour - time.Second)},
		ContactInfo:      "tlsrpt@" + org,
		ReportID:         fmt.Sprintf("%s-%d-%s", org, day, dom),
		Policies: []report.PolicyResult{{
			Policy: policy.Policy{Type: policy.TypeSTS, Domain: dom,
				Strings: []string{"version: STSv1", "mode: " + mode, "mx: mx1." + dom, "mx: *.mx." + dom, "max_age: 86400"},
				MXHosts: []string{"mx1." + dom, "*.mx." + dom}},
			Summary:        report.Summary{TotalSuccessfulSessionCount: succ, TotalFailureSessionCount: failed},
			FailureDetails: fails,
		}},
	}
}

func failure(t report.ResultType, mx string, n int64) report.FailureDetail {
	return report.FailureDetail{ResultType: t, ReceivingMXHostname: mx, SendingMTAIP: netip.MustParseAddr("192.0.2.7"), FailedSessionCount: n}
}

func putReports(t testing.TB, st *Store, reps ...*report.Report) {
	t.Helper()
	for _, r := range reps {
		_, err := st.Put(context.Background(), Entry{Report: r, Raw: []byte("{}"), Trust: Trust{Verdict: VerdictTrusted}, Source: "test", Received: received})
		require.NoError(t, err)
	}
}

func TestReadiness(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		var reps []*report.Report
		for day := range 7 {
			for _, org := range []string{"a.example", "b.example", "c.example"} {
				// ready: a DANE failure and one on an MX the policy does not
				// cover do not block.
				reps = append(reps, stsReport(org, day, "ready.example", "testing", 100,
					failure(report.ResultTLSAInvalid, "mx1.ready.example", 1),
					failure(report.ResultCertificateExpired, "old.ready.example", 1)))
				var fails []report.FailureDetail
				if day == 3 {
					fails = append(fails, failure(report.ResultCertificateExpired, "a.mx.blocked.example", 5))
					if org == "b.example" {
						fails = append(fails, failure(report.ResultSTSPolicyFetchError, "", 2))
					}
				}
				reps = append(reps, stsReport(org, day, "blocked.example", "testing", 100, fails...))
				reps = append(reps, stsReport(org, day, "enforce.example", "enforce", 100,
					failure(report.ResultSTARTTLSNotSupported, "mx1.enforce.example", 3)))
			}
		}
		reps = append(reps, stsReport("a.example", 2, "thin.example", "testing", 10))
		// QUIRK: Mail.ru sends sts policies without policy-string (RFC
		// 8460 §4.4 says it MUST be there): its report, the latest of
		// enforce.example, states no mode and must not hide the one the
		// other reports state.
		late := stsReport("mail.ru.example", 6, "enforce.example", "enforce", 10)
		late.DateRange.Start = late.DateRange.Start.Add(time.Hour)
		late.Policies[0].Policy.Strings = nil
		reps = append(reps, late)
		putReports(t, st, reps...)
		ctx := context.Background()
		since, until := day0, day0.AddDate(0, 0, 14)

		r, err := st.Readiness(ctx, "Ready.Example.", since, until, ReadinessConfig{})
		require.NoError(t, err)
		require.Equal(t, ReadyForEnforce, r.Verdict)
		require.Equal(t, "testing", r.Mode)
		require.Equal(t, 3, r.Reporters)
		require.Equal(t, 7, r.Days)
		require.Equal(t, int64(21*102), r.Sessions)
		require.Empty(t, r.Blockers)

		r, err = st.Readiness(ctx, "blocked.example", since, until, ReadinessConfig{})
		require.NoError(t, err)
		require.Equal(t, NotReady, r.Verdict)
		want := []Blocker{
			{ResultType: report.ResultCertificateExpired, Sessions: 15, MX: []string{"a.mx.blocked.example"},
				Reporters: []string{"a.example", "b.example", "c.example"}, Advice: report.ResultCertificateExpired.Advice()},
			{ResultType: report.ResultSTSPolicyFetchError, Sessions: 2, Reporters: []string{"b.example"}, Advice: report.ResultSTSPolicyFetchError.Advice()},
		}
		if diff := cmp.Diff(want, r.Blockers); diff != "" {
			t.Errorf("Blockers (-want +got):\n%s", diff)
		}
		require.Equal(t, int64(17), r.Failed)

		r, err = st.Readiness(ctx, "thin.example", since, until, ReadinessConfig{})
		require.NoError(t, err)
		require.Equal(t, NotEnoughData, r.Verdict)
		require.Equal(t, []string{"reporters", "sessions", "days"}, r.Missing)
		// Lower thresholds make the same evidence enough.
		r, err = st.Readiness(ctx, "thin.example", since, until, ReadinessConfig{MinReporters: 1, MinSessions: 10, MinDays: 1})
		require.NoError(t, err)
		require.Equal(t, ReadyForEnforce, r.Verdict)

		r, err = st.Readiness(ctx, "enforce.example", since, until, ReadinessConfig{})
		require.NoError(t, err)
		require.Equal(t, Enforcing, r.Verdict)
		require.Equal(t, "enforce", r.Mode)
		require.Len(t, r.Blockers, 1)
		require.Equal(t, int64(63), r.Blockers[0].Sessions)

		r, err = st.Readiness(ctx, "none.example", since, until, ReadinessConfig{})
		require.NoError(t, err)
		require.Equal(t, NotEnoughData, r.Verdict)
		require.Equal(t, "", r.Mode)
	})
}

func TestAlerts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		var reps []*report.Report
		for day := range 14 {
			// rise.example: 1% failures the first week, 20% the second.
			n := int64(2)
			rt := report.ResultCertificateExpired
			if day >= 7 {
				n = 40
				rt = report.ResultCertificateHostMismatch
			}
			reps = append(reps, stsReport("a.example", day, "rise.example", "testing", 200-n, failure(rt, "mx1.rise.example", n)))
			// steady.example: b.example stops reporting in the second week.
			reps = append(reps, stsReport("a.example", day, "steady.example", "enforce", 1000))
			if day < 7 {
				reps = append(reps, stsReport("b.example", day, "steady.example", "enforce", 1000))
			}
		}
		putReports(t, st, reps...)
		got, err := st.Alerts(context.Background(), ViewFilter{Filter: Filter{Since: day0.AddDate(0, 0, 7), Until: day0.AddDate(0, 0, 14)}}, AlertConfig{})
		require.NoError(t, err)
		var codes []string
		for _, d := range got {
			codes = append(codes, d.Path+" "+string(d.Code)+" "+string(d.Severity))
		}
		require.Equal(t, []string{
			"rise.example alert-failure-rate-rise error",
			"rise.example alert-new-result-type warning",
			"steady.example alert-reporter-stopped warning",
		}, codes)
		require.Contains(t, got[0].Message, "20.0%")
		require.Contains(t, got[1].Message, string(report.ResultCertificateHostMismatch))
		require.Contains(t, got[2].Message, "b.example")
		var _ tlsrpt.Diagnostic = got[0]

		// The previous window has nothing new: no alert.
		got, err = st.Alerts(context.Background(), ViewFilter{Filter: Filter{Since: day0, Until: day0.AddDate(0, 0, 7)}}, AlertConfig{})
		require.NoError(t, err)
		for _, d := range got {
			require.Equal(t, CodeNewResultType, d.Code, d.String())
		}
		_, err = st.Alerts(context.Background(), ViewFilter{}, AlertConfig{})
		require.Error(t, err)
	})
}
