// Package testcert makes X.509 certificates for tests: a CA, an
// intermediate, a server leaf for chosen names, with chosen validity,
// as crypto/tls and crypto/x509 want them (tls.Certificate with its chain,
// x509.CertPool of roots).
//
// It is a test-helper package: only _test.go files import it
// (internal/importgraph enforces that). Keys are ECDSA P-256, serial
// numbers random, so certificates made in parallel tests never collide.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// Cert is a certificate a test made, with its private key.
type Cert struct {
	// Cert is the parsed certificate; Cert.Raw is its DER encoding.
	Cert *x509.Certificate
	// Key is the certificate's private key.
	Key *ecdsa.PrivateKey
}

// Issue creates a certificate from tmpl signed by parent, or self-signed
// when parent is nil, with a fresh key. It sets tmpl.SerialNumber; zero
// tmpl.NotBefore and tmpl.NotAfter mean "an hour ago" and "in a day"
// (set them to make an expired or not-yet-valid certificate). It calls
// tb.Fatal when the certificate cannot be made.
func Issue(tb testing.TB, tmpl *x509.Certificate, parent *Cert) Cert {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		tb.Fatal(err)
	}
	tmpl.SerialNumber = serial
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return Cert{Cert: cert, Key: key}
}

// CATemplate is a template for a CA certificate (a root or an
// intermediate) with common name cn.
func CATemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
}

// LeafTemplate is a template for a TLS server certificate for names: the
// first is the common name; each is a subject alternative name, an IP
// address SAN when it parses as one, else a DNS name. It panics when names
// is empty.
func LeafTemplate(names ...string) *x509.Certificate {
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: names[0]},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return tmpl
}

// TLSCertificate returns c followed by chain (its intermediates, in
// order) as tls.Config.Certificates wants it.
func (c Cert) TLSCertificate(chain ...Cert) tls.Certificate {
	tc := tls.Certificate{Certificate: [][]byte{c.Cert.Raw}, PrivateKey: c.Key, Leaf: c.Cert}
	for _, p := range chain {
		tc.Certificate = append(tc.Certificate, p.Cert.Raw)
	}
	return tc
}

// Pool returns a certificate pool holding roots.
func Pool(roots ...Cert) *x509.CertPool {
	p := x509.NewCertPool()
	for _, r := range roots {
		p.AddCert(r.Cert)
	}
	return p
}
