package store

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/dbtest"
	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// stsFetchedAt is a fetch time with nanoseconds, which the store
// truncates to the microsecond.
var stsFetchedAt = time.Date(2026, 11, 30, 5, 13, 6, 123456789, time.FixedZone("CET", 3600))

// stsResult builds the STSResult a fetch of text under id at stsFetchedAt
// gives.
func stsResult(tb testing.TB, domain, id, text string) *policy.STSResult {
	tb.Helper()
	p, err := policy.ParseSTSPolicy(text)
	require.NoError(tb, err)
	return &policy.STSResult{
		Domain: domain, ID: id, Text: text, Policy: p,
		Fetched: stsFetchedAt, Expires: stsFetchedAt.Add(time.Duration(p.MaxAgeSeconds) * time.Second),
	}
}

// stsFailure builds a policy.Error as the fetcher makes one.
func stsFailure(f policy.Failure, code, domain string, err error) *policy.Error {
	return &policy.Error{Failure: f, Code: code, Policy: policy.Policy{Type: policy.TypeSTS, Domain: domain}, Err: err}
}

// stsWant is what Get returns for a Put of r: r with its times truncated
// to the microsecond.
func stsWant(r *policy.STSResult) *policy.STSResult {
	w := *r
	w.Fetched = w.Fetched.Truncate(time.Microsecond)
	w.Expires = w.Expires.Truncate(time.Microsecond)
	w.FailedAt = w.FailedAt.Truncate(time.Microsecond)
	return &w
}

// diffSTS compares two results field by field, and their failures' Err
// by what survives the store: the message, the sentinels matched and a
// *tlsrpt.Diagnostic's fields.
func diffSTS(want, got *policy.STSResult) string {
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(policy.Error{}, "Err")); diff != "" {
		return diff
	}
	if want == nil || want.Failed == nil {
		return ""
	}
	return diffErr(want.Failed.Err, got.Failed.Err)
}

func diffErr(want, got error) string {
	if (want == nil) != (got == nil) {
		return fmt.Sprintf("Err = %v, want %v", got, want)
	}
	if want == nil {
		return ""
	}
	if got.Error() != want.Error() {
		return fmt.Sprintf("Err = %q, want %q", got.Error(), want.Error())
	}
	for _, s := range []error{tlsrpt.ErrTooLarge, context.DeadlineExceeded} {
		if want == s && got != s {
			return fmt.Sprintf("Err = %#v, want the sentinel %v itself", got, s)
		}
		if errors.Is(got, s) != errors.Is(want, s) {
			return fmt.Sprintf("errors.Is(Err, %v) = %v, want %v", s, errors.Is(got, s), errors.Is(want, s))
		}
	}
	if wd, ok := want.(*tlsrpt.Diagnostic); ok {
		gd, ok := got.(*tlsrpt.Diagnostic)
		if !ok {
			return fmt.Sprintf("Err is a %T, want a *tlsrpt.Diagnostic", got)
		}
		if diff := cmp.Diff(wd, gd, cmpopts.IgnoreFields(tlsrpt.Diagnostic{}, "Err")); diff != "" {
			return diff
		}
		return diffErr(wd.Err, gd.Err)
	}
	return ""
}

func TestSTSCacheStoreRoundTrip(t *testing.T) {
	syntaxErr := func() error {
		_, err := policy.ParseSTSPolicy("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: soon\n")
		require.Error(t, err)
		return err
	}()
	invalidText := "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: soon\r\n"
	invalidBlock, err := policy.FromSTSText("example.org", invalidText)
	require.NoError(t, err)
	failedAt := stsFetchedAt.Add(30*time.Hour + 987)

	withFailure := func(r *policy.STSResult, e *policy.Error, id string) *policy.STSResult {
		r.Failed, r.FailedAt, r.FailedID = e, failedAt, id
		return r
	}
	failureOnly := func(domain string, e *policy.Error) *policy.STSResult {
		return &policy.STSResult{Domain: domain, Failed: e, FailedAt: failedAt, FailedID: "20261130"}
	}

	tests := []struct {
		name string
		r    *policy.STSResult
	}{
		{name: "enforce, CRLF, wildcard and extension", r: stsResult(t, "example.com", "20261130T0000",
			"version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.mail.example.net\r\nmax_age: 604800\r\nx-note: served by nginx\r\n")},
		{name: "testing, LF, three mx", r: stsResult(t, "example.net", "1",
			"version: STSv1\nmode: testing\nmx: a.example.net\nmx: b.example.net\nmx: *.backup.example.org\nmax_age: 86400\n")},
		{name: "none, no mx, max_age 0", r: stsResult(t, "example.org", "abc",
			"version: STSv1\nmode: none\nmax_age: 0")},
		{name: "enforce, internationalised extension value", r: stsResult(t, "xn--bcher-kva.example", "2",
			"version: STSv1\nmode: enforce\nmx: mx.xn--bcher-kva.example\nmax_age: 31557600\nx-owner: Bücher GmbH\n")},
		{name: "policy kept after a refresh timed out", r: withFailure(
			stsResult(t, "example.com", "1", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n"),
			stsFailure(policy.FailureSTSFetch, "timeout", "example.com",
				fmt.Errorf("Get \"https://mta-sts.example.com/.well-known/mta-sts.txt\": %w", context.DeadlineExceeded)),
			"2")},
		{name: "failure only: policy invalid, diagnostic", r: failureOnly("example.org",
			&policy.Error{Failure: policy.FailureSTSInvalid, Code: "policy-syntax", Policy: invalidBlock, Err: syntaxErr})},
		{name: "failure only: too large, wrapped sentinel", r: failureOnly("example.com",
			stsFailure(policy.FailureSTSFetch, "policy-too-large", "example.com",
				fmt.Errorf("policy: mta-sts policy larger than 65536 bytes: %w", tlsrpt.ErrTooLarge)))},
		{name: "failure only: the sentinel itself", r: failureOnly("example.com",
			stsFailure(policy.FailureSTSFetch, "policy-too-large", "example.com", tlsrpt.ErrTooLarge))},
		{name: "failure only: diagnostic wrapping an error", r: failureOnly("example.com",
			stsFailure(policy.FailureSTSInvalid, "", "example.com",
				&tlsrpt.Diagnostic{Index: 2, Code: "x", Severity: tlsrpt.SeverityWarning, Message: "m", Fix: "f",
					Err: fmt.Errorf("cap: %w", tlsrpt.ErrTooLarge)}))},
		{name: "failure only: no Err, empty fields, empty not nil slices", r: failureOnly("example.com",
			&policy.Error{Policy: policy.Policy{Strings: []string{}, MXHosts: []string{}}})},
		{name: "text only, not UTF-8, with NUL", r: &policy.STSResult{Domain: "example.com", ID: "1",
			Text: "version: STSv1\x00\xff\xfe", Fetched: stsFetchedAt, Expires: stsFetchedAt.Add(time.Hour)}},
		{name: "hand-built policy, empty not nil slices", r: &policy.STSResult{Domain: "example.com", ID: "1",
			Policy:  &policy.STSPolicy{Mode: policy.ModeNone, MX: []string{}, Extensions: []tlsrpt.Extension{}},
			Fetched: stsFetchedAt, Expires: stsFetchedAt}},
	}
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		c := st.STSCacheStore()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				require.NoError(t, c.Put(ctx, tt.r))
				got, err := c.Get(ctx, tt.r.Domain)
				require.NoError(t, err)
				if diff := diffSTS(stsWant(tt.r), got); diff != "" {
					t.Errorf("Get after Put (-want +got):\n%s", diff)
				}
				for _, tm := range []time.Time{got.Fetched, got.Expires, got.FailedAt} {
					if tm.Location() != time.UTC {
						t.Errorf("time %v is not in UTC", tm)
					}
				}
			})
		}
	})
}

// TestSTSCacheStoreLossy checks what Get documents it does not give back
// as it was, and what Put refuses.
func TestSTSCacheStoreLossy(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		c := st.STSCacheStore()

		// Err types other than *tlsrpt.Diagnostic and the sentinels: the
		// message stays, the type does not. Bad UTF-8 becomes U+FFFD.
		orig := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused \xff")}
		r := &policy.STSResult{Domain: "example.com", FailedID: "1", FailedAt: stsFetchedAt,
			Failed: stsFailure(policy.FailureSTSFetch, "connect-failed", "example.com", orig)}
		r.Failed.Policy.Strings = []string{"mode: \xff"}
		require.NoError(t, c.Put(ctx, r))
		got, err := c.Get(ctx, "example.com")
		require.NoError(t, err)
		var op *net.OpError
		if errors.As(got.Failed.Err, &op) {
			t.Errorf("Err is still a *net.OpError")
		}
		if want := "dial tcp: connection refused \uFFFD"; got.Failed.Err.Error() != want {
			t.Errorf("Err = %q, want %q", got.Failed.Err.Error(), want)
		}
		if diff := cmp.Diff([]string{"mode: \uFFFD"}, got.Failed.Policy.Strings); diff != "" {
			t.Errorf("policy-string (-want +got):\n%s", diff)
		}

		// Refused: nothing to key on, or a policy that would come back
		// changed.
		for _, bad := range []*policy.STSResult{
			nil,
			{ID: "1"},
			{Domain: "example.com", Policy: &policy.STSPolicy{Mode: policy.ModeEnforce, MX: []string{"mx.\xff"}}},
		} {
			if err := c.Put(ctx, bad); err == nil {
				t.Errorf("Put(%+v) = nil, want an error", bad)
			}
		}
		// The refused Put left the entry alone.
		again, err := c.Get(ctx, "example.com")
		require.NoError(t, err)
		if diff := diffSTS(got, again); diff != "" {
			t.Errorf("entry changed by a refused Put (-want +got):\n%s", diff)
		}
	})
}

func TestSTSCacheStoreReplaceAndAbsent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		c := st.STSCacheStore()
		got, err := c.Get(ctx, "example.com")
		if got != nil || err != nil {
			t.Fatalf("Get of an absent domain = %v, %v; want nil, nil", got, err)
		}

		old := stsResult(t, "example.com", "1", "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n")
		old.Failed, old.FailedAt, old.FailedID = stsFailure(policy.FailureSTSWebPKI, "certificate-expired", "example.com", errors.New("x509: expired")), stsFetchedAt, "2"
		other := stsResult(t, "example.net", "9", "version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 600\n")
		require.NoError(t, c.Put(ctx, old))
		require.NoError(t, c.Put(ctx, other))

		// A new fetch replaces every column, the failure included.
		repl := stsResult(t, "example.com", "2", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmx: mx2.example.com\nmax_age: 172800\n")
		repl.Fetched = repl.Fetched.Add(time.Hour)
		require.NoError(t, c.Put(ctx, repl))
		got, err = c.Get(ctx, "example.com")
		require.NoError(t, err)
		if diff := diffSTS(stsWant(repl), got); diff != "" {
			t.Errorf("Get after replace (-want +got):\n%s", diff)
		}
		got, err = c.Get(ctx, "example.net")
		require.NoError(t, err)
		if diff := diffSTS(stsWant(other), got); diff != "" {
			t.Errorf("other domain (-want +got):\n%s", diff)
		}
		// Domains are compared as given (the cache asks in lower case).
		if got, err := c.Get(ctx, "EXAMPLE.COM"); got != nil || err != nil {
			t.Errorf("Get(EXAMPLE.COM) = %v, %v; want nil, nil", got, err)
		}
	})
}

// TestSTSCacheStoreReopen closes a SQLite store and its database and
// opens the file again: the cache survives a restart.
func TestSTSCacheStoreReopen(t *testing.T) {
	ctx := context.Background()
	var path string
	db := dbtest.SQLite(t, func(p string) string { path = p; return SQLiteDSN(p) })
	st, err := Open(ctx, db, Options{})
	require.NoError(t, err)
	r := stsResult(t, "example.com", "20261130", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n")
	r.Failed, r.FailedAt, r.FailedID = stsFailure(policy.FailureSTSFetch, "http-status-503", "example.com", errors.New("status 503 Service Unavailable")), stsFetchedAt.Add(time.Minute), "20261201"
	require.NoError(t, st.STSCacheStore().Put(ctx, r))
	require.NoError(t, st.Close())
	require.NoError(t, db.Close())

	db2, err := sql.Open("sqlite", SQLiteDSN(path))
	require.NoError(t, err)
	t.Cleanup(func() { db2.Close() })
	st2 := openStore(t, db2, Options{})
	got, err := st2.STSCacheStore().Get(ctx, "example.com")
	require.NoError(t, err)
	if diff := diffSTS(stsWant(r), got); diff != "" {
		t.Errorf("Get after reopening (-want +got):\n%s", diff)
	}
}

// stsPolicyServer is a loopback HTTPS server answering as the mta-sts
// hosts of its certificate, issued by a CA of the test, counting requests
// per host.
type stsPolicyServer struct {
	srv      *httptest.Server
	roots    *x509.CertPool
	mu       sync.Mutex
	policies map[string]string // host → policy; absent: 404
	hits     map[string]int
}

func newSTSPolicyServer(t *testing.T, hosts ...string) *stsPolicyServer {
	s := &stsPolicyServer{policies: map[string]string{}, hits: map[string]int{}, roots: x509.NewCertPool()}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err = x509.ParseCertificate(der)
	require.NoError(t, err)
	s.roots.AddCert(ca)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: hosts[0]}, DNSNames: hosts,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err = x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.Host]++
		text, ok := s.policies[r.Host]
		s.mu.Unlock()
		if !ok || r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, text)
	}))
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stsPolicyServer) serve(host, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policies[host] = text
}

func (s *stsPolicyServer) hitCount(host string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[host]
}

// fetcher returns an STSFetcher that asks dns and reaches s for every
// mta-sts host.
func (s *stsPolicyServer) fetcher(dns *dnstest.Server) policy.STSFetcher {
	addr := s.srv.Listener.Addr().String()
	return policy.STSFetcher{
		Resolver: dns.Resolver(),
		RootCAs:  s.roots,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

// TestSTSCacheStoreFleet runs two nodes, each a policy.STSCache over its
// own Store on one database, against real DNS and HTTPS servers on
// loopback: what one node fetched, the other uses without fetching —
// policies and failures alike — until a new record id makes one fetch
// again, which again serves both.
func TestSTSCacheStoreFleet(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := d.open(t)
			const host, brokenHost = "mta-sts.a.example.com", "mta-sts.b.example.com"
			web := newSTSPolicyServer(t, host, brokenHost)
			web.serve(host, "version: STSv1\r\nmode: enforce\r\nmx: mx1.a.example.com\r\nmx: *.mx.a.example.com\r\nmax_age: 604800\r\n")
			zone := dnstest.Zone{TXT: map[string][][]string{
				"_mta-sts.a.example.com.": {{"v=STSv1; id=20261130"}},
				"_mta-sts.b.example.com.": {{"v=STSv1; id=1"}}, // its policy host answers 404
			}}
			dns := dnstest.Start(t, zone)
			clock := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
			node := func() *policy.STSCache {
				return &policy.STSCache{
					Fetcher: web.fetcher(dns),
					Store:   openStore(t, db, Options{Dialect: d.name}).STSCacheStore(),
					Now:     func() time.Time { return clock },
				}
			}
			a, b := node(), node()

			lookup := func(c *policy.STSCache, domain string, wantHits int) (*policy.STSResult, error) {
				t.Helper()
				h := "mta-sts." + domain
				before := web.hitCount(h)
				r, err := c.Lookup(ctx, domain)
				if got := web.hitCount(h) - before; got != wantHits {
					t.Errorf("Lookup(%s): %d fetches from %s, want %d", domain, got, h, wantHits)
				}
				return r, err
			}

			ra, err := lookup(a, "a.example.com", 1)
			require.NoError(t, err)
			if ra.Policy.Mode != policy.ModeEnforce || ra.ID != "20261130" {
				t.Fatalf("node A got %+v", ra)
			}
			clock = clock.Add(time.Hour)
			rb, err := lookup(b, "a.example.com", 0)
			require.NoError(t, err)
			if diff := diffSTS(stsWant(ra), rb); diff != "" {
				t.Errorf("node B's policy differs from node A's fetch (-A +B):\n%s", diff)
			}
			if !rb.Policy.MatchMX("x.mx.a.example.com") || rb.Policy.MatchMX("mx.b.example.com") {
				t.Errorf("node B's policy matches the wrong MX hosts: %v", rb.Policy.MX)
			}

			// A failure is shared too: B does not retry within five minutes
			// of A's failed fetch for the same id (RFC 8461 §3.3).
			_, errA := lookup(a, "b.example.com", 1)
			var pe *policy.Error
			if !errors.As(errA, &pe) || pe.Code != "http-status-404" {
				t.Fatalf("node A: Lookup(b.example.com) = %v, want an http-status-404 failure", errA)
			}
			clock = clock.Add(time.Minute)
			_, errB := lookup(b, "b.example.com", 0)
			if !errors.As(errB, &pe) || pe.Failure != policy.FailureSTSFetch || pe.Code != "http-status-404" || errB.Error() != errA.Error() {
				t.Errorf("node B: Lookup(b.example.com) = %v, want node A's failure %v", errB, errA)
			}

			// A new policy under a new id: B fetches it, and A, after a
			// restart (a new Store on the same database), uses B's fetch.
			web.serve(host, "version: STSv1\nmode: testing\nmx: mx2.a.example.com\nmax_age: 86400\n")
			dns2 := dnstest.Start(t, dnstest.Zone{TXT: map[string][][]string{
				"_mta-sts.a.example.com.": {{"v=STSv1; id=20261201"}},
			}})
			a.Fetcher, b.Fetcher = web.fetcher(dns2), web.fetcher(dns2)
			rb, err = lookup(b, "a.example.com", 1)
			require.NoError(t, err)
			if rb.Policy.Mode != policy.ModeTesting || rb.ID != "20261201" {
				t.Fatalf("node B after the id change got %+v", rb)
			}
			a = &policy.STSCache{Fetcher: a.Fetcher, Store: openStore(t, db, Options{Dialect: d.name}).STSCacheStore(), Now: a.Now}
			ra, err = lookup(a, "a.example.com", 0)
			require.NoError(t, err)
			if diff := diffSTS(stsWant(rb), ra); diff != "" {
				t.Errorf("node A's policy differs from node B's fetch (-B +A):\n%s", diff)
			}
		})
	}
}

// TestSTSCacheStoreConcurrentPuts has goroutines on two Stores Put the
// same domains at once: no Put fails, every entry is one of those put,
// whole, and a later Put wins.
func TestSTSCacheStoreConcurrentPuts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		st2 := openStore(t, st.db, Options{Dialect: st.Dialect()})
		const workers, puts = 8, 25
		domains := []string{"example.com", "example.net"}
		put := map[string]map[string]*policy.STSResult{} // domain → id → result
		for _, dom := range domains {
			put[dom] = map[string]*policy.STSResult{}
			for w := range workers {
				for i := range puts {
					id := fmt.Sprintf("w%dp%d", w, i)
					r := stsResult(t, dom, id, fmt.Sprintf("version: STSv1\nmode: enforce\nmx: mx%d.%s\nmax_age: %d\n", i, dom, 3600+w))
					if i%3 == 0 {
						r.Failed, r.FailedAt, r.FailedID = stsFailure(policy.FailureSTSFetch, "timeout", dom, errors.New(id)), stsFetchedAt, id
					}
					put[dom][id] = r
				}
			}
		}
		var wg sync.WaitGroup
		var failed atomic.Int32
		start := make(chan struct{})
		for w := range workers {
			c := st.STSCacheStore()
			if w%2 == 1 {
				c = st2.STSCacheStore()
			}
			wg.Go(func() {
				<-start
				for i := range puts {
					for _, dom := range domains {
						if err := c.Put(ctx, put[dom][fmt.Sprintf("w%dp%d", w, i)]); err != nil {
							failed.Add(1)
							t.Errorf("Put: %v", err)
						}
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if failed.Load() > 0 {
			return
		}
		for _, dom := range domains {
			got, err := st.STSCacheStore().Get(ctx, dom)
			require.NoError(t, err)
			want, ok := put[dom][got.ID]
			if !ok {
				t.Fatalf("%s: stored id %q was never put", dom, got.ID)
			}
			if diff := diffSTS(stsWant(want), got); diff != "" {
				t.Errorf("%s: stored entry is not the one put under its id (-want +got):\n%s", dom, diff)
			}
		}
		last := stsResult(t, "example.com", "last", "version: STSv1\nmode: none\nmax_age: 60\n")
		require.NoError(t, st2.STSCacheStore().Put(ctx, last))
		got, err := st.STSCacheStore().Get(ctx, "example.com")
		require.NoError(t, err)
		if diff := diffSTS(stsWant(last), got); diff != "" {
			t.Errorf("after a last Put (-want +got):\n%s", diff)
		}
	})
}

// BenchmarkSTSCacheStore measures Get, which a policy.STSCache calls
// before every delivery, and Put, which it calls after each fetch, of a
// policy with three mx patterns among 1,000 cached domains; "Lookup" is
// a whole STSCache.Lookup hit (a resolver answering from memory), what a
// delivery pays for its policy.
//
//	go test -run '^$' -bench STSCacheStore -benchmem ./store
func BenchmarkSTSCacheStore(b *testing.B) {
	const text = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmx: *.backup.example.net\r\nmax_age: 604800\r\n"
	for _, d := range dialects {
		b.Run(string(d.name), func(b *testing.B) {
			ctx := context.Background()
			st := openStore(b, d.open(b), Options{})
			c := st.STSCacheStore()
			now := time.Now()
			for i := range 1000 {
				r := stsResult(b, fmt.Sprintf("d%d.example.com", i), "1", text)
				r.Fetched, r.Expires = now, now.Add(7*24*time.Hour)
				require.NoError(b, c.Put(ctx, r))
			}
			b.Run("Get", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					r, err := c.Get(ctx, fmt.Sprintf("d%d.example.com", i%1000))
					if err != nil || r == nil {
						b.Fatal(r, err)
					}
				}
			})
			b.Run("Put", func(b *testing.B) {
				b.ReportAllocs()
				r := stsResult(b, "d0.example.com", "1", text)
				for i := 0; b.Loop(); i++ {
					r.Domain = fmt.Sprintf("d%d.example.com", i%1000)
					if err := c.Put(ctx, r); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Lookup", func(b *testing.B) {
				b.ReportAllocs()
				cache := &policy.STSCache{Store: c, Fetcher: policy.STSFetcher{Resolver: stsRecordResolver("v=STSv1; id=1")}}
				for i := 0; b.Loop(); i++ {
					r, err := cache.Lookup(ctx, fmt.Sprintf("d%d.example.com", i%1000))
					if err != nil || r.Policy.Mode != policy.ModeEnforce {
						b.Fatal(r, err)
					}
				}
			})
		})
	}
}

// stsRecordResolver answers every TXT lookup with one record.
type stsRecordResolver string

func (r stsRecordResolver) LookupTXT(context.Context, string) ([]string, error) {
	return []string{string(r)}, nil
}

func (stsRecordResolver) LookupMX(context.Context, string) ([]*net.MX, error) {
	return nil, errors.New("not used")
}

func (stsRecordResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, errors.New("not used")
}
