package submit

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// zone is what the test DNS server knows: MX and A records per name
// (lower case, no trailing dot). Names absent from both are NXDOMAIN.
type zone struct {
	mx map[string][]*net.MX
	a  map[string][]netip.Addr
}

// dnsServer runs a real DNS server on a loopback UDP port answering from z,
// and returns a *net.Resolver that queries only it.
func dnsServer(t *testing.T, z zone) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp, err := z.answer(buf[:n]); err == nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	addr := pc.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", addr)
		},
	}
}

func (z zone) answer(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	hdr, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")
	_, hasMX := z.mx[name]
	_, hasA := z.a[name]
	rh := dnsmessage.Header{ID: hdr.ID, Response: true, Authoritative: true, RecursionDesired: hdr.RecursionDesired, RecursionAvailable: true}
	if !hasMX && !hasA {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	h := dnsmessage.ResourceHeader{Name: q.Name, Type: q.Type, Class: dnsmessage.ClassINET, TTL: 60}
	switch q.Type {
	case dnsmessage.TypeMX:
		for _, mx := range z.mx[name] {
			host := mx.Host
			if !strings.HasSuffix(host, ".") {
				host += "."
			}
			if err := b.MXResource(h, dnsmessage.MXResource{Pref: mx.Pref, MX: dnsmessage.MustNewName(host)}); err != nil {
				return nil, err
			}
		}
	case dnsmessage.TypeA:
		for _, a := range z.a[name] {
			if a.Is4() {
				if err := b.AResource(h, dnsmessage.AResource{A: a.As4()}); err != nil {
					return nil, err
				}
			}
		}
	case dnsmessage.TypeAAAA:
		for _, a := range z.a[name] {
			if a.Is6() {
				if err := b.AAAAResource(h, dnsmessage.AAAAResource{AAAA: a.As16()}); err != nil {
					return nil, err
				}
			}
		}
	}
	return b.Finish()
}

// Compile-time checks that the standard library satisfies the small
// interfaces.
var (
	_ MXResolver    = (*net.Resolver)(nil)
	_ ContextDialer = (*net.Dialer)(nil)
	_ MailSender    = (*SMTPSender)(nil)
)

func TestSMTPDirectWithDNSServer(t *testing.T) {
	ms := newMailServer(t, nil, true)
	res := dnsServer(t, zone{
		mx: map[string][]*net.MX{
			"example.net":      {{Host: "mx2.example.net", Pref: 20}, {Host: "mx1.example.net", Pref: 10}},
			"nullmx.example":   {{Host: ".", Pref: 0}},
			"dangling.example": {{Host: "gone.example", Pref: 10}},
		},
		a: map[string][]netip.Addr{
			"mx1.example.net":  loopback,
			"mx2.example.net":  loopback,
			"implicit.example": loopback,
		},
	})
	tests := []struct {
		domain    string
		wantErr   error
		retryable bool
	}{
		{domain: "example.net"},
		{domain: "implicit.example"}, // no MX: RFC 5321 §5.1 implicit MX
		{domain: "nullmx.example", wantErr: ErrNullMX},
		{domain: "nxdomain.example", wantErr: ErrNoAddress},
		{domain: "dangling.example", wantErr: ErrNoAddress, retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			before := len(ms.received())
			s := &SMTPSender{Resolver: res, Port: ms.port}
			err := s.SendMail(context.Background(), "a@sender.example", []string{"tlsrpt@" + tt.domain}, []byte("\r\nbody\r\n"))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("SendMail: %v", err)
				}
				if got := ms.received(); len(got) != before+1 || got[len(got)-1].To[0] != "tlsrpt@"+tt.domain {
					t.Fatalf("mail not received")
				}
				return
			}
			var de *DeliveryError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &de) || de.Retryable != tt.retryable {
				t.Fatalf("error %v (retryable %v), want %v (retryable %v)", err, de != nil && de.Retryable, tt.wantErr, tt.retryable)
			}
		})
	}
}
