package submit

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Media types of RFC 8460 §5.4 / §6.4 and §6.5.
const (
	// MediaTypeGzip is the media type of a gzip-compressed report.
	MediaTypeGzip = "application/tlsrpt+gzip"
	// MediaTypeJSON is the media type of an uncompressed report.
	MediaTypeJSON = "application/tlsrpt+json"
)

// defaultUserAgent is the User-Agent sent when Deliverer.UserAgent is
// empty.
const defaultUserAgent = "go-tlsrpt (+https://github.com/go-tlsrpt/tlsrpt)"

// defaultMaxRedirects is the number of 307/308 redirects followed when
// Deliverer.MaxRedirects is zero.
const defaultMaxRedirects = 3

// poster delivers a report body to https rua URIs.
type poster struct {
	client       *http.Client // nil: a client with http.DefaultTransport
	insecure     bool
	userAgent    string
	maxRedirects int
	now          func() time.Time
}

// httpResult is the outcome of one HTTPS delivery.
type httpResult struct {
	status     int  // final HTTP status, 0 when none
	unverified bool // accepted over a connection without certificate verification
	err        error
}

// noRedirect stops net/http from following redirects: RFC 8460 does not
// address redirects (§5.4 only asks for a POST) and net/http would turn a POST into a GET
// on 301/302/303, dropping the report.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// clientFor returns the client to use: a shallow copy of p.client whose
// CheckRedirect returns http.ErrUseLastResponse, so that the Deliverer
// sees and handles every redirect itself, with certificate verification
// disabled when skipVerify is set; ok is false when that is not possible
// (a Transport other than *http.Transport). The cleanup function releases
// connections of a transport built here.
func (p *poster) clientFor(skipVerify bool) (client *http.Client, cleanup func(), ok bool) {
	noop := func() {}
	var cc http.Client
	if p.client != nil {
		cc = *p.client
	}
	cc.CheckRedirect = noRedirect
	if !skipVerify {
		return &cc, noop, true
	}
	var tr *http.Transport
	switch t := cc.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = t.Clone()
	default:
		return nil, noop, false
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	// RFC 8460 §3: "the submitter MAY ignore certificate validation
	// errors when POSTing reports via HTTPS" (explained in §7).
	tr.TLSClientConfig.InsecureSkipVerify = true
	cc.Transport = tr
	return &cc, tr.CloseIdleConnections, true
}

// post delivers body to the https URI u (RFC 8460 §5.4): a POST whose
// entity is the report itself, never Content-Encoding.
func (p *poster) post(ctx context.Context, u string, body []byte, contentType string) httpResult {
	client, cleanup, _ := p.clientFor(false)
	defer cleanup()
	res := p.postWith(ctx, client, u, body, contentType)
	if res.err == nil || !p.insecure || !isCertificateError(res.err) {
		return res
	}
	// The endpoint's certificate did not verify and the caller allowed
	// ignoring that (RFC 8460 §3, §7): try once more without verification
	// and say so in the outcome.
	insecure, cleanup2, ok := p.clientFor(true)
	defer cleanup2()
	if !ok {
		return res
	}
	res = p.postWith(ctx, insecure, u, body, contentType)
	res.unverified = res.err == nil
	return res
}

// postWith runs the POST and follows 307/308 redirects, re-sending body.
func (p *poster) postWith(ctx context.Context, client *http.Client, u string, body []byte, contentType string) httpResult {
	fail := func(retryable bool, status int, err error) httpResult {
		return httpResult{status: status, err: &DeliveryError{URI: u, Retryable: retryable, StatusCode: status, Err: err}}
	}
	target, err := url.Parse(u)
	if err != nil || !strings.EqualFold(target.Scheme, "https") || target.Host == "" {
		return fail(false, 0, wrap(ErrInvalidURI, "", err))
	}
	max := p.maxRedirects
	if max == 0 {
		max = defaultMaxRedirects
	}
	for redirects := 0; ; redirects++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(body))
		if err != nil {
			return fail(false, 0, wrap(ErrInvalidURI, "", err))
		}
		req.Header.Set("Content-Type", contentType)
		ua := p.userAgent
		if ua == "" {
			ua = defaultUserAgent
		}
		req.Header.Set("User-Agent", ua)
		resp, err := client.Do(req)
		if err != nil {
			// Timeouts, resets, refused connections, DNS failures and
			// certificate problems: all may go away (RFC 8460 §5.4:
			// other outcomes may be retried).
			return fail(true, 0, unwrapURLError(err))
		}
		drain(resp.Body)
		status := resp.StatusCode
		if resp.Request != nil && resp.Request.Method != http.MethodPost {
			// The client's Transport followed a redirect itself and turned
			// the POST into a GET: the report never reached anyone.
			return httpResult{status: status, err: &DeliveryError{URI: u, StatusCode: status,
				Location: resp.Request.URL.String(), Err: ErrRedirect}}
		}
		switch {
		case status >= 200 && status <= 299:
			// RFC 8460 §5.4: a "successful" response, typically 200 or 201.
			return httpResult{status: status}
		case status == http.StatusTemporaryRedirect || status == http.StatusPermanentRedirect:
			loc, err := resp.Location()
			if err != nil {
				return fail(false, status, wrap(ErrRedirect, "bad Location", err))
			}
			if !strings.EqualFold(loc.Scheme, "https") {
				return httpResult{status: status, err: &DeliveryError{URI: u, StatusCode: status,
					Location: loc.String(), Err: ErrRedirect}}
			}
			if redirects >= max {
				return httpResult{status: status, err: &DeliveryError{URI: u, StatusCode: status,
					Location: loc.String(), Err: wrap(ErrRedirect, "too many 307/308 redirects", nil)}}
			}
			target = loc
			continue
		case status >= 300 && status <= 399:
			// 301/302/303 would become a GET; others are not meant for
			// POST. Refused, with the target for the operator.
			loc := resp.Header.Get("Location")
			if l, err := resp.Location(); err == nil {
				loc = l.String()
			}
			return httpResult{status: status, err: &DeliveryError{URI: u, StatusCode: status,
				Location: loc, Err: ErrRedirect}}
		default:
			retryable := status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
			de := &DeliveryError{URI: u, Retryable: retryable, StatusCode: status,
				Err: wrap(ErrRejected, "HTTP status "+resp.Status, nil)}
			if retryable {
				de.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), p.now())
			}
			return httpResult{status: status, err: de}
		}
	}
}

// drain reads a little of body, so that the connection can be reused,
// and closes it. Response bodies are never trusted to be small.
func drain(body io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	body.Close()
}

// unwrapURLError strips *url.Error, whose message repeats the method and
// URL already in DeliveryError.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isCertificateError reports whether err comes from a failed certificate
// verification.
func isCertificateError(err error) bool {
	var ce *tls.CertificateVerificationError
	return errors.As(err, &ce)
}

// parseRetryAfter parses an HTTP Retry-After value (RFC 9110 §10.2.3):
// delay-seconds or an HTTP-date, relative to now, at most maxRetryAfter.
// Invalid or past values give zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseUint(v, 10, 63); err == nil {
		if n > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}

// maxRetryAfter caps a Retry-After: anything beyond the 24 h retry window
// (RFC 8460 §5.5) already ends the retries; the cap keeps arithmetic with
// it far from overflow.
const maxRetryAfter = 365 * 24 * time.Hour
