package store

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// benchViewsStore fills a store with n synthetic reports (synthReports:
// 500 policy domains, a year of days, five reporters), stored before the
// timer starts.
func benchViewsStore(b *testing.B, open func(testing.TB) *sql.DB, n int) *Store {
	st := openStore(b, open(b), Options{})
	ctx := context.Background()
	var entries []Entry
	put := func() {
		if _, err := st.PutBatch(ctx, entries); err != nil {
			b.Fatal(err)
		}
		entries = entries[:0]
	}
	for _, raw := range synthReports(b, n, 3) {
		rep, _, err := report.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		entries = append(entries, Entry{Report: rep, Raw: raw, Source: "bench"})
		if len(entries) == 500 {
			put()
		}
	}
	put()
	return st
}

// BenchmarkViews times Summarize, Readiness, ListReports (a page of 50)
// and Alerts over a store of
// $TLSRPT_BENCH_VIEWS_REPORTS synthetic reports (default 20,000; the
// README's numbers are at 100,000), on SQLite and PostgreSQL:
//
//	TLSRPT_BENCH_VIEWS_REPORTS=100000 go test -run '^$' -bench Views -benchtime 20x ./store
func BenchmarkViews(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("TLSRPT_BENCH_VIEWS_REPORTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	year := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	month := ViewFilter{Filter: Filter{Since: year.AddDate(0, 5, 0), Until: year.AddDate(0, 6, 0)}}
	for _, d := range dialects {
		b.Run(string(d.name), func(b *testing.B) {
			st := benchViewsStore(b, d.open, n)
			b.Run("Summarize/month", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := st.Summarize(ctx, month); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Summarize/year", func(b *testing.B) {
				f := ViewFilter{Filter: Filter{Since: year, Until: year.AddDate(1, 0, 0)}}
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := st.Summarize(ctx, f); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Summarize/domain-month", func(b *testing.B) {
				f := month
				f.Domain = "domain7.example"
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := st.Summarize(ctx, f); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Readiness/month", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := st.Readiness(ctx, "domain7.example", month.Since, month.Until, ReadinessConfig{}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("ListReports/month", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := st.ListReports(ctx, month, Page{Limit: 50}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("ListReports/domain-month", func(b *testing.B) {
				f := month
				f.Domain = "domain7.example"
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := st.ListReports(ctx, f, Page{Limit: 50}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Alerts/month", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := st.Alerts(ctx, month, AlertConfig{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// reportCPU starts measuring the process's CPU time; the function it
// returns reports it per operation as cpu-ms/op, steadier than ns/op on a
// loaded machine (a PostgreSQL server's CPU time is not in it).
func reportCPU(b *testing.B) func() {
	c0, ok := processCPUTime()
	return func() {
		if c1, ok1 := processCPUTime(); ok && ok1 && b.N > 0 {
			b.ReportMetric(float64((c1-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		}
	}
}
