package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/go-tlsrpt/tlsrpt/mime"
)

// This file holds the loopback world the quickstart runs in: a DNS zone
// answered in-process, one certificate for both servers, and an SMTP server
// that keeps what it receives. None of it is part of the SDK.

// zone is the in-process DNS, a tlsrpt.Resolver. It answers the TXT lookups of dnsrecord.Lookup
// and mime.Verify and the MX and address lookups of submit.SMTPSender, like
// *net.Resolver does.
type zone struct {
	txt  map[string][]string
	mx   map[string][]*net.MX
	addr map[string][]netip.Addr
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (z *zone) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := z.txt[strings.TrimSuffix(name, ".")]; ok {
		return v, nil
	}
	return nil, notFound(name)
}

func (z *zone) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if v, ok := z.mx[strings.TrimSuffix(name, ".")]; ok {
		return v, nil
	}
	return nil, notFound(name)
}

func (z *zone) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if v, ok := z.addr[strings.TrimSuffix(host, ".")]; ok {
		return v, nil
	}
	return nil, notFound(host)
}

// newCertificate returns a self-signed certificate for names and 127.0.0.1,
// and a pool that trusts it.
func newCertificate(names ...string) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots, nil
}

// mail is one message the SMTP server accepted.
type mail struct {
	from, to string
	tls      bool // the session used STARTTLS
	data     []byte
}

// mailbox is a github.com/emersion/go-smtp backend that accepts every
// message and keeps it.
type mailbox struct {
	mu    sync.Mutex
	mails []mail
}

func (b *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &mailSession{box: b, m: mail{tls: isTLS}}, nil
}

func (b *mailbox) all() []mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]mail(nil), b.mails...)
}

type mailSession struct {
	box *mailbox
	m   mail
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { s.m.from = from; return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error   { s.m.to = to; return nil }
func (s *mailSession) Reset()                                      {}
func (s *mailSession) Logout() error                               { return nil }

func (s *mailSession) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return err
	}
	s.m.data = buf.Bytes()
	s.box.mu.Lock()
	s.box.mails = append(s.box.mails, s.m)
	s.box.mu.Unlock()
	return nil
}

// world is the loopback setting of the quickstart: its DNS, its two
// servers and what they received.
type world struct {
	dns   *zone
	roots *x509.CertPool // trusts the servers' certificate
	dkim  ed25519.PrivateKey

	smtpServer *smtp.Server
	smtpPort   int
	inbox      *mailbox

	httpsServer *http.Server
	httpsAddr   string
	posts       *postbox
}

// startWorld generates the keys, fills the DNS and starts the servers: the
// SMTP server is the MX host of example.com, the HTTPS server is
// reports.example.net, whose Receiver the analyzer set up (see analyze.go).
func startWorld() (*world, error) {
	cert, roots, err := newCertificate("mx1.example.com", "reports.example.net")
	if err != nil {
		return nil, err
	}
	_, dkimKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	dkimRecord, err := mime.DKIMKeyRecord(dkimKey.Public())
	if err != nil {
		return nil, err
	}
	loopback := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	w := &world{
		dns: &zone{
			txt: map[string][]string{
				// The TLS-RPT records of the two policy domains (RFC 8460 §3).
				"_smtp._tls.example.com":    {"v=TLSRPTv1; rua=mailto:tlsrpt@example.com"},
				"_smtp._tls.mx.example.net": {"v=TLSRPTv1; rua=https://reports.example.net/v1/tlsrpt"},
				// The report signing key (RFC 8460 §3, RFC 6376 §3.6.1).
				"tlsrpt._domainkey.mail.example": {dkimRecord},
			},
			mx:   map[string][]*net.MX{"example.com": {{Host: "mx1.example.com.", Pref: 10}}},
			addr: map[string][]netip.Addr{"mx1.example.com": loopback, "reports.example.net": loopback},
		},
		roots: roots,
		dkim:  dkimKey,
		inbox: &mailbox{},
		posts: &postbox{},
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w.smtpServer = smtp.NewServer(w.inbox)
	w.smtpServer.Domain = "mx1.example.com"
	w.smtpServer.TLSConfig = tlsConfig // offers STARTTLS
	w.smtpServer.EnableDSN = true
	w.smtpPort = l.Addr().(*net.TCPAddr).Port
	go w.smtpServer.Serve(l)

	l, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.smtpServer.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/tlsrpt", w.posts.receiver())
	// The timeouts and header cap the submit package documentation asks of
	// the server around a Receiver.
	w.httpsServer = &http.Server{
		Handler:           mux,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	w.httpsAddr = l.Addr().String()
	go w.httpsServer.ServeTLS(l, "", "")
	return w, nil
}

func (w *world) close() {
	w.smtpServer.Close()
	w.httpsServer.Close()
}
