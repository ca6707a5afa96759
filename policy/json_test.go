package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/golden"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		in   Policy
		want string
	}{
		{name: "zero", in: Policy{}, want: `{"policy-type":"","policy-string":[],"policy-domain":"","mx-host":[]}`},
		{name: "no-policy-found", in: Policy{Type: TypeNoPolicyFound, Domain: "example.com"},
			want: `{"policy-type":"no-policy-found","policy-string":[],"policy-domain":"example.com","mx-host":[]}`},
		{name: "sts", in: Policy{Type: TypeSTS, Strings: []string{"version: STSv1", "mode: testing"}, Domain: "example.com", MXHosts: []string{"*.example.com"}},
			want: `{"policy-type":"sts","policy-string":["version: STSv1","mode: testing"],"policy-domain":"example.com","mx-host":["*.example.com"]}`},
		{name: "unknown type verbatim", in: Policy{Type: "invalid-policy-type"},
			want: `{"policy-type":"invalid-policy-type","policy-string":[],"policy-domain":"","mx-host":[]}`},
		{name: "escaping", in: Policy{Type: "x", Strings: []string{"a\"b\\c\n\r\t\x01<>&\u2028é", "ok"}},
			want: `{"policy-type":"x","policy-string":["a\"b\\c\n\r\t\u0001\u003c\u003e\u0026\u2028é","ok"],"policy-domain":"","mx-host":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			// json.Marshal re-escapes <, > and & for HTML; compare with
			// MarshalJSON's own output too.
			own, _ := tt.in.MarshalJSON()
			if string(own) != tt.want || string(got) != tt.want {
				t.Errorf("MarshalJSON() =\n%s\njson.Marshal =\n%s\nwant\n%s", own, got, tt.want)
			}
			var back Policy
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("Unmarshal(%s): %v", got, err)
			}
			if diff := cmp.Diff(tt.in, back, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip changed the policy (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMarshalJSONInvalidUTF8 checks that a string that is not UTF-8 fails
// the encoding, naming the member, instead of becoming U+FFFD.
func TestMarshalJSONInvalidUTF8(t *testing.T) {
	for _, tt := range []struct {
		p    Policy
		path string
	}{
		{Policy{Type: "sts", Strings: []string{"ok", "bad\xffutf8"}}, "policy-string[1]"},
		{Policy{Type: "sts\xc3"}, "policy-type"},
		{Policy{Domain: "\xffexample.com"}, "policy-domain"},
		{Policy{MXHosts: []string{"\xe2\x82"}}, "mx-host[0]"},
	} {
		b, err := tt.p.MarshalJSON()
		var d *tlsrpt.Diagnostic
		if !errors.As(err, &d) || d.Path != tt.path || d.Code != codeInvalidUTF8 || b != nil {
			t.Errorf("MarshalJSON(%+v) = %q, %v; want a Diagnostic at %s", tt.p, b, err, tt.path)
		}
		// json.Marshal wraps the error; errors.As still finds it.
		if _, err := json.Marshal(tt.p); !errors.As(err, &d) {
			t.Errorf("json.Marshal error = %v", err)
		}
	}
}

// unmarshalTests is shared with the fuzz seed corpus. A test with a code
// wants a *tlsrpt.Diagnostic with that Code and Path; wantErr is a
// substring of other errors.
var unmarshalTests = []struct {
	name     string
	in       string
	want     Policy
	wantCode tlsrpt.Code
	wantPath string
	wantErr  string
}{
	{name: "rfc", in: `{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: *.mail.company-y.example","max_age: 86400"],"policy-domain":"company-y.example","mx-host":["*.mail.company-y.example"]}`,
		want: Policy{Type: TypeSTS, Strings: []string{"version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"}, Domain: "company-y.example", MXHosts: []string{"*.mail.company-y.example"}}},
	{name: "empty arrays", in: `{"policy-type":"no-policy-found","policy-string":[],"policy-domain":"redacted.example.com","mx-host":[]}`,
		want: Policy{Type: TypeNoPolicyFound, Strings: []string{}, Domain: "redacted.example.com", MXHosts: []string{}}},
	{name: "optional members absent", in: `{"policy-type":"no-policy-found","policy-domain":"example.com"}`,
		want: Policy{Type: TypeNoPolicyFound, Domain: "example.com"}, wantErr: ""},
	{name: "order, whitespace and values verbatim", in: " {\"mx-host\":[],\"policy-domain\":\"Example.COM\",\"policy-type\":\"new-type\"}\n",
		want: Policy{Type: "new-type", Domain: "Example.COM", MXHosts: []string{}}},
	{name: "tlsa strings not checked", in: `{"policy-type":"tlsa","policy-string":["3 1 1 AB CD"],"policy-domain":"mx.example"}`,
		want: Policy{Type: TypeTLSA, Strings: []string{"3 1 1 AB CD"}, Domain: "mx.example"}},

	{name: "mx-host string", in: `{"policy-type":"sts","policy-domain":"company-y.example","mx-host":"*.mail.company-y.example"}`,
		wantCode: codeMXHostString, wantPath: "mx-host"},
	{name: "policy-string string", in: `{"policy-type":"tlsa","policy-domain":"x","policy-string":"3 1 1 ab"}`,
		wantCode: codePolicyStringString, wantPath: "policy-string"},
	{name: "null member", in: `{"policy-type":"no-policy-found","policy-string":null,"policy-domain":"x"}`,
		wantCode: codeNullMember, wantPath: "policy-string"},
	{name: "null domain", in: `{"policy-type":"no-policy-found","policy-domain":null}`,
		wantCode: codeNullMember, wantPath: "policy-domain"},
	{name: "null element", in: `{"policy-type":"sts","policy-domain":"x","mx-host":["a",null]}`,
		wantCode: codeNullMember, wantPath: "mx-host[1]"},
	{name: "missing domain", in: `{"policy-type":"no-policy-found"}`, wantCode: codeMissingMember, wantPath: "policy-domain"},
	{name: "missing type", in: `{"policy-domain":"x"}`, wantCode: codeMissingMember, wantPath: "policy-type"},
	{name: "unknown member", in: `{"policy-type":"sts","policy-domain":"x","x":{"a":[1,2]}}`, wantCode: codeUnknownMember, wantPath: "x"},
	{name: "case-sensitive names", in: `{"Policy-Type":"sts"}`, wantCode: codeUnknownMember, wantPath: "Policy-Type"},
	{name: "duplicate member", in: `{"policy-type":"sts","policy-type":"tlsa"}`, wantCode: codeDuplicateMember, wantPath: "policy-type"},
	{name: "not object", in: `[]`, wantCode: codeWrongType},
	{name: "null", in: `null`, wantCode: codeWrongType},
	{name: "type number", in: `{"policy-type":1}`, wantCode: codeWrongType, wantPath: "policy-type"},
	{name: "domain array", in: `{"policy-domain":["a"]}`, wantCode: codeWrongType, wantPath: "policy-domain"},
	{name: "mx-host number", in: `{"mx-host":1}`, wantCode: codeWrongType, wantPath: "mx-host"},
	{name: "element number", in: `{"policy-string":["a",1]}`, wantCode: codeWrongType, wantPath: "policy-string[1]"},
	{name: "truncated", in: `{"policy-type":"sts"`, wantErr: "invalid JSON"},
	{name: "trailing data", in: `{"policy-type":"sts","policy-domain":"x"} {}`, wantErr: "after the policy object"},
	{name: "invalid UTF-8", in: "{\"policy-type\":\"sts\xff\",\"policy-domain\":\"x\"}", wantErr: "invalid JSON"},
}

func TestUnmarshalJSON(t *testing.T) {
	for _, tt := range unmarshalTests {
		t.Run(tt.name, func(t *testing.T) {
			var got Policy
			err := got.UnmarshalJSON([]byte(tt.in))
			switch {
			case tt.wantCode != "":
				var d *tlsrpt.Diagnostic
				if !errors.As(err, &d) || d.Code != tt.wantCode || d.Path != tt.wantPath || d.Severity != tlsrpt.SeverityError {
					t.Fatalf("UnmarshalJSON(%s) error = %#v, want code %s at %q", tt.in, err, tt.wantCode, tt.wantPath)
				}
				if d.Offset < 0 || d.Offset >= len(tt.in) {
					t.Errorf("offset %d outside the input", d.Offset)
				}
				// The offset points at the member name or value.
				if tt.wantPath != "" && !strings.ContainsAny(tt.in[d.Offset:d.Offset+1], "\"[{n0123456789}") {
					t.Errorf("offset %d points at %q", d.Offset, tt.in[d.Offset:])
				}
				return
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "policy: ") {
					t.Fatalf("UnmarshalJSON(%s) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("UnmarshalJSON(%s) error = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			// json.Unmarshal uses the same strict rule.
			var viaJSON Policy
			if err := json.Unmarshal([]byte(tt.in), &viaJSON); err != nil || viaJSON.Key() != got.Key() {
				t.Errorf("json.Unmarshal = %+v, %v", viaJSON, err)
			}
		})
	}
}

// TestUnmarshalJSONErrorText pins the error text of a strict refusal.
func TestUnmarshalJSONErrorText(t *testing.T) {
	var p Policy
	err := json.Unmarshal([]byte(`{"policy-type":"sts","policy-domain":"company-y.example","mx-host":"*.mail.company-y.example"}`), &p)
	want := "tlsrpt: error mx-host at offset 67: mx-host is a string, not an array of strings (RFC 8460 §4.4) [mx-host-string]"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
}

// TestGolden encodes one policy of each kind, built with the constructors,
// and compares with testdata/policies.golden (go test -update rewrites it).
func TestGolden(t *testing.T) {
	nopol, err := NoPolicyFound("cardinalhealth.example")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ParseSTSPolicy("version: STSv1\nmode: enforce\nmax_age: 2592000\nmx: *.foo-bar.example\n")
	if err != nil {
		t.Fatal(err)
	}
	sts, err := FromSTSText("foo-bar.example", sp.String())
	if err != nil {
		t.Fatal(err)
	}
	text, err := FromSTSText("mailflow.example", "version: STSv1\nmode: testing\nmax_age: 86401\nmx: postfix1.mailflow.example\nmx: maillfow.example\nmx: *.mailflow.example\n")
	if err != nil {
		t.Fatal(err)
	}
	var rrs []TLSA
	for _, s := range []string{"2 1 1 " + hexA, "2 1 1 " + hexB} {
		rr, _, err := ParseTLSA(s)
		if err != nil {
			t.Fatal(err)
		}
		rrs = append(rrs, rr)
	}
	tlsa, err := FromTLSA("mail.protection.example", rrs)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, p := range []Policy{nopol, sts, text, tlsa} {
		b, err := p.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	golden.Check(t, filepath.Join("testdata", "policies.golden"), buf.String(), *update)
}
