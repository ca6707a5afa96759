package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/internal/testmail"
)

// dmarcXML is a minimal DMARC aggregate report (RFC 7489 Appendix C).
const dmarcXML = `<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <report_metadata><org_name>google.com</org_name><email>noreply-dmarc-support@google.com</email>
  <report_id>1234567890</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata>
  <policy_published><domain>example.net</domain><p>reject</p></policy_published>
  <record><row><source_ip>192.0.2.1</source_ip><count>2</count></row></record>
</feedback>
`

// zipped returns a zip archive holding the named members.
func zipped(t testing.TB, members ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(members); i += 2 {
		w, err := zw.Create(members[i])
		require.NoError(t, err)
		_, err = w.Write([]byte(members[i+1]))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// b64lines is base64 in 76-character lines with CRLF.
func b64lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return out.String() + s + "\r\n"
}

// dmarcAggregateMail is a DMARC aggregate report mail as Google sends
// them: a single application/zip part (or gzip with asGzip).
func dmarcAggregateMail(t testing.TB, asGzip bool) string {
	t.Helper()
	ct, name, body := "application/zip", "google.com!example.net!1700000000!1700086399.zip", zipped(t, "google.com!example.net!1700000000!1700086399.xml", dmarcXML)
	if asGzip {
		ct, name, body = "application/gzip", "google.com!example.net!1700000000!1700086399.xml.gz", gz(t, []byte(dmarcXML))
	}
	return "From: noreply-dmarc-support@google.com\r\nTo: dmarc@example.net\r\n" +
		"Subject: Report domain: example.net Submitter: google.com Report-ID: 1234567890\r\n" +
		"Date: Wed, 15 Nov 2023 00:00:00 +0000\r\nMessage-ID: <dmarc1@google.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"D\"\r\n\r\n" +
		"--D\r\nContent-Type: text/plain\r\n\r\nDMARC aggregate report.\r\n" +
		"--D\r\nContent-Type: " + ct + "; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + b64lines(body) + "--D--\r\n"
}

// dmarcFailureMail is a DMARC failure report (RFC 7489 §7.3): ARF,
// RFC 5965.
const dmarcFailureMail = "From: dmarc-failures@receiver.example\r\nTo: ruf@example.net\r\n" +
	"Subject: FW: Earn money\r\nDate: Wed, 15 Nov 2023 01:00:00 +0000\r\nMessage-ID: <arf1@receiver.example>\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\r\n\r\n" +
	"--A\r\nContent-Type: text/plain\r\n\r\nThis is an authentication failure report for an email message received from IP 192.0.2.1.\r\n" +
	"--A\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: auth-failure\r\nUser-Agent: Lua/1.0\r\n" +
	"Version: 1\r\nOriginal-Mail-From: <spammer@example.net>\r\nAuth-Failure: dmarc\r\nReported-Domain: example.net\r\n\r\n" +
	"--A\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: <ceo@example.net>\r\nSubject: Earn money\r\n\r\n--A--\r\n"

// dsnMail is a delivery status notification (RFC 3464) returning a TLS
// report mail that could not be delivered: the returned report must not
// be read as one.
func dsnMail(t testing.TB) string {
	t.Helper()
	return "From: MAILER-DAEMON@mx.sender.example\r\nTo: tlsrpt@sender.example\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\nDate: Wed, 15 Nov 2023 02:00:00 +0000\r\n" +
		"Message-ID: <dsn1@mx.sender.example>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.sender.example\r\n\r\n" +
		"Final-Recipient: rfc822; tlsrpt@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n" +
		"--B\r\nContent-Type: message/rfc822\r\n\r\n" + testmail.ReportMail(t, "sender.example", testReport("sender.example")) + "\r\n--B--\r\n"
}

// newsletterMail is ordinary mail.
const newsletterMail = "From: news@shop.example\r\nTo: someone@example.net\r\nSubject: =?UTF-8?Q?Gro=C3=9Fe_Angebote?=\r\n" +
	"Date: Wed, 15 Nov 2023 03:00:00 +0000\r\nMessage-ID: <n1@shop.example>\r\n\r\nBuy now.\r\n"
