package aggregate

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/internal/testcert"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// serveOnce runs serve for one connection accepted on a fresh 127.0.0.1
// listener and returns the address. The listener and connection are closed
// when the test ends.
func serveOnce(t testing.TB, serve func(net.Conn)) string {
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
func tlsServer(t testing.TB, cfg *tls.Config) string {
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
func dialTLS(t testing.TB, addr string, cfg *tls.Config) error {
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
	ca := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	otherCA := testcert.Issue(t, testcert.CATemplate("Other Root"), nil)
	good := testcert.Issue(t, testcert.LeafTemplate(host), &ca)

	expiredTmpl := testcert.LeafTemplate(host)
	expiredTmpl.NotBefore = time.Now().Add(-48 * time.Hour)
	expiredTmpl.NotAfter = time.Now().Add(-24 * time.Hour)
	expired := testcert.Issue(t, expiredTmpl, &ca)

	futureTmpl := testcert.LeafTemplate(host)
	futureTmpl.NotBefore = time.Now().Add(24 * time.Hour)
	futureTmpl.NotAfter = time.Now().Add(48 * time.Hour)
	future := testcert.Issue(t, futureTmpl, &ca)

	wrongHost := testcert.Issue(t, testcert.LeafTemplate("other.example.test"), &ca)
	unknownCA := testcert.Issue(t, testcert.LeafTemplate(host), &otherCA)
	selfSigned := testcert.Issue(t, testcert.LeafTemplate(host), nil)

	// An intermediate whose validity has ended, and a good leaf under it.
	oldInterTmpl := testcert.CATemplate("Expired Intermediate")
	oldInterTmpl.NotBefore = time.Now().Add(-48 * time.Hour)
	oldInterTmpl.NotAfter = time.Now().Add(-24 * time.Hour)
	oldInter := testcert.Issue(t, oldInterTmpl, &ca)
	underOldInter := testcert.Issue(t, testcert.LeafTemplate(host), &oldInter)

	// A "CA" without the CA bit, used as an intermediate.
	notCATmpl := testcert.CATemplate("Not A CA")
	notCATmpl.IsCA = false
	notCA := testcert.Issue(t, notCATmpl, &ca)
	underNotCA := testcert.Issue(t, testcert.LeafTemplate(host), &notCA)

	// A root limited to .allowed.test issuing for mx.example.test.
	constrainedTmpl := testcert.CATemplate("Constrained Root")
	constrainedTmpl.PermittedDNSDomains = []string{"allowed.test"}
	constrained := testcert.Issue(t, constrainedTmpl, nil)
	outsideConstraint := testcert.Issue(t, testcert.LeafTemplate(host), &constrained)

	// A root allowing no intermediates, with one intermediate below it.
	pathLenTmpl := testcert.CATemplate("Path Length Zero Root")
	pathLenTmpl.MaxPathLenZero = true
	pathLenRoot := testcert.Issue(t, pathLenTmpl, nil)
	pathLenInter := testcert.Issue(t, testcert.CATemplate("Intermediate Too Many"), &pathLenRoot)
	underPathLen := testcert.Issue(t, testcert.LeafTemplate(host), &pathLenInter)

	// A certificate meant for TLS clients only.
	clientOnlyTmpl := testcert.LeafTemplate(host)
	clientOnlyTmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	clientOnly := testcert.Issue(t, clientOnlyTmpl, &ca)

	// A self-signed root the server sends but the client does not trust.
	untrustedRoot := testcert.Issue(t, testcert.CATemplate("Untrusted Root"), nil)
	underUntrustedRoot := testcert.Issue(t, testcert.LeafTemplate(host), &untrustedRoot)

	client := func(mod func(*tls.Config)) *tls.Config {
		c := &tls.Config{ServerName: host, RootCAs: testcert.Pool(ca)}
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
		server: server(good.TLSCertificate(), nil),
		client: client(nil),
	}, {
		name:     "expired",
		server:   server(expired.TLSCertificate(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateExpired,
		wantCode: "certificate-expired",
	}, {
		name:     "not yet valid",
		server:   server(future.TLSCertificate(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "certificate-not-yet-valid",
	}, {
		name:     "expired intermediate",
		server:   server(underOldInter.TLSCertificate(oldInter), nil),
		client:   client(nil),
		wantType: report.ResultCertificateExpired,
		wantCode: "chain-certificate-expired",
	}, {
		name:     "wrong host name",
		server:   server(wrongHost.TLSCertificate(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateHostMismatch,
		wantCode: "hostname-mismatch",
	}, {
		name:     "unknown CA",
		server:   server(unknownCA.TLSCertificate(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "unknown-authority",
	}, {
		name:     "self-signed without a CA",
		server:   server(selfSigned.TLSCertificate(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "self-signed-certificate",
	}, {
		name:     "untrusted root sent in the chain",
		server:   server(underUntrustedRoot.TLSCertificate(untrustedRoot), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "self-signed-in-chain",
	}, {
		// crypto/x509 rejects the signature of a non-CA parent while
		// building the chain and ends with "unknown authority".
		name:     "intermediate is not a CA",
		server:   server(underNotCA.TLSCertificate(notCA), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "unknown-authority",
	}, {
		name:     "name constraint",
		server:   server(outsideConstraint.TLSCertificate(), nil),
		client:   client(func(c *tls.Config) { c.RootCAs = testcert.Pool(constrained) }),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "ca-not-authorized-for-name",
	}, {
		name:     "path length",
		server:   server(underPathLen.TLSCertificate(pathLenInter), nil),
		client:   client(func(c *tls.Config) { c.RootCAs = testcert.Pool(pathLenRoot) }),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "too-many-intermediates",
	}, {
		name:     "client-auth-only certificate",
		server:   server(clientOnly.TLSCertificate(), nil),
		client:   client(nil),
		wantType: report.ResultCertificateNotTrusted,
		wantCode: "incompatible-usage",
	}, {
		name:     "client certificate required, TLS 1.3",
		server:   server(good.TLSCertificate(), func(c *tls.Config) { c.ClientAuth = tls.RequireAnyClientCert }),
		client:   client(nil),
		wantType: report.ResultValidationFailure,
		wantCode: "tls-alert-certificate-required",
	}, {
		name:     "client certificate required, TLS 1.2",
		server:   server(good.TLSCertificate(), func(c *tls.Config) { c.ClientAuth = tls.RequireAnyClientCert }),
		client:   client(func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }),
		wantType: report.ResultValidationFailure,
		wantCode: "tls-alert-handshake-failure",
	}, {
		name: "server offers only TLS 1.1",
		server: server(good.TLSCertificate(), func(c *tls.Config) {
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		}),
		client:   client(nil),
		wantType: report.ResultValidationFailure,
		wantCode: "tls-alert-protocol-version",
	}, {
		name: "no common cipher suite",
		server: server(good.TLSCertificate(), func(c *tls.Config) {
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
		server: server(selfSigned.TLSCertificate(), nil),
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
	ca := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	leaf := testcert.Issue(t, testcert.LeafTemplate(host), &ca)
	addr := tlsServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}})
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
func smtpServer(t testing.TB, cfg *tls.Config) string {
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

// deliverTLS does what an MTA using go-smtp does before MAIL FROM:
// NewClientStartTLS (greeting, EHLO, STARTTLS), then EHLO again, which
// runs the TLS handshake, and returns the error the MTA would classify.
func deliverTLS(t testing.TB, addr string, cfg *tls.Config) error {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	c, err := smtp.NewClientStartTLS(conn, cfg)
	if err != nil {
		return fmt.Errorf("%s: STARTTLS: %w", addr, err)
	}
	defer c.Close()
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
	ca := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	good := testcert.Issue(t, testcert.LeafTemplate(host), &ca)
	expiredTmpl := testcert.LeafTemplate(host)
	expiredTmpl.NotBefore = time.Now().Add(-48 * time.Hour)
	expiredTmpl.NotAfter = time.Now().Add(-24 * time.Hour)
	expired := testcert.Issue(t, expiredTmpl, &ca)
	wrongHost := testcert.Issue(t, testcert.LeafTemplate("other.example.test"), &ca)
	client := &tls.Config{ServerName: host, RootCAs: testcert.Pool(ca)}

	tests := []struct {
		name     string
		server   *tls.Config
		wantType report.ResultType
		wantCode string
	}{
		{"no STARTTLS", nil, report.ResultSTARTTLSNotSupported, "starttls-not-offered"},
		{"expired", &tls.Config{Certificates: []tls.Certificate{expired.TLSCertificate()}}, report.ResultCertificateExpired, "certificate-expired"},
		{"wrong host", &tls.Config{Certificates: []tls.Certificate{wrongHost.TLSCertificate()}}, report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"TLS 1.1 only", &tls.Config{Certificates: []tls.Certificate{good.TLSCertificate()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, report.ResultValidationFailure, "tls-alert-protocol-version"},
		{"success", &tls.Config{Certificates: []tls.Certificate{good.TLSCertificate()}}, "", ""},
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

// TestClassifyTLSErrorSTARTTLSRefused covers receiving MX hosts that do
// not let the session reach TLS: a real go-smtp server without a
// TLSConfig (it leaves STARTTLS out of its EHLO reply), met with each of
// go-smtp's STARTTLS entry points and with an MTA that reads the EHLO
// reply itself, and servers answering STARTTLS with 454 (RFC 3207 §4).
// go-smtp's server never answers 454 (conn.go handleStartTLS in v0.25.1
// replies 502 without a TLSConfig, else 220), so the 454 servers are
// scripted; the client is go-smtp's.
func TestClassifyTLSErrorSTARTTLSRefused(t *testing.T) {
	cfg := &tls.Config{ServerName: "mx.example.test"}
	tests := []struct {
		name     string
		addr     func(t *testing.T) string
		dial     func(t *testing.T, addr string) error
		wantCode string
	}{{
		name:     "not offered, NewClientStartTLS",
		addr:     func(t *testing.T) string { return smtpServer(t, nil) },
		dial:     func(t *testing.T, addr string) error { return deliverTLS(t, addr, cfg) },
		wantCode: "starttls-not-offered",
	}, {
		name: "not offered, DialStartTLS",
		addr: func(t *testing.T) string { return smtpServer(t, nil) },
		dial: func(t *testing.T, addr string) error {
			c, err := smtp.DialStartTLS(addr, cfg)
			if err != nil {
				return err
			}
			_ = c.Close()
			return nil
		},
		wantCode: "starttls-not-offered",
	}, {
		name: "not offered, MTA checks the EHLO reply",
		addr: func(t *testing.T) string { return smtpServer(t, nil) },
		dial: func(t *testing.T, addr string) error {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			require.NoError(t, err)
			c := smtp.NewClient(conn)
			defer c.Close()
			require.NoError(t, c.Hello("sender.example.net"))
			if ok, _ := c.Extension("STARTTLS"); !ok {
				return fmt.Errorf("%s: %w", addr, ErrSTARTTLSNotOffered)
			}
			return nil
		},
		wantCode: "starttls-not-offered",
	}, {
		name: "454 with enhanced code (Postfix)",
		addr: func(t *testing.T) string {
			return refuseSTARTTLS(t, "454 4.7.0 TLS not available due to local problem")
		},
		dial:     func(t *testing.T, addr string) error { return deliverTLS(t, addr, cfg) },
		wantCode: "starttls-unavailable",
	}, {
		name:     "454 without enhanced code",
		addr:     func(t *testing.T) string { return refuseSTARTTLS(t, "454 TLS currently unavailable") },
		dial:     func(t *testing.T, addr string) error { return deliverTLS(t, addr, cfg) },
		wantCode: "starttls-unavailable",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.dial(t, tt.addr(t))
			require.Error(t, err)
			gotType, gotCode := ClassifyTLSError(err)
			if gotType != report.ResultSTARTTLSNotSupported || gotCode != tt.wantCode {
				t.Errorf("ClassifyTLSError(%v) = (%q, %q), want (starttls-not-supported, %q)", err, gotType, gotCode, tt.wantCode)
			}
		})
	}
}

// refuseSTARTTLS serves one SMTP session on loopback that lists STARTTLS
// in its EHLO reply and answers the STARTTLS command with reply.
func refuseSTARTTLS(t testing.TB, reply string) string {
	return serveOnce(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		_, _ = io.WriteString(c, "220 mx.example.test ESMTP\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO "):
				_, _ = io.WriteString(c, "250-mx.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
			case cmd == "STARTTLS":
				_, _ = io.WriteString(c, reply+"\r\n")
			case cmd == "QUIT":
				_, _ = io.WriteString(c, "221 2.0.0 bye\r\n")
				return
			default:
				_, _ = io.WriteString(c, "502 5.5.1 not implemented\r\n")
			}
		}
	})
}

// TestClassifyTLSErrorNonTLSPeers covers peers that never complete a TLS
// handshake: one still talking plain SMTP, one that hangs up, one that
// answers like a TLS 1.0-only server from before RFC 8446 (it ignores the
// supported_versions extension and picks TLS 1.0 from the record version).
func TestClassifyTLSErrorNonTLSPeers(t *testing.T) {
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
		name:     "TLS 1.0 only server",
		serve:    serveTLS10,
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

// serveTLS10 answers a ClientHello as a TLS 1.0-only server from before
// RFC 8446 does: it ignores supported_versions and sends a ServerHello
// with legacy version 3.1, zero random, no session id,
// TLS_RSA_WITH_AES_128_CBC_SHA, no compression and no extensions
// (RFC 2246 §7.4.1.3).
func serveTLS10(c net.Conn) {
	if _, err := io.ReadFull(c, make([]byte, 5)); err != nil {
		return
	}
	hello := []byte{0x02, 0x00, 0x00, 0x26, 0x03, 0x01}
	hello = append(hello, make([]byte, 32)...)
	hello = append(hello, 0x00, 0x00, 0x2f, 0x00)
	_, _ = c.Write(append([]byte{0x16, 0x03, 0x01, 0x00, byte(len(hello))}, hello...))
	_, _ = io.Copy(io.Discard, c)
}

// TestClassifyTLSErrorOpaque pins what opaque relies on, checked against
// Go 1.26.8 and go-smtp v0.25.1: each fact it reads from error text or an
// unexported type is provoked in a real session on loopback, and the
// assumptions are asserted one by one, so that a release of Go or go-smtp
// that changes them fails here by name rather than turning a reason code
// into handshake-error unnoticed.
func TestClassifyTLSErrorOpaque(t *testing.T) {
	const host = "mx.example.test"
	ca := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	good := testcert.Issue(t, testcert.LeafTemplate(host), &ca)
	client := &tls.Config{ServerName: host, RootCAs: testcert.Pool(ca)}

	t.Run("crypto/x509 not yet valid", func(t *testing.T) {
		tmpl := testcert.LeafTemplate(host)
		tmpl.NotBefore = time.Now().Add(24 * time.Hour)
		tmpl.NotAfter = time.Now().Add(48 * time.Hour)
		future := testcert.Issue(t, tmpl, &ca)
		err := dialTLS(t, tlsServer(t, &tls.Config{Certificates: []tls.Certificate{future.TLSCertificate()}}), client)
		tg := new(targets)
		require.True(t, asValue(err, &tg.invalid, &tg.invalidP), "no x509.CertificateInvalidError in %v", err)
		require.Equal(t, x509.Expired, tg.invalid.Reason, "crypto/x509 has a reason of its own for this now")
		require.Contains(t, tg.invalid.Detail, " is before ")
		fact, _ := tg.opaque(err)
		require.Equal(t, factNotYetValid, fact)
	})

	t.Run("crypto/x509 expired", func(t *testing.T) {
		tmpl := testcert.LeafTemplate(host)
		tmpl.NotBefore = time.Now().Add(-48 * time.Hour)
		tmpl.NotAfter = time.Now().Add(-24 * time.Hour)
		expired := testcert.Issue(t, tmpl, &ca)
		err := dialTLS(t, tlsServer(t, &tls.Config{Certificates: []tls.Certificate{expired.TLSCertificate()}}), client)
		tg := new(targets)
		require.True(t, asValue(err, &tg.invalid, &tg.invalidP), "no x509.CertificateInvalidError in %v", err)
		require.Equal(t, x509.Expired, tg.invalid.Reason)
		require.NotContains(t, tg.invalid.Detail, " is before ")
		fact, _ := tg.opaque(err)
		require.Equal(t, factNone, fact)
	})

	t.Run("crypto/tls alert received", func(t *testing.T) {
		err := dialTLS(t, tlsServer(t, &tls.Config{
			Certificates: []tls.Certificate{good.TLSCertificate()},
			ClientAuth:   tls.RequireAnyClientCert,
		}), client)
		require.Error(t, err)
		if ae := tls.AlertError(0); errors.As(err, &ae) {
			t.Logf("crypto/tls now returns received alerts as tls.AlertError: opaque's reflection can go")
		}
		var op *net.OpError
		require.ErrorAs(t, err, &op)
		require.Equal(t, "remote error", op.Op)
		typ := reflect.TypeOf(op.Err)
		require.Equal(t, alertPkgPath+"."+alertTypeName, typ.PkgPath()+"."+typ.Name())
		require.Equal(t, reflect.Uint8, typ.Kind())
		// The text fallback: tls.AlertError prints the same names.
		require.Equal(t, tls.AlertError(116).Error(), op.Err.Error())
		fact, alert := new(targets).opaque(err)
		require.Equal(t, factRemoteAlert, fact)
		require.Equal(t, uint8(116), alert) // certificate_required, RFC 8446 §6
	})

	t.Run("go-smtp STARTTLS not offered", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", smtpServer(t, nil), 5*time.Second)
		require.NoError(t, err)
		c, err := smtp.NewClientStartTLS(conn, client)
		if err == nil {
			_ = c.Close()
		}
		require.EqualError(t, err, textNoSTARTTLS)
		var se *smtp.SMTPError
		require.False(t, errors.As(err, &se), "go-smtp now returns a *smtp.SMTPError: match that instead")
		fact, _ := new(targets).opaque(err)
		require.Equal(t, factNoSTARTTLS, fact)
	})

	t.Run("crypto/tls server picked a refused version", func(t *testing.T) {
		err := dialTLS(t, serveOnce(t, serveTLS10), &tls.Config{ServerName: host})
		require.ErrorContains(t, err, textProtocolVersion)
		fact, _ := new(targets).opaque(err)
		require.Equal(t, factProtocolVersion, fact)
	})
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
	ca := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	leaf := testcert.Issue(t, testcert.LeafTemplate("mx.example.test"), &ca)
	self := testcert.Issue(t, testcert.LeafTemplate("mx.example.test"), nil)
	wrapVerify := func(err error) error {
		return &tls.CertificateVerificationError{UnverifiedCertificates: []*x509.Certificate{leaf.Cert, ca.Cert}, Err: err}
	}
	hostname := x509.HostnameError{Certificate: leaf.Cert, Host: "x.test"}
	nest := func(n int, err error) error {
		for range n {
			err = fmt.Errorf("layer: %w", err)
		}
		return err
	}
	wide := make([]error, 1100)
	for i := range wide {
		wide[i] = io.EOF
	}
	selfNested := &ResultError{ReasonCode: "dane"}
	selfNested.Err = asOnly{selfNested}
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
		{"result error without code", &ResultError{ResultType: report.ResultTLSAInvalid, Err: x509.HostnameError{Certificate: leaf.Cert, Host: "x.test"}}, report.ResultTLSAInvalid, "hostname-mismatch"},
		{"result error without type", &ResultError{ReasonCode: "custom", Err: ErrSTARTTLSNotOffered}, report.ResultSTARTTLSNotSupported, "custom"},
		{"result error empty", &ResultError{}, report.ResultValidationFailure, "handshake-error"},
		{"nil result error wrapped", fmt.Errorf("x: %w", (*ResultError)(nil)), report.ResultValidationFailure, "handshake-error"},
		{"hostname value", x509.HostnameError{Certificate: leaf.Cert, Host: "x.test"}, report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"hostname pointer", &x509.HostnameError{Certificate: leaf.Cert, Host: "x.test"}, report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"hostname in verification error", wrapVerify(x509.HostnameError{Certificate: leaf.Cert, Host: "x.test"}), report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"expired bare", x509.CertificateInvalidError{Cert: leaf.Cert, Reason: x509.Expired, Detail: "current time 2030-01-01T00:00:00Z is after 2029-01-01T00:00:00Z"}, report.ResultCertificateExpired, "certificate-expired"},
		{"expired pointer", &x509.CertificateInvalidError{Cert: leaf.Cert, Reason: x509.Expired, Detail: "current time 2030-01-01T00:00:00Z is after 2029-01-01T00:00:00Z"}, report.ResultCertificateExpired, "certificate-expired"},
		{"expired root in verification error", wrapVerify(x509.CertificateInvalidError{Cert: ca.Cert, Reason: x509.Expired, Detail: "current time 2030-01-01T00:00:00Z is after 2029-01-01T00:00:00Z"}), report.ResultCertificateExpired, "chain-certificate-expired"},
		{"future root in verification error", wrapVerify(x509.CertificateInvalidError{Cert: ca.Cert, Reason: x509.Expired, Detail: "current time 2020-01-01T00:00:00Z is before 2029-01-01T00:00:00Z"}), report.ResultCertificateNotTrusted, "chain-certificate-not-yet-valid"},
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
		{"unknown authority", x509.UnknownAuthorityError{Cert: leaf.Cert}, report.ResultCertificateNotTrusted, "unknown-authority"},
		{"unknown authority pointer", &x509.UnknownAuthorityError{Cert: self.Cert}, report.ResultCertificateNotTrusted, "self-signed-certificate"},
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
		{"joined", errors.Join(io.EOF, x509.HostnameError{Certificate: leaf.Cert, Host: "x.test"}), report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"Is method", isSTARTTLSError{}, report.ResultSTARTTLSNotSupported, "starttls-not-offered"},
		{"wraps itself", &loopError{}, report.ResultValidationFailure, "handshake-error"},
		{"nil pointer net.Error", fmt.Errorf("x: %w", (*net.OpError)(nil)), report.ResultValidationFailure, "handshake-error"},
		{"typed nil", (*tls.CertificateVerificationError)(nil), report.ResultValidationFailure, "handshake-error"},
		{"typed nil beside a match", errors.Join(hostname, (*net.OpError)(nil)), report.ResultValidationFailure, "handshake-error"},
		{"62 wrappers deep", nest(62, hostname), report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"64 wrappers deep", nest(64, hostname), report.ResultValidationFailure, "handshake-error"},
		{"1100 joined", errors.Join(wide...), report.ResultValidationFailure, "handshake-error"},
		{"100 joined", errors.Join(wide[:100]...), report.ResultValidationFailure, "connection-closed"},
		{"As yields a nil *ResultError", asOnly{(*ResultError)(nil)}, report.ResultValidationFailure, "handshake-error"},
		{"As yields a nil net.Error", asOnly{(*net.OpError)(nil)}, report.ResultValidationFailure, "handshake-error"},
		{"As nests a *ResultError in itself", selfNested, report.ResultValidationFailure, "dane"},
		{"smtp 454", &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "TLS not available due to local problem"}, report.ResultSTARTTLSNotSupported, "starttls-unavailable"},
		{"smtp 454 wrapped", fmt.Errorf("mx: STARTTLS: %w", &smtp.SMTPError{Code: 454}), report.ResultSTARTTLSNotSupported, "starttls-unavailable"},
		{"smtp 554 greeting", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 3, 2}, Message: "no SMTP service here"}, report.ResultValidationFailure, "handshake-error"},
		{"go-smtp text", errors.New("smtp: server doesn't support STARTTLS"), report.ResultSTARTTLSNotSupported, "starttls-not-offered"},
		{"policy sts fetch", &policy.Error{Failure: policy.FailureSTSFetch, Code: "http-status-404"}, report.ResultSTSPolicyFetchError, "http-status-404"},
		{"policy sts invalid", &policy.Error{Failure: policy.FailureSTSInvalid, Code: "policy-syntax"}, report.ResultSTSPolicyInvalid, "policy-syntax"},
		{"policy sts webpki", &policy.Error{Failure: policy.FailureSTSWebPKI, Code: "hostname-mismatch", Err: hostname}, report.ResultSTSWebPKIInvalid, "hostname-mismatch"},
		{"policy tlsa", fmt.Errorf("mx1: %w", &policy.Error{Failure: policy.FailureTLSAInvalid, Code: "tlsa-mismatch"}), report.ResultTLSAInvalid, "tlsa-mismatch"},
		{"policy dnssec", &policy.Error{Failure: policy.FailureDNSSECInvalid, Code: "dnssec-bogus"}, report.ResultDNSSECInvalid, "dnssec-bogus"},
		{"policy dane required", &policy.Error{Failure: policy.FailureDANERequired, Code: "tlsa-insecure"}, report.ResultDANERequired, "tlsa-insecure"},
		{"policy without code", &policy.Error{Failure: policy.FailureSTSWebPKI, Err: wrapVerify(hostname)}, report.ResultSTSWebPKIInvalid, "hostname-mismatch"},
		{"policy without code or Err", &policy.Error{Failure: policy.FailureDANERequired}, report.ResultDANERequired, "dane-required"},
		{"policy empty", &policy.Error{}, report.ResultValidationFailure, "handshake-error"},
		{"policy unknown failure", &policy.Error{Failure: "mta-sts-v2-failure", Code: "x"}, report.ResultValidationFailure, "x"},
		{"policy failure not a code", &policy.Error{Failure: "Weird Failure"}, report.ResultValidationFailure, "handshake-error"},
		{"nil policy error", fmt.Errorf("x: %w", (*policy.Error)(nil)), report.ResultValidationFailure, "handshake-error"},
		{"result error before policy error", &ResultError{ResultType: report.ResultDANERequired, ReasonCode: "mine", Err: &policy.Error{Failure: policy.FailureTLSAInvalid, Code: "tlsa-mismatch"}}, report.ResultDANERequired, "mine"},
		{"policy error before certificate error", errors.Join(hostname, &policy.Error{Failure: policy.FailureTLSAInvalid, Code: "tlsa-mismatch"}), report.ResultTLSAInvalid, "tlsa-mismatch"},
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

// TestClassifyTLSErrorAsMethod classifies errors that yield the error
// ClassifyTLSError looks for only through an As method, as errors.As
// finds it, and not through Unwrap.
func TestClassifyTLSErrorAsMethod(t *testing.T) {
	ca := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	leaf := testcert.Issue(t, testcert.LeafTemplate("mx.example.test"), &ca)
	hostname := x509.HostnameError{Certificate: leaf.Cert, Host: "x.test"}
	tests := []struct {
		name     string
		err      error
		wantType report.ResultType
		wantCode string
	}{
		{"x509.HostnameError", asOnly{hostname}, report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"*x509.HostnameError", asOnly{&hostname}, report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"wrapped", fmt.Errorf("deliver: %w", asOnly{hostname}), report.ResultCertificateHostMismatch, "hostname-mismatch"},
		{"x509.CertificateInvalidError", asOnly{x509.CertificateInvalidError{Cert: leaf.Cert, Reason: x509.Expired, Detail: "current time 2030-01-01T00:00:00Z is after 2029-01-01T00:00:00Z"}}, report.ResultCertificateExpired, "certificate-expired"},
		{"x509.UnknownAuthorityError", asOnly{x509.UnknownAuthorityError{Cert: leaf.Cert}}, report.ResultCertificateNotTrusted, "unknown-authority"},
		{"tls.AlertError", asOnly{tls.AlertError(48)}, report.ResultValidationFailure, "tls-alert-unknown-ca"},
		{"tls.RecordHeaderError", asOnly{tls.RecordHeaderError{Msg: "not TLS"}}, report.ResultValidationFailure, "not-tls"},
		{"*ResultError", asOnly{&ResultError{ResultType: report.ResultDANERequired, ReasonCode: "no-tlsa"}}, report.ResultDANERequired, "no-tlsa"},
		{"*net.OpError timeout", asOnly{&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}}, report.ResultValidationFailure, "timeout"},
		{"*smtp.SMTPError 454", asOnly{&smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "TLS not available"}}, report.ResultSTARTTLSNotSupported, "starttls-unavailable"},
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

// asOnly is a wrapper that does not Unwrap: it hands out v only to an
// errors.As target that v can be assigned to.
type asOnly struct{ v error }

func (e asOnly) Error() string { return "wrapper: " + e.v.Error() }

func (e asOnly) As(target any) bool {
	t := reflect.ValueOf(target).Elem()
	v := reflect.ValueOf(e.v)
	if !v.Type().AssignableTo(t.Type()) {
		return false
	}
	t.Set(v)
	return true
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
		"starttls-not-offered", "starttls-unavailable", "hostname-mismatch", "certificate-expired", "chain-certificate-expired",
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

// BenchmarkClassifyTLSError classifies typical errors: made-up values
// (expired, remote-alert, other) and what real loopback sessions return.
func BenchmarkClassifyTLSError(b *testing.B) {
	const host = "mx.example.test"
	ca := testcert.Issue(b, testcert.CATemplate("Test Root"), nil)
	leaf := testcert.Issue(b, testcert.LeafTemplate(host), &ca)
	wrongHost := testcert.Issue(b, testcert.LeafTemplate("other.example.test"), &ca)
	client := &tls.Config{ServerName: host, RootCAs: testcert.Pool(ca)}
	realAlert := dialTLS(b, tlsServer(b, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}, ClientAuth: tls.RequireAnyClientCert}), client)
	realHostname := dialTLS(b, tlsServer(b, &tls.Config{Certificates: []tls.Certificate{wrongHost.TLSCertificate()}}), client)
	realNoSTARTTLS := deliverTLS(b, smtpServer(b, nil), client)
	for _, err := range []error{realAlert, realHostname, realNoSTARTTLS} {
		require.Error(b, err)
	}
	errs := []struct {
		name string
		err  error
	}{
		{"expired", &tls.CertificateVerificationError{
			UnverifiedCertificates: []*x509.Certificate{leaf.Cert},
			Err:                    x509.CertificateInvalidError{Cert: leaf.Cert, Reason: x509.Expired, Detail: "current time X is after Y"},
		}},
		{"remote-alert", &net.OpError{Op: "remote error", Err: tls.AlertError(40)}},
		{"other", errors.New("tls: something else")},
		{"real-remote-alert", fmt.Errorf("deliver to %s: %w", host, realAlert)},
		{"real-hostname", fmt.Errorf("deliver to %s: %w", host, realHostname)},
		{"real-no-starttls", realNoSTARTTLS},
	}
	for _, e := range errs {
		b.Run(e.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ClassifyTLSError(e.err)
			}
		})
	}
}

// FuzzClassifyTLSError classifies error trees built by a small program:
// each byte of prog pushes an error ClassifyTLSError knows (text and
// numbers taken from text and arg) or combines the top of the stack
// (wrap, join, verification error, *ResultError, As-only wrapper).
// Properties: no panic and no hang; nil gives ("", ""); anything else a
// result type and a code of lower-case letters, digits and hyphens (the
// *ResultError values carry no code of their own); and the caller's own
// wrapping —
// fmt.Errorf with %w, errors.Join of one, an empty *ResultError — does
// not change the answer.
func FuzzClassifyTLSError(f *testing.F) {
	f.Add([]byte{}, "", byte(0))
	f.Add([]byte{0}, "tls: unexpected message", byte(0))
	f.Add([]byte{1, 16}, "", byte(0))
	f.Add([]byte{3}, "tls: unknown certificate authority", byte(48))
	f.Add([]byte{4, 12}, "current time 2020-01-01T00:00:00Z is before 2029-01-01T00:00:00Z", byte(1))
	f.Add([]byte{5, 2, 17}, "x.test", byte(70))
	f.Add([]byte{6, 16, 16}, "TLS not available", byte(54))
	f.Add([]byte{7, 13}, "", byte(3))
	f.Add([]byte{8, 9, 17, 14}, "", byte(0))
	f.Add([]byte{0, 16}, "smtp: server doesn't support STARTTLS", byte(0))
	f.Add([]byte{0}, "tls: server selected unsupported protocol version 301", byte(0))
	f.Add([]byte{10, 5, 17}, "", byte(0))
	f.Add([]byte{11, 15, 14, 2}, "record", byte(200))
	f.Add([]byte{5, 18}, "mta-sts.example.test", byte(5))
	f.Add([]byte{18, 14, 16}, "", byte(0x16))
	f.Fuzz(func(t *testing.T, prog []byte, text string, arg byte) {
		if len(prog) > 40 {
			prog = prog[:40] // stays within maxDepth and maxNodes
		}
		err := fuzzError(prog, text, arg)
		rt, code := ClassifyTLSError(err)
		if err == nil {
			if rt != "" || code != "" {
				t.Fatalf("nil: got (%q, %q)", rt, code)
			}
			return
		}
		if rt == "" || code == "" {
			t.Fatalf("ClassifyTLSError(%v) = (%q, %q): empty", err, rt, code)
		}
		if strings.Trim(code, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Fatalf("ClassifyTLSError(%v): code %q", err, code)
		}
		for _, w := range []error{fmt.Errorf("deliver: %w", err), errors.Join(err), &ResultError{Err: err}} {
			if wt, wc := ClassifyTLSError(w); wt != rt || wc != code {
				t.Fatalf("ClassifyTLSError(%v) = (%q, %q), but (%q, %q) wrapped in %T", err, rt, code, wt, wc, w)
			}
		}
	})
}

// fuzzError runs prog; see FuzzClassifyTLSError.
func fuzzError(prog []byte, text string, arg byte) error {
	var stack []error
	push := func(e error) { stack = append(stack, e) }
	pop := func() error {
		if len(stack) == 0 {
			return errors.New(text)
		}
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return e
	}
	types := []report.ResultType{"", report.ResultTLSAInvalid, report.ResultSTSWebPKIInvalid, report.ResultDANERequired}
	failures := []policy.Failure{"", policy.FailureSTSFetch, policy.FailureSTSWebPKI, policy.FailureTLSAInvalid, policy.FailureDANERequired, "Not A Code"}
	codes := []string{"", "tlsa-mismatch", "http-status-404"}
	for _, op := range prog {
		switch op % 19 {
		case 0:
			push(errors.New(text))
		case 1:
			push(io.EOF)
		case 2:
			push(tls.AlertError(arg))
		case 3:
			push(&net.OpError{Op: "remote error", Err: errors.New(text)})
		case 4:
			push(x509.CertificateInvalidError{Reason: x509.InvalidReason(arg % 16), Detail: text})
		case 5:
			push(x509.HostnameError{Certificate: &x509.Certificate{}, Host: text}) // Error dereferences Certificate
		case 6:
			push(&smtp.SMTPError{Code: 400 + int(arg), Message: text})
		case 7:
			push(ErrSTARTTLSNotOffered)
		case 8:
			push(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)})
		case 9:
			push(context.DeadlineExceeded)
		case 10:
			push((*net.OpError)(nil))
		case 11:
			push(tls.RecordHeaderError{Msg: text})
		case 12:
			push(&tls.CertificateVerificationError{Err: pop()})
		case 13:
			push(&ResultError{ResultType: types[int(arg)%len(types)], Err: pop()})
		case 14:
			push(asOnly{pop()})
		case 15:
			push(x509.UnknownAuthorityError{})
		case 16:
			push(fmt.Errorf("%s: %w", text, pop()))
		case 17:
			b, a := pop(), pop()
			push(errors.Join(a, b))
		case 18:
			var inner error
			if arg&1 != 0 {
				inner = pop()
			}
			push(&policy.Error{Failure: failures[int(arg>>1)%len(failures)], Code: codes[int(arg>>4)%len(codes)], Err: inner})
		}
	}
	if len(stack) == 0 {
		return nil
	}
	return errors.Join(stack...)
}
