package dnsrecord

// Byte classes for the RFC 8460 §3 ABNF and the RFC 3986 URI grammar,
// looked up in one table so that Parse validates a byte with one load.
const (
	cScheme   = 1 << iota // RFC 3986 §3.1 scheme: ALPHA / DIGIT / "+" / "-" / "."
	cPchar                // RFC 3986 §3.3 pchar minus "%" and minus "," "!" ";" (RFC 8460 §3 tlsrpt-uri)
	cRegName              // RFC 3986 §3.2.2 reg-name minus "%" (and minus "," "!" ";")
	cUserinfo             // RFC 3986 §3.2.1 userinfo minus "%" (and minus "," "!" ";")
	cExtName              // RFC 8460 §3 tlsrpt-ext-name: ALPHA / DIGIT / "_" / "-" / "."
	cExtValue             // RFC 8460 §3 tlsrpt-ext-value: %x21-3A / %x3C / %x3E-7E
	cHex                  // HEXDIG
)

// byteClass maps a byte to its classes. It is computed once and never
// written afterwards.
var byteClass = makeByteClass()

func makeByteClass() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		alpha := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
		digit := b >= '0' && b <= '9'
		unreserved := alpha || digit || b == '-' || b == '.' || b == '_' || b == '~'
		// RFC 3986 §2.2 sub-delims without "!" "," ";", which RFC 8460 §3
		// requires to be percent-encoded inside a tlsrpt-uri.
		subDelims := b == '$' || b == '&' || b == '\'' || b == '(' || b == ')' || b == '*' || b == '+' || b == '='
		if alpha || digit || b == '+' || b == '-' || b == '.' {
			t[c] |= cScheme
		}
		if unreserved || subDelims || b == ':' || b == '@' {
			t[c] |= cPchar
		}
		if unreserved || subDelims {
			t[c] |= cRegName
		}
		if unreserved || subDelims || b == ':' {
			t[c] |= cUserinfo
		}
		if alpha || digit || b == '_' || b == '-' || b == '.' {
			t[c] |= cExtName
		}
		if b >= 0x21 && b <= 0x7e && b != ';' && b != '=' {
			t[c] |= cExtValue
		}
		if digit || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' {
			t[c] |= cHex
		}
	}
	return t
}

func isAlpha(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

func isWSP(b byte) bool { return b == ' ' || b == '\t' }

// describe names a byte that is not allowed where it was found, for
// SyntaxError reasons.
func describe(b byte) string {
	switch {
	case b >= 0x80:
		return "non-ASCII byte"
	case b < 0x20 || b == 0x7f:
		return "control character"
	case b == ' ':
		return "space"
	}
	return "character '" + string(rune(b)) + "'"
}
