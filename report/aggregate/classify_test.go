package aggregate

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/stretchr/testify/require"
)

// certSerial hands out certificate serial numbers within one test binary.
var certSerial atomic.Int64

// testCert is a certificate the tests made, with its key.
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// tlsCert returns the certificate with its chain for a tls.Config.
func (c testCert) tlsCert(chain ...testCert) tls.Certificate {
	tc := tls.Certificate{Certificate: [][]byte{c.cert.Raw}, PrivateKey: c.key, Leaf: c.cert}
	for _, p := range chain {
		tc.Certificate = append(tc.Certificate, p.cert.Raw)
	}
	return tc
}

// issue creates a certificate from tmpl signed by parent, or self-signed
// when parent is nil. Zero validity times mean "an hour ago" and "in a day".
func issue(t testing.TB, tmpl *x509.Certificate, parent *testCert) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl.SerialNumber = big.NewInt(certSerial.Add(1))
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return testCert{cert: cert, key: key}
}

// caTemplate is a CA certificate template.
func caTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
}

// leafTemplate is a server certificate template for the given names.
func leafTemplate(names ...string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
}

// certPool returns a pool holding the given roots.
func certPool(roots ...testCert) *x509.CertPool {
	p := x509.NewCertPool()
	for _, r := range roots {
		p.AddCert(r.cert)
	}
	return p
}

// serveOnce runs serve for one connection accepted on a fresh 127.0.0.1
// listener and returns the address. The listener and connection are closed
// when the test ends.
func serveOnce(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		serve(conn)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// tlsServer serves one TLS connection: after a successful handshake it
// writes a 220 greeting line, as an SMTP server would answer after
// STARTTLS, and closes.
func tlsServer(t *testing.T, cfg *tls.Config) string {
	return serveOnce(t, func(conn net.Conn) {
		srv := tls.Server(conn, cfg)
		if err := srv.Handshake(); err != nil {
			return
		}
		_, _ = io.WriteString(srv, "220 ok\r\n")
		_ = srv.Close()
	})
}

// dialTLS connects to addr with cfg like an MTA after STARTTLS: it
// completes the handshake and reads the server's first line, which is
// where a TLS 1.3 server's rejection of the client certificate arrives.
func dialTLS(t *testing.T, addr string, cfg *tls.Config) error {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		return err
	}
	buf := make([]byte, 8)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != "220 ok\r\n" {
		return fmt.Errorf("unexpected greeting %q", buf)
	}
	return nil
}

// TestClassifyTLSErrorHandshake classifies the errors of real TLS
// handshakes on loopback against certificates the test makes.
func TestClassifyTLSErrorHandshake(t *testing.T) {
	const host = "mx.example.test"
	ca := issue(t, caTemplate("Test Root"), nil)
	otherCA := issue(t, caTemplate("Other Root"), nil)
	good := issue(t, leafTemplate(host), &ca)

	expiredTmpl := leafTemplate(host)
	expiredTmpl.NotBefore = time.Now().Add(-48 * time.Hour)
	expiredTmpl.NotAfter = time.Now().Add(-24 * time.Hour)
	expired := issue(t, expiredTmpl, &ca)

	futureTmpl := leafTemplate(host)
	futureTmpl.NotBefore = time.Now().Add(24 * time.Hour)
	futureTmpl.NotAfter = time.Now().Add(48 * time.Hour)
	future := issue(t, futureTmpl, &ca)

	wrongHost := issue(t, leafTemplate("other.example.test"), &ca)
	unknownCA := issue(t, leafTemplate(host), &otherCA)
	selfSigned := issue(t, leafTemplate(host), nil)

	// An intermediate whose validity has ended, and a good leaf under it.
	oldInterTmpl := caTemplate("Expired Intermediate")
	oldInterTmpl.NotBefore = time.Now().Add(-48 * time.Hour)
	oldInterTmpl.NotAfter = time.Now().Add(-24 * time.Hour)
	oldInter := issue(t, oldInterTmpl, &ca)
	underOldInter := issue(t, leafTemplate(host), &oldInter)

	// A "CA" without the CA bit, used as an intermediate.
	notCATmpl := caTemplate("Not A CA")
	notCATmpl.IsCA = false
	notCA := issue(t, notCATmpl, &ca)
	underNotCA := issue(t, leafTemplate(host), &notCA)

	// A root limited to .allowed.test issuing for mx.example.test.
	constrainedTmpl := caTemplate("Constrained Root")
	constrainedTmpl.PermittedDNSDomains = []string{"allowed.test"}
	constrained := issue(t, constrainedTmpl, nil)
	outsideConstraint := issue(t, leafTemplate(host), &constrained)

	// A root allowing no intermediates, with one intermediate below it.
	pathLenTmpl := caTemplate("Path Length Zero Root")
	pathLenTmpl.MaxPathLenZero = true
	pathLenRoot := issue(t, pathLenTmpl, nil)
	pathLenInter := issue(t, caTemplate("Intermediate Too Many"), &pathLenRoot)
	underPathLen := issue(t, leafTemplate(host), &pathLenInter)

	// A certificate meant for TLS clients only.
	clientOnlyTmpl := leafTemplate(host)
	clientOnlyTmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	clientOnly := issue(t, clientOnlyTmpl, &ca)

	// A self-signed root the server sends but the client does not trust.
	untrustedRoot := issue(t, caTemplate("Untrusted Root"), nil)
	underUntrustedRoot := issue(t, leafTemplate(host), &untrustedRoot)

	client := func(mod func(*tls.Config)) *tls.Config {
		c := &tls.Config{ServerName: host, RootCAs: certPool(ca)}
		if mod != nil {
			mod(c)
		}
		return c
	}
	server := func(cert tls.Certificate, mod func(*tls.Config)) *tls.Config {
		c := &tls.Config{Certificates: []tls.Certificate{cert}}
		if mod != nil {
			mod(c)
		}
		return c
	}

	tests := []struct {
		name     string
		server   *tls.Config
		client   *tls.Config
		wantType report.ResultType
		wantCode string
	}{{
		name:   "success",
		server: server(good.tlsCert(), nil),
		client: client(nil),
	}, {
		name:     "expired",
		server:   server(expired.tlsCert(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateExpired,
		wantCode: "certificate-expired",
	}, {
		name:     "not yet valid",
		server:   server(future.tlsCert(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "certificate-not-yet-valid",
	}, {
		name:     "expired intermediate",
		server:   server(underOldInter.tlsCert(oldInter), nil),
		client:   client(nil),
		wantType: report.ResultCertificateExpired,
		wantCode: "chain-certificate-expired",
	}, {
		name:     "wrong host name",
		server:   server(wrongHost.tlsCert(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateHostMismatch,
		wantCode: "hostname-mismatch",
	}, {
		name:     "unknown CA",
		server:   server(unknownCA.tlsCert(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "unknown-authority",
	}, {
		name:     "self-signed without a CA",
		server:   server(selfSigned.tlsCert(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "self-signed-certificate",
	}, {
		name:     "untrusted root sent in the chain",
		server:   server(underUntrustedRoot.tlsCert(untrustedRoot), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "self-signed-in-chain",
	}, {
		// crypto/x509 rejects the signature of a non-CA parent while
		// building the chain and ends with "unknown authority".
		name:     "intermediate is not a CA",
		server:   server(underNotCA.tlsCert(notCA), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "unknown-authority",
	}, {
		name:     "name constraint",
		server:   server(outsideConstraint.tlsCert(), nil),
		client:   client(func(c *tls.Config) { c.RootCAs = certPool(constrained) }),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "ca-not-authorized-for-name",
	}, {
		name:     "path length",
		server:   server(underPathLen.tlsCert(pathLenInter), nil),
		client:   client(func(c *tls.Config) { c.RootCAs = certPool(pathLenRoot) }),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "too-many-intermediates",
	}, {
		name:     "client-auth-only certificate",
		server:   server(clientOnly.tlsCert(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "incompatible-usage",
	}, {
		name:     "client certificate required, TLS 1.3",
		server:   server(good.tlsCert(), func(c *tls.Config) { c.ClientAuth = tls.RequireAnyClientCert }),
		client:   client(nil),
		wantType: report.ResultValidationFailure,
		wantCode: "tls-alert-certificate-required",
	}, {
		name:     "client certificate required, TLS 1.2",
		server:   server(good.tlsCert(), func(c *tls.Config) { c.ClientAuth = tls.RequireAnyClientCert }),
		client:   client(func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }),
		wantType: report.ResultValidationFailure,
		wantCode: "tls-alert-handshake-failure",
	}, {
		name: "server offers only TLS 1.1",
		server: server(good.tlsCert(), func(c *tls.Config) {
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		}),
		client:   client(nil),
		wantType: report.ResultValidationFailure,
		wantCode: "tls-alert-protocol-version",
	}, {
		name: "no common cipher suite",
		server: server(good.tlsCert(), func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
		}),
		client: client(func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}
		}),
		wantType: report.ResultValidationFailure,
		wantCode: "tls-alert-handshake-failure",
	}, {
		name:   "verification skipped",
		server: server(selfSigned.tlsCert(), nil),
		client: client(func(c *tls.Config) { c.InsecureSkipVerify = true }),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tlsServer(t, tt.server)
			err := dialTLS(t, addr, tt.client)
			if tt.wantType == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
			gotType, gotCode := ClassifyTLSError(err)
			if gotType != tt.wantType || gotCode != tt.wantCode {
				t.Errorf("ClassifyTLSError(%v) = (%q, %q), want (%q, %q)", err, gotType, gotCode, tt.wantType, tt.wantCode)
			}
			// The caller's own wrapping must not change the answer.
			if err != nil {
				wt, wc := ClassifyTLSError(fmt.Errorf("deliver to %s: %w", host, err))
				if wt != gotType || wc != gotCode {
					t.Errorf("wrapped: got (%q, %q), unwrapped (%q, %q)", wt, wc, gotType, gotCode)
				}
			}
		})
	}
}

// TestClassifyTLSErrorVerifyConnection checks that a DANE-style check in
// tls.Config.VerifyConnection can report its own result type through
// ResultError, over a real handshake.
func TestClassifyTLSErrorVerifyConnection(t *testing.T) {
	const host = "mx.example.test"
	ca := issue(t, caTemplate("Test Root"), nil)
	leaf := issue(t, leafTemplate(host), &ca)
	addr := tlsServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.tlsCert()}})
	errNoMatch := errors.New("no TLSA record matched")
	err := dialTLS(t, addr, &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: true, // DANE-EE: the TLSA record, not the WebPKI, decides
		VerifyConnection: func(tls.ConnectionState) error {
			return &ResultError{ResultType: report.ResultTLSAInvalid, ReasonCode: "tlsa-no-match", Err: errNoMatch}
		},
	})
	require.ErrorIs(t, err, errNoMatch)
	gotType, gotCode := ClassifyTLSError(err)
	if gotType != report.ResultTLSAInvalid || gotCode != "tlsa-no-match" {
		t.Errorf("ClassifyTLSError(%v) = (%q, %q), want (tlsa-invalid, tlsa-no-match)", err, gotType, gotCode)
	}
}

// smtpSession accepts nothing; the tests end before MAIL FROM.
type smtpSession struct{}

func (smtpSession) Reset()                               {}
func (smtpSession) Logout() error                        { return nil }
func (smtpSession) Mail(string, *smtp.MailOptions) error { return errors.New("not here") }
func (smtpSession) Rcpt(string, *smtp.RcptOptions) error { return errors.New("not here") }
func (smtpSession) Data(io.Reader) error                 { return errors.New("not here") }

// smtpServer runs a go-smtp server on loopback, offering STARTTLS when
// cfg is not nil, and returns its address.
func smtpServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return smtpSession{}, nil }))
	srv.Domain = "mx.example.test"
	srv.TLSConfig = cfg
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// deliverTLS does what an MTA does before MAIL FROM: EHLO, STARTTLS,
// EHLO again over TLS, and returns the error the MTA would classify.
// go-smtp's NewClientStartTLS reports a missing STARTTLS with an error of
// its own, so an MTA that wants ErrSTARTTLSNotOffered looks at the EHLO
// reply first; this helper does that on a first connection.
func deliverTLS(t *testing.T, addr string, cfg *tls.Config) error {
	t.Helper()
	probe, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	pc := smtp.NewClient(probe)
	ok, _ := pc.Extension("STARTTLS")
	_ = pc.Quit()
	if !ok {
		return fmt.Errorf("%s: %w", addr, ErrSTARTTLSNotOffered)
	}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	c, err := smtp.NewClientStartTLS(conn, cfg)
	if err != nil {
		return fmt.Errorf("%s: STARTTLS: %w", addr, err)
	}
	defer c.Close()
	// The handshake runs with the first command over TLS.
	if err := c.Hello("sender.example.net"); err != nil {
		return fmt.Errorf("%s: EHLO after STARTTLS: %w", addr, err)
	}
	return nil
}

// TestClassifyTLSErrorSMTP classifies what a go-smtp client sees against a
// real go-smtp server on loopback, showing that the result survives the
// SMTP client's own error wrapping.
func TestClassifyTLSErrorSMTP(t *testing.T) {
	const host = "mx.example.test"
	ca := issue(t, caTemplate("Test Root"), nil)
	good := issue(t, leafTemplate(host), &ca)
	expiredTmpl := leafTemplate(host)
	expiredTmpl.NotBefore = time.Now().Add(-48 * time.Hour)
	expiredTmpl.NotAfter = time.Now().Add(-24 * time.Hour)
	expired := issue(t, expiredTmpl, &ca)
	wrongHost := issue(t, leafTemplate("other.example.test"), &ca)
	client := &tls.Config{ServerName: host, RootCAs: certPool(ca)}

	tests := []struct {
		name     string
		server   *tls.Config
		wantType report.ResultType
		wantCode string
	}{
		{"no STARTTLS", nil, report.ResultSTARTTLSNotSupported, "starttls-not-offered"},
		{"expired", &tls.Config{Certificates: []tls.Certificate{expired.tlsCert()}}, report.ResultCertificateExpired, "certificate-expired"},
		{"wrong host", &tls.Config{Certificates: []tls.Certificate{wrongHost.tlsCert()}}, report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"TLS 1.1 only", &tls.Config{Certificates: []tls.Certificate{good.tlsCert()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, report.ResultValidationFailure, "tls-alert-protocol-version"},
		{"success", &tls.Config{Certificates: []tls.Certificate{good.tlsCert()}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := deliverTLS(t, smtpServer(t, tt.server), client)
			gotType, gotCode := ClassifyTLSError(err)
			if gotType != tt.wantType || gotCode != tt.wantCode {
				t.Errorf("ClassifyTLSError(%v) = (%q, %q), want (%q, %q)", err, gotType, gotCode, tt.wantType, tt.wantCode)
			}
		})
	}
}

// TestClassifyTLSErrorNonTLSPeers covers peers that never complete a TLS
// handshake: one still talking plain SMTP, one that hangs up, one that
// answers like a TLS 1.0-only server from before RFC 8446 (it ignores the
// supported_versions extension and picks TLS 1.0 from the record version).
func TestClassifyTLSErrorNonTLSPeers(t *testing.T) {
	// The ServerHello an old TLS 1.0 server sends: legacy version 3.1,
	// zero random, no session id, TLS_RSA_WITH_AES_128_CBC_SHA, no
	// compression, no extensions (RFC 2246 §7.4.1.3).
	serverHello := []byte{0x02, 0x00, 0x00, 0x26, 0x03, 0x01}
	serverHello = append(serverHello, make([]byte, 32)...)
	serverHello = append(serverHello, 0x00, 0x00, 0x2f, 0x00)
	oldServer := append([]byte{0x16, 0x03, 0x01, 0x00, byte(len(serverHello))}, serverHello...)

	tests := []struct {
		name     string
		serve    func(net.Conn)
		wantCode string
	}{{
		name: "plain text answer",
		serve: func(c net.Conn) {
			_, _ = io.WriteString(c, "220 mx.example.test ESMTP ready\r\n")
			_, _ = io.Copy(io.Discard, c)
		},
		wantCode: "not-tls",
	}, {
		// Reads the whole ClientHello first: closing with unread data
		// would make the kernel send a reset instead of a FIN.
		name: "hang up",
		serve: func(c net.Conn) {
			hdr := make([]byte, 5)
			if _, err := io.ReadFull(c, hdr); err != nil {
				return
			}
			_, _ = io.ReadFull(c, make([]byte, int(hdr[3])<<8|int(hdr[4])))
		},
		wantCode: "connection-closed",
	}, {
		name: "reset",
		serve: func(c net.Conn) {
			_ = c.(*net.TCPConn).SetLinger(0)
			hdr := make([]byte, 5)
			_, _ = io.ReadFull(c, hdr)
		},
		wantCode: "connection-reset",
	}, {
		name: "TLS 1.0 only server",
		serve: func(c net.Conn) {
			buf := make([]byte, 5)
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			_, _ = c.Write(oldServer)
			_, _ = io.Copy(io.Discard, c)
		},
		wantCode: "protocol-version",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveOnce(t, tt.serve)
			err := dialTLS(t, addr, &tls.Config{ServerName: "mx.example.test"})
			require.Error(t, err)
			gotType, gotCode := ClassifyTLSError(err)
			if gotType != report.ResultValidationFailure || gotCode != tt.wantCode {
				t.Errorf("ClassifyTLSError(%v) = (%q, %q), want (validation-failure, %q)", err, gotType, gotCode, tt.wantCode)
			}
		})
	}
}

// TestClassifyTLSErrorTimeout uses a server that accepts and never answers.
func TestClassifyTLSErrorTimeout(t *testing.T) {
	release := make(chan struct{})
	addr := serveOnce(t, func(c net.Conn) { <-release })
	defer close(release)
	raw, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer raw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = tls.Client(raw, &tls.Config{ServerName: "mx.example.test"}).HandshakeContext(ctx)
	require.Error(t, err)
	if gotType, gotCode := ClassifyTLSError(err); gotType != report.ResultValidationFailure || gotCode != "timeout" {
		t.Errorf("ClassifyTLSError(%v) = (%q, %q), want (validation-failure, timeout)", err, gotType, gotCode)
	}
}

// TestClassifyTLSErrorValues covers error values that are hard to provoke
// with a handshake, and the wrapping forms callers use.
func TestClassifyTLSErrorValues(t *testing.T) {
	ca := issue(t, caTemplate("Test Root"), nil)
	leaf := issue(t, leafTemplate("mx.example.test"), &ca)
	self := issue(t, leafTemplate("mx.example.test"), nil)
	wrapVerify := func(err error) error {
		return &tls.CertificateVerificationError{UnverifiedCertificates: []*x509.Certificate{leaf.cert, ca.cert}, Err: err}
	}
	tests := []struct {
		name     string
		err      error
		wantType report.ResultType
		wantCode string
	}{
		{"nil", nil, "", ""},
		{"starttls sentinel", ErrSTARTTLSNotOffered, report.ResultSTARTTLSNotSupported, "starttls-not-offered"},
		{"starttls wrapped", fmt.Errorf("mx1.example.test: %w", ErrSTARTTLSNotOffered), report.ResultSTARTTLSNotSupported, "starttls-not-offered"},
		{"result error", &ResultError{ResultType: report.ResultDANERequired, ReasonCode: "no-tlsa"}, report.ResultDANERequired, "no-tlsa"},
		{"result error wrapped", fmt.Errorf("dane: %w", &ResultError{ResultType: report.ResultDNSSECInvalid, ReasonCode: "bogus"}), report.ResultDNSSECInvalid, "bogus"},
		{"result error without code", &ResultError{ResultType: report.ResultTLSAInvalid, Err: x509.HostnameError{Certificate: leaf.cert, Host: "x.test"}}, report.ResultTLSAInvalid, "hostname-mismatch"},
		{"result error without type", &ResultError{ReasonCode: "custom", Err: ErrSTARTTLSNotOffered}, report.ResultSTARTTLSNotSupported, "custom"},
		{"result error empty", &ResultError{}, report.ResultValidationFailure, "handshake-error"},
		{"nil result error wrapped", fmt.Errorf("x: %w", (*ResultError)(nil)), report.ResultValidationFailure, "handshake-error"},
		{"hostname value", x509.HostnameError{Certificate: leaf.cert, Host: "x.test"}, report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"hostname pointer", &x509.HostnameError{Certificate: leaf.cert, Host: "x.test"}, report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"hostname in verification error", wrapVerify(x509.HostnameError{Certificate: leaf.cert, Host: "x.test"}), report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"expired bare", x509.CertificateInvalidError{Cert: leaf.cert, Reason: x509.Expired, Detail: "current time 2030-01-01T00:00:00Z is after 2029-01-01T00:00:00Z"}, report.ResultCertificateExpired, "certificate-expired"},
		{"expired pointer", &x509.CertificateInvalidError{Cert: leaf.cert, Reason: x509.Expired, Detail: "current time 2030-01-01T00:00:00Z is after 2029-01-01T00:00:00Z"}, report.ResultCertificateExpired, "certificate-expired"},
		{"expired root in verification error", wrapVerify(x509.CertificateInvalidError{Cert: ca.cert, Reason: x509.Expired, Detail: "current time 2030-01-01T00:00:00Z is after 2029-01-01T00:00:00Z"}), report.ResultCertificateExpired, "chain-certificate-expired"},
		{"future root in verification error", wrapVerify(x509.CertificateInvalidError{Cert: ca.cert, Reason: x509.Expired, Detail: "current time 2020-01-01T00:00:00Z is before 2029-01-01T00:00:00Z"}), report.ResultCertificateNotTrusted, "chain-certificate-not-yet-valid"},
		{"not authorized to sign", x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}, report.ResultCertificateNotTrusted, "not-authorized-to-sign"},
		{"ca not authorized for name", x509.CertificateInvalidError{Reason: x509.CANotAuthorizedForThisName}, report.ResultCertificateNotTrusted, "ca-not-authorized-for-name"},
		{"too many intermediates", x509.CertificateInvalidError{Reason: x509.TooManyIntermediates}, report.ResultCertificateNotTrusted, "too-many-intermediates"},
		{"incompatible usage", x509.CertificateInvalidError{Reason: x509.IncompatibleUsage}, report.ResultCertificateNotTrusted, "incompatible-usage"},
		{"issuer name mismatch", x509.CertificateInvalidError{Reason: x509.NameMismatch}, report.ResultCertificateNotTrusted, "issuer-name-mismatch"},
		{"name constraints without SANs", wrapVerify(x509.CertificateInvalidError{Reason: x509.NameConstraintsWithoutSANs}), report.ResultCertificateNotTrusted, "name-constraints-without-sans"},
		{"unconstrained name", x509.CertificateInvalidError{Reason: x509.UnconstrainedName}, report.ResultCertificateNotTrusted, "unconstrained-name"},
		{"too many constraints", x509.CertificateInvalidError{Reason: x509.TooManyConstraints}, report.ResultCertificateNotTrusted, "too-many-constraints"},
		{"ca not authorized for eku", x509.CertificateInvalidError{Reason: x509.CANotAuthorizedForExtKeyUsage}, report.ResultCertificateNotTrusted, "ca-not-authorized-for-eku"},
		{"no valid chains", x509.CertificateInvalidError{Reason: x509.NoValidChains}, report.ResultCertificateNotTrusted, "no-valid-chains"},
		{"future reason", x509.CertificateInvalidError{Reason: 99}, report.ResultCertificateNotTrusted, "certificate-invalid-99"},
		{"unknown authority", x509.UnknownAuthorityError{Cert: leaf.cert}, report.ResultCertificateNotTrusted, "unknown-authority"},
		{"unknown authority pointer", &x509.UnknownAuthorityError{Cert: self.cert}, report.ResultCertificateNotTrusted, "self-signed-certificate"},
		{"unknown authority without cert", x509.UnknownAuthorityError{}, report.ResultCertificateNotTrusted, "unknown-authority"},
		{"constraint violation", x509.ConstraintViolationError{}, report.ResultCertificateNotTrusted, "constraint-violation"},
		{"insecure algorithm", wrapVerify(x509.InsecureAlgorithmError(x509.SHA1WithRSA)), report.ResultCertificateNotTrusted, "insecure-algorithm"},
		{"unhandled critical extension", x509.UnhandledCriticalExtension{}, report.ResultCertificateNotTrusted, "unhandled-critical-extension"},
		{"system roots", x509.SystemRootsError{Err: errors.New("no roots")}, report.ResultValidationFailure, "system-roots-unavailable"},
		{"alert error", tls.AlertError(40), report.ResultValidationFailure, "tls-alert-handshake-failure"},
		{"alert error wrapped with handshake error", fmt.Errorf("%w%.0w", errors.New("tls: bad"), tls.AlertError(70)), report.ResultValidationFailure, "tls-alert-protocol-version"},
		{"unnamed alert", tls.AlertError(200), report.ResultValidationFailure, "tls-alert-200"},
		{"remote alert text only", &net.OpError{Op: "remote error", Err: errors.New("tls: unknown certificate authority")}, report.ResultValidationFailure, "tls-alert-unknown-ca"},
		{"record header", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, report.ResultValidationFailure, "not-tls"},
		{"ech rejected", &tls.ECHRejectionError{}, report.ResultValidationFailure, "ech-rejected"},
		{"deadline", context.DeadlineExceeded, report.ResultValidationFailure, "timeout"},
		{"os deadline", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, report.ResultValidationFailure, "timeout"},
		{"canceled", fmt.Errorf("handshake: %w", context.Canceled), report.ResultValidationFailure, "canceled"},
		{"eof", io.EOF, report.ResultValidationFailure, "connection-closed"},
		{"unexpected eof", io.ErrUnexpectedEOF, report.ResultValidationFailure, "connection-closed"},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, report.ResultValidationFailure, "connection-reset"},
		{"broken pipe", &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}, report.ResultValidationFailure, "connection-reset"},
		{"other", errors.New("tls: unexpected message"), report.ResultValidationFailure, "handshake-error"},
		{"joined", errors.Join(io.EOF, x509.HostnameError{Certificate: leaf.cert, Host: "x.test"}), report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"Is method", isSTARTTLSError{}, report.ResultSTARTTLSNotSupported, "starttls-not-offered"},
		{"wraps itself", &loopError{}, report.ResultValidationFailure, "handshake-error"},
		{"nil pointer net.Error", fmt.Errorf("x: %w", (*net.OpError)(nil)), report.ResultValidationFailure, "handshake-error"},
		{"typed nil", (*tls.CertificateVerificationError)(nil), report.ResultValidationFailure, "handshake-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotType, gotCode := ClassifyTLSError(tt.err)
			if gotType != tt.wantType || gotCode != tt.wantCode {
				t.Errorf("ClassifyTLSError(%v) = (%q, %q), want (%q, %q)", tt.err, gotType, gotCode, tt.wantType, tt.wantCode)
			}
		})
	}
}

// isSTARTTLSError is an MTA's own error type that matches
// ErrSTARTTLSNotOffered through an Is method.
type isSTARTTLSError struct{}

func (isSTARTTLSError) Error() string        { return "mx: no STARTTLS in EHLO" }
func (isSTARTTLSError) Is(target error) bool { return target == ErrSTARTTLSNotOffered }

// loopError is a buggy wrapper that wraps itself.
type loopError struct{}

func (e *loopError) Error() string { return "loop" }
func (e *loopError) Unwrap() error { return e }

// TestClassifyTLSErrorCodesDocumented keeps the table in ClassifyTLSError's
// doc comment in step with the code: every code the classifier returns for
// the errors above, and every alert name, must be listed or covered by a
// documented pattern.
func TestClassifyTLSErrorCodesDocumented(t *testing.T) {
	src, err := os.ReadFile("classify.go")
	require.NoError(t, err)
	doc := string(src)
	codes := []string{
		"starttls-not-offered", "hostname-mismatch", "certificate-expired", "chain-certificate-expired",
		"certificate-not-yet-valid", "chain-certificate-not-yet-valid", "self-signed-certificate",
		"self-signed-in-chain", "unknown-authority", "not-authorized-to-sign", "ca-not-authorized-for-name",
		"too-many-intermediates", "incompatible-usage", "issuer-name-mismatch", "name-constraints-without-sans",
		"unconstrained-name", "too-many-constraints", "ca-not-authorized-for-eku", "no-valid-chains",
		"certificate-invalid-<n>", "constraint-violation", "insecure-algorithm", "unhandled-critical-extension",
		"system-roots-unavailable", "tls-alert-<name>", "tls-alert-<number>", "protocol-version", "not-tls",
		"ech-rejected", "timeout", "canceled", "connection-closed", "connection-reset", "handshake-error",
	}
	for _, c := range codes {
		if !strings.Contains(doc, "  "+c+"\n") && !strings.Contains(doc, " "+c+",") && !strings.Contains(doc, " "+c+".") {
			t.Errorf("reason code %q is not in the ClassifyTLSError documentation table", c)
		}
	}
	// Every alert number gives a code that is short and machine-friendly.
	for n := 0; n < 256; n++ {
		_, code := ClassifyTLSError(tls.AlertError(n))
		name := strings.TrimPrefix(code, "tls-alert-")
		if name == code || name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Errorf("alert %d: code %q", n, code)
		}
	}
}

func BenchmarkClassifyTLSError(b *testing.B) {
	ca := issue(b, caTemplate("Test Root"), nil)
	leaf := issue(b, leafTemplate("mx.example.test"), &ca)
	errs := map[string]error{
		"expired": &tls.CertificateVerificationError{
			UnverifiedCertificates: []*x509.Certificate{leaf.cert},
			Err:                    x509.CertificateInvalidError{Cert: leaf.cert, Reason: x509.Expired, Detail: "current time X is after Y"},
		},
		"remote-alert": &net.OpError{Op: "remote error", Err: tls.AlertError(40)},
		"other":        errors.New("tls: something else"),
	}
	for name, err := range errs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ClassifyTLSError(err)
			}
		})
	}
}
