package aggregate_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

func TestDetailNormalisation(t *testing.T) {
	base := report.FailureDetail{ResultType: report.ResultValidationFailure, FailureReasonCode: "X509_V_ERR_UNSPECIFIED"}
	with := func(f func(*report.FailureDetail)) report.FailureDetail {
		fd := base
		f(&fd)
		return fd
	}
	tests := []struct {
		name    string
		reason  string
		in      report.FailureDetail
		want    report.FailureDetail
		wantErr error
	}{
		{
			name:   "multi-line EHLO reply",
			reason: "QUIRK(Postfix tlsrpt library): the whole EHLO reply is passed; only its first line is the helo (RFC 8460 §4.4)",
			in: with(func(fd *report.FailureDetail) {
				fd.ReceivingMXHelo = "mx.example.com ESMTP\r\n250-PIPELINING\r\n250 STARTTLS"
			}),
			want: with(func(fd *report.FailureDetail) { fd.ReceivingMXHelo = "mx.example.com ESMTP" }),
		}, {
			name:   "long helo",
			reason: "cut to 255 octets at a character boundary",
			in:     with(func(fd *report.FailureDetail) { fd.ReceivingMXHelo = strings.Repeat("a", 254) + "éé" }),
			want:   with(func(fd *report.FailureDetail) { fd.ReceivingMXHelo = strings.Repeat("a", 254) }),
		}, {
			name:   "invalid utf-8",
			reason: "text a remote server chose is made valid I-JSON (RFC 7493 §2.1) instead of failing",
			in: with(func(fd *report.FailureDetail) {
				fd.ReceivingMXHelo = "mx\xff.example"
				fd.FailureReasonCode = "bad \xc3 cert \uFDD0"
			}),
			want: with(func(fd *report.FailureDetail) {
				fd.ReceivingMXHelo = "mx\uFFFD.example"
				fd.FailureReasonCode = "bad \uFFFD cert \uFFFD"
			}),
		}, {
			name: "mapped and zoned addresses",
			in: with(func(fd *report.FailureDetail) {
				fd.SendingMTAIP, fd.ReceivingIP = netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("fe80::25%2")
			}),
			want: with(func(fd *report.FailureDetail) {
				fd.SendingMTAIP, fd.ReceivingIP = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fe80::25")
			}),
			reason: "RFC 8460 §4.4 wants plain addresses",
		}, {
			name: "idn hostname",
			in:   with(func(fd *report.FailureDetail) { fd.ReceivingMXHostname = "MX.Bücher.Example." }),
			want: with(func(fd *report.FailureDetail) { fd.ReceivingMXHostname = "mx.xn--bcher-kva.example" }),
		},
		{name: "empty result-type", in: report.FailureDetail{}, wantErr: aggregate.ErrInvalidDetail},
		{
			name:   "validation-failure without reason",
			reason: "RFC 8460 §4.3.1 makes the reason code a SHOULD: the failure is counted and reported without it",
			in:     report.FailureDetail{ResultType: report.ResultValidationFailure},
			want:   report.FailureDetail{ResultType: report.ResultValidationFailure},
		}, {
			name:   "certificate-not-trusted without reason",
			reason: "RFC 8460 §4.3.1 makes the reason code a SHOULD: the failure is counted and reported without it",
			in:     report.FailureDetail{ResultType: report.ResultCertificateNotTrusted, ReceivingMXHostname: "mx1.example.com"},
			want:   report.FailureDetail{ResultType: report.ResultCertificateNotTrusted, ReceivingMXHostname: "mx1.example.com"},
		},
		{name: "unregistered result-type", in: report.FailureDetail{ResultType: "Testing"}, wantErr: aggregate.ErrInvalidDetail},
		{name: "multicast receiving-ip", in: with(func(fd *report.FailureDetail) { fd.ReceivingIP = netip.MustParseAddr("224.0.0.1") }), wantErr: aggregate.ErrInvalidDetail},
		{name: "unspecified sending-mta-ip", in: with(func(fd *report.FailureDetail) { fd.SendingMTAIP = netip.MustParseAddr("::") }), wantErr: aggregate.ErrInvalidDetail},
		{name: "additional-information not a URI", in: with(func(fd *report.FailureDetail) { fd.AdditionalInformation = "see the logs" }), wantErr: aggregate.ErrInvalidDetail},
		{name: "bad hostname", in: with(func(fd *report.FailureDetail) { fd.ReceivingMXHostname = "mx .example" }), wantErr: aggregate.ErrInvalidDetail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := aggregate.New(testConfig)
			id, err := a.PolicyID(stsCom)
			if err != nil {
				t.Fatal(err)
			}
			err = a.Record(aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(tt.in)})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Record = %v, want %v", err, tt.wantErr)
				}
				if days := a.Days(); len(days) != 0 {
					t.Errorf("a rejected session was counted")
				}
				return
			}
			if err != nil {
				t.Fatalf("Record: %v", err)
			}
			rs, err := a.Reports(noon)
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rs[0])
			tt.want.FailedSessionCount = 1
			if diff := cmp.Diff([]report.FailureDetail{tt.want}, rs[0].Policies[0].FailureDetails, cmpOpts); diff != "" {
				t.Errorf("%s\nfailure-details (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestPolicyNormalisation(t *testing.T) {
	tests := []struct {
		name    string
		in      policy.Policy
		want    policy.Policy
		wantErr error
	}{{
		name: "tlsa zone-file form",
		in:   policy.Policy{Type: policy.TypeTLSA, Domain: "MX.example.", Strings: []string{"3 1 1 (AB CD)", "2  0 1 EF"}},
		want: policy.Policy{Type: policy.TypeTLSA, Domain: "mx.example", Strings: []string{"2 0 1 ef", "3 1 1 abcd"}},
	}, {
		name: "sts mx patterns",
		in:   policy.Policy{Type: policy.TypeSTS, Domain: "bücher.example", Strings: []string{"mode: enforce"}, MXHosts: []string{"*.MX.Bücher.example", "mx1.example"}},
		want: policy.Policy{Type: policy.TypeSTS, Domain: "xn--bcher-kva.example", Strings: []string{"mode: enforce"}, MXHosts: []string{"*.mx.xn--bcher-kva.example", "mx1.example"}},
	},
		{name: "unknown type", in: policy.Policy{Type: "invalid-policy-type", Domain: "example.com"}, wantErr: aggregate.ErrInvalidPolicy},
		{name: "no-policy-found with strings", in: policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.com", Strings: []string{"x"}}, wantErr: aggregate.ErrInvalidPolicy},
		{name: "no-policy-found with mx-host", in: policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.com", MXHosts: []string{"mx.example.com"}}, wantErr: aggregate.ErrInvalidPolicy},
		{name: "tlsa garbage", in: policy.Policy{Type: policy.TypeTLSA, Domain: "example.com", Strings: []string{`["3 1 1 ab"]`}}, wantErr: aggregate.ErrInvalidPolicy},
		{name: "tlsa mnemonic", in: policy.Policy{Type: policy.TypeTLSA, Domain: "example.com", Strings: []string{"DANE-EE SPKI SHA2-256 ab"}}, wantErr: aggregate.ErrInvalidPolicy},
		{name: "invalid utf-8 policy-string", in: policy.Policy{Type: policy.TypeSTS, Domain: "example.com", Strings: []string{"mode: \xff"}}, wantErr: aggregate.ErrInvalidPolicy},
		{name: "mx pattern with trailing dot", in: policy.Policy{Type: policy.TypeSTS, Domain: "example.com", MXHosts: []string{"*.mx.example.com."}}, wantErr: aggregate.ErrInvalidPolicy},
		{name: "mx pattern with prefix", in: policy.Policy{Type: policy.TypeSTS, Domain: "example.com", MXHosts: []string{"mx: mx.example.com"}}, wantErr: aggregate.ErrInvalidPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := aggregate.New(testConfig)
			id, err := a.PolicyID(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("PolicyID = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Record(aggregate.Session{Time: noon, Policy: id}); err != nil {
				t.Fatal(err)
			}
			rs, err := a.Reports(noon)
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rs[0])
			if diff := cmp.Diff(tt.want, rs[0].Policies[0].Policy, cmpOpts); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostNameFastPath checks that the one-pass check agrees with the
// IDNA path on names it accepts or that sit at its edges.
func TestHostNameFastPath(t *testing.T) {
	for _, name := range []string{
		"mx.example.com", "a", "0.1.2.3", "a-b.c", "-a.b", "a-.b", "a..b", "a.b.", ".a",
		"xn--bcher-kva.example", "mx.xn--bcher-kva.example", "axn--b.example", "Mx.example",
		strings.Repeat("a", 63) + ".b", strings.Repeat("a", 64) + ".b",
		strings.Repeat("a.", 126) + "b", strings.Repeat("a.", 127) + "b",
		"a_b.example", "münchen.example", "\xff.example",
	} {
		a := aggregate.New(testConfig)
		_, err := a.PolicyID(policy.Policy{Type: policy.TypeNoPolicyFound, Domain: name})
		_, want := domain.ToASCII(name)
		if (err == nil) != (want == nil) && !strings.Contains(name, "\xff") {
			t.Errorf("PolicyID(%q) = %v; domain.ToASCII error %v", name, err, want)
		}
	}
}
