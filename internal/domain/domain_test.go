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
