package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// defaultDays is the length of the window when the URL sets none.
const defaultDays = 30

// Dashboard serves the pages and the JSON API over a store. Its zero value
// is not usable: set Store. It is safe for concurrent use.
type Dashboard struct {
	// Store is the store the pages read. Required.
	Store *store.Store
	// Now returns the current time, which ends the default window. Nil
	// means time.Now.
	Now func() time.Time
	// Readiness sets the thresholds of the readiness verdict on the domain
	// page; the zero value uses store's defaults.
	Readiness store.ReadinessConfig
	// Alerts sets the thresholds of the alerts on the overview; the zero
	// value uses store's defaults.
	Alerts store.AlertConfig
	// ReceiverPath, when not empty, is the path of the rua endpoint served
	// beside the dashboard, shown on the overview so that an operator
	// knows what to publish (RFC 8460 §3 rua=https:…).
	ReceiverPath string
	// MetricsPath, when not empty, is the path of the Prometheus metrics
	// served beside the dashboard, linked from the footer.
	MetricsPath string
}

// pages holds the parsed templates, one set per page.
var pages = mustParsePages()

func mustParsePages() map[string]*template.Template {
	names := []string{"overview", "domain", "reports", "report", "error"}
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		t := template.New("layout.html").Funcs(funcs)
		t = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/"+n+".html"))
		out[n] = t
	}
	return out
}

// Handler returns the dashboard's routes (see the package documentation).
func (d *Dashboard) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.overview)
	mux.HandleFunc("GET /domains/{domain}", d.domain)
	mux.HandleFunc("GET /reports", d.reports)
	mux.HandleFunc("GET /reports/{key}", d.report)
	mux.HandleFunc("GET /reports/{key}/raw", d.raw)
	mux.HandleFunc("GET /api/summary", d.apiSummary)
	mux.HandleFunc("GET /api/domains/{domain}", d.apiDomain)
	mux.HandleFunc("GET /api/reports", d.apiReports)
	mux.HandleFunc("GET /api/reports/{key}", d.apiReport)
	mux.HandleFunc("GET /api/alerts", d.apiAlerts)
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	mux.Handle("GET /style.css", files)
	mux.Handle("GET /favicon.svg", files)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		b, _ := fs.ReadFile(static, "favicon.svg")
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "max-age=86400")
		w.Write(b)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, http.StatusNotFound, errors.New("no such page"))
	})
	return securityHeaders(mux)
}

// securityHeaders sets the headers every answer gets: nothing but the
// dashboard's own style sheet and images load, no frame embeds the
// pages, and no script runs.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

func (d *Dashboard) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// query is a page's filter as it appears in the URL: the raw values,
// for the form and the links.
type query struct {
	Days, Since, Until             string
	Domain, Reporter, Trust        string
	PolicyType, Mode               string
	ResultType, Family, MX, IP     string
	all                            bool
	since, until                   time.Time
	filter                         store.ViewFilter
	readinessSince, readinessUntil time.Time
}

// queryKeys are the URL names of the filters, in link order.
var queryKeys = []string{"days", "since", "until", "domain", "reporter", "trust", "policy-type", "mode", "result-type", "family", "mx", "ip"}

func (q *query) field(key string) *string {
	switch key {
	case "days":
		return &q.Days
	case "since":
		return &q.Since
	case "until":
		return &q.Until
	case "domain":
		return &q.Domain
	case "reporter":
		return &q.Reporter
	case "trust":
		return &q.Trust
	case "policy-type":
		return &q.PolicyType
	case "mode":
		return &q.Mode
	case "result-type":
		return &q.ResultType
	case "family":
		return &q.Family
	case "mx":
		return &q.MX
	case "ip":
		return &q.IP
	}
	return nil
}

// parseQuery reads the filters of r's URL into a query with its
// ViewFilter; now ends the default window.
func parseQuery(v url.Values, now time.Time) (*query, error) {
	q := &query{}
	for _, k := range queryKeys {
		*q.field(k) = strings.TrimSpace(v.Get(k))
	}
	f := &q.filter
	today := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	days := defaultDays
	switch q.Days {
	case "":
	case "all":
		q.all = true
	default:
		n, err := strconv.Atoi(q.Days)
		if err != nil || n <= 0 || n > 100000 {
			return q, fmt.Errorf("days: want a positive number of days or \"all\", got %q", q.Days)
		}
		days = n
	}
	if !q.all {
		f.Until = today
		f.Since = today.AddDate(0, 0, -days)
	}
	if q.Until != "" {
		t, err := time.Parse(time.DateOnly, q.Until)
		if err != nil {
			return q, fmt.Errorf("until: want YYYY-MM-DD, got %q", q.Until)
		}
		f.Until = t
		if !q.all && q.Since == "" {
			f.Since = t.AddDate(0, 0, -days)
		}
	}
	if q.Since != "" {
		t, err := time.Parse(time.DateOnly, q.Since)
		if err != nil {
			return q, fmt.Errorf("since: want YYYY-MM-DD, got %q", q.Since)
		}
		f.Since = t
	}
	if !f.Until.IsZero() && !f.Since.IsZero() && !f.Until.After(f.Since) {
		return q, errors.New("until must be after since")
	}
	f.Domain, f.Reporter = q.Domain, q.Reporter
	switch v := store.Verdict(q.Trust); v {
	case "", store.VerdictTrusted, store.VerdictUntrusted, store.VerdictRetry:
		f.Trust = v
	default:
		return q, fmt.Errorf("trust: want trusted, untrusted or retry, got %q", q.Trust)
	}
	f.PolicyType, f.Mode = policy.Type(q.PolicyType), q.Mode
	f.ResultType, f.Category, f.MX = report.ResultType(q.ResultType), report.Category(q.Family), q.MX
	if q.IP != "" {
		a, err := netip.ParseAddr(q.IP)
		if err != nil {
			return q, fmt.Errorf("ip: %q is not an IP address", q.IP)
		}
		f.SendingIP = a
	}
	q.since, q.until = f.Since, f.Until
	// Readiness needs a bounded window: "all" reads its default window
	// before now.
	q.readinessSince, q.readinessUntil = f.Since, f.Until
	if q.readinessUntil.IsZero() {
		q.readinessUntil = today
	}
	return q, nil
}

// values returns the query's non-empty values, with key set to val
// ("" removes it) for each pair of set.
func (q *query) values(set ...string) url.Values {
	v := url.Values{}
	for _, k := range queryKeys {
		if s := *q.field(k); s != "" {
			v.Set(k, s)
		}
	}
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			v.Del(set[i])
		} else {
			v.Set(set[i], set[i+1])
		}
	}
	return v
}

// Link returns path with the query's filters, changed by the key/value
// pairs of set ("" removes a filter); the templates call it to make links
// that keep the filters.
func (q *query) Link(path string, set ...string) string {
	v := q.values(set...)
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// chip is a filter in force, with the link that removes it.
type chip struct{ Label, Value, Remove string }

// Chips lists the filters in force other than the window, for path.
func (q *query) Chips(path string) []chip {
	labels := map[string]string{"domain": "domain", "reporter": "reporter", "trust": "trust", "policy-type": "policy",
		"mode": "mode", "result-type": "result type", "family": "family", "mx": "MX", "ip": "sending IP"}
	var out []chip
	for _, k := range queryKeys[3:] {
		if v := *q.field(k); v != "" {
			out = append(out, chip{Label: labels[k], Value: v, Remove: q.Link(path, k, "")})
		}
	}
	return out
}

// Narrowed reports whether a filter other than the window is set.
func (q *query) Narrowed() bool {
	for _, k := range queryKeys[3:] {
		if *q.field(k) != "" {
			return true
		}
	}
	return false
}

// Window describes the window for people.
func (q *query) Window() string {
	switch {
	case q.since.IsZero() && q.until.IsZero():
		return "all time"
	case q.since.IsZero():
		return "before " + q.until.Format(time.DateOnly)
	case q.until.IsZero():
		return "from " + q.since.Format(time.DateOnly)
	}
	return q.since.Format(time.DateOnly) + " to " + q.until.AddDate(0, 0, -1).Format(time.DateOnly)
}

// DaysChoice reports whether the window preset n ("7", "all") is the
// current one, for the nav of ranges.
func (q *query) DaysChoice(n string) bool {
	if q.Since != "" || q.Until != "" {
		return false
	}
	if q.Days == "" {
		return n == strconv.Itoa(defaultDays)
	}
	return q.Days == n
}

// page is what every template gets.
type page struct {
	Title string
	// Nav is the section of the nav bar to highlight.
	Nav string
	Q   *query
	// Path is the page's path without query, for the filter form.
	Path    string
	Started time.Time
	Data    any
	// Metrics is Dashboard.MetricsPath.
	Metrics string
}

// Elapsed is the time spent on the page so far, for the footer.
func (p *page) Elapsed() string {
	return time.Since(p.Started).Round(100 * time.Microsecond).String()
}

// render executes the page's template into a buffer and writes it, so
// that a failing template answers 500 rather than half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	p.Metrics = d.MetricsPath
	var buf bytes.Buffer
	if err := pages[name].Execute(&buf, p); err != nil {
		http.Error(w, "web: rendering "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail renders the error page (or JSON under /api/).
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	q, qerr := parseQuery(r.URL.Query(), d.now())
	if qerr != nil {
		q, _ = parseQuery(url.Values{}, d.now())
	}
	d.render(w, r, status, "error", &page{Title: http.StatusText(status), Q: q, Path: "/", Started: time.Now(),
		Data: struct {
			Status int
			Text   string
			Err    string
		}{status, http.StatusText(status), err.Error()}})
}

// writeJSON writes v as indented JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, `{"error":"web: encoding JSON"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
