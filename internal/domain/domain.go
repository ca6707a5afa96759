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

// isLowerASCIIHost reports whether name is already a lower-case LDH name
// with non-empty labels of at most 63 octets, so the IDNA path can be
// skipped (the common case, and allocation-free).
func isLowerASCIIHost(name string) bool {
	if len(name) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			label++
		case c == '-':
			if label == 0 || i+1 == len(name) || name[i+1] == '.' {
				return false
			}
			label++
		case c == '.':
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
	return label > 0 && !strings.Contains(name, "xn--")
}

// IsSubdomainOrEqual reports whether child equals parent or lies below it.
// Both must already be normalised by ToASCII.
func IsSubdomainOrEqual(child, parent string) bool {
	if child == parent {
		return true
	}
	return strings.HasSuffix(child, "."+parent)
}
