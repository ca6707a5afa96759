package mime

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	stdmime "mime"
	"mime/multipart"
	netmail "net/mail"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/golden"
	"github.com/go-tlsrpt/tlsrpt/internal/testdkim"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// testReport returns a report for example.net with two policies (sts and
// no-policy-found) and three failure details.
func testReport() *report.Report {
	return &report.Report{
		OrganizationName: "Sender Ärger Inc.",
		DateRange: report.DateRange{
			Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2024, 3, 1, 23, 59, 59, 0, time.UTC),
		},
		ContactInfo: "mailto:tlsrpt@mail.sender.example",
		ReportID:    "2024-03-01T00:00:00Z_example.net",
		Policies: []report.PolicyResult{
			{
				Policy: policy.Policy{
					Type:    policy.TypeSTS,
					Strings: []string{"version: STSv1", "mode: enforce", "mx: mx1.example.net", "max_age: 86400"},
					Domain:  "example.net",
					MXHosts: []string{"mx1.example.net"},
				},
				Summary: report.Summary{TotalSuccessfulSessionCount: 5326, TotalFailureSessionCount: 303},
				FailureDetails: []report.FailureDetail{
					{
						ResultType:          report.ResultCertificateExpired,
						SendingMTAIP:        netip.MustParseAddr("2001:db8::25"),
						ReceivingMXHostname: "mx1.example.net",
						ReceivingIP:         netip.MustParseAddr("192.0.2.10"),
						FailedSessionCount:  200,
					},
					{
						ResultType:         report.ResultSTARTTLSNotSupported,
						SendingMTAIP:       netip.MustParseAddr("198.51.100.7"),
						FailedSessionCount: 3,
						FailureReasonCode:  "500 5.5.1 unknown command",
					},
					{
						ResultType:          report.ResultCertificateExpired,
						ReceivingMXHostname: "mx2.example.net",
						FailedSessionCount:  100,
					},
				},
			},
			{
				Policy:  policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.net"},
				Summary: report.Summary{TotalSuccessfulSessionCount: 12},
			},
		},
	}
}

// testOptions returns deterministic options.
func testOptions() *WriteOptions {
	return &WriteOptions{
		From:      "TLS Reports <tlsrpt@mail.sender.example>",
		To:        []string{"tlsrpt@example.net", "Second Inbox <reports@analyzer.example>"},
		Date:      time.Date(2024, 3, 2, 1, 2, 3, 0, time.UTC),
		MessageID: "20240302010203.abc@mail.sender.example",
		Boundary:  "tlsrpt-boundary-0001",
		UniqueID:  "001",
	}
}

func writeString(t testing.TB, r *report.Report, opts *WriteOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, opts); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return b.String()
}

func TestWriteGolden(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*report.Report, *WriteOptions)
		golden string
	}{
		{name: "gzip", golden: "write-gzip.golden"},
		{name: "json", golden: "write-json.golden", edit: func(_ *report.Report, o *WriteOptions) { o.Uncompressed = true }},
		{name: "ascii summary, long report-id folded", golden: "write-folded.golden", edit: func(r *report.Report, o *WriteOptions) {
			r.OrganizationName = "Sender Inc."
			r.ReportID = "a-rather-long-report-identifier-0123456789@reports.mail.sender.example"
			r.Policies = r.Policies[1:]
			o.Uncompressed = true
		}},
		{name: "non-ascii report-id encoded", golden: "write-rfc2047.golden", edit: func(r *report.Report, o *WriteOptions) {
			r.ReportID = "rapport-été-2024@mail.sender.example"
			r.Policies = r.Policies[1:]
			o.Uncompressed = true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, opts := testReport(), testOptions()
			if tt.edit != nil {
				tt.edit(r, opts)
			}
			got := writeString(t, r, opts)
			golden.Check(t, filepath.Join("testdata", tt.golden), got, *update)
			checkWireFormat(t, got)
		})
	}
}

// checkWireFormat asserts CRLF-only line ends, line lengths within
// RFC 5322 §2.1.1 and the header fields RFC 8460 §5.3 requires.
func checkWireFormat(t *testing.T, msg string) {
	t.Helper()
	if strings.Contains(strings.ReplaceAll(msg, "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(msg, "\r\n", ""), "\r") {
		t.Error("message has a bare CR or LF")
	}
	for i, line := range strings.Split(msg, "\r\n") {
		if len(line) > hardLineLimit || len(line) > lineLimit && !strings.Contains(line, "filename=") && !strings.HasPrefix(line, " h=") {
			t.Errorf("line %d is %d characters long: %q", i+1, len(line), line)
		}
	}
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	unfolded := strings.ReplaceAll(head, "\r\n ", " ")
	for _, f := range []string{"From: ", "To: ", "Date: ", "Message-ID: <", "MIME-Version: 1.0", "Subject: Report Domain: ",
		"TLS-Report-Domain: ", "TLS-Report-Submitter: ", "Auto-Submitted: auto-generated", "TLS-Required: No",
		`Content-Type: multipart/report; report-type="tlsrpt"; boundary=`} {
		if !strings.Contains("\r\n"+unfolded, "\r\n"+f) {
			t.Errorf("header lacks %q", f)
		}
	}
}

func TestWriteSubjectFolding(t *testing.T) {
	r, opts := testReport(), testOptions()
	r.ReportID = strings.Repeat("x", 60) + "@" + strings.Repeat("y", 20) + ".example"
	msg := writeString(t, r, opts)
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	var subject string
	for _, f := range strings.Split(strings.ReplaceAll(head, "\r\n ", "\x00 "), "\r\n") {
		if strings.HasPrefix(f, "Subject:") {
			subject = f
		}
	}
	if !strings.Contains(subject, "\x00") {
		t.Fatalf("long Subject not folded: %q", subject)
	}
	want := "Subject: Report Domain: example.net Submitter: mail.sender.example Report-ID: <" + r.ReportID + ">"
	if got := strings.ReplaceAll(subject, "\x00", ""); got != want {
		t.Errorf("unfolded Subject = %q, want %q", got, want)
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*report.Report, *WriteOptions)
		field string
	}{
		{"two policy domains", func(r *report.Report, _ *WriteOptions) { r.Policies[1].Policy.Domain = "other.example" }, "report.policies[1].policy.policy-domain"},
		{"no policies", func(r *report.Report, _ *WriteOptions) { r.Policies = nil }, "report.policies"},
		{"empty policy domain", func(r *report.Report, _ *WriteOptions) { r.Policies[0].Policy.Domain = "" }, "report.policies[0].policy.policy-domain"},
		{"policy domain injection", func(r *report.Report, _ *WriteOptions) {
			r.Policies[0].Policy.Domain = "example.net\r\nBcc: victim@example.org"
		}, "report.policies[0].policy.policy-domain"},
		{"no contact-info", func(r *report.Report, _ *WriteOptions) { r.ContactInfo = "" }, "report.contact-info"},
		{"contact-info without a domain", func(r *report.Report, _ *WriteOptions) { r.ContactInfo = "tel:+1-555-0100" }, "report.contact-info"},
		{"https contact-info outside the submitter", func(r *report.Report, o *WriteOptions) {
			r.ContactInfo, o.Submitter = "https://reports.example/tlsrpt", "sender.example"
		}, "WriteOptions.Submitter"},
		{"contact-info without domain", func(r *report.Report, _ *WriteOptions) { r.ContactInfo = "mailto:postmaster" }, "report.contact-info"},
		{"submitter differs from contact-info", func(_ *report.Report, o *WriteOptions) { o.Submitter = "other.example" }, "WriteOptions.Submitter"},
		{"submitter with CR", func(r *report.Report, o *WriteOptions) {
			r.ContactInfo = "https://x.example/"
			o.Submitter = "a.example\rX: y"
		}, "WriteOptions.Submitter"},
		{"report-id with LF", func(r *report.Report, _ *WriteOptions) { r.ReportID = "id\nBcc: victim@example.org" }, "report.report-id"},
		{"report-id with NUL", func(r *report.Report, _ *WriteOptions) { r.ReportID = "id\x00" }, "report.report-id"},
		{"report-id empty", func(r *report.Report, _ *WriteOptions) { r.ReportID = "" }, "report.report-id"},
		{"report-id too long", func(r *report.Report, _ *WriteOptions) { r.ReportID = strings.Repeat("z", 1000) }, "report.report-id"},
		{"zero date range", func(r *report.Report, _ *WriteOptions) { r.DateRange = report.DateRange{} }, "report.date-range"},
		{"end before start", func(r *report.Report, _ *WriteOptions) { r.DateRange.End = r.DateRange.Start.Add(-time.Hour) }, "report.date-range"},
		{"from not an address", func(_ *report.Report, o *WriteOptions) { o.From = "TLS reports" }, "WriteOptions.From"},
		{"from empty", func(_ *report.Report, o *WriteOptions) { o.From = "" }, "WriteOptions.From"},
		{"from injection", func(_ *report.Report, o *WriteOptions) { o.From = "a@b.example\r\nBcc: c@d.example" }, "WriteOptions.From"},
		{"from non-ascii local part", func(_ *report.Report, o *WriteOptions) { o.From = "rapporté@b.example" }, "WriteOptions.From"},
		{"no recipients", func(_ *report.Report, o *WriteOptions) { o.To = nil }, "WriteOptions.To"},
		{"recipient list in one entry", func(_ *report.Report, o *WriteOptions) { o.To = []string{"a@b.example, c@d.example"} }, "WriteOptions.To[0]"},
		{"recipient not an address", func(_ *report.Report, o *WriteOptions) { o.To = []string{"a@b.example", "nobody"} }, "WriteOptions.To[1]"},
		{"bad message-id", func(_ *report.Report, o *WriteOptions) { o.MessageID = "no at sign" }, "WriteOptions.MessageID"},
		{"bad boundary", func(_ *report.Report, o *WriteOptions) { o.Boundary = "bad\"boundary" }, "WriteOptions.Boundary"},
		{"boundary in summary", func(r *report.Report, o *WriteOptions) {
			r.OrganizationName = "--" + o.Boundary
		}, "WriteOptions.Boundary"},
		{"bad unique-id", func(_ *report.Report, o *WriteOptions) { o.UniqueID = "a-b" }, "WriteOptions.UniqueID"},
		{"organization-name not UTF-8", func(r *report.Report, _ *WriteOptions) { r.OrganizationName = "Sender \xff Inc." }, "report"},
		{"dkim domain unaligned", func(_ *report.Report, o *WriteOptions) {
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			o.DKIM = &DKIMOptions{Domain: "elsewhere.example", Selector: "s", Signer: k}
		}, "DKIMOptions.Domain"},
		{"dkim no selector", func(_ *report.Report, o *WriteOptions) {
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			o.DKIM = &DKIMOptions{Domain: "sender.example", Signer: k}
		}, "DKIMOptions.Selector"},
		{"dkim no key", func(_ *report.Report, o *WriteOptions) {
			o.DKIM = &DKIMOptions{Domain: "sender.example", Selector: "s"}
		}, "DKIMOptions.Signer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, opts := testReport(), testOptions()
			tt.edit(r, opts)
			var b bytes.Buffer
			err := Write(&b, r, opts)
			fe, ok := asCode(err, CodeField)
			if !ok {
				t.Fatalf("Write error = %v, want a %s *tlsrpt.Diagnostic", err, CodeField)
			}
			if fe.Path != tt.field || fe.Severity != tlsrpt.SeverityError || fe.Message == "" {
				t.Errorf("Diagnostic %+v, want Path %q, Severity error and a Message (%v)", fe, tt.field, err)
			}
			if b.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing", b.Len())
			}
		})
	}
}

// TestWriteAttachmentIsMarshal checks that the attachment is
// json.Marshal(r), plain or gzip-compressed: at gzip.BestSpeed up to
// fastGzipMax bytes of JSON, at gzip.DefaultCompression above.
func TestWriteAttachmentIsMarshal(t *testing.T) {
	large := testReport()
	fd := large.Policies[0].FailureDetails
	for len(fd)*100 < 2*fastGzipMax {
		fd = append(fd, large.Policies[0].FailureDetails...)
	}
	large.Policies[0].FailureDetails = fd
	escapes := testReport()
	escapes.OrganizationName = "<Sender & Co> \u2028\u2029 \"quoted\" \x01"
	tests := []struct {
		name         string
		r            *report.Report
		uncompressed bool
		xfl          byte // gzip header XFL (RFC 1952 §2.3.1): 4 fastest, 0 default level
	}{
		{name: "typical, gzip", r: testReport(), xfl: 4},
		{name: "typical, uncompressed", r: testReport(), uncompressed: true},
		{name: "HTML and line separator escapes, gzip", r: escapes, xfl: 4},
		{name: "HTML and line separator escapes, uncompressed", r: escapes, uncompressed: true},
		{name: "large, gzip", r: large, xfl: 0},
		{name: "large, uncompressed", r: large, uncompressed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.r)
			require.NoError(t, err)
			if strings.HasPrefix(tt.name, "large") && len(want) <= fastGzipMax {
				t.Fatalf("large report has %d bytes of JSON, want more than %d", len(want), fastGzipMax)
			}
			opts := testOptions()
			opts.Uncompressed = tt.uncompressed
			var b bytes.Buffer
			require.NoError(t, Write(&b, tt.r, opts))
			msg, err := netmail.ReadMessage(&b)
			require.NoError(t, err)
			_, params, err := stdmime.ParseMediaType(msg.Header.Get("Content-Type"))
			require.NoError(t, err)
			mr := multipart.NewReader(msg.Body, params["boundary"])
			var got []byte
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				if !strings.HasPrefix(p.Header.Get("Content-Type"), "application/tlsrpt") {
					continue
				}
				got, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
				require.NoError(t, err)
			}
			if !tt.uncompressed {
				if len(got) < 10 || got[8] != tt.xfl {
					t.Fatalf("gzip header % x, want XFL %d", got[:min(len(got), 10)], tt.xfl)
				}
				zr, err := gzip.NewReader(bytes.NewReader(got))
				require.NoError(t, err)
				got, err = io.ReadAll(zr)
				require.NoError(t, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("attachment differs from json.Marshal:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestWriteSubmitterDerivation(t *testing.T) {
	tests := []struct {
		contact, explicit, want string
	}{
		{"mailto:tlsrpt@Mail.Sender.Example", "", "mail.sender.example"},
		{"MAILTO:tlsrpt@sender.example?subject=x", "", "sender.example"},
		{"mailto:a%40b@sender.example,other@x.example", "", "sender.example"},
		{"tlsrpt@sender.example", "", "sender.example"},
		{"mailto:tlsrpt@bücher.example", "", "xn--bcher-kva.example"},
		{"https://reports.sender.example/tlsrpt", "sender.example", "sender.example"},
		{"https://reports.sender.example/tlsrpt", "", "reports.sender.example"},
		{"mailto:tlsrpt@sender.example", "SENDER.example", "sender.example"},
	}
	for _, tt := range tests {
		t.Run(tt.contact, func(t *testing.T) {
			r, opts := testReport(), testOptions()
			r.ContactInfo, opts.Submitter = tt.contact, tt.explicit
			msg := writeString(t, r, opts)
			if !strings.Contains(msg, "\r\nTLS-Report-Submitter: "+tt.want+"\r\n") {
				t.Errorf("TLS-Report-Submitter is not %q", tt.want)
			}
			if !strings.Contains(msg, `filename="`+tt.want+"!example.net!1709251200!1709337599!001.json.gz") {
				t.Errorf("filename does not start with the submitter %q", tt.want)
			}
		})
	}
}

// testKey is a DKIM key of sender.example under testSelector, with a
// name for subtests.
type testKey struct {
	name string
	testdkim.Key
}

// testKeys returns an RSA-2048 and an Ed25519 key, in that order.
func testKeys(t testing.TB) []testKey {
	t.Helper()
	return []testKey{
		{"rsa2048", testdkim.RSA(t, "sender.example", testSelector, 2048)},
		{"ed25519", testdkim.Ed25519(t, "sender.example", testSelector)},
	}
}

const testSelector = "tlsrpt2024"

func signedMessage(t *testing.T, k testKey) string {
	t.Helper()
	opts := testOptions()
	opts.DKIM = &DKIMOptions{Domain: "sender.example", Selector: testSelector, Signer: k.Signer}
	msg := writeString(t, testReport(), opts)
	checkWireFormat(t, msg)
	return msg
}

func TestWriteDKIMGoMsgauth(t *testing.T) {
	for _, k := range testKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			msg := signedMessage(t, k)
			lookups := 0
			vs, err := dkim.VerifyWithOptions(strings.NewReader(msg), &dkim.VerifyOptions{
				LookupTXT: func(name string) ([]string, error) {
					lookups++
					if name != testSelector+"._domainkey.sender.example" {
						return nil, errors.New("no such name " + name)
					}
					return []string{k.Record}, nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 1 || lookups != 1 {
				t.Fatalf("got %d verifications after %d lookups, want 1 and 1", len(vs), lookups)
			}
			if vs[0].Err != nil {
				t.Fatalf("signature does not verify: %v", vs[0].Err)
			}
			if vs[0].Domain != "sender.example" {
				t.Errorf("d= %q", vs[0].Domain)
			}
			for _, h := range []string{"from", "to", "subject", "date", "message-id", "tls-report-domain", "tls-report-submitter", "mime-version", "content-type", "auto-submitted", "tls-required"} {
				if !slices.ContainsFunc(vs[0].HeaderKeys, func(s string) bool { return strings.EqualFold(s, h) }) {
					t.Errorf("h= lacks %s: %v", h, vs[0].HeaderKeys)
				}
			}
			// RFC 8460 §3: never l=. Unfold, then look at every tag name.
			sig, _, _ := strings.Cut(msg, "\r\nFrom:")
			if !strings.HasPrefix(sig, "DKIM-Signature:") || strings.Count(msg, "DKIM-Signature:") != 1 {
				t.Fatalf("message does not start with its one DKIM-Signature:\n%s", sig)
			}
			var tags []string
			for _, tag := range strings.Split(strings.Join(strings.Fields(strings.TrimPrefix(sig, "DKIM-Signature:")), ""), ";") {
				name, _, _ := strings.Cut(tag, "=")
				tags = append(tags, name)
			}
			if slices.Contains(tags, "l") || !slices.Contains(tags, "h") || !slices.Contains(tags, "bh") {
				t.Errorf("signature tags %q: want h= and bh=, never l=", tags)
			}

			// A changed TLS-Report-Domain must break the signature.
			tampered := strings.Replace(msg, "TLS-Report-Domain: example.net", "TLS-Report-Domain: evil.example", 1)
			vs, err = dkim.VerifyWithOptions(strings.NewReader(tampered), &dkim.VerifyOptions{
				LookupTXT: func(string) ([]string, error) { return []string{k.Record}, nil },
			})
			if err != nil || len(vs) != 1 || vs[0].Err == nil {
				t.Errorf("tampered message verifies: %v %v", err, vs)
			}
		})
	}
}

// dkimpyScript verifies each case of the JSON list on stdin with dkimpy,
// serving the case's key record, and prints one result per line.
const dkimpyScript = `
import json, sys, dkim
for c in json.load(sys.stdin):
    def dnsfunc(name, timeout=5, c=c):
        if name.rstrip(b".").decode() == c["name"]:
            return c["record"].encode()
        return None
    tlsrpt = "strict" if c["mode"] == "strict" else (c["mode"] == "true")
    ok = dkim.verify(c["msg"].encode(), dnsfunc=dnsfunc, tlsrpt=tlsrpt)
    print("pass" if ok else "fail")
`

// dkimpyCase is one message for dkimpy with the key record to serve.
type dkimpyCase struct {
	Name   string `json:"name"`
	Record string `json:"record"`
	Mode   string `json:"mode"` // "", "true" or "strict": dkimpy's tlsrpt argument
	Msg    string `json:"msg"`
	want   string
	what   string
}

// dkimpyVerify runs all cases in one dkimpy process (Python start-up is
// the slow part) and returns "pass" or "fail" for each.
func dkimpyVerify(t *testing.T, cases []dkimpyCase) []string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import dkim").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("dkimpy (python3-dkim) is required under CI: %v", err)
		}
		t.Skipf("dkimpy not installed (apt-get install python3-dkim): %v", err)
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", dkimpyScript)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dkimpy: %v\n%s", err, out)
	}
	res := strings.Fields(string(out))
	if len(res) != len(cases) {
		t.Fatalf("dkimpy printed %q for %d cases", out, len(cases))
	}
	return res
}

// TestWriteDKIMpy verifies written signatures with an independent
// verifier, Debian's dkimpy, in its RFC 8460 modes.
func TestWriteDKIMpy(t *testing.T) {
	name := testSelector + "._domainkey.sender.example"
	var cases []dkimpyCase
	for _, k := range testKeys(t) {
		msg := signedMessage(t, k)
		tampered := strings.Replace(msg, "TLS-Report-Submitter: mail.sender.example", "TLS-Report-Submitter: mail.evil.example", 1)
		cases = append(cases,
			dkimpyCase{Name: name, Record: k.Record, Mode: "true", Msg: msg, want: "pass", what: k.name + " tlsrpt=True"},
			// RFC 8460 §3: a key restricted to s=tlsrpt, dkimpy's strict mode.
			dkimpyCase{Name: name, Record: k.Record + "; s=tlsrpt", Mode: "strict", Msg: msg, want: "pass", what: k.name + " tlsrpt=strict s=tlsrpt"},
			dkimpyCase{Name: name, Record: k.Record, Mode: "true", Msg: tampered, want: "fail", what: k.name + " tampered TLS-Report-Submitter"},
		)
	}
	for i, got := range dkimpyVerify(t, cases) {
		if got != cases[i].want {
			t.Errorf("dkimpy %s: %s, want %s", cases[i].what, got, cases[i].want)
		}
	}
}

// TestWriteULabelDomain checks that a U-label policy domain reaches the
// header, the filename and the JSON as the same A-label (RFC 8460 §4.4,
// §5.1).
func TestWriteULabelDomain(t *testing.T) {
	r, opts := testReport(), testOptions()
	for i := range r.Policies {
		r.Policies[i].Policy.Domain = "Bücher.example"
	}
	msg := writeString(t, r, opts)
	for _, want := range []string{"\r\nTLS-Report-Domain: xn--bcher-kva.example\r\n", "Report Domain: xn--bcher-kva.example ",
		`filename="mail.sender.example!xn--bcher-kva.example!`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q", want)
		}
	}
	m, err := Parse(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Reports[0].Policies[0].Policy.Domain; got != "xn--bcher-kva.example" || len(m.Warnings) != 0 {
		t.Errorf("policy-domain %q, warnings %v", got, m.Warnings)
	}
}

// TestWriteSubjectDecodes checks that any RFC 2047 decoder (here Go's)
// reads the written Subject back as the RFC 8460 §5.3 text, whatever the
// report-id holds.
func TestWriteSubjectDecodes(t *testing.T) {
	for _, id := range []string{"plain@x.example", "rapport-été@x.example", "a =?utf-8?q?=41?= b@x.example", "=?utf-8?q?=41?=@x.example", strings.Repeat("long-", 40) + "@x.example",
		strings.Repeat("é_ü?", 30) + "@x.example", "日本語のレポート-" + strings.Repeat("字", 40)} {
		t.Run(id, func(t *testing.T) {
			r := testReport()
			r.ReportID = id
			msg := writeString(t, r, testOptions())
			m, err := netmail.ReadMessage(strings.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			got, err := new(stdmime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			want := "Report Domain: example.net Submitter: mail.sender.example Report-ID: <" + subjectReportID(id, "mail.sender.example") + ">"
			if got != want {
				t.Errorf("Subject decodes to\n%q, want\n%q", got, want)
			}
			for _, w := range strings.Fields(m.Header.Get("Subject")) {
				if strings.HasPrefix(w, "=?") && len(w) > 75 {
					t.Errorf("encoded-word of %d characters (RFC 2047 §2: at most 75): %s", len(w), w)
				}
			}
		})
	}
}

// TestSubjectReportID checks the msg-id Write puts in the Subject for a
// report-id (RFC 8460 §5.3 wants an RFC 5322 §3.6.4 msg-id there; the
// report-id is free text).
func TestSubjectReportID(t *testing.T) {
	tests := []struct {
		name, id, want string
	}{
		{"msg-id kept", "2024-03-01.example.net.0123@mail.sender.example", "2024-03-01.example.net.0123@mail.sender.example"},
		{"msg-id with literal kept", "a=b@[192.0.2.1]", "a=b@[192.0.2.1]"},
		{"colon escaped, id-right kept", "2026-11-29T00:00:00Z_x@sys4.example", "2026-11-29T00=3A00=3A00Z_x@sys4.example"},
		{"no at sign: submitter appended", "2024-03-01T00:00:00Z_example.net", "2024-03-01T00=3A00=3A00Z_example.net@mail.sender.example"},
		{"equals sign escaped", "a=b c@x.example", "a=3Db=20c@x.example"},
		{"dots at the ends and doubled escaped", ".a..b.@x.example", "=2Ea=2E=2Eb=2E@x.example"},
		{"at sign in id-left escaped", "a@b@x.example", "a=40b@x.example"},
		{"invalid id-right: whole id is the id-left", "a@x:1", "a=40x=3A1@mail.sender.example"},
		{"leading at sign", "@x.example", "=40x.example@mail.sender.example"},
		{"non-ASCII escaped bytewise", "été@x.example", "=C3=A9t=C3=A9@x.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := subjectReportID(tt.id, "mail.sender.example")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("subjectReportID(%q) (-want +got):\n%s", tt.id, diff)
			}
			if !isMsgID(got) {
				t.Errorf("%q is not a msg-id", got)
			}
		})
	}
}

// TestWriteLineLimit checks RFC 5322 §2.1.1 (a line is at most 998
// octets): long values are folded where the syntax has whitespace to fold
// at and refused with a CodeField error where it has none.
func TestWriteLineLimit(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	// "Message-ID: <" + id + ">" is exactly 998 octets.
	fitting := long(998-len("Message-ID: <@x.example>")) + "@x.example"
	tests := []struct {
		name   string
		reason string
		edit   func(*report.Report, *WriteOptions)
		field  string // the CodeField error's Path; "" for success
	}{
		{name: "long display name with spaces", reason: "folded inside the quoted-string (RFC 5322 §3.2.4 allows FWS there)",
			edit: func(_ *report.Report, o *WriteOptions) {
				o.From = strings.Repeat("Reports ", 300) + "<tlsrpt@mail.sender.example>"
			}},
		{name: "long non-ASCII display name", reason: "RFC 2047 encoded-words, separated by spaces",
			edit: func(_ *report.Report, o *WriteOptions) {
				o.From = strings.Repeat("é", 1200) + " <tlsrpt@mail.sender.example>"
			}},
		{name: "long display name without spaces", reason: "one quoted-string of 2,002 octets: no place to fold",
			edit: func(_ *report.Report, o *WriteOptions) { o.From = long(2000) + " <tlsrpt@mail.sender.example>" }, field: "WriteOptions.From"},
		{name: "long local part", edit: func(_ *report.Report, o *WriteOptions) { o.From = long(1000) + "@mail.sender.example" }, field: "WriteOptions.From"},
		{name: "long recipient display name", edit: func(_ *report.Report, o *WriteOptions) { o.To[1] = long(1000) + " <a@example.net>" }, field: "WriteOptions.To[1]"},
		{name: "long message-id", reason: "a msg-id has no FWS inside (RFC 5322 §3.6.4)",
			edit: func(_ *report.Report, o *WriteOptions) { o.MessageID = long(2014) + "@x.example" }, field: "WriteOptions.MessageID"},
		{name: "message-id of 998 octets with the field name", edit: func(_ *report.Report, o *WriteOptions) { o.MessageID = fitting }},
		{name: "message-id one octet longer", edit: func(_ *report.Report, o *WriteOptions) { o.MessageID = "y" + fitting }, field: "WriteOptions.MessageID"},
		{name: "long unique-id", reason: "the filename parameter is one token",
			edit: func(_ *report.Report, o *WriteOptions) { o.UniqueID = long(1000) }, field: "WriteOptions.UniqueID"},
		{name: "long DKIM selector", reason: "s= is one token; <selector>._domainkey.<domain> must be a DNS name",
			edit: func(_ *report.Report, o *WriteOptions) {
				_, k, _ := ed25519.GenerateKey(rand.Reader)
				o.DKIM = &DKIMOptions{Domain: "sender.example", Selector: long(1000), Signer: k}
			}, field: "DKIMOptions.Selector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, opts := testReport(), testOptions()
			tt.edit(r, opts)
			var b bytes.Buffer
			err := Write(&b, r, opts)
			if tt.field != "" {
				if fe, ok := asCode(err, CodeField); !ok || fe.Path != tt.field {
					t.Fatalf("Write error = %v, want a %s *tlsrpt.Diagnostic for %s (%s)", err, CodeField, tt.field, tt.reason)
				}
				if b.Len() != 0 {
					t.Errorf("Write wrote %d bytes before failing", b.Len())
				}
				return
			}
			require.NoError(t, err, tt.reason)
			for i, line := range strings.Split(b.String(), "\r\n") {
				if len(line) > hardLineLimit {
					t.Errorf("line %d is %d octets (RFC 5322 §2.1.1: at most 998): %.60q…", i+1, len(line), line)
				}
			}
			m, err := Parse(&b)
			require.NoError(t, err)
			want, _ := netmail.ParseAddress(opts.From)
			got, err := netmail.ParseAddress(m.From)
			require.NoError(t, err)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("From read back (-want +got):\n%s", diff)
			}
		})
	}
}
