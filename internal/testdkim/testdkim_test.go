package testdkim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

const msg = "From: a@sender.example\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nhello\r\n"

// verify checks signed against the records in txt with go-msgauth.
func verify(t *testing.T, signed string, txt map[string]string) *dkim.Verification {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(strings.NewReader(signed), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if r, ok := txt[name]; ok {
				return []string{r}, nil
			}
			return nil, errors.New("nxdomain " + name)
		},
	})
	if err != nil || len(vs) != 1 {
		t.Fatalf("verify: %d results, %v", len(vs), err)
	}
	return vs[0]
}

func TestSignVerifies(t *testing.T) {
	for _, k := range []Key{
		Ed25519(t, "sender.example", "sel"),
		RSA(t, "sender.example", "sel", 1024),
	} {
		t.Run(strings.Fields(k.Record)[1], func(t *testing.T) {
			if k.TXTName() != "sel._domainkey.sender.example" {
				t.Errorf("TXTName() = %q", k.TXTName())
			}
			k.Headers = []string{"From", "Subject"}
			signed := k.Sign(t, msg, time.Time{})
			v := verify(t, signed, map[string]string{k.TXTName(): k.Record})
			if v.Err != nil || v.Domain != "sender.example" {
				t.Errorf("verification: domain %q, %v", v.Domain, v.Err)
			}
			if got := strings.Join(v.HeaderKeys, ":"); !strings.EqualFold(got, "From:Subject") {
				t.Errorf("signed fields %q, want From:Subject", got)
			}
			// Another key of the same name does not verify it.
			other := Ed25519(t, "sender.example", "sel")
			if v := verify(t, signed, map[string]string{k.TXTName(): other.Record}); v.Err == nil {
				t.Error("signature verified against another key's record")
			}
			// A changed body does not verify.
			if v := verify(t, strings.Replace(signed, "hello", "HELLO", 1), map[string]string{k.TXTName(): k.Record}); v.Err == nil {
				t.Error("tampered body verified")
			}
		})
	}
}

func TestSignExpires(t *testing.T) {
	k := Ed25519(t, "sender.example", "sel")
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	signed := k.Sign(t, msg, past)
	v := verify(t, signed, map[string]string{k.TXTName(): k.Record})
	if !v.Expiration.Equal(past) {
		t.Errorf("x= is %v, want %v", v.Expiration, past)
	}
	if v.Err == nil {
		t.Error("expired signature verified")
	}
}
