package web

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/metrics"
	"github.com/go-tlsrpt/tlsrpt/internal/dbtest"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// benchYear is the year of the synthetic reports.
var benchYear = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// benchStore fills a SQLite store with n synthetic reports: 500 policy
// domains, a year of days, five reporters, one report in four with
// failure details (as store's BenchmarkViews).
func benchStore(b *testing.B, n int) (*store.Store, *sql.DB) {
	ctx := context.Background()
	db := dbtest.SQLite(b, store.SQLiteDSN)
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	rnd := rand.New(rand.NewPCG(1, 2))
	orgs := []string{"Google Inc.", "Microsoft Corporation", "Yahoo", "Mail.ru", "Comcast"}
	types := []report.ResultType{report.ResultCertificateExpired, report.ResultSTARTTLSNotSupported,
		report.ResultSTSPolicyFetchError, report.ResultCertificateHostMismatch, report.ResultTLSAInvalid}
	var entries []store.Entry
	for i := range n {
		dom := fmt.Sprintf("d%03d.example", i%500)
		start := benchYear.AddDate(0, 0, (i/500)%365)
		org := orgs[(i/7)%len(orgs)]
		pr := report.PolicyResult{
			Policy: policy.Policy{Type: policy.TypeSTS, Domain: dom,
				Strings: []string{"version: STSv1", "mode: testing", "mx: mx1." + dom, "max_age: 86400"}, MXHosts: []string{"mx1." + dom}},
			Summary: report.Summary{TotalSuccessfulSessionCount: int64(100 + rnd.IntN(1000))},
		}
		if i%4 == 0 {
			fd := report.FailureDetail{ResultType: types[rnd.IntN(len(types))], ReceivingMXHostname: "mx1." + dom,
				SendingMTAIP: netip.AddrFrom4([4]byte{192, 0, 2, byte(rnd.IntN(250))}), FailedSessionCount: int64(1 + rnd.IntN(20))}
			pr.FailureDetails = []report.FailureDetail{fd}
			pr.Summary.TotalFailureSessionCount = fd.FailedSessionCount
		}
		rep := &report.Report{OrganizationName: org, ContactInfo: "tlsrpt@example.net",
			ReportID:  fmt.Sprintf("bench-%d", i),
			DateRange: report.DateRange{Start: start, End: start.Add(24*time.Hour - time.Second)},
			Policies:  []report.PolicyResult{pr}}
		entries = append(entries, store.Entry{Report: rep, Source: "bench", Trust: store.Trust{Verdict: store.VerdictTrusted}})
		if len(entries) == 500 {
			if _, err := st.PutBatch(ctx, entries); err != nil {
				b.Fatal(err)
			}
			entries = entries[:0]
		}
	}
	if len(entries) > 0 {
		if _, err := st.PutBatch(ctx, entries); err != nil {
			b.Fatal(err)
		}
	}
	return st, db
}

// BenchmarkPages times the dashboard's pages and a /metrics scrape
// (every report, and a 30-day window), over HTTP on loopback, over a store of $TLSRPT_BENCH_WEB_REPORTS synthetic reports
// (default 20,000; the README's numbers are at 100,000):
//
//	TLSRPT_BENCH_WEB_REPORTS=100000 go test -run '^$' -bench Pages -benchtime 10x ./cmd/tlsrpt/internal/web
func BenchmarkPages(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("TLSRPT_BENCH_WEB_REPORTS")); err == nil && v > 0 {
		n = v
	}
	st, db := benchStore(b, n)
	// The clock stands on the last day of reports: the default window is
	// the last 30 days with reports.
	d := &Dashboard{Store: st, Now: func() time.Time { return benchYear.AddDate(0, 0, min(n/500, 365)-1) }}
	mux := http.NewServeMux()
	all, err := metrics.Handler(db, st.Dialect(), metrics.Config{})
	if err != nil {
		b.Fatal(err)
	}
	month, err := metrics.Handler(db, st.Dialect(), metrics.Config{Window: 30 * 24 * time.Hour, Now: d.Now})
	if err != nil {
		b.Fatal(err)
	}
	mux.Handle("GET /metrics", all)
	mux.Handle("GET /metrics/month", month)
	mux.Handle("/", d.Handler())
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	for _, p := range []struct{ name, path string }{
		{"Overview/month", "/"},
		{"Overview/year", "/?days=365"},
		{"Overview/all", "/?days=all"},
		{"Overview/month/filtered", "/?family=mta-sts&reporter=Yahoo"},
		{"Domain/month", "/domains/d007.example"},
		{"Domain/year", "/domains/d007.example?days=365"},
		{"Reports/month", "/reports"},
		{"Report", "/reports/1"},
		{"API/summary/month", "/api/summary"},
		{"Metrics/all", "/metrics"},
		{"Metrics/month", "/metrics/month"},
	} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			for b.Loop() {
				resp, err := srv.Client().Get(srv.URL + p.path)
				if err != nil {
					b.Fatal(err)
				}
				size, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", p.path, resp.StatusCode)
				}
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}

// BenchmarkRender times the dashboard's own work on the overview, apart
// from the store's queries: bucketing the days, drawing the charts and
// executing the templates, for a summary of all 500 domains over a
// month and a year of $TLSRPT_BENCH_WEB_REPORTS reports.
func BenchmarkRender(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("TLSRPT_BENCH_WEB_REPORTS")); err == nil && v > 0 {
		n = v
	}
	st, _ := benchStore(b, n)
	last := benchYear.AddDate(0, 0, min(n/500, 365))
	d := &Dashboard{Store: st}
	for _, w := range []struct {
		name string
		days int
	}{{"month", 30}, {"year", 365}} {
		q, err := parseQuery(url.Values{"days": {strconv.Itoa(w.days)}, "until": {last.Format(time.DateOnly)}}, last)
		if err != nil {
			b.Fatal(err)
		}
		sum, err := st.Summarize(context.Background(), q.filter)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("Overview/"+w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				data := &overviewData{Sum: sum, Domains: domainRows(sum.Days), ResultTypes: resultRows(sum.ByResultType)}
				unit, bs := buckets(sum.Days, q.since, q.until)
				data.Unit = unit
				data.Sessions, data.Rate, data.DomainsChart = sessionsChart(bs, unit), rateChart(bs, unit), domainsChart(bs, unit)
				rec := httptest.NewRecorder()
				d.render(rec, nil, http.StatusOK, "overview", &page{Title: "Overview", Nav: "overview", Q: q, Path: "/", Started: time.Now(), Data: data})
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Body.String())
				}
			}
		})
	}
}
