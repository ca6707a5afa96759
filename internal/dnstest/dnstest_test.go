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

// TestServerTLSA asks for TLSA records with raw messages: the AD bit
// follows Secure and the query's AD and DO bits, an answer larger than
// the advertised payload size is truncated over UDP and complete over
// TCP, and EDE info codes come back in the OPT record.
func TestServerTLSA(t *testing.T) {
	big := make([]byte, 600)
	srv := Start(t, Zone{
		TLSA: map[string][]TLSA{
			"_25._tcp.mx.example":  {{Usage: 3, Selector: 1, MatchingType: 1, Data: []byte{1, 2, 3}}},
			"_25._tcp.big.example": {{3, 0, 0, big}, {2, 0, 0, big}},
		},
		Secure: map[string]bool{"_25._tcp.mx.example": true},
		RCode:  map[string]dnsmessage.RCode{"_25._tcp.bogus.example": dnsmessage.RCodeServerFailure},
		EDE:    map[string]uint16{"_25._tcp.bogus.example": 6},
	})
	query := func(name string, ad, do bool, size uint16) []byte {
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 7, RecursionDesired: true, AuthenticData: ad})
		_ = b.StartQuestions()
		_ = b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: TypeTLSA, Class: dnsmessage.ClassINET})
		if size > 0 {
			_ = b.StartAdditionals()
			var rh dnsmessage.ResourceHeader
			_ = rh.SetEDNS0(int(size), dnsmessage.RCodeSuccess, do)
			_ = b.OPTResource(rh, dnsmessage.OPTResource{})
		}
		msg, err := b.Finish()
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	exchange := func(network string, msg []byte) dnsmessage.Message {
		t.Helper()
		c, err := net.Dial(network, srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if network == "tcp" {
			msg = append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)
		}
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 65535)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if network == "tcp" {
			buf = buf[2:]
			n -= 2
		}
		var m dnsmessage.Message
		if err := m.Unpack(buf[:n]); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name, network, qname string
		ad, do               bool
		size                 uint16
		wantAD, wantTC       bool
		wantAnswers          int
		wantRCode            dnsmessage.RCode
		wantEDE              int
	}{
		{name: "secure, AD asked", network: "udp", qname: "_25._tcp.mx.example.", ad: true, size: 1232, wantAD: true, wantAnswers: 1, wantEDE: -1},
		{name: "secure, DO asked", network: "udp", qname: "_25._tcp.mx.example.", do: true, size: 1232, wantAD: true, wantAnswers: 1, wantEDE: -1},
		{name: "secure, neither asked", network: "udp", qname: "_25._tcp.mx.example.", size: 1232, wantAnswers: 1, wantEDE: -1},
		{name: "insecure", network: "udp", qname: "_25._tcp.big.example.", ad: true, size: 4096, wantAnswers: 2, wantEDE: -1},
		{name: "truncated", network: "udp", qname: "_25._tcp.big.example.", size: 1232, wantTC: true, wantEDE: -1},
		{name: "truncated without EDNS0", network: "udp", qname: "_25._tcp.big.example.", wantTC: true, wantEDE: -1},
		{name: "tcp", network: "tcp", qname: "_25._tcp.big.example.", size: 1232, wantAnswers: 2, wantEDE: -1},
		{name: "ede", network: "udp", qname: "_25._tcp.bogus.example.", size: 1232, wantRCode: dnsmessage.RCodeServerFailure, wantEDE: 6},
		{name: "nxdomain", network: "udp", qname: "_25._tcp.none.example.", size: 1232, wantRCode: dnsmessage.RCodeNameError, wantEDE: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := exchange(tt.network, query(tt.qname, tt.ad, tt.do, tt.size))
			ede := -1
			for _, a := range m.Additionals {
				if o, ok := a.Body.(*dnsmessage.OPTResource); ok {
					for _, opt := range o.Options {
						if opt.Code == 15 && len(opt.Data) >= 2 {
							ede = int(opt.Data[0])<<8 | int(opt.Data[1])
						}
					}
				}
			}
			got := []any{m.AuthenticData, m.Truncated, len(m.Answers), m.RCode, ede}
			want := []any{tt.wantAD, tt.wantTC, tt.wantAnswers, tt.wantRCode, tt.wantEDE}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("[AD TC answers rcode ede] (-want +got):\n%s", diff)
			}
		})
	}
	if srv.TCPQueries() != 1 {
		t.Errorf("TCPQueries() = %d, want 1", srv.TCPQueries())
	}
}
