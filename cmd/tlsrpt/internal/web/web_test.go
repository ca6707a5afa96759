package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
	"github.com/go-tlsrpt/tlsrpt/internal/dbtest"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// day0 is the first day of the fixtures; now is the dashboard's clock,
// so that the default 30-day window holds them all.
var (
	day0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	now  = time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
)

// Hostile values of the fixture's last report.
var (
	hostileOrg    = `<script>alert("org")</script>` + strings.Repeat("W", 10<<10)
	hostileRTL    = "\u202eevil.example\u202c مرحبا"
	hostileDomain = `"><img src=x onerror=alert(1)>.example`
	hostileReason = `</svg><script>alert('reason')</script>`
)

func fixtureReport(org string, day int, dom, mode string, succ int64, fails ...report.FailureDetail) *report.Report {
	start := day0.AddDate(0, 0, day)
	var failed int64
	for _, f := range fails {
		failed += f.FailedSessionCount
	}
	return &report.Report{
		OrganizationName: org,
		DateRange:        report.DateRange{Start: start, End: start.Add(24*time.Hour - time.Second)},
		ContactInfo:      "tlsrpt@" + strings.ToLower(strings.Fields(org)[0]) + ".example",
		ReportID:         fmt.Sprintf("%s-%d-%s", org, day, dom),
		Policies: []report.PolicyResult{{
			Policy: policy.Policy{Type: policy.TypeSTS, Domain: dom,
				Strings: []string{"version: STSv1", "mode: " + mode, "mx: mx1." + dom, "max_age: 86400"},
				MXHosts: []string{"mx1." + dom}},
			Summary:        report.Summary{TotalSuccessfulSessionCount: succ, TotalFailureSessionCount: failed},
			FailureDetails: fails,
		}},
	}
}

func failure(t report.ResultType, mx, ip string, n int64) report.FailureDetail {
	return report.FailureDetail{ResultType: t, ReceivingMXHostname: mx, SendingMTAIP: netip.MustParseAddr(ip), FailedSessionCount: n}
}

// fixtureStore fills a SQLite store with two weeks of reports from three
// reporters on three domains, and one hostile report; it returns the
// store and the key of the hostile report.
func fixtureStore(t *testing.T) (*store.Store, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbtest.SQLite(t, store.SQLiteDSN), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var entries []store.Entry
	for day := range 14 {
		for _, org := range []string{"Google Inc.", "Microsoft Corporation", "Yahoo"} {
			if org == "Yahoo" && day >= 7 {
				continue
			}
			entries = append(entries, store.Entry{Report: fixtureReport(org, day, "ready.example", "testing", 500),
				Trust: store.Trust{Verdict: store.VerdictTrusted, By: "dkim:" + org}, Source: "fixture"})
			var fails []report.FailureDetail
			if day == 10 {
				fails = append(fails, failure(report.ResultCertificateHostMismatch, "mx1.blocked.example", "192.0.2.10", 40))
			}
			if day%3 == 0 {
				fails = append(fails, failure(report.ResultSTSPolicyFetchError, "", "198.51.100.3", 2))
			}
			entries = append(entries, store.Entry{Report: fixtureReport(org, day, "blocked.example", "testing", 300, fails...),
				Trust: store.Trust{Verdict: store.VerdictUntrusted}, Source: "fixture"})
			entries = append(entries, store.Entry{Report: fixtureReport(org, day, "enforce.example", "enforce", 1000,
				failure(report.ResultSTARTTLSNotSupported, "mx1.enforce.example", "2001:db8::25", 1)), Source: "fixture"})
		}
	}
	_, err = st.PutBatch(ctx, entries)
	require.NoError(t, err)

	h := fixtureReport("Hostile", 12, hostileDomain, "testing", 7,
		report.FailureDetail{ResultType: "<b>made-up</b>", ReceivingMXHostname: hostileRTL, FailureReasonCode: hostileReason,
			AdditionalInformation: "javascript:alert(1)", FailedSessionCount: 3})
	h.OrganizationName, h.ContactInfo, h.ReportID = hostileOrg, hostileRTL, `<script>id</script>`
	raw, err := json.Marshal(h)
	require.NoError(t, err)
	res, err := st.Put(ctx, store.Entry{Report: h, Raw: raw, Source: hostileRTL,
		Diagnostics: []report.Warning{{Path: "organization-name", Code: "x-<script>", Severity: "warning", Message: hostileReason}},
		Trust:       store.Trust{Verdict: store.VerdictUntrusted, By: "https", Reason: hostileReason}})
	require.NoError(t, err)
	return st, res.Key
}

// server starts the dashboard over st.
func server(t *testing.T, st *store.Store) *httptest.Server {
	d := &Dashboard{Store: st, Now: func() time.Time { return now }, ReceiverPath: "/tlsrpt"}
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// get fetches path and returns the status and body.
func get(t *testing.T, srv *httptest.Server, path string) (int, string, http.Header) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header
}

var dataRE = regexp.MustCompile(`<data id="([a-z-]+)" value="(-?\d+)">`)

// numbers returns the values of the page's <data id=… value=…> elements.
func numbers(t *testing.T, body string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, m := range dataRE.FindAllStringSubmatch(body, -1) {
		n, err := strconv.ParseInt(m[2], 10, 64)
		require.NoError(t, err)
		out[m[1]] = n
	}
	return out
}

func totalsMap(tot store.Totals) map[string]int64 {
	return map[string]int64{"total-reports": tot.Reports, "total-sessions": tot.Sessions(),
		"total-successful": tot.Successful, "total-failed": tot.Failed}
}

// window is the fixtures' 30-day default window.
var window = store.Filter{Since: time.Date(2026, 9, 21, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC)}

// TestOverviewNumbers checks that the overview shows the store's totals
// and per-domain numbers, for the default window and with filters, and
// that the filters narrow and stay in the links.
func TestOverviewNumbers(t *testing.T) {
	st, _ := fixtureStore(t)
	srv := server(t, st)
	ctx := context.Background()
	tests := []struct {
		name, query string
		filter      store.ViewFilter
	}{
		{"default window", "", store.ViewFilter{Filter: window}},
		{"reporter", "reporter=Yahoo", store.ViewFilter{Filter: store.Filter{Since: window.Since, Until: window.Until, Reporter: "Yahoo"}}},
		{"trust", "trust=trusted", store.ViewFilter{Filter: store.Filter{Since: window.Since, Until: window.Until, Trust: store.VerdictTrusted}}},
		{"result type", "result-type=certificate-host-mismatch", store.ViewFilter{Filter: window, ResultType: report.ResultCertificateHostMismatch}},
		{"family and days", "family=mta-sts&days=7", store.ViewFilter{Filter: store.Filter{Since: window.Until.AddDate(0, 0, -7), Until: window.Until}, Category: report.CategorySTS}},
		{"since until", "since=2026-10-03&until=2026-10-05", store.ViewFilter{Filter: store.Filter{Since: day0.AddDate(0, 0, 2), Until: day0.AddDate(0, 0, 4)}}},
		{"all", "days=all&mode=enforce", store.ViewFilter{Mode: "enforce"}},
	}
	all, err := st.Summarize(ctx, store.ViewFilter{Filter: window})
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := st.Summarize(ctx, tc.filter)
			require.NoError(t, err)
			if want.Total.Reports == 0 {
				t.Fatal("the filter selects nothing; the test would prove little")
			}
			status, body, _ := get(t, srv, "/?"+tc.query)
			require.Equal(t, http.StatusOK, status, body)
			got := numbers(t, body)
			for k, v := range totalsMap(want.Total) {
				if got[k] != v {
					t.Errorf("%s = %d on the page, %d in the store", k, got[k], v)
				}
			}
			if tc.query != "" && tc.query != "days=all&mode=enforce" && want.Total.Sessions() >= all.Total.Sessions() && want.Total.Failed >= all.Total.Failed {
				t.Errorf("filter %q did not narrow: %+v vs %+v", tc.query, want.Total, all.Total)
			}
			// Each domain's row sums its days.
			for _, dr := range domainRows(want.Days) {
				row := regexp.MustCompile(`(?s)<a href="/domains/` + regexp.QuoteMeta(url.PathEscape(dr.Domain)) + `[^"]*"><bdi>[^<]*</bdi></a></td>\s*<td class="n"><data value="(\d+)">[^<]*</data></td>\s*<td class="n"><data value="(\d+)">`).FindStringSubmatch(body)
				if row == nil {
					if !strings.ContainsAny(dr.Domain, `<>"`) {
						t.Errorf("no row for domain %q", dr.Domain)
					}
					continue
				}
				if row[1] != strconv.FormatInt(dr.Reports, 10) || row[2] != strconv.FormatInt(dr.Sessions(), 10) {
					t.Errorf("domain %s: page reports %s sessions %s, store %d %d", dr.Domain, row[1], row[2], dr.Reports, dr.Sessions())
				}
			}
			// Links to domains and reports keep the filters.
			if tc.query != "" {
				v, _ := url.ParseQuery(tc.query)
				for _, m := range regexp.MustCompile(`href="(/domains/[^"]*)"`).FindAllStringSubmatch(body, -1) {
					u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
					require.NoError(t, err)
					for k := range v {
						if u.Query().Get(k) != v.Get(k) {
							t.Errorf("link %s lost filter %s=%s", m[1], k, v.Get(k))
						}
					}
				}
			}
			if !tc.filter.Since.IsZero() {
				as, err := st.Alerts(ctx, tc.filter, store.AlertConfig{})
				require.NoError(t, err)
				if got := strings.Count(body, `<li class="`); got != len(as) {
					t.Errorf("%d alerts on the page, the store has %d", got, len(as))
				}
			}
			for _, id := range []string{"chart-sessions", "chart-rate", "chart-domains"} {
				if !strings.Contains(body, `<svg id="`+id+`"`) {
					t.Errorf("no SVG chart %s", id)
				}
			}
		})
	}
}

// TestDomainPage checks the domain page's numbers and readiness verdict
// against the store's.
func TestDomainPage(t *testing.T) {
	st, _ := fixtureStore(t)
	srv := server(t, st)
	ctx := context.Background()
	for _, dom := range []string{"ready.example", "blocked.example", "enforce.example"} {
		t.Run(dom, func(t *testing.T) {
			f := store.ViewFilter{Filter: window}
			f.Domain = dom
			want, err := st.Summarize(ctx, f)
			require.NoError(t, err)
			rd, err := st.Readiness(ctx, dom, window.Since, window.Until, store.ReadinessConfig{})
			require.NoError(t, err)
			status, body, _ := get(t, srv, "/domains/"+dom)
			require.Equal(t, http.StatusOK, status, body)
			got := numbers(t, body)
			for k, v := range totalsMap(want.Total) {
				if got[k] != v {
					t.Errorf("%s = %d on the page, %d in the store", k, got[k], v)
				}
			}
			m := regexp.MustCompile(`id="readiness-verdict">([^<]+)<`).FindStringSubmatch(body)
			require.NotNil(t, m, "no readiness verdict")
			if m[1] != funcs["readinessText"].(func(store.ReadinessVerdict) string)(rd.Verdict) {
				t.Errorf("verdict %q on the page, store says %s", m[1], rd.Verdict)
			}
			for _, b := range rd.Blockers {
				if !strings.Contains(body, "<code>"+string(b.ResultType)+"</code>") {
					t.Errorf("blocker %s not shown", b.ResultType)
				}
			}
			for _, c := range want.ByResultType {
				if !strings.Contains(body, template.HTMLEscapeString(report.ResultType(c.Key).Description())) {
					t.Errorf("no meaning for result type %s", c.Key)
				}
			}
			n := strings.Count(body, `<tr>
<td><a href="/reports/`)
			if int64(n) != min(want.Total.Reports, domainListLimit) {
				t.Errorf("%d reports listed, store has %d", n, want.Total.Reports)
			}
			if more := want.Total.Reports - int64(n); more > 0 && !strings.Contains(body, fmt.Sprintf(`%d more: <a href="/reports?domain=%s">`, more, dom)) {
				t.Errorf("no link to the %d more reports", more)
			}
		})
	}
}

// TestReportPage checks that the report page shows every field and the
// raw download returns the bytes stored.
func TestReportPage(t *testing.T) {
	st, key := fixtureStore(t)
	srv := server(t, st)
	sr, err := st.Get(context.Background(), key)
	require.NoError(t, err)
	status, body, _ := get(t, srv, "/reports/"+strconv.FormatInt(key, 10))
	require.Equal(t, http.StatusOK, status, body)
	got := numbers(t, body)
	if got["report-sessions"] != 10 || got["report-failed"] != 3 {
		t.Errorf("report sessions %d failed %d, want 10 and 3", got["report-sessions"], got["report-failed"])
	}
	for _, want := range []string{"organization-name", "total-failure-session-count", "failure-reason-code",
		"additional-information", "javascript:alert(1)", "untrusted", hexString(sr.ContentHash[:]), "x-&lt;script&gt;",
		"mode testing", "mx1." + "&#34;&gt;&lt;img"} {
		if !strings.Contains(body, want) {
			t.Errorf("report page lacks %q", want)
		}
	}
	status, raw, hdr := get(t, srv, "/reports/"+strconv.FormatInt(key, 10)+"/raw")
	require.Equal(t, http.StatusOK, status)
	if raw != string(sr.Raw) {
		t.Errorf("raw download differs from the stored bytes")
	}
	if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, ".json") {
		t.Errorf("Content-Disposition %q", cd)
	}
}

// TestHostileEscaped checks that hostile report fields are escaped on
// every page and in the charts, and that no page loads anything from
// another host.
func TestHostileEscaped(t *testing.T) {
	st, key := fixtureStore(t)
	srv := server(t, st)
	k := strconv.FormatInt(key, 10)
	paths := []string{"/", "/?days=all", "/reports", "/reports/" + k, "/domains/" + url.PathEscape(hostileDomain),
		"/domains/blocked.example?result-type=" + url.QueryEscape("<b>made-up</b>"), "/?reporter=" + url.QueryEscape(hostileOrg[:40])}
	external := regexp.MustCompile(`(?i)(src|href|action|xlink:href)\s*=\s*"?\s*(https?:|//|javascript:)`)
	for _, p := range paths {
		status, body, hdr := get(t, srv, p)
		if status != http.StatusOK {
			t.Errorf("%s: status %d", p, status)
			continue
		}
		for _, bad := range []string{"<script", "<img", "<b>made-up", "</svg><script"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: %q unescaped", p, bad)
			}
		}
		if m := external.FindString(body); m != "" {
			t.Errorf("%s: external or script URL %q", p, m)
		}
		if !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: no CSP", p)
		}
	}
	// The hostile organization shows in full, escaped, in a wrapping
	// element; its RTL contact is isolated.
	_, body, _ := get(t, srv, "/reports/"+k)
	head := clip(hostileOrg, longHead)
	head = head[:len(head)-len("…")]
	if !strings.Contains(body, `<dd class="wrap"><bdi id="organization-name">`+template.HTMLEscapeString(head)+`</bdi><details class="more">`) ||
		!strings.Contains(body, "<bdi>"+template.HTMLEscapeString(hostileOrg[len(head):])+"</bdi></details>") {
		t.Error("the 10 KB organization name is not shown whole in a wrapping element")
	}
	if !strings.Contains(body, "<bdi>"+hostileRTL+"</bdi>") {
		t.Error("the RTL text is not isolated in <bdi>")
	}
	_, css, _ := get(t, srv, "/style.css")
	if strings.Contains(css, "url(") || strings.Contains(css, "@import") {
		t.Error("the style sheet loads something")
	}
	if !strings.Contains(css, ".wrap") || !strings.Contains(css, "overflow-wrap: anywhere") {
		t.Error("the style sheet does not wrap long values")
	}
}

// TestStatus checks the answers to bad and unknown requests and to the
// assets.
func TestStatus(t *testing.T) {
	st, key := fixtureStore(t)
	srv := server(t, st)
	tests := []struct {
		path        string
		status      int
		contentType string
	}{
		{"/", 200, "text/html; charset=utf-8"},
		{"/?days=0", 400, "text/html; charset=utf-8"},
		{"/?since=yesterday", 400, "text/html; charset=utf-8"},
		{"/?since=2026-10-05&until=2026-10-01", 400, "text/html; charset=utf-8"},
		{"/?trust=maybe", 400, "text/html; charset=utf-8"},
		{"/?ip=not-an-ip", 400, "text/html; charset=utf-8"},
		{"/nope", 404, "text/html; charset=utf-8"},
		{"/reports/999999", 404, "text/html; charset=utf-8"},
		{"/reports/x", 400, "text/html; charset=utf-8"},
		{"/reports/" + strconv.FormatInt(key-1, 10) + "/raw", 404, "text/html; charset=utf-8"}, // stored without raw
		{"/domains/unknown.example", 200, "text/html; charset=utf-8"},
		{"/api/summary?days=x", 400, "application/json"},
		{"/api/reports/999999", 404, "application/json"},
		{"/api/alerts?days=all", 400, "application/json"},
		{"/api/alerts", 200, "application/json"},
		{"/favicon.ico", 200, "image/svg+xml"},
		{"/favicon.svg", 200, "image/svg+xml"},
		{"/style.css", 200, "text/css; charset=utf-8"},
	}
	for _, tc := range tests {
		status, _, hdr := get(t, srv, tc.path)
		if status != tc.status || hdr.Get("Content-Type") != tc.contentType {
			t.Errorf("GET %s: %d %q, want %d %q", tc.path, status, hdr.Get("Content-Type"), tc.status, tc.contentType)
		}
	}
	resp, err := srv.Client().Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", resp.StatusCode)
	}
}

// TestAPI checks that the JSON API answers what the store says.
func TestAPI(t *testing.T) {
	st, key := fixtureStore(t)
	srv := server(t, st)
	ctx := context.Background()
	want, err := st.Summarize(ctx, store.ViewFilter{Filter: store.Filter{Since: window.Since, Until: window.Until, Reporter: "Yahoo"}})
	require.NoError(t, err)
	status, body, _ := get(t, srv, "/api/summary?reporter=Yahoo")
	require.Equal(t, http.StatusOK, status, body)
	var got store.Summary
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	if diff := cmp.Diff(want, &got); diff != "" {
		t.Errorf("/api/summary (-store +api):\n%s", diff)
	}

	status, body, _ = get(t, srv, "/api/domains/blocked.example")
	require.Equal(t, http.StatusOK, status, body)
	var dom struct {
		Summary   store.Summary
		Readiness store.Readiness
	}
	require.NoError(t, json.Unmarshal([]byte(body), &dom))
	rd, err := st.Readiness(ctx, "blocked.example", window.Since, window.Until, store.ReadinessConfig{})
	require.NoError(t, err)
	if dom.Readiness.Verdict != rd.Verdict || dom.Readiness.Failed != rd.Failed {
		t.Errorf("readiness %s/%d, store %s/%d", dom.Readiness.Verdict, dom.Readiness.Failed, rd.Verdict, rd.Failed)
	}

	status, body, _ = get(t, srv, "/api/reports/"+strconv.FormatInt(key, 10))
	require.Equal(t, http.StatusOK, status, body)
	var rep struct {
		Key    int64
		Report report.Report
		Trust  struct{ Verdict string }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &rep))
	if rep.Key != key || rep.Report.OrganizationName != hostileOrg || rep.Trust.Verdict != "untrusted" {
		t.Errorf("/api/reports/%d: key %d, trust %q, organization %.20q", key, rep.Key, rep.Trust.Verdict, rep.Report.OrganizationName)
	}

	status, body, _ = get(t, srv, "/api/reports?reporter=Yahoo&domain=ready.example")
	require.Equal(t, http.StatusOK, status, body)
	var list struct {
		Total   int
		Reports []struct{ Key int64 }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	if list.Total != 7 || len(list.Reports) != 7 {
		t.Errorf("listed %d reports (total %d), want 7", len(list.Reports), list.Total)
	}
}

// TestBuckets checks the grouping of days into chart bars.
func TestBuckets(t *testing.T) {
	days := []store.DayTotals{
		{Day: "2026-01-05", Domain: "a", Totals: store.Totals{Reports: 1, Successful: 10, Failed: 1}},
		{Day: "2026-01-05", Domain: "b", Totals: store.Totals{Reports: 2, Successful: 20}},
		{Day: "2026-01-07", Domain: "a", Totals: store.Totals{Reports: 1, Successful: 5, Failed: 5}},
		{Day: "2026-06-30", Domain: "a", Totals: store.Totals{Reports: 1, Successful: 1}},
	}
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	tests := []struct {
		name         string
		since, until time.Time
		unit         string
		n            int
		first        store.Totals
		firstDomains int
		sum          store.Totals
	}{
		{"days", d("2026-01-05"), d("2026-01-08"), "day", 3, store.Totals{Reports: 3, Successful: 30, Failed: 1}, 2, store.Totals{Reports: 4, Successful: 35, Failed: 6}},
		{"weeks", d("2026-01-01"), d("2026-07-01"), "week", 27, store.Totals{}, 0, store.Totals{Reports: 5, Successful: 36, Failed: 6}},
		{"unbounded", time.Time{}, time.Time{}, "week", 26, store.Totals{Reports: 4, Successful: 35, Failed: 6}, 2, store.Totals{Reports: 5, Successful: 36, Failed: 6}},
		{"months", d("2024-01-01"), d("2026-07-01"), "month", 30, store.Totals{}, 0, store.Totals{Reports: 5, Successful: 36, Failed: 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			unit, bs := buckets(days, tc.since, tc.until)
			if unit != tc.unit || len(bs) != tc.n {
				t.Fatalf("unit %s, %d buckets; want %s, %d", unit, len(bs), tc.unit, tc.n)
			}
			if bs[0].Totals != tc.first || bs[0].Domains != tc.firstDomains {
				t.Errorf("first bucket %+v, %d domains; want %+v, %d", bs[0].Totals, bs[0].Domains, tc.first, tc.firstDomains)
			}
			var sum store.Totals
			for _, b := range bs {
				sum.Reports += b.Reports
				sum.Successful += b.Successful
				sum.Failed += b.Failed
			}
			if sum != tc.sum {
				t.Errorf("buckets sum to %+v, want %+v", sum, tc.sum)
			}
		})
	}
}

// TestCorpus renders every page for a store filled from the shared
// corpus of real reports.
func TestCorpus(t *testing.T) {
	dir := corpus.Dir(t, "reports")
	ctx := context.Background()
	st, err := store.Open(ctx, dbtest.SQLite(t, store.SQLiteDSN), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	files, err := filepath.Glob(filepath.Join(dir, "*.json*"))
	require.NoError(t, err)
	var keys []int64
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var dec report.Decoder
		rep, warns, err := dec.Decode(strings.NewReader(string(raw)))
		if err != nil {
			continue
		}
		res, err := st.Put(ctx, store.Entry{Report: rep, Raw: raw, Diagnostics: warns, Source: filepath.Base(f)})
		require.NoError(t, err)
		if res.Stored() {
			keys = append(keys, res.Key)
		}
	}
	require.NotEmpty(t, keys)
	srv := server(t, st)
	want, err := st.Summarize(ctx, store.ViewFilter{})
	require.NoError(t, err)
	status, body, _ := get(t, srv, "/?days=all")
	require.Equal(t, http.StatusOK, status)
	got := numbers(t, body)
	for k, v := range totalsMap(want.Total) {
		if got[k] != v {
			t.Errorf("%s = %d on the page, %d in the store", k, got[k], v)
		}
	}
	var multi int64
	for _, d := range want.Days {
		multi += d.MultiDay
	}
	if multi > 0 && !strings.Contains(body, Num(multi)+" reports cover more than 24 hours") {
		t.Errorf("the overview does not say that %d reports cover more than a day", multi)
	}
	t.Logf("%d reports, %d multi-day", want.Total.Reports, multi)
	for _, dr := range domainRows(want.Days) {
		if dr.Domain == "" {
			continue
		}
		if status, body, _ := get(t, srv, "/domains/"+url.PathEscape(dr.Domain)+"?days=all"); status != http.StatusOK {
			t.Errorf("domain %s: %d %s", dr.Domain, status, body)
		}
	}
	for _, k := range keys {
		if status, body, _ := get(t, srv, "/reports/"+strconv.FormatInt(k, 10)); status != http.StatusOK {
			t.Errorf("report %d: %d %s", k, status, body)
		}
	}
	if status, _, _ := get(t, srv, "/reports?days=all"); status != http.StatusOK {
		t.Errorf("/reports: %d", status)
	}
}

// TestReportsPages pages through the listing: the reports of each page,
// the latest first, add up to the store's count.
func TestReportsPages(t *testing.T) {
	st, _ := fixtureStore(t)
	srv := server(t, st)
	want, err := st.Summarize(context.Background(), store.ViewFilter{Filter: window})
	require.NoError(t, err)
	require.Greater(t, want.Total.Reports, int64(listLimit), "the fixture needs more than a page")
	keyRE := regexp.MustCompile(`<tr>\n<td><a href="/reports/(\d+)`)
	seen := map[string]bool{}
	path := "/reports"
	for pages := 0; path != ""; pages++ {
		require.Less(t, pages, 10)
		status, body, _ := get(t, srv, path)
		require.Equal(t, http.StatusOK, status, body)
		if got := numbers(t, body)["reports-total"]; got != want.Total.Reports {
			t.Errorf("%s: total %d, store %d", path, got, want.Total.Reports)
		}
		for _, m := range keyRE.FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Errorf("report %s listed twice", m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := regexp.MustCompile(`<a class="button" href="([^"]+)">earlier`).FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if int64(len(seen)) != want.Total.Reports {
		t.Errorf("%d reports on all pages, the store has %d", len(seen), want.Total.Reports)
	}
	if status, _, _ := get(t, srv, "/reports?offset=-1"); status != http.StatusBadRequest {
		t.Errorf("offset=-1: %d", status)
	}
}
