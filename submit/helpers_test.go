package submit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// testCert returns a self-signed certificate for names (DNS names or IP
// addresses) and a pool trusting it.
func testCert(t testing.TB, names ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// testReport returns a small valid report for example.net.
func testReport() *report.Report {
	return &report.Report{
		OrganizationName: "Sender Inc.",
		DateRange: report.DateRange{
			Start: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		},
		ContactInfo: "mailto:tlsrpt@sender.example",
		ReportID:    "2026-11-24T00:00:00Z_example.net",
		Policies: []report.PolicyResult{{
			Policy: policy.Policy{
				Type:    policy.TypeSTS,
				Strings: []string{"version: STSv1", "mode: enforce", "mx: mx.example.net", "max_age: 86400"},
				Domain:  "example.net",
				MXHosts: []string{"mx.example.net"},
			},
			Summary: report.Summary{TotalSuccessfulSessionCount: 10, TotalFailureSessionCount: 1},
			FailureDetails: []report.FailureDetail{{
				ResultType:          report.ResultCertificateExpired,
				SendingMTAIP:        netip.MustParseAddr("192.0.2.1"),
				ReceivingMXHostname: "mx.example.net",
				ReceivingIP:         netip.MustParseAddr("2001:db8::25"),
				FailedSessionCount:  1,
			}},
		}},
	}
}

// record builds a Record from URIs, failing the test on a bad one.
func record(t testing.TB, uris ...string) *dnsrecord.Record {
	t.Helper()
	rec := &dnsrecord.Record{}
	for _, s := range uris {
		u, err := dnsrecord.ParseURI(s)
		if err != nil {
			t.Fatalf("ParseURI(%q): %v", s, err)
		}
		rec.RUA = append(rec.RUA, u)
	}
	return rec
}

// reportCmp compares reports (netip.Addr has unexported fields).
var reportCmp = cmpopts.EquateComparable(netip.Addr{})
