package report

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// ww is an expected warning: its path and code.
type ww struct {
	path string
	code tlsrpt.Code
}

// quirkTests lists every fixture testdata/quirk-*.json with the exact
// warnings lenient decoding returns, in order. Strict decoding must fail
// with the first one's path and code, or succeed when there are none.
var quirkTests = []struct {
	name   string
	reason string
	want   []ww
}{
	{"quirk-datetime-no-zone", "Microsoft 2023-2024: no time-zone designator", []ww{
		{"date-range.start-datetime", CodeDateTimeNoZone}, {"date-range.end-datetime", CodeDateTimeNoZone}}},
	{"quirk-datetime-offset", "offsets, lower-case t, fractions are RFC 3339: no warning", nil},
	{"quirk-mx-host-string", "RFC 8460 Appendix B: mx-host as a string", []ww{{"policies[0].policy.mx-host", CodeMXHostString}}},
	{"quirk-tlsa-json-array", "Microsoft: TLSA policy-string holds a JSON array", []ww{{"policies[0].policy.policy-string[0]", CodePolicyStringJSON}}},
	{"quirk-policy-string-bare", "RFC 8460 §4 prose: policy-string as a string (sts lines, tlsa ';')", []ww{
		{"policies[0].policy.policy-string", CodePolicyStringString}, {"policies[1].policy.policy-string", CodePolicyStringString}}},
	{"quirk-null-members", "null members and elements", []ww{
		{"contact-info", CodeNullMember},
		{"policies[0].policy.policy-string", CodeNullMember},
		{"policies[0].policy.mx-host", CodeNullMember},
		{"policies[0].failure-details[0].sending-mta-ip", CodeNullMember},
		{"policies[0].failure-details[0].failure-reason-code", CodeNullMember},
		{"policies[0].failure-details[1]", CodeNullMember}}},
	{"quirk-contact-info-null", "Stalwart-style senders: contact-info null", []ww{{"contact-info", CodeNullMember}}},
	{"quirk-count-string", "counts as strings", []ww{
		{"policies[0].summary.total-successful-session-count", CodeCountString},
		{"policies[0].failure-details[0].failed-session-count", CodeCountString}}},
	{"quirk-count-format", "integral counts in exponent or fraction form", []ww{
		{"policies[0].summary.total-successful-session-count", CodeCountFormat},
		{"policies[0].summary.total-failure-session-count", CodeCountFormat}}},
	{"quirk-result-type-caps", "result types in capitals or with underscores; unknown kept", []ww{
		{"policies[0].failure-details[0].result-type", CodeResultTypeCase},
		{"policies[0].failure-details[1].result-type", CodeResultTypeCase}}},
	{"quirk-policy-type-caps", "policy-type in capitals", []ww{{"policies[0].policy.policy-type", CodePolicyTypeCase}}},
	{"quirk-member-names", "draft/prose/misspelt member names", []ww{
		{"policies[0].policy.mx-host-pattern", CodeMemberNameVariant},
		{"policies[0].failure-details[0].receiving-mx-host-name", CodeMemberNameVariant},
		{"policies[0].failure-details[0].additional-info-uri", CodeMemberNameVariant},
		{"policies[0].failure-details[1].failure-error-code", CodeMemberNameVariant}}},
	{"quirk-member-name-case", "member names in other case or with underscores", []ww{
		{"Organization-Name", CodeMemberNameVariant}, {"date_range", CodeMemberNameVariant}}},
	{"quirk-ip-non-canonical", "RFC 8460 Appendix B IPv6 with leading zeros; upper case; IPv4-mapped", []ww{
		{"policies[0].failure-details[0].sending-mta-ip", CodeIPNonCanonical},
		{"policies[0].failure-details[1].sending-mta-ip", CodeIPNonCanonical},
		{"policies[0].failure-details[2].sending-mta-ip", CodeIPNonCanonical},
		{"policies[0].failure-details[2].receiving-ip", CodeIPNonCanonical}}},
	{"quirk-ip-invalid", "hand-edited Microsoft x.x.x.x; out of range; zone; leading zeros", []ww{
		{"policies[0].failure-details[0].sending-mta-ip", CodeIPInvalid},
		{"policies[0].failure-details[1].sending-mta-ip", CodeIPInvalid},
		{"policies[0].failure-details[2].sending-mta-ip", CodeIPInvalid},
		{"policies[0].failure-details[3].sending-mta-ip", CodeIPInvalid}}},
	{"quirk-empty-strings", "empty-string IP and host name fields", []ww{
		{"policies[0].failure-details[0].sending-mta-ip", CodeIPInvalid},
		{"policies[0].failure-details[0].receiving-ip", CodeIPInvalid}}},
	{"quirk-bom", "UTF-8 byte order mark", []ww{{"", CodeBOM}}},
	{"quirk-duplicate-members", "duplicate names, also via a variant name; last wins", []ww{
		{"organization-name", CodeDuplicateMember},
		{"policies[0].policy.policy-domain", CodeDuplicateMember},
		{"policies[0].policy.mx-host-pattern", CodeMemberNameVariant},
		{"policies[0].policy.mx-host-pattern", CodeDuplicateMember}}},
	{"quirk-missing-policy-domain", "Postfix+tlsrpt-reporter: no policy-domain", []ww{{"policies[0].policy.policy-domain", CodeMissingMember}}},
	{"quirk-end-before-start", "end before start", []ww{{"date-range", CodeDateRangeReversed}}},
	{"quirk-unknown-member", "unknown members, nested values skipped", []ww{
		{"policies[0].failure-details[0].x-debug", CodeUnknownMember}, {"x-vendor", CodeUnknownMember}}},
	{"quirk-domain-non-canonical", "U-label, capitals, trailing dot", []ww{
		{"policies[0].policy.policy-domain", CodeDomainNonCanonical},
		{"policies[0].policy.mx-host[0]", CodeDomainNonCanonical},
		{"policies[0].policy.mx-host[1]", CodeDomainNonCanonical}}},
	{"quirk-tlsa-string-format", "TLSA hex with spaces and parentheses (RFC 8460 §4.5 example)", []ww{
		{"policies[0].policy.policy-string[0]", CodeTLSAStringFormat},
		{"policies[0].policy.policy-string[1]", CodeTLSAStringFormat}}},
	{"quirk-next-day-end", "Mail.ru, SocketLabs, Stalwart: end next day 00:00Z", nil},
	{"quirk-rfc8460-appendix-b", "RFC 8460 Appendix B as printed: mx-host a string, IPv6 with leading zeros, a URI with spaces kept", []ww{
		{"policies[0].policy.mx-host", CodeMXHostString},
		{"policies[0].failure-details[0].sending-mta-ip", CodeIPNonCanonical},
		{"policies[0].failure-details[1].sending-mta-ip", CodeIPNonCanonical}}},
	{"quirk-socketlabs-shape", "SocketLabs: 32-hex report-id, receiving-mx-host-name, the same policy-string twice (the second with mx-host []), next-day end", []ww{
		{"policies[0].failure-details[0].receiving-mx-host-name", CodeMemberNameVariant}}},
	{"quirk-org-hostname", "organization-name is a host name", nil},
	{"quirk-sts-no-policy-string", "Mail.ru: sts without policy-string and mx-host", nil},
	{"quirk-empty-arrays", "egressif/SocketLabs: empty arrays", nil},
	{"quirk-wildcard-mx", "wildcard mx patterns", nil},
	{"quirk-mx-host-prefix", "Stalwart-style: mx-host with \"mx: \" prefix; CRLF", []ww{
		{"contact-info", CodeNullMember}, {"policies[0].policy.mx-host[0]", CodeMXHostPrefix}}},
	{"quirk-policy-string-order", "Google: max_age before mx lines, kept as sent", nil},
	{"quirk-multiple-policies", "several policies for one domain", nil},
	{"quirk-detail-no-ip", "Microsoft: fetch error without IPs; truncated report-id", nil},
	{"quirk-unknown-enums", "unknown policy-type and result-type kept verbatim", nil},
	{"quirk-free-text-reason", "Mail.ru Go error strings with escaped quotes", nil},
	{"quirk-sum-mismatch", "failed-session-count sum differs from total", nil},
	{"quirk-summary-missing-count", "summary without total-failure-session-count", []ww{
		{"policies[0].summary.total-failure-session-count", CodeMissingMember}}},
	{"quirk-failures-no-details", "failures but no failure-details; punycode domain", nil},
	{"quirk-url-spaces", "RFC Appendix B additional-information with spaces", nil},
	{"quirk-leading-space", "white space before the JSON", nil},
	{"quirk-crlf", "CRLF line ends", nil},
	{"quirk-sorted-keys-tabs", "sorted keys, tab indentation", nil},
	{"quirk-helo", "receiving-mx-helo", nil},
	{"quirk-escaped-names", "escapes in names and values", nil},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestQuirkFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/quirk-*.json")
	if len(files) != len(quirkTests) {
		t.Errorf("%d quirk fixtures, %d table entries", len(files), len(quirkTests))
	}
	for _, tt := range quirkTests {
		t.Run(tt.name, func(t *testing.T) {
			data := readFixture(t, tt.name)
			rep, warns, err := Parse(data)
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			var got []ww
			for _, w := range warns {
				got = append(got, ww{w.Path, w.Code})
				if w.Message == "" {
					t.Errorf("warning %v has no message", w)
				}
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(ww{})); diff != "" {
				t.Errorf("%s: warnings (-want +got):\n%s", tt.reason, diff)
			}

			srep, swarns, serr := (&Decoder{Strict: true}).Decode(bytes.NewReader(data))
			if len(swarns) != 0 {
				t.Errorf("strict returned warnings %v", swarns)
			}
			if len(tt.want) == 0 {
				if serr != nil {
					t.Fatalf("strict: %v", serr)
				}
				if diff := cmp.Diff(rep, srep, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
					t.Errorf("strict and lenient differ (-lenient +strict):\n%s", diff)
				}
			} else {
				var de *tlsrpt.Diagnostic
				if !errors.As(serr, &de) {
					t.Fatalf("strict: got %v, want *tlsrpt.Diagnostic", serr)
				}
				if de.Path != tt.want[0].path || de.Code != tt.want[0].code {
					t.Errorf("strict: got %q [%s], want %q [%s]", de.Path, de.Code, tt.want[0].path, tt.want[0].code)
				}
				if de.Offset < 0 || de.Offset > len(data) {
					t.Errorf("strict: offset %d outside input", de.Offset)
				}
				if strings.Contains(de.Message, "; ") {
					t.Errorf("strict message %q describes a repair", de.Message)
				}
			}

			// Golden canonical encoding of the repaired report.
			out, err := rep.MarshalJSON()
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			checkGolden(t, filepath.Join("testdata", "golden", tt.name+".json"), out)
			again, w2, err := (&Decoder{Strict: true}).Decode(bytes.NewReader(out))
			if err != nil || len(w2) != 0 {
				t.Fatalf("strict decode of our encoding: %v %v", err, w2)
			}
			if diff := cmp.Diff(rep, again, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("decode(encode(r)) differs (-want +got):\n%s", diff)
			}
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// TestQuirkValues checks what the repairs produce, beyond the warnings.
func TestQuirkValues(t *testing.T) {
	get := func(t *testing.T, name string) *Report {
		rep, _, err := Parse(readFixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	tests := []struct {
		name string
		got  func(*Report) any
		want any
	}{
		{"quirk-datetime-no-zone", func(r *Report) any { return r.DateRange },
			DateRange{mustTime("2024-05-01T00:00:00Z"), mustTime("2024-05-01T23:59:59Z")}},
		{"quirk-datetime-offset", func(r *Report) any { return r.DateRange },
			DateRange{mustTime("2024-05-01T00:00:00Z"), mustTime("2024-05-01T23:59:59.5Z")}},
		{"quirk-end-before-start", func(r *Report) any { return r.DateRange },
			DateRange{mustTime("2024-05-01T00:00:00Z"), mustTime("2024-05-01T23:59:59Z")}},
		{"quirk-mx-host-string", func(r *Report) any { return r.Policies[0].Policy.MXHosts }, []string{"*.mail.example.com"}},
		{"quirk-tlsa-json-array", func(r *Report) any { return r.Policies[0].Policy.Strings }, []string{
			"3 1 1 7FF8B87BB269715FEF08A0F4F0033D7A2F3B680470A30E878CEB2D3E244AF3EA",
			"2 1 1 0B9FA5A59EED715C26C1020C711B4F6EC42D58B0015E14337A39DAD301C5AFC3"}},
		{"quirk-policy-string-bare", func(r *Report) any {
			return [][]string{r.Policies[0].Policy.Strings, r.Policies[1].Policy.Strings}
		}, [][]string{
			{"version: STSv1", "mode: testing", "mx: mx1.example.com", "max_age: 86400"},
			{"3 1 1 7FF8B87BB269715FEF08A0F4F0033D7A2F3B680470A30E878CEB2D3E244AF3EA", "3 1 1 0B9FA5A59EED715C26C1020C711B4F6EC42D58B0015E14337A39DAD301C5AFC3"}}},
		{"quirk-tlsa-string-format", func(r *Report) any { return r.Policies[0].Policy.Strings }, []string{
			"3 1 1 7FF8B87BB269715FEF08A0F4F0033D7A2F3B680470A30E878CEB2D3E244AF3EA",
			"3 0 1 0B9FA5A59EED715C26C1020C711B4F6EC42D58B0015E14337A39DAD301C5AFC3"}},
		{"quirk-null-members", func(r *Report) any {
			return []any{r.ContactInfo, r.Policies[0].Policy.MXHosts == nil, len(r.Policies[0].FailureDetails), r.Policies[0].FailureDetails[0].SendingMTAIP.IsValid()}
		}, []any{"", true, 1, false}},
		{"quirk-count-string", func(r *Report) any {
			return []int64{r.Policies[0].Summary.TotalSuccessfulSessionCount, r.Policies[0].FailureDetails[0].FailedSessionCount}
		}, []int64{120, 7}},
		{"quirk-count-format", func(r *Report) any { return r.Policies[0].Summary }, Summary{100, 0}},
		{"quirk-result-type-caps", func(r *Report) any {
			var rts []ResultType
			for _, fd := range r.Policies[0].FailureDetails {
				rts = append(rts, fd.ResultType)
			}
			return rts
		}, []ResultType{ResultCertificateExpired, ResultSTARTTLSNotSupported, "Testing"}},
		{"quirk-policy-type-caps", func(r *Report) any { return r.Policies[0].Policy.Type }, policy.TypeSTS},
		{"quirk-member-names", func(r *Report) any {
			fds := r.Policies[0].FailureDetails
			return []string{r.Policies[0].Policy.MXHosts[0], fds[0].ReceivingMXHostname, fds[0].AdditionalInformation, fds[1].FailureReasonCode}
		}, []string{"mx1.example.com", "mx1.example.com", "https://tlsrpt.example.net/x?id=1", "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"}},
		{"quirk-ip-non-canonical", func(r *Report) any {
			fds := r.Policies[0].FailureDetails
			return []string{fds[0].SendingMTAIP.String(), fds[1].SendingMTAIP.String(), fds[2].SendingMTAIP.String(), fds[2].ReceivingIP.String()}
		}, []string{"2001:db8:abcd:12::1", "2001:db8::1", "192.0.2.7", "2001:db8::1"}},
		{"quirk-ip-invalid", func(r *Report) any {
			var ok []bool
			for _, fd := range r.Policies[0].FailureDetails {
				ok = append(ok, fd.SendingMTAIP.IsValid(), fd.ReceivingIP.IsValid())
			}
			return ok
		}, []bool{false, true, false, true, false, true, false, true}},
		{"quirk-duplicate-members", func(r *Report) any {
			return []any{r.OrganizationName, r.Policies[0].Policy.Domain, r.Policies[0].Policy.MXHosts}
		}, []any{"Example Mail Ltd", "example.net", []string{"mx2.example.net"}}},
		{"quirk-domain-non-canonical", func(r *Report) any {
			return append([]string{r.Policies[0].Policy.Domain}, r.Policies[0].Policy.MXHosts...)
		}, []string{"xn--bcher-kva.example", "mx1.xn--bcher-kva.example", "*.mx.example.com"}},
		{"quirk-mx-host-prefix", func(r *Report) any { return r.Policies[0].Policy.MXHosts }, []string{"mx.server.example"}},
		{"quirk-unknown-enums", func(r *Report) any {
			return []string{string(r.Policies[0].Policy.Type), string(r.Policies[0].FailureDetails[0].ResultType)}
		}, []string{"invalid-policy-type", "x-new-result-type"}},
		{"quirk-free-text-reason", func(r *Report) any { return r.Policies[0].FailureDetails[0].FailureReasonCode },
			`Get "https://mta-sts.example.com/.well-known/mta-sts.txt": dial tcp: i/o timeout`},
		{"quirk-escaped-names", func(r *Report) any { return []string{r.OrganizationName, r.ReportID} }, []string{"Example & Co", "r/1"}},
		{"quirk-empty-arrays", func(r *Report) any {
			p := r.Policies[0]
			return []bool{p.Policy.Strings != nil, p.Policy.MXHosts != nil, p.FailureDetails != nil}
		}, []bool{false, false, false}}, // [] decodes as nil
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got(get(t, tt.name))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrors checks what no mode accepts.
func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		syntax bool        // *SyntaxError, else *tlsrpt.Diagnostic
		path   string      // error path
		code   tlsrpt.Code // Diagnostic code
		offset int
	}{
		{name: "error-top-array", path: "", code: CodeWrongType, offset: 0},
		{name: "error-policies-object", path: "policies", code: CodeWrongType, offset: 164},
		{name: "error-negative-count", path: "policies[0].summary.total-successful-session-count", code: CodeInvalidCount, offset: 82},
		{name: "error-fractional-count", path: "policies[0].summary.total-successful-session-count", code: CodeInvalidCount, offset: 82},
		{name: "error-count-too-big", path: "policies[0].summary.total-successful-session-count", code: CodeInvalidCount, offset: 82},
		{name: "error-bad-date", path: "date-range.start-datetime", code: CodeInvalidDateTime, offset: 56},
		{name: "error-wrong-type", path: "organization-name", code: CodeWrongType, offset: 21},
		{name: "error-invalid-json", syntax: true, offset: 25},
		{name: "error-truncated", syntax: true, path: "policies[0].summary", offset: 66},
		{name: "error-trailing-garbage", syntax: true, offset: 181},
		{name: "error-invalid-utf8", syntax: true, path: "organization-name", offset: 22},
	}
	files, _ := filepath.Glob("testdata/error-*.json")
	if len(files) != len(tests) {
		t.Errorf("%d error fixtures, %d table entries", len(files), len(tests))
	}
	for _, tt := range tests {
		for _, strict := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{false: "/lenient", true: "/strict"}[strict], func(t *testing.T) {
				data := readFixture(t, tt.name)
				rep, _, err := (&Decoder{Strict: strict}).Decode(bytes.NewReader(data))
				if rep != nil || err == nil {
					t.Fatalf("got report %v, err %v", rep, err)
				}
				if !strings.HasPrefix(err.Error(), "report: ") && !strings.HasPrefix(err.Error(), "tlsrpt: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				if tt.syntax {
					var se *SyntaxError
					if !errors.As(err, &se) {
						t.Fatalf("got %T %v, want *SyntaxError", err, err)
					}
					if se.Path != tt.path || se.Offset != int64(tt.offset) {
						t.Errorf("got path %q offset %d, want %q %d (%v)", se.Path, se.Offset, tt.path, tt.offset, err)
					}
					return
				}
				var de *tlsrpt.Diagnostic
				if !errors.As(err, &de) {
					t.Fatalf("got %T %v, want *tlsrpt.Diagnostic", err, err)
				}
				if de.Path != tt.path || de.Code != tt.code || de.Offset != tt.offset {
					t.Errorf("got %q [%s] at %d, want %q [%s] at %d", de.Path, de.Code, de.Offset, tt.path, tt.code, tt.offset)
				}
			})
		}
	}
}

func TestTruncatedIsUnexpectedEOF(t *testing.T) {
	data := readFixture(t, "quirk-crlf")
	for n := 0; n < len(data)-2; n += 7 {
		_, _, err := Parse(data[:n])
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d: got %v, want io.ErrUnexpectedEOF", n, err)
		}
	}
}

func TestParseDoesNotModifyInput(t *testing.T) {
	data := readFixture(t, "quirk-bom")
	orig := bytes.Clone(data)
	if _, _, err := Parse(data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, data) {
		t.Error("Parse modified its input")
	}
}

// TestReaderKinds decodes the same fixtures through a *bytes.Buffer, a
// plain reader and a one-byte-at-a-time reader.
func TestReaderKinds(t *testing.T) {
	for _, tt := range quirkTests {
		data := readFixture(t, tt.name)
		want, wantW, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range map[string]io.Reader{
			"reader":  bytes.NewReader(data),
			"onebyte": iotestOneByte{bytes.NewReader(data)},
		} {
			got, gotW, err := new(Decoder).Decode(r)
			if err != nil {
				t.Fatalf("%s/%s: %v", tt.name, name, err)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("%s/%s: report (-want +got):\n%s", tt.name, name, diff)
			}
			if diff := cmp.Diff(wantW, gotW); diff != "" {
				t.Errorf("%s/%s: warnings (-want +got):\n%s", tt.name, name, diff)
			}
		}
	}
}

type iotestOneByte struct{ r io.Reader }

func (o iotestOneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestMaxWarnings(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"organization-name":"x","date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"a","report-id":"r","policies":[]`)
	const n = maxWarnings + 500
	for i := 0; i < n; i++ {
		b.WriteString(`,"x-`)
		b.WriteString(itoa(i))
		b.WriteString(`":null`)
	}
	b.WriteString("}")
	_, warns, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != maxWarnings+1 {
		t.Fatalf("got %d warnings, want %d", len(warns), maxWarnings+1)
	}
	last := warns[len(warns)-1]
	if last.Code != CodeWarningsTruncated || !strings.HasPrefix(last.Message, "500 ") {
		t.Errorf("last warning = %v", last)
	}
}

func TestUnmarshalJSONIsStrict(t *testing.T) {
	var r Report
	if err := r.UnmarshalJSON(readFixture(t, "quirk-wildcard-mx")); err != nil {
		t.Fatal(err)
	}
	if r.Policies[0].Summary.TotalSuccessfulSessionCount != 88 {
		t.Errorf("got %+v", r)
	}
	var de *tlsrpt.Diagnostic
	if err := r.UnmarshalJSON(readFixture(t, "quirk-mx-host-string")); !errors.As(err, &de) || de.Code != CodeMXHostString {
		t.Errorf("got %v, want mx-host-string error", err)
	}
}

func TestConcurrentDecoder(t *testing.T) {
	d := &Decoder{}
	data := readFixture(t, "quirk-member-names")
	done := make(chan error)
	for i := 0; i < 4; i++ {
		go func() {
			for j := 0; j < 20; j++ {
				if _, w, err := d.Decode(bytes.NewReader(data)); err != nil || len(w) != 4 {
					done <- errors.Join(err, errors.New("unexpected warnings"))
					return
				}
			}
			done <- nil
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestPathString(t *testing.T) {
	got := pathString([]pathElem{{name: "policies"}, {index: 2}, {name: "odd.name"}, {name: "a b"}, {name: "x"}})
	if want := `policies[2]["odd.name"]["a b"].x`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestEmptyInput(t *testing.T) {
	if _, _, err := Parse([]byte("\x1f\x8b")); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("bare gzip magic: got %v", err)
	}
	for _, in := range []string{"", "   \n", "\ufeff"} {
		_, _, err := Parse([]byte(in))
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: got %v, want *SyntaxError wrapping io.ErrUnexpectedEOF", in, err)
		}
		_, _, err = new(Decoder).Decode(strings.NewReader(in))
		if !errors.As(err, &se) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q via reader: got %v", in, err)
		}
	}
}

func TestAmplificationGuard(t *testing.T) {
	in := `{"policies":[{"failure-details":[` + strings.Repeat(`{},`, 100000) + `{}]}]}`
	_, _, err := Parse([]byte(in))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	// Real failure details are far below the bound.
	if _, _, err := Parse(genLargeReport(2000)); err != nil {
		t.Fatal(err)
	}
}

func TestMissingEnd(t *testing.T) {
	for _, in := range []string{
		`{"date-range":{"start-datetime":"2024-05-01T00:00:00Z"}}`,
		`{"date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":null}}`,
	} {
		rep, _, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if !rep.DateRange.End.Equal(rep.DateRange.Start) {
			t.Errorf("%s: end %v, want the start", in, rep.DateRange.End)
		}
	}
}

// TestMemberSlots checks that each RFC member name has a slot of its own
// in memberSlots, that lookupMember finds every name, and that it finds
// nothing for names that differ from one in a byte or in length.
func TestMemberSlots(t *testing.T) {
	seen := map[uint8]member{}
	for m := range numMembers {
		name := memberNames[m]
		if len(name) < minMemberLen || len(name) > maxMemberLen {
			t.Fatalf("%q: length outside [%d, %d]", name, minMemberLen, maxMemberLen)
		}
		h := memberHash([]byte(name))
		if o, ok := seen[h]; ok {
			t.Fatalf("%q and %q share slot %d", name, memberNames[o], h)
		}
		seen[h] = m
		if got := lookupMember([]byte(name)); got != m {
			t.Errorf("lookupMember(%q) = %d, want %d", name, got, m)
		}
		for i := range len(name) {
			b := []byte(name)
			b[i] ^= 0x20 // case, or '-' to '\r'
			if got := lookupMember(b); got != mNone {
				t.Errorf("lookupMember(%q) = %d, want mNone", b, got)
			}
		}
		for _, b := range [][]byte{[]byte(name[1:]), []byte(name + "x"), []byte("x" + name)} {
			if got := lookupMember(b); got != mNone {
				t.Errorf("lookupMember(%q) = %d, want mNone", b, got)
			}
		}
	}
	for _, b := range []string{"", "x", "polic", "policy-strin", strings.Repeat("x", 64)} {
		if got := lookupMember([]byte(b)); got != mNone {
			t.Errorf("lookupMember(%q) = %d, want mNone", b, got)
		}
	}
}
