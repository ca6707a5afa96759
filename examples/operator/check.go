package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"net"
	"net/http"
	"os"
	"strings"

	"golang.org/x/net/idna"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// checkTLSRPT prints how each TXT string at one _smtp._tls name (or one
// record text given on the command line) parses as a TLS-RPT record (RFC
// 8460 §3), then Lint's advice on the strings together. It reports whether
// Lint found an error, which happens exactly when senders find no usable
// record among txts.
func (c *checker) checkTLSRPT(txts []string) bool {
	for i, txt := range txts {
		if len(txts) == 1 {
			fmt.Fprintf(c.out, "TLS-RPT record %q\n", txt)
		} else {
			fmt.Fprintf(c.out, "TXT record #%d %q\n", i, txt)
		}
		rec, err := dnsrecord.Parse(txt)
		if err != nil {
			fmt.Fprintf(c.out, "  invalid: %v\n", err)
			continue
		}
		fmt.Fprintf(c.out, "  valid; canonical form: %s\n", rec)
		for _, u := range rec.RUA {
			switch u.Scheme() {
			case "mailto":
				addr, err := u.Address()
				if err != nil {
					fmt.Fprintf(c.out, "  rua %s: unusable mailto: %v\n", u, err)
					continue
				}
				fmt.Fprintf(c.out, "  rua %s: reports are mailed to %s\n", u, addr)
			case "https":
				fmt.Fprintf(c.out, "  rua %s: reports are POSTed there\n", u)
			default:
				fmt.Fprintf(c.out, "  rua %s: senders skip the %s: scheme\n", u, u.Scheme())
			}
		}
	}
	// Lint judges the strings as senders do: an SPF record beside the
	// TLS-RPT record is a note, two TLS-RPT records are an error.
	invalid := false
	for _, d := range dnsrecord.Lint(txts...) {
		fmt.Fprintf(c.out, "  %s\n", d)
		invalid = invalid || d.Severity == tlsrpt.SeverityError
	}
	return !invalid
}

// checkSTSPolicy parses an MTA-STS policy file (RFC 8461 §3.2) and prints
// the result and LintSTSPolicy's advice; mxHosts, if not nil, are the
// domain's MX hosts the policy must cover.
func (c *checker) checkSTSPolicy(text string, mxHosts []string) {
	p, err := policy.ParseSTSPolicy(text)
	if err != nil {
		fmt.Fprintf(c.out, "  policy invalid: %v\n", err)
		c.invalid = true
	} else {
		fmt.Fprintf(c.out, "  policy valid: mode %s, max_age %d, mx %s\n", p.Mode, p.MaxAgeSeconds, strings.Join(p.MX, ", "))
	}
	if mxHosts != nil {
		fmt.Fprintf(c.out, "  checked against MX hosts %s\n", strings.Join(mxHosts, ", "))
	}
	for _, d := range policy.LintSTSPolicy(text, mxHosts) {
		fmt.Fprintf(c.out, "  %s\n", d)
		c.invalid = c.invalid || d.Severity == tlsrpt.SeverityError
	}
}

// checkDomain looks up and checks the TLS-RPT and MTA-STS records of
// domain, and with fetch its MTA-STS policy.
func (c *checker) checkDomain(ctx context.Context, domain string, fetch bool) {
	ascii, err := idna.Lookup.ToASCII(strings.TrimSuffix(domain, "."))
	if err != nil {
		fmt.Fprintf(c.out, "%s: not a domain name: %v\n", domain, err)
		c.invalid = true
		return
	}

	// RFC 8460 §3: the TXT record at _smtp._tls.<domain>. Lookup applies
	// the rules a sender applies to all the TXT records there (the
	// verdict), and returns the strings it saw for Lint, so the name is
	// queried once.
	name := "_smtp._tls." + ascii
	rec, txts, err := dnsrecord.Lookup(ctx, c.resolver, ascii, nil)
	var temp *dnsrecord.TemporaryError
	if errors.As(err, &temp) {
		fmt.Fprintf(c.out, "%s: lookup failed, try again later: %v\n", name, err)
		c.invalid = true
		return
	}
	fmt.Fprintf(c.out, "%s: %d TXT records\n", name, len(txts))
	if len(txts) > 0 {
		c.checkTLSRPT(txts)
	}
	switch {
	case err == nil:
		fmt.Fprintf(c.out, "%s: senders use %s\n", name, rec)
	case errors.Is(err, dnsrecord.ErrNoRecord):
		fmt.Fprintf(c.out, "%s: no TLS-RPT record; senders send no reports\n", name)
	default:
		fmt.Fprintf(c.out, "%s: %v; senders send no reports\n", name, err)
		c.invalid = true
	}

	// RFC 8461 §3.1: the TXT record at _mta-sts.<domain>.
	name = "_mta-sts." + ascii
	txts, ok := c.lookupTXT(ctx, name)
	if !ok {
		return
	}
	sts, err := policy.SelectSTSRecord(txts)
	defer func() {
		// Advice on the record strings themselves (RFC 8461 §3.1).
		for _, d := range policy.LintSTSRecord(txts...) {
			fmt.Fprintf(c.out, "  %s\n", d)
		}
	}()
	switch {
	case errors.Is(err, policy.ErrNoSTSRecord):
		fmt.Fprintf(c.out, "%s: no MTA-STS record; senders apply no MTA-STS policy\n", name)
		return
	case err != nil:
		fmt.Fprintf(c.out, "%s: %v; senders apply no MTA-STS policy\n", name, err)
		c.invalid = true
		return
	}
	fmt.Fprintf(c.out, "%s: MTA-STS record %s (policy id %s)\n", name, sts, sts.ID)
	if !fetch {
		return
	}

	url := "https://mta-sts." + ascii + "/.well-known/mta-sts.txt"
	fmt.Fprintf(c.out, "%s\n", url)
	text, err := c.fetchPolicy(ctx, url)
	if err != nil {
		fmt.Fprintf(c.out, "  fetch failed: %v\n", err)
		c.invalid = true
		return
	}
	mxs, err := c.resolver.LookupMX(ctx, ascii+".")
	if err != nil {
		fmt.Fprintf(c.out, "  MX lookup failed, policy not checked against MX hosts: %v\n", err)
	}
	var hosts []string
	for _, mx := range mxs {
		hosts = append(hosts, strings.TrimSuffix(mx.Host, "."))
	}
	c.checkSTSPolicy(text, hosts)
}

// lookupTXT returns the TXT records of name; a name without records is an
// empty list. It prints what it found, and the error when the lookup
// failed.
func (c *checker) lookupTXT(ctx context.Context, name string) ([]string, bool) {
	txts, err := c.resolver.LookupTXT(ctx, name+".")
	var dnsErr *net.DNSError
	if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
		fmt.Fprintf(c.out, "%s: lookup failed, try again later: %v\n", name, err)
		c.invalid = true
		return nil, false
	}
	fmt.Fprintf(c.out, "%s: %d TXT records\n", name, len(txts))
	return txts, true
}

// fetchPolicy GETs an MTA-STS policy as RFC 8461 §3.3 says senders do:
// an HTTP 200 answer, a text/plain body of at most 64 KiB. The client
// verifies the certificate, follows no redirect and times out.
func (c *checker) fetchPolicy(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP status %s (senders accept only 200 and follow no redirect)", resp.Status)
	}
	if mt, _, err := stdmime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		fmt.Fprintf(c.out, "  warning: Content-Type %q is not text/plain; senders should reject the policy (RFC 8461 §3.3)\n",
			resp.Header.Get("Content-Type"))
	}
	return readCapped(resp.Body)
}

// readPolicyFile reads a policy file for -sts-policy.
func readPolicyFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return readCapped(f)
}

// maxPolicySize is the 64 KiB cap package policy applies to an MTA-STS
// policy file (RFC 8461 §3.3).
const maxPolicySize = 64 << 10

// readCapped reads at most one byte more than maxPolicySize, so that
// LintSTSPolicy reports a larger policy as too large.
func readCapped(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPolicySize+1))
	return string(b), err
}
