package dnsrecord

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/dns/dnsmessage"
)

func TestLookupNetResolver(t *testing.T) {
	const spf = "v=spf1 -all"
	srv := dnstest.Start(t, dnstest.Zone{TXT: map[string][][]string{
		"_smtp._tls.multi.example.":    {{"v=TLSRPTv1; rua=mailto:tls", "rpt@multi.example", ",https://r.multi.example/x"}},
		"_smtp._tls.spf.example.":      {{spf}, {"v=TLSRPTv1;rua=mailto:a@spf.example"}},
		"_smtp._tls.two.example.":      {{"v=TLSRPTv1;rua=mailto:a@two.example"}, {"v=TLSRPTv1;rua=mailto:b@two.example"}},
		"_smtp._tls.spaced.example.":   {{"v=TLSRPTv1 ; rua=mailto:a@spaced.example"}, {"v=TLSRPTv1;rua=mailto:b@spaced.example"}},
		"_smtp._tls.onlyspf.example.":  {{spf}},
		"_smtp._tls.nodata.example.":   {},
		"_smtp._tls.broken.example.":   {{"v=TLSRPTv1; rua=mailto:a@broken.example!10m"}},
		"_smtp._tls.xn--n3h.example.":  {{"v=TLSRPTv1; rua=mailto:tlsrpt@xn--n3h.example"}},
		"_smtp._tls.upper.example.":    {{"v=TLSRPTv1; rua=mailto:a@upper.example"}},
		"_smtp._tls.servfail.example.": nil,
		"_smtp._tls.provider.example.": {{"v=TLSRPTv1; rua=https://tlsrpt.provider.example/r"}},
		"_smtp._tls.refused.example.":  nil,
	}, RCode: map[string]dnsmessage.RCode{
		"_smtp._tls.servfail.example.": dnsmessage.RCodeServerFailure,
		"_smtp._tls.refused.example.":  dnsmessage.RCodeRefused,
	}, CNAME: map[string]string{
		"_smtp._tls.alias.example.": "_smtp._tls.provider.example.",
	}})
	res := srv.Resolver()

	tests := []struct {
		name      string
		domain    string
		opts      *LookupOptions
		want      []URI
		wantIs    error // sentinel matched with errors.Is
		temporary bool  // want *TemporaryError
		syntax    bool  // want *SyntaxError
		asked     string
		txts      int // the number of TXT strings Lookup must return
	}{
		{name: "multi-string TXT", domain: "multi.example", txts: 1,
			want: uris("mailto:tlsrpt@multi.example", "https://r.multi.example/x")},
		{name: "SPF and TLS-RPT", domain: "spf.example", want: uris("mailto:a@spf.example"), txts: 2},
		{name: "two TLS-RPT records", domain: "two.example", wantIs: ErrMultipleRecords, txts: 2},
		{name: "loose prefix keeps v=TLSRPTv1 ;", domain: "spaced.example", wantIs: ErrMultipleRecords, txts: 2},
		{name: "strict prefix drops v=TLSRPTv1 ;", domain: "spaced.example", opts: &LookupOptions{StrictPrefix: true},
			want: uris("mailto:b@spaced.example"), txts: 2},
		{name: "only SPF", domain: "onlyspf.example", wantIs: ErrNoRecord, txts: 1},
		{name: "NODATA", domain: "nodata.example", wantIs: ErrNoRecord},
		{name: "NXDOMAIN", domain: "nx.example", wantIs: ErrNoRecord},
		{name: "malformed record", domain: "broken.example", syntax: true, txts: 1},
		{name: "SERVFAIL", domain: "servfail.example", temporary: true},
		{name: "REFUSED", domain: "refused.example", temporary: true},
		{name: "IDN queried as A-label", domain: "☃.example", want: uris("mailto:tlsrpt@xn--n3h.example"),
			asked: "_smtp._tls.xn--n3h.example.", txts: 1},
		{name: "CNAME followed", domain: "alias.example", want: uris("https://tlsrpt.provider.example/r"), txts: 1},
		{name: "upper case and trailing dot", domain: "UPPER.example.", want: uris("mailto:a@upper.example"),
			asked: "_smtp._tls.upper.example.", txts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r, txts, err := Lookup(ctx, res, tt.domain, tt.opts)
			if len(txts) != tt.txts {
				t.Errorf("Lookup returned %d TXT strings %q, want %d", len(txts), txts, tt.txts)
			}
			switch {
			case tt.want != nil:
				require.NoError(t, err)
				if diff := cmp.Diff(tt.want, r.RUA, equateURI); diff != "" {
					t.Errorf("RUA mismatch (-want +got):\n%s", diff)
				}
			case tt.wantIs != nil:
				require.ErrorIs(t, err, tt.wantIs)
				var te *TemporaryError
				require.False(t, errors.As(err, &te), "definitive answer reported as temporary: %v", err)
			case tt.temporary:
				var te *TemporaryError
				require.ErrorAs(t, err, &te)
				require.False(t, errors.Is(err, ErrNoRecord), "temporary failure matches ErrNoRecord: %v", err)
				var dnsErr *net.DNSError
				require.ErrorAs(t, err, &dnsErr, "the resolver's *net.DNSError is reachable")
				require.True(t, strings.HasSuffix(te.Name, "."+tt.domain+"."), "Name = %q", te.Name)
			case tt.syntax:
				var se *SyntaxError
				require.ErrorAs(t, err, &se)
			}
			if tt.asked != "" {
				q := srv.Queries()
				require.Equal(t, tt.asked, q[len(q)-1])
			}
		})
	}
}

func TestLookupErrors(t *testing.T) {
	ctx := context.Background()
	// An invalid domain is neither "no record" nor temporary.
	_, _, err := Lookup(ctx, mapResolver{}, "a..b", nil)
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrNoRecord))
	var te *TemporaryError
	require.False(t, errors.As(err, &te))

	// A resolver reporting ErrNoRecord, and an empty answer.
	_, _, err = Lookup(ctx, errResolver{ErrNoRecord}, "example.com", nil)
	require.ErrorIs(t, err, ErrNoRecord)
	_, _, err = Lookup(ctx, mapResolver{"_smtp._tls.example.com.": nil}, "example.com", nil)
	require.ErrorIs(t, err, ErrNoRecord)
	require.Contains(t, err.Error(), "_smtp._tls.example.com.")

	// Any other resolver error is temporary, and keeps its cause.
	_, txts, err := Lookup(ctx, errResolver{context.DeadlineExceeded}, "example.com", nil)
	require.ErrorAs(t, err, &te)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, te.Temporary())
	require.Equal(t, "_smtp._tls.example.com.", te.Name)
	require.Nil(t, txts)

	// The strings seen are returned with the error, for Lint.
	_, txts, err = Lookup(ctx, mapResolver{"_smtp._tls.example.com.": {"v=spf1 -all", "V=TLSRPTv1; rua=mailto:a@example.com"}}, "example.com", nil)
	require.ErrorIs(t, err, ErrNoRecord)
	require.Equal(t, []string{"v=spf1 -all", "V=TLSRPTv1; rua=mailto:a@example.com"}, txts)
	require.True(t, hasError(Lint(txts...)))
}

// TestSelect covers the RFC 8460 §3 selection rule without DNS: records
// not beginning with the version are discarded, and exactly one must
// remain.
func TestSelect(t *testing.T) {
	valid := "v=TLSRPTv1;rua=mailto:a@example.com"
	spaced := "v=TLSRPTv1 ; rua=mailto:b@example.com"
	tabbed := "v=TLSRPTv1\t;rua=mailto:c@example.com"
	tests := []struct {
		name   string
		txts   []string
		strict bool
		want   string // the selected record's text, or ""
		err    error
	}{
		{name: "one", txts: []string{valid}, want: valid},
		{name: "none", txts: nil, err: ErrNoRecord},
		{name: "spf only", txts: []string{"v=spf1 -all"}, err: ErrNoRecord},
		{name: "spf and valid", txts: []string{"v=spf1 -all", valid}, want: valid},
		{name: "two valid", txts: []string{valid, valid}, err: ErrMultipleRecords},
		{name: "loose: spaced and valid", txts: []string{spaced, valid}, err: ErrMultipleRecords},
		{name: "strict: spaced and valid", txts: []string{spaced, valid}, strict: true, want: valid},
		{name: "loose: tabbed alone", txts: []string{tabbed}, want: tabbed},
		{name: "strict: tabbed alone", txts: []string{tabbed}, strict: true, err: ErrNoRecord},
		{name: "no delimiter is not a candidate", txts: []string{"v=TLSRPTv1 rua=mailto:a@example.com"}, err: ErrNoRecord},
		{name: "bare version is not a candidate", txts: []string{"v=TLSRPTv1", valid}, want: valid},
		{name: "other version ignored", txts: []string{"v=TLSRPTv2;rua=mailto:x@example.com", valid}, want: valid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.txts, &LookupOptions{StrictPrefix: tt.strict})
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			want, err := Parse(tt.want)
			require.NoError(t, err)
			if diff := cmp.Diff(want, got, equateURI); diff != "" {
				t.Errorf("Select mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// nil options are the zero LookupOptions.
	_, err := Select([]string{spaced, valid}, nil)
	require.ErrorIs(t, err, ErrMultipleRecords)
}

// mapResolver answers from a map; a missing name is NXDOMAIN.
type mapResolver map[string][]string

func (m mapResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	txts, ok := m[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return txts, nil
}

func (m mapResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (m mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

type errResolver struct{ err error }

func (e errResolver) LookupTXT(context.Context, string) ([]string, error) { return nil, e.err }

func (e errResolver) LookupMX(context.Context, string) ([]*net.MX, error) { return nil, e.err }

func (e errResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, e.err
}
