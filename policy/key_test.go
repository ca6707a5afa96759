package policy

import (
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	sts := Policy{Type: TypeSTS, Domain: "example.com", Strings: []string{"version: STSv1", "mode: enforce", "mx: a.example.com", "max_age: 86400"}, MXHosts: []string{"a.example.com"}}
	tlsa := Policy{Type: TypeTLSA, Domain: "mx.example.com", Strings: []string{"3 1 1 " + hexB, "3 1 1 " + strings.ToLower(hexA)}}
	with := func(p Policy, f func(*Policy)) Policy {
		p.Strings = append([]string(nil), p.Strings...)
		p.MXHosts = append([]string(nil), p.MXHosts...)
		f(&p)
		return p
	}
	tests := []struct {
		name  string
		a, b  Policy
		equal bool
	}{
		{name: "identical", a: sts, b: with(sts, func(*Policy) {}), equal: true},
		{name: "domain case and dot", a: sts, b: with(sts, func(p *Policy) { p.Domain = "Example.COM." }), equal: true},
		{name: "mx-host case", a: sts, b: with(sts, func(p *Policy) { p.MXHosts[0] = "A.example.com" }), equal: true},
		{name: "nil vs empty", a: Policy{Type: TypeNoPolicyFound, Domain: "x"}, b: Policy{Type: TypeNoPolicyFound, Domain: "x", Strings: []string{}, MXHosts: []string{}}, equal: true},
		{name: "sts order matters", a: sts, b: with(sts, func(p *Policy) { p.Strings[2], p.Strings[3] = p.Strings[3], p.Strings[2] })},
		{name: "sts case matters", a: sts, b: with(sts, func(p *Policy) { p.Strings[1] = "mode: Enforce" })},
		{name: "different type", a: sts, b: with(sts, func(p *Policy) { p.Type = TypeTLSA })},
		{name: "different domain", a: sts, b: with(sts, func(p *Policy) { p.Domain = "example.net" })},
		{name: "mx-host missing", a: sts, b: with(sts, func(p *Policy) { p.MXHosts = nil }), equal: false},
		{name: "tlsa order", a: tlsa, b: with(tlsa, func(p *Policy) { p.Strings[0], p.Strings[1] = p.Strings[1], p.Strings[0] }), equal: true},
		{name: "tlsa hex case", a: tlsa, b: with(tlsa, func(p *Policy) { p.Strings[1] = strings.ToUpper(p.Strings[1]) }), equal: true},
		{name: "tlsa single hex case", a: Policy{Type: TypeTLSA, Strings: []string{"3 1 1 AB"}}, b: Policy{Type: TypeTLSA, Strings: []string{"3 1 1 ab"}}, equal: true},
		{name: "tlsa different rr", a: tlsa, b: with(tlsa, func(p *Policy) { p.Strings[1] = "3 1 1 00" })},
		{name: "tlsa subset", a: tlsa, b: with(tlsa, func(p *Policy) { p.Strings = p.Strings[:1] })},
		{name: "no separator collision", a: Policy{Type: TypeSTS, Strings: []string{"a", "b"}}, b: Policy{Type: TypeSTS, Strings: []string{"a\x00b"}}},
		{name: "strings vs mx-host", a: Policy{Type: TypeSTS, Strings: []string{"a"}}, b: Policy{Type: TypeSTS, MXHosts: []string{"a"}}},
		{name: "type vs domain boundary", a: Policy{Type: "ab", Domain: "c"}, b: Policy{Type: "a", Domain: "bc"}},
		{name: "many tlsa rrs", a: manyTLSA(40, false), b: manyTLSA(40, true), equal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Key() == tt.b.Key(); got != tt.equal {
				t.Errorf("Key equality = %v, want %v", got, tt.equal)
			}
			if got := tt.b.Key() == tt.a.Key(); got != tt.equal {
				t.Errorf("Key equality (reversed) = %v, want %v", got, tt.equal)
			}
		})
	}
	// Key must not modify the policy (it sorts a copy).
	before := append([]string(nil), tlsa.Strings...)
	_ = tlsa.Key()
	for i := range before {
		if tlsa.Strings[i] != before[i] {
			t.Fatal("Key reordered the caller's slice")
		}
	}
}

func manyTLSA(n int, reversed bool) Policy {
	p := Policy{Type: TypeTLSA, Domain: "mx.example"}
	for i := 0; i < n; i++ {
		j := i
		if reversed {
			j = n - 1 - i
		}
		p.Strings = append(p.Strings, "3 1 1 "+strings.Repeat(string(rune('a'+j%6)), j+2))
	}
	return p
}
