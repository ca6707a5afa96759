// Operator shows the library calls behind `tlsrpt check`, the command an
// operator runs (go install github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt@latest;
// tlsrpt check example.com). For the domain given as argument it looks up
// the TLS-RPT record and lints every TXT string at its name, fetches the
// MTA-STS policy exactly as senders do and lints it against the MX hosts,
// and matches each MX host's DANE TLSA records against the certificate
// chain it presents after STARTTLS. From the repository root:
//
//	go run ./examples/operator example.com
//
// It asks the system resolver, and 127.0.0.1:53 (a local validating
// resolver) for TLSA records and their AD bit.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

func main() {
	if len(os.Args) != 2 || strings.HasPrefix(os.Args[1], "-") {
		fmt.Fprintln(os.Stderr, "usage: operator DOMAIN   (the full check: tlsrpt check DOMAIN)")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := &checker{Resolver: net.DefaultResolver, Fetcher: &policy.STSFetcher{}, DNS: &policy.DNSClient{},
		Dial: (&net.Dialer{}).DialContext, Out: os.Stdout}
	c.check(ctx, os.Args[1])
}

// checker holds what the checks talk to; the test points it at loopback
// servers.
type checker struct {
	Resolver tlsrpt.Resolver
	Fetcher  *policy.STSFetcher
	DNS      policy.DNSExchanger
	Dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	Out      io.Writer
}

func (c *checker) check(ctx context.Context, domain string) {
	// RFC 8460 §3: the record senders use, and advice on all the TXT
	// strings Lookup saw at _smtp._tls.<domain>.
	rec, txts, err := dnsrecord.Lookup(ctx, c.Resolver, domain, nil)
	if err != nil {
		fmt.Fprintln(c.Out, "TLS-RPT:", err)
	} else {
		fmt.Fprintln(c.Out, "TLS-RPT:", rec)
	}
	for _, d := range dnsrecord.Lint(txts...) {
		fmt.Fprintln(c.Out, "  ", d)
	}

	// RFC 8461 §3: the policy as senders fetch it. A failure is an
	// *policy.Error, which aggregate.ClassifyTLSError maps to the result
	// type senders report.
	var hosts []string
	mxs, _ := c.Resolver.LookupMX(ctx, domain+".")
	for _, mx := range mxs {
		hosts = append(hosts, strings.TrimSuffix(mx.Host, "."))
	}
	res, err := c.Fetcher.Fetch(ctx, domain)
	var pe *policy.Error
	switch {
	case errors.As(err, &pe):
		rt, code := aggregate.ClassifyTLSError(err)
		fmt.Fprintf(c.Out, "MTA-STS: senders report %s (%s): %v\n  advice: %s\n", rt, code, pe.Err, rt.Advice())
	case err != nil:
		fmt.Fprintln(c.Out, "MTA-STS:", err) // no usable _mta-sts record: no policy
	default:
		fmt.Fprintf(c.Out, "MTA-STS: mode %s, mx %s\n", res.Policy.Mode, strings.Join(res.Policy.MX, ", "))
		for _, d := range policy.LintSTSPolicy(res.Text, hosts) {
			fmt.Fprintln(c.Out, "  ", d)
		}
	}

	// RFC 7672: each MX host's TLSA records against its certificate chain.
	for _, h := range hosts {
		rrs, authenticated, err := policy.LookupTLSA(ctx, c.DNS, h, 25)
		if err != nil || len(rrs) == 0 {
			fmt.Fprintf(c.Out, "DANE %s: no TLSA records (%v)\n", h, err)
			continue
		}
		chain, err := c.chain(ctx, h)
		if err != nil {
			fmt.Fprintf(c.Out, "DANE %s: no TLS session: %v\n", h, err)
			continue
		}
		if rr, err := policy.MatchTLSA(rrs, chain, time.Time{}, h); err != nil {
			rt, code := aggregate.ClassifyTLSError(err)
			fmt.Fprintf(c.Out, "DANE %s: senders report %s (%s)\n", h, rt, code)
		} else {
			fmt.Fprintf(c.Out, "DANE %s: %s matches (DNSSEC-authenticated: %v)\n", h, rr, authenticated)
		}
	}
}

// chain returns the certificates host presents after STARTTLS on port 25.
// DANE judges them, not the roots: the handshake accepts any.
func (c *checker) chain(ctx context.Context, host string) ([]*x509.Certificate, error) {
	conn, err := c.Dial(ctx, "tcp", net.JoinHostPort(host, "25"))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	cl, err := smtp.NewClientStartTLS(conn, &tls.Config{ServerName: host, InsecureSkipVerify: true})
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	if err := cl.Hello("localhost"); err != nil { // EHLO again: the handshake
		return nil, err
	}
	st, _ := cl.TLSConnectionState()
	cl.Quit()
	return st.PeerCertificates, nil
}
