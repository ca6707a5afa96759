package mime

import (
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
// as RFC 2047 encoded-words (Q encoding, UTF-8). ASCII text holding "=?"
// is encoded too, so that a reader's RFC 2047 decoder cannot turn
// something that looks like an encoded-word into other text (Go's
// mime.QEncoding would return such text unchanged).
func encodeText(s string) string {
	if isASCII(s) && !strings.Contains(s, "=?") {
		return s
	}
	return encodeWords(s)
}

// encodeWords encodes s as RFC 2047 §4.2 Q encoded-words of at most 75
// characters each, separated by spaces (which decoders drop between
// adjacent encoded-words, RFC 2047 §6.2, and the folder may break at).
// The words are meant for unstructured text such as Subject (§5 rule 1):
// printable ASCII other than "=", "?" and "_" stays literal, a space
// becomes "_", anything else is =XX; a UTF-8 sequence is never split.
func encodeWords(s string) string {
	const prefix, suffix = "=?utf-8?q?", "?="
	const maxWord = 75
	var b, word strings.Builder
	flush := func() {
		if word.Len() == 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(prefix + word.String() + suffix)
		word.Reset()
	}
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r > ' ' && r <= '~' && r != '=' && r != '?' && r != '_':
			enc = string(r)
		default:
			var buf [utf8.UTFMax]byte
			n := utf8.EncodeRune(buf[:], r)
			var e strings.Builder
			for _, c := range buf[:n] {
				e.WriteByte('=')
				e.WriteByte("0123456789ABCDEF"[c>>4])
				e.WriteByte("0123456789ABCDEF"[c&15])
			}
			enc = e.String()
		}
		if len(prefix)+word.Len()+len(enc)+len(suffix) > maxWord {
			flush()
		}
		word.WriteString(enc)
	}
	flush()
	return b.String()
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

// fieldFits reports whether writeField(b, name, value) keeps every line
// within hardLineLimit (RFC 5322 §2.1.1). writeField folds only at
// spaces and puts a token that does not fit within lineLimit on a line of
// its own, so the longest line is the field name with the first token, or
// a space with a later one.
func fieldFits(name, value string) bool {
	first, rest, _ := strings.Cut(value, " ")
	return len(name)+len(": ")+len(first) <= hardLineLimit && len(" ")+longestToken(rest) <= hardLineLimit
}

// longestToken returns the length of the longest space-free run in s.
func longestToken(s string) int {
	m := 0
	for _, t := range strings.Split(s, " ") {
		m = max(m, len(t))
	}
	return m
}
