package mime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/testmail"
	"github.com/go-tlsrpt/tlsrpt/report"
)

var equateAddr = cmpopts.EquateComparable(netip.Addr{})

// fixtureReport is the report inside the testdata/parse fixtures.
func fixtureReport(t testing.TB) *report.Report {
	t.Helper()
	data, err := os.ReadFile("testdata/parse-report.json")
	if err != nil {
		t.Fatal(err)
	}
	r, warns, err := report.Parse(data)
	if err != nil || len(warns) != 0 {
		t.Fatalf("fixture report: %v %v", err, warns)
	}
	return r
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "parse", name+".eml"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// codes returns the sorted mime codes among ws (report decoder codes
// have no "mime-" prefix).
func codes(ws []report.Warning) []tlsrpt.Code {
	var cs []tlsrpt.Code
	for _, w := range ws {
		if strings.HasPrefix(string(w.Code), "mime-") {
			cs = append(cs, w.Code)
		}
	}
	slices.Sort(cs)
	return slices.Compact(cs)
}

// parseTests lists the fixtures of testdata/parse: one per tolerated
// deviation, and the mails that are no TLS report.
var parseTests = []struct {
	name   string
	reason string
	codes  []tlsrpt.Code        // the mime warning codes, sorted
	path   string               // the report's Attachment.Path
	err    error                // errors.Is target; nil for success
	edit   func(*report.Report) // how the report differs from testdata/parse-report.json
}{
	{name: "standard", reason: "RFC 8460 §5.3 shape, CRLF", path: "mime:part[2]"},
	{name: "lf-only", reason: "LF line ends", codes: []tlsrpt.Code{CodeBareLF}, path: "mime:part[2]"},
	{name: "unquoted-params", reason: "boundary=----=_Part_7 unquoted", codes: []tlsrpt.Code{CodeParamSyntax}, path: "mime:part[2]"},
	{name: "html-human-part", reason: "text/html human part", codes: []tlsrpt.Code{CodeHTMLPart}, path: "mime:part[2]"},
	{name: "missing-closing-boundary", reason: "no close delimiter (Mail.ru)", codes: []tlsrpt.Code{CodeMissingClosingBoundary}, path: "mime:part[2]"},
	{name: "base64-no-padding", reason: "base64 without =", codes: []tlsrpt.Code{CodeBase64Padding}, path: "mime:part[2]"},
	{name: "base64-stray-whitespace", reason: "spaces and tabs in base64", codes: []tlsrpt.Code{CodeBase64Garbage}, path: "mime:part[2]"},
	{name: "gzip-label-plain-json", reason: "+gzip label on JSON", codes: []tlsrpt.Code{CodeGzipLabelOnJSON}, path: "mime:part[2]"},
	{name: "json-label-gzip", reason: "+json label on gzip", codes: []tlsrpt.Code{CodeJSONLabelOnGzip}, path: "mime:part[2]"},
	{name: "bare-application-tlsrpt", reason: "application/tlsrpt, no CTE", codes: []tlsrpt.Code{CodeMediaType}, path: "mime:part[2]"},
	{name: "zip-one-member", reason: "application/zip with one JSON member", codes: []tlsrpt.Code{CodeFilename, CodeGenericMediaType, CodeZipArchive}, path: "mime:part[2]"},
	{name: "octet-stream", reason: "application/octet-stream .json.gz", codes: []tlsrpt.Code{CodeGenericMediaType}, path: "mime:part[2]"},
	{name: "by-filename", reason: "unknown media type, .json.gz filename", codes: []tlsrpt.Code{CodeFoundByFilename}, path: "mime:part[2]"},
	{name: "sniffed", reason: "unknown media type, no filename, gzip magic", codes: []tlsrpt.Code{CodeFoundBySniffing, CodeNotMultipartReport}, path: "mime:part[2]"},
	{name: "single-part", reason: "the message body is the report", codes: []tlsrpt.Code{CodeNotMultipartReport}, path: "mime:message"},
	{name: "single-part-json-no-content-type", reason: "JSON body, no MIME header", codes: []tlsrpt.Code{CodeFoundBySniffing, CodeNotMultipartReport}, path: "mime:message"},
	{name: "base64-without-cte", reason: "base64 gzip, no Content-Transfer-Encoding", codes: []tlsrpt.Code{CodeMissingTransferEncoding}, path: "mime:part[2]"},
	{name: "rfc2231-filename", reason: "filename*0*= continuation", path: "mime:part[2]"},
	{name: "nested-forwarded", reason: "report mail attached as message/rfc822", codes: []tlsrpt.Code{CodeForwarded}, path: "mime:part[2].message.part[2]"},
	{name: "header-quirks", reason: "mbox From line, folded Subject, CFWS, RFC 2047 From, month-day Date", codes: []tlsrpt.Code{CodeDate, CodeHeaderSyntax}, path: "mime:part[2]"},
	{name: "nonconforming-headers", reason: "missing TLS-Report-Domain, wrong submitter, free Subject, bad Date and filename",
		codes: []tlsrpt.Code{CodeDate, CodeFilename, CodeMissingReportDomain, CodeSubject, CodeSubmitterMismatch}, path: "mime:part[2]"},
	{name: "no-boundary", reason: "multipart/report without boundary; base64 body", codes: []tlsrpt.Code{CodeGenericMediaType, CodeNoBoundary, CodeNotMultipartReport}, path: "mime:message"},
	{name: "quoted-printable-malformed", reason: "+json part, quoted-printable with a stray =ZZ", codes: []tlsrpt.Code{CodeQuotedPrintable}, path: "mime:part[2]",
		edit: func(r *report.Report) { r.OrganizationName = "Sender =ZZ Inc." }},
	{name: "unknown-transfer-encoding", reason: "Content-Transfer-Encoding: x-identity on JSON", codes: []tlsrpt.Code{CodeUnknownEncoding}, path: "mime:part[2]"},
	{name: "gzip-trailing-data", reason: "text after the gzip member", codes: []tlsrpt.Code{CodeGzipTrailingData}, path: "mime:part[2]"},
	{name: "missing-submitter", reason: "no TLS-Report-Submitter", codes: []tlsrpt.Code{CodeMissingSubmitter}, path: "mime:part[2]"},
	{name: "report-domain-mismatch", reason: "TLS-Report-Domain: other.example", codes: []tlsrpt.Code{CodeReportDomainMismatch}, path: "mime:part[2]"},
	{name: "filename-mismatch", reason: "§5.1 filename with another domain and day", codes: []tlsrpt.Code{CodeFilenameMismatch}, path: "mime:part[2]"},
	{name: "missing-date", reason: "no Date field (RFC 5322 §3.6: required)", codes: []tlsrpt.Code{CodeMissingDate}, path: "mime:part[2]"},
	{name: "report-id-not-msg-id", reason: "Subject Report-ID <2026-11-29T00:00:00Z_x@sys4.example>: \":\" in id-left (sys4 tlsrpt-reporter 0.6)",
		codes: []tlsrpt.Code{CodeReportIDSyntax}, path: "mime:part[2]"},

	{name: "not-report-cron", reason: "cron mail without Content-Type", err: ErrNoReport},
	{name: "not-report-dmarc-aggregate", reason: "DMARC aggregate, application/gzip .xml.gz", err: ErrNoReport},
	{name: "not-report-dmarc-zip", reason: "DMARC aggregate, application/zip .xml.zip", err: ErrNoReport},
	{name: "not-report-dsn", reason: "DSN returning a TLS report mail: no report delivery", err: ErrNoReport},
	{name: "not-report-json-attachment", reason: "an unrelated, broken settings.json", err: ErrNoReport},
	{name: "error-named-octet-stream-broken", reason: "RFC 8460 §5.1 name, octet-stream, broken gzip", err: errPart},
	{name: "error-truncated-gzip", reason: "labelled report, broken gzip", err: errPart},
	{name: "error-zip-two-members", reason: "zip with two JSON members", err: errPart},
}

// errPart stands for "a CodeReportUndecodable error" in parseTests.
var errPart = errors.New("part error")

func TestParseFixtures(t *testing.T) {
	want := fixtureReport(t)
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(bytes.NewReader(readFixture(t, tt.name)))
			switch {
			case tt.err == errPart:
				if d, ok := asCode(err, CodeReportUndecodable); !ok || d.Err == nil || d.Path == "" {
					t.Fatalf("Parse error = %v, want a %s *tlsrpt.Diagnostic with a Path and an Err (%s)", err, CodeReportUndecodable, tt.reason)
				}
				return
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse error = %v, want %v (%s)", err, tt.err, tt.reason)
				}
				return
			case err != nil:
				t.Fatalf("Parse: %v (%s)", err, tt.reason)
			}
			if len(m.Reports) != 1 {
				t.Fatalf("%d reports, want 1", len(m.Reports))
			}
			want := want
			if tt.edit != nil {
				want = fixtureReport(t)
				tt.edit(want)
			}
			if diff := cmp.Diff(want, m.Reports[0], equateAddr); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.codes, codes(m.Warnings)); diff != "" {
				t.Errorf("warning codes (-want +got):\n%s\nwarnings: %v", diff, m.Warnings)
			}
			if got := m.Attachments[0].Path; got != tt.path {
				t.Errorf("Attachment.Path = %q, want %q", got, tt.path)
			}
			for _, w := range m.Warnings {
				if !strings.HasPrefix(w.Path, "mime:") || w.Message == "" {
					t.Errorf("warning without mime path or message: %+v", w)
				}
			}
		})
	}
}

func TestParseHeaderFacts(t *testing.T) {
	tests := []struct {
		name     string
		want     Message
		filename string // of the first report's attachment
	}{
		{"standard", Message{
			ReportDomain: "example.net", Submitter: "sender.example", ReportID: "fixture-2024-03-01@sender.example",
			Subject:   "Report Domain: example.net Submitter: sender.example Report-ID: <fixture-2024-03-01@sender.example>",
			From:      "TLS reports <tlsrpt@sender.example>",
			MessageID: "fixture.standard@sender.example",
			Date:      time.Date(2024, 3, 2, 1, 2, 3, 0, time.UTC), DateText: "Sat, 02 Mar 2024 01:02:03 +0000",
		}, "sender.example!example.net!1709251200!1709337599!001.json.gz"},
		{"header-quirks", Message{
			ReportDomain: "example.net", Submitter: "sender.example", ReportID: "fixture-2024-03-01@sender.example",
			Subject:   "Report Domain: example.net Submitter: sender.example Report-ID: <fixture-2024-03-01@sender.example>",
			From:      "Rapports TLS Été <tlsrpt@sender.example>",
			MessageID: "fixture.quirks@sender.example",
			Date:      time.Date(2024, 3, 2, 1, 2, 3, 0, time.UTC), DateText: "Sat, Mar 02 2024 01:02:03 +0000",
		}, "sender.example!example.net!1709251200!1709337599!001.json.gz"},
		{"rfc2231-filename", Message{
			ReportDomain: "example.net", Submitter: "sender.example", ReportID: "fixture-2024-03-01@sender.example",
			Subject:   "Report Domain: example.net Submitter: sender.example Report-ID: <fixture-2024-03-01@sender.example>",
			From:      "TLS reports <tlsrpt@sender.example>",
			MessageID: "fixture.rfc2231@sender.example",
			Date:      time.Date(2024, 3, 2, 1, 2, 3, 0, time.UTC), DateText: "Sat, 02 Mar 2024 01:02:03 +0000",
		}, "sender.example!example.net!1709251200!1709337599!001.json.gz"},
		{"nested-forwarded", Message{
			ReportDomain: "example.net", Submitter: "sender.example", ReportID: "fixture-2024-03-01@sender.example",
			Subject:   "Report Domain: example.net Submitter: sender.example Report-ID: <fixture-2024-03-01@sender.example>",
			From:      "TLS reports <tlsrpt@sender.example>",
			MessageID: "fixture.inner@sender.example",
			Date:      time.Date(2024, 3, 2, 1, 2, 3, 0, time.UTC), DateText: "Sat, 02 Mar 2024 01:02:03 +0000",
		}, "sender.example!example.net!1709251200!1709337599!001.json.gz"},
		{"nonconforming-headers", Message{
			Submitter: "other.example", Subject: "TLS report fixture-2024-03-01",
			From: "reports@sender.example", DateText: "yesterday",
		}, "report.json.gz"},
	}
	ignore := cmpopts.IgnoreFields(Message{}, "Reports", "Attachments", "Warnings")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(bytes.NewReader(readFixture(t, tt.name)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, m, ignore, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("header facts (-want +got):\n%s", diff)
			}
			if got := m.Attachments[0].Filename; got != tt.filename {
				t.Errorf("Attachments[0].Filename = %q, want %q", got, tt.filename)
			}
		})
	}
}

// TestRoundTrip writes reports with Write and reads them back with Parse.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		edit func(*report.Report, *WriteOptions)
	}{
		{"gzip", nil},
		{"json", func(_ *report.Report, o *WriteOptions) { o.Uncompressed = true }},
		{"non-ascii report-id", func(r *report.Report, _ *WriteOptions) { r.ReportID = "rapport-été@sender.example" }},
		{"long report-id", func(r *report.Report, _ *WriteOptions) { r.ReportID = strings.Repeat("long-", 40) + "@x.example" }},
		{"report-id with spaces", func(r *report.Report, _ *WriteOptions) { r.ReportID = "id with  spaces" }},
		{"report-id looking like encoded-words", func(r *report.Report, _ *WriteOptions) { r.ReportID = "a =?utf-8?q?=41?= b=?x?q?y?=@x.example" }},
		{"msg-id report-id looking like an encoded-word", func(r *report.Report, _ *WriteOptions) { r.ReportID = "=?utf-8?q?=41?=@x.example" }},
		{"report-id with \":\" (sys4 tlsrpt-reporter)", func(r *report.Report, _ *WriteOptions) { r.ReportID = "2026-11-29T00:00:00Z_x@sys4.example" }},
		{"random boundary and ids", func(_ *report.Report, o *WriteOptions) { *o = WriteOptions{From: o.From, To: o.To} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, opts := testReport(), testOptions()
			if tt.edit != nil {
				tt.edit(r, opts)
			}
			var b bytes.Buffer
			if err := Write(&b, r, opts); err != nil {
				t.Fatal(err)
			}
			m, err := Parse(&b)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Reports) != 1 {
				t.Fatalf("%d reports", len(m.Reports))
			}
			if diff := cmp.Diff(r, m.Reports[0], equateAddr, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if len(m.Warnings) != 0 {
				t.Errorf("warnings for a written message: %v", m.Warnings)
			}
			if m.ReportID != subjectReportID(r.ReportID, "mail.sender.example") || m.ReportDomain != "example.net" || m.Submitter != "mail.sender.example" {
				t.Errorf("header facts: report-id %q domain %q submitter %q", m.ReportID, m.ReportDomain, m.Submitter)
			}
		})
	}
}

// TestParseStrict checks that a strict Parser rejects every fixture the
// lenient one accepts with a mime warning, with a *tlsrpt.Diagnostic naming
// one of those warnings, and accepts the conforming ones (RFC 8460 §5.3: a
// missing TLS-Report-Domain or TLS-Report-Submitter, or a submitter that
// is not the contact-info domain, is a strict rejection).
func TestParseStrict(t *testing.T) {
	strict := Parser{Strict: true}
	for _, tt := range parseTests {
		if tt.err != nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			m, err := strict.Parse(bytes.NewReader(readFixture(t, tt.name)))
			if len(tt.codes) == 0 {
				if err != nil {
					t.Fatalf("strict Parse of a conforming message: %v", err)
				}
				if len(m.Warnings) != 0 {
					t.Errorf("warnings %v", m.Warnings)
				}
				return
			}
			var de *tlsrpt.Diagnostic
			if !errors.As(err, &de) {
				t.Fatalf("strict Parse error = %v, want a *tlsrpt.Diagnostic for one of %q", err, tt.codes)
			}
			if m != nil || !slices.Contains(tt.codes, de.Code) || !strings.HasPrefix(de.Path, "mime:") || de.Message == "" {
				t.Errorf("Diagnostic %+v (message %v), want one of %q", de, m, tt.codes)
			}
			if de.Severity != tlsrpt.SeverityError || !strings.Contains(de.Error(), string(de.Code)) {
				t.Errorf("Error() = %q, severity %q", de.Error(), de.Severity)
			}
		})
	}
	t.Run("report decoded strictly", func(t *testing.T) {
		// A conforming message whose report lacks the "Z" of its
		// datetimes: lenient accepts with a report warning, strict fails
		// with the decoder's *tlsrpt.Diagnostic as the Err of the part's.
		var b bytes.Buffer
		if err := Write(&b, testReport(), testOptions()); err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(testReport())
		if err != nil {
			t.Fatal(err)
		}
		loose := bytes.Replace(js, []byte(`00Z"`), []byte(`00"`), 1)
		if bytes.Equal(loose, js) {
			t.Fatal("test report has no datetime to loosen")
		}
		msg := reportMail("application/tlsrpt+json", loose)
		if m, err := Parse(bytes.NewReader(msg)); err != nil || len(m.Warnings) == 0 {
			t.Fatalf("lenient Parse: %v, warnings %v", err, m)
		}
		_, err = strict.Parse(bytes.NewReader(msg))
		part, ok := asCode(err, CodeReportUndecodable)
		if !ok {
			t.Fatalf("strict Parse error = %v, want a %s *tlsrpt.Diagnostic", err, CodeReportUndecodable)
		}
		var de *tlsrpt.Diagnostic
		if !errors.As(part.Err, &de) || de.Code == CodeReportUndecodable || !strings.HasPrefix(de.Path, "date-range") {
			t.Fatalf("strict Parse error = %v, want the report decoder's *tlsrpt.Diagnostic as the part's Err, got %+v", err, de)
		}
	})
}

// TestParseSubjectReportID checks the RFC 5322 §3.6.4 msg-id syntax of
// the Subject's Report-ID (RFC 8460 §5.3): lenient Parse keeps the report
// and warns, strict Parse rejects.
func TestParseSubjectReportID(t *testing.T) {
	std := string(readFixture(t, "standard"))
	const subject = "Report-ID: <fixture-2024-03-01@sender.example>"
	require.Contains(t, std, subject)
	tests := []struct {
		name   string
		reason string
		id     string // what replaces <fixture-2024-03-01@sender.example>
		want   string // Message.ReportID
		codes  []tlsrpt.Code
	}{
		{name: "msg-id", id: "<fixture-2024-03-01@sender.example>", want: "fixture-2024-03-01@sender.example"},
		{name: "google", reason: "Google's form of its report-id", id: "<2020.03.02T00.00.00Z+fastmaildmarc.com@google.com>",
			want: "2020.03.02T00.00.00Z+fastmaildmarc.com@google.com"},
		{name: "domain literal", id: "<x@[192.0.2.1]>", want: "x@[192.0.2.1]"},
		{name: "atext specials", id: "<a!#$%&'*+-/=?^_`{|}~b@x.example>", want: "a!#$%&'*+-/=?^_`{|}~b@x.example"},
		{name: "sys4 colon", reason: "sys4 tlsrpt-reporter 0.6: \":\" in id-left", id: "<2026-11-29T00:00:00Z_x@sys4.example>",
			want: "2026-11-29T00:00:00Z_x@sys4.example", codes: []tlsrpt.Code{CodeReportIDSyntax}},
		{name: "no at sign", id: "<2024-03-01T00.00.00Z_example.net>", want: "2024-03-01T00.00.00Z_example.net", codes: []tlsrpt.Code{CodeReportIDSyntax}},
		{name: "empty id-left", id: "<@sender.example>", want: "@sender.example", codes: []tlsrpt.Code{CodeReportIDSyntax}},
		{name: "double dot", id: "<a..b@sender.example>", want: "a..b@sender.example", codes: []tlsrpt.Code{CodeReportIDSyntax}},
		{name: "quoted id-left", reason: "obs-id-left, which RFC 5322 §3.6.4 says not to generate", id: `<"a b"@sender.example>`,
			want: `"a b"@sender.example`, codes: []tlsrpt.Code{CodeReportIDSyntax}},
		{name: "id-right with colon", id: "<a@sender.example:25>", want: "a@sender.example:25", codes: []tlsrpt.Code{CodeReportIDSyntax}},
		{name: "no angle brackets", reason: "Microsoft; CodeSubject says so, not the msg-id check", id: "133198585438131172+example.net",
			want: "133198585438131172+example.net", codes: []tlsrpt.Code{CodeSubject}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := strings.Replace(std, subject, "Report-ID: "+tt.id, 1)
			m, err := Parse(strings.NewReader(msg))
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, m.ReportID); diff != "" {
				t.Errorf("ReportID (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.codes, codes(m.Warnings)); diff != "" {
				t.Errorf("warning codes (-want +got):\n%s\nwarnings: %v", diff, m.Warnings)
			}
			_, err = (&Parser{Strict: true}).Parse(strings.NewReader(msg))
			var de *tlsrpt.Diagnostic
			if got := errors.As(err, &de); got != (len(tt.codes) > 0) {
				t.Errorf("strict Parse error = %v, want a *tlsrpt.Diagnostic: %v", err, len(tt.codes) > 0)
			}
		})
	}
}

// TestParseChecksEveryReport checks that each report of a mail, not only
// the first, is compared with the header: TLS-Report-Submitter with its
// contact-info domain (RFC 8460 §5.3) and TLS-Report-Domain with its
// policy domains, one warning per report naming its part. The mail is
// validly signed by evil.test, so the warning is all that tells a
// receiver that a report claims another sender.
func TestParseChecksEveryReport(t *testing.T) {
	evil := newSigningKey(t, "evil.test")
	otherDomain := reportFrom("evil.test")
	for i := range otherDomain.Policies {
		otherDomain.Policies[i].Policy.Domain = "other.example"
	}
	type finding struct {
		Code tlsrpt.Code
		Path string
	}
	tests := []struct {
		name    string
		reports []any // *report.Report
		want    []finding
	}{
		{name: "both at the submitter", reports: []any{reportFrom("evil.test"), reportFrom("evil.test")}},
		{name: "second at a subdomain of the submitter", reports: []any{reportFrom("evil.test"), reportFrom("mail.evil.test")},
			want: []finding{{CodeSubmitterMismatch, "mime:part[3]"}}},
		{name: "second at sender.example", reports: []any{reportFrom("evil.test"), reportFrom("sender.example")},
			want: []finding{{CodeSubmitterMismatch, "mime:part[3]"}}},
		{name: "first at sender.example", reports: []any{reportFrom("sender.example"), reportFrom("evil.test")},
			want: []finding{{CodeSubmitterMismatch, "mime:part[2]"}}},
		{name: "both at sender.example", reports: []any{reportFrom("sender.example"), reportFrom("sender.example")},
			want: []finding{{CodeSubmitterMismatch, "mime:part[2]"}, {CodeSubmitterMismatch, "mime:part[3]"}}},
		{name: "third at sender.example", reports: []any{reportFrom("evil.test"), reportFrom("evil.test"), reportFrom("sender.example")},
			want: []finding{{CodeSubmitterMismatch, "mime:part[4]"}}},
		{name: "second for another policy domain", reports: []any{reportFrom("evil.test"), otherDomain},
			want: []finding{{CodeReportDomainMismatch, "mime:part[3]"}}},
		{name: "one report at the submitter", reports: []any{reportFrom("evil.test")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := evil.Sign(t, testmail.ReportMail(t, "evil.test", tt.reports...), time.Time{})
			v, err := Verify(context.Background(), strings.NewReader(msg), &VerifyOptions{Resolver: lookupKeys(evil)})
			require.NoError(t, err)
			require.NotNil(t, v.Authentic(), "evil.test's own signature: %+v", v.Signatures)

			m, err := Parse(strings.NewReader(msg))
			require.NoError(t, err)
			require.Len(t, m.Reports, len(tt.reports))
			var got []finding
			for _, w := range m.Warnings {
				if w.Code == CodeSubmitterMismatch || w.Code == CodeReportDomainMismatch {
					got = append(got, finding{w.Code, w.Path})
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("header mismatch warnings (-want +got):\n%s\nall warnings: %v", diff, m.Warnings)
			}
		})
	}
}
