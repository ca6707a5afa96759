package aggregate_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
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

	rt, code := aggregate.ClassifyTLSError(err)
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
	fmt.Println(aggregate.ClassifyTLSError(expired))

	// The server's EHLO reply did not list STARTTLS.
	fmt.Println(aggregate.ClassifyTLSError(fmt.Errorf("mx2.example.com: %w", aggregate.ErrSTARTTLSNotOffered)))

	// A successful session is not a failure.
	rt, code = aggregate.ClassifyTLSError(nil)
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
			return &aggregate.ResultError{
				ResultType: report.ResultTLSAInvalid,
				ReasonCode: "tlsa-no-match",
				Err:        errors.New("no TLSA record matched the server's key"),
			}
		},
	}
	err := cfg.VerifyConnection(tls.ConnectionState{})
	fmt.Println(aggregate.ClassifyTLSError(err))
	fmt.Println(err)
	// Output:
	// tlsa-invalid tlsa-no-match
	// aggregate: tlsa-invalid (tlsa-no-match): no TLSA record matched the server's key
}
