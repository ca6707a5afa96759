package web

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// maxAlertWindow is the longest window the overview computes alerts for.
const maxAlertWindow = 92 * 24 * time.Hour

// listLimit is how many reports a page of the listing shows, the
// latest first; domainListLimit how many the domain page shows.
const (
	listLimit       = 100
	domainListLimit = 20
)

// domainRow is one line of the overview's table of policy domains.
type domainRow struct {
	Domain string
	store.Totals
	Days     int
	MultiDay int64
}

// resultRow is a result type's failed sessions with what it means.
type resultRow struct {
	store.Count
	Type                report.ResultType
	Category            report.Category
	Description, Advice string
}

// overviewData is the overview page.
type overviewData struct {
	Sum                          *store.Summary
	Unit                         string
	Sessions, Rate, DomainsChart *chart
	Domains                      []domainRow
	ResultTypes                  []resultRow
	Alerts                       []tlsrpt.Diagnostic
	// Hint: the window is empty but the store has reports.
	Hint         bool
	ReceiverPath string
}

// MultiDay is the number of reports covering more than 24 hours, counted
// whole on their first day.
func (o *overviewData) MultiDay() int64 {
	var n int64
	for _, d := range o.Domains {
		n += d.MultiDay
	}
	return n
}

// Trend is the change of the failure rate from the previous window, in
// percentage points, "" when either window has no sessions.
func (o *overviewData) Trend() string { return trend(o.Sum) }

func trend(s *store.Summary) string {
	p := s.Previous
	if p == nil || p.Sessions() == 0 || s.Total.Sessions() == 0 {
		return ""
	}
	v := 100 * (s.Total.FailureRate() - p.FailureRate())
	sign := "+"
	if v < 0 {
		sign = "−"
		v = -v
	}
	return sign + strconv.FormatFloat(v, 'f', 2, 64) + " pp"
}

// resultRows adds meaning and advice to the result type breakdown.
func resultRows(cs []store.Count) []resultRow {
	out := make([]resultRow, 0, len(cs))
	for _, c := range cs {
		t := report.ResultType(c.Key)
		out = append(out, resultRow{Count: c, Type: t, Category: t.Category(), Description: t.Description(), Advice: t.Advice()})
	}
	return out
}

// domainRows sums the per-day totals of each policy domain, most sessions
// first.
func domainRows(days []store.DayTotals) []domainRow {
	idx := map[string]int{}
	var out []domainRow
	for _, d := range days {
		i, ok := idx[d.Domain]
		if !ok {
			i = len(out)
			idx[d.Domain] = i
			out = append(out, domainRow{Domain: d.Domain})
		}
		r := &out[i]
		r.Reports += d.Reports
		r.Successful += d.Successful
		r.Failed += d.Failed
		r.MultiDay += d.MultiDay
		r.Days++
	}
	slices.SortStableFunc(out, func(a, b domainRow) int {
		if c := cmp.Compare(b.Sessions(), a.Sessions()); c != 0 {
			return c
		}
		return strings.Compare(a.Domain, b.Domain)
	})
	return out
}

// query parses the request's filters, answering 400 when they are bad.
func (d *Dashboard) query(w http.ResponseWriter, r *http.Request) *query {
	q, err := parseQuery(r.URL.Query(), d.now())
	if err != nil {
		d.fail(w, r, http.StatusBadRequest, err)
		return nil
	}
	return q
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	q := d.query(w, r)
	if q == nil {
		return
	}
	ctx := r.Context()
	// Alerts compare the window with the one before; over long windows
	// they say little and cost two more passes over the data. They run
	// beside Summarize, on another connection of the pool.
	var (
		alerts    []tlsrpt.Diagnostic
		alertsErr error
		wg        sync.WaitGroup
	)
	if !q.since.IsZero() && !q.until.IsZero() && q.until.Sub(q.since) <= maxAlertWindow {
		wg.Go(func() { alerts, alertsErr = d.Store.Alerts(ctx, q.filter, d.Alerts) })
	}
	sum, err := d.Store.Summarize(ctx, q.filter)
	wg.Wait()
	if err == nil {
		err = alertsErr
	}
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	data := &overviewData{Sum: sum, Alerts: alerts, Domains: domainRows(sum.Days), ResultTypes: resultRows(sum.ByResultType), ReceiverPath: d.ReceiverPath}
	unit, bs := buckets(sum.Days, q.since, q.until)
	data.Unit = unit
	data.Sessions, data.Rate, data.DomainsChart = sessionsChart(bs, unit), rateChart(bs, unit), domainsChart(bs, unit)
	if sum.Total.Reports == 0 && !q.all {
		// Is the store empty? The first row answers.
		for _, err := range d.Store.Rows(ctx, store.Filter{}) {
			data.Hint = err == nil
			break
		}
	}
	d.render(w, r, http.StatusOK, "overview", &page{Title: "Overview", Nav: "overview", Q: q, Path: "/", Started: started, Data: data})
}

// domainData is the domain page.
type domainData struct {
	Domain         string
	Sum            *store.Summary
	Unit           string
	Sessions, Rate *chart
	ResultTypes    []resultRow
	Readiness      *store.Readiness
	Reports        []reportRow
	More           int
	// All links to the listing of all the domain's reports.
	All string
}

// Trend is the change of the failure rate from the previous window.
func (dd *domainData) Trend() string { return trend(dd.Sum) }

func (d *Dashboard) domain(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	q := d.query(w, r)
	if q == nil {
		return
	}
	dom := r.PathValue("domain")
	q.Domain = "" // the path names the domain; links to other pages drop it
	q.filter.Domain = dom
	ctx := r.Context()
	sum, err := d.Store.Summarize(ctx, q.filter)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	since, until := readinessWindow(q, sum)
	rd, err := d.Store.Readiness(ctx, dom, since, until, d.Readiness)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	reps, total, err := listReports(ctx, d.Store, q.filter, domainListLimit, 0)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	data := &domainData{Domain: dom, Sum: sum, ResultTypes: resultRows(sum.ByResultType), Readiness: rd, Reports: reps, More: total - len(reps),
		All: q.Link("/reports", "domain", dom)}
	unit, bs := buckets(sum.Days, q.since, q.until)
	data.Unit = unit
	data.Sessions, data.Rate = sessionsChart(bs, unit), rateChart(bs, unit)
	d.render(w, r, http.StatusOK, "domain", &page{Title: dom, Nav: "domain", Q: q, Path: domainPath(dom), Started: started, Data: data})
}

// readinessWindow is the window of the readiness verdict: the page's, or
// for an unbounded window the days that have reports (Readiness needs a
// bounded one).
func readinessWindow(q *query, sum *store.Summary) (since, until time.Time) {
	since, until = q.readinessSince, q.readinessUntil
	if (q.since.IsZero() || q.until.IsZero()) && len(sum.Days) > 0 {
		if first, err := time.Parse(time.DateOnly, sum.Days[0].Day); err == nil && q.since.IsZero() {
			since = first
		}
		if last, err := time.Parse(time.DateOnly, sum.Days[len(sum.Days)-1].Day); err == nil && q.until.IsZero() {
			until = last.AddDate(0, 0, 1)
		}
	}
	return since, until
}

// reportsData is the listing page.
type reportsData struct {
	Reports      []reportRow
	Total        int
	First, Last  int
	Newer, Older string
}

func (d *Dashboard) reports(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	q := d.query(w, r)
	if q == nil {
		return
	}
	offset := 0
	if v := r.URL.Query().Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			d.fail(w, r, http.StatusBadRequest, errors.New("offset: want a number of reports to skip"))
			return
		}
		offset = n
	}
	reps, total, err := listReports(r.Context(), d.Store, q.filter, listLimit, offset)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	data := &reportsData{Reports: reps, Total: total, First: offset + 1, Last: offset + len(reps)}
	if offset > 0 {
		data.Newer = q.Link("/reports", "offset", strconv.Itoa(max(0, offset-listLimit)))
		if offset-listLimit <= 0 {
			data.Newer = q.Link("/reports")
		}
	}
	if offset+len(reps) < total {
		data.Older = q.Link("/reports", "offset", strconv.Itoa(offset+listLimit))
	}
	d.render(w, r, http.StatusOK, "reports", &page{Title: "Reports", Nav: "reports", Q: q, Path: "/reports", Started: started, Data: data})
}

// reportData is the page of one stored report.
type reportData struct {
	*store.StoredReport
	Policies  []policyView
	RawKind   string
	Hash      string
	Sessions  store.Totals
	TrustNote string
}

type policyView struct {
	report.PolicyResult
	Index   int
	Mode    string
	Details []detailView
}

type detailView struct {
	report.FailureDetail
	Description, Advice string
	Category            report.Category
}

// parseKey reads the {key} of the path.
func parseKey(r *http.Request) (int64, error) {
	k, err := strconv.ParseInt(r.PathValue("key"), 10, 64)
	if err != nil || k <= 0 {
		return 0, errors.New("a report key is a positive number")
	}
	return k, nil
}

// get reads the report of the path, answering 400 or 404 itself.
func (d *Dashboard) get(w http.ResponseWriter, r *http.Request) *store.StoredReport {
	key, err := parseKey(r)
	if err != nil {
		d.fail(w, r, http.StatusBadRequest, err)
		return nil
	}
	sr, err := d.Store.Get(r.Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		d.fail(w, r, http.StatusNotFound, err)
		return nil
	}
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return nil
	}
	return sr
}

func (d *Dashboard) report(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	q := d.query(w, r)
	if q == nil {
		return
	}
	sr := d.get(w, r)
	if sr == nil {
		return
	}
	data := &reportData{StoredReport: sr, RawKind: rawKind(sr.Raw), Hash: hexString(sr.ContentHash[:])}
	for i, p := range sr.Report.Policies {
		pv := policyView{PolicyResult: p, Index: i, Mode: stsMode(p.Policy.Strings)}
		for _, fd := range p.FailureDetails {
			pv.Details = append(pv.Details, detailView{FailureDetail: fd, Description: fd.ResultType.Description(),
				Advice: fd.ResultType.Advice(), Category: fd.ResultType.Category()})
		}
		data.Sessions.Successful += p.Summary.TotalSuccessfulSessionCount
		data.Sessions.Failed += p.Summary.TotalFailureSessionCount
		data.Policies = append(data.Policies, pv)
	}
	data.Sessions.Reports = 1
	switch sr.Trust.Verdict {
	case store.VerdictTrusted:
		data.TrustNote = "The report is authenticated: its counts are the reporter's word."
	case store.VerdictUntrusted:
		data.TrustNote = "Authentication failed or was absent (RFC 8460 §3 wants mailed reports DKIM-signed; HTTPS submissions are not authenticated, §7). Anyone could have sent it: inspect before you rely on it."
	case store.VerdictRetry:
		data.TrustNote = "No verdict yet: a DKIM key could not be fetched for now. Judge it again later."
	case "":
		data.TrustNote = "Not judged."
	}
	title := "Report " + strconv.FormatInt(sr.Key, 10)
	d.render(w, r, http.StatusOK, "report", &page{Title: title, Nav: "reports", Q: q, Path: "/reports", Started: started, Data: data})
}

// raw answers the report as received, as a download.
func (d *Dashboard) raw(w http.ResponseWriter, r *http.Request) {
	sr := d.get(w, r)
	if sr == nil {
		return
	}
	if sr.Raw == nil {
		d.fail(w, r, http.StatusNotFound, errors.New("the report was stored without its raw input"))
		return
	}
	ext := map[string]string{"gzip": ".json.gz", "json": ".json", "mail": ".eml"}[rawKind(sr.Raw)]
	if ext == "" {
		ext = ".bin"
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="report-`+strconv.FormatInt(sr.Key, 10)+ext+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(sr.Raw)))
	w.Write(sr.Raw)
}

// rawKind names the form of a report's raw input: gzip, json, mail or
// "" for anything else.
func rawKind(b []byte) string {
	s := strings.TrimLeft(string(b[:min(len(b), 512)]), "\ufeff \t\r\n")
	switch {
	case len(b) == 0:
		return ""
	case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		return "gzip"
	case strings.HasPrefix(s, "{"):
		return "json"
	case strings.Contains(s, ":"):
		return "mail"
	}
	return ""
}

func hexString(b []byte) string { return hex.EncodeToString(b) }

// stsMode returns the value of the "mode:" line of an sts policy-string.
func stsMode(lines []string) string {
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "mode") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// reportRow is one report of a listing.
type reportRow struct {
	Key                int64
	OrganizationName   string
	ReportID           string
	Begin, End         time.Time
	Domains            []string
	Successful, Failed int64
	Trust              store.Verdict
	Source             string
	Received           time.Time
}

// listReports returns one page of the reports f selects, the latest
// first (store.ListReports), and how many there are in all.
func listReports(ctx context.Context, st *store.Store, f store.ViewFilter, limit, offset int) ([]reportRow, int, error) {
	list, err := st.ListReports(ctx, f, store.Page{Limit: limit, Offset: offset})
	if err != nil {
		return nil, 0, err
	}
	out := make([]reportRow, 0, len(list.Reports))
	for _, lr := range list.Reports {
		row := reportRow{Key: lr.Key, OrganizationName: lr.OrganizationName, ReportID: lr.ReportID, Begin: lr.Start, End: lr.End,
			Successful: lr.Successful, Failed: lr.Failed, Trust: lr.Trust, Source: lr.Source, Received: lr.Received}
		for _, p := range lr.Policies {
			if !slices.Contains(row.Domains, p.Domain) {
				row.Domains = append(row.Domains, p.Domain)
			}
		}
		out = append(out, row)
	}
	return out, int(list.Total), nil
}
