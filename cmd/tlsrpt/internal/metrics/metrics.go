// Package metrics exposes what the store holds as Prometheus metrics, for
// `tlsrpt serve`'s /metrics: session counts per policy domain, failed
// sessions per result type and reporter (RFC 8460 §4.3, §4.4), reports and
// the last arrival per reporter. Collector reads the store at each scrape;
// Handler serves it from a registry of its own (nothing is registered on
// the prometheus default registry).
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
// A scrape is one pass over the store's rows of the window (store.Rows),
// in the database's order, with a few map updates per row. Series
// cardinality is policy domains × 2, plus policy domains × result types
// × reporters with failures, plus reporters × 2. Reporter names come from
// the reports: with untrusted sources (an open HTTPS rua endpoint) set
// Config.Trust so that anyone posting reports cannot create series.
package metrics

import (
	"context"
	"net/http"
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
// reads the store.
type Collector struct {
	st  *store.Store
	cfg Config
	// kind is CounterValue without window, GaugeValue with one.
	kind prometheus.ValueType

	sessions, failed, reports, last, up, errors, duration *prometheus.Desc

	scrapeErrors atomic.Int64
}

// NewCollector returns a Collector reading st.
func NewCollector(st *store.Store, cfg Config) *Collector {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Collector{st: st, cfg: cfg, kind: prometheus.CounterValue}
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
	return c
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

// read makes one pass over the rows of the window.
func (c *Collector) read(ctx context.Context) (*counts, error) {
	f := store.Filter{Trust: c.cfg.Trust}
	if c.cfg.Window > 0 {
		f.Until = c.cfg.Now()
		f.Since = f.Until.Add(-c.cfg.Window)
	}
	out := &counts{sessions: map[string]store.Totals{}, failed: map[failedKey]int64{}, reporters: map[string]*reporterCounts{}}
	for row, err := range c.st.Rows(ctx, f) {
		if err != nil {
			return nil, err
		}
		dom := row.Policy.Domain
		switch row.Kind {
		case store.RowPolicy:
			t := out.sessions[dom]
			t.Successful += row.Summary.TotalSuccessfulSessionCount
			t.Failed += row.Summary.TotalFailureSessionCount
			out.sessions[dom] = t
			if row.PolicyIndex != 0 {
				break // the report's first policy counted it
			}
			r := out.reporters[row.OrganizationName]
			if r == nil {
				r = &reporterCounts{}
				out.reporters[row.OrganizationName] = r
			}
			r.reports++
			if row.Received.After(r.last) {
				r.last = row.Received
			}
		case store.RowFailure:
			rt := row.Failure.ResultType
			if rt.Category() == report.CategoryUnknown {
				rt = "other"
			}
			out.failed[failedKey{dom, string(rt), row.OrganizationName}] += row.Failure.FailedSessionCount
		}
	}
	return out, nil
}

// Handler returns an http.Handler serving the metrics of a Collector on
// st in the Prometheus exposition formats, from a registry of its own.
// Concurrent scrapes share one read of the store. A program that wants
// more metrics on the same endpoint (the Go runtime's) registers
// NewCollector on its own registry instead.
func Handler(st *store.Store, cfg Config) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(st, cfg)) // fails only for invalid descriptors, which tests rule out
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{CoalesceGather: true})
}
