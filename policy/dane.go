package policy

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"time"
)

// MatchTLSA authenticates an SMTP server by DANE (RFC 7672 §3): it
// returns the first record of rrs, the server's TLSA RRset, that matches
// chain, the certificates the server presented with its own first (as
// tls.ConnectionState.PeerCertificates). names are the reference
// identifiers for DANE-TA: names[0] is the TLSA base domain — the MX host
// name, or the name a CNAME led to (RFC 7672 §2.2.3) — and the others
// are further names the certificate may carry (the MX host name before
// CNAME expansion, the next-hop domain; RFC 7672 §3.2.2). now is the
// time to check validity against; the zero Time means time.Now.
//
// A record is usable when its usage is DANE-TA(2) or DANE-EE(3) (RFC
// 7672 §3.1.3: PKIX-TA(0) and PKIX-EE(1) are not used for SMTP), its
// selector Cert(0) or SPKI(1) and its matching type Full(0), SHA2-256(1)
// or SHA2-512(2) with data of the digest's length (RFC 6698 §2.1). Then:
//   - DANE-EE(3) matches the server certificate alone: its names and
//     validity period are ignored (RFC 7672 §3.1.1).
//   - DANE-TA(2) matches any certificate of the chain, which becomes the
//     trust anchor: the server must send it (RFC 7672 §3.1.2). The chain
//     from the server certificate to the anchor must verify at now with
//     crypto/x509 (signatures, CA constraints, validity, name
//     constraints; any extended key usage), and the server certificate
//     must carry one of names as a DNS subjectAltName, "*" as the whole
//     left-most label matching one label (RFC 7672 §3.2.3). crypto/x509
//     checks the anchor's own validity period too, which RFC 5280 §6.1
//     would not.
//
// When no record matches, the error is an *Error with FailureTLSAInvalid
// (RFC 8460 §4.3.3), Policy the tlsa policy of names[0] with rrs (only
// Type and the RRs when names is empty or names[0] is not a host name),
// and one of the Codes:
//
//	no-certificate          chain is empty
//	tlsa-unusable           no record is usable (the MTA falls back to unauthenticated TLS, RFC 7672 §2.2)
//	dane-ta-name-mismatch   a DANE-TA record matched and the chain verified, but the name did not
//	dane-ta-chain-invalid   a DANE-TA record matched but the chain to it does not verify (Err says why)
//	tlsa-mismatch           usable records, none matching
//
// the first that applies from the bottom up; Err is the crypto/x509
// error for the two dane-ta codes. To use MatchTLSA in a handshake, set
// tls.Config.InsecureSkipVerify and call it from VerifyConnection: the
// handshake then fails with this error, which aggregate.ClassifyTLSError
// maps to tlsa-invalid. Matching DANE-EE records costs a hash per record
// and allocates nothing; DANE-TA costs a chain verification.
func MatchTLSA(rrs []TLSA, chain []*x509.Certificate, now time.Time, names ...string) (TLSA, error) {
	if len(chain) == 0 || chain[0] == nil {
		return TLSA{}, tlsaError(rrs, names, "no-certificate", errors.New("no server certificate"))
	}
	usable := false
	var taErr error
	taCode := ""
	for _, rr := range rrs {
		if !tlsaUsable(rr) {
			continue
		}
		usable = true
		switch rr.Usage {
		case UsageDANEEE:
			if tlsaMatches(rr, chain[0]) {
				return rr, nil
			}
		case UsageDANETA:
			for i, c := range chain {
				if c == nil || !tlsaMatches(rr, c) {
					continue
				}
				code, err := verifyDANETA(chain, i, now, names)
				if err == nil {
					return rr, nil
				}
				if taCode == "" || code == "dane-ta-name-mismatch" {
					taCode, taErr = code, err
				}
			}
		}
	}
	switch {
	case !usable:
		return TLSA{}, tlsaError(rrs, names, "tlsa-unusable", errors.New("no usable tlsa record (DANE-TA or DANE-EE, known selector and matching type)"))
	case taCode != "":
		return TLSA{}, tlsaError(rrs, names, taCode, taErr)
	}
	return TLSA{}, tlsaError(rrs, names, "tlsa-mismatch", errors.New("no tlsa record matches the certificate chain"))
}

// tlsaUsable reports whether rr can match anything in SMTP (RFC 7672
// §3.1): DANE-TA or DANE-EE, a defined selector, a defined matching type
// with data of the right length.
func tlsaUsable(rr TLSA) bool {
	if rr.Usage != UsageDANETA && rr.Usage != UsageDANEEE {
		return false
	}
	if rr.Selector != SelectorCert && rr.Selector != SelectorSPKI {
		return false
	}
	switch rr.MatchingType {
	case MatchingFull:
		return len(rr.Data) > 0
	case MatchingSHA256:
		return len(rr.Data) == sha256.Size
	case MatchingSHA512:
		return len(rr.Data) == sha512.Size
	}
	return false
}

// tlsaMatches reports whether the usable record rr matches c (RFC 6698
// §2.1.2, §2.1.3).
func tlsaMatches(rr TLSA, c *x509.Certificate) bool {
	data := c.Raw
	if rr.Selector == SelectorSPKI {
		data = c.RawSubjectPublicKeyInfo
	}
	switch rr.MatchingType {
	case MatchingSHA256:
		sum := sha256.Sum256(data)
		return subtle.ConstantTimeCompare(sum[:], rr.Data) == 1
	case MatchingSHA512:
		sum := sha512.Sum512(data)
		return subtle.ConstantTimeCompare(sum[:], rr.Data) == 1
	}
	return subtle.ConstantTimeCompare(data, rr.Data) == 1
}

// verifyDANETA checks chain[0] against the trust anchor chain[ta] (RFC
// 7672 §3.1.2, §3.2): the path verifies and the server certificate
// carries one of names. It returns the reason code and error, or "" and
// nil.
func verifyDANETA(chain []*x509.Certificate, ta int, now time.Time, names []string) (string, error) {
	roots := x509.NewCertPool()
	roots.AddCert(chain[ta])
	inter := x509.NewCertPool()
	for i, c := range chain[1:] {
		if i+1 != ta && c != nil {
			inter.AddCert(c)
		}
	}
	if now.IsZero() {
		now = time.Now()
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return "dane-ta-chain-invalid", err
	}
	// RFC 7672 §3.2.2: with DANE-TA the server certificate must match a
	// reference identifier.
	var nameErr error = errors.New("no reference identifier to check the name against")
	for _, n := range names {
		if nameErr = chain[0].VerifyHostname(strings.TrimSuffix(n, ".")); nameErr == nil {
			return "", nil
		}
	}
	// TODO(spec): RFC 7672 §3.2.3 lets a client fall back to the subject
	// CN when there is no DNS subjectAltName; crypto/x509 ignores the CN.
	return "dane-ta-name-mismatch", nameErr
}

// tlsaError is the FailureTLSAInvalid error of MatchTLSA. Its policy
// block is what FromTLSA(names[0], rrs) gives, without the domain when
// there is no valid one and without RRs that have no data.
func tlsaError(rrs []TLSA, names []string, code string, err error) *Error {
	pol := Policy{Type: TypeTLSA}
	if len(names) > 0 {
		if d, derr := normalizeDomain(names[0]); derr == nil {
			pol.Domain = d
		}
	}
	for _, rr := range rrs {
		if len(rr.Data) > 0 {
			pol.Strings = append(pol.Strings, rr.String())
		}
	}
	slices.Sort(pol.Strings)
	pol.Strings = slices.Compact(pol.Strings)
	return &Error{Failure: FailureTLSAInvalid, Code: code, Policy: pol, Err: err}
}
