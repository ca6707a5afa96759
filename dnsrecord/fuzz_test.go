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
		if a.RUA[i] != b.RUA[i] {
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

// FuzzLint checks Lint on sets of TXT strings: the input is split at
// "\x1e" (ASCII record separator), so a seed without one is a single
// string. Lint has an error exactly when Select fails, every string's own
// advice has an error exactly when Parse fails, and every diagnostic
// points into its string.
func FuzzLint(f *testing.F) {
	for _, tt := range lintCodes {
		f.Add(tt.in)
	}
	for _, tt := range invalidRecords {
		f.Add(tt.in)
	}
	for _, tt := range lintSets {
		f.Add(strings.Join(tt.txts, "\x1e"))
	}
	f.Fuzz(func(t *testing.T, in string) {
		txts := strings.Split(in, "\x1e")
		for _, txt := range txts {
			_, err := Parse(txt)
			if raw := lint(txt); hasError(raw) != (err != nil) {
				t.Fatalf("lint(%q) = %v disagrees with Parse error %v", txt, raw, err)
			}
		}
		ds := Lint(txts...)
		_, err := Select(txts, nil)
		if hasError(ds) != (err != nil) {
			t.Fatalf("Lint(%q) = %v disagrees with Select error %v", txts, ds, err)
		}
		for i, d := range ds {
			if d.Code == "" || d.Message == "" || d.Fix == "" || d.Index < 0 || d.Index >= len(txts) ||
				d.Offset < 0 || d.Offset > len(txts[d.Index]) {
				t.Fatalf("Lint(%q): bad diagnostic %+v", txts, d)
			}
			if i > 0 && (d.Index < ds[i-1].Index || d.Index == ds[i-1].Index && d.Offset < ds[i-1].Offset) {
				t.Fatalf("Lint(%q): diagnostics out of order: %v", txts, ds)
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
