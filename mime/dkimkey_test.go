package mime

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDKIMKeyRecordVerifies publishes the record DKIMKeyRecord builds and
// checks that a mail signed with the private key verifies against it, and
// that Authentic and the service flags read it as intended.
func TestDKIMKeyRecordVerifies(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		signer    crypto.Signer
		services  []string
		wantK     string
		wantTLS   bool
		wantEmail bool
	}{
		{name: "ed25519", signer: edKey, wantK: "k=ed25519", wantTLS: true},
		{name: "rsa", signer: rsaKey, wantK: "k=rsa", wantTLS: true},
		{name: "rsa tlsrpt only", signer: rsaKey, services: []string{"tlsrpt"}, wantK: "k=rsa", wantTLS: true},
		{name: "email only", signer: edKey, services: []string{"email"}, wantK: "k=ed25519", wantEmail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := DKIMKeyRecord(tt.signer.Public(), tt.services...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(rec, "v=DKIM1; "+tt.wantK+";") {
				t.Fatalf("record %q does not start with v=DKIM1; %s", rec, tt.wantK)
			}
			var msg bytes.Buffer
			err = Write(&msg, testReport(), &WriteOptions{
				From: "tlsrpt@mail.sender.example", To: []string{"tlsrpt@example.com"},
				Date: time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC), MessageID: "<m1@mail.sender.example>",
				Boundary: "b1", UniqueID: "u1",
				DKIM: &DKIMOptions{Domain: "sender.example", Selector: "s1", Signer: tt.signer},
			})
			if err != nil {
				t.Fatal(err)
			}
			lookup := func(_ context.Context, name string) ([]string, error) {
				if name == "s1._domainkey.sender.example" {
					return []string{rec}, nil
				}
				return nil, errors.New("no such record")
			}
			v, err := Verify(context.Background(), &msg, &VerifyOptions{Resolver: txtFunc(lookup)})
			if err != nil {
				t.Fatal(err)
			}
			s := v.Authentic()
			if s == nil {
				t.Fatalf("no authentic signature: %+v", v.Signatures)
			}
			if s.ServiceTLSRPT != tt.wantTLS || s.ServiceEmailOnly != tt.wantEmail {
				t.Errorf("ServiceTLSRPT, ServiceEmailOnly = %v, %v; want %v, %v", s.ServiceTLSRPT, s.ServiceEmailOnly, tt.wantTLS, tt.wantEmail)
			}
		})
	}
}

func TestDKIMKeyRecordRejects(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := DKIMKeyRecord("not a key"); err == nil {
		t.Error("DKIMKeyRecord accepted a string as key")
	}
	for _, s := range []string{"", "email;x", "a b", "a:b"} {
		if _, err := DKIMKeyRecord(edKey.Public(), s); err == nil {
			t.Errorf("DKIMKeyRecord accepted service %q", s)
		}
	}
}

func TestAuthenticSkipsUnfitSignatures(t *testing.T) {
	v := &Verification{Signatures: []SignatureResult{
		{Domain: "a.example", Err: errors.New("bad hash"), Aligned: true},
		{Domain: "b.example", Aligned: false},
		{Domain: "c.example", Aligned: true, BodyLength: true},
		{Domain: "d.example", Aligned: true},
	}}
	if got := v.Authentic(); got == nil || got.Domain != "d.example" {
		t.Fatalf("Authentic() = %+v, want d.example", got)
	}
	v.Signatures = v.Signatures[:3]
	if got := v.Authentic(); got != nil {
		t.Fatalf("Authentic() = %+v, want nil", got)
	}
}
