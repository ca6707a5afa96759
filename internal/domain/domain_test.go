package domain

import "testing"

func TestToASCII(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "lower", in: "example.com", want: "example.com"},
		{name: "upper", in: "Example.COM", want: "example.com"},
		{name: "trailing dot", in: "example.com.", want: "example.com"},
		{name: "u-label", in: "göpher.test", want: "xn--gpher-jua.test"},
		{name: "a-label kept", in: "xn--gpher-jua.test", want: "xn--gpher-jua.test"},
		{name: "empty", in: "", wantErr: true},
		{name: "empty label", in: "a..b", wantErr: true},
		{name: "space", in: "a b.example", wantErr: true},
		{name: "invalid utf-8", in: "\xff", wantErr: true},
		{name: "invalid utf-8 label", in: "a.\xffb.example", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ToASCII(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ToASCII(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ToASCII(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsSubdomainOrEqual(t *testing.T) {
	if !IsSubdomainOrEqual("mail.example.com", "example.com") || !IsSubdomainOrEqual("example.com", "example.com") {
		t.Error("subdomain not recognised")
	}
	if IsSubdomainOrEqual("badexample.com", "example.com") {
		t.Error("badexample.com is not below example.com")
	}
}

func FuzzToASCII(f *testing.F) {
	for _, s := range []string{"example.com", "Example.COM.", "göpher.test", "xn--gpher-jua.test", "a..b", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := ToASCII(in)
		if err != nil {
			return
		}
		// The result is a fixed point: already normalised.
		again, err := ToASCII(out)
		if err != nil || again != out {
			t.Fatalf("ToASCII(%q) = %q, but ToASCII(%q) = %q, %v", in, out, out, again, err)
		}
	})
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"mx1.example.com", "mx1.example.com", true},
		{"MX1.Example.COM", "mx1.example.com", true},
		{"mx1.example.com.", "mx1.example.com", true},
		{"bücher.example", "xn--bcher-kva.example", true},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", true},
		{"mx..example", "", false},
		{"-mx.example", "", false},
		{"mx\xff.example", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := Canonical(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if canon := IsCanonical(tt.in); canon != (tt.ok && tt.in == tt.want) {
			t.Errorf("IsCanonical(%q) = %v", tt.in, canon)
		}
	}
}
