package policy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
		{name: "escaping", in: Policy{Type: "x", Strings: []string{"a\"b\\c\n\r\t\x01<>&\u2028é", "bad\xffutf8"}},
			want: `{"policy-type":"x","policy-string":["a\"b\\c\n\r\t\u0001\u003c\u003e\u0026\u2028é","bad\ufffdutf8"],"policy-domain":"","mx-host":[]}`},
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
			if string(own) != tt.want {
				t.Errorf("MarshalJSON() =\n%s\nwant\n%s", own, tt.want)
			}
			var back Policy
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("Unmarshal(%s): %v", got, err)
			}
			if !json.Valid(own) {
				t.Errorf("invalid JSON %s", own)
			}
			if !back.Equal(tt.in) && !strings.Contains(tt.name, "escaping") {
				t.Errorf("round trip changed the policy: %+v", back)
			}
		})
	}
}

func TestUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Policy
		wantErr string
	}{
		{name: "rfc", in: `{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: *.mail.company-y.example","max_age: 86400"],"policy-domain":"company-y.example","mx-host":["*.mail.company-y.example"]}`,
			want: Policy{Type: TypeSTS, Strings: []string{"version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"}, Domain: "company-y.example", MXHosts: []string{"*.mail.company-y.example"}}},
		{name: "mx-host string", in: `{"policy-type":"sts","policy-domain":"company-y.example","mx-host":"*.mail.company-y.example"}`,
			want: Policy{Type: TypeSTS, Domain: "company-y.example", MXHosts: []string{"*.mail.company-y.example"}}},
		{name: "policy-string string", in: `{"policy-type":"tlsa","policy-string":"3 1 1 ab"}`,
			want: Policy{Type: TypeTLSA, Strings: []string{"3 1 1 ab"}}},
		{name: "nulls", in: `{"policy-type":"no-policy-found","policy-string":null,"policy-domain":null,"mx-host":null}`,
			want: Policy{Type: TypeNoPolicyFound}},
		{name: "empty arrays", in: `{"policy-type":"no-policy-found","policy-string":[],"policy-domain":"redacted.example.com","mx-host":[]}`,
			want: Policy{Type: TypeNoPolicyFound, Strings: []string{}, Domain: "redacted.example.com", MXHosts: []string{}}},
		{name: "only type", in: `{"policy-type":"no-policy-found"}`, want: Policy{Type: TypeNoPolicyFound}},
		{name: "unknown member and order", in: " {\"mx-host\":[],\"x\":{\"a\":[1,2]},\"policy-domain\":\"Example.COM\",\"policy-type\":\"new-type\"}\n",
			want: Policy{Type: "new-type", Domain: "Example.COM", MXHosts: []string{}}},
		{name: "not object", in: `[]`, wantErr: "not a JSON object"},
		{name: "type number", in: `{"policy-type":1}`, wantErr: "policy-type is not a string"},
		{name: "domain array", in: `{"policy-domain":["a"]}`, wantErr: "policy-domain is not a string"},
		{name: "mx-host number", in: `{"mx-host":1}`, wantErr: "mx-host is not an array"},
		{name: "element number", in: `{"policy-string":["a",1]}`, wantErr: "element that is not a string"},
		{name: "duplicate member", in: `{"policy-type":"sts","policy-type":"tlsa"}`, wantErr: "duplicate"},
		{name: "truncated", in: `{"policy-type":"sts"`, wantErr: "invalid JSON"},
		{name: "trailing data", in: `{} {}`, wantErr: "after the policy object"},
		{name: "case-sensitive names", in: `{"Policy-Type":"sts"}`, want: Policy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Policy
			err := got.UnmarshalJSON([]byte(tt.in))
			if tt.wantErr != "" {
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
		})
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
	sts, err := FromSTS("foo-bar.example", sp)
	if err != nil {
		t.Fatal(err)
	}
	text, err := FromSTSText("mailflow.example", "version: STSv1\nmode: testing\nmax_age: 86401\nmx: postfix1.mailflow.example\nmx: maillfow.example\nmx: *.mailflow.example\n")
	if err != nil {
		t.Fatal(err)
	}
	var rrs []TLSA
	for _, s := range []string{"2 1 1 " + hexA, "2 1 1 " + hexB} {
		rr, err := ParseTLSA(s)
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
	path := filepath.Join("testdata", "policies.golden")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("golden mismatch (-want +got):\n%s", diff)
	}
}
