package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
)

// runChecker runs the operator with args and returns its output and error.
func runChecker(t *testing.T, c *checker, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := c.run(context.Background(), args, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

func checkOutput(t *testing.T, out string, err, wantErr error, want []string) {
	t.Helper()
	if !errors.Is(err, wantErr) {
		t.Errorf("err = %v, want %v\n%s", err, wantErr, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestOffline checks record texts and policy files without any lookup:
// the checker has no resolver and no client, so a lookup would panic.
func TestOffline(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr error
		want    []string
	}{
		{
			name: "valid record",
			args: []string{"-record", "v=TLSRPTv1;rua=mailto:tlsrpt@example.com, https://reports.example.com/v1"},
			want: []string{
				"valid; canonical form: v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/v1",
				"rua mailto:tlsrpt@example.com: reports are mailed to tlsrpt@example.com",
				"rua https://reports.example.com/v1: reports are POSTed there",
			},
		},
		{
			name: "valid record with a skipped scheme",
			args: []string{"-record", "v=TLSRPTv1; rua=http://reports.example.com/v1,mailto:a@example.com"},
			want: []string{"senders skip the http: scheme", "warning at offset 16: reporters only POST reports to https: URIs (RFC 8460 §3); this URI is skipped [http-uri]"},
		},
		{
			name:    "bare address and size suffix",
			args:    []string{"-record", "v=TLSRPTv1; rua=tlsrpt@example.com!10m"},
			wantErr: errInvalid,
			want:    []string{"invalid: dnsrecord: syntax error", "missing-mailto", "size-suffix"},
		},
		{
			name:    "SPF record",
			args:    []string{"-record", "v=spf1 -all"},
			wantErr: errInvalid,
			want:    []string{"spf-record"},
		},
		{
			name: "good policy",
			args: []string{"-sts-policy", "testdata/good-policy.txt", "-mx", "mx1.example.com,a.mx.example.com"},
			want: []string{"policy valid: mode enforce, max_age 1209600, mx mx1.example.com, *.mx.example.com"},
		},
		{
			name:    "good policy, uncovered MX host",
			args:    []string{"-sts-policy", "testdata/good-policy.txt", "-mx", "mx1.example.com,mx2.example.com"},
			wantErr: errInvalid,
			want:    []string{"error at offset 0: MX host mx2.example.com matches no mx pattern; mail to it will fail under mode enforce [mx-not-covered]"},
		},
		{
			name:    "bad policy",
			args:    []string{"-sts-policy", "testdata/bad-policy.txt"},
			wantErr: errInvalid,
			want:    []string{"policy invalid", "key-case", "blank-line", "mx-trailing-dot", "key-typo"},
		},
		{name: "missing policy file", args: []string{"-sts-policy", "testdata/none.txt"}, want: []string{"no such file"}},
		{name: "-mx without -sts-policy", args: []string{"-mx", "mx1.example.com", "example.com"}, wantErr: flag.ErrHelp},
		{name: "nothing to check", wantErr: flag.ErrHelp, want: []string{"usage: operator"}},
		{name: "offline and domain together", args: []string{"-record", "v=TLSRPTv1; rua=mailto:a@example.com", "example.com"}, wantErr: flag.ErrHelp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runChecker(t, &checker{}, tt.args...)
			if tt.name == "missing policy file" {
				if err == nil || !strings.Contains(err.Error(), "no such file") {
					t.Errorf("err = %v, want a file error", err)
				}
				return
			}
			checkOutput(t, out, err, tt.wantErr, tt.want)
		})
	}
}

// TestOnline runs the domain checks through a *net.Resolver asking a DNS
// server on loopback (internal/dnstest), and an HTTPS server on loopback
// serving the mta-sts.<domain> policies.
func TestOnline(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		switch r.Host {
		case "mta-sts.example.com":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 1209600\r\n"))
		case "mta-sts.redirect.example.com":
			http.Redirect(w, r, "https://mta-sts.example.com/.well-known/mta-sts.txt", http.StatusMovedPermanently)
		case "mta-sts.big.example.com":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("version: STSv1\nmode: testing\nmx: mx.big.example.com\nmax_age: 86400\n"))
			w.Write(bytes.Repeat([]byte("x: y\n"), 70<<10/5))
		default:
			http.NotFound(w, r)
		}
	}))
	cert, roots := newCertificate(t, "mta-sts.example.com", "mta-sts.redirect.example.com", "mta-sts.big.example.com")
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake the client refuses
	srv.StartTLS()
	defer srv.Close()
	client := policyClient()
	client.Transport = &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, srv.Listener.Addr().String())
		},
	}
	sts := []string{"v=STSv1; id=20261124"} // one TXT record of one string
	c := &checker{
		client: client,
		resolver: dnstest.Start(t, dnstest.Zone{
			TXT: map[string][][]string{
				"_smtp._tls.example.com":          {{"v=TLSRPTv1; rua=mailto:tlsrpt@example.com"}, {"v=spf1 -all"}},
				"_mta-sts.example.com":            {sts},
				"_smtp._tls.redirect.example.com": {{"v=TLSRPTv1; rua=mailto:tlsrpt@example.com"}},
				"_mta-sts.redirect.example.com":   {sts},
				"_smtp._tls.big.example.com":      {{"v=TLSRPTv1; rua=mailto:tlsrpt@example.com"}},
				"_mta-sts.big.example.com":        {sts},
				"_smtp._tls.multi.example.com":    {{"v=TLSRPTv1; rua=mailto:a@example.com"}, {"v=TLSRPTv1; rua=mailto:b@example.com"}},
				"_mta-sts.multi.example.com":      {{"v=STSv1; id=1"}, {"v=STSv1; id=2"}},
				"_mta-sts.wrongcert.example.com":  {sts},
			},
			MX: map[string][]*net.MX{
				"example.com":     {{Host: "mx1.example.com.", Pref: 10}, {Host: "mx2.example.com.", Pref: 20}},
				"big.example.com": {{Host: "mx.big.example.com.", Pref: 10}},
			},
			RCode: map[string]dnsmessage.RCode{"_smtp._tls.servfail.example.com": dnsmessage.RCodeServerFailure},
		}).Resolver(),
	}
	tests := []struct {
		name    string
		args    []string
		wantErr error
		want    []string
	}{
		{
			name: "records and policy fine",
			args: []string{"-fetch", "Example.COM."},
			want: []string{
				"_smtp._tls.example.com: 2 TXT records",
				`TXT record #1 "v=spf1 -all"`,
				"info #1 at offset 0: an SPF record; senders of TLS reports ignore it [spf-record]", // pointless but harmless
				"_smtp._tls.example.com: senders use v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
				"_mta-sts.example.com: MTA-STS record v=STSv1; id=20261124 (policy id 20261124)",
				"policy valid: mode enforce, max_age 1209600, mx *.example.com",
				"checked against MX hosts mx1.example.com, mx2.example.com",
			},
		},
		{
			name: "without -fetch no policy is fetched",
			args: []string{"redirect.example.com"},
			want: []string{"_mta-sts.redirect.example.com: MTA-STS record"},
		},
		{
			name:    "redirect not followed",
			args:    []string{"-fetch", "redirect.example.com"},
			wantErr: errInvalid,
			want:    []string{"fetch failed: HTTP status 301 Moved Permanently"},
		},
		{
			name:    "policy over 64 KiB, not text/plain",
			args:    []string{"-fetch", "big.example.com"},
			wantErr: errInvalid,
			want:    []string{`Content-Type "text/html" is not text/plain`, "too-large"},
		},
		{
			name:    "certificate for another name",
			args:    []string{"-fetch", "wrongcert.example.com"},
			wantErr: errInvalid,
			want:    []string{"no TLS-RPT record", "fetch failed", "not mta-sts.wrongcert.example.com"},
		},
		{
			name:    "two records of each",
			args:    []string{"multi.example.com"},
			wantErr: errInvalid,
			want: []string{"more than one TLS-RPT record", "more than one mta-sts record", "record-multiple",
				"error #1 at offset 0: 2 TXT records at the name begin with v=TLSRPTv1; senders then use none of them and send no reports (RFC 8460 §3) [multiple-records]"},
		},
		{
			name: "nothing published",
			args: []string{"none.example.com"},
			want: []string{"no TLS-RPT record; senders send no reports", "no MTA-STS record"},
		},
		{
			name:    "temporary DNS failure",
			args:    []string{"servfail.example.com"},
			wantErr: errInvalid,
			want:    []string{"_smtp._tls.servfail.example.com: lookup failed, try again later"},
		},
		{
			name:    "not a domain",
			args:    []string{"exa mple.com"},
			wantErr: errInvalid,
			want:    []string{"not a domain name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runChecker(t, c, tt.args...)
			checkOutput(t, out, err, tt.wantErr, tt.want)
			if tt.name == "without -fetch no policy is fetched" && strings.Contains(out, "https://") {
				t.Errorf("fetched without -fetch:\n%s", out)
			}
		})
	}
}

// newCertificate returns a self-signed certificate for names and a pool
// that trusts it.
func newCertificate(t *testing.T, names ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}
