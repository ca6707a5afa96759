package report_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// An MTA turns the error of a failed STARTTLS handshake into the
// result-type and failure-reason-code of a failure-details entry.
func ExampleClassifyTLSError() {
	// What (*tls.Conn).Handshake returns when the MX host's certificate
	// names another host, wrapped by the MTA's delivery code.
	cert := &x509.Certificate{DNSNames: []string{"mail.example.net"}}
	handshakeErr := &tls.CertificateVerificationError{
		UnverifiedCertificates: []*x509.Certificate{cert},
		Err:                    x509.HostnameError{Certificate: cert, Host: "mx1.example.com"},
	}
	err := fmt.Errorf("deliver to mx1.example.com: %w", handshakeErr)

	rt, code := report.ClassifyTLSError(err)
	fd := report.FailureDetail{
		ResultType:          rt,
		SendingMTAIP:        netip.MustParseAddr("192.0.2.10"),
		ReceivingMXHostname: "mx1.example.com",
		ReceivingIP:         netip.MustParseAddr("198.51.100.25"),
		FailedSessionCount:  1,
		FailureReasonCode:   code,
	}
	fmt.Println(fd.ResultType, fd.FailureReasonCode)

	// An expired certificate, as x509.Certificate.Verify reports it.
	expired := x509.CertificateInvalidError{
		Cert:   cert,
		Reason: x509.Expired,
		Detail: "current time 2026-11-24T10:00:00Z is after 2026-11-01T00:00:00Z",
	}
	fmt.Println(report.ClassifyTLSError(expired))

	// The server's EHLO reply did not list STARTTLS.
	fmt.Println(report.ClassifyTLSError(fmt.Errorf("mx2.example.com: %w", report.ErrSTARTTLSNotOffered)))

	// A successful session is not a failure.
	rt, code = report.ClassifyTLSError(nil)
	fmt.Printf("%q %q\n", rt, code)
	// Output:
	// certificate-host-mismatch hostname-mismatch
	// certificate-expired certificate-expired
	// starttls-not-supported starttls-not-offered
	// "" ""
}

// A DANE check in tls.Config.VerifyConnection says which result type its
// failure is, and ClassifyTLSError passes it on.
func ExampleResultError() {
	cfg := &tls.Config{
		ServerName:         "mx1.example.com",
		InsecureSkipVerify: true, // DANE-EE(3): the TLSA record decides, not the WebPKI
		VerifyConnection: func(cs tls.ConnectionState) error {
			// ... compare cs.PeerCertificates with the TLSA RRset ...
			return &report.ResultError{
				ResultType: report.ResultTLSAInvalid,
				ReasonCode: "tlsa-no-match",
				Err:        errors.New("no TLSA record matched the server's key"),
			}
		},
	}
	err := cfg.VerifyConnection(tls.ConnectionState{})
	fmt.Println(report.ClassifyTLSError(err))
	fmt.Println(err)
	// Output:
	// tlsa-invalid tlsa-no-match
	// report: tlsa-invalid (tlsa-no-match): no TLSA record matched the server's key
}

// An analyzer explains a failure entry to the operator of the receiving
// domain.
func ExampleResultType() {
	for _, rt := range []report.ResultType{report.ResultSTSWebPKIInvalid, "smtp-downgrade"} {
		fmt.Println(rt, "-", rt.Category(), "- known:", rt.Known())
		fmt.Println("  what failed:", rt.Description())
		fmt.Println("  what to check:", rt.Advice())
	}
	// Output:
	// sts-webpki-invalid - mta-sts - known: true
	//   what failed: The HTTPS server for the MTA-STS policy did not present a certificate the sender could validate for the mta-sts host name.
	//   what to check: Check that the certificate served for mta-sts.<domain> is current, covers that exact name, comes from a publicly trusted authority and is sent with its intermediate certificates.
	// smtp-downgrade - unknown - known: false
	//   what failed: The result type is not one this library knows; its meaning is defined by the registry entry or the sender that introduced it.
	//   what to check: Look the value up in the IANA "STARTTLS Validation Result Types" registry, and use the failure-reason-code, receiving-mx-hostname and additional-information of the same failure for details.
}

func ExampleResultTypes() {
	for _, rt := range report.ResultTypes() {
		fmt.Printf("%-26s %s\n", rt, rt.Category())
	}
	// Output:
	// starttls-not-supported     tls-negotiation
	// certificate-host-mismatch  tls-negotiation
	// certificate-expired        tls-negotiation
	// tlsa-invalid               dane
	// dnssec-invalid             dane
	// dane-required              dane
	// certificate-not-trusted    tls-negotiation
	// sts-policy-invalid         mta-sts
	// sts-webpki-invalid         mta-sts
	// validation-failure         tls-negotiation
	// sts-policy-fetch-error     mta-sts
}

// A producer checks a report before sending it and gets every problem at
// once.
func ExampleReport_Validate() {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	r := &report.Report{
		OrganizationName: "Example Mail",
		DateRange:        report.DateRange{Start: day, End: day.Add(24*time.Hour - time.Second)},
		ContactInfo:      "tlsrpt@mail.example.net",
		ReportID:         "20261124.1@mail.example.net",
		Policies: []report.PolicyResult{{
			Policy:  policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.com"},
			Summary: report.Summary{TotalSuccessfulSessionCount: 12, TotalFailureSessionCount: 1},
			FailureDetails: []report.FailureDetail{{
				ResultType:         report.ResultSTARTTLSNotSupported,
				FailedSessionCount: 1,
			}},
		}, {
			Policy: policy.Policy{
				Type:    policy.TypeSTS,
				Strings: []string{"version: STSv1", "mode: testing", "mx: mx.example.com", "max_age: 86400"},
				Domain:  "example.com",
				MXHosts: []string{"mx.example.com"},
			},
			Summary: report.Summary{TotalSuccessfulSessionCount: 3},
		}},
	}
	fmt.Println("valid:", r.Validate() == nil)

	r.DateRange.End = day.Add(48 * time.Hour)
	r.Policies[0].FailureDetails[0].FailedSessionCount = 0
	r.Policies[1].Policy.Domain = "example.org"
	err := r.Validate()
	var first *tlsrpt.Diagnostic
	if errors.As(err, &first) {
		fmt.Println("first:", first.Path, first.Code)
	}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		fmt.Println(e)
	}
	// Output:
	// valid: true
	// first: date-range.end-datetime date-range-not-one-day
	// tlsrpt: error date-range.end-datetime: 2026-11-26T00:00:00Z does not close the UTC day that starts at 2026-11-24T00:00:00Z: want 2026-11-24T23:59:59Z (or 2026-11-25T00:00:00Z) (RFC 8460 §4.1) [date-range-not-one-day]
	// tlsrpt: error policies[0].failure-details[0].failed-session-count: 0 is less than 1: a failure entry counts at least one session (RFC 8460 §4.4) [invalid-count]
	// tlsrpt: error policies[1].policy.policy-domain: "example.org" differs from "example.com" of policies[0]: send one report per policy domain (RFC 8460 §4.1) [mixed-policy-domains]
}
