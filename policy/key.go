package policy

import (
	"encoding/binary"
	"slices"
	"strings"
	"unsafe"
)

// Key returns a string that identifies p for aggregation: two policies
// have the same Key exactly when they describe the same applied policy.
//
//   - The policy-domain and the mx-host entries compare case-insensitively
//     (ASCII) and ignore a trailing dot on the domain.
//   - For tlsa the RR order is irrelevant (an RRset is unordered) and the
//     strings compare case-insensitively, so "3 1 1 AB12" (as Microsoft
//     sends it) equals "3 1 1 ab12".
//   - For sts and any other type the policy-string elements keep their
//     order and case.
//   - nil and empty slices are the same.
//
// Every element is length-prefixed, so no choice of strings can make two
// different policies collide. The Key is deterministic, but its encoding
// may change between versions of this package: compare Keys made by the
// same version, do not persist them, and do not show them to people.
func (p Policy) Key() string {
	domain := strings.TrimSuffix(p.Domain, ".")
	n := 3*binary.MaxVarintLen64 + len(p.Type) + len(domain)
	for _, s := range p.Strings {
		n += binary.MaxVarintLen64 + len(s)
	}
	for _, s := range p.MXHosts {
		n += binary.MaxVarintLen64 + len(s)
	}
	b := make([]byte, 0, n)
	b = appendKeyString(b, string(p.Type), false)
	b = appendKeyString(b, domain, true)
	b = binary.AppendUvarint(b, uint64(len(p.Strings)))
	if p.Type == TypeTLSA && len(p.Strings) > 1 {
		var buf [16]int
		idx := buf[:0]
		if len(p.Strings) > len(buf) {
			idx = make([]int, 0, len(p.Strings))
		}
		for i := range p.Strings {
			idx = append(idx, i)
		}
		strs := p.Strings
		slices.SortFunc(idx, func(a, b int) int { return compareFold(strs[a], strs[b]) })
		for _, i := range idx {
			b = appendKeyString(b, strs[i], true)
		}
	} else {
		fold := p.Type == TypeTLSA
		for _, s := range p.Strings {
			b = appendKeyString(b, s, fold)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(p.MXHosts)))
	for _, s := range p.MXHosts {
		b = appendKeyString(b, s, true)
	}
	// Sound for the same reason as strings.Builder.String: b was made
	// above, no other reference to its array exists, and nothing writes to
	// it after this line, so the bytes are immutable from here on. This
	// saves the copy string(b) would make (Key is computed for every
	// policy an aggregator interns or a report validates).
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func appendKeyString(b []byte, s string, fold bool) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	if !fold || !hasUpperASCII(s) {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		b = append(b, lowerASCII(s[i]))
	}
	return b
}

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// compareFold compares a and b as lowerASCII would map them.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := lowerASCII(a[i]), lowerASCII(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}
