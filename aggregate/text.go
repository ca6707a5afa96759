package aggregate

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// maxHelo is the longest receiving-mx-helo kept, in octets: a host name
// is at most 255 octets (RFC 1035 §2.3.4), and (*report.Report).Validate
// allows no more.
const maxHelo = 255

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isNonchar reports whether c is a Unicode noncharacter, which I-JSON
// forbids (RFC 7493 §2.1).
func isNonchar(c rune) bool {
	return c >= 0xFDD0 && c <= 0xFDEF || c&0xFFFE == 0xFFFE
}

// validText reports whether s is valid UTF-8 without noncharacters
// (I-JSON, RFC 7493 §2.1, which RFC 8460 §4 requires of a report).
func validText(s string) bool {
	if isASCII(s) {
		return true
	}
	for i, c := range s {
		if c == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") || isNonchar(c) {
			return false
		}
	}
	return true
}

// cleanText returns s with invalid UTF-8 and noncharacters replaced by
// U+FFFD, so that text a remote server chose (an error message, a
// greeting) can always go into a report. It does not allocate for valid
// text.
func cleanText(s string) string {
	if validText(s) {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if c == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") || isNonchar(c) {
			c = utf8.RuneError
		}
		b.WriteRune(c)
	}
	return b.String()
}

// cleanHelo returns the receiving-mx-helo to report for h: its first line,
// as clean text, cut to at most maxHelo octets at a character boundary.
// RFC 8460 §4.4 wants the name the server announced, not its whole
// multi-line EHLO reply (QUIRK(Postfix tlsrpt library): it passes the
// whole reply).
func cleanHelo(h string) string {
	if i := strings.IndexAny(h, "\r\n"); i >= 0 {
		h = h[:i]
	}
	h = cleanText(h)
	if len(h) > maxHelo {
		cut := maxHelo
		for cut > 0 && !utf8.RuneStart(h[cut]) {
			cut--
		}
		h = h[:cut]
	}
	return h
}

// hostName returns name as a lower-case A-label without a trailing dot
// (domain.ToASCII), and fails unless the result is itself such a name:
// IDNA maps invalid UTF-8 to U+FFFD and encodes it, giving an A-label
// that does not decode.
func hostName(name string) (string, error) {
	if isNormalHost(name) {
		return name, nil // the common case, checked in one pass
	}
	if !utf8.ValidString(name) {
		return "", errors.New("not valid UTF-8")
	}
	a, err := domain.ToASCII(name)
	if err != nil {
		return "", err
	}
	if a != name {
		if b, err := domain.ToASCII(a); err != nil || b != a {
			return "", fmt.Errorf("%q does not convert to a valid A-label", name)
		}
	}
	return a, nil
}

// isNormalHost reports whether name is already what hostName returns for
// it: lower-case LDH labels of 1 to 63 octets, no hyphen at either end of
// a label, at most 253 octets, no trailing dot, and no "xn--" label (an
// A-label must go through IDNA to be checked). It is a subset of what
// domain.ToASCII returns unchanged.
func isNormalHost(name string) bool {
	if len(name) == 0 || len(name) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(name); i++ {
		switch hostClass[name[i]] {
		case classAlnum:
			if label == 0 && name[i] == 'x' && len(name)-i >= 4 && name[i:i+4] == "xn--" {
				return false
			}
			label++
		case classHyphen:
			if label == 0 || i+1 == len(name) || name[i+1] == '.' {
				return false
			}
			label++
		case classDot:
			if label == 0 {
				return false
			}
			label = 0
			continue
		default:
			return false
		}
		if label > 63 {
			return false
		}
	}
	return label > 0
}

// Byte classes of isNormalHost, as digits of hostClass.
const (
	classAlnum = '1' + iota
	classHyphen
	classDot
)

// hostClass maps each byte to its class in a lower-case LDH host name:
// '1' for a-z and 0-9, '2' for '-', '3' for '.', '0' otherwise.
const hostClass = "" +
	"0000000000000000000000000000000000000000000002301111111111000000" +
	"0000000000000000000000000000000001111111111111111111111111100000" +
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000"
