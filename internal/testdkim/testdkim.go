// Package testdkim makes DKIM keys for tests (RFC 6376): an Ed25519 or
// RSA key of a domain and selector, the TXT record that publishes it at
// selector._domainkey.domain (RFC 6376 §3.6.1, RFC 8463 for Ed25519), and
// a signature over a message made with go-msgauth, an implementation other
// than the module's own, so that a test of the module's signer or
// verifier checks it against someone else's.
//
// It is a test-helper package: only _test.go files import it
// (internal/importgraph enforces that).
package testdkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// Key is a DKIM signing key of a domain and selector with its key record.
type Key struct {
	// Domain is the signing domain (d=).
	Domain string
	// Selector is the selector (s=).
	Selector string
	// Signer is the private key: an ed25519.PrivateKey or an
	// *rsa.PrivateKey.
	Signer crypto.Signer
	// Record is the key record, "v=DKIM1; k=ed25519; p=<base64>" or
	// "v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>", with no s= or t=
	// tag: a test appends the tags it wants.
	Record string
	// Headers are the header fields Sign covers (h=); nil means
	// go-msgauth's default list.
	Headers []string
}

// Ed25519 returns a fresh Ed25519 key (RFC 8463) of domain and selector.
func Ed25519(tb testing.TB, domain, selector string) Key {
	tb.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return Key{Domain: domain, Selector: selector, Signer: key,
		Record: "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}
}

// RSA returns a fresh RSA key of bits bits (RFC 6376 §3.3.3: at least
// 1024; 2048 is usual) of domain and selector.
func RSA(tb testing.TB, domain, selector string, bits int) Key {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return Key{Domain: domain, Selector: selector, Signer: key,
		Record: "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)}
}

// TXTName is the DNS name that publishes k.Record:
// "<selector>._domainkey.<domain>" (RFC 6376 §3.6.2.1), without the
// trailing dot.
func (k Key) TXTName() string { return k.Selector + "._domainkey." + k.Domain }

// Sign returns msg with a DKIM-Signature field prepended, made by
// go-msgauth as d=k.Domain s=k.Selector over k.Headers with
// relaxed/relaxed canonicalization; a non-zero expires sets x=. It calls
// tb.Fatal when go-msgauth cannot sign.
func (k Key) Sign(tb testing.TB, msg string, expires time.Time) string {
	tb.Helper()
	var b strings.Builder
	err := dkim.Sign(&b, strings.NewReader(msg), &dkim.SignOptions{
		Domain: k.Domain, Selector: k.Selector, Signer: k.Signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: k.Headers, Expiration: expires,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b.String()
}
