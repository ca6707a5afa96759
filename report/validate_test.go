package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
	"github.com/go-tlsrpt/tlsrpt/internal/golden"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/policy"
)

// semValidReport returns a report that breaks no Validate rule: an sts and
// a tlsa policy for one domain, with failures.
func semValidReport() *Report {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	return &Report{
		OrganizationName: "Example Mail",
		DateRange:        DateRange{Start: day, End: day.Add(24*time.Hour - time.Second)},
		ContactInfo:      "tlsrpt@mail.example.net",
		ReportID:         "20261124.example.com.1@mail.example.net",
		Policies: []PolicyResult{{
			Policy: policy.Policy{
				Type:    policy.TypeSTS,
				Strings: []string{"version: STSv1", "mode: enforce", "mx: *.example.com", "max_age: 604800"},
				Domain:  "example.com",
				MXHosts: []string{"*.example.com"},
			},
			Summary: Summary{TotalSuccessfulSessionCount: 120, TotalFailureSessionCount: 3},
			FailureDetails: []FailureDetail{{
				ResultType:          ResultCertificateExpired,
				SendingMTAIP:        netip.MustParseAddr("192.0.2.10"),
				ReceivingMXHostname: "mx1.example.com",
				ReceivingMXHelo:     "mx1.example.com",
				ReceivingIP:         netip.MustParseAddr("2001:db8::25"),
				FailedSessionCount:  2,
				FailureReasonCode:   "certificate-expired",
			}, {
				ResultType:            ResultValidationFailure,
				SendingMTAIP:          netip.MustParseAddr("192.0.2.10"),
				ReceivingMXHostname:   "mx2.example.com",
				FailedSessionCount:    1,
				AdditionalInformation: "https://mail.example.net/tlsrpt/info?id=1",
				FailureReasonCode:     "tls-alert-handshake-failure",
			}},
		}, {
			Policy: policy.Policy{
				Type:    policy.TypeTLSA,
				Strings: []string{"3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"},
				Domain:  "example.com",
			},
			Summary: Summary{TotalSuccessfulSessionCount: 40},
		}},
	}
}

// semProblem is a Validate problem as the table expects it: the exact path
// and a word or phrase its reason must contain.
type semProblem struct {
	Path string
	Has  string
}

// semProblems turns Validate's result into semProblems, checking on the way
// that every joined error is a *tlsrpt.Diagnostic.
func semProblems(t *testing.T, err error, want []semProblem) []semProblem {
	t.Helper()
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Validate returned %T, want an errors.Join result", err)
	}
	var got []semProblem
	for i, e := range j.Unwrap() {
		var ve *tlsrpt.Diagnostic
		if !errors.As(e, &ve) {
			t.Fatalf("joined error %d is %T, want *tlsrpt.Diagnostic", i, e)
		}
		if ve.Code == "" || ve.Severity != tlsrpt.SeverityError {
			t.Errorf("problem %q has code %q, severity %q", ve.Error(), ve.Code, ve.Severity)
		}
		p := semProblem{Path: ve.Path}
		// Keep the expected phrase when the reason contains it, so the
		// diff shows only real differences.
		if i < len(want) && strings.Contains(ve.Message, want[i].Has) {
			p.Has = want[i].Has
		} else {
			p.Has = ve.Message
		}
		got = append(got, p)
	}
	return got
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		edit   func(r *Report)
		want   []semProblem
	}{{
		name:   "valid",
		reason: "the base report follows every rule",
		edit:   func(r *Report) {},
	}, {
		name:   "valid next-day end",
		reason: "end-datetime 00:00:00Z of the next day is accepted",
		edit:   func(r *Report) { r.DateRange.End = r.DateRange.Start.Add(24 * time.Hour) },
	}, {
		name:   "valid non-UTC location",
		reason: "the same instants in another zone are fine",
		edit: func(r *Report) {
			loc := time.FixedZone("CET", 3600)
			r.DateRange.Start, r.DateRange.End = r.DateRange.Start.In(loc), r.DateRange.End.In(loc)
		},
	}, {
		name:   "valid no-policy-found",
		reason: "no-policy-found with only a domain and successes",
		edit: func(r *Report) {
			r.Policies = []PolicyResult{{
				Policy:  policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.com"},
				Summary: Summary{TotalSuccessfulSessionCount: 10},
			}}
		},
	}, {
		name:   "valid contact URI and punycode domain",
		reason: "contact-info may be a URI; A-labels pass",
		edit: func(r *Report) {
			r.ContactInfo = "https://mail.example.net/tlsrpt"
			r.Policies = r.Policies[1:]
			r.Policies[0].Policy.Domain = "xn--gpher-jua.test"
		},
	}, {
		name: "blank organization-name",
		edit: func(r *Report) { r.OrganizationName = "  " },
		want: []semProblem{{"organization-name", "missing"}},
	}, {
		name: "missing contact-info",
		edit: func(r *Report) { r.ContactInfo = "" },
		want: []semProblem{{"contact-info", "missing"}},
	}, {
		name: "contact-info with display name",
		edit: func(r *Report) { r.ContactInfo = "TLS Reports <tlsrpt@example.net>" },
		want: []semProblem{{"contact-info", "bare e-mail address"}},
	}, {
		name: "missing report-id",
		edit: func(r *Report) { r.ReportID = "" },
		want: []semProblem{{"report-id", "missing"}},
	}, {
		name: "report-id with space",
		edit: func(r *Report) { r.ReportID = "report 1" },
		want: []semProblem{{"report-id", "white space"}},
	}, {
		name: "report-id with angle brackets",
		edit: func(r *Report) { r.ReportID = "<1@example.net>" },
		want: []semProblem{{"report-id", "angle bracket"}},
	}, {
		name: "zero date range",
		edit: func(r *Report) { r.DateRange = DateRange{} },
		want: []semProblem{{"date-range.start-datetime", "missing"}, {"date-range.end-datetime", "missing"}},
	}, {
		name: "end before start",
		edit: func(r *Report) {
			r.DateRange.Start, r.DateRange.End = r.DateRange.End, r.DateRange.Start
		},
		want: []semProblem{{"date-range", "not after"}},
	}, {
		name: "end equals start",
		edit: func(r *Report) { r.DateRange.End = r.DateRange.Start },
		want: []semProblem{{"date-range", "not after"}},
	}, {
		name: "start not midnight",
		edit: func(r *Report) { r.DateRange.Start = r.DateRange.Start.Add(time.Hour) },
		want: []semProblem{{"date-range.start-datetime", "00:00:00Z"}},
	}, {
		name: "start midnight in another zone only",
		edit: func(r *Report) {
			r.DateRange.Start = time.Date(2026, 11, 24, 0, 0, 0, 0, time.FixedZone("CET", 3600))
		},
		want: []semProblem{{"date-range.start-datetime", "2026-11-23T23:00:00Z is not 00:00:00Z"}},
	}, {
		name: "seven-day range",
		edit: func(r *Report) { r.DateRange.End = r.DateRange.Start.Add(7*24*time.Hour - time.Second) },
		want: []semProblem{{"date-range.end-datetime", "want 2026-11-24T23:59:59Z"}},
	}, {
		name: "end with fraction",
		edit: func(r *Report) { r.DateRange.End = r.DateRange.Start.Add(24*time.Hour - time.Millisecond) },
		want: []semProblem{{"date-range.end-datetime", "does not close the UTC day"}},
	}, {
		name: "no policies",
		edit: func(r *Report) { r.Policies = nil },
		want: []semProblem{{"policies", "at least one"}},
	}, {
		name: "two policy domains",
		edit: func(r *Report) { r.Policies[1].Policy.Domain = "example.org" },
		want: []semProblem{{"policies[1].policy.policy-domain", "one report per policy domain"}},
	}, {
		name: "missing policy-domain",
		edit: func(r *Report) { r.Policies[0].Policy.Domain = "" },
		want: []semProblem{{"policies[0].policy.policy-domain", "missing"}},
	}, {
		name:   "upper-case policy-domain",
		reason: "reported once as non-canonical, not again as a second domain",
		edit:   func(r *Report) { r.Policies[1].Policy.Domain = "Example.COM" },
		want:   []semProblem{{"policies[1].policy.policy-domain", `want "example.com"`}},
	}, {
		name: "trailing dot",
		edit: func(r *Report) { r.Policies[0].Policy.Domain = "example.com." },
		want: []semProblem{{"policies[0].policy.policy-domain", "trailing dot"}},
	}, {
		name: "U-label policy-domain",
		edit: func(r *Report) {
			r.Policies = r.Policies[1:]
			r.Policies[0].Policy.Domain = "göpher.test"
		},
		want: []semProblem{{"policies[0].policy.policy-domain", `want "xn--gpher-jua.test"`}},
	}, {
		name: "invalid policy-domain",
		edit: func(r *Report) {
			r.Policies = r.Policies[1:]
			r.Policies[0].Policy.Domain = "exa mple.com"
		},
		want: []semProblem{{"policies[0].policy.policy-domain", "not a valid domain name"}},
	}, {
		name: "missing policy-type",
		edit: func(r *Report) { r.Policies[1].Policy.Type = "" },
		want: []semProblem{{"policies[1].policy.policy-type", "missing"}},
	}, {
		name:   "unknown policy-type",
		reason: "decoders keep unknown types; producers must not send them",
		edit:   func(r *Report) { r.Policies[1].Policy.Type = "mta-sts-v2" },
		want:   []semProblem{{"policies[1].policy.policy-type", `unknown policy-type "mta-sts-v2"`}},
	}, {
		name: "no-policy-found with policy-string and mx-host",
		edit: func(r *Report) {
			r.Policies = r.Policies[:1]
			r.Policies[0].Policy.Type = policy.TypeNoPolicyFound
		},
		want: []semProblem{
			{"policies[0].policy.policy-string", "must be empty for no-policy-found"},
			{"policies[0].policy.mx-host", "must be empty for no-policy-found"},
		},
	}, {
		name:   "tlsa policy-string as one JSON array",
		reason: "the Microsoft shape is repaired on input, never produced",
		edit: func(r *Report) {
			r.Policies[1].Policy.Strings = []string{`["3 1 1 0c72ac70","2 1 1 ab12"]`}
		},
		want: []semProblem{{"policies[1].policy.policy-string[0]", "presentation form"}},
	}, {
		name: "tlsa hex with spaces",
		edit: func(r *Report) {
			r.Policies[1].Policy.Strings = append(r.Policies[1].Policy.Strings, "3 1 1 0c72ac70 b745ac19")
		},
		want: []semProblem{{"policies[1].policy.policy-string[1]", "presentation form"}},
	}, {
		name: "mx-host with prefix and upper case",
		edit: func(r *Report) {
			r.Policies[0].Policy.MXHosts = []string{"*.example.com", "mx: mx.example.com", "MX.example.com", "mx.example.com.", "*"}
		},
		want: []semProblem{
			{"policies[0].policy.mx-host[1]", "A-label"},
			{"policies[0].policy.mx-host[2]", "A-label"},
			{"policies[0].policy.mx-host[3]", "A-label"},
			{"policies[0].policy.mx-host[4]", "A-label"},
		},
	}, {
		name: "duplicate policy",
		edit: func(r *Report) {
			r.Policies = append(r.Policies, r.Policies[1])
			r.Policies[2].Summary.TotalSuccessfulSessionCount = 5
		},
		want: []semProblem{{"policies[2].policy", "same policy as policies[1]"}},
	}, {
		name: "negative counts",
		edit: func(r *Report) {
			r.Policies[1].Summary = Summary{TotalSuccessfulSessionCount: -1, TotalFailureSessionCount: -2}
		},
		want: []semProblem{
			{"policies[1].summary.total-successful-session-count", "negative"},
			{"policies[1].summary.total-failure-session-count", "negative"},
		},
	}, {
		name: "counts beyond I-JSON",
		edit: func(r *Report) {
			r.Policies[0].Summary.TotalSuccessfulSessionCount = 1 << 53
			r.Policies[0].FailureDetails[0].FailedSessionCount = 1<<63 - 1
		},
		want: []semProblem{
			{"policies[0].summary.total-successful-session-count", "exceeds 2^53-1"},
			{"policies[0].failure-details[0].failed-session-count", "exceeds 2^53-1"},
		},
	}, {
		name:   "largest I-JSON count",
		reason: "2^53-1 itself is fine",
		edit:   func(r *Report) { r.Policies[0].Summary.TotalSuccessfulSessionCount = 1<<53 - 1 },
	}, {
		name: "year beyond RFC 3339",
		edit: func(r *Report) {
			r.DateRange.Start = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
			r.DateRange.End = r.DateRange.Start.Add(24*time.Hour - time.Second)
		},
		want: []semProblem{{"date-range.start-datetime", "year 10000 is outside 0000-9999"}},
	}, {
		name: "failure details without failure total",
		edit: func(r *Report) { r.Policies[0].Summary.TotalFailureSessionCount = 0 },
		want: []semProblem{{"policies[0].summary.total-failure-session-count", "failure-details lists 2 failures"}},
	}, {
		name:   "failure total below the sum of details",
		reason: "failure types are not exclusive, so sums are not compared (RFC 8460 §4)",
		edit:   func(r *Report) { r.Policies[0].Summary.TotalFailureSessionCount = 2 },
	}, {
		name: "zero failed-session-count",
		edit: func(r *Report) { r.Policies[0].FailureDetails[1].FailedSessionCount = 0 },
		want: []semProblem{{"policies[0].failure-details[1].failed-session-count", "less than 1"}},
	}, {
		name: "negative failed-session-count",
		edit: func(r *Report) { r.Policies[0].FailureDetails[0].FailedSessionCount = -4 },
		want: []semProblem{{"policies[0].failure-details[0].failed-session-count", "-4 is less than 1"}},
	}, {
		name: "missing result-type",
		edit: func(r *Report) { r.Policies[0].FailureDetails[0].ResultType = "" },
		want: []semProblem{{"policies[0].failure-details[0].result-type", "missing"}},
	}, {
		name: "unknown result-type",
		edit: func(r *Report) { r.Policies[0].FailureDetails[1].ResultType = "Certificate-Expired" },
		want: []semProblem{{"policies[0].failure-details[1].result-type", "not a registered result type"}},
	}, {
		name: "catch-all without reason code",
		edit: func(r *Report) {
			r.Policies[0].FailureDetails[1].FailureReasonCode = ""
			r.Policies[0].FailureDetails[0].FailureReasonCode = ""
		},
		reason: "RFC 8460 §4.3.1 makes the reason code a SHOULD: a failure of unknown cause is still reported",
	}, {
		name: "certificate-not-trusted without reason code",
		edit: func(r *Report) {
			r.Policies[0].FailureDetails[1].ResultType = ResultCertificateNotTrusted
			r.Policies[0].FailureDetails[1].FailureReasonCode = ""
		},
		reason: "RFC 8460 §4.3.1 makes the reason code a SHOULD, for certificate-not-trusted too",
	}, {
		name: "bad addresses",
		edit: func(r *Report) {
			fd := &r.Policies[0].FailureDetails[0]
			fd.SendingMTAIP = netip.MustParseAddr("::ffff:192.0.2.10")
			fd.ReceivingIP = netip.MustParseAddr("fe80::1%eth0")
			fd2 := &r.Policies[0].FailureDetails[1]
			fd2.SendingMTAIP = netip.MustParseAddr("0.0.0.0")
			fd2.ReceivingIP = netip.MustParseAddr("ff02::1")
		},
		want: []semProblem{
			{"policies[0].failure-details[0].sending-mta-ip", "write the IPv4 address 192.0.2.10"},
			{"policies[0].failure-details[0].receiving-ip", "zone"},
			{"policies[0].failure-details[1].sending-mta-ip", "unicast"},
			{"policies[0].failure-details[1].receiving-ip", "unicast"},
		},
	}, {
		name:   "absent addresses",
		reason: "the zero netip.Addr means the member is absent, which is allowed",
		edit: func(r *Report) {
			r.Policies[0].FailureDetails[1].SendingMTAIP = netip.Addr{}
		},
	}, {
		name: "receiving-mx-hostname not canonical",
		edit: func(r *Report) { r.Policies[0].FailureDetails[0].ReceivingMXHostname = "MX1.example.com." },
		want: []semProblem{{"policies[0].failure-details[0].receiving-mx-hostname", "A-label"}},
	}, {
		name:   "multi-line helo",
		reason: "a whole EHLO reply was recorded instead of the host name",
		edit: func(r *Report) {
			r.Policies[0].FailureDetails[0].ReceivingMXHelo = "mx1.example.com ESMTP\r\n250-PIPELINING\r\n250 STARTTLS"
		},
		want: []semProblem{{"policies[0].failure-details[0].receiving-mx-helo", "line break"}},
	}, {
		name: "additional-information not a URI",
		edit: func(r *Report) {
			r.Policies[0].FailureDetails[1].AdditionalInformation = "https://reports.example/report_info ? id = 5065427"
		},
		want: []semProblem{{"policies[0].failure-details[1].additional-information", "absolute URI"}},
	}, {
		name: "invalid UTF-8 and noncharacters",
		edit: func(r *Report) {
			r.OrganizationName = "Example \xff Mail"
			r.ReportID = "id\x85"
			r.Policies[0].Policy.Strings[1] = "mode: \ufdd0"
			r.Policies[0].FailureDetails[0].FailureReasonCode = "bad \U0010FFFF"
		},
		want: []semProblem{
			{"organization-name", "invalid UTF-8 at byte 8"},
			{"report-id", "invalid UTF-8 at byte 2"},
			{"policies[0].policy.policy-string[1]", "noncharacter U+FDD0"},
			{"policies[0].failure-details[0].failure-reason-code", "noncharacter U+10FFFF"},
		},
	}, {
		name:   "replacement character",
		reason: "U+FFFD written on purpose is valid text",
		edit:   func(r *Report) { r.Policies[0].FailureDetails[0].FailureReasonCode = "bad \ufffd byte" },
	}, {
		name: "duplicate failure detail",
		edit: func(r *Report) {
			fd := r.Policies[0].FailureDetails[0]
			fd.FailedSessionCount = 7
			r.Policies[0].FailureDetails = append(r.Policies[0].FailureDetails, fd)
		},
		want: []semProblem{{"policies[0].failure-details[2]", "same failure as failure-details[0]"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := semValidReport()
			tt.edit(r)
			got := semProblems(t, r.Validate(), tt.want)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidateAllAtOnce checks that Validate reports every problem of a
// badly built report in one call, in document order, each a
// *tlsrpt.Diagnostic that errors.As finds.
func TestValidateAllAtOnce(t *testing.T) {
	r := semValidReport()
	r.OrganizationName = ""
	r.DateRange.End = r.DateRange.Start.Add(48 * time.Hour)
	r.Policies[1].Policy.Domain = "example.org"
	r.Policies[0].FailureDetails[0].ResultType = "starttls-failed"
	r.Policies[0].FailureDetails[1].FailedSessionCount = 0
	r.Policies[1].Summary.TotalFailureSessionCount = -1

	err := r.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want six problems")
	}
	var first *tlsrpt.Diagnostic
	if !errors.As(err, &first) || first.Path != "organization-name" {
		t.Fatalf("errors.As found %v, want the organization-name problem first", first)
	}
	want := []string{
		"organization-name",
		"date-range.end-datetime",
		"policies[0].failure-details[0].result-type",
		"policies[0].failure-details[1].failed-session-count",
		"policies[1].policy.policy-domain",
		"policies[1].summary.total-failure-session-count",
	}
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ve *tlsrpt.Diagnostic
		if !errors.As(e, &ve) {
			t.Fatalf("%T is not a *tlsrpt.Diagnostic", e)
		}
		got = append(got, ve.Path)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem paths (-want +got):\n%s", diff)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(want) {
		t.Errorf("Error() has %d lines, want %d:\n%s", n, len(want), err)
	}
}

func TestValidateNil(t *testing.T) {
	var r *Report
	err := r.Validate()
	var ve *tlsrpt.Diagnostic
	if !errors.As(err, &ve) || ve.Path != "" || ve.Code != CodeMissingMember || ve.Message != "report is nil" {
		t.Errorf("(*Report)(nil).Validate() = %v, want a *tlsrpt.Diagnostic for the nil report", err)
	}
}

func BenchmarkValidate(b *testing.B) {
	r := semValidReport()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := r.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestValidateCorpus runs Validate over every report of the shared corpus,
// decoded leniently, and compares what it finds with
// testdata/semantics/corpus-validate.golden (-update rewrites it). It pins
// down which producer rules real senders break, and keeps Validate from
// panicking on anything a real sender produced.
func TestValidateCorpus(t *testing.T) {
	dir := corpus.Dir(t, "reports")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("== " + name + "\n")
		r, _, err := Parse(data)
		if err != nil {
			// The decoder's own corpus test says why; here it is a
			// regression all the same.
			t.Errorf("%s: lenient decode failed: %v", name, err)
			b.WriteString("decode failed\n")
			continue
		}
		err = r.Validate()
		if err == nil {
			b.WriteString("valid\n")
			continue
		}
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var ve *tlsrpt.Diagnostic
			if !errors.As(e, &ve) {
				t.Fatalf("%s: %T is not a *tlsrpt.Diagnostic", name, e)
			}
			b.WriteString(ve.Path + ": " + ve.Message + "\n")
		}
	}
	golden.Check(t, filepath.Join("testdata", "semantics", "corpus-validate.golden"), b.String(), *update)
}

// FuzzValidate builds a one- or two-policy report from the fuzzer's
// values and checks that Validate never panics, returns only
// *tlsrpt.Diagnostic values with a path and a reason, gives the same answer
// twice, and that a report it accepts still passes after the canonical
// encoding and a strict decode: what a producer validated is what the
// receiver gets.
func FuzzValidate(f *testing.F) {
	base := semValidReport()
	fd := base.Policies[0].FailureDetails[0]
	f.Add(base.OrganizationName, base.ContactInfo, base.ReportID, base.DateRange.Start.Unix(), int64(86399),
		"sts", "example.com", "version: STSv1", "*.example.com", int64(120), int64(3),
		string(fd.ResultType), "192.0.2.10", "2001:db8::25", "mx1.example.com", "mx1.example.com", "", "certificate-expired", int64(2), true)
	f.Add("", "x", "a b", int64(0), int64(-5), "tlsa", "Example.COM.", "3 1 1 zz", "mx: a", int64(-1), int64(0),
		"Certificate-Expired", "::ffff:1.2.3.4", "fe80::1%eth0", "MX.", "a\r\nb", "not a uri", "", int64(0), false)
	f.Add("Org", "https://example.net/c", "id", int64(1764028800), int64(86400), "no-policy-found", "xn--gpher-jua.test", "", "", int64(0), int64(0),
		"", "", "", "", "", "", "", int64(1), true)
	f.Add("Org", "a@b.example", "id", int64(253402214400), int64(86399), "sts", "b.example", "", "", int64(1<<53-1), int64(1<<53),
		"validation-failure", "", "", "", "", "", "", int64(1<<53), false)
	f.Fuzz(func(t *testing.T, org, contact, id string, start, length int64, ptype, dom, pstr, mx string,
		succ, fail int64, rt, ip1, ip2, mxName, helo, addl, reason string, count int64, two bool) {
		const limit = 1 << 40 // about year 36812, either side of 1970
		if start < -limit || start > limit || length < -limit || length > limit {
			return
		}
		r := &Report{
			OrganizationName: org,
			ContactInfo:      contact,
			ReportID:         id,
			DateRange:        DateRange{Start: time.Unix(start, 0).UTC(), End: time.Unix(start+length, 0).UTC()},
		}
		p := PolicyResult{
			Policy:  policy.Policy{Type: policy.Type(ptype), Domain: dom},
			Summary: Summary{TotalSuccessfulSessionCount: succ, TotalFailureSessionCount: fail},
		}
		if pstr != "" {
			p.Policy.Strings = []string{pstr}
		}
		if mx != "" {
			p.Policy.MXHosts = []string{mx}
		}
		d := FailureDetail{
			ResultType:            ResultType(rt),
			ReceivingMXHostname:   mxName,
			ReceivingMXHelo:       helo,
			AdditionalInformation: addl,
			FailureReasonCode:     reason,
			FailedSessionCount:    count,
		}
		d.SendingMTAIP, _ = netip.ParseAddr(ip1)
		d.ReceivingIP, _ = netip.ParseAddr(ip2)
		if count != 0 || rt != "" {
			p.FailureDetails = []FailureDetail{d}
		}
		r.Policies = []PolicyResult{p}
		if two {
			q := p
			q.Policy.Type = policy.TypeNoPolicyFound
			q.Policy.Strings, q.Policy.MXHosts, q.FailureDetails = nil, nil, nil
			r.Policies = append(r.Policies, q)
		}

		err := r.Validate()
		if again := r.Validate(); (err == nil) != (again == nil) || err != nil && err.Error() != again.Error() {
			t.Fatalf("Validate is not deterministic:\n%v\n---\n%v", err, again)
		}
		if err != nil {
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ve *tlsrpt.Diagnostic
				if !errors.As(e, &ve) || ve.Message == "" || ve.Path == "" {
					t.Fatalf("joined error %#v is not a *tlsrpt.Diagnostic with path and reason", e)
				}
			}
			return
		}
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("a valid report does not encode: %v", err)
		}
		dec := Decoder{Strict: true}
		back, warns, err := dec.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("strict decode of a valid report's encoding failed: %v\n%s", err, data)
		}
		if len(warns) > 0 {
			t.Fatalf("strict decode warned: %v", warns)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("valid report is invalid after encode and decode: %v\n%s", err, data)
		}
	})
}
