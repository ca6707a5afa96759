package report

import "testing"

func TestContactDomain(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"mailto:tlsrpt@Mail.Sender.Example", "mail.sender.example"},
		{"mailto:tlsrpt@sender.example?subject=x", "sender.example"},
		{"mailto:a@one.example,b@two.example", "one.example"},
		{"mailto:tlsrpt%40x@sender.example", "sender.example"},
		{"tlsrpt@bücher.example", "xn--bcher-kva.example"},
		{"<tlsrpt@sender.example>", "sender.example"},
		{"https://reports.Sender.example/tlsrpt", "reports.sender.example"},
		{"http://reports.sender.example:8080/", "reports.sender.example"},
		{" tlsrpt@sender.example ", "sender.example"},
		{"", ""},
		{"https://192.0.2.1/tlsrpt", ""},
		{"https://[2001:db8::1]/tlsrpt", ""},
		{"tel:+1-555-0100", ""},
		{"no address here", ""},
		{"mailto:", ""},
		{"tlsrpt@bad..example", ""},
	}
	for _, tt := range tests {
		got, err := ContactDomain(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("ContactDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
