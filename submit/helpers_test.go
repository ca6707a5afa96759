package submit

import (
	"crypto/tls"
	"crypto/x509"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/internal/testcert"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// testCert returns a self-signed certificate for names (DNS names or IP
// addresses) and a pool trusting it.
func testCert(t testing.TB, names ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	c := testcert.Issue(t, testcert.LeafTemplate(names...), nil)
	return c.TLSCertificate(), testcert.Pool(c)
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
