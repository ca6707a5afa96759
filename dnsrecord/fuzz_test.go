package dnsrecord

import (
	"errors"
	"strings"
	"testing"
)

// equalRecords compares two records field by field.
func equalRecords(a, b *Record) bool {
	if len(a.RUA) != len(b.RUA) || len(a.Extensions) != len(b.Extensions) {
		return false
	}
	for i := range a.RUA {
		if !a.RUA[i].Equal(b.RUA[i]) {
			return false
		}
	}
	for i := range a.Extensions {
		if a.Extensions[i] != b.Extensions[i] {
			return false
		}
	}
	return true
}

func FuzzParse(f *testing.F) {
	for _, tt := range validRecords {
		f.Add(tt.in)
	}
	for _, tt := range invalidRecords {
		f.Add(tt.in)
	}
	for _, tt := range lintCodes {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		r, err := Parse(txt)
		if err != nil {
			if r != nil {
				t.Fatalf("Parse(%q) returned a record and error %v", txt, err)
			}
			var se *SyntaxError
			switch {
			case errors.Is(err, ErrNotTLSRPT):
			case errors.As(err, &se):
				if se.Offset < 0 || se.Offset > len(txt) || se.Reason == "" {
					t.Fatalf("Parse(%q): bad SyntaxError %+v", txt, se)
				}
			default:
				t.Fatalf("Parse(%q): error of type %T", txt, err)
			}
			return
		}
		if len(r.RUA) == 0 || !strings.HasPrefix(txt, Version) {
			t.Fatalf("Parse(%q) accepted a record without rua or version: %v", txt, r)
		}
		s := r.String()
		r2, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", txt, s, err)
		}
		if !equalRecords(r, r2) {
			t.Fatalf("Parse(%q) = %v, Parse(String()) = %v", txt, r, r2)
		}
		if s2 := r2.String(); s2 != s {
			t.Fatalf("String is not a fixed point: %q then %q", s, s2)
		}
		for _, u := range r.RUA {
			if _, err := ParseURI(u.String()); err != nil {
				t.Fatalf("URI %q from Parse fails ParseURI: %v", u, err)
			}
			if sc := u.Scheme(); sc == "" || sc != strings.ToLower(sc) {
				t.Fatalf("URI %q: Scheme() = %q", u, sc)
			}
			// The lazily computed forms must not panic.
			u.Address()
			u.Domain()
			u.URL()
		}
	})
}

func FuzzLint(f *testing.F) {
	for _, tt := range lintCodes {
		f.Add(tt.in)
	}
	for _, tt := range invalidRecords {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		_, err := Parse(txt)
		raw := lint(txt)
		if hasErrorFinding(raw) != (err != nil) {
			t.Fatalf("lint(%q) = %v disagrees with Parse error %v", txt, raw, err)
		}
		fs := Lint(txt)
		if hasErrorFinding(fs) != (err != nil) {
			t.Fatalf("Lint(%q) = %v disagrees with Parse error %v", txt, fs, err)
		}
		for _, f := range fs {
			if f.Code == "" || f.Message == "" || f.Fix == "" || f.Offset < 0 || f.Offset > len(txt) {
				t.Fatalf("Lint(%q): bad finding %+v", txt, f)
			}
		}
	})
}

func FuzzMailtoURI(f *testing.F) {
	for _, s := range []string{"a@example.com", "a,b!c;d@example.com", "x%y?z&w=v@example.com", "\"a@b\"@example.com", "jörg@bücher.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		u, err := MailtoURI(addr)
		if err != nil {
			return
		}
		got, err := u.Address()
		if err != nil || got != addr {
			t.Fatalf("MailtoURI(%q) = %q; Address() = %q, %v", addr, u, got, err)
		}
		r, err := Parse(Version + "; rua=" + u.String())
		if err != nil || len(r.RUA) != 1 || r.RUA[0] != u {
			t.Fatalf("MailtoURI(%q) = %q does not parse in a record: %v", addr, u, err)
		}
	})
}
