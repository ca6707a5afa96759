package submit

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
)

// Compile-time checks that the standard library satisfies the small
// interfaces.
var (
	_ MailSender = (*SMTPSender)(nil)
)

func TestSMTPDirectWithDNSServer(t *testing.T) {
	ms := newMailServer(t, nil, true)
	res := dnstest.Start(t, dnstest.Zone{
		MX: map[string][]*net.MX{
			"example.net":      {{Host: "mx2.example.net", Pref: 20}, {Host: "mx1.example.net", Pref: 10}},
			"nullmx.example":   {{Host: ".", Pref: 0}},
			"dangling.example": {{Host: "gone.example", Pref: 10}},
		},
		Addr: map[string][]netip.Addr{
			"mx1.example.net":  loopback,
			"mx2.example.net":  loopback,
			"implicit.example": loopback,
		},
	}).Resolver()
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
			_, err := s.SendMail(context.Background(), "a@sender.example", []string{"tlsrpt@" + tt.domain}, []byte("\r\nbody\r\n"))
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
