package policy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/capped"
)

// defaultSTSTimeout is the time an HTTPS policy fetch may take when
// STSFetcher.Timeout is 0: the one minute RFC 8461 §3.3 suggests.
const defaultSTSTimeout = time.Minute

// STSFetcher fetches the MTA-STS policy of a recipient domain the way a
// sending MTA must (RFC 8461 §3): the _mta-sts TXT record first, then the
// policy file over HTTPS. Its zero value is ready to use, asks
// net.DefaultResolver and trusts the system roots; it is safe for
// concurrent use. It reads at most 64 KiB (65536 bytes) of policy body,
// the maximum policy size RFC 8461 §3.3 suggests. An STSFetcher keeps no
// state between calls: to cache policies as RFC 8461 §5.1 expects, use
// an STSCache.
type STSFetcher struct {
	// Resolver looks up the _mta-sts TXT record; nil means
	// net.DefaultResolver.
	Resolver tlsrpt.Resolver
	// RootCAs are the roots the certificate of mta-sts.<domain> must
	// chain to (RFC 8461 §3.3); nil means the system roots.
	RootCAs *x509.CertPool
	// DialContext opens the TCP connection to mta-sts.<domain>:443 (the
	// address is the host name and port; resolving it is the dialer's
	// job). nil means a net.Dialer. No proxy is used.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds the HTTPS GET, from connecting to reading the last
	// byte of the body; 0 means one minute, the timeout RFC 8461 §3.3
	// suggests. The TXT lookup is bounded by the caller's context only.
	Timeout time.Duration
}

// STSResult is an MTA-STS policy a sender fetched: what STSFetcher.Fetch
// and STSCache.Lookup return, and what an STSCacheStore keeps. Treat it
// and its Policy as read-only: a cache may hand the same values to
// several callers.
type STSResult struct {
	// Domain is the policy domain, a lower-case A-label without a
	// trailing dot.
	Domain string
	// ID is the id of the _mta-sts record the policy was fetched under.
	ID string
	// Text is the policy file as served. The report's policy block for
	// it is FromSTSText(Domain, Text) (RFC 8460 §4.5). Empty in an
	// STSCacheStore entry that only records a failure.
	Text string
	// Policy is Text parsed; nil in an STSCacheStore entry that only
	// records a failure. A store may leave it nil and keep Text only: the
	// cache parses Text again.
	Policy *STSPolicy
	// Fetched is when the policy was fetched; Expires is Fetched plus
	// its max_age, after which it must not be used (RFC 8461 §3.2).
	Fetched, Expires time.Time
	// Failed is the error of the last fetch attempt made after Fetched,
	// or nil when it succeeded or none was made; FailedAt is when it was
	// made and FailedID the record id it was made for. STSCache uses them
	// to retry a failing fetch at most every five minutes per id (RFC
	// 8461 §3.3); an MTA can use them to alert its administrators when
	// a policy is not refreshed for a long time, as RFC 8461 §3.3 asks.
	Failed   *Error
	FailedAt time.Time
	FailedID string
}

// Fetch fetches the MTA-STS policy of the recipient domain domainName
// (a U-label or A-label name) as RFC 8461 §3 prescribes, without
// caching:
//
//  1. It looks up the TXT records at _mta-sts.<domain> and selects the
//     one MTA-STS record as SelectSTSRecord does (RFC 8461 §3.1; CNAMEs
//     are followed by the resolver).
//  2. It fetches https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC
//     8461 §3.3): the certificate must be valid for mta-sts.<domain> and
//     chain to RootCAs; redirects are not followed; only status 200 and
//     the media type text/plain (any parameters) are accepted; the body
//     may be at most 64 KiB (65536 bytes); the whole GET must end
//     within Timeout. No HTTP cache is involved.
//  3. It parses the body with ParseSTSPolicy.
//
// When the domain has no usable MTA-STS record — no TXT record there,
// none beginning with v=STSv1, several, or a malformed one — the error
// matches ErrNoSTSRecord, ErrMultipleSTSRecords or is ParseSTSRecord's
// *tlsrpt.Diagnostic (CodeRecordSyntax): RFC 8461 §3.1 says to deliver as
// if the domain had no MTA-STS policy, and there is no failure to report.
// A domainName that is not a domain name is a *tlsrpt.Diagnostic with
// CodeInvalidDomain. When the caller's context ends, the error is the
// context's, wrapped. Every other failure is an *Error to
// report, whose Policy is the sts policy block of the domain (the policy
// as served for FailureSTSInvalid, without policy-string and mx-host
// otherwise) and whose Code is one of:
//
//	failure                  code                        cause
//	sts-policy-fetch-error   dns-error                   the TXT lookup failed (SERVFAIL, timeout)
//	                         policy-host-not-found       mta-sts.<domain> does not resolve
//	                         connect-failed              no TCP connection to port 443
//	                         timeout                     the GET took longer than Timeout
//	                         tls-handshake               TLS failed for a reason other than the certificate
//	                         http-redirect               a 3xx status (RFC 8461 §3.3: never followed)
//	                         http-status-<n>             any other status but 200, e.g. http-status-404
//	                         content-type                a media type other than text/plain
//	                         policy-too-large            a body over 64 KiB (errors.Is tlsrpt.ErrTooLarge)
//	                         fetch-failed                anything else, such as a body cut short
//	sts-policy-invalid       policy-syntax               ParseSTSPolicy failed (Err is its *tlsrpt.Diagnostic)
//	sts-webpki-invalid       hostname-mismatch           the certificate is not valid for mta-sts.<domain>
//	                         certificate-expired         the server certificate expired
//	                         chain-certificate-expired   an intermediate or root expired
//	                         certificate-not-yet-valid   the server certificate is not valid yet (chain- likewise)
//	                         self-signed-certificate     a self-signed server certificate
//	                         self-signed-in-chain        the chain ends in an untrusted self-signed root
//	                         unknown-authority           the chain does not reach RootCAs
//	                         certificate-invalid         any other verification failure
//
// The sts-webpki-invalid codes are the ones aggregate.ClassifyTLSError
// gives the same certificate problems in an SMTP session.
func (f *STSFetcher) Fetch(ctx context.Context, domainName string) (*STSResult, error) {
	d, err := normalizeDomain(domainName)
	if err != nil {
		return nil, err
	}
	rec, err := f.lookupRecord(ctx, d)
	if err != nil {
		return nil, err
	}
	return f.fetchPolicy(ctx, d, rec.ID, time.Now())
}

// lookupRecord returns the MTA-STS record of the A-label domain d, or
// the errors Fetch documents for step 1.
func (f *STSFetcher) lookupRecord(ctx context.Context, d string) (*STSRecord, error) {
	res := f.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	// RFC 8461 §3.1: the record is at _mta-sts.<policy-domain>; the
	// trailing dot keeps resolver search lists out.
	name := "_mta-sts." + d + "."
	txts, err := res.LookupTXT(ctx, name)
	if err != nil {
		var dnsErr *net.DNSError
		switch {
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			return nil, fmt.Errorf("policy: %s: %w", name, ErrNoSTSRecord)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("policy: looking up %s: %w", name, ctx.Err())
		}
		return nil, stsFetchError(d, "dns-error", err)
	}
	rec, err := SelectSTSRecord(txts)
	if err != nil {
		if errors.Is(err, ErrNoSTSRecord) || errors.Is(err, ErrMultipleSTSRecords) {
			return nil, fmt.Errorf("policy: %s: %w", name, err)
		}
		return nil, err // *tlsrpt.Diagnostic, with its offset
	}
	return rec, nil
}

// fetchPolicy fetches and parses the policy file of the A-label domain d
// for the record id; now stamps the result.
func (f *STSFetcher) fetchPolicy(ctx context.Context, d, id string, now time.Time) (res *STSResult, err error) {
	defer func() {
		// The caller gave up: its cancellation wins over whatever the
		// interrupted fetch saw (a response can race the cancel), and is
		// no failure to report.
		if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			res, err = nil, fmt.Errorf("policy: fetching the mta-sts policy of %s: %w", d, ctx.Err())
		}
	}()
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = defaultSTSTimeout
	}
	gctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	host := "mta-sts." + d
	dial := f.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tr := &http.Transport{
		DialContext: dial,
		// RFC 8461 §3.3: the certificate must be valid for the "mta-sts"
		// host name and chain to a root the sender trusts.
		TLSClientConfig:        &tls.Config{ServerName: host, RootCAs: f.RootCAs},
		ForceAttemptHTTP2:      true,
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		// RFC 8461 §3.3: HTTP 3xx redirects MUST NOT be followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(gctx, http.MethodGet, "https://"+host+"/.well-known/mta-sts.txt", nil)
	if err != nil {
		return nil, stsFetchError(d, "fetch-failed", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, classifyFetch(ctx, d, err)
	}
	defer resp.Body.Close()
	// RFC 8461 §3.3: only a 200 response carries a policy.
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, stsFetchError(d, "http-redirect", fmt.Errorf("status %s, location %q", resp.Status, resp.Header.Get("Location")))
	case resp.StatusCode != http.StatusOK:
		return nil, stsFetchError(d, "http-status-"+strconv.Itoa(resp.StatusCode), errors.New("status "+resp.Status))
	}
	// RFC 8461 §3.2: the policy is served as text/plain; charset and
	// other parameters do not matter.
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/plain" {
		return nil, stsFetchError(d, "content-type", errors.New("media type "+strconv.Quote(ct)+", want text/plain"))
	}
	body, err := io.ReadAll(capped.NewReader(resp.Body, maxSTSPolicySize, errTooLarge))
	switch {
	case errors.Is(err, tlsrpt.ErrTooLarge):
		return nil, stsFetchError(d, "policy-too-large", err)
	case err != nil:
		return nil, classifyFetch(ctx, d, err)
	}
	text := string(body)
	p, err := ParseSTSPolicy(text)
	if err != nil {
		// RFC 8460 §4.5: the policy block holds the policy as served,
		// errors included; it must still be UTF-8 text to be reported.
		pol, perr := FromSTSText(d, strings.ToValidUTF8(text, "\uFFFD"))
		if perr != nil {
			pol = Policy{Type: TypeSTS, Domain: d}
		}
		return nil, &Error{Failure: FailureSTSInvalid, Code: "policy-syntax", Policy: pol, Err: err}
	}
	return &STSResult{
		Domain:  d,
		ID:      id,
		Text:    text,
		Policy:  p,
		Fetched: now,
		Expires: now.Add(time.Duration(p.MaxAgeSeconds) * time.Second),
	}, nil
}

// stsFetchError is a FailureSTSFetch for the A-label domain d.
func stsFetchError(d, code string, err error) *Error {
	return &Error{Failure: FailureSTSFetch, Code: code, Policy: Policy{Type: TypeSTS, Domain: d}, Err: err}
}

// classifyFetch turns an error of the HTTPS GET into what Fetch returns:
// the caller's context error as it is, a certificate problem as
// FailureSTSWebPKI, anything else as FailureSTSFetch.
func classifyFetch(ctx context.Context, d string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("policy: fetching the mta-sts policy of %s: %w", d, ctx.Err())
	}
	if code := webPKICode(err); code != "" {
		return &Error{Failure: FailureSTSWebPKI, Code: code, Policy: Policy{Type: TypeSTS, Domain: d}, Err: err}
	}
	var (
		dnsErr *net.DNSError
		opErr  *net.OpError
		netErr net.Error
		recErr tls.RecordHeaderError
		alert  tls.AlertError
	)
	code := "fetch-failed"
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		code = "timeout"
	case errors.As(err, &dnsErr):
		code = "dns-error"
		if dnsErr.IsNotFound {
			code = "policy-host-not-found"
		}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		code = "connect-failed"
	case errors.As(err, &recErr), errors.As(err, &alert),
		errors.As(err, &opErr) && opErr.Op == "remote error":
		code = "tls-handshake"
	}
	return stsFetchError(d, code, err)
}

// webPKICode returns the reason code for a certificate verification
// failure in err's tree, or "" when there is none. The codes are those
// aggregate.ClassifyTLSError gives the same problems.
func webPKICode(err error) string {
	var (
		ver      *tls.CertificateVerificationError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		unknown  x509.UnknownAuthorityError
	)
	var leaf *x509.Certificate
	if errors.As(err, &ver) && len(ver.UnverifiedCertificates) > 0 {
		leaf = ver.UnverifiedCertificates[0]
	}
	isLeaf := func(c *x509.Certificate) bool { return leaf == nil || c == nil || leaf.Equal(c) }
	switch {
	case errors.As(err, &hostname):
		return "hostname-mismatch"
	case errors.As(err, &invalid):
		if invalid.Reason != x509.Expired {
			return "certificate-invalid"
		}
		prefix := ""
		if !isLeaf(invalid.Cert) {
			prefix = "chain-"
		}
		if invalid.Cert != nil && time.Now().Before(invalid.Cert.NotBefore) {
			return prefix + "certificate-not-yet-valid"
		}
		return prefix + "certificate-expired"
	case errors.As(err, &unknown):
		c := unknown.Cert
		switch {
		case c == nil || !isSelfSigned(c):
			return "unknown-authority"
		case isLeaf(c):
			return "self-signed-certificate"
		}
		return "self-signed-in-chain"
	case ver != nil:
		return "certificate-invalid"
	}
	return ""
}

// isSelfSigned reports whether c is self-issued and signed by its own key.
func isSelfSigned(c *x509.Certificate) bool {
	if len(c.RawSubject) == 0 || string(c.RawIssuer) != string(c.RawSubject) {
		return false
	}
	return c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
