package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/internal/testdkim"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// testSelector is the DKIM selector of the test keys.
const testSelector = "tlsrpt"

// signedHeaders are the fields the test signatures cover (as mime.Write).
var signedHeaders = []string{"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
	"TLS-Report-Domain", "TLS-Report-Submitter"}

// newSigningKey is an Ed25519 DKIM key of d under testSelector whose
// signatures cover signedHeaders.
func newSigningKey(t testing.TB, d string) testdkim.Key {
	t.Helper()
	k := testdkim.Ed25519(t, d, testSelector)
	k.Headers = signedHeaders
	return k
}

// dns serves the key records of keys from a real DNS server on loopback
// (internal/dnstest); names in servfail answer SERVFAIL, a temporary
// failure.
func dns(t testing.TB, keys []testdkim.Key, servfail ...string) tlsrpt.Resolver {
	t.Helper()
	z := dnstest.Zone{TXT: map[string][][]string{}, RCode: map[string]dnsmessage.RCode{}}
	for _, k := range keys {
		z.TXT[k.TXTName()] = [][]string{{k.Record}}
	}
	for _, d := range servfail {
		z.RCode[testSelector+"._domainkey."+d] = dnsmessage.RCodeServerFailure
	}
	return dnstest.Start(t, z).Resolver()
}

// testReport returns a report whose contact-info is at d.
func testReport(d string) *report.Report {
	return &report.Report{
		OrganizationName: "Sender Inc.",
		DateRange: report.DateRange{
			Start: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		},
		ContactInfo: "mailto:tlsrpt@" + d,
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
				FailedSessionCount:  1,
			}},
		}},
	}
}

// reportJSON is the canonical JSON of r.
func reportJSON(t testing.TB, r *report.Report) []byte {
	t.Helper()
	js, err := json.Marshal(r)
	require.NoError(t, err)
	return js
}

// gz compresses b.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// forward returns a mail that attaches each inner as message/rfc822 (a
// forwarded report), so that the first is mime:part[2].message.
func forward(inner ...string) string {
	bd := "F" + strconv.Itoa(len(strings.Join(inner, "")))
	var b strings.Builder
	b.WriteString("From: Postmaster <postmaster@forwarder.example>\r\nTo: analyst@example.net\r\n" +
		"Date: Sun, 03 Mar 2024 09:00:00 +0100\r\nMessage-ID: <fwd1@forwarder.example>\r\n" +
		"Subject: Fwd: TLS report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + bd + "\"\r\n\r\n" +
		"--" + bd + "\r\nContent-Type: text/plain\r\n\r\nSee the attached report.\r\n")
	for _, in := range inner {
		b.WriteString("--" + bd + "\r\nContent-Type: message/rfc822\r\n\r\n" + in + "\r\n")
	}
	b.WriteString("--" + bd + "--\r\n")
	return b.String()
}

// arrive prepends the trace fields an MX adds on delivery: its own
// Received line, then its Authentication-Results on top.
func arrive(msg, authservID, results string) string {
	return "Authentication-Results: " + authservID + "; " + results + "\r\n" +
		"Received: from sender.example by " + authservID + " with ESMTPS; Sat, 02 Mar 2024 01:02:04 +0000\r\n" + msg
}
