package policy

import (
	"strconv"
	"strings"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// normalizeMXPattern checks an RFC 8461 §3.2 sts-policy-mx-value,
// ["*."] Domain with Domain as in RFC 5321 §4.1.2 (A-labels only), and
// returns it in lower case, or the reason it is invalid.
func normalizeMXPattern(s string) (string, string) {
	host := strings.TrimPrefix(s, "*.")
	if strings.Contains(host, "*") {
		// RFC 8461 §4.1: the wildcard is allowed only as the whole
		// left-most label.
		return "", "mx " + strconv.Quote(s) + ": a wildcard is allowed only as the whole left-most label (*.example.com)"
	}
	if r := checkLDHDomain(host); r != "" {
		return "", "mx " + strconv.Quote(s) + ": " + r
	}
	lower := strings.ToLower(host)
	if strings.Contains(lower, "xn--") {
		// Validate the A-labels (punycode) with IDNA lookup rules.
		a, err := domain.ToASCII(lower)
		if err != nil {
			return "", "mx " + strconv.Quote(s) + ": invalid A-label"
		}
		lower = a
	}
	if len(host) != len(s) {
		return "*." + lower, ""
	}
	return lower, ""
}

// checkLDHDomain checks RFC 5321 §4.1.2 Domain: dot-separated labels of
// letters, digits and inner hyphens, each 1..63 octets, at most 253 in
// all, without a trailing dot. It returns the reason it fails, or "".
func checkLDHDomain(s string) string {
	if s == "" {
		return "empty host name"
	}
	if len(s) > 253 {
		return "host name longer than 253 characters"
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			c := s[i]
			if !isAlnum(c) && c != '-' {
				if c >= 0x80 {
					return "non-ASCII host name; use the A-label (xn--) form"
				}
				return "invalid character " + quoteByte(c) + " in host name"
			}
			continue
		}
		label := s[start:i]
		switch {
		case label == "" && i == len(s):
			return "trailing dot in host name"
		case label == "":
			return "empty label in host name"
		case len(label) > 63:
			return "label longer than 63 characters in host name"
		case label[0] == '-' || label[len(label)-1] == '-':
			return "label begins or ends with a hyphen in host name"
		}
		start = i + 1
	}
	return ""
}

// MatchMX reports whether the MX host name host matches one of p's mx
// patterns by RFC 8461 §4.1: a pattern matches a host that equals it
// case-insensitively, and a pattern "*.example.com" matches exactly one
// label followed by ".example.com" (not example.com, nor
// a.b.example.com). host may carry a trailing dot and may be a U-label
// name; a host that is not a valid name matches nothing. MatchMX does not
// look at the mode: under mode none a sender applies no policy at all. To
// match a single pattern, use an STSPolicy with only that pattern in MX.
func (p *STSPolicy) MatchMX(host string) bool {
	h, ok := normalizeHost(host)
	if !ok {
		return false
	}
	for _, m := range p.MX {
		if matchNormalized(strings.ToLower(m), h) {
			return true
		}
	}
	return false
}

func matchNormalized(pattern, host string) bool {
	if rest, ok := strings.CutPrefix(pattern, "*"); ok {
		// rest is ".example.com": host must be one non-empty label + rest.
		if !strings.HasPrefix(rest, ".") || len(host) <= len(rest) || !strings.HasSuffix(host, rest) {
			return false
		}
		return !strings.Contains(host[:len(host)-len(rest)], ".")
	}
	return pattern == host
}

// normalizeHost returns host as a lower-case A-label name without a
// trailing dot.
func normalizeHost(host string) (string, bool) {
	if strings.ContainsAny(host, "*") {
		return "", false
	}
	h, err := domain.ToASCII(host)
	if err != nil {
		return "", false
	}
	return h, true
}
