package mime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/testdkim"
)

// FuzzParse checks that Parse never panics, that every error is one of the
// documented kinds, that a success carries at least one report, and that
// the limits hold.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(readFixture(f, tt.name))
	}
	var b bytes.Buffer
	if err := Write(&b, testReport(), testOptions()); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add(nested(12))
	f.Add([]byte("Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n--x"))
	if files, _ := filepath.Glob(filepath.Join("testdata", "parse", "*.eml")); len(files) != len(parseTests) {
		f.Fatalf("%d fixtures in testdata/parse but %d in parseTests", len(files), len(parseTests))
	}

	p := Parser{MaxMessageSize: 256 << 10, MaxParts: 32, MaxDepth: 6, MaxHeaderSize: 16 << 10, MaxReportSize: 1 << 20}
	strict := p
	strict.Strict = true
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := p.Parse(bytes.NewReader(data))
		if sm, serr := strict.Parse(bytes.NewReader(data)); serr == nil {
			// What the strict Parser accepts, the lenient one accepts
			// without a mime warning.
			if err != nil || len(codes(m.Warnings)) != 0 || len(sm.Reports) != len(m.Reports) {
				t.Fatalf("strict accepted, lenient: %v %v", err, m)
			}
		}
		if int64(len(data)) > p.MaxMessageSize && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("message of %d bytes over the cap: err = %v", len(data), err)
		}
		if err != nil {
			_, part := asCode(err, CodeReportUndecodable)
			limit := false
			for _, c := range []tlsrpt.Code{CodeLimitMessageSize, CodeLimitParts, CodeLimitDepth, CodeLimitHeaderSize, CodeLimitReportSize} {
				if _, ok := asCode(err, c); ok {
					limit = errors.Is(err, ErrTooLarge)
				}
			}
			if !errors.Is(err, ErrNoReport) && !part && !limit {
				t.Fatalf("undocumented error %T: %v", err, err)
			}
			if m != nil {
				t.Fatal("message returned with an error")
			}
			return
		}
		if len(m.Reports) == 0 || len(m.Reports) != len(m.Attachments) {
			t.Fatalf("%d reports, %d attachments", len(m.Reports), len(m.Attachments))
		}
		for _, r := range m.Reports {
			if r == nil {
				t.Fatal("nil report")
			}
		}
	})
}

// FuzzWrite checks that Write either rejects its input with a CodeField error
// or writes a message whose header holds exactly the expected fields (no
// injection from any report field or option), whose lines all end in
// CRLF, every line at most 998 octets long (RFC 5322 §2.1.1), and which
// Parse reads back to the same report.
func FuzzWrite(f *testing.F) {
	r := testReport()
	o := testOptions()
	f.Add(r.OrganizationName, r.ReportID, r.ContactInfo, "example.net", "TLS <tlsrpt@mail.sender.example>", o.To[1], "", o.MessageID)
	f.Add("Org\r\nBcc: x@y", "id\nX: y", "mailto:a@b.example", "bücher.example", "=?utf-8?q?x?= <a@b.example>", "a@b.example\r\nBcc: c@d.example", "x.example\nX: y", "a@b\r\nX: y")
	f.Add("", "rapport-été", "https://x.example/", "EXAMPLE.net.", "\"quoted\\\" name\" <a@[127.0.0.1]>", "<a@b.example>", "sender.example", "<id@x>")
	f.Add("Org\r\n\r\n--tlsrpt-boundary-0001\r\nX: y", "a =?utf-8?q?x?= b", "mailto:tlsrpt@mail.sender.example", "example.net\x00", "a@b.example", "b@c.example", "", "")
	// Values that only fit when folded, or not at all (RFC 5322 §2.1.1).
	long := strings.Repeat("x", 2000)
	f.Add(r.OrganizationName, r.ReportID, r.ContactInfo, "example.net", long+" <a@b.example>", strings.Repeat("Inbox ", 300)+"<c@d.example>", "", long+"@x.example")
	f.Add(long, long+"@x.example", r.ContactInfo, "example.net", strings.Repeat("é", 900)+" <a@b.example>", long+"@d.example", "", "")
	want := []string{"From", "To", "Date", "Message-ID", "Subject", "MIME-Version", "Content-Type",
		"TLS-Report-Domain", "TLS-Report-Submitter", "Auto-Submitted", "TLS-Required"}
	f.Fuzz(func(t *testing.T, org, id, contact, policyDomain, from, to, submitter, msgID string) {
		r := testReport()
		r.OrganizationName, r.ReportID, r.ContactInfo = org, id, contact
		for i := range r.Policies {
			r.Policies[i].Policy.Domain = policyDomain
		}
		opts := testOptions()
		opts.From, opts.To[1], opts.Submitter, opts.MessageID = from, to, submitter, msgID
		var b bytes.Buffer
		if err := Write(&b, r, opts); err != nil {
			if _, ok := asCode(err, CodeField); !ok {
				t.Fatalf("error %T %v is not a %s *tlsrpt.Diagnostic", err, err, CodeField)
			}
			if b.Len() != 0 {
				t.Fatal("bytes written before the error")
			}
			return
		}
		msg := b.Bytes()
		for i, line := range bytes.Split(msg, []byte("\r\n")) {
			if bytes.ContainsAny(line, "\r\n\x00") {
				t.Fatalf("line %d holds a bare CR, LF or NUL: %q", i+1, line)
			}
			if len(line) > hardLineLimit {
				t.Fatalf("line %d is %d octets, over the 998 of RFC 5322 §2.1.1: %.80q…", i+1, len(line), line)
			}
		}
		head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
		var names []string
		for _, line := range strings.Split(string(head), "\r\n") {
			if line == "" || line[0] == ' ' {
				continue
			}
			name, _, _ := strings.Cut(line, ":")
			names = append(names, name)
		}
		if !slices.Equal(names, want) {
			t.Fatalf("header fields %q", names)
		}
		m, err := Parse(&b)
		if err != nil {
			t.Fatalf("Parse of written message: %v", err)
		}
		if m.Reports[0].ReportID != id || m.Reports[0].OrganizationName != org || m.ReportID != subjectReportID(id, m.Submitter) || !isMsgID(m.ReportID) {
			t.Fatalf("round trip: report-id %q/%q org %q", m.Reports[0].ReportID, m.ReportID, m.Reports[0].OrganizationName)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].Path != "mime:part[2]" {
			t.Fatalf("report found in %+v, want only mime:part[2]", m.Attachments)
		}
	})
}

// FuzzVerify checks that Verify never panics on untrusted messages,
// reports one result per DKIM-Signature field it recognises, and checks
// the message Parse takes the reports from: the mail itself when Parse
// finds them there, the attached message Parse warns about
// (CodeForwarded) otherwise, none when there are several.
func FuzzVerify(f *testing.F) {
	key := testdkim.Ed25519(f, "sender.example", testSelector)
	opts := testOptions()
	opts.DKIM = &DKIMOptions{Domain: key.Domain, Selector: key.Selector, Signer: key.Signer}
	var b bytes.Buffer
	if err := Write(&b, testReport(), opts); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte("DKIM-Signature: v=1; d=; s=; l=; h=from\r\nDKIM-Signature\r\nFrom: a@b\r\n\r\nx"))
	f.Add(readFixture(f, "header-quirks"))
	f.Add(readFixture(f, "nested-forwarded"))
	f.Add([]byte(forward("evil.test", b.String())))
	f.Add([]byte(forward("", b.String(), "Content-Type: application/tlsrpt+json\r\n\r\n{\"policies\":[]}")))
	lookup := func(_ context.Context, name string) ([]string, error) {
		if name == key.TXTName() {
			return []string{key.Record + "; s=email:tlsrpt"}, nil
		}
		return nil, errors.New("nxdomain")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Verify(context.Background(), bytes.NewReader(data), &VerifyOptions{Resolver: txtFunc(lookup), MaxMessageSize: 64 << 10})
		if err != nil {
			return
		}
		for _, s := range v.Signatures {
			if s.Err == nil && s.Services == nil {
				t.Fatalf("verified signature without a key record: %+v", s)
			}
			if s.ServiceTLSRPT && s.ServiceEmailOnly {
				t.Fatalf("tlsrpt and email-only at once: %+v", s)
			}
		}
		if v.Carrier == "" && (len(v.Signatures) != 0 || v.Authentic() != nil) {
			t.Fatalf("signatures without a carrying message: %+v", v)
		}
		m, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		var forwarded []string
		for _, w := range m.Warnings {
			if w.Code == CodeForwarded {
				forwarded = append(forwarded, w.Path)
			}
		}
		switch v.Carrier {
		case "mime:message":
			if len(forwarded) != 0 {
				t.Fatalf("Verify checked the mail itself, Parse took reports from %q", forwarded)
			}
		case "":
			if len(forwarded) == 0 {
				t.Fatal("reports in several messages, none of them attached")
			}
		default:
			if !slices.Equal(forwarded, []string{v.Carrier}) {
				t.Fatalf("Verify checked %s, Parse took reports from %q", v.Carrier, forwarded)
			}
		}
	})
}

// FuzzDecodeQP checks the lenient quoted-printable decoder against
// mime/quotedprintable: where the standard decoder accepts the input
// without taking a stray "=" literally, both give the same bytes.
func FuzzDecodeQP(f *testing.F) {
	for _, s := range []string{"a=3Db\r\n", "soft=\r\nbreak", "x  \r\ny", "A =ZZ B", "=", "caf=C3=A9=\n", "\x00=0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, bad := decodeQP(in)
		if len(got) > len(in) {
			t.Fatalf("decoded %d bytes from %d", len(got), len(in))
		}
		want, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(in)))
		if err != nil || bad != "" {
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("decodeQP(%q) = %q, mime/quotedprintable gives %q", in, got, want)
		}
	})
}
