package mime

import (
	stdmime "mime"
	"strings"
	"unicode/utf8"
)

const (
	// lineLimit is the line length a writer should stay within
	// (RFC 5322 §2.1.1: SHOULD 78 characters excluding CRLF).
	lineLimit = 78
	// hardLineLimit is the MUST limit of RFC 5322 §2.1.1 (998 + CRLF).
	hardLineLimit = 998
)

// checkHeaderText reports why s cannot be placed into a header field
// verbatim: any ASCII control character (CR, LF and NUL included) would
// allow header injection or break the message (RFC 5322 §2.2). It returns
// "" when s is acceptable.
func checkHeaderText(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r' || c == '\n':
			return "contains a line break (CR or LF)"
		case c == 0:
			return "contains NUL"
		case c < 0x20 || c == 0x7f:
			return "contains an ASCII control character"
		}
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	return ""
}

// isASCII reports whether s is printable 7-bit ASCII (space included).
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// encodeText returns s unchanged when it is printable ASCII and otherwise
// as RFC 2047 encoded-words (Q encoding, UTF-8). Go's encoder splits long
// input into several words of at most 75 characters separated by spaces,
// which the folder may break between.
func encodeText(s string) string {
	if isASCII(s) {
		return s
	}
	return stdmime.QEncoding.Encode("utf-8", s)
}

// writeField appends the header field "name: value" to b, folded
// (RFC 5322 §2.2.3) at spaces of value so that lines stay within 78
// characters where a space allows it. It never breaks inside a token:
// folding inserts CRLF before an existing space, so unfolding gives back
// value exactly.
func writeField(b *strings.Builder, name, value string) {
	b.WriteString(name)
	b.WriteString(":")
	col := len(name) + 1
	first := true
	for len(value) > 0 {
		var tok string
		if i := strings.IndexByte(value, ' '); i >= 0 {
			tok, value = value[:i], value[i+1:]
		} else {
			tok, value = value, ""
		}
		if !first && col+1+len(tok) > lineLimit {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteString(" ")
		b.WriteString(tok)
		col += 1 + len(tok)
		first = false
	}
	b.WriteString("\r\n")
}

// longestToken returns the length of the longest space-free run in s.
func longestToken(s string) int {
	m := 0
	for _, t := range strings.Split(s, " ") {
		m = max(m, len(t))
	}
	return m
}
