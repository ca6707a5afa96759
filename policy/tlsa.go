package policy

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"strings"
)

// Usage is the certificate usage field of a TLSA record (RFC 6698 §2.1.1).
type Usage uint8

// The certificate usages of RFC 6698 §2.1.1, with their RFC 7218 names.
const (
	UsagePKIXTA Usage = 0 // PKIX-TA: CA constraint
	UsagePKIXEE Usage = 1 // PKIX-EE: service certificate constraint
	UsageDANETA Usage = 2 // DANE-TA: trust anchor assertion
	UsageDANEEE Usage = 3 // DANE-EE: domain-issued certificate
)

// Selector is the selector field of a TLSA record (RFC 6698 §2.1.2).
type Selector uint8

// The selectors of RFC 6698 §2.1.2, with their RFC 7218 names.
const (
	SelectorCert Selector = 0 // Cert: the full certificate
	SelectorSPKI Selector = 1 // SPKI: the SubjectPublicKeyInfo
)

// MatchingType is the matching type field of a TLSA record (RFC 6698
// §2.1.3).
type MatchingType uint8

// The matching types of RFC 6698 §2.1.3, with their RFC 7218 names.
const (
	MatchingFull   MatchingType = 0 // Full: exact match
	MatchingSHA256 MatchingType = 1 // SHA2-256
	MatchingSHA512 MatchingType = 2 // SHA2-512
)

// String returns the RFC 7218 mnemonic (PKIX-TA, PKIX-EE, DANE-TA,
// DANE-EE, PrivCert) or the decimal value for an unassigned usage.
func (u Usage) String() string {
	switch u {
	case UsagePKIXTA:
		return "PKIX-TA"
	case UsagePKIXEE:
		return "PKIX-EE"
	case UsageDANETA:
		return "DANE-TA"
	case UsageDANEEE:
		return "DANE-EE"
	case 255:
		return "PrivCert"
	}
	return strconv.Itoa(int(u))
}

// String returns the RFC 7218 mnemonic (Cert, SPKI, PrivSel) or the
// decimal value for an unassigned selector.
func (s Selector) String() string {
	switch s {
	case SelectorCert:
		return "Cert"
	case SelectorSPKI:
		return "SPKI"
	case 255:
		return "PrivSel"
	}
	return strconv.Itoa(int(s))
}

// String returns the RFC 7218 mnemonic (Full, SHA2-256, SHA2-512,
// PrivMatch) or the decimal value for an unassigned matching type.
func (m MatchingType) String() string {
	switch m {
	case MatchingFull:
		return "Full"
	case MatchingSHA256:
		return "SHA2-256"
	case MatchingSHA512:
		return "SHA2-512"
	case 255:
		return "PrivMatch"
	}
	return strconv.Itoa(int(m))
}

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
// "3 1 1 2bb1...". ParseTLSA(t.String()) equals t when Data is not empty.
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

// Equal reports whether t and u are the same RR.
func (t TLSA) Equal(u TLSA) bool {
	return t.Usage == u.Usage && t.Selector == u.Selector && t.MatchingType == u.MatchingType && bytes.Equal(t.Data, u.Data)
}

// ParseTLSA parses one TLSA RR in the presentation form RFC 8460 §4.5
// requires in a report's policy-string (RFC 6698 §2.2): three unsigned
// decimal fields 0..255 and the certificate association data as an even
// number of hex digits (either case), separated by single spaces, with no
// whitespace inside the data, no grouping parentheses and nothing before or
// after. RFC 7218 mnemonics ("DANE-EE") are not the presentation form and
// are rejected. Problems are *SyntaxError.
//
// ParseTLSA checks syntax only: a SHA2-256 digest of the wrong length
// parses (RFC 7671 §5 makes such a record unusable, not malformed).
func ParseTLSA(s string) (TLSA, error) {
	return parseTLSA(s, false)
}

// ParseTLSALenient parses a TLSA RR as a DNS zone file would write it:
// like ParseTLSA but allowing any run of spaces and tabs between fields
// and around the text, whitespace inside the hex data, and the data
// wrapped in grouping parentheses, as RFC 6698 §2.2 allows in zone files.
// RFC 7218 mnemonics are still rejected.
func ParseTLSALenient(s string) (TLSA, error) {
	return parseTLSA(s, true)
}

func parseTLSA(s string, lenient bool) (TLSA, error) {
	var t TLSA
	i := 0
	skip := func() {
		for lenient && i < len(s) && isWSP(s[i]) {
			i++
		}
	}
	skip()
	var fields [3]uint8
	for f := range fields {
		if f > 0 {
			if i >= len(s) || s[i] != ' ' && !(lenient && s[i] == '\t') {
				return t, tlsaErr(s, i, "expected a single space after field "+strconv.Itoa(f))
			}
			i++
			skip()
			if !lenient && i < len(s) && isWSP(s[i]) {
				return t, &SyntaxError{Offset: i, Reason: "more than one space between fields"}
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
					return t, &SyntaxError{Offset: j, Reason: "RFC 7218 mnemonic " + strconv.Quote(s[j:k]) + " is not the presentation form; write " + strconv.Itoa(v)}
				}
			}
			return t, tlsaErr(s, j, "expected an unsigned decimal number for "+tlsaFieldName[f])
		}
		if j-i > 3 {
			return t, &SyntaxError{Offset: i, Reason: tlsaFieldName[f] + " " + s[i:j] + " is larger than 255"}
		}
		n, _ := strconv.Atoi(s[i:j])
		if n > 255 {
			return t, &SyntaxError{Offset: i, Reason: tlsaFieldName[f] + " " + s[i:j] + " is larger than 255"}
		}
		fields[f] = uint8(n)
		i = j
	}
	t.Usage, t.Selector, t.MatchingType = Usage(fields[0]), Selector(fields[1]), MatchingType(fields[2])
	if i >= len(s) || s[i] != ' ' && !(lenient && s[i] == '\t') {
		return t, tlsaErr(s, i, "expected a single space before the certificate association data")
	}
	i++
	skip()
	if !lenient && i < len(s) && isWSP(s[i]) {
		return t, &SyntaxError{Offset: i, Reason: "more than one space between fields"}
	}
	data := s[i:]
	base := i
	if lenient {
		// RFC 6698 §2.2: zone files may split the hex with whitespace and
		// group it in parentheses.
		data = strings.TrimRight(data, " \t")
		if strings.HasPrefix(data, "(") && strings.HasSuffix(data, ")") {
			data = data[1 : len(data)-1]
			base++
		}
		var b strings.Builder
		for k := 0; k < len(data); k++ {
			if c := data[k]; !isWSP(c) && c != '\n' && c != '\r' {
				b.WriteByte(c)
			}
		}
		if b.Len() != len(data) {
			data = b.String()
			base = -1 // offsets inside the data no longer map to s
		}
	}
	if data == "" {
		return t, &SyntaxError{Offset: i, Reason: "missing certificate association data"}
	}
	for k := 0; k < len(data); k++ {
		c := data[k]
		if hexVal(c) < 0 {
			off := i
			if base >= 0 {
				off = base + k
			}
			switch {
			case isWSP(c) || c == '\n' || c == '\r':
				return t, &SyntaxError{Offset: off, Reason: "whitespace inside the certificate association data (RFC 8460 §4.5)"}
			case c == '(' || c == ')':
				return t, &SyntaxError{Offset: off, Reason: "grouping parentheses in the certificate association data (RFC 8460 §4.5)"}
			}
			return t, &SyntaxError{Offset: off, Reason: "invalid hex digit " + quoteByte(c) + " in the certificate association data"}
		}
	}
	if len(data)%2 != 0 {
		return t, &SyntaxError{Offset: len(s), Reason: "odd number of hex digits in the certificate association data"}
	}
	t.Data = make([]byte, len(data)/2)
	for k := range t.Data {
		t.Data[k] = byte(hexVal(data[2*k])<<4 | hexVal(data[2*k+1]))
	}
	return t, nil
}

var tlsaFieldName = [3]string{"certificate usage", "selector", "matching type"}

func tlsaErr(s string, i int, reason string) error {
	if i >= len(s) {
		return &SyntaxError{Offset: i, Reason: reason + ", found end of text"}
	}
	return &SyntaxError{Offset: i, Reason: reason + ", found " + quoteByte(s[i])}
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
