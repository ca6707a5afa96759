package mime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// defaultMaxSignatures is the default VerifyOptions.MaxSignatures.
const defaultMaxSignatures = 8

// VerifyOptions configures Verify. The zero value uses the system resolver
// and the default limits.
type VerifyOptions struct {
	// Resolver fetches the DKIM key records (RFC 6376 §3.6.2.2) with
	// LookupTXT, one string per record, its character-strings joined, as
	// *net.Resolver does; Verify makes no other query. Nil means
	// net.DefaultResolver.
	Resolver tlsrpt.Resolver
	// MaxMessageSize caps the bytes read from the message. Zero means
	// 20 MiB.
	MaxMessageSize int64
	// MaxSignatures caps the number of DKIM-Signature fields verified;
	// further ones are not verified and reported with an error matching
	// ErrTooLarge. Zero means 8.
	MaxSignatures int
}

// Verification is the outcome of Verify: one SignatureResult per
// DKIM-Signature field of the message that carries the reports, and the
// submitter they are compared with. It decides nothing: RFC 8460 §3 says
// receivers MUST ignore reports without a valid DKIM signature "by the
// reporting domain", and MAY ignore those whose key lacks the tlsrpt
// service type; the caller applies its own policy, for example "some
// signature has Err == nil, Aligned, !BodyLength and ServiceTLSRPT".
type Verification struct {
	// Carrier is the path of the message whose signatures are listed:
	// the message that carries the mail's reports as Parse finds them
	// (the innermost message holding them). It is "mime:message" for the
	// mail itself, also when the mail holds no report, and the attached
	// message's path, like "mime:part[2].message", for a report
	// forwarded as message/rfc822, whose own signatures alone vouch for
	// it (RFC 8460 §3; Parse warns with CodeForwarded): the signatures
	// of enclosing messages are not listed. Carrier is empty when the
	// reports are carried by more than one message: no signature covers
	// them all, so Signatures is empty and Authentic returns nil.
	Carrier string
	// Submitter is the TLS-Report-Submitter of Carrier, comments and
	// whitespace removed, lower-cased; empty when absent.
	Submitter string
	// Signatures holds one result per DKIM-Signature field of Carrier,
	// in header order.
	Signatures []SignatureResult
}

// SignatureResult reports on one DKIM signature.
type SignatureResult struct {
	// Domain is the signing domain (d=), lower-cased.
	Domain string
	// Selector is the key selector (s=).
	Selector string
	// Err is nil when the signature verified (RFC 6376 §6), otherwise the
	// reason; dkim.IsTempFail and dkim.IsPermFail classify it. A signature
	// with l= has an error even when its hash matched (go-msgauth refuses
	// l=); one beyond VerifyOptions.MaxSignatures, not verified, has a
	// *tlsrpt.Diagnostic with Code CodeLimitSignatures, Index its
	// position among the DKIM-Signature fields (from 1), matching
	// ErrTooLarge.
	Err error
	// Aligned reports whether Domain equals the TLS-Report-Submitter
	// domain or is a parent of it: the "reporting domain" of RFC 8460 §3.
	Aligned bool
	// BodyLength reports whether the signature uses the l= tag, which
	// RFC 8460 §3 forbids.
	BodyLength bool
	// HeaderKeys are the signed header fields (h=) as listed.
	HeaderKeys []string
	// SignsReportHeaders reports whether h= covers TLS-Report-Domain and
	// TLS-Report-Submitter (RFC 8460 §5.3 SHOULD).
	SignsReportHeaders bool
	// Services is the key record's service type list (s=, RFC 6376
	// §3.6.1), ["*"] when the key has no s= tag, nil when no key record
	// was retrieved.
	Services []string
	// ServiceTLSRPT reports whether the key allows the tlsrpt service:
	// s= lists "*" or "tlsrpt" (RFC 8460 §3 SHOULD). The cryptographic
	// check (Err) does not depend on s=.
	ServiceTLSRPT bool
	// ServiceEmailOnly reports whether the key is restricted to "email":
	// receivers MAY ignore such reports (RFC 8460 §3); many senders'
	// keys are like this.
	ServiceEmailOnly bool
}

// signatureLimitError returns the error of a signature beyond
// VerifyOptions.MaxSignatures, which was not verified: the n-th
// DKIM-Signature field (from 1) of the message at path. It matches
// ErrTooLarge.
func signatureLimitError(path string, n, max int) error {
	hp := path + ".header.DKIM-Signature"
	if path == "mime:message" {
		hp = "mime:header.DKIM-Signature"
	}
	return &tlsrpt.Diagnostic{
		Path:     hp,
		Index:    n,
		Code:     CodeLimitSignatures,
		Severity: tlsrpt.SeverityError,
		Message:  "signature limit " + strconv.Itoa(max) + " exceeded: signature not verified",
		Err:      ErrTooLarge,
	}
}

// errSignatureUnread marks a DKIM-Signature field the verifier did not
// read as a signature, which was not verified.
var errSignatureUnread = errors.New("mime: signature not verified (not recognised by the verifier)")

// Verify checks the DKIM signatures of the message read from r (RFC 6376,
// as RFC 8460 §3 requires for mailed reports) with go-msgauth, fetching
// keys through opts.Resolver, and reports for each signature whether it
// verified, whether its domain is aligned with TLS-Report-Submitter,
// whether it uses l=, and which service types its key allows. The key
// record is fetched once per selector; its s= tag is evaluated here, not
// by go-msgauth (which accepts only email keys), so a key restricted to
// s=tlsrpt verifies and is reported as such.
//
// The signatures checked are those of the message that carries the
// reports: Verify finds the reports as Parse does (with the default
// Parser limits) and, when they are in an attached message/rfc822 (a
// forwarded report), verifies that message, header and body, on its own
// and compares its signatures with its own TLS-Report-Submitter. A valid
// signature of the outer mail never vouches for an attached report: a
// forwarded report is trusted only when the reporting domain's signature
// on it survived the forwarding. See Verification.Carrier.
//
// The error is non-nil only when the message cannot be read or exceeds a
// limit (a *tlsrpt.Diagnostic with a CodeLimit* code, matching
// ErrTooLarge: MaxMessageSize, or a default Parser limit while looking for
// the reports); signature failures are in the results.
func Verify(ctx context.Context, r io.Reader, opts *VerifyOptions) (*Verification, error) {
	if opts == nil {
		opts = &VerifyOptions{}
	}
	maxSize := orDefault(opts.MaxMessageSize, defaultMaxMessageSize)
	data, err := readMessage(r, maxSize)
	if errors.Is(err, errMessageCap) {
		return nil, limitError(CodeLimitMessageSize, "message size", maxSize, "mime:message", nil)
	}
	if err != nil {
		return nil, err
	}
	var resolver tlsrpt.Resolver = net.DefaultResolver
	if opts.Resolver != nil {
		resolver = opts.Resolver
	}
	maxSigs := int(orDefault(int64(opts.MaxSignatures), defaultMaxSignatures))

	carrier, err := findCarrier(data)
	if err != nil {
		return nil, err
	}
	v := &Verification{}
	if carrier == nil {
		return v, nil
	}
	v.Carrier = carrier.path
	h := carrier.header
	if sub, ok := h.get(fieldSubmitter); ok {
		v.Submitter = headerDomain(sub)
	}
	var rawDomains []string // d= as written, lower-cased
	for _, f := range h {
		if strings.EqualFold(f.name, "DKIM-Signature") {
			tags := parseTags(f.value)
			rawDomains = append(rawDomains, strings.ToLower(tags["d"]))
			res := SignatureResult{
				Domain:     strings.ToLower(tags["d"]),
				Selector:   tags["s"],
				HeaderKeys: splitList(tags["h"]),
			}
			_, res.BodyLength = tags["l"]
			if d, err := domain.ToASCII(res.Domain); err == nil {
				res.Domain = d
				res.Aligned = v.Submitter != "" && domain.IsSubdomainOrEqual(v.Submitter, d)
			}
			var rd, rs bool
			for _, k := range res.HeaderKeys {
				rd = rd || strings.EqualFold(k, fieldReportDomain)
				rs = rs || strings.EqualFold(k, fieldSubmitter)
			}
			res.SignsReportHeaders = rd && rs
			v.Signatures = append(v.Signatures, res)
		}
	}
	if len(v.Signatures) == 0 {
		return v, nil
	}

	verified := make([]bool, len(v.Signatures))
	keys := &keyCache{records: map[string]keyRecord{}}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(carrier.raw), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			return keys.lookup(ctx, resolver, name)
		},
		MaxVerifications: maxSigs,
	})
	tooMany := errors.Is(err, dkim.ErrTooManySignatures)
	if err != nil && !tooMany {
		return nil, err
	}
	// go-msgauth returns one verification per signature in header order.
	// Pair them by order and d= so that a header line the two parsers
	// read differently cannot shift results onto the wrong signature.
	j := 0
	for _, vr := range verifs {
		k := j
		for k < len(v.Signatures) && rawDomains[k] != strings.ToLower(stripSpace(vr.Domain)) {
			k++
		}
		if k == len(v.Signatures) {
			continue // a field only go-msgauth reads as a signature
		}
		v.Signatures[k].Err = vr.Err
		verified[k] = true
		j = k + 1
	}
	for i := range v.Signatures {
		res := &v.Signatures[i]
		if !verified[i] {
			// go-msgauth verified the first MaxSignatures signatures it
			// read; those after the last of them are over the cap.
			res.Err = errSignatureUnread
			if tooMany && i >= j {
				res.Err = signatureLimitError(v.Carrier, i+1, maxSigs)
			}
			continue
		}
		if rec, ok := keys.get(res.Selector + "._domainkey." + rawDomains[i]); ok {
			res.Services = rec.services
			for _, s := range rec.services {
				res.ServiceTLSRPT = res.ServiceTLSRPT || s == "*" || strings.EqualFold(s, "tlsrpt")
				res.ServiceEmailOnly = res.ServiceEmailOnly || strings.EqualFold(s, "email")
			}
			res.ServiceEmailOnly = res.ServiceEmailOnly && !res.ServiceTLSRPT
		}
	}
	return v, nil
}

// findCarrier returns the message carrying the reports of the mail data
// as a zero Parser finds them: the mail itself, or the attached message
// holding them. It returns the mail itself when there is no report to
// find (Parse then fails with ErrNoReport or a CodeReportUndecodable
// error, so nothing is vouched for), nil when the reports are in more than one message, and a
// limit's error when a limit stopped the search (a Parser with other
// limits might find other reports).
func findCarrier(data []byte) (*msgInfo, error) {
	s := new(Parser).newState()
	if err := s.message(data, "mime:message", 0); err != nil {
		return nil, err
	}
	chosen, err := s.choose()
	switch {
	case isLimit(err):
		return nil, err
	case err != nil:
		return s.top, nil
	}
	if ms := carriers(chosen); len(ms) == 1 {
		return ms[0], nil
	}
	return nil, nil
}

// keyRecord is a fetched DKIM key record's service list.
type keyRecord struct {
	services []string
}

// keyCache remembers the key records go-msgauth fetched; go-msgauth
// verifies several signatures concurrently.
type keyCache struct {
	mu      sync.Mutex
	records map[string]keyRecord
}

func (c *keyCache) get(name string) (keyRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.records[strings.ToLower(name)]
	return r, ok
}

// lookup fetches name, records the s= tag of a single key record and
// returns the records without s= so that go-msgauth checks only the
// cryptography (RFC 6376 §3.6.1 service types are reported by Verify).
func (c *keyCache) lookup(ctx context.Context, res tlsrpt.Resolver, name string) ([]string, error) {
	txts, err := res.LookupTXT(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(txts))
	for i, t := range txts {
		out[i] = withoutTag(t, "s")
	}
	if len(txts) == 1 {
		services := []string{"*"} // RFC 6376 §3.6.1 default
		if s, ok := parseTags(txts[0])["s"]; ok {
			services = splitList(s)
		}
		c.mu.Lock()
		c.records[strings.ToLower(name)] = keyRecord{services: services}
		c.mu.Unlock()
	}
	return out, nil
}

// parseTags parses an RFC 6376 §3.2 tag-list leniently: whitespace
// (folding included) is removed around names and values; the first
// instance of a tag wins.
func parseTags(s string) map[string]string {
	tags := map[string]string{}
	for _, item := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if _, dup := tags[k]; !dup {
			tags[k] = stripSpace(v)
		}
	}
	return tags
}

// withoutTag returns the tag-list s without the tag named name.
func withoutTag(s, name string) string {
	items := strings.Split(s, ";")
	kept := items[:0]
	for _, item := range items {
		if k, _, ok := strings.Cut(item, "="); ok && strings.TrimSpace(k) == name {
			continue
		}
		kept = append(kept, item)
	}
	return strings.Join(kept, ";")
}

// stripSpace removes all whitespace (FWS) from s.
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

// splitList splits a colon-separated tag value (h=, s=).
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ":")
}
