package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// goldenReport is a report as an MTA builds it, with values the encoder
// must canonicalise.
func goldenReport() Report {
	return Report{
		OrganizationName: "Company-X <reports> & more",
		DateRange: DateRange{
			Start: time.Date(2016, 4, 1, 2, 0, 0, 0, time.FixedZone("CEST", 2*3600)),
			End:   time.Date(2016, 4, 1, 23, 59, 59, 0, time.UTC),
		},
		ContactInfo: "sts-reporting@company-x.example",
		ReportID:    "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
		Policies: []PolicyResult{{
			Policy: policy.Policy{
				Type:    policy.TypeSTS,
				Strings: []string{"version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"},
				Domain:  "Company-Y.example.",
				MXHosts: []string{"*.mail.company-y.example"},
			},
			Summary: Summary{TotalSuccessfulSessionCount: 5326, TotalFailureSessionCount: 303},
			FailureDetails: []FailureDetail{{
				ResultType:          ResultCertificateExpired,
				SendingMTAIP:        netip.MustParseAddr("2001:db8:abcd:0012::1"),
				ReceivingMXHostname: "mx1.mail.company-y.example",
				FailedSessionCount:  100,
			}, {
				ResultType:            "STARTTLS-NOT-SUPPORTED",
				SendingMTAIP:          netip.MustParseAddr("::ffff:192.0.2.1"),
				ReceivingMXHostname:   "mx2.mail.company-y.example",
				ReceivingIP:           netip.MustParseAddr("203.0.113.56"),
				FailedSessionCount:    200,
				AdditionalInformation: "https://reports.company-x.example/report_info?id=5065427c-23d3&x=1#StarttlsNotSupported",
			}, {
				ResultType:          ResultValidationFailure,
				SendingMTAIP:        netip.MustParseAddr("198.51.100.62"),
				ReceivingIP:         netip.MustParseAddr("203.0.113.58"),
				ReceivingMXHostname: "mx-backup.mail.company-y.example",
				ReceivingMXHelo:     "mx-backup ESMTP\u2028\"ready\"\t\x01",
				FailedSessionCount:  3,
				FailureReasonCode:   "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED",
			}},
		}, {
			Policy: policy.Policy{
				Type:    "TLSA",
				Strings: []string{`["3 1 1 ( 7FF8B87B B269715F )"]`},
				Domain:  "mx1.mail.company-y.example",
			},
		}, {
			Policy: policy.Policy{Type: "x-future", Domain: "bücher.example"},
		}},
	}
}

func TestEncodeGolden(t *testing.T) {
	rep := goldenReport()
	got, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "golden", "encode-report.json"), got)

	// json.Marshal of the value, of the pointer, and AppendJSON agree.
	ptr, err := json.Marshal(&rep)
	if err != nil {
		t.Fatal(err)
	}
	app, err := rep.AppendJSON([]byte("prefix"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ptr) || !bytes.Equal(got, app[len("prefix"):]) {
		t.Errorf("encodings differ:\n%s\n%s\n%s", got, ptr, app)
	}

	// The strict decoder accepts it; decode → encode is identical.
	back, warns, err := (&Decoder{Strict: true}).Decode(bytes.NewReader(got))
	if err != nil || len(warns) != 0 {
		t.Fatalf("strict decode: %v %v", err, warns)
	}
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, again) {
		t.Errorf("encode → decode → encode differs:\n%s\n%s", got, again)
	}
	// And encoding/json reads the same values (the escapes are standard).
	var generic map[string]any
	if err := json.Unmarshal(got, &generic); err != nil {
		t.Fatal(err)
	}
	if generic["organization-name"] != rep.OrganizationName {
		t.Errorf("organization-name = %q", generic["organization-name"])
	}
}

func TestEncodeEmpty(t *testing.T) {
	got, err := json.Marshal(Report{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"organization-name":"","date-range":{"start-datetime":"0001-01-01T00:00:00Z","end-datetime":"0001-01-01T00:00:00Z"},"contact-info":"","report-id":"","policies":[]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, _, err := (&Decoder{Strict: true}).Decode(bytes.NewReader(got)); err != nil {
		t.Errorf("strict decode: %v", err)
	}
}

func TestEncodeParts(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"date-range", DateRange{Start: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 5, 1, 23, 59, 59, 500, time.UTC)},
			`{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59.0000005Z"}`},
		{"summary", Summary{1, 2}, `{"total-successful-session-count":1,"total-failure-session-count":2}`},
		{"detail", FailureDetail{ResultType: ResultDANERequired, FailedSessionCount: 1},
			`{"result-type":"dane-required","failed-session-count":1}`},
		{"policy result", PolicyResult{Policy: policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.com"}},
			`{"policy":{"policy-type":"no-policy-found","policy-string":[],"policy-domain":"example.com","mx-host":[]},"summary":{"total-successful-session-count":0,"total-failure-session-count":0},"failure-details":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	base := func() Report {
		return Report{DateRange: DateRange{End: time.Unix(0, 0)}, Policies: []PolicyResult{{FailureDetails: []FailureDetail{{}, {}}}}}
	}
	tests := []struct {
		name   string
		modify func(*Report)
		path   string
	}{
		{"negative count", func(r *Report) { r.Policies[0].Summary.TotalFailureSessionCount = -1 }, "policies[0].summary.total-failure-session-count"},
		{"count beyond 2^53-1", func(r *Report) { r.Policies[0].FailureDetails[1].FailedSessionCount = 1 << 53 }, "policies[0].failure-details[1].failed-session-count"},
		{"year 10000", func(r *Report) { r.DateRange.End = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "date-range.end-datetime"},
		{"end before start", func(r *Report) { r.DateRange.Start = time.Unix(1, 0) }, "date-range"},
		{"invalid UTF-8", func(r *Report) { r.Policies[0].FailureDetails[0].FailureReasonCode = "a\xffb" }, "policies[0].failure-details[0].failure-reason-code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.modify(&r)
			_, err := json.Marshal(r)
			var ee *tlsrpt.Diagnostic
			if !errors.As(err, &ee) {
				t.Fatalf("got %v, want *tlsrpt.Diagnostic", err)
			}
			if ee.Path != tt.path {
				t.Errorf("path %q, want %q (%v)", ee.Path, tt.path, err)
			}
		})
	}
}

// TestEncodeStringsLikeEncodingJSON checks that strings are escaped
// exactly as encoding/json escapes them, so json.Marshal does not rewrite
// MarshalJSON's output.
func TestEncodeStringsLikeEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "<a href=\"x\">&amp;</a>", "tab\tnl\ncr\rbs\\", "\x00\x01\x1f\x7f", "\b\f", "é ü 日本", "\u2028\u2029", "emoji 😀"} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var e encodeState
		e.str(s, "x")
		if e.err != nil {
			t.Fatal(e.err)
		}
		if !bytes.Equal(want, e.b) {
			t.Errorf("%q: got %s, want %s", s, e.b, want)
		}
	}
}

// TestEncodeCanonicalisesLikeDecoder: what the lenient decoder repairs, the
// encoder writes in repaired form, and decoding that gives the same model.
func TestEncodeCanonicalisesLikeDecoder(t *testing.T) {
	rep := goldenReport()
	out, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := (&Decoder{Strict: true}).Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		"company-y.example",
		ResultSTARTTLSNotSupported,
		netip.MustParseAddr("192.0.2.1"),
		policy.TypeTLSA,
		[]string{"3 1 1 7FF8B87BB269715F"},
		"xn--bcher-kva.example",
		time.Date(2016, 4, 1, 0, 0, 0, 0, time.UTC),
	}
	got := []any{
		back.Policies[0].Policy.Domain,
		back.Policies[0].FailureDetails[1].ResultType,
		back.Policies[0].FailureDetails[1].SendingMTAIP,
		back.Policies[1].Policy.Type,
		back.Policies[1].Policy.Strings,
		back.Policies[2].Policy.Domain,
		back.DateRange.Start,
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestEmbedded: inside another value, json.Marshal writes the canonical
// form and json.Unmarshal decodes strictly.
func TestEmbedded(t *testing.T) {
	type envelope struct {
		Report *Report `json:"report"`
		Other  string  `json:"other"`
	}
	rep := goldenReport()
	want, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(envelope{Report: &rep, Other: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, want) {
		t.Errorf("embedded encoding differs:\n%s\n%s", got, want)
	}
	var env envelope
	if err := json.Unmarshal(got, &env); err != nil {
		t.Fatal(err)
	}
	if env.Report.Policies[0].Policy.Domain != "company-y.example" || env.Other != "x" {
		t.Errorf("got %+v", env)
	}
	bad := []byte(`{"report":{"organization-name":"x","date-range":{"start-datetime":"2024-05-01T00:00:00","end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"a","report-id":"r","policies":[]}}`)
	var de *tlsrpt.Diagnostic
	if err := json.Unmarshal(bad, &env); !errors.As(err, &de) || de.Code != CodeDateTimeNoZone {
		t.Errorf("got %v, want a strict date-time-no-zone error", err)
	}
}
