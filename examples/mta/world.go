package main

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
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/go-tlsrpt/tlsrpt/policy"
)

// This file is the loopback world the MTA runs in: a certificate
// authority, a DNS zone answered in-process, the receiving MX hosts, the
// MTA-STS policy hosts and the report receivers, every server on
// 127.0.0.1. None of it is part of the SDK: a real MTA has the Internet
// instead.

// pki is a certificate authority the MTA trusts, and the certificates it
// and others issued.
type pki struct {
	ca    *x509.Certificate
	key   *ecdsa.PrivateKey
	roots *x509.CertPool
}

func newPKI() (*pki, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Loopback Root CA"},
		NotBefore:             time.Now().Add(-72 * time.Hour),
		NotAfter:              time.Now().Add(72 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &pki{ca: ca, key: key, roots: roots}, nil
}

// issue returns a server certificate for names valid from notBefore to
// notAfter, signed by the CA, or self-signed when selfSigned is set.
func (p *pki) issue(notBefore, notAfter time.Time, selfSigned bool, names ...string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := p.ca, any(p.key)
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// zone is the in-process DNS. As a tlsrpt.Resolver it answers TXT, MX and
// address lookups like *net.Resolver; as a policy.DNSExchanger it answers
// TLSA queries in DNS wire format with the AD bit set, as a validating
// resolver on loopback would for a signed zone.
type zone struct {
	txt  map[string][]string
	mx   map[string][]*net.MX
	addr map[string][]netip.Addr
	tlsa map[string][]policy.TLSA
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

// typeTLSA is the TLSA RR type (RFC 6698 §7.1), which dnsmessage does not
// name.
const typeTLSA dnsmessage.Type = 52

// Exchange answers one DNS query for TLSA records (policy.LookupTLSA):
// the records of the name with the AD bit set, or NXDOMAIN.
func (z *zone) Exchange(_ context.Context, query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")
	rrs, ok := z.tlsa[name]
	rh := dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: h.RecursionDesired,
		RecursionAvailable: true, AuthenticData: true}
	if !ok {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if q.Type == typeTLSA {
		for _, t := range rrs {
			data := append([]byte{byte(t.Usage), byte(t.Selector), byte(t.MatchingType)}, t.Data...)
			rr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 300}
			if err := b.UnknownResource(rr, dnsmessage.UnknownResource{Type: typeTLSA, Data: data}); err != nil {
				return nil, err
			}
		}
	}
	return b.Finish()
}

// servers maps host names to the loopback addresses of their servers, as
// DNS and the well-known ports would on the Internet; dial connects to
// them.
type servers map[string]string

func (s servers) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addr, ok := s[strings.TrimSuffix(host, ".")]
	if !ok {
		return nil, fmt.Errorf("dial %s: %w", address, notFound(host))
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// mailServer is a go-smtp server on 127.0.0.1 that accepts every message
// and counts its connections, TLS sessions and messages.
type mailServer struct {
	srv  *smtp.Server
	addr string

	mu       sync.Mutex
	conns    int
	tls      int
	messages [][]byte
}

// startMailServer starts an SMTP server greeting as host; cert nil means
// it does not offer STARTTLS.
func startMailServer(host string, cert *tls.Certificate) (*mailServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &mailServer{addr: l.Addr().String()}
	m.srv = smtp.NewServer(m)
	m.srv.Domain = host
	m.srv.EnableDSN = true
	m.srv.ReadTimeout = 30 * time.Second
	m.srv.WriteTimeout = 30 * time.Second
	m.srv.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are the point
	if cert != nil {
		m.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	go m.srv.Serve(countingListener{l, m})
	return m, nil
}

// countingListener counts the connections a mailServer accepts (go-smtp
// starts a new session after STARTTLS, so sessions are not connections).
type countingListener struct {
	net.Listener
	m *mailServer
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.m.mu.Lock()
		l.m.conns++
		l.m.mu.Unlock()
	}
	return c, err
}

func (m *mailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &mailSession{m: m, c: c}, nil
}

func (m *mailServer) counts() (conns, tlsSessions, messages int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conns, m.tls, len(m.messages)
}

func (m *mailServer) received() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.messages...)
}

type mailSession struct {
	m *mailServer
	c *smtp.Conn
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Reset()                               {}
func (s *mailSession) Logout() error                        { return nil }

func (s *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.c.TLSConnectionState()
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if isTLS {
		s.m.tls++
	}
	s.m.messages = append(s.m.messages, data)
	return nil
}

// startHTTPS serves h over TLS with cert on 127.0.0.1.
func startHTTPS(cert tls.Certificate, h http.Handler) (*http.Server, string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(io.Discard, "", 0), // failed handshakes are the point
	}
	go func() {
		if err := srv.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return srv, l.Addr().String(), nil
}
