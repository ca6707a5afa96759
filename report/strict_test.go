package report

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/google/go-cmp/cmp"
)

// strictBase is a report without any deviation; each case of
// TestStrictNamesEveryRepair introduces exactly one.
const strictBase = `{"organization-name":"Example Mail","date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},` +
	`"contact-info":"tlsrpt@mail.example","report-id":"r1@mail.example","policies":[` +
	`{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx1.example.com","max_age: 604800"],"policy-domain":"example.com","mx-host":["mx1.example.com"]},` +
	`"summary":{"total-successful-session-count":10,"total-failure-session-count":5},` +
	`"failure-details":` + strictDetails + `},` +
	`{"policy":{"policy-type":"tlsa","policy-string":["3 1 1 7ff8b87bb269715fef08a0f4f0033d7a2f3b680470a30e878ceb2d3e244af3ea"],"policy-domain":"mx1.example.com"},` +
	`"summary":{"total-successful-session-count":1,"total-failure-session-count":0}}]}`

// strictDetails is the failure-details array of strictBase.
const strictDetails = `[{"result-type":"certificate-host-mismatch","sending-mta-ip":"192.0.2.1","receiving-mx-hostname":"mx1.example.com","receiving-mx-helo":"mx1.example.com","receiving-ip":"2001:db8::25","failed-session-count":2,"additional-information":"https://tlsrpt.example.net/x?id=1","failure-reason-code":"X509_V_ERR_HOSTNAME_MISMATCH"}]`

// TestStrictNamesEveryRepair makes each lenient repair, one at a time and
// at every place it can happen, and checks that the lenient decoder warns
// exactly once and the strict decoder fails with a *tlsrpt.Diagnostic of the same
// path and code whose text names that path.
func TestStrictNamesEveryRepair(t *testing.T) {
	const (
		p0  = "policies[0]"
		pol = p0 + ".policy"
		sum = p0 + ".summary"
		fd  = p0 + ".failure-details[0]"
		tl  = "policies[1].policy"
	)
	tests := []struct {
		name     string
		old, new string // the first old in strictBase becomes new
		path     string
		code     tlsrpt.Code
	}{
		{"bom", `{"organization-name"`, "\uFEFF" + `{"organization-name"`, "", CodeBOM},
		{"duplicate organization-name", `"organization-name":"Example Mail",`, `"organization-name":"X","organization-name":"Example Mail",`, "organization-name", CodeDuplicateMember},
		{"duplicate failure-reason-code", `"failure-reason-code":"X509`, `"failure-reason-code":"a","failure-reason-code":"X509`, fd + ".failure-reason-code", CodeDuplicateMember},
		{"unknown top-level member", `"report-id"`, `"x-extra":{"a":[1]},"report-id"`, "x-extra", CodeUnknownMember},
		{"unknown policy member", `"policy-domain":"example.com"`, `"policy-domain":"example.com","x":1`, pol + ".x", CodeUnknownMember},
		{"unknown detail member", `"failed-session-count":2`, `"failed-session-count":2,"x":null`, fd + ".x", CodeUnknownMember},
		{"mx-host-pattern", `"mx-host":`, `"mx-host-pattern":`, pol + ".mx-host-pattern", CodeMemberNameVariant},
		{"additional-info-uri", `"additional-information":`, `"additional-info-uri":`, fd + ".additional-info-uri", CodeMemberNameVariant},
		{"receiving-mx-host-name", `"receiving-mx-hostname":`, `"receiving-mx-host-name":`, fd + ".receiving-mx-host-name", CodeMemberNameVariant},
		{"failure-error-code", `"failure-reason-code":`, `"failure-error-code":`, fd + ".failure-error-code", CodeMemberNameVariant},
		{"domain", `"policy-domain":"example.com"`, `"domain":"example.com"`, pol + ".domain", CodeMemberNameVariant},
		{"ip-address", `"sending-mta-ip":`, `"ip-address":`, fd + ".ip-address", CodeMemberNameVariant},
		{"email-address", `"contact-info":`, `"email-address":`, "email-address", CodeMemberNameVariant},
		{"member name case", `"report-id"`, `"Report_ID"`, "Report_ID", CodeMemberNameVariant},
		{"null contact-info", `"tlsrpt@mail.example"`, `null`, "contact-info", CodeNullMember},
		{"null mx-host", `"mx-host":["mx1.example.com"]`, `"mx-host":null`, pol + ".mx-host", CodeNullMember},
		{"null failure-details", strictDetails, `null`, p0 + ".failure-details", CodeNullMember},
		{"null sending-mta-ip", `"sending-mta-ip":"192.0.2.1"`, `"sending-mta-ip":null`, fd + ".sending-mta-ip", CodeNullMember},
		{"null policy-string element", `"version: STSv1",`, `null,"version: STSv1",`, pol + ".policy-string[0]", CodeNullMember},
		{"missing organization-name", `"organization-name":"Example Mail",`, ``, "organization-name", CodeMissingMember},
		{"missing report-id", `"report-id":"r1@mail.example",`, ``, "report-id", CodeMissingMember},
		{"missing end-datetime", `,"end-datetime":"2024-05-01T23:59:59Z"`, ``, "date-range.end-datetime", CodeMissingMember},
		{"missing policy-domain", `,"policy-domain":"example.com"`, ``, pol + ".policy-domain", CodeMissingMember},
		{"missing total-failure-session-count", `,"total-failure-session-count":5`, ``, sum + ".total-failure-session-count", CodeMissingMember},
		{"missing failed-session-count", `"failed-session-count":2,`, ``, fd + ".failed-session-count", CodeMissingMember},
		{"missing result-type", `"result-type":"certificate-host-mismatch",`, ``, fd + ".result-type", CodeMissingMember},
		{"start without zone", `"2024-05-01T00:00:00Z"`, `"2024-05-01T00:00:00"`, "date-range.start-datetime", CodeDateTimeNoZone},
		{"end without zone", `"2024-05-01T23:59:59Z"`, `"2024-05-01T23:59:59"`, "date-range.end-datetime", CodeDateTimeNoZone},
		{"end before start", `"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"`, `"start-datetime":"2024-05-01T23:59:59Z","end-datetime":"2024-05-01T00:00:00Z"`, "date-range", CodeDateRangeReversed},
		{"successful count string", `"total-successful-session-count":10`, `"total-successful-session-count":"10"`, sum + ".total-successful-session-count", CodeCountString},
		{"failed count string", `"failed-session-count":2`, `"failed-session-count":"2"`, fd + ".failed-session-count", CodeCountString},
		{"count exponent", `"total-failure-session-count":5`, `"total-failure-session-count":5e0`, sum + ".total-failure-session-count", CodeCountFormat},
		{"count fraction", `"failed-session-count":2`, `"failed-session-count":2.0`, fd + ".failed-session-count", CodeCountFormat},
		{"result-type capitals", `"certificate-host-mismatch"`, `"CERTIFICATE_HOST_MISMATCH"`, fd + ".result-type", CodeResultTypeCase},
		{"policy-type capitals", `"policy-type":"sts"`, `"policy-type":"STS"`, pol + ".policy-type", CodePolicyTypeCase},
		{"mx-host string", `"mx-host":["mx1.example.com"]`, `"mx-host":"mx1.example.com"`, pol + ".mx-host", CodeMXHostString},
		{"mx-host prefix", `"mx-host":["mx1.example.com"]`, `"mx-host":["mx: mx1.example.com"]`, pol + ".mx-host[0]", CodeMXHostPrefix},
		{"sts policy-string string", `["version: STSv1","mode: enforce","mx: mx1.example.com","max_age: 604800"]`, `"version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 604800"`, pol + ".policy-string", CodePolicyStringString},
		{"tlsa policy-string string", `["3 1 1 7ff8b87bb269715fef08a0f4f0033d7a2f3b680470a30e878ceb2d3e244af3ea"]`, `"3 1 1 7ff8b87bb269715fef08a0f4f0033d7a2f3b680470a30e878ceb2d3e244af3ea"`, tl + ".policy-string", CodePolicyStringString},
		{"tlsa json array", `["3 1 1 7ff8b87bb269715fef08a0f4f0033d7a2f3b680470a30e878ceb2d3e244af3ea"]`, `["[\"3 1 1 7ff8b87bb269715fef08a0f4f0033d7a2f3b680470a30e878ceb2d3e244af3ea\"]"]`, tl + ".policy-string[0]", CodePolicyStringJSON},
		{"tlsa hex spaces", `"3 1 1 7ff8b87bb269715fef08a0f4f0033d7a2f3b680470a30e878ceb2d3e244af3ea"`, `"3 1 1 7ff8b87bb269715fef08a0f4f0033d7 a2f3b680470a30e878ceb2d3e244af3ea"`, tl + ".policy-string[0]", CodeTLSAStringFormat},
		{"policy-domain upper case", `"policy-domain":"example.com"`, `"policy-domain":"Example.COM"`, pol + ".policy-domain", CodeDomainNonCanonical},
		{"tlsa policy-domain trailing dot", `"policy-domain":"mx1.example.com"}`, `"policy-domain":"mx1.example.com."}`, tl + ".policy-domain", CodeDomainNonCanonical},
		{"mx-host U-label", `"mx-host":["mx1.example.com"]`, `"mx-host":["mx1.bücher.example"]`, pol + ".mx-host[0]", CodeDomainNonCanonical},
		{"sending-mta-ip IPv4-mapped", `"sending-mta-ip":"192.0.2.1"`, `"sending-mta-ip":"::ffff:192.0.2.1"`, fd + ".sending-mta-ip", CodeIPNonCanonical},
		{"receiving-ip non-canonical", `"receiving-ip":"2001:db8::25"`, `"receiving-ip":"2001:DB8:0:0::25"`, fd + ".receiving-ip", CodeIPNonCanonical},
		{"sending-mta-ip invalid", `"sending-mta-ip":"192.0.2.1"`, `"sending-mta-ip":"x.x.x.x"`, fd + ".sending-mta-ip", CodeIPInvalid},
		{"receiving-ip empty", `"receiving-ip":"2001:db8::25"`, `"receiving-ip":""`, fd + ".receiving-ip", CodeIPInvalid},
	}
	// Every repair code is exercised at least once.
	covered := map[tlsrpt.Code]bool{}
	for _, tt := range tests {
		covered[tt.code] = true
	}
	for _, c := range []tlsrpt.Code{
		CodeBOM, CodeDuplicateMember, CodeUnknownMember, CodeMemberNameVariant, CodeNullMember, CodeMissingMember,
		CodeDateTimeNoZone, CodeDateRangeReversed, CodeCountString, CodeCountFormat, CodeResultTypeCase,
		CodePolicyTypeCase, CodeMXHostString, CodeMXHostPrefix, CodePolicyStringString, CodePolicyStringJSON,
		CodeTLSAStringFormat, CodeDomainNonCanonical, CodeIPNonCanonical, CodeIPInvalid,
	} {
		if !covered[c] {
			t.Errorf("no case for repair code %s", c)
		}
	}

	if _, w, err := Parse([]byte(strictBase)); err != nil || len(w) != 0 {
		t.Fatalf("base report: %v %v", err, w)
	}
	if _, _, err := (&Decoder{Strict: true}).Decode(strings.NewReader(strictBase)); err != nil {
		t.Fatalf("base report, strict: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(strictBase, tt.old) {
				t.Fatalf("%q not in the base report", tt.old)
			}
			in := []byte(strings.Replace(strictBase, tt.old, tt.new, 1))
			_, warns, err := Parse(in)
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			var got []ww
			for _, w := range warns {
				got = append(got, ww{w.Path, w.Code})
			}
			if diff := cmp.Diff([]ww{{tt.path, tt.code}}, got, cmp.AllowUnexported(ww{})); diff != "" {
				t.Errorf("lenient warnings (-want +got):\n%s", diff)
			}
			for _, r := range []io.Reader{bytes.NewReader(in), &onlyReader{bytes.NewReader(in)}} {
				_, sw, serr := (&Decoder{Strict: true}).Decode(r)
				if len(sw) != 0 {
					t.Errorf("strict returned warnings %v", sw)
				}
				var de *tlsrpt.Diagnostic
				if !errors.As(serr, &de) {
					t.Fatalf("strict (%T): got %v, want *tlsrpt.Diagnostic", r, serr)
				}
				if de.Path != tt.path || de.Code != tt.code {
					t.Errorf("strict (%T): got %q [%s], want %q [%s]", r, de.Path, de.Code, tt.path, tt.code)
				}
				want := " " + tt.path + " at offset "
				if tt.path == "" {
					want = " at offset "
				}
				if !strings.Contains(de.Error(), want) {
					t.Errorf("strict error %q does not name the path %q", de.Error(), want)
				}
				if de.Offset < 0 || de.Offset > len(in) {
					t.Errorf("offset %d outside the input", de.Offset)
				}
			}
		})
	}
}

// onlyReader hides every method but Read, so the decoder takes its
// streaming path.
type onlyReader struct{ r *bytes.Reader }

func (o *onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestCountBoundaries decodes the boundary counts (0, 2^53-1 and just beyond,
// RFC 7493 §2.2) in both modes.
func TestCountBoundaries(t *testing.T) {
	const old = `"total-successful-session-count":10`
	tests := []struct {
		count  string
		want   int64
		code   tlsrpt.Code // warning (lenient) or error (strict) code; "" for none
		always bool        // an error in both modes
	}{
		{count: `0`, want: 0},
		{count: `9007199254740991`, want: 1<<53 - 1},
		{count: `9007199254740992`, code: CodeInvalidCount, always: true},
		{count: `18446744073709551616`, code: CodeInvalidCount, always: true},
		{count: `-1`, code: CodeInvalidCount, always: true},
		{count: `1.5`, code: CodeInvalidCount, always: true},
		{count: `1e400`, code: CodeInvalidCount, always: true},
		{count: `true`, code: CodeWrongType, always: true},
		{count: `null`, code: CodeNullMember},
		{count: `"abc"`, code: CodeInvalidCount, always: true},
		{count: `""`, code: CodeInvalidCount, always: true},
		{count: `"-3"`, code: CodeInvalidCount, always: true},
		{count: `"100"`, want: 100, code: CodeCountString},
		{count: `1e2`, want: 100, code: CodeCountFormat},
		{count: `-0`, want: 0, code: CodeCountFormat},
		{count: `100.000`, want: 100, code: CodeCountFormat},
	}
	const path = "policies[0].summary.total-successful-session-count"
	for _, tt := range tests {
		t.Run(tt.count, func(t *testing.T) {
			in := []byte(strings.Replace(strictBase, old, `"total-successful-session-count":`+tt.count, 1))
			for _, strict := range []bool{false, true} {
				rep, warns, err := (&Decoder{Strict: strict}).Decode(bytes.NewReader(in))
				if tt.always || (strict && tt.code != "") {
					var de *tlsrpt.Diagnostic
					if !errors.As(err, &de) || de.Path != path || de.Code != tt.code {
						t.Errorf("strict=%v: got %v, want a %s error at %s", strict, err, tt.code, path)
					}
					continue
				}
				if err != nil {
					t.Fatalf("strict=%v: %v", strict, err)
				}
				if got := rep.Policies[0].Summary.TotalSuccessfulSessionCount; got != tt.want {
					t.Errorf("strict=%v: count %d, want %d", strict, got, tt.want)
				}
				var got []ww
				for _, w := range warns {
					got = append(got, ww{w.Path, w.Code})
				}
				var want []ww
				if tt.code != "" {
					want = []ww{{path, tt.code}}
				}
				if diff := cmp.Diff(want, got, cmp.AllowUnexported(ww{})); diff != "" {
					t.Errorf("strict=%v: warnings (-want +got):\n%s", strict, diff)
				}
			}
		})
	}
}

// TestDeepNestingPath checks that hostile nesting fails fast with a
// *SyntaxError whose path is cut to a readable length.
func TestDeepNestingPath(t *testing.T) {
	in := `{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	for _, r := range []io.Reader{strings.NewReader(in), &onlyReader{bytes.NewReader([]byte(in))}} {
		_, _, err := new(Decoder).Decode(r)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("got %v, want *SyntaxError", err)
		}
		if !strings.HasPrefix(se.Path, "x[0][0]") || !strings.HasSuffix(se.Path, "…") || len(se.Path) > 200 {
			t.Errorf("path %q: want x[0][0]… cut to at most 200 bytes", se.Path)
		}
		if se.Offset < 5 || se.Offset > int64(len(in)) {
			t.Errorf("offset %d", se.Offset)
		}
	}
}

// TestDateTimeForms decodes the RFC 3339 §5.6 date-time forms in both
// modes: all are valid and normalised to UTC without a warning.
func TestDateTimeForms(t *testing.T) {
	const old = `"start-datetime":"2024-05-01T00:00:00Z"`
	want := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, form := range []string{
		"2024-05-01T00:00:00Z",
		"2024-05-01t00:00:00z",
		"2024-05-01T00:00:00+00:00",
		"2024-05-01T00:00:00-00:00",
		"2024-05-01T02:00:00+02:00",
		"2024-04-30T19:00:00.000-05:00",
		"2024-05-01T00:00:00.000000000Z",
	} {
		in := strings.Replace(strictBase, old, `"start-datetime":"`+form+`"`, 1)
		for _, strict := range []bool{false, true} {
			rep, warns, err := (&Decoder{Strict: strict}).Decode(strings.NewReader(in))
			if err != nil || len(warns) != 0 {
				t.Errorf("%s (strict=%v): %v %v", form, strict, err, warns)
				continue
			}
			if got := rep.DateRange.Start; !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("%s (strict=%v): got %v, want %v in UTC", form, strict, got, want)
			}
		}
	}
}
