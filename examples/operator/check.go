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

	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// checkTLSRPT parses one TLS-RPT record text (RFC 8460 §3) and prints
// the result and Lint's advice. It reports whether the text is a valid
// record.
func (c *checker) checkTLSRPT(txt string) bool {
	fmt.Fprintf(c.out, "TLS-RPT record %q\n", txt)
	rec, err := dnsrecord.Parse(txt)
	if err != nil {
		fmt.Fprintf(c.out, "  invalid: %v\n", err)
	} else {
		fmt.Fprintf(c.out, "  valid; canonical form: %s\n", rec)
		for _, u := range rec.RUA {
			switch {
			case u.IsMailto():
				addr, err := u.Address()
				if err != nil {
					fmt.Fprintf(c.out, "  rua %s: unusable mailto: %v\n", u, err)
					continue
				}
				fmt.Fprintf(c.out, "  rua %s: reports are mailed to %s\n", u, addr)
			case u.IsHTTPS():
				fmt.Fprintf(c.out, "  rua %s: reports are POSTed there\n", u)
			default:
				fmt.Fprintf(c.out, "  rua %s: senders skip the %s: scheme\n", u, u.Scheme())
			}
		}
	}
	// Lint has an error finding exactly when Parse fails.
	for _, f := range dnsrecord.Lint(txt) {
		fmt.Fprintf(c.out, "  %s\n", f)
	}
	return err == nil
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
	for _, f := range policy.LintSTSPolicy(text, mxHosts) {
		fmt.Fprintf(c.out, "  %s\n", f)
		c.invalid = c.invalid || f.Severity == policy.SeverityError
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

	// RFC 8460 §3: the TXT record at _smtp._tls.<domain>.
	name := "_smtp._tls." + ascii
	txts, ok := c.lookupTXT(ctx, name)
	if !ok {
		return
	}
	for _, txt := range txts {
		c.checkTLSRPT(txt)
	}
	// Select applies the §3 rules a sender applies to all the TXT records:
	// the verdict. Other TXT records at the name are ignored by senders.
	switch rec, err := dnsrecord.Select(txts); {
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
	if txts, ok = c.lookupTXT(ctx, name); !ok {
		return
	}
	rec, err := policy.SelectSTSRecord(txts)
	defer func() {
		// Advice on the record strings themselves (RFC 8461 §3.1).
		for _, f := range policy.LintSTSRecord(txts...) {
			fmt.Fprintf(c.out, "  %s\n", f)
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
	fmt.Fprintf(c.out, "%s: MTA-STS record %s (policy id %s)\n", name, rec, rec.ID)
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

// readCapped reads at most one byte more than policy.MaxSTSPolicySize, so
// that LintSTSPolicy reports a larger policy as too large.
func readCapped(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, policy.MaxSTSPolicySize+1))
	return string(b), err
}
