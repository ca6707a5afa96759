package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/testmail"
)

// outcome is what a read test compares.
type outcome struct {
	Format  Format
	Fate    Fate
	Kind    Kind
	Reports int
}

func TestRead(t *testing.T) {
	js := reportJSON(t, testReport("google.com"))
	mail := testmail.ReportMail(t, "google.com", testReport("google.com"))
	gzMail := "From: a@google.com\r\nTLS-Report-Submitter: google.com\r\nSubject: r\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=tlsrpt; boundary=\"G\"\r\n\r\n--G\r\nContent-Type: text/plain\r\n\r\nx\r\n" +
		"--G\r\nContent-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64lines(gz(t, js)) + "--G--\r\n"
	bomb := gz(t, append(append([]byte(`{"policies":[`), bytes.Repeat([]byte(" "), 40<<20)...), ']', '}'))
	tests := []struct {
		name, reason string
		in           []byte
		reader       Reader
		want         outcome
	}{
		{name: "json", reason: "a bare report", in: js, want: outcome{FormatJSON, FateReport, "", 1}},
		{name: "json with BOM and space", reason: "sniffed after the BOM", in: append([]byte("\xef\xbb\xbf \n"), js...), want: outcome{FormatJSON, FateReport, "", 1}},
		{name: "json.gz", reason: "gzip magic", in: gz(t, js), want: outcome{FormatGzip, FateReport, "", 1}},
		{name: "zip of two reports", reason: "each member a report", in: zipped(t, "a.json", string(js), "b.json.gz", string(gz(t, js)), "README", "hello"),
			want: outcome{FormatZip, FateReport, "", 2}},
		{name: "zip of DMARC XML", reason: "a DMARC aggregate report archive", in: zipped(t, "r.xml", dmarcXML), want: outcome{FormatZip, FateNotReport, KindDMARCAggregate, 0}},
		{name: "zip of nothing useful", reason: "no report in it", in: zipped(t, "x.txt", "hello"), want: outcome{FormatZip, FateMalformed, "", 0}},
		{name: "xml", reason: "a DMARC aggregate report file", in: []byte(dmarcXML), want: outcome{FormatXML, FateNotReport, KindDMARCAggregate, 0}},
		{name: "xml.gz", reason: "gzip of DMARC XML", in: gz(t, []byte(dmarcXML)), want: outcome{FormatGzip, FateNotReport, KindDMARCAggregate, 0}},
		{name: "other xml", reason: "not DMARC", in: []byte("<html></html>"), want: outcome{FormatXML, FateMalformed, "", 0}},
		{name: "garbage", reason: "neither mail nor JSON", in: []byte("\x00\x01binary"), want: outcome{FormatUnknown, FateMalformed, "", 0}},
		{name: "empty", reason: "nothing", in: nil, want: outcome{FormatUnknown, FateMalformed, "", 0}},
		{name: "json not a report", reason: "no RFC 8460 member", in: []byte(`{"hello":"world"}`), want: outcome{FormatJSON, FateMalformed, "", 0}},
		{name: "json without date-range", reason: "cannot be put on a day; kept it would count on 0001-01-01",
			in: bytes.Replace(js, []byte(`"date-range"`), []byte(`"x-date-range"`), 1), want: outcome{FormatJSON, FateMalformed, "", 0}},
		{name: "mail without date-range", reason: "the same rule for a mailed report",
			in:     []byte(testmail.ReportMail(t, "google.com", json.RawMessage(bytes.Replace(js, []byte(`"date-range"`), []byte(`"x-date-range"`), 1)))),
			reader: Reader{NoDKIM: true}, want: outcome{FormatMail, FateMalformed, "", 0}},
		{name: "truncated gzip", reason: "a cut stream is malformed", in: gz(t, js)[:40], want: outcome{FormatGzip, FateMalformed, "", 0}},
		{name: "gzip bomb", reason: "stops at MaxReportSize", in: bomb, reader: Reader{MaxReportSize: 1 << 20}, want: outcome{FormatGzip, FateTooLarge, "", 0}},
		{name: "too large input", reason: "MaxMessageSize", in: js, reader: Reader{MaxMessageSize: 100}, want: outcome{FormatJSON, FateTooLarge, "", 0}},
		{name: "mail", reason: "a report mail", in: []byte(mail), reader: Reader{NoDKIM: true}, want: outcome{FormatMail, FateReport, "", 1}},
		{name: "mail with mbox From line", reason: "an exported message", in: []byte("From tlsrpt@google.com Sat Mar  2 01:02:03 2024\n" + strings.ReplaceAll(mail, "\r\n", "\n")),
			reader: Reader{NoDKIM: true}, want: outcome{FormatMail, FateReport, "", 1}},
		{name: "gzip mail", reason: "base64 gzip part", in: []byte(gzMail), reader: Reader{NoDKIM: true}, want: outcome{FormatMail, FateReport, "", 1}},
		{name: "truncated mail", reason: "cut inside the base64 gzip part", in: []byte(gzMail[:len(gzMail)/2+100]), reader: Reader{NoDKIM: true}, want: outcome{FormatMail, FateMalformed, "", 0}},
		{name: "header only", reason: "a mail cut after its header", in: []byte("From: a@b.example\r\nSubject: x\r\n"), want: outcome{FormatMail, FateNotReport, KindOther, 0}},
		{name: "DMARC aggregate zip mail", reason: "told apart from TLS reports", in: []byte(dmarcAggregateMail(t, false)), want: outcome{FormatMail, FateNotReport, KindDMARCAggregate, 0}},
		{name: "DMARC aggregate gzip mail", reason: "told apart from TLS reports", in: []byte(dmarcAggregateMail(t, true)), want: outcome{FormatMail, FateNotReport, KindDMARCAggregate, 0}},
		{name: "DMARC failure", reason: "ARF", in: []byte(dmarcFailureMail), want: outcome{FormatMail, FateNotReport, KindDMARCFailure, 0}},
		{name: "DSN returning a report", reason: "a bounce is no report", in: []byte(dsnMail(t)), want: outcome{FormatMail, FateNotReport, KindDSN, 0}},
		{name: "newsletter", reason: "other mail", in: []byte(newsletterMail), want: outcome{FormatMail, FateNotReport, KindOther, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.reader.Read(context.Background(), bytes.NewReader(tt.in))
			got := outcome{res.Format, res.Fate, res.Kind, len(res.Reports)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s\nerr: %v", tt.reason, diff, res.Err)
			}
			if (res.Fate == FateTooLarge) != errors.Is(res.Err, tlsrpt.ErrTooLarge) {
				t.Errorf("fate %s with err %v", res.Fate, res.Err)
			}
			if (res.Err != nil) != (res.Fate == FateTooLarge || res.Fate == FateMalformed || res.Fate == FateUnreadable) {
				t.Errorf("fate %s with err %v", res.Fate, res.Err)
			}
			for _, r := range res.Reports {
				if res.Format != FormatMail && (r.Trust.Verdict != VerdictUntrusted || r.Trust.Reasons[0].Code != CodeNotMail) {
					t.Errorf("file report trust %v", r.Trust)
				}
			}
		})
	}
}

func TestReadFacts(t *testing.T) {
	res := new(Reader).Read(context.Background(), strings.NewReader(newsletterMail))
	want := &Facts{From: "news@shop.example", Subject: "Große Angebote", MessageID: "n1@shop.example", Date: res.Mail.Date}
	if diff := cmp.Diff(want, res.Mail); diff != "" || res.Mail.Date.IsZero() {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
	res = (&Reader{NoDKIM: true}).Read(context.Background(), strings.NewReader(testmail.ReportMail(t, "google.com", testReport("google.com"))))
	if res.Mail.Submitter != "google.com" || res.Mail.ReportDomain != "example.net" || res.Mail.ReportID != "r1@google.com" {
		t.Errorf("report facts %+v", res.Mail)
	}
}

// failingReader fails after some bytes.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	n := min(len(p), f.n)
	for i := range p[:n] {
		p[i] = 'x'
	}
	f.n -= n
	return n, nil
}

func TestReadUnreadable(t *testing.T) {
	res := new(Reader).Read(context.Background(), &failingReader{n: 10})
	if res.Fate != FateUnreadable || res.Final() {
		t.Errorf("fate %s, final %v", res.Fate, res.Final())
	}
}
