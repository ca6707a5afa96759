package policy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
)

func toDNSTest(rrs ...TLSA) []dnstest.TLSA {
	out := make([]dnstest.TLSA, len(rrs))
	for i, rr := range rrs {
		out[i] = dnstest.TLSA{Usage: uint8(rr.Usage), Selector: uint8(rr.Selector), MatchingType: uint8(rr.MatchingType), Data: rr.Data}
	}
	return out
}

// TestLookupTLSA looks TLSA records up from a loopback DNS server that
// plays a validating resolver: it sets AD for secure names and clears
// it for the others, answers SERVFAIL with Extended DNS Errors, and
// truncates large answers so that the client retries over TCP.
func TestLookupTLSA(t *testing.T) {
	ee := TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: make([]byte, 32)}
	ta := TLSA{Usage: 2, Selector: 0, MatchingType: 2, Data: make([]byte, 64)}
	full := TLSA{Usage: 3, Selector: 0, MatchingType: 0, Data: make([]byte, 700)}
	srv := dnstest.Start(t, dnstest.Zone{
		TLSA: map[string][]dnstest.TLSA{
			"_25._tcp.mx.example":            toDNSTest(ee, ta),
			"_25._tcp.insecure.example":      toDNSTest(ee),
			"_25._tcp.big.example":           toDNSTest(full, full),
			"_465._tcp.mx.example":           toDNSTest(ta),
			"_25._tcp.short.example":         {{Usage: 3, Selector: 1, MatchingType: 1}},
			"_25._tcp.xn--bcher-kva.example": toDNSTest(ee),
		},
		TXT:   map[string][][]string{"_25._tcp.nodata.example": {{"x"}}},
		CNAME: map[string]string{"_25._tcp.alias.example": "_25._tcp.mx.example"},
		Secure: map[string]bool{
			"_25._tcp.mx.example": true, "_25._tcp.big.example": true, "_465._tcp.mx.example": true,
			"_25._tcp.alias.example": true, "_25._tcp.signed-nx.example": true, "_25._tcp.xn--bcher-kva.example": true,
		},
		RCode: map[string]dnsmessage.RCode{
			"_25._tcp.bogus.example":   dnsmessage.RCodeServerFailure,
			"_25._tcp.expired.example": dnsmessage.RCodeServerFailure,
			"_25._tcp.fail.example":    dnsmessage.RCodeServerFailure,
			"_25._tcp.refused.example": dnsmessage.RCodeRefused,
		},
		EDE: map[string]uint16{"_25._tcp.bogus.example": 6, "_25._tcp.expired.example": 7},
	})
	client := &DNSClient{Addr: srv.Addr()}
	tests := []struct {
		host     string
		port     int
		want     []TLSA
		wantAD   bool
		code     string // FailureDNSSECInvalid code
		otherErr bool
	}{
		{host: "mx.example", port: 25, want: []TLSA{ee, ta}, wantAD: true},
		{host: "MX.Example.", port: 25, want: []TLSA{ee, ta}, wantAD: true},
		{host: "mx.example", port: 465, want: []TLSA{ta}, wantAD: true},
		{host: "insecure.example", port: 25, want: []TLSA{ee}},
		{host: "big.example", port: 25, want: []TLSA{full, full}, wantAD: true},
		{host: "alias.example", port: 25, want: []TLSA{ee, ta}, wantAD: true},
		{host: "short.example", port: 25, want: []TLSA{{Usage: 3, Selector: 1, MatchingType: 1}}},
		{host: "bücher.example", port: 25, want: []TLSA{ee}, wantAD: true},
		{host: "missing.example", port: 25},
		{host: "signed-nx.example", port: 25, wantAD: true},
		{host: "nodata.example", port: 25},
		{host: "bogus.example", port: 25, code: "dnssec-bogus"},
		{host: "expired.example", port: 25, code: "dnssec-signature-expired"},
		{host: "fail.example", port: 25, code: "dns-servfail"},
		{host: "refused.example", port: 25, otherErr: true},
		{host: "mx.example", port: 0, otherErr: true},
		{host: "mx.example", port: 65536, otherErr: true},
		{host: "a..example", port: 25, otherErr: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s:%d", tt.host, tt.port), func(t *testing.T) {
			got, ad, err := LookupTLSA(context.Background(), client, tt.host, tt.port)
			var pe *Error
			switch {
			case tt.code != "":
				if !errors.As(err, &pe) || pe.Failure != FailureDNSSECInvalid || pe.Code != tt.code {
					t.Fatalf("err = %v, want dnssec-invalid (%s)", err, tt.code)
				}
				want := Policy{Type: TypeTLSA, Domain: tt.host}
				if diff := cmp.Diff(want, pe.Policy); diff != "" {
					t.Errorf("policy (-want +got):\n%s", diff)
				}
				return
			case tt.otherErr:
				if err == nil || errors.As(err, &pe) {
					t.Fatalf("err = %v, want an error that is not an *Error", err)
				}
				return
			case err != nil:
				t.Fatalf("LookupTLSA: %v", err)
			}
			if ad != tt.wantAD {
				t.Errorf("authenticated = %v, want %v", ad, tt.wantAD)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
	if srv.TCPQueries() != 1 {
		t.Errorf("%d queries over TCP, want 1 (big.example)", srv.TCPQueries())
	}
}

// TestDANEEndToEnd serves one TLSA record per usage, selector and
// matching type, made from a generated chain, at its own name, looks
// each up through DNSClient and matches the chain: the record set is
// authenticated for the secure names only, and matches exactly for
// DANE-TA and DANE-EE.
func TestDANEEndToEnd(t *testing.T) {
	c := newDANEChain(t)
	zone := dnstest.Zone{TLSA: map[string][]dnstest.TLSA{}, Secure: map[string]bool{}}
	type combo struct {
		host   string
		rr     TLSA
		secure bool
	}
	var combos []combo
	for u := UsagePKIXTA; u <= UsageDANEEE; u++ {
		for s := SelectorCert; s <= SelectorSPKI; s++ {
			for m := MatchingFull; m <= MatchingSHA512; m++ {
				target := c.leaf.Cert
				if u == UsagePKIXTA || u == UsageDANETA {
					target = c.inter.Cert
				}
				cb := combo{host: fmt.Sprintf("u%d-s%d-m%d.dane.example.com", u, s, m), rr: tlsaFor(u, s, m, target), secure: m != MatchingSHA512}
				combos = append(combos, cb)
				zone.TLSA["_25._tcp."+cb.host] = toDNSTest(cb.rr)
				zone.Secure["_25._tcp."+cb.host] = cb.secure
			}
		}
	}
	srv := dnstest.Start(t, zone)
	client := &DNSClient{Addr: srv.Addr()}
	for _, cb := range combos {
		t.Run(cb.host, func(t *testing.T) {
			rrs, ad, err := LookupTLSA(context.Background(), client, cb.host, 25)
			if err != nil {
				t.Fatal(err)
			}
			if ad != cb.secure {
				t.Errorf("authenticated = %v, want %v", ad, cb.secure)
			}
			if len(rrs) != 1 || rrs[0].String() != cb.rr.String() {
				t.Fatalf("records %v, want %v", rrs, cb.rr)
			}
			_, err = MatchTLSA(rrs, c.presented(), time.Time{}, cb.host)
			usable := cb.rr.Usage == UsageDANETA || cb.rr.Usage == UsageDANEEE
			if usable && err != nil {
				t.Errorf("MatchTLSA: %v", err)
			}
			if !usable {
				wantTLSAError(t, err, "tlsa-unusable")
			}
		})
	}
}

// exchangeFunc is a DNSExchanger made of a function.
type exchangeFunc func(ctx context.Context, q []byte) ([]byte, error)

func (f exchangeFunc) Exchange(ctx context.Context, q []byte) ([]byte, error) { return f(ctx, q) }

// TestLookupTLSAQuery checks the query: RD, AD and an EDNS0 OPT record
// with DO and a 1232-byte payload size (RFC 6840 §5.7, RFC 3225), one
// TLSA question for _25._tcp.<host>.
func TestLookupTLSAQuery(t *testing.T) {
	var got dnsmessage.Message
	ex := exchangeFunc(func(_ context.Context, q []byte) ([]byte, error) {
		if err := got.Unpack(q); err != nil {
			return nil, err
		}
		return nil, errors.New("stop")
	})
	_, _, _ = LookupTLSA(context.Background(), ex, "mx.example.com", 25)
	if !got.RecursionDesired || !got.AuthenticData || got.CheckingDisabled || got.Response {
		t.Errorf("header %+v", got.Header)
	}
	if len(got.Questions) != 1 || got.Questions[0].Name.String() != "_25._tcp.mx.example.com." || got.Questions[0].Type != 52 {
		t.Errorf("questions %v", got.Questions)
	}
	if len(got.Additionals) != 1 || got.Additionals[0].Header.Type != dnsmessage.TypeOPT ||
		!got.Additionals[0].Header.DNSSECAllowed() || got.Additionals[0].Header.Class != 1232 {
		t.Errorf("additionals %v", got.Additionals)
	}
}

// TestLookupTLSABadResponses feeds responses that do not answer the
// query: each is an error, never records and never an *Error.
func TestLookupTLSABadResponses(t *testing.T) {
	respond := func(edit func(h *dnsmessage.Header, q *dnsmessage.Question)) DNSExchanger {
		return exchangeFunc(func(_ context.Context, query []byte) ([]byte, error) {
			var m dnsmessage.Message
			if err := m.Unpack(query); err != nil {
				return nil, err
			}
			h := dnsmessage.Header{ID: m.ID, Response: true, RecursionAvailable: true}
			q := m.Questions[0]
			edit(&h, &q)
			b := dnsmessage.NewBuilder(nil, h)
			_ = b.StartQuestions()
			_ = b.Question(q)
			return b.Finish()
		})
	}
	tests := []struct {
		name string
		ex   DNSExchanger
	}{
		{"wrong id", respond(func(h *dnsmessage.Header, _ *dnsmessage.Question) { h.ID++ })},
		{"not a response", respond(func(h *dnsmessage.Header, _ *dnsmessage.Question) { h.Response = false })},
		{"other name", respond(func(_ *dnsmessage.Header, q *dnsmessage.Question) {
			q.Name = dnsmessage.MustNewName("_25._tcp.evil.example.")
		})},
		{"other type", respond(func(_ *dnsmessage.Header, q *dnsmessage.Question) { q.Type = dnsmessage.TypeTXT })},
		{"garbage", exchangeFunc(func(context.Context, []byte) ([]byte, error) { return []byte("hello"), nil })},
		{"empty", exchangeFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil })},
		{"exchange error", exchangeFunc(func(context.Context, []byte) ([]byte, error) { return nil, errors.New("network down") })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rrs, _, err := LookupTLSA(context.Background(), tt.ex, "mx.example", 25)
			var pe *Error
			if err == nil || rrs != nil || errors.As(err, &pe) {
				t.Errorf("got %v, %v", rrs, err)
			}
		})
	}
}

// TestDNSClientUDP checks the UDP exchange against a hand-made server:
// a datagram with another ID is ignored, a silent server times out, the
// caller's cancellation ends the wait.
func TestDNSClientUDP(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, addr, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			q := append([]byte(nil), buf[:n]...)
			if q[12] == 's' { // "silent": no answer
				continue
			}
			spoof := append([]byte(nil), q...)
			spoof[0] ^= 0xff
			spoof[2] |= 0x80
			_, _ = conn.WriteTo(spoof, addr)
			q[2] |= 0x80
			_, _ = conn.WriteTo(q, addr)
		}
	}()
	c := &DNSClient{Addr: conn.LocalAddr().String(), Timeout: 200 * time.Millisecond}
	query := append([]byte{0x12, 0x34, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "answer"...)
	resp, err := c.Exchange(context.Background(), query)
	if err != nil || resp[0] != 0x12 || resp[1] != 0x34 || resp[2]&0x80 == 0 {
		t.Errorf("Exchange = %x, %v", resp, err)
	}

	silent := append([]byte{0x12, 0x35, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "silent"...)
	start := time.Now()
	if _, err := c.Exchange(context.Background(), silent); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("silent server: err = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Timeout 200ms took %v", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := (&DNSClient{Addr: conn.LocalAddr().String()}).Exchange(ctx, silent); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
	if _, err := c.Exchange(context.Background(), []byte{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "shorter") {
		t.Errorf("short query: err = %v", err)
	}
}
