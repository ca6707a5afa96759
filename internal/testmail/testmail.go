// Package testmail builds TLS report mails for tests: the RFC 8460 §5.3
// shape (multipart/report; report-type="tlsrpt", a text part, then one
// application/tlsrpt+json part per report) with the header fields of §5.3
// naming a chosen submitter, byte for byte the same every time (CRLF line
// ends, fixed date, boundary and Message-ID), ready to be signed.
//
// It is a test-helper package: only _test.go files import it
// (internal/importgraph enforces that). It imports no package of the
// module: reports are given as values encoding/json marshals (a
// *report.Report marshals to its canonical JSON).
package testmail

import (
	"encoding/json"
	"strings"
	"testing"
)

// ReportMail returns an unsigned report mail (RFC 8460 §5.3) for the
// policy domain example.net whose From, Message-ID, Subject and
// TLS-Report-Submitter name submitter, with one application/tlsrpt+json
// part per report after the text part: the first is mime:part[2], the
// next mime:part[3], and so on. Each report is marshalled with
// encoding/json; it calls tb.Fatal when one cannot be.
func ReportMail(tb testing.TB, submitter string, reports ...any) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("From: TLS reports <tlsrpt@" + submitter + ">\r\nTo: tlsrpt@example.net\r\n" +
		"Date: Sat, 02 Mar 2024 01:02:03 +0000\r\nMessage-ID: <m1@" + submitter + ">\r\n" +
		"Subject: Report Domain: example.net Submitter: " + submitter + " Report-ID: <r1@" + submitter + ">\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"R\"\r\n" +
		"TLS-Report-Domain: example.net\r\nTLS-Report-Submitter: " + submitter + "\r\n\r\n" +
		"--R\r\nContent-Type: text/plain\r\n\r\nTLS reports.\r\n")
	for _, r := range reports {
		js, err := json.Marshal(r)
		if err != nil {
			tb.Fatalf("testmail: %v", err)
		}
		b.WriteString("--R\r\nContent-Type: application/tlsrpt+json\r\n\r\n")
		b.Write(js)
		b.WriteString("\r\n")
	}
	b.WriteString("--R--\r\n")
	return b.String()
}
