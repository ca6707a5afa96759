package policy

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// NoPolicyFound returns the policy block for a recipient domain where
// neither a DANE nor an MTA-STS policy was found (RFC 8460 §4.4
// no-policy-found). domain is stored as a lower-case A-label without a
// trailing dot; it fails if it is not a valid domain name.
func NoPolicyFound(domainName string) (Policy, error) {
	d, err := normalizeDomain(domainName)
	if err != nil {
		return Policy{}, err
	}
	return Policy{Type: TypeNoPolicyFound, Domain: d}, nil
}

// FromSTSText returns the policy block for an MTA-STS policy file as the
// receiver served it, valid or not (RFC 8460 §4.5: "including any errors
// present"): policy-string holds every non-empty line in order with its
// terminator removed, and mx-host the value of every "mx:" line that is a
// well-formed pattern, lower-cased. This is what an MTA reports with
// sts-policy-invalid, and what it reports when it wants the receiver's
// line order (Google's reports list max_age before the mx lines). A text
// longer than 64 KiB, the largest policy ParseSTSPolicy accepts, is an
// error matching errors.Is(err, tlsrpt.ErrTooLarge).
//
// For an STSPolicy p that ParseSTSPolicy returned, FromSTSText(domainName,
// p.String()) gives the policy block in the canonical order: version,
// mode, the mx lines, max_age, the extensions. For one built by hand,
// check it with p.Validate first and write its mx patterns in lower case,
// as ParseSTSPolicy stores them (FromSTSText lower-cases mx-host only).
func FromSTSText(domainName, text string) (Policy, error) {
	d, err := normalizeDomain(domainName)
	if err != nil {
		return Policy{}, err
	}
	if len(text) > maxSTSPolicySize {
		return Policy{}, errTooLarge
	}
	pol := Policy{Type: TypeSTS, Domain: d}
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		pol.Strings = append(pol.Strings, line)
		if k, v, _, err := splitPolicyLine(line); err == nil && k == "mx" {
			if m, r := normalizeMXPattern(v); r == "" {
				pol.MXHosts = append(pol.MXHosts, m)
			}
		}
	}
	return pol, nil
}

// FromTLSA returns the policy block for the DANE TLSA RRset of
// baseDomain, the TLSA base domain (normally the MX host name; RFC 7672
// §2.2.3, RFC 8460 §4.5): policy-string holds one RFC 6698 §2.2
// presentation string per RR ("3 1 1 <hex>", lower-case hex), sorted and
// without duplicates because an RRset is unordered. An RRset may be empty
// (as when no record validated). It fails for an invalid domain or an RR
// without data.
func FromTLSA(baseDomain string, rrs []TLSA) (Policy, error) {
	d, err := normalizeDomain(baseDomain)
	if err != nil {
		return Policy{}, err
	}
	pol := Policy{Type: TypeTLSA, Domain: d}
	for _, rr := range rrs {
		if len(rr.Data) == 0 {
			return Policy{}, tlsaSyntaxError(0, "tlsa record "+rr.String()+" has no certificate association data")
		}
		pol.Strings = append(pol.Strings, rr.String())
	}
	slices.Sort(pol.Strings)
	pol.Strings = slices.Compact(pol.Strings)
	return pol, nil
}

// TLSARecords parses the policy-string of a tlsa policy into RRs. It is
// meant for reading reports, so it is lenient: each string is parsed with
// ParseTLSA, whose repairs (whitespace inside the hex, as in the RFC 8460
// §4.5 example, zone-file spacing and parentheses) it accepts silently,
// and two non-standard shapes are unwrapped: Microsoft's single string
// holding a JSON array of presentation strings, and a single string of
// RRs separated by ";" (RFC 8460 §4's prose form). The first unparsable
// string's error is returned: a *tlsrpt.Diagnostic with CodeTLSASyntax
// whose Offset is in that string. To learn which repairs were
// needed, decode the report with package report's Decoder, or call
// ParseTLSA on each string.
func (p Policy) TLSARecords() ([]TLSA, error) {
	strs := p.Strings
	if len(strs) == 1 {
		switch s := strings.TrimSpace(strs[0]); {
		case strings.HasPrefix(s, "["):
			// QUIRK(Microsoft): policy-string is ["[\"3 1 1 AB…\",\"3 1 1 CD…\"]"],
			// a JSON array encoded into a single string, instead of one
			// string per RR (RFC 8460 §4.5).
			var inner []string
			if err := json.Unmarshal([]byte(s), &inner); err == nil {
				strs = inner
			}
		case strings.Contains(s, ";"):
			// RFC 8460 §4 describes the TLSA RRset "as a string" with the
			// records "separated by a semicolon" (§4.4 and §4.5 say array).
			strs = strings.Split(s, ";")
		}
	}
	rrs := make([]TLSA, 0, len(strs))
	for _, s := range strs {
		rr, _, err := ParseTLSA(s)
		if err != nil {
			return nil, err
		}
		rrs = append(rrs, rr)
	}
	return rrs, nil
}

// STS parses the policy-string of an sts policy back into an STSPolicy by
// joining the lines with LF and calling ParseSTSPolicy. It fails, with
// ParseSTSPolicy's *tlsrpt.Diagnostic, whose Path "line N" has N the index
// into Strings plus one, for an invalid or missing policy (Mail.ru, for
// example, sends sts policies without policy-string).
func (p Policy) STS() (*STSPolicy, error) {
	return ParseSTSPolicy(strings.Join(p.Strings, "\n"))
}

// CodeInvalidDomain is the Code of the error the constructors, STSFetcher,
// STSCache and LookupTLSA return for a domain that is not a valid domain
// name: a *tlsrpt.Diagnostic with Path "policy-domain" whose Message
// quotes the name and gives the IDNA error. Package report's Validate
// uses the same code for an invalid policy-domain.
const CodeInvalidDomain tlsrpt.Code = "invalid-domain"

// normalizeDomain returns name as a lower-case A-label without a trailing
// dot, or the CodeInvalidDomain error.
func normalizeDomain(name string) (string, error) {
	d, err := domain.ToASCII(name)
	if err != nil {
		return "", &tlsrpt.Diagnostic{Path: "policy-domain", Code: CodeInvalidDomain, Severity: tlsrpt.SeverityError,
			Message: "invalid policy domain " + strconv.Quote(name) + ": " + err.Error()}
	}
	return d, nil
}
