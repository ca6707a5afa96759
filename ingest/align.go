package ingest

import (
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// orgDomain returns the organizational domain of name: its public suffix
// (golang.org/x/net/publicsuffix, the ICANN and private sections) plus
// one label, as DMARC's relaxed alignment uses (RFC 7489 §3.2). It
// returns "" when name is not a valid domain or is itself a public suffix
// ("com", "co.uk"): such a name aligns with nothing.
func orgDomain(name string) string {
	d, err := domain.ToASCII(strings.TrimSuffix(strings.TrimSpace(name), "."))
	if err != nil {
		return ""
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return ""
	}
	return org
}

// aligned reports whether a and b have the same organizational domain
// (relaxed alignment): "corp.mail.ru" and "mail.ru" do, "com" and
// "example.com" do not.
func aligned(a, b string) bool {
	oa := orgDomain(a)
	return oa != "" && oa == orgDomain(b)
}

// isPublicSuffix reports whether name is a valid domain that is a public
// suffix.
func isPublicSuffix(name string) bool {
	d, err := domain.ToASCII(strings.TrimSuffix(strings.TrimSpace(name), "."))
	if err != nil {
		return false
	}
	ps, _ := publicsuffix.PublicSuffix(d)
	return ps == d
}
