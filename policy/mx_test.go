package policy

import "testing"

func TestMatchMX(t *testing.T) {
	tests := []struct {
		name, pattern, host string
		want                bool
		reason              string
	}{
		{name: "equal", pattern: "mail.example.com", host: "mail.example.com", want: true},
		{name: "case", pattern: "mail.example.com", host: "MAIL.Example.COM", want: true},
		{name: "pattern case", pattern: "MAIL.example.com", host: "mail.example.com", want: true},
		{name: "trailing dot on host", pattern: "mail.example.com", host: "mail.example.com.", want: true, reason: "MX targets come from DNS with a dot"},
		{name: "different", pattern: "mail.example.com", host: "mail2.example.com"},
		{name: "suffix only", pattern: "example.com", host: "mail.example.com", reason: "a plain pattern is exact"},
		{name: "wildcard one label", pattern: "*.example.com", host: "mail.example.com", want: true},
		{name: "wildcard upper host", pattern: "*.example.com", host: "MX1.EXAMPLE.COM.", want: true},
		{name: "wildcard not apex", pattern: "*.example.com", host: "example.com", reason: "RFC 8461 §4.1"},
		{name: "wildcard not two labels", pattern: "*.example.com", host: "a.b.example.com", reason: "RFC 8461 §4.1"},
		{name: "wildcard not suffix trick", pattern: "*.example.com", host: "mail.badexample.com"},
		{name: "wildcard empty label", pattern: "*.example.com", host: ".example.com"},
		{name: "migadu", pattern: "*.migadu.com", host: "aspmx1.migadu.com", want: true},
		{name: "u-label host", pattern: "mx.xn--gpher-jua.test", host: "mx.göpher.test", want: true},
		{name: "invalid host", pattern: "a.example", host: "a..example"},
		{name: "wildcard host", pattern: "*.example.com", host: "*.example.com", reason: "a host is never a pattern"},
		{name: "empty host", pattern: "a.example", host: ""},
		{name: "malformed pattern", pattern: "*example.com", host: "aexample.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &STSPolicy{Mode: ModeEnforce, MX: []string{tt.pattern}}
			if got := p.MatchMX(tt.host); got != tt.want {
				t.Errorf("MatchMX(%q) with pattern %q = %v, want %v (%s)", tt.host, tt.pattern, got, tt.want, tt.reason)
			}
			p.MX = []string{"unrelated.example", tt.pattern}
			if got := p.MatchMX(tt.host); got != tt.want {
				t.Errorf("MatchMX(%q) with %q = %v, want %v", tt.host, p.MX, got, tt.want)
			}
		})
	}
}
