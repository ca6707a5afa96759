package store

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// propDay0 is the first day of the random reports.
var propDay0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// randomReports returns n reports drawn from small sets of reporters,
// domains, modes, result types, MX hosts and addresses, so that the
// views' groups collide: several policies of one domain in a report, two
// sts modes in one report, reports covering two days, starts that are not
// midnight, MX names in upper case and with a trailing dot, an unknown
// result type, absent addresses.
func randomReports(rng *rand.Rand, n int) []*report.Report {
	orgs := []string{"A Org", "b.example", "C"}
	doms := []string{"d1.example", "d2.example", "d10.example", "x-y.example"}
	modes := []string{"enforce", "testing", "none", ""}
	types := []report.ResultType{report.ResultSTARTTLSNotSupported, report.ResultCertificateExpired, report.ResultCertificateHostMismatch,
		report.ResultSTSPolicyFetchError, report.ResultTLSAInvalid, report.ResultValidationFailure, "x-custom-error"}
	ips := []netip.Addr{{}, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("2001:db8::25")}
	out := make([]*report.Report, n)
	for i := range out {
		start := propDay0.AddDate(0, 0, rng.IntN(40))
		if rng.IntN(4) == 0 {
			start = start.Add(7 * time.Hour)
		}
		end := start.Add(24*time.Hour - time.Second)
		if rng.IntN(5) == 0 {
			end = start.Add(48 * time.Hour)
		}
		org := orgs[rng.IntN(len(orgs))]
		r := &report.Report{OrganizationName: org, ContactInfo: "tlsrpt@" + org, ReportID: fmt.Sprintf("r%d", i),
			DateRange: report.DateRange{Start: start, End: end}}
		dom := doms[rng.IntN(len(doms))]
		for range 1 + rng.IntN(3) {
			var p policy.Policy
			switch rng.IntN(4) {
			case 0, 1:
				mode := modes[rng.IntN(len(modes))]
				p = policy.Policy{Type: policy.TypeSTS, Domain: dom, MXHosts: []string{"mx1." + dom}, Strings: []string{"version: STSv1", "mx: mx1." + dom}}
				if mode != "" {
					p.Strings = append(p.Strings, "mode: "+mode)
				}
			case 2:
				p = policy.Policy{Type: policy.TypeTLSA, Domain: "mx1." + dom, Strings: []string{"3 1 1 00"}}
			default:
				p = policy.Policy{Type: policy.TypeNoPolicyFound, Domain: dom}
			}
			pr := report.PolicyResult{Policy: p}
			pr.Summary.TotalSuccessfulSessionCount = int64(rng.IntN(100))
			for range rng.IntN(4) {
				mx := []string{"mx1." + dom, "MX1." + strings.ToUpper(dom), "mx2." + dom + ".", ""}[rng.IntN(4)]
				fd := report.FailureDetail{ResultType: types[rng.IntN(len(types))], ReceivingMXHostname: mx,
					SendingMTAIP: ips[rng.IntN(len(ips))], ReceivingIP: ips[rng.IntN(len(ips))], FailedSessionCount: int64(1 + rng.IntN(9))}
				pr.FailureDetails = append(pr.FailureDetails, fd)
				pr.Summary.TotalFailureSessionCount += fd.FailedSessionCount
			}
			pr.Summary.TotalFailureSessionCount += int64(rng.IntN(2)) // not every failure is detailed
			r.Policies = append(r.Policies, pr)
		}
		out[i] = r
	}
	return out
}

// randomFilter draws a ViewFilter over the values randomReports uses,
// with windows of whole days (read from the daily rollups) and others.
func randomFilter(rng *rand.Rand, rows []Row) ViewFilter {
	var f ViewFilter
	pick := func() Row { return rows[rng.IntN(len(rows))] }
	if rng.IntN(2) == 0 {
		f.Since = propDay0.AddDate(0, 0, rng.IntN(30))
		f.Until = f.Since.AddDate(0, 0, 1+rng.IntN(15))
		if rng.IntN(3) == 0 {
			f.Since = f.Since.Add(5 * time.Hour)
		}
	} else if rng.IntN(3) == 0 {
		f.Until = propDay0.AddDate(0, 0, rng.IntN(40))
	}
	if rng.IntN(4) == 0 {
		f.Domain = pick().Policy.Domain
		if rng.IntN(2) == 0 {
			f.Domain = strings.ToUpper(f.Domain) + "."
		}
	}
	if rng.IntN(4) == 0 {
		f.Reporter = pick().OrganizationName
	}
	if rng.IntN(6) == 0 {
		f.Trust = []Verdict{VerdictTrusted, VerdictUntrusted}[rng.IntN(2)]
	}
	if rng.IntN(5) == 0 {
		f.PolicyType = pick().Policy.Type
	}
	if rng.IntN(6) == 0 {
		f.Mode = []string{"enforce", "testing", "none"}[rng.IntN(3)]
	}
	var fail Row
	for fail.Kind != RowFailure {
		fail = pick()
	}
	switch rng.IntN(8) {
	case 0:
		f.ResultType = fail.Failure.ResultType
	case 1:
		f.Category = []report.Category{report.CategorySTS, report.CategoryNegotiation, report.CategoryDANE, report.CategoryUnknown}[rng.IntN(4)]
	case 2:
		f.MX = strings.ToUpper(fail.Failure.ReceivingMXHostname)
	case 3:
		f.SendingIP = fail.Failure.SendingMTAIP
	}
	f.Top = []int{0, 2, -1}[rng.IntN(3)]
	return f
}

// modelPolicy and modelFailure are the Go twins of ViewFilter's SQL
// conditions on a policy row and a failure row.
func modelPolicy(f ViewFilter, r Row) bool {
	if !f.Since.IsZero() && r.DateRange.Start.Before(f.Since) || !f.Until.IsZero() && !r.DateRange.Start.Before(f.Until) {
		return false
	}
	return (f.Domain == "" || r.Policy.Domain == normalizeName(f.Domain)) && (f.Reporter == "" || r.OrganizationName == f.Reporter) &&
		(f.Trust == "" || r.Trust == f.Trust) && (f.PolicyType == "" || r.Policy.Type == f.PolicyType) && (f.Mode == "" || r.Mode == f.Mode)
}

func modelFailure(f ViewFilter, r Row) bool {
	fd := r.Failure
	return r.Kind == RowFailure && modelPolicy(f, r) &&
		(f.ResultType == "" || fd.ResultType == f.ResultType) && (f.Category == "" || fd.ResultType.Category() == f.Category) &&
		(f.MX == "" || strings.ToLower(fd.ReceivingMXHostname) == strings.ToLower(strings.TrimSuffix(f.MX, "."))) &&
		(!f.SendingIP.IsValid() || fd.SendingMTAIP == f.SendingIP)
}

// modelSummary computes what Summarize returns from the rows, the
// straightforward way.
func modelSummary(rows []Row, f ViewFilter, previous bool) *Summary {
	ff := f.hasFailureFilter()
	sum := &Summary{Since: f.Since, Until: f.Until}
	type group struct {
		t       Totals
		reports map[int64]bool
		multi   map[int64]bool
	}
	groups := func() map[string]*group { return map[string]*group{} }
	add := func(m map[string]*group, key string, r Row, succ, failed int64, count bool) {
		g := m[key]
		if g == nil {
			g = &group{reports: map[int64]bool{}, multi: map[int64]bool{}}
			m[key] = g
		}
		g.t.Successful += succ
		g.t.Failed += failed
		if count {
			g.reports[r.Key] = true
			if r.DateRange.End.Sub(r.DateRange.Start) > 24*time.Hour {
				g.multi[r.Key] = true
			}
		}
	}
	days, byReporter, byPolicy := groups(), groups(), groups()
	byType, byMX, byIP := groups(), groups(), groups()
	policyKey := func(r Row) string {
		if r.Mode != "" {
			return string(r.Policy.Type) + "/" + r.Mode
		}
		return string(r.Policy.Type)
	}
	all := map[int64]bool{}
	for _, r := range rows {
		day := r.DateRange.Start.UTC().Format(time.DateOnly) + "\x00" + r.Policy.Domain
		if r.Kind == RowPolicy && modelPolicy(f, r) {
			failed := r.Summary.TotalFailureSessionCount
			if ff {
				failed = 0
			}
			all[r.Key] = true
			add(days, day, r, r.Summary.TotalSuccessfulSessionCount, failed, true)
			add(byReporter, r.OrganizationName, r, r.Summary.TotalSuccessfulSessionCount, failed, true)
			add(byPolicy, policyKey(r), r, r.Summary.TotalSuccessfulSessionCount, failed, true)
		}
		if r.Kind == RowFailure && modelFailure(f, r) {
			n := r.Failure.FailedSessionCount
			if ff {
				add(days, day, r, 0, n, false)
				add(byReporter, r.OrganizationName, r, 0, n, false)
				add(byPolicy, policyKey(r), r, 0, n, false)
			}
			add(byType, string(r.Failure.ResultType), r, 0, n, true)
			add(byMX, strings.ToLower(r.Failure.ReceivingMXHostname), r, 0, n, true)
			ip := ""
			if r.Failure.SendingMTAIP.IsValid() {
				ip = r.Failure.SendingMTAIP.String()
			}
			add(byIP, ip, r, 0, n, true)
		}
	}
	for k, g := range days {
		day, dom, _ := strings.Cut(k, "\x00")
		t := g.t
		t.Reports = int64(len(g.reports))
		sum.Days = append(sum.Days, DayTotals{Day: day, Domain: dom, Totals: t, MultiDay: int64(len(g.multi))})
		sum.Total.Successful += t.Successful
		sum.Total.Failed += t.Failed
	}
	slices.SortFunc(sum.Days, func(a, b DayTotals) int {
		return cmp.Or(strings.Compare(a.Day, b.Day), strings.Compare(a.Domain, b.Domain))
	})
	sum.Total.Reports = int64(len(all))
	counts := func(m map[string]*group) []Count {
		var out []Count
		for k, g := range m {
			t := g.t
			t.Reports = int64(len(g.reports))
			out = append(out, Count{Key: k, Totals: t})
		}
		return out
	}
	top := f.Top
	if top == 0 {
		top = 10
	}
	failures := func(m map[string]*group, limit int) []Count {
		out := counts(m)
		slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Failed, a.Failed), strings.Compare(a.Key, b.Key)) })
		if limit > 0 && len(out) > limit {
			out = out[:limit]
		}
		return out
	}
	sum.ByResultType = failures(byType, 0)
	sum.ByMX = failures(byMX, top)
	sum.BySendingIP = failures(byIP, top)
	cats := map[string]*Count{}
	for _, c := range sum.ByResultType {
		k := string(report.ResultType(c.Key).Category())
		if cats[k] == nil {
			cats[k] = &Count{Key: k}
		}
		cats[k].Failed += c.Failed
		cats[k].Reports += c.Reports
	}
	for _, c := range cats {
		sum.ByCategory = append(sum.ByCategory, *c)
	}
	sortCounts(sum.ByCategory)
	sum.ByReporter = counts(byReporter)
	sortCounts(sum.ByReporter)
	sum.ByPolicy = counts(byPolicy)
	sortCounts(sum.ByPolicy)
	if previous && !f.Since.IsZero() && !f.Until.IsZero() && f.Until.After(f.Since) {
		pf := f
		pf.Until = f.Since
		pf.Since = f.Since.Add(-f.Until.Sub(f.Since))
		p := modelSummary(rows, pf, false).Total
		sum.Previous = &p
	}
	return sum
}

// modelList computes what ListReports returns for all pages.
func modelList(rows []Row, f ViewFilter) *ReportList {
	ff := f.hasFailureFilter()
	byKey := map[int64]*ListedReport{}
	var keys []int64
	var cur *ListedPolicy
	for _, r := range rows {
		switch {
		case r.Kind == RowPolicy:
			cur = nil
			if !modelPolicy(f, r) {
				continue
			}
			lr := byKey[r.Key]
			if lr == nil {
				lr = &ListedReport{Key: r.Key, OrganizationName: r.OrganizationName, ContactInfo: r.ContactInfo, ReportID: r.ReportID,
					Start: r.DateRange.Start, End: r.DateRange.End, Trust: r.Trust, Source: r.Source, Received: r.Received, Policies: []ListedPolicy{}}
				byKey[r.Key] = lr
				keys = append(keys, r.Key)
			}
			lr.Policies = append(lr.Policies, ListedPolicy{Index: r.PolicyIndex, Type: r.Policy.Type, Domain: r.Policy.Domain, Mode: r.Mode,
				MXHosts: r.Policy.MXHosts, Successful: r.Summary.TotalSuccessfulSessionCount, Failed: r.Summary.TotalFailureSessionCount,
				Failures: []ListedFailure{}})
			cur = &lr.Policies[len(lr.Policies)-1]
		case cur != nil && modelFailure(f, r):
			fd := r.Failure
			cur.Failures = append(cur.Failures, ListedFailure{Index: r.DetailIndex, ResultType: fd.ResultType, ReceivingMXHostname: fd.ReceivingMXHostname,
				ReceivingMXHelo: fd.ReceivingMXHelo, ReceivingIP: fd.ReceivingIP, SendingMTAIP: fd.SendingMTAIP, Failed: fd.FailedSessionCount,
				FailureReasonCode: fd.FailureReasonCode, AdditionalInformation: fd.AdditionalInformation})
		}
	}
	out := &ReportList{Reports: []ListedReport{}}
	for _, k := range keys {
		lr := byKey[k]
		var kept []ListedPolicy
		for _, p := range lr.Policies {
			if ff && len(p.Failures) == 0 {
				continue
			}
			lr.Successful += p.Successful
			if ff {
				for _, fd := range p.Failures {
					lr.Failed += fd.Failed
				}
			} else {
				lr.Failed += p.Failed
			}
			kept = append(kept, p)
		}
		if len(kept) == 0 {
			continue
		}
		lr.Policies = kept
		out.Reports = append(out.Reports, *lr)
	}
	slices.SortFunc(out.Reports, func(a, b ListedReport) int {
		return cmp.Or(b.Start.Compare(a.Start), cmp.Compare(b.Key, a.Key))
	})
	out.Total = int64(len(out.Reports))
	return out
}

// modelAlerts computes what Alerts returns from the rows.
func modelAlerts(rows []Row, f ViewFilter, cfg AlertConfig) []tlsrpt.Diagnostic {
	cfg = cfg.withDefaults()
	prev := f
	prev.Until = f.Since
	prev.Since = f.Since.Add(-f.Until.Sub(f.Since))
	type pair struct{ dom, v string }
	perDomain := func(w ViewFilter) map[string]Totals {
		out := map[string]Totals{}
		for _, r := range rows {
			if r.Kind == RowPolicy && modelPolicy(w, r) {
				t := out[r.Policy.Domain]
				t.Successful += r.Summary.TotalSuccessfulSessionCount
				t.Failed += r.Summary.TotalFailureSessionCount
				out[r.Policy.Domain] = t
			}
		}
		return out
	}
	distinct := func(w ViewFilter, failures bool) map[pair]bool {
		out := map[pair]bool{}
		for _, r := range rows {
			switch {
			case failures && modelFailure(w, r):
				out[pair{r.Policy.Domain, string(r.Failure.ResultType)}] = true
			case !failures && r.Kind == RowPolicy && modelPolicy(w, r):
				out[pair{r.Policy.Domain, r.OrganizationName}] = true
			}
		}
		return out
	}
	var out []tlsrpt.Diagnostic
	before := perDomain(prev)
	for dom, t := range perDomain(f) {
		if t.Sessions() < cfg.MinSessions {
			continue
		}
		p := before[dom].FailureRate() * 100
		threshold := max(cfg.Factor*p, p+cfg.MarginPoints)
		if rate := t.FailureRate() * 100; rate > threshold {
			out = append(out, tlsrpt.Diagnostic{Path: dom, Code: CodeFailureRateRise, Severity: tlsrpt.SeverityError,
				Message: fmt.Sprintf("failure rate %.1f%% (%d of %d sessions), previous window %.1f%%, threshold %.1f%%", rate, t.Failed, t.Sessions(), p, threshold),
				Fix:     "tlsrpt summary --domain " + dom + " shows the failing result types and MX hosts"})
		}
	}
	prevTypes := distinct(prev, true)
	for p := range distinct(f, true) {
		if !prevTypes[p] {
			out = append(out, tlsrpt.Diagnostic{Path: p.dom, Code: CodeNewResultType, Severity: tlsrpt.SeverityWarning,
				Message: fmt.Sprintf("new result type %s, not reported in the previous window", p.v)})
		}
	}
	curOrgs := distinct(f, false)
	for p := range distinct(prev, false) {
		if !curOrgs[p] {
			out = append(out, tlsrpt.Diagnostic{Path: p.dom, Code: CodeReporterStopped, Severity: tlsrpt.SeverityWarning,
				Message: fmt.Sprintf("reporter %q reported in the previous window and not in this one", p.v)})
		}
	}
	slices.SortFunc(out, func(a, b tlsrpt.Diagnostic) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(string(a.Code), string(b.Code)), strings.Compare(a.Message, b.Message))
	})
	return out
}

// TestViewsRandom compares Summarize, Alerts and ListReports, which read
// the rollups, with the same answers computed from Rows over random reports
// and random filters, on both engines. Some reports change trust after
// they are stored (SetTrust), which the rollups do not hold.
func TestViewsRandom(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(17, 2))
		reps := randomReports(rng, 160)
		var entries []Entry
		for i, r := range reps {
			trust := Trust{Verdict: []Verdict{VerdictTrusted, VerdictUntrusted, ""}[i%3]}
			entries = append(entries, Entry{Report: r, Trust: trust, Source: "random", Received: received})
		}
		// Some one by one, the rest in batches.
		for _, e := range entries[:20] {
			_, err := st.Put(ctx, e)
			require.NoError(t, err)
		}
		for i := 20; i < len(entries); i += 50 {
			_, err := st.PutBatch(ctx, entries[i:min(i+50, len(entries))])
			require.NoError(t, err)
		}
		for key := int64(1); key < 200; key += 7 {
			if err := st.SetTrust(ctx, key, Trust{Verdict: VerdictUntrusted, By: "test"}); err != nil {
				require.ErrorIs(t, err, ErrNotFound)
			}
		}
		var rows []Row
		for r, err := range st.Rows(ctx, Filter{}) {
			require.NoError(t, err)
			rows = append(rows, r)
		}
		filters := []ViewFilter{{}, {Filter: Filter{Since: propDay0, Until: propDay0.AddDate(0, 0, 40)}}}
		for range 80 {
			filters = append(filters, randomFilter(rng, rows))
		}
		alerts := 0
		for i, f := range filters {
			want := modelSummary(rows, f, true)
			got, err := st.Summarize(ctx, f)
			require.NoError(t, err)
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Errorf("filter %d %+v: Summarize (-model +got):\n%s", i, f, diff)
			}
			if !f.Since.IsZero() && !f.Until.IsZero() {
				cfg := AlertConfig{MinSessions: 10, Factor: 1.2, MarginPoints: 1}
				got, err := st.Alerts(ctx, f, cfg)
				require.NoError(t, err)
				alerts += len(got)
				if diff := gocmp.Diff(modelAlerts(rows, f, cfg), got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("filter %d %+v: Alerts (-model +got):\n%s", i, f, diff)
				}
			}
			wantList := modelList(rows, f)
			gotList, err := st.ListReports(ctx, f, Page{Limit: -1})
			require.NoError(t, err)
			if diff := gocmp.Diff(wantList, gotList, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("filter %d %+v: ListReports (-model +got):\n%s", i, f, diff)
			}
			// Pages of 7 add up to the whole list.
			var paged []ListedReport
			for off := 0; ; off += 7 {
				page, err := st.ListReports(ctx, f, Page{Limit: 7, Offset: off})
				require.NoError(t, err)
				require.Equal(t, wantList.Total, page.Total)
				if len(page.Reports) == 0 {
					break
				}
				require.LessOrEqual(t, len(page.Reports), 7)
				paged = append(paged, page.Reports...)
			}
			if diff := gocmp.Diff(wantList.Reports, paged, cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("filter %d: pages (-all +paged):\n%s", i, diff)
			}
		}
		require.NotZero(t, alerts, "no filter raised an alert")
	})
}

// TestRollupsConcurrentPut stores distinct random reports from several
// goroutines at once, in batches and one by one, so that their rollup
// rows (same days, reporters, domains) are added to concurrently; the
// daily rollups must then hold every report exactly once.
func TestRollupsConcurrentPut(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		reps := randomReports(rand.New(rand.NewPCG(18, 3)), 240)
		const workers = 6
		errs := make([]error, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range workers {
			wg.Go(func() {
				<-start
				var batch []Entry
				for i := w; i < len(reps); i += workers {
					batch = append(batch, Entry{Report: reps[i], Source: "concurrent", Received: received})
					if w%2 == 0 || len(batch) == 10 {
						if _, err := st.PutBatch(ctx, batch); err != nil {
							errs[w] = err
							return
						}
						batch = batch[:0]
					}
				}
				if len(batch) > 0 {
					_, errs[w] = st.PutBatch(ctx, batch)
				}
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		var rows []Row
		for r, err := range st.Rows(ctx, Filter{}) {
			require.NoError(t, err)
			rows = append(rows, r)
		}
		f := ViewFilter{Filter: Filter{Since: propDay0, Until: propDay0.AddDate(0, 0, 45)}, Top: -1}
		require.True(t, f.daily())
		got, err := st.Summarize(ctx, f)
		require.NoError(t, err)
		require.Equal(t, int64(len(reps)), got.Total.Reports)
		if diff := gocmp.Diff(modelSummary(rows, f, true), got); diff != "" {
			t.Errorf("Summarize after concurrent puts (-model +got):\n%s", diff)
		}
	})
}
