package dnsrecord

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// URI is one rua destination of a TLS-RPT record (RFC 8460 §3
// tlsrpt-uri): an absolute RFC 3986 URI in which ",", "!" and ";" are
// percent-encoded. It keeps the text exactly as written in the record;
// the decoded forms (Address, Domain, URL) are computed when asked for,
// so that Parse stays cheap.
//
// The zero URI is empty and invalid. URI is a comparable value: u == v
// reports whether two URIs are the same text, so two spellings of one
// destination (different case in the scheme or host, different
// percent-encoding) are not equal. Use Scheme to tell mailto: (reports
// are mailed, RFC 8460 §5.3) from https: (reports are POSTed, §5.4).
type URI struct {
	s string
}

// ParseURI checks that s is a valid tlsrpt-uri (RFC 8460 §3: an RFC 3986
// absolute URI, with ",", "!" and ";" percent-encoded) and returns it. It
// returns a *SyntaxError whose Offset is relative to s. Use it to build a
// Record to publish; Parse already validates the URIs of a record.
func ParseURI(s string) (URI, error) {
	if i, reason := checkURI(s); i >= 0 {
		return URI{}, &SyntaxError{Offset: i, Reason: reason}
	}
	return URI{s: s}, nil
}

// MailtoURI returns the mailto: URI (RFC 6068) for the e-mail address
// addr, percent-encoding every byte that may not appear literally in a
// tlsrpt-uri (among them ",", "!", ";", "%", "?" and non-ASCII bytes).
// It returns an error when addr has no "@" with text on both sides; use an
// A-label domain if the address has an internationalised domain.
func MailtoURI(addr string) (URI, error) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return URI{}, errors.New("dnsrecord: address must be local@domain")
	}
	var b strings.Builder
	b.Grow(len("mailto:") + len(addr))
	b.WriteString("mailto:")
	const hexdigits = "0123456789ABCDEF"
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		// RFC 6068 §2: the separating "@" is literal; "&", "=" and any
		// other "@" must be encoded, and RFC 8460 §3 adds "," "!" ";".
		if c == '@' && i == at || c != '@' && c != '=' && c != '&' && byteClass[c]&cPchar != 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return ParseURI(b.String())
}

// String returns the URI as it appears in a record, percent-encoding
// unchanged (for example "mailto:a%2Cb@example.com").
func (u URI) String() string { return u.s }

// MarshalText implements encoding.TextMarshaler: the URI as written in
// the record, so that a Record encodes to JSON with readable URIs.
func (u URI) MarshalText() ([]byte, error) { return []byte(u.s), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text
// as ParseURI does.
func (u *URI) UnmarshalText(text []byte) error {
	v, err := ParseURI(string(text))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// Scheme returns the URI's scheme in lower case (schemes are
// case-insensitive, RFC 3986 §3.1): "mailto" for a destination reports are
// mailed to (RFC 8460 §5.3), "https" for one they are POSTed to (§5.4), or
// any other scheme the record uses (such as "http"). It returns "" for the
// zero URI. It does not allocate unless the record writes the scheme with
// upper-case letters.
func (u URI) Scheme() string {
	i := strings.IndexByte(u.s, ':')
	if i <= 0 {
		return ""
	}
	s := u.s[:i]
	for j := 0; j < len(s); j++ {
		if c := s[j]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// hasScheme reports whether u's scheme equals the lower-case scheme s,
// without allocating.
func (u URI) hasScheme(s string) bool {
	return len(u.s) > len(s) && u.s[len(s)] == ':' && strings.EqualFold(u.s[:len(s)], s)
}

// Supported reports whether the URI uses one of the two delivery
// mechanisms RFC 8460 §3 defines, mailto: and https:. Other schemes (for
// example http:) are valid in a record but a sender must skip them.
func (u URI) Supported() bool { return u.hasScheme("mailto") || u.hasScheme("https") }

// Address returns the e-mail address of a mailto: URI, percent-decoded
// (RFC 6068 §2), with any "?hfields" part dropped: RFC 8460 does not say
// what header fields in a rua URI mean, so they are not used. The address
// is returned as written; use Domain for the A-label form of its domain.
// It fails if u is not a mailto: URI or does not hold local@domain.
//
// A decoded "," is kept: RFC 6068 would read it as a separator between
// several addresses, RFC 8460 only as a character that had to be encoded.
// Lint warns about such URIs.
func (u URI) Address() (string, error) {
	if !u.hasScheme("mailto") {
		return "", errors.New("dnsrecord: not a mailto: URI")
	}
	to := u.s[len("mailto:"):]
	if q := strings.IndexByte(to, '?'); q >= 0 {
		to = to[:q] // RFC 6068 §2 hfields: not used by RFC 8460.
	}
	addr, err := url.PathUnescape(to)
	if err != nil {
		return "", errors.New("dnsrecord: invalid percent-encoding in mailto: URI")
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", errors.New("dnsrecord: mailto: URI does not hold an address local@domain")
	}
	return addr, nil
}

// Domain returns the domain of a mailto: URI's address as a lower-case
// A-label without trailing dot (IDNA 2008 lookup rules), the form to use
// for MX lookups and SMTP. It fails if u is not a mailto: URI with a
// valid address and host name.
func (u URI) Domain() (string, error) {
	addr, err := u.Address()
	if err != nil {
		return "", err
	}
	d, err := domain.ToASCII(addr[strings.LastIndexByte(addr, '@')+1:])
	if err != nil {
		return "", errors.New("dnsrecord: invalid domain in mailto: URI: " + err.Error())
	}
	return d, nil
}

// URL returns the URI parsed by net/url, for https: destinations (RFC
// 8460 §5.4) or any other scheme. Percent-encoded ",", "!" and ";" stay
// encoded in URL.RawPath and RawQuery, so URL.String gives back the same
// text, with the scheme in lower case.
func (u URI) URL() (*url.URL, error) {
	if u.s == "" {
		return nil, errors.New("dnsrecord: empty URI")
	}
	return url.Parse(u.s)
}

// checkURI validates s as an RFC 3986 §3 absolute URI in which ",", "!"
// and ";" do not appear unencoded (RFC 8460 §3 tlsrpt-uri). It returns -1
// and "" when s is valid, else the offset of the first bad byte and a
// reason.
func checkURI(s string) (int, string) {
	if s == "" {
		return 0, "empty URI"
	}
	// RFC 3986 §3.1 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
	if !isAlpha(s[0]) {
		return 0, "URI must begin with a scheme (such as mailto:), found " + describe(s[0])
	}
	i := 1
	for i < len(s) && byteClass[s[i]]&cScheme != 0 {
		i++
	}
	if i == len(s) || s[i] != ':' {
		return i, "URI has no scheme: write it as an absolute URI such as mailto:local@domain"
	}
	i++
	// RFC 3986 §3 hier-part = "//" authority path-abempty / path-absolute
	// / path-rootless / path-empty
	if len(s)-i >= 2 && s[i] == '/' && s[i+1] == '/' {
		i += 2
		end := i
		for end < len(s) && s[end] != '/' && s[end] != '?' && s[end] != '#' {
			end++
		}
		if j, reason := checkAuthority(s[i:end]); j >= 0 {
			return i + j, reason
		}
		i = end
	}
	// path, then RFC 3986 §3.4 query and §3.5 fragment.
	const (
		inPath = iota
		inQuery
		inFragment
	)
	part := inPath
	for i < len(s) {
		c := s[i]
		switch {
		case byteClass[c]&cPchar != 0 || c == '/':
			i++
		case c == '%':
			if j, reason := checkPct(s, i); j >= 0 {
				return j, reason
			}
			i += 3
		case c == '?' && part != inFragment:
			part = inQuery
			i++
		case c == '?':
			i++
		case c == '#' && part != inFragment:
			part = inFragment
			i++
		default:
			return i, badURIByte(c)
		}
	}
	return -1, ""
}

// checkAuthority validates RFC 3986 §3.2 authority = [ userinfo "@" ]
// host [ ":" port ].
func checkAuthority(a string) (int, string) {
	i := 0
	if at := strings.IndexByte(a, '@'); at >= 0 {
		if j, reason := scanClass(a, 0, at, cUserinfo); j >= 0 {
			return j, reason
		}
		i = at + 1
	}
	if i < len(a) && a[i] == '[' {
		// RFC 3986 §3.2.2 IP-literal = "[" ( IPv6address / IPvFuture ) "]"
		end := strings.IndexByte(a[i:], ']')
		if end < 0 {
			return len(a), "IP literal in URI lacks ']'"
		}
		if !validIPLiteral(a[i+1 : i+end]) {
			return i + 1, "invalid IP literal in URI"
		}
		i += end + 1
	} else {
		// reg-name / IPv4address (an IPv4 address is also a reg-name).
		end := len(a)
		if colon := strings.IndexByte(a[i:], ':'); colon >= 0 {
			end = i + colon
		}
		if j, reason := scanClass(a, i, end, cRegName); j >= 0 {
			return j, reason
		}
		i = end
	}
	if i == len(a) {
		return -1, ""
	}
	if a[i] != ':' {
		return i, "unexpected " + describe(a[i]) + " after host in URI"
	}
	// RFC 3986 §3.2.3 port = *DIGIT
	for i++; i < len(a); i++ {
		if a[i] < '0' || a[i] > '9' {
			return i, "invalid port in URI"
		}
	}
	return -1, ""
}

// validIPLiteral validates the inside of an RFC 3986 IP-literal.
func validIPLiteral(s string) bool {
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
		i := 1
		for i < len(s) && byteClass[s[i]]&cHex != 0 {
			i++
		}
		if i == 1 || i == len(s) || s[i] != '.' || i+1 == len(s) {
			return false
		}
		for i++; i < len(s); i++ {
			if byteClass[s[i]]&cUserinfo == 0 {
				return false
			}
		}
		return true
	}
	if strings.IndexByte(s, '%') >= 0 {
		return false // zone identifiers are not part of RFC 3986
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}

// scanClass validates s[i:end]: every byte must be of class or start a
// percent-encoding (RFC 3986 §2.1). It returns the offset and reason of the
// first bad byte, or -1.
func scanClass(s string, i, end int, class uint8) (int, string) {
	for i < end {
		c := s[i]
		switch {
		case byteClass[c]&class != 0:
			i++
		case c == '%':
			if j, reason := checkPct(s, i); j >= 0 {
				return j, reason
			}
			i += 3
		default:
			return i, badURIByte(c)
		}
	}
	return -1, ""
}

// checkPct validates the percent-encoding at s[i] (RFC 3986 §2.1).
func checkPct(s string, i int) (int, string) {
	if i+2 >= len(s) || byteClass[s[i+1]]&cHex == 0 || byteClass[s[i+2]]&cHex == 0 {
		return i, "invalid percent-encoding in URI"
	}
	return -1, ""
}

func badURIByte(c byte) string {
	switch c {
	case '!':
		return "'!' must be percent-encoded as %21 in a URI"
	case ',':
		return "',' must be percent-encoded as %2C in a URI"
	case ';':
		return "';' must be percent-encoded as %3B in a URI"
	}
	return describe(c) + " not allowed in a URI"
}
