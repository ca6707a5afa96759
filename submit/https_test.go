package submit

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// seenRequest is what a test endpoint saw.
type seenRequest struct {
	Method, Path, ContentType, ContentEncoding, UserAgent string
	Body                                                  []byte
}

// endpoint is a real TLS HTTP server on loopback whose handler answers
// with respond(n, w, r) for the n-th request (from 0) and records every
// request.
type endpoint struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

func newEndpoint(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *endpoint {
	t.Helper()
	e := &endpoint{}
	e.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		n := len(e.seen)
		e.seen = append(e.seen, seenRequest{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"),
			ContentEncoding: r.Header.Get("Content-Encoding"), UserAgent: r.UserAgent(), Body: body})
		e.mu.Unlock()
		respond(n, w, r)
	}))
	e.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) requests() []seenRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]seenRequest(nil), e.seen...)
}

// outcomeSummary is the comparable part of an Outcome.
type outcomeSummary struct {
	Status     Status
	StatusCode int
	RetryAfter time.Duration
	Unverified bool
}

func summarize(o Outcome) outcomeSummary {
	var retryAfter time.Duration
	var de *DeliveryError
	if errors.As(o.Err, &de) {
		retryAfter = de.RetryAfter
	}
	return outcomeSummary{o.Status, o.StatusCode, retryAfter, o.Unverified}
}

// gunzipReport decodes a gzip report body strictly.
func gunzipReport(t *testing.T, body []byte) *report.Report {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("body is not gzip: %v", err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := (&report.Decoder{Strict: true}).Decode(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("strict decode of the delivered report: %v", err)
	}
	return rep
}

func TestHTTPSAccepted(t *testing.T) {
	for _, status := range []int{200, 201, 202, 204} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			e := newEndpoint(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) })
			d := &Deliverer{HTTPClient: e.srv.Client(), UserAgent: "test-agent/1"}
			res, err := d.Deliver(context.Background(), testReport(), record(t, e.srv.URL+"/tlsrpt"))
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if !res.Delivered() {
				t.Fatal("Delivered() = false")
			}
			if diff := cmp.Diff(outcomeSummary{Status: StatusAccepted, StatusCode: status}, summarize(res.Outcomes[0])); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			reqs := e.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			got := seenRequest{Method: r.Method, Path: r.Path, ContentType: r.ContentType, ContentEncoding: r.ContentEncoding, UserAgent: r.UserAgent}
			want := seenRequest{Method: "POST", Path: "/tlsrpt", ContentType: MediaTypeGzip, UserAgent: "test-agent/1"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(testReport(), gunzipReport(t, r.Body), reportCmp); diff != "" {
				t.Errorf("delivered report (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPSUncompressedAndDefaultUserAgent(t *testing.T) {
	e := newEndpoint(t, func(_ int, w http.ResponseWriter, _ *http.Request) {})
	d := &Deliverer{HTTPClient: e.srv.Client(), Uncompressed: true}
	if _, err := d.Deliver(context.Background(), testReport(), record(t, e.srv.URL)); err != nil {
		t.Fatal(err)
	}
	r := e.requests()[0]
	if r.ContentType != MediaTypeJSON || r.UserAgent != defaultUserAgent || r.ContentEncoding != "" {
		t.Errorf("Content-Type %q, User-Agent %q, Content-Encoding %q", r.ContentType, r.UserAgent, r.ContentEncoding)
	}
	want, _ := json.Marshal(testReport())
	if !bytes.Equal(r.Body, want) {
		t.Errorf("body = %s, want canonical JSON %s", r.Body, want)
	}
}

func TestHTTPSUntrustedCertificate(t *testing.T) {
	e := newEndpoint(t, func(_ int, w http.ResponseWriter, _ *http.Request) {})
	rec := record(t, e.srv.URL)

	// Default: the system roots do not trust httptest's certificate. The
	// failure is temporary (an operator fixing the certificate within the
	// retry window lets a later attempt succeed) and wraps the
	// verification error.
	res, err := (&Deliverer{}).Deliver(context.Background(), testReport(), rec)
	if err == nil || res.Delivered() {
		t.Fatal("delivered to an untrusted endpoint by default")
	}
	if diff := cmp.Diff(outcomeSummary{Status: StatusTemporaryFailure}, summarize(res.Outcomes[0])); diff != "" {
		t.Errorf("default outcome (-want +got):\n%s", diff)
	}
	if !isCertificateError(err) {
		t.Errorf("error %v does not wrap a certificate verification error", err)
	}
	if n := len(e.requests()); n != 0 {
		t.Errorf("server saw %d requests without verification opt-in", n)
	}

	// Opt-in (RFC 8460 §3): delivered, and the outcome says unverified.
	res, err = (&Deliverer{InsecureSkipVerify: true}).Deliver(context.Background(), testReport(), rec)
	if err != nil {
		t.Fatalf("opt-in: %v", err)
	}
	if diff := cmp.Diff(outcomeSummary{Status: StatusAccepted, StatusCode: 200, Unverified: true}, summarize(res.Outcomes[0])); diff != "" {
		t.Errorf("opt-in outcome (-want +got):\n%s", diff)
	}

	// Opt-in with a client that trusts the server: verified, no fallback.
	res, err = (&Deliverer{HTTPClient: e.srv.Client(), InsecureSkipVerify: true}).Deliver(context.Background(), testReport(), rec)
	if err != nil || res.Outcomes[0].Unverified {
		t.Errorf("trusted client with opt-in: err %v, unverified %v", err, res.Outcomes[0].Unverified)
	}
}

func TestHTTPSRetryThenAccepted(t *testing.T) {
	e := newEndpoint(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 0 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	d := &Deliverer{HTTPClient: e.srv.Client()}
	rec := record(t, e.srv.URL)
	first := time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)
	res, err := d.Deliver(context.Background(), testReport(), rec)
	if err == nil {
		t.Fatal("500 counted as delivered")
	}
	if diff := cmp.Diff(outcomeSummary{Status: StatusTemporaryFailure, StatusCode: 500, RetryAfter: 2 * time.Minute}, summarize(res.Outcomes[0])); diff != "" {
		t.Errorf("first outcome (-want +got):\n%s", diff)
	}
	var de *DeliveryError
	if !errors.As(err, &de) || !de.Temporary() || !errors.Is(err, ErrRejected) {
		t.Fatalf("error %v: want a temporary *DeliveryError wrapping ErrRejected", err)
	}
	p := RetryPolicy{Rand: fixedSource(0)}
	next, ok := p.NextAttempt(first, first, 1, err)
	if !ok || next.Sub(first) < 2*time.Minute {
		t.Fatalf("NextAttempt = %v, %v; want a retry no earlier than Retry-After", next, ok)
	}
	if got := res.Pending(); len(got) != 1 || got[0] != rec.RUA[0] {
		t.Errorf("Pending() = %v", got)
	}
	res, err = d.Deliver(context.Background(), testReport(), rec)
	if err != nil || !res.Delivered() {
		t.Fatalf("retry: %v", err)
	}
	if _, ok := p.NextAttempt(first, first.Add(time.Hour), 2, err); ok {
		t.Error("NextAttempt wants a retry after delivery")
	}
}

func TestHTTPSStatusClassification(t *testing.T) {
	date := time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		status int
		header map[string]string
		want   outcomeSummary
		is     error
	}{
		{name: "429 with HTTP-date", status: 429, header: map[string]string{"Retry-After": date.Add(90 * time.Second).Format(http.TimeFormat)},
			want: outcomeSummary{Status: StatusTemporaryFailure, StatusCode: 429, RetryAfter: 90 * time.Second}, is: ErrRejected},
		{name: "503 without Retry-After", status: 503, want: outcomeSummary{Status: StatusTemporaryFailure, StatusCode: 503}, is: ErrRejected},
		{name: "408", status: 408, want: outcomeSummary{Status: StatusTemporaryFailure, StatusCode: 408}, is: ErrRejected},
		{name: "400", status: 400, want: outcomeSummary{Status: StatusPermanentFailure, StatusCode: 400}, is: ErrRejected},
		{name: "404 ignores Retry-After", status: 404, header: map[string]string{"Retry-After": "60"},
			want: outcomeSummary{Status: StatusPermanentFailure, StatusCode: 404}, is: ErrRejected},
		{name: "413", status: 413, want: outcomeSummary{Status: StatusPermanentFailure, StatusCode: 413}, is: ErrRejected},
		{name: "301", status: 301, header: map[string]string{"Location": "/moved"}, want: outcomeSummary{Status: StatusPermanentFailure, StatusCode: 301}, is: ErrRedirect},
		{name: "303", status: 303, header: map[string]string{"Location": "/see"}, want: outcomeSummary{Status: StatusPermanentFailure, StatusCode: 303}, is: ErrRedirect},
		{name: "304", status: 304, want: outcomeSummary{Status: StatusPermanentFailure, StatusCode: 304}, is: ErrRedirect},
		{name: "307 to http", status: 307, header: map[string]string{"Location": "http://127.0.0.1:1/x"}, want: outcomeSummary{Status: StatusPermanentFailure, StatusCode: 307}, is: ErrRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
			})
			d := &Deliverer{HTTPClient: e.srv.Client(), Now: func() time.Time { return date }}
			res, err := d.Deliver(context.Background(), testReport(), record(t, e.srv.URL))
			if diff := cmp.Diff(tt.want, summarize(res.Outcomes[0])); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v, want errors.Is %v", err, tt.is)
			}
			for _, r := range e.requests() {
				if r.Method != "POST" {
					t.Errorf("server saw a %s", r.Method)
				}
			}
		})
	}
}

func TestHTTPS302NeverBecomesGET(t *testing.T) {
	e := newEndpoint(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
		}
	})
	// Even with a caller's client that has its own CheckRedirect.
	client := e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return nil }
	d := &Deliverer{HTTPClient: client}
	res, err := d.Deliver(context.Background(), testReport(), record(t, e.srv.URL+"/old"))
	if err == nil || res.Delivered() {
		t.Fatal("302 counted as delivered")
	}
	var de *DeliveryError
	if !errors.As(err, &de) || de.Retryable || de.StatusCode != 302 || de.Location != e.srv.URL+"/new" || !errors.Is(err, ErrRedirect) {
		t.Fatalf("error %#v, want permanent ErrRedirect with Location", de)
	}
	for _, r := range e.requests() {
		if r.Method != "POST" || r.Path != "/old" {
			t.Errorf("server saw %s %s", r.Method, r.Path)
		}
	}
	if client.CheckRedirect == nil {
		t.Error("caller's client was modified")
	}
}

func TestHTTPS307Followed(t *testing.T) {
	for _, status := range []int{307, 308} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			e := newEndpoint(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/old" {
					http.Redirect(w, r, "/new", status)
				}
			})
			res, err := (&Deliverer{HTTPClient: e.srv.Client()}).Deliver(context.Background(), testReport(), record(t, e.srv.URL+"/old"))
			if err != nil || !res.Delivered() {
				t.Fatalf("Deliver: %v", err)
			}
			reqs := e.requests()
			if len(reqs) != 2 {
				t.Fatalf("server saw %d requests, want 2", len(reqs))
			}
			if reqs[1].Method != "POST" || reqs[1].Path != "/new" || !bytes.Equal(reqs[0].Body, reqs[1].Body) || len(reqs[1].Body) == 0 {
				t.Errorf("redirected request %s %s with %d bytes, first had %d", reqs[1].Method, reqs[1].Path, len(reqs[1].Body), len(reqs[0].Body))
			}
		})
	}
}

func TestHTTPSRedirectLoop(t *testing.T) {
	e := newEndpoint(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusTemporaryRedirect)
	})
	d := &Deliverer{HTTPClient: e.srv.Client(), MaxRedirects: 2}
	_, err := d.Deliver(context.Background(), testReport(), record(t, e.srv.URL))
	if !errors.Is(err, ErrRedirect) || temporary(err) {
		t.Fatalf("error %v, want permanent ErrRedirect", err)
	}
	if n := len(e.requests()); n != 3 {
		t.Errorf("server saw %d requests, want 3 (1 + 2 redirects)", n)
	}
	// Negative MaxRedirects: none followed.
	e2 := newEndpoint(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/x", http.StatusPermanentRedirect)
	})
	_, err = (&Deliverer{HTTPClient: e2.srv.Client(), MaxRedirects: -1}).Deliver(context.Background(), testReport(), record(t, e2.srv.URL))
	if !errors.Is(err, ErrRedirect) || len(e2.requests()) != 1 {
		t.Errorf("MaxRedirects -1: %v after %d requests", err, len(e2.requests()))
	}
}

func TestHTTPSTimeout(t *testing.T) {
	release := make(chan struct{})
	e := newEndpoint(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			// The client gave up: answer nothing rather than an empty
			// 200 a late client could still read.
			panic(http.ErrAbortHandler)
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := (&Deliverer{HTTPClient: e.srv.Client()}).Deliver(ctx, testReport(), record(t, e.srv.URL))
	if time.Since(start) > 5*time.Second {
		t.Errorf("Deliver took %v despite a 200ms deadline", time.Since(start))
	}
	if !errors.Is(err, context.DeadlineExceeded) || res.Outcomes[0].Status != StatusTemporaryFailure {
		t.Fatalf("error %v, status %s; want temporary context.DeadlineExceeded", err, res.Outcomes[0].Status)
	}
}

func TestHTTPSConnectionReset(t *testing.T) {
	e := newEndpoint(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	})
	res, err := (&Deliverer{HTTPClient: e.srv.Client()}).Deliver(context.Background(), testReport(), record(t, e.srv.URL))
	if err == nil || res.Outcomes[0].Status != StatusTemporaryFailure || res.Outcomes[0].StatusCode != 0 {
		t.Fatalf("error %v, outcome %+v; want a temporary failure without status", err, res.Outcomes[0])
	}
}

func TestHTTPSTransportFollowingToGET(t *testing.T) {
	// A Transport that follows redirects itself the net/http way: the
	// Deliverer must notice the GET.
	e := newEndpoint(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
		}
	})
	client := e.srv.Client()
	client.Transport = followingTransport{base: client.Transport}
	_, err := (&Deliverer{HTTPClient: client}).Deliver(context.Background(), testReport(), record(t, e.srv.URL+"/old"))
	if !errors.Is(err, ErrRedirect) || temporary(err) {
		t.Fatalf("error %v, want permanent ErrRedirect", err)
	}
	if !strings.Contains(err.Error(), "/new") {
		t.Errorf("error %q does not name the redirect target", err)
	}
}

// followingTransport follows 301, 302 and 303 redirects with a GET, as
// net/http's client does, inside RoundTrip.
type followingTransport struct{ base http.RoundTripper }

func (f followingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := f.base.RoundTrip(r)
	if err != nil || resp.StatusCode < 301 || resp.StatusCode > 303 {
		return resp, err
	}
	loc, err := resp.Location()
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	get, err := http.NewRequestWithContext(r.Context(), http.MethodGet, loc.String(), nil)
	if err != nil {
		return nil, err
	}
	return f.base.RoundTrip(get)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"  30 ", 30 * time.Second},
		{"-5", 0},
		{"1.5", 0},
		{"soon", 0},
		{"99999999999999999999", 0},
		{"9999999999", 365 * 24 * time.Hour},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"Wednesday, 25-Nov-26 04:10:00 GMT", 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
