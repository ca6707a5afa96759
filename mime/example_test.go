package mime_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

func exampleReport() *report.Report {
	return &report.Report{
		OrganizationName: "Sender Inc.",
		DateRange: report.DateRange{
			Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2024, 3, 1, 23, 59, 59, 0, time.UTC),
		},
		ContactInfo: "mailto:tlsrpt@sender.example",
		ReportID:    "2024-03-01_example.net@sender.example",
		Policies: []report.PolicyResult{{
			Policy:  policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.net"},
			Summary: report.Summary{TotalSuccessfulSessionCount: 42},
		}},
	}
}

// keyRecords is the DNS of these examples, a tlsrpt.Resolver: it maps a
// name to its one TXT record and has no other records. A program passes
// a *net.Resolver, or nil for net.DefaultResolver.
type keyRecords map[string]string

func (k keyRecords) LookupTXT(_ context.Context, name string) ([]string, error) {
	if rec, ok := k[name]; ok {
		return []string{rec}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (keyRecords) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (keyRecords) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// ExampleWrite writes a report mail with deterministic options and prints
// its header.
func ExampleWrite() {
	var b bytes.Buffer
	err := mime.Write(&b, exampleReport(), &mime.WriteOptions{
		From:      "tlsrpt@sender.example",
		To:        []string{"tlsrpt@example.net"},
		Date:      time.Date(2024, 3, 2, 0, 30, 0, 0, time.UTC),
		MessageID: "r1@sender.example",
		Boundary:  "b1",
		UniqueID:  "1",
	})
	if err != nil {
		log.Fatal(err)
	}
	head, _, _ := strings.Cut(b.String(), "\r\n\r\n")
	fmt.Println(strings.ReplaceAll(head, "\r\n", "\n"))
	// Output:
	// From: <tlsrpt@sender.example>
	// To: <tlsrpt@example.net>
	// Date: Sat, 02 Mar 2024 00:30:00 +0000
	// Message-ID: <r1@sender.example>
	// Subject: Report Domain: example.net Submitter: sender.example Report-ID:
	//  <2024-03-01_example.net@sender.example>
	// MIME-Version: 1.0
	// Content-Type: multipart/report; report-type="tlsrpt"; boundary="b1"
	// TLS-Report-Domain: example.net
	// TLS-Report-Submitter: sender.example
	// Auto-Submitted: auto-generated
	// TLS-Required: No
}

// ExampleWrite_dkim signs the report mail with an Ed25519 key and checks
// the signature as a receiver would.
func ExampleWrite_dkim() {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize) // use a real key
	key := ed25519.NewKeyFromSeed(seed)
	var b bytes.Buffer
	err := mime.Write(&b, exampleReport(), &mime.WriteOptions{
		From: "tlsrpt@sender.example",
		To:   []string{"tlsrpt@example.net"},
		DKIM: &mime.DKIMOptions{Domain: "sender.example", Selector: "tlsrpt", Signer: key},
	})
	if err != nil {
		log.Fatal(err)
	}

	// The key record published at tlsrpt._domainkey.sender.example.
	record := "v=DKIM1; k=ed25519; s=email:tlsrpt; p=" +
		base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	v, err := mime.Verify(context.Background(), &b, &mime.VerifyOptions{
		Resolver: keyRecords{"tlsrpt._domainkey.sender.example": record},
	})
	if err != nil {
		log.Fatal(err)
	}
	s := v.Signatures[0]
	fmt.Println("d:", s.Domain, "verified:", s.Err == nil, "aligned:", s.Aligned,
		"l=:", s.BodyLength, "s=:", s.Services, "tlsrpt allowed:", s.ServiceTLSRPT)
	// Output:
	// d: sender.example verified: true aligned: true l=: false s=: [email tlsrpt] tlsrpt allowed: true
}

// ExampleParse reads a report mail as sent by a sender that labels its
// report application/octet-stream and leaves out the close delimiter.
func ExampleParse() {
	payload := `{"organization-name":"Sender Inc.","date-range":{"start-datetime":"2024-03-01T00:00:00Z",` +
		`"end-datetime":"2024-03-01T23:59:59Z"},"contact-info":"mailto:tlsrpt@sender.example",` +
		`"report-id":"r1","policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.net"},` +
		`"summary":{"total-successful-session-count":42,"total-failure-session-count":0}}]}`
	msg := "From: tlsrpt@sender.example\r\n" +
		"Date: Sat, 02 Mar 2024 00:30:00 +0000\r\n" +
		"Subject: Report Domain: example.net Submitter: sender.example Report-ID: <r1@sender.example>\r\n" +
		"TLS-Report-Domain: example.net\r\n" +
		"TLS-Report-Submitter: sender.example\r\n" +
		"Content-Type: multipart/report; report-type=tlsrpt; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nA report.\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\n" +
		"Content-Disposition: attachment; filename=\"sender.example!example.net!1709251200!1709337599.json\"\r\n\r\n" +
		payload + "\r\n"
	m, err := mime.Parse(strings.NewReader(msg))
	if err != nil {
		log.Fatal(err)
	}
	r := m.Reports[0]
	fmt.Println(m.ReportDomain, m.Submitter, m.ReportID, m.Attachments[0].Filename)
	fmt.Println(r.OrganizationName, r.Policies[0].Summary.TotalSuccessfulSessionCount)
	for _, w := range m.Warnings {
		fmt.Println(w.Path, w.Code)
	}
	// Output:
	// example.net sender.example r1@sender.example sender.example!example.net!1709251200!1709337599.json
	// Sender Inc. 42
	// mime:message mime-missing-closing-boundary
	// mime:part[2] mime-generic-media-type
}

// ExampleParser shows limits set below the defaults and the error for a
// message over them.
func ExampleParser() {
	p := mime.Parser{MaxMessageSize: 64 << 10, MaxReportSize: 1 << 20}
	_, err := p.Parse(strings.NewReader(strings.Repeat("x", 100<<10)))
	var d *tlsrpt.Diagnostic
	if errors.As(err, &d) {
		fmt.Println(errors.Is(err, mime.ErrTooLarge), d.Code == mime.CodeLimitMessageSize)
		fmt.Println(d.String())
	}

	_, err = p.Parse(strings.NewReader("Subject: cron\r\n\r\nall done\r\n"))
	fmt.Println(errors.Is(err, mime.ErrNoReport))
	// Output:
	// true true
	// error mime:message: message size limit 65536 exceeded [mime-limit-message-size]
	// true
}

// ExampleVerify checks an unsigned message: a receiver following
// RFC 8460 §3 ignores it.
func ExampleVerify() {
	msg := "From: a@sender.example\r\nTLS-Report-Submitter: sender.example\r\n\r\nbody\r\n"
	v, err := mime.Verify(context.Background(), strings.NewReader(msg), &mime.VerifyOptions{
		Resolver: keyRecords{}, // no signature, no key to look up
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Submitter, len(v.Signatures))
	// Output:
	// sender.example 0
}

// ExampleDKIMKeyRecord prints the TXT record to publish for a report
// signing key (here derived from a fixed seed so the output is stable).
func ExampleDKIMKeyRecord() {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	rec, err := mime.DKIMKeyRecord(key.Public())
	if err != nil {
		panic(err)
	}
	fmt.Println("tlsrpt._domainkey.sender.example. IN TXT", strconv.Quote(rec))
	// Output:
	// tlsrpt._domainkey.sender.example. IN TXT "v=DKIM1; k=ed25519; p=6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw="
}

// ExampleVerify_forwarded verifies a report mail forwarded as an
// attachment: the signatures that count are those of the attached
// message, which carries the report, not the forwarding mail's.
func ExampleVerify_forwarded() {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)) // use a real key
	var report bytes.Buffer
	err := mime.Write(&report, exampleReport(), &mime.WriteOptions{
		From: "tlsrpt@sender.example",
		To:   []string{"tlsrpt@example.net"},
		DKIM: &mime.DKIMOptions{Domain: "sender.example", Selector: "tlsrpt", Signer: key},
	})
	if err != nil {
		log.Fatal(err)
	}
	fwd := "From: postmaster@example.net\r\nSubject: Fwd: TLS report\r\n" +
		"Content-Type: multipart/mixed; boundary=\"F\"\r\n\r\n" +
		"--F\r\nContent-Type: text/plain\r\n\r\nFYI\r\n" +
		"--F\r\nContent-Type: message/rfc822\r\n\r\n" + report.String() + "\r\n--F--\r\n"

	record := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	v, err := mime.Verify(context.Background(), strings.NewReader(fwd), &mime.VerifyOptions{
		Resolver: keyRecords{"tlsrpt._domainkey.sender.example": record},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("carrier:", v.Carrier, "submitter:", v.Submitter, "signed by:", v.Authentic().Domain)

	m, err := mime.Parse(strings.NewReader(fwd))
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range m.Warnings {
		fmt.Println(w.Path, w.Code)
	}
	// Output:
	// carrier: mime:part[2].message submitter: sender.example signed by: sender.example
	// mime:part[2].message mime-forwarded-report
}
