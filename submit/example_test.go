package submit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/submit"
)

func exampleReport() *report.Report {
	return &report.Report{
		OrganizationName: "Sender Inc.",
		DateRange: report.DateRange{
			Start: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		},
		ContactInfo: "mailto:tlsrpt@sender.example",
		ReportID:    "2026-11-24_example.net",
		Policies: []report.PolicyResult{{
			Policy:  policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.net"},
			Summary: report.Summary{TotalSuccessfulSessionCount: 42, TotalFailureSessionCount: 1},
			FailureDetails: []report.FailureDetail{{
				ResultType:         report.ResultSTARTTLSNotSupported,
				ReceivingIP:        netip.MustParseAddr("192.0.2.25"),
				FailedSessionCount: 1,
			}},
		}},
	}
}

// Deliver a report to the https destination of a TLSRPT record. The
// record's http: URI is not a supported scheme and is skipped.
func ExampleDeliverer_Deliver() {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("endpoint got", r.Method, r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	rec, err := dnsrecord.Parse("v=TLSRPTv1; rua=" + srv.URL + "/tlsrpt,http://old.example/tlsrpt")
	if err != nil {
		panic(err)
	}
	d := &submit.Deliverer{HTTPClient: srv.Client()} // trusts the test server
	res, err := d.Deliver(context.Background(), exampleReport(), rec)
	fmt.Println("delivered:", res.Delivered(), err == nil)
	for _, o := range res.Outcomes {
		fmt.Println(o.URI.Scheme(), o.Status, o.StatusCode)
	}
	// Output:
	// endpoint got POST application/tlsrpt+gzip
	// delivered: true true
	// https accepted 201
	// http skipped 0
}

// Schedule retries of a failed delivery in an MTA's own queue.
func ExampleRetryPolicy_NextAttempt() {
	p := &submit.RetryPolicy{Rand: mrand.NewPCG(8460, 1)} // seeded: the same schedule every run
	first := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	err := &submit.DeliveryError{URI: "https://rua.example/", Retryable: true, StatusCode: 503}
	now := first
	for attempt := 1; ; attempt++ {
		next, ok := p.NextAttempt(first, now, attempt, err)
		if !ok {
			fmt.Println("give up after attempt", attempt)
			break
		}
		if attempt <= 3 || next.Equal(first.Add(24*time.Hour)) {
			fmt.Println("attempt", attempt+1, "at", next.Format("Jan 2 15:04"))
		}
		now = next
	}
	// A permanent failure is never retried.
	_, ok := p.NextAttempt(first, first, 1, &submit.DeliveryError{StatusCode: 404})
	fmt.Println("retry 404:", ok)
	// Output:
	// attempt 2 at Nov 25 03:02
	// attempt 3 at Nov 25 03:10
	// attempt 4 at Nov 25 03:27
	// attempt 15 at Nov 26 03:00
	// give up after attempt 15
	// retry 404: false
}

// exampleBackend is a minimal go-smtp backend that prints what arrives.
type exampleBackend struct{}

func (exampleBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &exampleSession{}, nil }

type exampleSession struct{ from string }

func (s *exampleSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *exampleSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	fmt.Println("RCPT", to, "NOTIFY", opts.Notify)
	return nil
}
func (s *exampleSession) Data(r io.Reader) error {
	msg, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	fmt.Println("DKIM-signed:", bytes.HasPrefix(msg, []byte("DKIM-Signature:")))
	return nil
}
func (s *exampleSession) Reset()        {}
func (s *exampleSession) Logout() error { return nil }

// Mail a DKIM-signed report through a relay (here a go-smtp server on
// loopback that offers no STARTTLS, hence OpportunisticTLS; production
// relays should use STARTTLS with AUTH).
func ExampleSMTPSender() {
	srv := smtp.NewServer(exampleBackend{})
	srv.Domain = "relay.example"
	srv.EnableDSN = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	_, key, _ := ed25519.GenerateKey(rand.Reader)
	d := &submit.Deliverer{
		Mail: &submit.SMTPSender{Relay: l.Addr().String(), OpportunisticTLS: true, HelloName: "mta.sender.example"},
		MailOptions: mime.WriteOptions{
			From: "TLS reports <tlsrpt@sender.example>",
			DKIM: &mime.DKIMOptions{Domain: "sender.example", Selector: "tlsrpt", Signer: key},
		},
	}
	rec, _ := dnsrecord.Parse("v=TLSRPTv1; rua=mailto:tlsrpt@example.net")
	res, err := d.Deliver(context.Background(), exampleReport(), rec)
	o := res.Outcomes[0]
	fmt.Println(o.Status, o.StatusCode, o.Reply, err)
	// Output:
	// RCPT tlsrpt@example.net NOTIFY [NEVER]
	// DKIM-signed: true
	// accepted 250 2.0.0 OK: queued <nil>
}
