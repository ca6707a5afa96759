package policy

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/internal/testcert"
)

const (
	testPolicy     = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 86400\r\n"
	testPolicyHost = "mta-sts.example.com"
)

// policyServer starts a loopback HTTPS server with cert and handler and
// returns its address.
func policyServer(t testing.TB, cert tls.Certificate, h http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// servePolicy answers the policy path with text as content type ct.
func servePolicy(ct, text string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/mta-sts.txt" || r.Host != testPolicyHost {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write([]byte(text))
	})
}

// TestSTSFetcherFetch fetches policies from loopback HTTPS servers with
// certificates the test makes, the _mta-sts record from a loopback DNS
// server, and checks every failure's result type, code and policy block.
func TestSTSFetcherFetch(t *testing.T) {
	root := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	inter := testcert.Issue(t, testcert.CATemplate("Test Intermediate"), &root)
	good := testcert.Issue(t, testcert.LeafTemplate(testPolicyHost), &inter)
	wildcard := testcert.Issue(t, testcert.LeafTemplate("*.example.com"), &root)
	wrongName := testcert.Issue(t, testcert.LeafTemplate("www.example.com"), &root)
	expiredTmpl := testcert.LeafTemplate(testPolicyHost)
	expiredTmpl.NotBefore, expiredTmpl.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	expired := testcert.Issue(t, expiredTmpl, &root)
	futureTmpl := testcert.LeafTemplate(testPolicyHost)
	futureTmpl.NotBefore, futureTmpl.NotAfter = time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour)
	future := testcert.Issue(t, futureTmpl, &root)
	selfSignedTmpl := testcert.LeafTemplate(testPolicyHost)
	selfSignedTmpl.KeyUsage |= 1 // x509.KeyUsageDigitalSignature already; keep it a leaf
	selfSigned := testcert.Issue(t, selfSignedTmpl, nil)
	otherRoot := testcert.Issue(t, testcert.CATemplate("Other Root"), nil)
	otherLeaf := testcert.Issue(t, testcert.LeafTemplate(testPolicyHost), &otherRoot)

	dns := dnstest.Start(t, dnstest.Zone{
		TXT: map[string][][]string{
			"_mta-sts.example.com":  {{"v=STSv1; id=20240101"}, {"v=spf1 -all"}},
			"_mta-sts.two.example":  {{"v=STSv1; id=a"}, {"v=STSv1; id=b"}},
			"_mta-sts.bad.example":  {{"v=STSv1; id=no-dashes"}},
			"_mta-sts.none.example": {{"v=spf1 -all"}},
		},
		RCode: map[string]dnsmessage.RCode{"_mta-sts.broken.example": dnsmessage.RCodeServerFailure},
	})

	big := "version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 86400\nx: " + strings.Repeat("a", maxSTSPolicySize) + "\n"
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		// Never answer: returning would send an empty 200, which a
		// client whose timeout fired a moment late (a loaded CI machine)
		// reads as a policy without Content-Type.
		panic(http.ErrAbortHandler)
	})
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			t.Error("the fetcher followed a redirect")
		}
		http.Redirect(w, r, "/moved", http.StatusMovedPermanently)
	})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	plain := httptest.NewServer(servePolicy("text/plain", testPolicy))
	t.Cleanup(plain.Close)
	garbage, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { garbage.Close() })
	go func() {
		for {
			c, err := garbage.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("220 mx.example.com ESMTP\r\n"))
			c.Close()
		}
	}()

	tests := []struct {
		name     string
		domain   string
		addr     func() string // the policy server; nil: none needed
		timeout  time.Duration
		wantErr  error // errors.Is, for the no-policy outcomes
		failure  Failure
		code     string
		strings  []string // the policy block's policy-string on failure
		wantText string
	}{
		{name: "good", domain: "example.com", addr: func() string {
			return policyServer(t, good.TLSCertificate(inter), servePolicy("text/plain", testPolicy))
		}, wantText: testPolicy},
		{name: "charset parameter", domain: "Example.COM.", addr: func() string {
			return policyServer(t, good.TLSCertificate(inter), servePolicy("text/plain; charset=iso-8859-1", testPolicy))
		}, wantText: testPolicy},
		{name: "wildcard certificate", domain: "example.com", addr: func() string {
			return policyServer(t, wildcard.TLSCertificate(), servePolicy("text/plain", testPolicy))
		}, wantText: testPolicy},
		{name: "404", domain: "example.com", addr: func() string { return policyServer(t, good.TLSCertificate(inter), http.NotFoundHandler()) }, failure: FailureSTSFetch, code: "http-status-404"},
		{name: "301 redirect", domain: "example.com", addr: func() string { return policyServer(t, good.TLSCertificate(inter), redirect) }, failure: FailureSTSFetch, code: "http-redirect"},
		{name: "text/html", domain: "example.com", addr: func() string {
			return policyServer(t, good.TLSCertificate(inter), servePolicy("text/html", testPolicy))
		}, failure: FailureSTSFetch, code: "content-type"},
		{name: "oversized", domain: "example.com", addr: func() string { return policyServer(t, good.TLSCertificate(inter), servePolicy("text/plain", big)) }, failure: FailureSTSFetch, code: "policy-too-large", wantErr: tlsrpt.ErrTooLarge},
		{name: "invalid policy", domain: "example.com", addr: func() string {
			return policyServer(t, good.TLSCertificate(inter), servePolicy("text/plain", "version: STSv1\nmode: Enforce\nmx: mx1.example.com\nmax_age: 86400\n"))
		}, failure: FailureSTSInvalid, code: "policy-syntax", strings: []string{"version: STSv1", "mode: Enforce", "mx: mx1.example.com", "max_age: 86400"}},
		{name: "slow server", domain: "example.com", addr: func() string { return policyServer(t, good.TLSCertificate(inter), slow) }, timeout: 300 * time.Millisecond, failure: FailureSTSFetch, code: "timeout"},
		{name: "connection refused", domain: "example.com", addr: func() string { return closedAddr }, failure: FailureSTSFetch, code: "connect-failed"},
		{name: "plain HTTP", domain: "example.com", addr: func() string { return plain.Listener.Addr().String() }, failure: FailureSTSFetch, code: "fetch-failed"},
		{name: "not TLS", domain: "example.com", addr: func() string { return garbage.Addr().String() }, failure: FailureSTSFetch, code: "tls-handshake"},
		{name: "expired certificate", domain: "example.com", addr: func() string { return policyServer(t, expired.TLSCertificate(), servePolicy("text/plain", testPolicy)) }, failure: FailureSTSWebPKI, code: "certificate-expired"},
		{name: "certificate not yet valid", domain: "example.com", addr: func() string { return policyServer(t, future.TLSCertificate(), servePolicy("text/plain", testPolicy)) }, failure: FailureSTSWebPKI, code: "certificate-not-yet-valid"},
		{name: "wrong name", domain: "example.com", addr: func() string {
			return policyServer(t, wrongName.TLSCertificate(), servePolicy("text/plain", testPolicy))
		}, failure: FailureSTSWebPKI, code: "hostname-mismatch"},
		{name: "self-signed", domain: "example.com", addr: func() string {
			return policyServer(t, selfSigned.TLSCertificate(), servePolicy("text/plain", testPolicy))
		}, failure: FailureSTSWebPKI, code: "self-signed-certificate"},
		{name: "other root", domain: "example.com", addr: func() string {
			return policyServer(t, otherLeaf.TLSCertificate(), servePolicy("text/plain", testPolicy))
		}, failure: FailureSTSWebPKI, code: "unknown-authority"},
		{name: "other root, chain sent", domain: "example.com", addr: func() string {
			return policyServer(t, otherLeaf.TLSCertificate(otherRoot), servePolicy("text/plain", testPolicy))
		}, failure: FailureSTSWebPKI, code: "self-signed-in-chain"},
		{name: "missing intermediate", domain: "example.com", addr: func() string { return policyServer(t, good.TLSCertificate(), servePolicy("text/plain", testPolicy)) }, failure: FailureSTSWebPKI, code: "unknown-authority"},
		{name: "no record", domain: "none.example", wantErr: ErrNoSTSRecord},
		{name: "no name", domain: "missing.example", wantErr: ErrNoSTSRecord},
		{name: "two records", domain: "two.example", wantErr: ErrMultipleSTSRecords},
		{name: "malformed record", domain: "bad.example", wantErr: &tlsrpt.Diagnostic{Code: CodeRecordSyntax}},
		{name: "SERVFAIL", domain: "broken.example", failure: FailureSTSFetch, code: "dns-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &STSFetcher{Resolver: dns.Resolver(), RootCAs: testcert.Pool(root), Timeout: tt.timeout}
			if tt.addr != nil {
				f.DialContext = dialTo(tt.addr())
			}
			start := time.Now()
			res, err := f.Fetch(context.Background(), tt.domain)
			if tt.timeout > 0 && time.Since(start) > 5*time.Second {
				t.Errorf("Fetch took %v with Timeout %v", time.Since(start), tt.timeout)
			}
			if tt.failure == "" && tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if res.Text != tt.wantText || res.ID != "20240101" || res.Domain != "example.com" || res.Policy.Mode != ModeEnforce {
					t.Errorf("result = %+v", res)
				}
				if got := res.Expires.Sub(res.Fetched); got != 86400*time.Second {
					t.Errorf("Expires - Fetched = %v, want max_age", got)
				}
				return
			}
			if res != nil {
				t.Errorf("result %+v with error %v", res, err)
			}
			if tt.wantErr != nil {
				if want, ok := tt.wantErr.(*tlsrpt.Diagnostic); ok {
					var d *tlsrpt.Diagnostic
					if !errors.As(err, &d) || d.Code != want.Code {
						t.Errorf("err = %v, want a *tlsrpt.Diagnostic with Code %s", err, want.Code)
					}
				} else if !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
			}
			var pe *Error
			if tt.failure == "" {
				if errors.As(err, &pe) {
					t.Errorf("err = %v: an *Error for a domain without a usable record", err)
				}
				return
			}
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			want := &Error{Failure: tt.failure, Code: tt.code, Policy: Policy{Type: TypeSTS, Domain: "example.com", Strings: tt.strings}}
			if tt.domain != "example.com" {
				want.Policy.Domain = tt.domain
			}
			if tt.strings != nil {
				want.Policy.MXHosts = []string{"mx1.example.com"}
			}
			got := &Error{Failure: pe.Failure, Code: pe.Code, Policy: pe.Policy}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error %v (-want +got):\n%s", err, diff)
			}
			if pe.Err == nil {
				t.Error("Err is nil")
			}
		})
	}
}

// TestSTSFetcherFetchCanceled: the caller's own cancellation is not a
// failure to report.
func TestSTSFetcherFetchCanceled(t *testing.T) {
	root := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	leaf := testcert.Issue(t, testcert.LeafTemplate(testPolicyHost), &root)
	started := make(chan struct{})
	addr := policyServer(t, leaf.TLSCertificate(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	}))
	dns := dnstest.Start(t, dnstest.Zone{TXT: map[string][][]string{"_mta-sts.example.com": {{"v=STSv1; id=1"}}}})
	f := &STSFetcher{Resolver: dns.Resolver(), RootCAs: testcert.Pool(root), DialContext: dialTo(addr)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	_, err := f.Fetch(ctx, "example.com")
	var pe *Error
	if !errors.Is(err, context.Canceled) || errors.As(err, &pe) {
		t.Errorf("err = %v, want context.Canceled and no *Error", err)
	}
}

// TestSTSFetcherInvalidDomain rejects a name that is not a domain.
func TestSTSFetcherInvalidDomain(t *testing.T) {
	var f STSFetcher
	var d *tlsrpt.Diagnostic
	if _, err := f.Fetch(context.Background(), "a..b"); !errors.As(err, &d) || d.Code != CodeInvalidDomain || d.Path != "policy-domain" {
		t.Errorf("err = %v, want a *tlsrpt.Diagnostic with CodeInvalidDomain", err)
	}
}

// TestSTSFetchErrorText checks the text of an *Error.
func TestSTSFetchErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Failure: FailureSTSFetch, Code: "http-status-404", Policy: Policy{Domain: "example.com"}, Err: errors.New("status 404 Not Found")},
			"policy: sts-policy-fetch-error (http-status-404) for example.com: status 404 Not Found"},
		{&Error{Failure: FailureDANERequired}, "policy: dane-required"},
		{&Error{}, "policy: failure"},
		{nil, "policy: <nil>"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if (*Error)(nil).Unwrap() != nil {
		t.Error("nil Unwrap")
	}
}

// TestFailureValues: each Failure is the RFC 8460 §4.3 result-type it
// is reported as.
func TestFailureValues(t *testing.T) {
	got := []Failure{FailureSTSFetch, FailureSTSInvalid, FailureSTSWebPKI, FailureTLSAInvalid, FailureDNSSECInvalid, FailureDANERequired}
	want := []Failure{"sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid", "tlsa-invalid", "dnssec-invalid", "dane-required"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// dialTo returns a dial function that connects to addr whatever address
// it is asked for: the fetcher asks for mta-sts.<domain>:443.
func dialTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}
