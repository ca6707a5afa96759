package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

type session struct{}

func (session) Reset()                               {}
func (session) Logout() error                        { return nil }
func (session) Mail(string, *smtp.MailOptions) error { return errors.New("no mail here") }
func (session) Rcpt(string, *smtp.RcptOptions) error { return errors.New("no mail here") }
func (session) Data(io.Reader) error                 { return errors.New("no mail here") }

// TestCheck runs the checks on example.com and example.net served on
// loopback: DNS, the policy hosts and an SMTP server with STARTTLS, all
// with httptest's certificate, which is valid for example.com and
// *.example.com: not for mta-sts.example.net.
func TestCheck(t *testing.T) {
	web := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n")
	}))
	web.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake of example.net
	web.StartTLS()
	defer web.Close()

	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return session{}, nil }))
	srv.TLSConfig = &tls.Config{Certificates: web.TLS.Certificates}
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	defer func() { srv.Close(); <-done }()

	leaf, err := x509.ParseCertificate(web.TLS.Certificates[0].Certificate[0])
	require.NoError(t, err)
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	mx := []*net.MX{{Host: "mx.example.com.", Pref: 10}}
	dns := dnstest.Start(t, dnstest.Zone{
		TXT: map[string][][]string{
			"_smtp._tls.example.com": {{"v=TLSRPTv1; rua=mailto:tlsrpt@example.com"}},
			"_mta-sts.example.com":   {{"v=STSv1; id=1"}},
			"_smtp._tls.example.net": {{"v=TLSRPTv1; rua=tlsrpt@example.net"}},
			"_mta-sts.example.net":   {{"v=STSv1; id=1"}},
		},
		MX:     map[string][]*net.MX{"example.com": mx, "example.net": mx},
		TLSA:   map[string][]dnstest.TLSA{"_25._tcp.mx.example.com": {{Usage: 3, Selector: 1, MatchingType: 1, Data: spki[:]}}},
		Secure: map[string]bool{"_25._tcp.mx.example.com": true},
	})
	loopback := map[string]string{"mx.example.com:25": ln.Addr().String(),
		"mta-sts.example.com:443": web.Listener.Addr().String(), "mta-sts.example.net:443": web.Listener.Addr().String()}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, loopback[addr])
	}
	roots := x509.NewCertPool()
	roots.AddCert(web.Certificate())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	for _, tt := range []struct {
		domain string
		want   []string
	}{
		{"example.com", []string{
			"TLS-RPT: v=TLSRPTv1; rua=mailto:tlsrpt@example.com\n",
			"MTA-STS: mode testing, mx mx.example.com\n",
			"[mode-testing]",
			"DANE mx.example.com: 3 1 1 ",
			"matches (DNSSEC-authenticated: true)\n",
		}},
		{"example.net", []string{
			"TLS-RPT: dnsrecord: syntax error",
			"[missing-mailto]",
			"MTA-STS: senders report sts-webpki-invalid (hostname-mismatch)",
		}},
	} {
		var out strings.Builder
		c := &checker{Resolver: dns.Resolver(), DNS: &policy.DNSClient{Addr: dns.Addr()}, Dial: dial, Out: &out,
			Fetcher: &policy.STSFetcher{Resolver: dns.Resolver(), RootCAs: roots, DialContext: dial}}
		c.check(ctx, tt.domain)
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", tt.domain, w, out.String())
			}
		}
	}
}
