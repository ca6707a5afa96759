package policy

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
)

// Usage is the certificate usage field of a TLSA record (RFC 6698 §2.1.1). It prints
// as its decimal value, as in the presentation form; the constants name
// the RFC 7218 mnemonics.
type Usage uint8

// The certificate usages of RFC 6698 §2.1.1, with their RFC 7218 names.
const (
	UsagePKIXTA Usage = 0 // PKIX-TA: CA constraint
	UsagePKIXEE Usage = 1 // PKIX-EE: service certificate constraint
	UsageDANETA Usage = 2 // DANE-TA: trust anchor assertion
	UsageDANEEE Usage = 3 // DANE-EE: domain-issued certificate
)

// Selector is the selector field of a TLSA record (RFC 6698 §2.1.2). It prints
// as its decimal value, as in the presentation form; the constants name
// the RFC 7218 mnemonics.
type Selector uint8

// The selectors of RFC 6698 §2.1.2, with their RFC 7218 names.
const (
	SelectorCert Selector = 0 // Cert: the full certificate
	SelectorSPKI Selector = 1 // SPKI: the SubjectPublicKeyInfo
)

// MatchingType is the matching type field of a TLSA record (RFC 6698
// §2.1.3). It prints as its decimal value, as in the presentation form;
// the constants name the RFC 7218 mnemonics.
type MatchingType uint8

// The matching types of RFC 6698 §2.1.3, with their RFC 7218 names.
const (
	MatchingFull   MatchingType = 0 // Full: exact match
	MatchingSHA256 MatchingType = 1 // SHA2-256
	MatchingSHA512 MatchingType = 2 // SHA2-512
)

// TLSA is one TLSA resource record's data (RFC 6698 §2.1): the DANE
// policy of an MX host is the RRset at _25._tcp.<host> (RFC 7672).
type TLSA struct {
	Usage        Usage        // certificate usage (RFC 6698 §2.1.1)
	Selector     Selector     // which part of the certificate is matched (§2.1.2)
	MatchingType MatchingType // how the data is compared (§2.1.3)
	// Data is the certificate association data (binary, not hex).
	Data []byte
}

// String returns the RR in RFC 6698 §2.2 presentation form as RFC 8460
// §4.5 wants it in a report: the three fields in decimal and the data as
// contiguous lower-case hex, separated by single spaces, e.g.
// "3 1 1 2bb1...". ParseTLSA(t.String()) returns t, and no Diagnostics,
// when Data is not empty. Two RRs are equal when their Strings are.
func (t TLSA) String() string {
	b := make([]byte, 0, 12+2*len(t.Data))
	return string(t.appendText(b))
}

func (t TLSA) appendText(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(t.Usage), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(t.Selector), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(t.MatchingType), 10)
	b = append(b, ' ')
	return hex.AppendEncode(b, t.Data)
}

// The codes of the Diagnostics ParseTLSA returns. They are stable: tools
// may match on them.
const (
	// CodeTLSAStringFormat (warning): ParseTLSA read a TLSA RR although it
	// is not in the RFC 8460 §4.5 presentation form; package report's
	// Decoder uses the same code for the same repair.
	CodeTLSAStringFormat tlsrpt.Code = "tlsa-string-format"
	// CodeTLSASyntax (error): the string is not a TLSA RR in RFC 6698
	// §2.2 presentation form at all; ParseTLSA, FromTLSA and
	// Policy.TLSARecords return it as a *tlsrpt.Diagnostic.
	CodeTLSASyntax tlsrpt.Code = "tlsa-syntax"
)

// ParseTLSA parses one TLSA RR in RFC 6698 §2.2 presentation form: three
// unsigned decimal fields 0..255 and the certificate association data as
// an even number of hex digits (either case). RFC 8460 §4.5 requires this
// form in a report's policy-string, with single spaces between the fields,
// no whitespace inside the data, no grouping parentheses and nothing
// before or after; such a string parses with no Diagnostics.
//
// ParseTLSA also reads the forms DNS zone files and tools write (RFC 6698
// §2.2): any run of spaces and tabs between the fields and around the
// text, whitespace (line breaks included) inside the hex data, and the
// data wrapped in grouping parentheses. It returns one SeverityWarning
// Diagnostic with CodeTLSAStringFormat per such deviation, with the byte
// Offset in s and the canonical form as Fix, so that a strict reader
// rejects a string exactly when the error is non-nil or the Diagnostics
// are not empty. Anything else, such as RFC 7218 mnemonics ("DANE-EE")
// instead of numbers, a value above 255 or an invalid or odd number of hex
// digits, is an error: a *tlsrpt.Diagnostic with the byte Offset in s,
// CodeTLSASyntax and Severity error.
//
// ParseTLSA checks syntax only: a SHA2-256 digest of the wrong length
// parses (RFC 7671 §5 makes such a record unusable, not malformed).
func ParseTLSA(s string) (TLSA, []tlsrpt.Diagnostic, error) {
	var t TLSA
	var ds []tlsrpt.Diagnostic
	repair := func(off int, msg string) {
		ds = append(ds, tlsrpt.Diagnostic{Offset: off, Code: CodeTLSAStringFormat, Severity: tlsrpt.SeverityWarning, Message: msg})
	}
	i := 0
	if i < len(s) && isWSP(s[i]) {
		repair(0, "whitespace before the certificate usage")
		for i < len(s) && isWSP(s[i]) {
			i++
		}
	}
	// sep consumes the whitespace after field f, which must be there.
	sep := func(after string) error {
		if i >= len(s) || !isWSP(s[i]) {
			return tlsaErr(s, i, "expected a single space "+after)
		}
		switch {
		case s[i] == '\t':
			repair(i, "a tab instead of a single space "+after)
		case i+1 < len(s) && isWSP(s[i+1]):
			repair(i+1, "more than one space "+after)
		}
		for i < len(s) && isWSP(s[i]) {
			i++
		}
		return nil
	}
	var fields [3]uint8
	for f := range fields {
		if f > 0 {
			if err := sep("after field " + strconv.Itoa(f)); err != nil {
				return TLSA{}, nil, err
			}
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			if j < len(s) && isAlnum(s[j]) {
				k := j
				for k < len(s) && !isWSP(s[k]) {
					k++
				}
				if v, ok := tlsaMnemonic(f, s[j:k]); ok {
					return TLSA{}, nil, tlsaSyntaxError(j, "RFC 7218 mnemonic "+strconv.Quote(s[j:k])+" is not the presentation form; write "+strconv.Itoa(v))
				}
			}
			return TLSA{}, nil, tlsaErr(s, j, "expected an unsigned decimal number for "+tlsaFieldName[f])
		}
		if j-i > 3 {
			return TLSA{}, nil, tlsaSyntaxError(i, tlsaFieldName[f]+" "+s[i:j]+" is larger than 255")
		}
		n, _ := strconv.Atoi(s[i:j])
		if n > 255 {
			return TLSA{}, nil, tlsaSyntaxError(i, tlsaFieldName[f]+" "+s[i:j]+" is larger than 255")
		}
		fields[f] = uint8(n)
		i = j
	}
	t.Usage, t.Selector, t.MatchingType = Usage(fields[0]), Selector(fields[1]), MatchingType(fields[2])
	if err := sep("before the certificate association data"); err != nil {
		return TLSA{}, nil, err
	}
	// The data is s[i:end]; RFC 6698 §2.2 zone files may group it in
	// parentheses and split it with whitespace.
	end := len(s)
	for end > i && isSpace(s[end-1]) {
		end--
	}
	if end < len(s) {
		repair(end, "whitespace after the certificate association data")
	}
	if end-i >= 2 && s[i] == '(' && s[end-1] == ')' {
		repair(i, "grouping parentheses around the certificate association data (RFC 8460 §4.5)")
		i++
		end--
	}
	digits, inner := 0, false
	for k := i; k < end; k++ {
		c := s[k]
		switch {
		case hexVal(c) >= 0:
			digits++
		case isSpace(c):
			if !inner {
				inner = true
				repair(k, "whitespace inside the certificate association data (RFC 8460 §4.5)")
			}
		case c == '(' || c == ')':
			return TLSA{}, nil, tlsaSyntaxError(k, "misplaced parenthesis in the certificate association data")
		default:
			return TLSA{}, nil, tlsaSyntaxError(k, "invalid hex digit "+quoteByte(c)+" in the certificate association data")
		}
	}
	if digits == 0 {
		return TLSA{}, nil, tlsaSyntaxError(i, "missing certificate association data")
	}
	if digits%2 != 0 {
		return TLSA{}, nil, tlsaSyntaxError(end, "odd number of hex digits in the certificate association data")
	}
	t.Data = make([]byte, 0, digits/2)
	hi := -1
	for k := i; k < end; k++ {
		v := hexVal(s[k])
		switch {
		case v < 0:
		case hi < 0:
			hi = v
		default:
			t.Data = append(t.Data, byte(hi<<4|v))
			hi = -1
		}
	}
	if len(ds) > 0 {
		fix := "write " + strconv.Quote(t.String())
		for k := range ds {
			ds[k].Fix = fix
		}
	}
	return t, ds, nil
}

// isSpace reports whether c is whitespace a zone file may put inside the
// data of a record: SP, HTAB, CR or LF.
func isSpace(c byte) bool { return isWSP(c) || c == '\r' || c == '\n' }

var tlsaFieldName = [3]string{"certificate usage", "selector", "matching type"}

func tlsaErr(s string, i int, reason string) error {
	if i >= len(s) {
		return tlsaSyntaxError(i, reason+", found end of text")
	}
	return tlsaSyntaxError(i, reason+", found "+quoteByte(s[i]))
}

// tlsaMnemonic maps an RFC 7218 mnemonic for field f to its number.
func tlsaMnemonic(f int, s string) (int, bool) {
	var names []string
	switch f {
	case 0:
		names = []string{"PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE"}
		if strings.EqualFold(s, "PrivCert") {
			return 255, true
		}
	case 1:
		names = []string{"Cert", "SPKI"}
		if strings.EqualFold(s, "PrivSel") {
			return 255, true
		}
	case 2:
		names = []string{"Full", "SHA2-256", "SHA2-512"}
		if strings.EqualFold(s, "PrivMatch") {
			return 255, true
		}
	}
	for v, n := range names {
		if strings.EqualFold(s, n) {
			return v, true
		}
	}
	return 0, false
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
