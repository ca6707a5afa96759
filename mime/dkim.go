package mime

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"strings"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// DKIMOptions configures the DKIM signature of a written report message
// (RFC 8460 §3, RFC 6376). Domain, Selector and Signer are required.
type DKIMOptions struct {
	// Domain is the signing domain (d=). It must equal the submitter
	// domain or be a parent of it, so that receivers find the signature
	// aligned with TLS-Report-Submitter.
	Domain string
	// Selector is the key selector (s=); the public key is published at
	// <Selector>._domainkey.<Domain>, best as the record DKIMKeyRecord
	// returns without services (no s= tag: every service, RFC 6376
	// §3.6.1), which every verifier accepts; see DKIMKeyRecord.
	Selector string
	// Signer is the private key: an *rsa.PrivateKey (2048 bits or more
	// recommended) or an ed25519.PrivateKey (RFC 8463).
	Signer crypto.Signer
}

// signedHeaders are the fields covered by the signature (RFC 6376
// §5.4.1, RFC 8460 §3 and §5.3). Fields listed twice are over-signed:
// the extra, absent instance makes the signature fail if one is added.
var signedHeaders = []string{
	"From", "From", "To", "Subject", "Subject", "Date", "Message-ID",
	"MIME-Version", "Content-Type",
	fieldReportDomain, fieldReportDomain, fieldSubmitter, fieldSubmitter,
	fieldAutoSubmitted, fieldTLSRequired,
}

// check validates the options against the submitter domain.
func (o *DKIMOptions) check(submitter string) error {
	if o.Selector == "" || checkHeaderText(o.Selector) != "" || strings.ContainsAny(o.Selector, " ;=") {
		return fieldError("DKIMOptions.Selector", "is empty or not a selector", nil)
	}
	d, err := domain.ToASCII(o.Domain)
	if err != nil {
		return fieldError("DKIMOptions.Domain", "is not a domain: "+err.Error(), err)
	}
	if len(o.Selector)+len("._domainkey.")+len(d) > 253 {
		// RFC 1035 §2.3.4; it also keeps the s= tag, which cannot be
		// folded, far from the 998-octet line limit (RFC 5322 §2.1.1).
		return fieldError("DKIMOptions.Selector", "is too long: <selector>._domainkey."+d+" exceeds 253 octets (RFC 1035 §2.3.4)", nil)
	}
	if !domain.IsSubdomainOrEqual(submitter, d) {
		return fieldError("DKIMOptions.Domain", "is neither the submitter domain "+submitter+" nor a parent of it (RFC 8460 §3)", nil)
	}
	switch o.Signer.(type) {
	case *rsa.PrivateKey, ed25519.PrivateKey:
	default:
		if o.Signer == nil {
			return fieldError("DKIMOptions.Signer", "is nil", nil)
		}
		switch o.Signer.Public().(type) {
		case *rsa.PublicKey, ed25519.PublicKey:
		default:
			return fieldError("DKIMOptions.Signer", "is neither an RSA nor an Ed25519 key", nil)
		}
	}
	return nil
}

// sign returns the DKIM-Signature header field (with CRLF) for msg:
// relaxed/relaxed canonicalization, SHA-256, never l= (RFC 8460 §3).
func (o *DKIMOptions) sign(msg []byte) (string, error) {
	d, _ := domain.ToASCII(o.Domain)
	s, err := dkim.NewSigner(&dkim.SignOptions{
		Domain:                 d,
		Selector:               o.Selector,
		Signer:                 o.Signer,
		Hash:                   crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             signedHeaders,
	})
	if err != nil {
		return "", err
	}
	if _, err := s.Write(msg); err != nil {
		s.Close()
		return "", err
	}
	if err := s.Close(); err != nil {
		return "", err
	}
	return refold(s.Signature()), nil
}

// refold re-folds the tag part of go-msgauth's DKIM-Signature field at its
// existing spaces so that lines stay within 78 characters where possible.
// With relaxed header canonicalization (RFC 6376 §3.4.2) moving a fold to
// another existing space does not change the signed form. The h= list has
// no space to fold at and may exceed 78 characters (never 998).
func refold(sig string) string {
	head, b, ok := strings.Cut(sig, "\r\n b=")
	if !ok {
		return sig
	}
	value := strings.TrimPrefix(strings.ReplaceAll(head, "\r\n", ""), "DKIM-Signature: ")
	var sb strings.Builder
	writeField(&sb, "DKIM-Signature", value)
	sb.WriteString(" b=")
	sb.WriteString(b)
	return sb.String()
}
