package dnstest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/dns/dnsmessage"
)

func TestServerAnswersThroughNetResolver(t *testing.T) {
	srv := Start(t, Zone{
		TXT:   map[string][][]string{"txt.example.": {{"a", "b"}, {"c"}}},
		MX:    map[string][]*net.MX{"Mail.Example": {{Host: "mx.mail.example", Pref: 10}}},
		Addr:  map[string][]netip.Addr{"mx.mail.example": {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}},
		CNAME: map[string]string{"alias.example": "txt.example"},
		RCode: map[string]dnsmessage.RCode{"broken.example": dnsmessage.RCodeServerFailure},
	})
	r := srv.Resolver()
	ctx := context.Background()

	txt, err := r.LookupTXT(ctx, "txt.example.")
	if err != nil || !cmp.Equal(txt, []string{"ab", "c"}) {
		t.Errorf("TXT = %q, %v", txt, err)
	}
	if txt, err := r.LookupTXT(ctx, "alias.example."); err != nil || len(txt) != 2 {
		t.Errorf("TXT via CNAME = %q, %v", txt, err)
	}
	mx, err := r.LookupMX(ctx, "mail.example.")
	if err != nil || len(mx) != 1 || mx[0].Host != "mx.mail.example." {
		t.Errorf("MX = %v, %v", mx, err)
	}
	addrs, err := r.LookupNetIP(ctx, "ip", "mx.mail.example.")
	if err != nil || len(addrs) != 2 {
		t.Errorf("addresses = %v, %v", addrs, err)
	}
	var dnsErr *net.DNSError
	if _, err := r.LookupTXT(ctx, "missing.example."); !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("missing name: err = %v, want NXDOMAIN", err)
	}
	if _, err := r.LookupTXT(ctx, "broken.example."); !errors.As(err, &dnsErr) || dnsErr.IsNotFound {
		t.Errorf("SERVFAIL: err = %v, want a not-not-found DNS error", err)
	}
	if len(srv.Queries()) == 0 {
		t.Error("no queries recorded")
	}
}
