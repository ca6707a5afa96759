// Package domain normalises DNS domain names for the tlsrpt packages: every
// domain the SDK stores or emits is a lower-case A-label without a trailing
// dot (RFC 8460 §4.4 and §5.1 require A-labels).
package domain

import (
	"errors"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// lookup is IDNA 2008 lookup processing (as idna.Lookup) that also rejects
// empty labels and over-long names.
var lookup = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true))

// ErrEmpty is returned by ToASCII for an empty name.
var ErrEmpty = errors.New("domain: empty name")

// ErrEmptyLabel is returned by ToASCII for a name with an empty label.
var ErrEmptyLabel = errors.New("domain: empty label")

// ErrInvalidUTF8 is returned by ToASCII for a name that is not valid UTF-8
// (IDNA mapping would otherwise turn the bad bytes into U+FFFD).
var ErrInvalidUTF8 = errors.New("domain: name is not valid UTF-8")

// ToASCII returns name as a lower-case A-label domain without a trailing
// dot, converting U-labels with IDNA 2008 lookup rules (idna.Lookup).
// It fails for names that are not valid host names.
func ToASCII(name string) (string, error) {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return "", ErrEmpty
	}
	if strings.HasSuffix(name, ".") {
		return "", ErrEmptyLabel
	}
	if isLowerASCIIHost(name) {
		return name, nil
	}
	if !utf8.ValidString(name) {
		return "", ErrInvalidUTF8
	}
	a, err := lookup.ToASCII(name)
	if err != nil {
		return "", err
	}
	return strings.ToLower(a), nil
}

// Canonical returns name as a lower-case A-label without a trailing dot,
// as ToASCII does, and fails unless the result is itself such a name
// (ToASCII of it gives it back): the one check of "a host name the SDK may
// store or emit". It does not allocate for a name already in that form.
func Canonical(name string) (string, error) {
	if isLowerASCIIHost(name) {
		return name, nil
	}
	a, err := ToASCII(name)
	if err != nil {
		return "", err
	}
	if a != name {
		if b, err := ToASCII(a); err != nil || b != a {
			return "", errors.New("domain: " + name + " does not convert to a valid A-label")
		}
	}
	return a, nil
}

// IsCanonical reports whether name is already a lower-case A-label
// without a trailing dot (Canonical returns it unchanged).
func IsCanonical(name string) bool {
	a, err := Canonical(name)
	return err == nil && a == name
}

// isLowerASCIIHost reports whether name is already a lower-case LDH name:
// labels of 1 to 63 octets with no hyphen at either end, at most 253
// octets, no trailing dot, and no label starting "xn--" (an A-label must go
// through IDNA to be checked). It is the allocation-free fast path of
// ToASCII and Canonical, checked in one pass over a byte-class table.
func isLowerASCIIHost(name string) bool {
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

// Byte classes of isLowerASCIIHost, as digits of hostClass.
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

// IsSubdomainOrEqual reports whether child equals parent or lies below it.
// Both must already be normalised by ToASCII.
func IsSubdomainOrEqual(child, parent string) bool {
	if child == parent {
		return true
	}
	return strings.HasSuffix(child, "."+parent)
}
