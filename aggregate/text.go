package aggregate

import (
	"strings"
	"unicode/utf8"
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
