package mime

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// DKIMKeyRecord returns the DKIM key record (RFC 6376 §3.6.1) to publish
// as TXT at <selector>._domainkey.<domain> for the public half of a
// DKIMOptions.Signer: "v=DKIM1; k=rsa; p=…" or "v=DKIM1; k=ed25519; p=…"
// (RFC 8463). services, when given, becomes the s= tag joined with ":";
// RFC 8460 §3 says the key SHOULD allow the "tlsrpt" service, but a key
// limited to "tlsrpt" is unusable for ordinary mail and some verifiers
// (dkimpy) reject "email:tlsrpt", so leaving s= out (every service) is
// the most interoperable choice.
func DKIMKeyRecord(pub crypto.PublicKey, services ...string) (string, error) {
	var k, p string
	switch key := pub.(type) {
	case ed25519.PublicKey:
		k, p = "ed25519", base64.StdEncoding.EncodeToString(key)
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(key)
		if err != nil {
			return "", err
		}
		k, p = "rsa", base64.StdEncoding.EncodeToString(der)
	default:
		return "", errors.New("mime: DKIM key must be RSA or Ed25519")
	}
	for _, s := range services {
		if s == "" || strings.ContainsAny(s, ":; \t\r\n") {
			return "", errors.New("mime: invalid DKIM service type " + strconv.Quote(s))
		}
	}
	rec := "v=DKIM1; k=" + k
	if len(services) > 0 {
		rec += "; s=" + strings.Join(services, ":")
	}
	return rec + "; p=" + p, nil
}

// Authentic returns the first signature that meets the requirements RFC
// 8460 §3 puts on a mailed report: it verified (Err is nil), its domain is
// the TLS-Report-Submitter domain or a parent of it (Aligned), and it does
// not use l= (BodyLength). The signatures are those of the message
// carrying the reports (Verification.Carrier): for a forwarded report,
// the attached message's own; the forwarding mail's never count. It
// returns nil when no signature qualifies, in which case §3 says the
// report MUST be ignored. Whether the key allows the
// tlsrpt service (ServiceTLSRPT) is left to the caller: §3 only says a
// receiver MAY ignore reports signed with other keys.
func (v *Verification) Authentic() *SignatureResult {
	for i := range v.Signatures {
		s := &v.Signatures[i]
		if s.Err == nil && s.Aligned && !s.BodyLength {
			return s
		}
	}
	return nil
}
