package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/demo"
	"github.com/go-tlsrpt/tlsrpt/internal/dbtest"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

var testNow = time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// dialects are the engines the tests run on: SQLite (a temporary file)
// and PostgreSQL (a database of dbtest's server).
var dialects = []struct {
	name store.Dialect
	open func(testing.TB) *sql.DB
}{
	{store.DialectSQLite, func(tb testing.TB) *sql.DB { return dbtest.SQLite(tb, store.SQLiteDSN) }},
	{store.DialectPostgres, dbtest.Postgres},
}

// openStore opens a store on a new database of the dialect.
func openStore(t testing.TB, open func(testing.TB) *sql.DB) (*store.Store, *sql.DB) {
	t.Helper()
	db := open(t)
	st, err := store.Open(context.Background(), db, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st, db
}

// demoStore returns a store filled with the demo's reports.
func demoStore(t testing.TB, open func(testing.TB) *sql.DB, opts demo.Options) (*store.Store, *sql.DB) {
	t.Helper()
	st, db := openStore(t, open)
	_, err := demo.Fill(context.Background(), st, opts)
	require.NoError(t, err)
	return st, db
}

// handler returns Handler on db, failing the test on error.
func handler(t testing.TB, db *sql.DB, d store.Dialect, cfg Config) http.Handler {
	t.Helper()
	h, err := Handler(db, d, cfg)
	require.NoError(t, err)
	return h
}

// scrape GETs h's metrics and parses the text exposition format.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// values maps each series of family name, labels joined by "|" in label
// order, to its value.
func values(fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	fam := fams[name]
	if fam == nil {
		return out
	}
	for _, m := range fam.GetMetric() {
		key := ""
		for i, l := range m.GetLabel() {
			if i > 0 {
				key += "|"
			}
			key += l.GetName() + "=" + l.GetValue()
		}
		switch {
		case m.GetCounter() != nil:
			out[key] = m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}

// fromStore computes what the metrics must say from the store's own
// views (Summarize), for the filter f.
func fromStore(t *testing.T, st *store.Store, f store.Filter) (sessions, failed, reports map[string]float64) {
	t.Helper()
	ctx := context.Background()
	sum, err := st.Summarize(ctx, store.ViewFilter{Filter: f})
	require.NoError(t, err)
	sessions, failed, reports = map[string]float64{}, map[string]float64{}, map[string]float64{}
	domains := map[string]bool{}
	for _, d := range sum.Days {
		domains[d.Domain] = true
		sessions["policy_domain="+d.Domain+"|result=successful"] += float64(d.Successful)
		sessions["policy_domain="+d.Domain+"|result=failed"] += float64(d.Failed)
	}
	for _, r := range sum.ByReporter {
		reports["reporter="+r.Key] = float64(r.Reports)
	}
	for dom := range domains {
		for _, rt := range report.ResultTypes() {
			vf := store.ViewFilter{Filter: f, ResultType: rt}
			vf.Domain = dom
			s, err := st.Summarize(ctx, vf)
			require.NoError(t, err)
			for _, r := range s.ByReporter {
				if r.Failed > 0 {
					failed[fmt.Sprintf("policy_domain=%s|reporter=%s|result_type=%s", dom, r.Key, rt)] = float64(r.Failed)
				}
			}
		}
	}
	return sessions, failed, reports
}

func TestHandler(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			t.Parallel()
			testHandler(t, d.name, d.open)
		})
	}
}

func testHandler(t *testing.T, dialect store.Dialect, open func(testing.TB) *sql.DB) {
	opts := demo.Options{Now: testNow, Seed: 1}
	st, db := demoStore(t, open, opts)
	entries, err := demo.Entries(opts)
	require.NoError(t, err)
	week := 7 * 24 * time.Hour

	tests := []struct {
		name   string
		cfg    Config
		filter store.Filter
		suffix string // of the count metrics' names
	}{
		{name: "all stored", cfg: Config{}, suffix: "_total"},
		{name: "last week", cfg: Config{Window: week, Now: func() time.Time { return testNow }},
			filter: store.Filter{Since: testNow.Add(-week), Until: testNow}},
		{name: "trusted only", cfg: Config{Trust: store.VerdictTrusted}, filter: store.Filter{Trust: store.VerdictTrusted}, suffix: "_total"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fams := scrape(t, handler(t, db, dialect, tt.cfg))
			wantSessions, wantFailed, wantReports := fromStore(t, st, tt.filter)
			if len(wantFailed) == 0 {
				t.Fatal("the store has no failures to compare")
			}
			for _, c := range []struct {
				name string
				want map[string]float64
			}{
				{"tlsrpt_sessions" + tt.suffix, wantSessions},
				{"tlsrpt_failed_sessions" + tt.suffix, wantFailed},
				{"tlsrpt_reports" + tt.suffix, wantReports},
			} {
				if diff := cmp.Diff(c.want, values(fams, c.name)); diff != "" {
					t.Errorf("%s (-store +metrics):\n%s", c.name, diff)
				}
				wantType := dto.MetricType_COUNTER
				if tt.suffix == "" {
					wantType = dto.MetricType_GAUGE
				}
				if fam := fams[c.name]; fam == nil || fam.GetType() != wantType {
					t.Errorf("%s: type %v, want %v", c.name, fam.GetType(), wantType)
				}
			}
			// The last arrival per reporter, from the generated entries.
			wantLast := map[string]float64{}
			for _, e := range entries {
				if tt.filter.Trust != "" && e.Trust.Verdict != tt.filter.Trust {
					continue
				}
				if !tt.filter.Since.IsZero() && e.Report.DateRange.Start.Before(tt.filter.Since) {
					continue
				}
				k := "reporter=" + e.Report.OrganizationName
				wantLast[k] = max(wantLast[k], float64(e.Received.Truncate(time.Microsecond).UnixMicro())/1e6)
			}
			if diff := cmp.Diff(wantLast, values(fams, "tlsrpt_last_report_timestamp_seconds")); diff != "" {
				t.Errorf("tlsrpt_last_report_timestamp_seconds (-entries +metrics):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]float64{"": 1}, values(fams, "tlsrpt_store_up")); diff != "" {
				t.Errorf("tlsrpt_store_up (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]float64{"": 0}, values(fams, "tlsrpt_store_scrape_errors_total")); diff != "" {
				t.Errorf("tlsrpt_store_scrape_errors_total (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandlerOtherResultType(t *testing.T) {
	ctx := context.Background()
	st, db := openStore(t, dialects[0].open)
	rep, _, err := report.Parse([]byte(`{"organization-name":"Sender","date-range":{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"},
		"contact-info":"tlsrpt@sender.example","report-id":"1","policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.com"},
		"summary":{"total-successful-session-count":5,"total-failure-session-count":3},
		"failure-details":[{"result-type":"made-up-type","failed-session-count":2},{"result-type":"starttls-not-supported","failed-session-count":1}]}]}`))
	require.NoError(t, err)
	_, err = st.Put(ctx, store.Entry{Report: rep})
	require.NoError(t, err)
	got := values(scrape(t, handler(t, db, st.Dialect(), Config{})), "tlsrpt_failed_sessions_total")
	want := map[string]float64{
		"policy_domain=example.com|reporter=Sender|result_type=other":                  2,
		"policy_domain=example.com|reporter=Sender|result_type=starttls-not-supported": 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tlsrpt_failed_sessions_total (-want +got):\n%s", diff)
	}
}

// TestHandlerNewReports checks that a scrape after a Put counts the new
// report (the Collector reuses its last read only while nothing changed).
func TestHandlerNewReports(t *testing.T) {
	ctx := context.Background()
	st, db := openStore(t, dialects[0].open)
	h := handler(t, db, st.Dialect(), Config{})
	entries, err := demo.Entries(demo.Options{Now: testNow, Seed: 1, Days: 2})
	require.NoError(t, err)
	for i, e := range entries[:3] {
		_, err := st.Put(ctx, e)
		require.NoError(t, err)
		for range 2 { // the second scrape reuses the first's read
			got := values(scrape(t, h), "tlsrpt_reports_total")
			var n float64
			for _, v := range got {
				n += v
			}
			if n != float64(i+1) {
				t.Errorf("after %d reports: tlsrpt_reports_total sums to %v (%v)", i+1, n, got)
			}
		}
	}
}

func TestHandlerStoreError(t *testing.T) {
	st, db := openStore(t, dialects[0].open)
	h := handler(t, db, st.Dialect(), Config{})
	require.NoError(t, db.Close())
	for i := 1; i <= 2; i++ {
		fams := scrape(t, h)
		if diff := cmp.Diff(map[string]float64{"": 0}, values(fams, "tlsrpt_store_up")); diff != "" {
			t.Errorf("scrape %d: tlsrpt_store_up (-want +got):\n%s", i, diff)
		}
		if diff := cmp.Diff(map[string]float64{"": float64(i)}, values(fams, "tlsrpt_store_scrape_errors_total")); diff != "" {
			t.Errorf("scrape %d: tlsrpt_store_scrape_errors_total (-want +got):\n%s", i, diff)
		}
		if fams["tlsrpt_sessions_total"] != nil {
			t.Errorf("scrape %d: counts exposed after a failed query", i)
		}
	}
}

func TestNewCollectorDialect(t *testing.T) {
	db := dialects[0].open(t)
	for _, d := range []store.Dialect{"", "mysql"} {
		if _, err := NewCollector(db, d, Config{}); !errors.Is(err, store.ErrUnknownDialect) {
			t.Errorf("NewCollector(%q) = %v, want ErrUnknownDialect", d, err)
		}
		if _, err := Handler(db, d, Config{}); !errors.Is(err, store.ErrUnknownDialect) {
			t.Errorf("Handler(%q) = %v, want ErrUnknownDialect", d, err)
		}
	}
}

func TestCollectorLint(t *testing.T) {
	st, db := demoStore(t, dialects[0].open, demo.Options{Now: testNow, Seed: 1, Days: 3})
	for _, cfg := range []Config{{}, {Window: 24 * time.Hour}} {
		c, err := NewCollector(db, st.Dialect(), cfg)
		require.NoError(t, err)
		problems, err := testutil.CollectAndLint(c)
		require.NoError(t, err)
		for _, p := range problems {
			t.Errorf("window %v: %s: %s", cfg.Window, p.Metric, p.Text)
		}
	}
}

// BenchmarkScrape times one scrape of Handler over a store of
// $TLSRPT_BENCH_METRICS_REPORTS demo reports (default 20,000; about 20
// a day, so 100,000 span some 14 years), on SQLite and PostgreSQL:
//
//	TLSRPT_BENCH_METRICS_REPORTS=100000 go test -run '^$' -bench Scrape ./cmd/tlsrpt/internal/metrics
func BenchmarkScrape(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("TLSRPT_BENCH_METRICS_REPORTS")); err == nil && v > 0 {
		n = v
	}
	for _, d := range dialects {
		b.Run(string(d.name), func(b *testing.B) {
			_, db := demoStore(b, d.open, demo.Options{Now: testNow, Seed: 1, Days: n * 30 / 612})
			get := func(h http.Handler) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
			// cold: a new Handler each time, so the three queries run.
			b.Run("cold", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					get(handler(b, db, d.name, Config{}))
				}
			})
			// unchanged: the same Handler on an unchanged archive.
			b.Run("unchanged", func(b *testing.B) {
				h := handler(b, db, d.name, Config{})
				get(h)
				b.ReportAllocs()
				for b.Loop() {
					get(h)
				}
			})
		})
	}
}
