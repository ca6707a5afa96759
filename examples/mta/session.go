package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// sender is the outbound side of one MTA node: it finds the recipient
// domain's MX host and policy (DANE first, then MTA-STS, RFC 8461 §2),
// opens the SMTP session with STARTTLS checked as the policy says, and
// returns what to record.
type sender struct {
	helo    string
	ip      netip.Addr // the node's sending address (sending-mta-ip)
	dns     *zone
	roots   *x509.CertPool // the Web PKI roots
	dial    func(ctx context.Context, network, address string) (net.Conn, error)
	stsPols *policy.STSCache
}

// attempt is the outcome of one SMTP session.
type attempt struct {
	policy    policy.Policy
	failure   *aggregate.Failure // nil: the session succeeded
	delivered bool               // the message was sent (over TLS or, opportunistically, not)
}

// send delivers one message to domain and reports the session.
func (s *sender) send(ctx context.Context, domain string) (attempt, error) {
	mxs, err := s.dns.LookupMX(ctx, domain)
	if err != nil || len(mxs) == 0 {
		return attempt{}, fmt.Errorf("%s: no MX: %v", domain, err)
	}
	mx := strings.TrimSuffix(mxs[0].Host, ".")
	ips, err := s.dns.LookupNetIP(ctx, "ip", mx)
	if err != nil {
		return attempt{}, err
	}
	fail := func(err error) *aggregate.Failure {
		rt, code := aggregate.ClassifyTLSError(err)
		return &aggregate.Failure{ResultType: rt, FailureReasonCode: code, SendingMTAIP: s.ip,
			ReceivingMXHostname: mx, ReceivingIP: ips[0]}
	}

	// DANE (RFC 7672): an authenticated TLSA RRset at _25._tcp.<mx>.
	rrs, secure, err := policy.LookupTLSA(ctx, s.dns, mx, 25)
	if err != nil {
		var pe *policy.Error
		if !errors.As(err, &pe) {
			return attempt{}, err
		}
		return attempt{policy: pe.Policy, failure: fail(err)}, nil
	}
	if len(rrs) > 0 && secure {
		p, err := policy.FromTLSA(mx, rrs)
		if err != nil {
			return attempt{}, err
		}
		cfg := &tls.Config{
			ServerName:         mx,
			InsecureSkipVerify: true, // DANE replaces the Web PKI check
			VerifyConnection: func(cs tls.ConnectionState) error {
				_, err := policy.MatchTLSA(rrs, cs.PeerCertificates, time.Time{}, mx)
				return err
			},
		}
		delivered, err := s.session(ctx, mx, cfg, false)
		a := attempt{policy: p, delivered: delivered}
		if err != nil {
			a.failure = fail(err)
		}
		return a, nil
	}

	// MTA-STS (RFC 8461): the policy from the cache, fetched over HTTPS.
	res, err := s.stsPols.Lookup(ctx, domain)
	var pe *policy.Error
	switch {
	case err == nil:
		p, err := policy.FromSTSText(domain, res.Text)
		if err != nil {
			return attempt{}, err
		}
		if !res.Policy.MatchMX(mx) {
			return attempt{}, fmt.Errorf("%s: MX %s not in the policy", domain, mx)
		}
		cfg := &tls.Config{ServerName: mx, RootCAs: s.roots}
		delivered, err := s.session(ctx, mx, cfg, false)
		a := attempt{policy: p, delivered: delivered}
		if err != nil {
			a.failure = fail(err)
		}
		return a, nil
	case errors.As(err, &pe):
		// The policy could not be fetched: report that (RFC 8460
		// §4.3.2.2) and deliver as without a policy (RFC 8461 §5).
		a := attempt{policy: pe.Policy, failure: fail(err)}
		a.delivered, _ = s.session(ctx, mx, &tls.Config{ServerName: mx, InsecureSkipVerify: true}, true)
		return a, nil
	case !errors.Is(err, policy.ErrNoSTSRecord):
		return attempt{}, err
	}

	// No policy: opportunistic STARTTLS (RFC 3207), delivered in clear
	// text when the server offers none.
	p, err := policy.NoPolicyFound(domain)
	if err != nil {
		return attempt{}, err
	}
	delivered, err := s.session(ctx, mx, &tls.Config{ServerName: mx, InsecureSkipVerify: true}, true)
	a := attempt{policy: p, delivered: delivered}
	if err != nil {
		a.failure = fail(err)
	}
	return a, nil
}

// session connects to mx, starts TLS with cfg (STARTTLS, RFC 3207) and
// sends one message over it. A TLS failure is returned; with
// opportunistic set the message is then still sent, in clear text on a
// new connection (RFC 3207 §4: a client may continue without TLS).
func (s *sender) session(ctx context.Context, mx string, cfg *tls.Config, opportunistic bool) (delivered bool, tlsErr error) {
	conn, err := s.dial(ctx, "tcp", net.JoinHostPort(mx, "25"))
	if err != nil {
		return false, err
	}
	// NewClientStartTLS says EHLO and STARTTLS; the handshake runs with
	// the next command, the EHLO over TLS.
	c, err := smtp.NewClientStartTLS(conn, cfg)
	if err == nil {
		if err = c.Hello(s.helo); err != nil {
			c.Close()
		}
	}
	if err != nil {
		if !opportunistic {
			return false, err
		}
		tlsErr = err
		if conn, err = s.dial(ctx, "tcp", net.JoinHostPort(mx, "25")); err != nil {
			return false, tlsErr
		}
		c = smtp.NewClient(conn)
		if err := c.Hello(s.helo); err != nil {
			c.Close()
			return false, tlsErr
		}
	}
	defer c.Close()
	msg := "From: <postmaster@mail.example>\r\nTo: <user@" + mx + ">\r\nSubject: hello\r\n\r\nhello\r\n"
	if err := c.SendMail("postmaster@mail.example", []string{"user@" + mx}, strings.NewReader(msg)); err != nil {
		return false, errors.Join(tlsErr, err)
	}
	c.Quit()
	return true, tlsErr
}

// record records a into agg for a session at t.
func record(agg *aggregate.Aggregator, t time.Time, a attempt) error {
	id, err := agg.PolicyID(a.policy)
	if err != nil {
		return err
	}
	s := aggregate.Session{Time: t, Policy: id}
	if a.failure != nil {
		s.Failures = []aggregate.Failure{*a.failure}
	}
	return agg.Record(s)
}

// resultOf names the outcome of a for the summary: "success" or the
// result type.
func resultOf(a attempt) report.ResultType {
	if a.failure == nil {
		return "success"
	}
	return a.failure.ResultType
}
