package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/submit"
)

// day is the UTC day the MTA reports on.
var day = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

// outcome is a group of sessions with the same result. err is what the
// MTA's delivery code saw; nil is a successful session.
type outcome struct {
	policy   policy.Policy
	sessions int
	mx       string
	ip       string
	err      error
}

// mtaSessions is the scenario: the sessions mail.example opened on day.
func mtaSessions() ([]outcome, error) {
	// example.com publishes an MTA-STS policy (RFC 8461) ...
	sts, err := policy.FromSTSText("example.com",
		"version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: mx2.example.com\nmax_age: 604800\n")
	if err != nil {
		return nil, err
	}
	// ... and mx.example.net a DANE TLSA record (RFC 7672): DANE-EE, the
	// SHA-256 of the server's public key.
	spki := sha256.Sum256([]byte("the public key of mx.example.net"))
	dane, err := policy.FromTLSA("mx.example.net", []policy.TLSA{{
		Usage: policy.UsageDANEEE, Selector: policy.SelectorSPKI, MatchingType: policy.MatchingSHA256,
		Data: spki[:],
	}})
	if err != nil {
		return nil, err
	}
	return []outcome{
		{policy: sts, sessions: 1190, mx: "mx1.example.com", ip: "198.51.100.1"},
		// TLS negotiation: mx2's certificate has expired (RFC 8460 §4.3.1).
		{policy: sts, sessions: 9, mx: "mx2.example.com", ip: "198.51.100.2",
			err: fmt.Errorf("mx2.example.com: %w", x509.CertificateInvalidError{Reason: x509.Expired})},
		// MTA-STS: the policy host's certificate did not validate when the
		// MTA refreshed the policy (RFC 8460 §4.3.2.2).
		{policy: sts, sessions: 3,
			err: &aggregate.ResultError{ResultType: report.ResultSTSWebPKIInvalid, Err: x509.UnknownAuthorityError{}}},
		{policy: dane, sessions: 412, mx: "mx.example.net", ip: "203.0.113.25"},
		// DANE: the server's key matches no TLSA record (RFC 8460 §4.3.2.1).
		{policy: dane, sessions: 6, mx: "mx.example.net", ip: "203.0.113.25",
			err: &aggregate.ResultError{ResultType: report.ResultTLSAInvalid, ReasonCode: "tlsa-no-match"}},
	}, nil
}

// sendReports plays the MTA: it records the day's sessions, builds the
// reports and delivers each to the rua destinations of its policy domain.
func sendReports(ctx context.Context, w io.Writer, world *world) error {
	agg := aggregate.New(aggregate.Config{
		OrganizationName: "Example Mail",
		ContactInfo:      "tlsrpt@mail.example",
	})
	outcomes, err := mtaSessions()
	if err != nil {
		return err
	}
	sendingIP := netip.MustParseAddr("192.0.2.10")
	total := 0
	for _, o := range outcomes {
		id, err := agg.PolicyID(o.policy) // an MTA caches this handle
		if err != nil {
			return err
		}
		s := aggregate.Session{Policy: id}
		if o.err != nil {
			resultType, reasonCode := aggregate.ClassifyTLSError(o.err)
			fd := aggregate.Failure{
				ResultType:          resultType,
				SendingMTAIP:        sendingIP,
				ReceivingMXHostname: o.mx,
				FailureReasonCode:   reasonCode,
			}
			if o.ip != "" {
				fd.ReceivingIP = netip.MustParseAddr(o.ip)
			}
			s.Failures = []aggregate.Failure{fd}
		}
		for i := range o.sessions {
			s.Time = day.Add(time.Duration(i) * 24 * time.Hour / time.Duration(o.sessions))
			if err := agg.Record(s); err != nil {
				return err
			}
		}
		total += o.sessions
	}

	// RFC 8460 §4.1: send after the day ends, after a random delay. A fixed
	// seed keeps the quickstart's output the same on every run.
	sched := aggregate.Scheduler{Now: func() time.Time { return day }, Rand: rand.NewPCG(8460, 1)}
	sendAt := sched.SendTime(day)
	reports, err := agg.Reports(day)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "MTA mail.example recorded %d sessions on %s; %d reports due at %s\n",
		total, day.Format(time.DateOnly), len(reports), sendAt.Format(time.RFC3339))

	d := &submit.Deliverer{
		// HTTPS rua: trust the loopback certificate and reach every host
		// name at the loopback server.
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: world.roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, world.httpsAddr)
			},
		}},
		// mailto rua: direct delivery to the MX host with STARTTLS.
		Mail: &submit.SMTPSender{
			Resolver:  world.dns,
			Port:      world.smtpPort,
			HelloName: "mta1.mail.example",
			TLSConfig: &tls.Config{RootCAs: world.roots},
		},
		MailOptions: mime.WriteOptions{
			From: "TLS reports <tlsrpt@mail.example>",
			DKIM: &mime.DKIMOptions{Domain: "mail.example", Selector: "tlsrpt", Signer: world.dkim},
		},
		Now: func() time.Time { return sendAt },
	}
	for _, rep := range reports {
		domain := rep.Policies[0].Policy.Domain // one policy domain per report
		rec, _, err := dnsrecord.Lookup(ctx, world.dns, domain, nil)
		if err != nil {
			return err // ErrNoRecord would mean: the domain wants no reports
		}
		fmt.Fprintf(w, "report %s\n", rep.ReportID)
		res, err := d.Deliver(ctx, rep, rec)
		if res != nil {
			for _, o := range res.Outcomes {
				fmt.Fprintf(w, "  to %s: %s\n", o.URI, o.Status)
			}
		}
		if err != nil {
			// An MTA would queue the report and retry with
			// submit.RetryPolicy (RFC 8460 §5.5).
			return fmt.Errorf("delivering %s: %w", rep.ReportID, err)
		}
	}
	return nil
}
