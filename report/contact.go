package report

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// ContactDomain returns the domain of a report's contact-info (RFC 8460
// §4.4) as a lower-case A-label: the domain of a mailto: URI's first
// address or of a bare address, or the host of an http or https URI. It is
// the one rule the SDK uses wherever it needs the reporting domain: the
// TLS-Report-Submitter a report mail defaults to (RFC 8460 §5.3) and the
// report-id an Aggregator makes. It fails for contact-info that names no
// domain (a URI of another scheme, a host that is an IP address, text
// that is not an address).
func ContactDomain(contactInfo string) (string, error) {
	s := strings.TrimSpace(contactInfo)
	if s == "" {
		return "", errors.New("report: contact-info is empty")
	}
	var host string
	switch scheme, rest, ok := strings.Cut(s, ":"); {
	case ok && strings.EqualFold(scheme, "mailto"):
		rest, _, _ = strings.Cut(rest, "?")
		rest, _, _ = strings.Cut(rest, ",")
		if u, err := url.PathUnescape(rest); err == nil {
			rest = u
		}
		host = addrDomain(rest)
	case ok && (strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "http")):
		u, err := url.Parse(s)
		if err != nil {
			return "", errors.New("report: contact-info " + strconv.Quote(contactInfo) + " is not a URI: " + err.Error())
		}
		host = u.Hostname()
		if strings.ContainsAny(host, ":") || isIPv4(host) {
			return "", errors.New("report: contact-info " + strconv.Quote(contactInfo) + " names an IP address, not a domain")
		}
	case ok && !strings.Contains(scheme, "@"):
		return "", errors.New("report: contact-info " + strconv.Quote(contactInfo) + " is a URI without a domain")
	default:
		host = addrDomain(s)
	}
	if host == "" {
		return "", errors.New("report: contact-info " + strconv.Quote(contactInfo) + " is not an address")
	}
	d, err := domain.Canonical(host)
	if err != nil {
		return "", errors.New("report: contact-info " + strconv.Quote(contactInfo) + " has no valid domain: " + err.Error())
	}
	return d, nil
}

// addrDomain returns the domain of an addr-spec (after its last "@",
// without a closing ">"), or "" when s has none.
func addrDomain(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return ""
	}
	return strings.TrimSuffix(s[at+1:], ">")
}

// isIPv4 reports whether s is written like an IPv4 address (digits and
// dots only), which is not a domain name.
func isIPv4(s string) bool {
	return s != "" && strings.Trim(s, "0123456789.") == ""
}
