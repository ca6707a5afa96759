package policy

import (
	"slices"
	"strings"
)

// Key returns a string that identifies p for aggregation: two policies
// have the same Key exactly when they describe the same applied policy.
// For tlsa the RR order is irrelevant (an RRset is unordered) and the hex
// data is compared case-insensitively; for sts the policy lines keep their
// order. The Key is not meant to be shown to people.
func (p Policy) Key() string {
	strs := p.Strings
	if p.Type == TypeTLSA && len(strs) > 1 {
		strs = make([]string, len(p.Strings))
		for i, s := range p.Strings {
			strs[i] = strings.ToLower(s)
		}
		slices.Sort(strs)
	} else if p.Type == TypeTLSA && len(strs) == 1 {
		strs = []string{strings.ToLower(strs[0])}
	}
	var b strings.Builder
	b.WriteString(string(p.Type))
	b.WriteByte(0)
	b.WriteString(p.Domain)
	for _, s := range strs {
		b.WriteByte(0)
		b.WriteString(s)
	}
	b.WriteByte(1)
	for _, m := range p.MXHosts {
		b.WriteByte(0)
		b.WriteString(m)
	}
	return b.String()
}

// Equal reports whether p and q describe the same applied policy, as Key
// defines it.
func (p Policy) Equal(q Policy) bool {
	return p.Key() == q.Key()
}
