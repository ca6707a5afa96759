// Package metrics exposes what the store holds as Prometheus metrics, for
// `tlsrpt serve`'s /metrics: session counts per policy domain, failed
// sessions per result type and reporter (RFC 8460 §4.3, §4.4), reports and
// the last arrival per reporter. Collector reads the store at each scrape;
// Handler serves it from a registry of its own (nothing is registered on
// the prometheus default registry). Both read the *sql.DB a store.Store
// works on, with its dialect.
//
// # Metrics
//
//	tlsrpt_sessions_total{policy_domain,result}   sessions of the policies of
//	                                              the reports, result
//	                                              "successful" or "failed"
//	                                              (total-successful- and
//	                                              total-failure-session-count)
//	tlsrpt_failed_sessions_total{policy_domain,result_type,reporter}
//	                                              failed-session-count of the
//	                                              failure details
//	tlsrpt_reports_total{reporter}                reports stored
//	tlsrpt_last_report_timestamp_seconds{reporter}
//	                                              arrival of the reporter's
//	                                              latest report
//	tlsrpt_store_up                               1 when the last scrape read
//	                                              the store, 0 when it failed
//	tlsrpt_store_scrape_errors_total              scrapes whose store query
//	                                              failed, since the collector
//	                                              was made
//	tlsrpt_store_scrape_duration_seconds          time the last scrape took
//
// policy_domain is the policy-domain as stored (a lower-case A-label;
// for tlsa policies, the TLSA base domain), reporter the organization-name.
// A result-type outside the IANA registry is counted under "other", since
// its value is whatever a sender wrote.
//
// # Window
//
// Config.Window chooses what the counts cover. Zero (the default) counts
// every stored report: the values only grow as reports arrive, so they are
// counters (the names above), and PromQL's increase() gives any window.
// A positive Window counts the reports whose date range begins within
// Window before now: values fall as days leave the window, so they are
// gauges, and the names lose their _total suffix (tlsrpt_sessions,
// tlsrpt_failed_sessions, tlsrpt_reports). A window bounds a scrape's cost
// on a large archive.
//
// # Errors
//
// A failed store query does not fail the scrape: the response has
// tlsrpt_store_up 0, the error count and the duration, and none of the
// counts (a partial count would read as a drop).
//
// # Cost
//
// A scrape is three GROUP BY queries in the database: over the store's
// views tlsrpt_policy_rows and tlsrpt_failure_rows (the SQL interface the
// store documents for dashboards) and its table tlsrpt_reports, so no row
// is loaded into the program. They read every report of the window: at
// 100,000 stored reports a scrape took 1.0 to 1.4 s on SQLite and 0.6 to
// 0.7 s on PostgreSQL on the project's loaded 2-core machine
// (BenchmarkScrape, "cold"), about 120 KB of allocations. Without Window
// and Trust the counts change only when a report is stored (the store
// never deletes one), so the Collector keeps its last read and runs the
// three queries again only when the number of stored reports or the
// highest report key changed, which one cheap query tells; a scrape of an
// unchanged archive costs that query (10 to 50 ms at 100,000 reports,
// "unchanged").
//
// Series cardinality is policy domains × 2, plus policy domains × result
// types × reporters with failures, plus reporters × 2. Reporter names come from the reports: with untrusted
// sources (an open HTTPS rua endpoint) set Config.Trust so that anyone
// posting reports cannot create series.
package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// Config configures a Collector. The zero value counts every stored report
// with a 30 s limit per scrape.
type Config struct {
	// Window, when positive, counts only the reports whose date range
	// begins within Window before now, as gauges; zero counts every stored
	// report, as counters (see the package documentation).
	Window time.Duration
	// Trust, when set, counts only the reports with this trust verdict
	// (store.VerdictTrusted: only reports whose authenticity was checked);
	// "" counts all.
	Trust store.Verdict
	// Timeout bounds a scrape's store query; 0 means 30 s. A scrape that
	// runs out of time reports tlsrpt_store_up 0.
	Timeout time.Duration
	// Now returns the current time, the end of the Window; nil means
	// time.Now.
	Now func() time.Time
}

// Collector is a prometheus.Collector of the store's counts (see the
// package documentation). It is safe for concurrent use; each Collect
// queries the database.
type Collector struct {
	db      *sql.DB
	dialect store.Dialect
	cfg     Config
	// kind is CounterValue without window, GaugeValue with one.
	kind prometheus.ValueType

	sessions, failed, reports, last, up, errors, duration *prometheus.Desc

	scrapeErrors atomic.Int64

	// mu guards the last read, reused while the archive is unchanged
	// (without Window and Trust only).
	mu        sync.Mutex
	cached    *counts
	cachedFor [2]int64 // COUNT(*) and MAX(report_key) of tlsrpt_reports
}

// NewCollector returns a Collector reading the store in db, a database
// store.Open has migrated, in the store's dialect (store.Store.Dialect).
// It fails with store.ErrUnknownDialect for another dialect.
func NewCollector(db *sql.DB, dialect store.Dialect, cfg Config) (*Collector, error) {
	if dialect != store.DialectSQLite && dialect != store.DialectPostgres {
		return nil, fmt.Errorf("metrics: %w: %q", store.ErrUnknownDialect, dialect)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Collector{db: db, dialect: dialect, cfg: cfg, kind: prometheus.CounterValue}
	suffix, what := "_total", "Stored reports: "
	if cfg.Window > 0 {
		c.kind, suffix, what = prometheus.GaugeValue, "", "Reports of the last "+cfg.Window.String()+": "
	}
	c.sessions = prometheus.NewDesc("tlsrpt_sessions"+suffix,
		what+"sessions per policy domain, successful or failed (RFC 8460 summary counts).",
		[]string{"policy_domain", "result"}, nil)
	c.failed = prometheus.NewDesc("tlsrpt_failed_sessions"+suffix,
		what+"failed sessions per policy domain, result type and reporter (RFC 8460 failure-details).",
		[]string{"policy_domain", "result_type", "reporter"}, nil)
	c.reports = prometheus.NewDesc("tlsrpt_reports"+suffix,
		what+"TLS reports per reporter (organization-name).",
		[]string{"reporter"}, nil)
	c.last = prometheus.NewDesc("tlsrpt_last_report_timestamp_seconds",
		what+"arrival time of the reporter's latest report, in seconds since the Unix epoch.",
		[]string{"reporter"}, nil)
	c.up = prometheus.NewDesc("tlsrpt_store_up",
		"1 when the last scrape read the report store, 0 when the query failed.", nil, nil)
	c.errors = prometheus.NewDesc("tlsrpt_store_scrape_errors_total",
		"Scrapes whose report store query failed.", nil, nil)
	c.duration = prometheus.NewDesc("tlsrpt_store_scrape_duration_seconds",
		"Time the last scrape took to read the report store.", nil, nil)
	return c, nil
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sessions, c.failed, c.reports, c.last, c.up, c.errors, c.duration} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: it reads the store (see the
// package documentation for what a failure reports).
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	start := time.Now()
	counts, err := c.read(ctx)
	took := time.Since(start).Seconds()
	up := 1.0
	if err != nil {
		up = 0
		c.scrapeErrors.Add(1)
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
	ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(c.scrapeErrors.Load()))
	ch <- prometheus.MustNewConstMetric(c.duration, prometheus.GaugeValue, took)
	if err != nil {
		return
	}
	for dom, t := range counts.sessions {
		ch <- prometheus.MustNewConstMetric(c.sessions, c.kind, float64(t.Successful), dom, "successful")
		ch <- prometheus.MustNewConstMetric(c.sessions, c.kind, float64(t.Failed), dom, "failed")
	}
	for k, n := range counts.failed {
		ch <- prometheus.MustNewConstMetric(c.failed, c.kind, float64(n), k.domain, k.resultType, k.reporter)
	}
	for org, r := range counts.reporters {
		ch <- prometheus.MustNewConstMetric(c.reports, c.kind, float64(r.reports), org)
		ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, float64(r.last.UnixMicro())/1e6, org)
	}
}

// failedKey is the label set of tlsrpt_failed_sessions.
type failedKey struct{ domain, resultType, reporter string }

// reporterCounts are one reporter's number of reports and latest arrival.
type reporterCounts struct {
	reports int64
	last    time.Time
}

// counts is what one scrape read.
type counts struct {
	sessions  map[string]store.Totals
	failed    map[failedKey]int64
	reporters map[string]*reporterCounts
}

// read returns the counts of a scrape: the last read again while the
// archive is unchanged (no Window, no Trust), or a new one.
func (c *Collector) read(ctx context.Context) (*counts, error) {
	if c.cfg.Window > 0 || c.cfg.Trust != "" {
		return c.readAll(ctx)
	}
	var state [2]int64
	err := c.query(ctx, "SELECT COUNT(*), COALESCE(MAX(report_key), 0) FROM tlsrpt_reports", nil, func(rows *sql.Rows) error {
		return rows.Scan(&state[0], &state[1])
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cached != nil && c.cachedFor == state {
		return c.cached, nil
	}
	out, err := c.readAll(ctx)
	if err != nil {
		return nil, err
	}
	// Reports stored between the state query and readAll are counted now
	// and read again at the next scrape, whose state differs.
	c.cached, c.cachedFor = out, state
	return out, nil
}

// readAll runs the three queries of a scrape.
func (c *Collector) readAll(ctx context.Context) (*counts, error) {
	var (
		conds []string
		args  []any
	)
	if c.cfg.Window > 0 {
		until := c.cfg.Now()
		conds = append(conds, "begin_date >= ?", "begin_date < ?")
		args = append(args, c.timeArg(until.Add(-c.cfg.Window)), c.timeArg(until))
	}
	if c.cfg.Trust != "" {
		conds = append(conds, "trust = ?")
		args = append(args, string(c.cfg.Trust))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	out := &counts{sessions: map[string]store.Totals{}, failed: map[failedKey]int64{}, reporters: map[string]*reporterCounts{}}
	err := c.query(ctx, "SELECT policy_domain, CAST(SUM(successful_session_count) AS BIGINT), CAST(SUM(failed_session_count) AS BIGINT) FROM tlsrpt_policy_rows"+where+" GROUP BY policy_domain", args,
		func(rows *sql.Rows) error {
			var (
				dom string
				t   store.Totals
			)
			if err := rows.Scan(&dom, &t.Successful, &t.Failed); err != nil {
				return err
			}
			out.sessions[dom] = t
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = c.query(ctx, "SELECT policy_domain, result_type, organization_name, CAST(SUM(failed_session_count) AS BIGINT) FROM tlsrpt_failure_rows"+where+" GROUP BY policy_domain, result_type, organization_name", args,
		func(rows *sql.Rows) error {
			var (
				k  failedKey
				n  int64
				rt string
			)
			if err := rows.Scan(&k.domain, &rt, &k.reporter, &n); err != nil {
				return err
			}
			k.resultType = rt
			if report.ResultType(rt).Category() == report.CategoryUnknown {
				k.resultType = "other"
			}
			out.failed[k] += n
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = c.query(ctx, "SELECT organization_name, COUNT(*), MAX(received_at) FROM tlsrpt_reports"+where+" GROUP BY organization_name", args,
		func(rows *sql.Rows) error {
			var (
				org  string
				r    reporterCounts
				last any
			)
			if err := rows.Scan(&org, &r.reports, &last); err != nil {
				return err
			}
			var err error
			if r.last, err = scanTime(last); err != nil {
				return err
			}
			out.reporters[org] = &r
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// query runs q (with "?" placeholders) and calls fn for each row.
func (c *Collector) query(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	if c.dialect == store.DialectPostgres {
		n := 0
		var b strings.Builder
		for _, r := range q {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		q = b.String()
	}
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// sqliteTime is how the store keeps times in SQLite (see the store's
// package documentation, "Schema"): RFC 3339 in UTC with six fraction
// digits, so that text order is time order.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// timeArg is t as the dialect stores it.
func (c *Collector) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if c.dialect == store.DialectSQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// scanTime reads a stored time: a time.Time (PostgreSQL) or RFC 3339
// text (SQLite).
func scanTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		return time.Parse(time.RFC3339Nano, v)
	case []byte:
		return time.Parse(time.RFC3339Nano, string(v))
	}
	return time.Time{}, fmt.Errorf("cannot read a time from %T", v)
}

// Handler returns an http.Handler serving the metrics of
// NewCollector(db, dialect, cfg) in the Prometheus exposition formats,
// from a registry of its own. Concurrent scrapes share one read of the
// store. A program that wants more metrics on the same endpoint (the Go
// runtime's) registers NewCollector's Collector on its own registry
// instead.
func Handler(db *sql.DB, dialect store.Dialect, cfg Config) (http.Handler, error) {
	c, err := NewCollector(db, dialect, cfg)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{CoalesceGather: true}), nil
}
