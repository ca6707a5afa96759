package check

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
)

// probeRUA checks that each usable destination of s can receive: a
// mailto: domain has MX records or an address (RFC 5321 §5.1) and no null
// MX; an https: host answers HEAD over TLS verified against the roots.
// HEAD, not POST: a POST would hand the receiver something that is not a
// report, which it may store or count.
func (c *Config) probeRUA(ctx context.Context, s *TLSRPT) {
	for i := range s.RUA {
		ru := &s.RUA[i]
		if !ru.Usable {
			continue
		}
		switch ru.Scheme {
		case "mailto":
			c.probeMailto(ctx, s, ru)
		case "https":
			c.probeHTTPS(ctx, s, ru)
		}
	}
}

func (c *Config) probeMailto(ctx context.Context, s *TLSRPT, ru *RUA) {
	at := strings.LastIndexByte(ru.Destination, '@')
	d := strings.ToLower(ru.Destination[at+1:])
	lctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	mxs, err := c.resolver().LookupMX(lctx, d+".")
	switch {
	case err != nil && !isNotFound(err):
		ru.Probe = "MX lookup failed"
		s.Findings = append(s.Findings, temporary(CodeDNS, "the MX lookup of "+d+" (rua "+ru.URI+") failed: "+dnsText(err)))
		return
	case len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == ""):
		ru.Probe = "null MX: " + d + " accepts no mail"
		s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityError, Code: CodeRUANoMail,
			Message: "reports mailed to " + ru.Destination + " cannot be delivered: " + d + " has a null MX record (RFC 7505)",
			Fix:     "use an address at a domain that receives mail"})
		return
	case len(mxs) > 0:
		hosts := make([]string, 0, len(mxs))
		for _, m := range mxs {
			hosts = append(hosts, strings.TrimSuffix(m.Host, "."))
		}
		ru.Probe = "mail for " + d + " goes to " + strings.Join(hosts, ", ")
		return
	}
	addrs, err := c.resolver().LookupNetIP(lctx, "ip", d+".")
	switch {
	case err != nil && !isNotFound(err):
		ru.Probe = "address lookup failed"
		s.Findings = append(s.Findings, temporary(CodeDNS, "the address lookup of "+d+" (rua "+ru.URI+") failed: "+dnsText(err)))
	case len(addrs) == 0:
		ru.Probe = d + " has no MX records and no address"
		s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityError, Code: CodeRUANoMail,
			Message: "reports mailed to " + ru.Destination + " cannot be delivered: " + d + " has neither MX records nor an address",
			Fix:     "publish MX records for " + d + ", or use an address at a domain that receives mail"})
	default:
		ru.Probe = d + " has no MX records; mail goes to its address"
		s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityInfo, Code: CodeRUAImplicitMX,
			Message: d + " (rua " + ru.URI + ") has no MX records: reports are delivered to its own address (RFC 5321 §5.1)",
			Fix:     "publish an MX record for " + d})
	}
}

func (c *Config) probeHTTPS(ctx context.Context, s *TLSRPT, ru *RUA) {
	tr := &http.Transport{
		DialContext:       c.dial,
		TLSClientConfig:   &tls.Config{RootCAs: c.RootCAs},
		ForceAttemptHTTP2: true,
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: c.timeout(),
		// A sender POSTs to the URI itself (RFC 8460 §5.4); where a HEAD
		// would be redirected says nothing about that.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, ru.Destination, nil)
	if err != nil {
		ru.Probe = "not a URL: " + err.Error()
		return
	}
	resp, err := client.Do(req)
	var (
		cve    *tls.CertificateVerificationError
		dnsErr *net.DNSError
	)
	switch {
	case errors.As(err, &cve):
		ru.Probe = "certificate does not verify"
		s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityWarning, Code: CodeRUACertificate,
			Message: "the certificate of " + req.URL.Host + " (rua " + ru.URI + ") does not verify: " + cve.Err.Error() +
				"; RFC 8460 §3 lets senders ignore this, but not all do",
			Fix: "serve a certificate for " + req.URL.Hostname() + " from a public authority, with its intermediates"})
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		ru.Probe = "no such host"
		s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityError, Code: CodeRUAUnreachable,
			Message: req.URL.Hostname() + " (rua " + ru.URI + ") has no address, so reports posted there are lost",
			Fix:     "publish the address of " + req.URL.Hostname() + ", or remove the destination"})
	case err != nil:
		ru.Probe = "no answer"
		s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityWarning, Code: CodeRUAUnreachable,
			Message: req.URL.Host + " (rua " + ru.URI + ") does not answer over HTTPS, so reports posted there may be lost: " + unwrapURLError(err),
			Fix:     "check that the host accepts HTTPS connections from the Internet"})
	default:
		resp.Body.Close()
		ru.Probe = "HEAD answered " + strconv.Itoa(resp.StatusCode) + " over verified TLS (reports are POSTed; this shows the host is reachable)"
	}
}

// unwrapURLError drops net/http's "Head \"url\": " prefix, which repeats
// the URL.
func unwrapURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
