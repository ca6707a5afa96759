package ingest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var parseIMAPURLTests = []struct {
	name, url string
	want      *IMAP
	wantErr   string // substring; "" means no error
}{
	{name: "imaps with port", url: "imaps://tlsrpt@mail.example.com:993/INBOX",
		want: &IMAP{Addr: "mail.example.com:993", Security: IMAPImplicitTLS, Username: "tlsrpt", Mailbox: "INBOX"}},
	{name: "imap is STARTTLS", url: "imap://tlsrpt@mail.example.com/Reports",
		want: &IMAP{Addr: "mail.example.com", Security: IMAPStartTLS, Username: "tlsrpt", Mailbox: "Reports"}},
	{name: "no mailbox means INBOX later", url: "imaps://u@127.0.0.1:10993",
		want: &IMAP{Addr: "127.0.0.1:10993", Security: IMAPImplicitTLS, Username: "u"}},
	{name: "trailing slash", url: "imaps://u@h/",
		want: &IMAP{Addr: "h", Security: IMAPImplicitTLS, Username: "u"}},
	{name: "hierarchy and escapes", url: "imaps://tls%40rpt@h/Reports/TLS%20RPT",
		want: &IMAP{Addr: "h", Security: IMAPImplicitTLS, Username: "tls@rpt", Mailbox: "Reports/TLS RPT"}},
	{name: "UTF-8 mailbox", url: "imaps://u@h/Berichte/%C3%9Cbersicht",
		want: &IMAP{Addr: "h", Security: IMAPImplicitTLS, Username: "u", Mailbox: "Berichte/Übersicht"}},
	{name: "IPv6", url: "imap://u@[::1]:143/INBOX",
		want: &IMAP{Addr: "[::1]:143", Security: IMAPStartTLS, Username: "u", Mailbox: "INBOX"}},
	{name: "scheme case", url: "IMAPS://u@h/x",
		want: &IMAP{Addr: "h", Security: IMAPImplicitTLS, Username: "u", Mailbox: "x"}},
	{name: "no user", url: "imaps://h/x",
		want: &IMAP{Addr: "h", Security: IMAPImplicitTLS, Mailbox: "x"}},

	{name: "password refused", url: "imaps://u:hunter2@h/INBOX", wantErr: "carries a password"},
	{name: "empty password refused", url: "imaps://u:@h/INBOX", wantErr: "carries a password"},
	{name: "other scheme", url: "pop3://u@h/", wantErr: "scheme"},
	{name: "no host", url: "imaps:///INBOX", wantErr: "no host"},
	{name: "opaque", url: "imaps:u@h", wantErr: "no host"},
	{name: "query", url: "imaps://u@h/INBOX?move=Done", wantErr: "queries"},
	{name: "fragment", url: "imaps://u@h/INBOX#x", wantErr: "queries"},
	{name: "AUTH parameter", url: "imaps://u;AUTH=PLAIN@h/INBOX", wantErr: "parameters"},
	{name: "UIDVALIDITY parameter", url: "imaps://u@h/INBOX;UIDVALIDITY=5", wantErr: "parameters"},
	{name: "bad port", url: "imaps://u@h:99999/INBOX", wantErr: "port"},
	{name: "zero port", url: "imaps://u@h:0/INBOX", wantErr: "port"},
	{name: "unparsable", url: "imaps://u:pw@h:x%zz/", wantErr: "IMAP URL"},
}

func TestParseIMAPURL(t *testing.T) {
	for _, tt := range parseIMAPURLTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIMAPURL(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseIMAPURL(%q) error = %v, want %q", tt.url, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), ":pw@") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseIMAPURL(%q): %v", tt.url, err)
			}
			opt := cmpopts.IgnoreUnexported(IMAP{})
			if diff := cmp.Diff(tt.want, got, opt); diff != "" {
				t.Errorf("ParseIMAPURL(%q) (-want +got):\n%s", tt.url, diff)
			}
			// Parse(String()) is the same source.
			again, err := ParseIMAPURL(got.String())
			if err != nil {
				t.Fatalf("ParseIMAPURL(%q) (String of %q): %v", got.String(), tt.url, err)
			}
			if diff := cmp.Diff(got, again, opt); diff != "" {
				t.Errorf("round trip through %q (-first +second):\n%s", got.String(), diff)
			}
		})
	}
}

func TestIMAPStringHasNoPassword(t *testing.T) {
	m := &IMAP{Addr: "h:993", Username: "u", Password: "hunter2", Mailbox: "a;b,c d"}
	s := m.String()
	if strings.Contains(s, "hunter2") {
		t.Errorf("String() = %q shows the password", s)
	}
	got, err := ParseIMAPURL(s)
	if err != nil || got.Mailbox != m.Mailbox {
		t.Errorf("ParseIMAPURL(%q) = %+v, %v; want mailbox %q", s, got, err, m.Mailbox)
	}
}

func TestParseIMAPID(t *testing.T) {
	tests := []struct {
		id       string
		validity uint32
		uid      uint32
		ok       bool
	}{
		{id: "1700000000/42", validity: 1700000000, uid: 42, ok: true},
		{id: "4294967295/4294967295", validity: 4294967295, uid: 4294967295, ok: true},
		{id: "0/1"},
		{id: "1/0"},
		{id: "1/"},
		{id: "/1"},
		{id: "1-2"},
		{id: "1/2/3"},
		{id: "4294967296/1"},
		{id: "new/1700000000.M1P2.host"},
	}
	for _, tt := range tests {
		v, u, err := parseIMAPID(tt.id)
		if (err == nil) != tt.ok || v != tt.validity || uint32(u) != tt.uid {
			t.Errorf("parseIMAPID(%q) = %d, %d, %v", tt.id, v, u, err)
		}
		if err == nil && imapID(v, u) != tt.id {
			t.Errorf("imapID(parseIMAPID(%q)) = %q", tt.id, imapID(v, u))
		}
	}
}

func FuzzParseIMAPURL(f *testing.F) {
	for _, tt := range parseIMAPURLTests {
		f.Add(tt.url)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseIMAPURL(s)
		if err != nil {
			return
		}
		again, err := ParseIMAPURL(m.String())
		if err != nil {
			t.Fatalf("ParseIMAPURL(%q) ok, but its String %q: %v", s, m.String(), err)
		}
		if diff := cmp.Diff(m, again, cmpopts.IgnoreUnexported(IMAP{})); diff != "" {
			t.Fatalf("round trip of %q through %q (-first +second):\n%s", s, m.String(), diff)
		}
	})
}
