package dnsrecord

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestURIMethods(t *testing.T) {
	type result struct {
		Scheme            string
		Mailto, HTTPS     bool
		Supported         bool
		Address, Domain   string
		AddrErr, DomErr   bool
		Host, Path, Query string
		URLErr            bool
	}
	tests := []struct {
		name string
		in   string
		want result
	}{
		{name: "mailto", in: "mailto:tlsrpt@example.com",
			want: result{Scheme: "mailto", Mailto: true, Supported: true, Address: "tlsrpt@example.com", Domain: "example.com"}},
		{name: "mailto upper scheme and domain", in: "MAILTO:TLS@Example.COM",
			want: result{Scheme: "mailto", Mailto: true, Supported: true, Address: "TLS@Example.COM", Domain: "example.com"}},
		{name: "mailto encoded specials", in: "mailto:a%2Cb%21c%3Bd@example.com",
			want: result{Scheme: "mailto", Mailto: true, Supported: true, Address: "a,b!c;d@example.com", Domain: "example.com"}},
		{name: "mailto hfields dropped", in: "mailto:a@example.com?subject=x",
			want: result{Scheme: "mailto", Mailto: true, Supported: true, Address: "a@example.com", Domain: "example.com", Query: "subject=x"}},
		{name: "mailto A-label", in: "mailto:tlsreports@xn--74h.example",
			want: result{Scheme: "mailto", Mailto: true, Supported: true, Address: "tlsreports@xn--74h.example", Domain: "xn--74h.example"}},
		{name: "mailto encoded U-label", in: "mailto:a@b%C3%BCcher.example",
			want: result{Scheme: "mailto", Mailto: true, Supported: true, Address: "a@bücher.example", Domain: "xn--bcher-kva.example"}},
		{name: "mailto without address", in: "mailto:postmaster",
			want: result{Scheme: "mailto", Mailto: true, Supported: true, AddrErr: true, DomErr: true}},
		{name: "mailto bad domain", in: "mailto:a@exa_mple..com",
			want: result{Scheme: "mailto", Mailto: true, Supported: true, Address: "a@exa_mple..com", DomErr: true}},
		{name: "https", in: "https://r.example:8443/v1/tlsrpt?a=%2C",
			want: result{Scheme: "https", HTTPS: true, Supported: true, AddrErr: true, DomErr: true,
				Host: "r.example:8443", Path: "/v1/tlsrpt", Query: "a=%2C"}},
		{name: "https upper scheme", in: "HTTPS://r.example/",
			want: result{Scheme: "https", HTTPS: true, Supported: true, AddrErr: true, DomErr: true, Host: "r.example", Path: "/"}},
		{name: "http unsupported", in: "http://r.example/",
			want: result{Scheme: "http", AddrErr: true, DomErr: true, Host: "r.example", Path: "/"}},
		{name: "mailtox is not mailto", in: "mailtox:a@example.com",
			want: result{Scheme: "mailtox", AddrErr: true, DomErr: true, Path: ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseURI(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.in, u.String())
			got := result{Scheme: u.Scheme(), Mailto: u.Scheme() == "mailto", HTTPS: u.Scheme() == "https", Supported: u.Supported()}
			var aerr, derr error
			got.Address, aerr = u.Address()
			got.Domain, derr = u.Domain()
			got.AddrErr, got.DomErr = aerr != nil, derr != nil
			if url, err := u.URL(); err != nil {
				got.URLErr = true
			} else {
				got.Host, got.Path, got.Query = url.Host, url.Path, url.RawQuery
				require.Equal(t, u.Scheme()+tt.in[len(u.Scheme()):], url.String(), "URL().String() gives back the text")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("URI %q (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestURIComparable checks that == compares URIs as text.
func TestURIComparable(t *testing.T) {
	a, b, c := uris("mailto:a@example.com")[0], uris("mailto:a@example.com")[0], uris("MAILTO:a@example.com")[0]
	if a != b || a == c || a == (URI{}) {
		t.Errorf("== on URIs: %v %v %v", a == b, a == c, a == URI{})
	}
	set := map[URI]bool{a: true}
	if !set[b] || set[c] {
		t.Error("URI as a map key")
	}
}

func TestZeroURI(t *testing.T) {
	var u URI
	require.Equal(t, "", u.String())
	require.Equal(t, "", u.Scheme())
	require.False(t, u.Supported())
	_, err := u.URL()
	require.Error(t, err)
	_, err = u.Address()
	require.Error(t, err)
}

func TestParseURIErrors(t *testing.T) {
	for _, tt := range []struct {
		in     string
		offset int
	}{
		{"", 0},
		{"reports@example.com", 7},
		{"mailto:a,b@example.com", 8},
		{"mailto:a;b@example.com", 8},
		{"mailto:a@example.com!10m", 20},
		{"mailto:a b@example.com", 8},
		{"https://r.example/%2", 18},
		{"1https://r.example/", 0},
	} {
		_, err := ParseURI(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != tt.offset {
			t.Errorf("ParseURI(%q) = %v, want *SyntaxError at %d", tt.in, err, tt.offset)
		}
	}
}

func TestMailtoURI(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"tlsrpt@example.com", "mailto:tlsrpt@example.com"},
		{"a,b!c;d@example.com", "mailto:a%2Cb%21c%3Bd@example.com"},
		{"a?b&c=d%e@example.com", "mailto:a%3Fb%26c%3Dd%25e@example.com"},
		{`"a@b"@example.com`, "mailto:%22a%40b%22@example.com"},
		{"jörg@example.com", "mailto:j%C3%B6rg@example.com"},
	} {
		u, err := MailtoURI(tt.in)
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, u.String())
		addr, err := u.Address()
		require.NoError(t, err)
		require.Equal(t, tt.in, addr)
	}
	for _, bad := range []string{"", "example.com", "@example.com", "a@"} {
		_, err := MailtoURI(bad)
		require.Error(t, err, bad)
	}
}

func TestRecordString(t *testing.T) {
	for _, tt := range []struct {
		name string
		r    *Record
		want string
	}{
		{"one", &Record{RUA: uris("mailto:a@example.com")}, "v=TLSRPTv1; rua=mailto:a@example.com"},
		{"two and extensions", &Record{RUA: uris("mailto:a@example.com", "https://r.example/"),
			Extensions: []Extension{{Name: "a", Value: "1"}, {Name: "v", Value: "TLSRPTv1"}}},
			"v=TLSRPTv1; rua=mailto:a@example.com,https://r.example/; a=1; v=TLSRPTv1"},
		{"no rua", &Record{}, "v=TLSRPTv1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.r.String())
		})
	}
	// Every valid table record formats canonically and parses back.
	for _, tt := range validRecords {
		r, err := Parse(tt.in)
		require.NoError(t, err)
		s := r.String()
		again, err := Parse(s)
		require.NoError(t, err, s)
		if diff := cmp.Diff(r, again, equateURI); diff != "" {
			t.Errorf("Parse(String()) of %q (-want +got):\n%s", tt.in, diff)
		}
		require.Equal(t, s, again.String())
	}
}

func TestSupportedRUA(t *testing.T) {
	r, err := Parse("v=TLSRPTv1; rua=http://r.example/,mailto:a@example.com,ftp://x.example/,HTTPS://r.example/")
	require.NoError(t, err)
	require.Equal(t, uris("mailto:a@example.com", "HTTPS://r.example/"), r.SupportedRUA())
	r, err = Parse("v=TLSRPTv1; rua=mailto:a@example.com")
	require.NoError(t, err)
	require.Equal(t, r.RUA, r.SupportedRUA())
}

// TestRecordSlicesIndependent checks that appending to a parsed record's
// slices does not write into memory shared with another field.
func TestRecordSlicesIndependent(t *testing.T) {
	r, err := Parse("v=TLSRPTv1; rua=mailto:a@example.com; x=1")
	require.NoError(t, err)
	r.RUA = append(r.RUA, URI{s: "mailto:b@example.com"}, URI{s: "mailto:c@example.com"})
	r.Extensions = append(r.Extensions, Extension{Name: "y", Value: "2"})
	require.Equal(t, "v=TLSRPTv1; rua=mailto:a@example.com,mailto:b@example.com,mailto:c@example.com; x=1; y=2", r.String())
}

func TestURIText(t *testing.T) {
	r, err := Parse("v=TLSRPTv1; rua=mailto:a%2Cb@example.com,https://r.example/; x=1")
	require.NoError(t, err)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	require.JSONEq(t, `{"RUA":["mailto:a%2Cb@example.com","https://r.example/"],"Extensions":[{"Name":"x","Value":"1"}]}`, string(b))
	var back Record
	require.NoError(t, json.Unmarshal(b, &back))
	if diff := cmp.Diff(r, &back, equateURI); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	var u URI
	err = json.Unmarshal([]byte(`"mailto:a@example.com!10m"`), &u)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 20, se.Offset)
}

func TestErrorMessages(t *testing.T) {
	_, err := Parse("v=TLSRPTv1; rua=mailto:a@example.com;;")
	require.EqualError(t, err, "dnsrecord: syntax error at offset 37: empty field: only one ';' may follow a field")
	te := &TemporaryError{Name: "_smtp._tls.example.com.", Err: errors.New("i/o timeout")}
	require.EqualError(t, te, "dnsrecord: temporary failure looking up _smtp._tls.example.com.: i/o timeout")
}
