package policy

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt"
)

func TestNoPolicyFound(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "plain", in: "example.com", want: "example.com"},
		{name: "upper and dot", in: "Example.COM.", want: "example.com"},
		{name: "u-label", in: "göpher.test", want: "xn--gpher-jua.test"},
		{name: "empty", in: "", wantErr: true},
		{name: "space", in: "a b.example", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NoPolicyFound(tt.in)
			if tt.wantErr {
				var d *tlsrpt.Diagnostic
				if !errors.As(err, &d) || d.Path != "policy-domain" || d.Code != CodeInvalidDomain || d.Severity != tlsrpt.SeverityError ||
					!strings.HasPrefix(d.Message, "invalid policy domain "+strconv.Quote(tt.in)+": ") || len(d.Message) <= len("invalid policy domain "+strconv.Quote(tt.in)+": ") {
					t.Fatalf("NoPolicyFound(%q) error = %#v, want a CodeInvalidDomain *tlsrpt.Diagnostic naming the name and the IDNA error", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Policy{Type: TypeNoPolicyFound, Domain: tt.want}, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFromSTSTextCanonical builds the policy block of a parsed policy in
// the canonical order, FromSTSText(domain, p.String()).
func TestFromSTSTextCanonical(t *testing.T) {
	// Google-style order in the file; p.String() has the canonical order.
	p, err := ParseSTSPolicy("version: STSv1\nmode: enforce\nmax_age: 86400\nmx: in1-smtp.messagingengine.com\nmx: *.example.net\nx: y\n")
	if err != nil {
		t.Fatal(err)
	}
	got, err := FromSTSText("Example.com", p.String())
	if err != nil {
		t.Fatal(err)
	}
	want := Policy{
		Type:    TypeSTS,
		Strings: []string{"version: STSv1", "mode: enforce", "mx: in1-smtp.messagingengine.com", "mx: *.example.net", "max_age: 86400", "x: y"},
		Domain:  "example.com",
		MXHosts: []string{"in1-smtp.messagingengine.com", "*.example.net"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromSTSText(p.String()) mismatch (-want +got):\n%s", diff)
	}
	back, err := got.STS()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Errorf("Policy.STS mismatch (-want +got):\n%s", diff)
	}

	// A policy built by hand: Validate checks it; FromSTSText lower-cases
	// mx-host, and the mx lines once the patterns are lower case, as
	// ParseSTSPolicy stores them.
	built := &STSPolicy{Mode: ModeTesting, MaxAgeSeconds: 1, MX: []string{"MX.Example.COM", "*.EXAMPLE.net"}}
	if err := built.Validate(); err != nil {
		t.Fatal(err)
	}
	upper, err := FromSTSText("example.com", built.String())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"mx.example.com", "*.example.net"}, upper.MXHosts); diff != "" {
		t.Errorf("mx-host not lower-cased (-want +got):\n%s", diff)
	}
	parsed, err := ParseSTSPolicy(built.String())
	if err != nil {
		t.Fatal(err)
	}
	lower, err := FromSTSText("example.com", parsed.String())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("mx: mx.example.com", lower.Strings[2]); diff != "" {
		t.Errorf("mx line not lower-cased (-want +got):\n%s", diff)
	}
	if err := (&STSPolicy{Mode: "bogus"}).Validate(); err == nil {
		t.Error("Validate accepted an invalid built policy")
	}
	if _, err := FromSTSText("", p.String()); err == nil {
		t.Error("FromSTSText accepted an empty domain")
	}
	if _, err := (Policy{Type: TypeSTS}).STS(); err == nil {
		t.Error("Policy.STS accepted an sts policy without policy-string (Mail.ru shape)")
	}
}

func TestFromSTSText(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Policy
	}{
		{
			name: "served order kept",
			text: "version: STSv1\r\nmode: enforce\r\nmax_age: 10368000\r\nmx: carp-20.krvtz.example\r\n",
			want: Policy{Type: TypeSTS, Domain: "krvtz.example",
				Strings: []string{"version: STSv1", "mode: enforce", "max_age: 10368000", "mx: carp-20.krvtz.example"},
				MXHosts: []string{"carp-20.krvtz.example"}},
		},
		{
			name: "errors included",
			text: "version: STSv1\nmode: Enforce\n\nmx: MX.krvtz.example \nmx: bad..example\nmax-age: 1\n  \n",
			want: Policy{Type: TypeSTS, Domain: "krvtz.example",
				Strings: []string{"version: STSv1", "mode: Enforce", "mx: MX.krvtz.example ", "mx: bad..example", "max-age: 1"},
				MXHosts: []string{"mx.krvtz.example"}},
		},
		{
			name: "empty body",
			text: "",
			want: Policy{Type: TypeSTS, Domain: "krvtz.example"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromSTSText("krvtz.example.", tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := FromSTSText("example.com", strings.Repeat("x", maxSTSPolicySize+1)); !errors.Is(err, tlsrpt.ErrTooLarge) {
		t.Errorf("oversized text: error = %v, want tlsrpt.ErrTooLarge", err)
	}
	var d *tlsrpt.Diagnostic
	if _, err := FromSTSText("..", "version: STSv1"); !errors.As(err, &d) || d.Code != CodeInvalidDomain {
		t.Errorf("invalid domain: error = %v, want CodeInvalidDomain", err)
	}
}

func TestFromTLSA(t *testing.T) {
	a := TLSA{Usage: UsageDANETA, Selector: SelectorSPKI, MatchingType: MatchingSHA256, Data: mustHex(t, hexA)}
	b := TLSA{Usage: UsageDANETA, Selector: SelectorSPKI, MatchingType: MatchingSHA256, Data: mustHex(t, hexB)}
	p1, err := FromTLSA("MX1.Example.com.", []TLSA{b, a, b})
	if err != nil {
		t.Fatal(err)
	}
	want := Policy{Type: TypeTLSA, Domain: "mx1.example.com", Strings: []string{"2 1 1 " + strings.ToLower(hexA), "2 1 1 " + hexB}}
	if diff := cmp.Diff(want, p1); diff != "" {
		t.Errorf("FromTLSA mismatch (-want +got):\n%s", diff)
	}
	p2, err := FromTLSA("mx1.example.com", []TLSA{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if p1.Key() != p2.Key() {
		t.Error("RRset order changed the Key")
	}
	rrs, err := p1.TLSARecords()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]TLSA{a, b}, rrs); diff != "" {
		t.Errorf("TLSARecords mismatch (-want +got):\n%s", diff)
	}
	empty, err := FromTLSA("mx.example.com", nil)
	if err != nil || empty.Type != TypeTLSA || len(empty.Strings) != 0 {
		t.Errorf("empty RRset: %+v, %v", empty, err)
	}
	var d *tlsrpt.Diagnostic
	if _, err := FromTLSA("mx.example.com", []TLSA{{Usage: 3}}); !errors.As(err, &d) || d.Code != CodeTLSASyntax {
		t.Errorf("RR without data: error = %v, want CodeTLSASyntax", err)
	}
	if _, err := FromTLSA("", []TLSA{a}); !errors.As(err, &d) || d.Code != CodeInvalidDomain {
		t.Errorf("empty base domain: error = %v, want CodeInvalidDomain", err)
	}
}

func TestTLSARecords(t *testing.T) {
	tests := []struct {
		name    string
		strs    []string
		want    []string
		wantErr bool
	}{
		{name: "one per rr", strs: []string{"3 1 1 " + hexB, "3 1 1 " + hexA}, want: []string{"3 1 1 " + hexB, "3 1 1 " + strings.ToLower(hexA)}},
		{name: "microsoft json array in one string", strs: []string{`["2 1 1 ` + hexA + `","2 1 1 ` + strings.ToUpper(hexB) + `"]`},
			want: []string{"2 1 1 " + strings.ToLower(hexA), "2 1 1 " + hexB}},
		{name: "microsoft single rr", strs: []string{`["3 1 1 ` + hexA + `"]`}, want: []string{"3 1 1 " + strings.ToLower(hexA)}},
		{name: "empty", strs: nil, want: []string{}},
		{name: "semicolon prose form", strs: []string{"3 1 1 " + hexB + "; 2 1 1 " + hexA}, want: []string{"3 1 1 " + hexB, "2 1 1 " + strings.ToLower(hexA)}},
		{name: "rfc 8460 example wrapped hex", strs: []string{"3 1 1 ab\n   cd"}, want: []string{"3 1 1 abcd"}},
		{name: "bad rr", strs: []string{"3 1 1 xyz"}, wantErr: true},
		{name: "mnemonic", strs: []string{"DANE-EE SPKI SHA2-256 ab"}, wantErr: true},
		{name: "broken json", strs: []string{`["3 1 1 ab"`}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rrs, err := Policy{Type: TypeTLSA, Strings: tt.strs}.TLSARecords()
			if tt.wantErr {
				var d *tlsrpt.Diagnostic
				if !errors.As(err, &d) || d.Code != CodeTLSASyntax {
					t.Fatalf("error = %v, want a *tlsrpt.Diagnostic with CodeTLSASyntax", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, rr := range rrs {
				got = append(got, rr.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
