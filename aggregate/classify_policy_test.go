package aggregate

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/internal/testcert"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// TestClassifyTLSErrorMatchTLSA runs a real handshake whose
// VerifyConnection matches the server's chain with policy.MatchTLSA: a
// mismatch fails the handshake with the *policy.Error, classified as
// tlsa-invalid with MatchTLSA's code, and the policy block comes with it.
func TestClassifyTLSErrorMatchTLSA(t *testing.T) {
	const host = "mx.example.test"
	ca := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	leaf := testcert.Issue(t, testcert.LeafTemplate(host), &ca)
	other := testcert.Issue(t, testcert.LeafTemplate(host), &ca)
	rrs := []policy.TLSA{{Usage: policy.UsageDANEEE, Selector: policy.SelectorCert, MatchingType: policy.MatchingFull, Data: other.Cert.Raw}}
	addr := tlsServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}})
	err := dialTLS(t, addr, &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: true, // DANE: the TLSA records decide, not the WebPKI
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := policy.MatchTLSA(rrs, cs.PeerCertificates, time.Time{}, host)
			return err
		},
	})
	var pe *policy.Error
	require.ErrorAs(t, err, &pe)
	if rt, code := ClassifyTLSError(err); rt != report.ResultTLSAInvalid || code != "tlsa-mismatch" {
		t.Errorf("ClassifyTLSError(%v) = (%q, %q), want (tlsa-invalid, tlsa-mismatch)", err, rt, code)
	}
	if pe.Policy.Type != policy.TypeTLSA || pe.Policy.Domain != host || len(pe.Policy.Strings) != 1 {
		t.Errorf("policy block %+v", pe.Policy)
	}
}

// TestClassifyTLSErrorSTSFetch fetches MTA-STS policies from loopback
// HTTPS servers whose certificates fail validation: each failure is
// sts-webpki-invalid, with the code ClassifyTLSError gives the same
// certificate problem in an SMTP session.
func TestClassifyTLSErrorSTSFetch(t *testing.T) {
	const host = "mta-sts.example.test"
	ca := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	otherCA := testcert.Issue(t, testcert.CATemplate("Other Root"), nil)
	expiredTmpl := testcert.LeafTemplate(host)
	expiredTmpl.NotBefore, expiredTmpl.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	futureTmpl := testcert.LeafTemplate(host)
	futureTmpl.NotBefore, futureTmpl.NotAfter = time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour)
	dns := dnstest.Start(t, dnstest.Zone{TXT: map[string][][]string{"_mta-sts.example.test": {{"v=STSv1; id=1"}}}})
	tests := []struct {
		name string
		cert tls.Certificate
		code string
	}{
		{"wrong name", testcert.Issue(t, testcert.LeafTemplate("www.example.test"), &ca).TLSCertificate(), "hostname-mismatch"},
		{"expired", testcert.Issue(t, expiredTmpl, &ca).TLSCertificate(), "certificate-expired"},
		{"not yet valid", testcert.Issue(t, futureTmpl, &ca).TLSCertificate(), "certificate-not-yet-valid"},
		{"self-signed", testcert.Issue(t, testcert.LeafTemplate(host), nil).TLSCertificate(), "self-signed-certificate"},
		{"other root", testcert.Issue(t, testcert.LeafTemplate(host), &otherCA).TLSCertificate(), "unknown-authority"},
		{"other root sent", testcert.Issue(t, testcert.LeafTemplate(host), &otherCA).TLSCertificate(otherCA), "self-signed-in-chain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = io.WriteString(w, "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n")
			}))
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{tt.cert}}
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			defer srv.Close()
			f := &policy.STSFetcher{
				Resolver: dns.Resolver(),
				RootCAs:  testcert.Pool(ca),
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, network, srv.Listener.Addr().String())
				},
			}
			_, err := f.Fetch(context.Background(), "example.test")
			var pe *policy.Error
			require.ErrorAs(t, err, &pe)
			rt, code := ClassifyTLSError(err)
			if rt != report.ResultSTSWebPKIInvalid || code != tt.code {
				t.Errorf("ClassifyTLSError(%v) = (%q, %q), want (sts-webpki-invalid, %q)", err, rt, code, tt.code)
			}
			if _, sessionCode := ClassifyTLSError(pe.Err); sessionCode != pe.Code {
				t.Errorf("policy's code %q, the session classifier's %q for %v", pe.Code, sessionCode, pe.Err)
			}
		})
	}
}

// TestClassifyTLSErrorLookupTLSA: a SERVFAIL from the validating resolver
// is dnssec-invalid with the Extended DNS Error as the code.
func TestClassifyTLSErrorLookupTLSA(t *testing.T) {
	dns := dnstest.Start(t, dnstest.Zone{
		RCode: map[string]dnsmessage.RCode{"_25._tcp.mx.example.test": dnsmessage.RCodeServerFailure},
		EDE:   map[string]uint16{"_25._tcp.mx.example.test": 6},
	})
	_, _, err := policy.LookupTLSA(context.Background(), &policy.DNSClient{Addr: dns.Addr()}, "mx.example.test", 25)
	if rt, code := ClassifyTLSError(err); rt != report.ResultDNSSECInvalid || code != "dnssec-bogus" {
		t.Errorf("ClassifyTLSError(%v) = (%q, %q), want (dnssec-invalid, dnssec-bogus)", err, rt, code)
	}
	var pe *policy.Error
	if !errors.As(err, &pe) || pe.Policy.Type != policy.TypeTLSA || pe.Policy.Domain != "mx.example.test" {
		t.Errorf("err = %v", err)
	}
}
