package policy

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/testcert"
)

// BenchmarkMatchTLSA matches one server chain (leaf and intermediate)
// against a two-record RRset as a delivery would: DANE-EE "3 1 1" with
// the matching record second, DANE-TA "2 1 1" (hash and chain
// verification), and a mismatch (the error path, building the policy
// block).
func BenchmarkMatchTLSA(b *testing.B) {
	c := newDANEChain(b)
	chain := c.presented()
	cases := []struct {
		name string
		rrs  []TLSA
		fail bool
	}{
		{"DANE-EE", []TLSA{tlsaFor(UsageDANEEE, SelectorSPKI, MatchingSHA256, c.other.Cert), tlsaFor(UsageDANEEE, SelectorSPKI, MatchingSHA256, c.leaf.Cert)}, false},
		{"DANE-TA", []TLSA{tlsaFor(UsageDANEEE, SelectorSPKI, MatchingSHA256, c.other.Cert), tlsaFor(UsageDANETA, SelectorSPKI, MatchingSHA256, c.inter.Cert)}, false},
		{"mismatch", []TLSA{tlsaFor(UsageDANEEE, SelectorSPKI, MatchingSHA256, c.other.Cert), tlsaFor(UsageDANEEE, SelectorCert, MatchingSHA512, c.other.Cert)}, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := MatchTLSA(tc.rrs, chain, time.Time{}, "mx.example.com"); (err != nil) != tc.fail {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSTSCacheHit is the cost of STSCache.Lookup for a domain whose
// policy is cached and fresh: the _mta-sts TXT lookup (from an in-memory
// resolver, so the DNS round trip is not measured), selecting and parsing
// the record, and the in-memory store.
func BenchmarkSTSCacheHit(b *testing.B) {
	root := testcert.Issue(b, testcert.CATemplate("Test Root"), nil)
	leaf := testcert.Issue(b, testcert.LeafTemplate(testPolicyHost), &root)
	host := &policyHost{}
	host.serve(http.StatusOK, policyText(ModeEnforce, 86400))
	addr := policyServer(b, leaf.TLSCertificate(), host)
	res := &txtResolver{}
	res.set("_mta-sts.example.com.", "v=STSv1; id=20250301T000000")
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	cache := &STSCache{
		Fetcher: STSFetcher{Resolver: res, RootCAs: testcert.Pool(root), DialContext: dialTo(addr)},
		Now:     func() time.Time { return now },
	}
	ctx := context.Background()
	if _, err := cache.Lookup(ctx, "example.com"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cache.Lookup(ctx, "example.com"); err != nil {
			b.Fatal(err)
		}
	}
	if host.requests.Load() != 1 {
		b.Fatalf("%d fetches, want 1", host.requests.Load())
	}
}
