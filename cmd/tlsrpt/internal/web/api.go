package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// apiDiagnostic is a tlsrpt.Diagnostic in the API's JSON.
type apiDiagnostic struct {
	Code     tlsrpt.Code     `json:"code"`
	Severity tlsrpt.Severity `json:"severity"`
	Path     string          `json:"path,omitempty"`
	Offset   int             `json:"offset,omitempty"`
	Message  string          `json:"message"`
	Fix      string          `json:"fix,omitempty"`
}

func apiDiagnostics(ds []tlsrpt.Diagnostic) []apiDiagnostic {
	out := make([]apiDiagnostic, 0, len(ds))
	for _, d := range ds {
		out = append(out, apiDiagnostic{Code: d.Code, Severity: d.Severity, Path: d.Path, Offset: d.Offset, Message: d.Message, Fix: d.Fix})
	}
	return out
}

// apiQuery parses the filters, answering 400 in JSON when they are bad.
func (d *Dashboard) apiQuery(w http.ResponseWriter, r *http.Request) *query {
	q, err := parseQuery(r.URL.Query(), d.now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return nil
	}
	return q
}

func (d *Dashboard) apiSummary(w http.ResponseWriter, r *http.Request) {
	q := d.apiQuery(w, r)
	if q == nil {
		return
	}
	sum, err := d.Store.Summarize(r.Context(), q.filter)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

func (d *Dashboard) apiDomain(w http.ResponseWriter, r *http.Request) {
	q := d.apiQuery(w, r)
	if q == nil {
		return
	}
	dom := r.PathValue("domain")
	q.filter.Domain = dom
	sum, err := d.Store.Summarize(r.Context(), q.filter)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	since, until := readinessWindow(q, sum)
	rd, err := d.Store.Readiness(r.Context(), dom, since, until, d.Readiness)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Domain    string           `json:"domain"`
		Summary   *store.Summary   `json:"summary"`
		Readiness *store.Readiness `json:"readiness"`
	}{dom, sum, rd})
}

func (d *Dashboard) apiReports(w http.ResponseWriter, r *http.Request) {
	q := d.apiQuery(w, r)
	if q == nil {
		return
	}
	page := store.Page{Limit: listLimit}
	for key, dst := range map[string]*int{"limit": &page.Limit, "offset": &page.Offset} {
		if v := r.URL.Query().Get(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || key == "limit" && (n == 0 || n > 1000) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": key + ": want a number (limit: 1 to 1000)"})
				return
			}
			*dst = n
		}
	}
	list, err := d.Store.ListReports(r.Context(), q.filter, page)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (d *Dashboard) apiReport(w http.ResponseWriter, r *http.Request) {
	sr := d.get(w, r)
	if sr == nil {
		return
	}
	rep, err := sr.Report.MarshalJSON()
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Key         int64           `json:"key"`
		Report      json.RawMessage `json:"report"`
		Diagnostics []apiDiagnostic `json:"diagnostics"`
		Trust       struct {
			Verdict store.Verdict `json:"verdict"`
			By      string        `json:"by,omitempty"`
			Reason  string        `json:"reason,omitempty"`
		} `json:"trust"`
		Source      string    `json:"source"`
		Received    time.Time `json:"received"`
		ContentHash string    `json:"content_hash"`
		RawSize     int       `json:"raw_size"`
		RawURL      string    `json:"raw_url,omitempty"`
	}{
		Key: sr.Key, Report: rep, Diagnostics: apiDiagnostics(sr.Diagnostics),
		Trust: struct {
			Verdict store.Verdict `json:"verdict"`
			By      string        `json:"by,omitempty"`
			Reason  string        `json:"reason,omitempty"`
		}{sr.Trust.Verdict, sr.Trust.By, sr.Trust.Reason},
		Source: sr.Source, Received: sr.Received, ContentHash: hexString(sr.ContentHash[:]), RawSize: len(sr.Raw),
		RawURL: rawURL(sr),
	})
}

func rawURL(sr *store.StoredReport) string {
	if sr.Raw == nil {
		return ""
	}
	return "/reports/" + itoa(sr.Key) + "/raw"
}

func (d *Dashboard) apiAlerts(w http.ResponseWriter, r *http.Request) {
	q := d.apiQuery(w, r)
	if q == nil {
		return
	}
	if q.since.IsZero() || q.until.IsZero() {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "alerts need a bounded window (days, or since and until)"})
		return
	}
	as, err := d.Store.Alerts(r.Context(), q.filter, d.Alerts)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	type alert struct {
		Domain string `json:"domain"`
		apiDiagnostic
	}
	out := make([]alert, 0, len(as))
	for _, a := range as {
		out = append(out, alert{Domain: a.Path, apiDiagnostic: apiDiagnostics([]tlsrpt.Diagnostic{a})[0]})
	}
	writeJSON(w, http.StatusOK, out)
}
