// Package dnstest runs a small authoritative DNS server on 127.0.0.1 for
// tests, so that lookups go through a real *net.Resolver (the pure-Go one)
// and the real DNS wire format (golang.org/x/net/dns/dnsmessage) instead of
// a fake resolver.
package dnstest

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Zone is what a Server answers from. Names are matched case-insensitively,
// with or without the trailing dot. A name that is in none of the maps is
// NXDOMAIN; a name in some map but without records of the asked type is
// NODATA.
type Zone struct {
	// TXT maps a name to its TXT records, each a list of character-strings.
	TXT map[string][][]string
	// MX maps a name to its MX records.
	MX map[string][]*net.MX
	// Addr maps a name to its A and AAAA records.
	Addr map[string][]netip.Addr
	// CNAME maps a name to the target whose records answer for it.
	CNAME map[string]string
	// RCode makes queries for a name fail with this response code
	// (for example dnsmessage.RCodeServerFailure).
	RCode map[string]dnsmessage.RCode
}

// Server is a running DNS server; see Start.
type Server struct {
	conn net.PacketConn
	zone Zone

	mu      sync.Mutex
	queries []string
}

// Start serves z on a UDP port of 127.0.0.1 until the test ends.
func Start(tb testing.TB, z Zone) *Server {
	tb.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{conn: conn, zone: Zone{
		TXT: canonKeys(z.TXT), MX: canonKeys(z.MX), Addr: canonKeys(z.Addr),
		CNAME: canonKeys(z.CNAME), RCode: canonKeys(z.RCode),
	}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.serve()
	}()
	tb.Cleanup(func() {
		conn.Close()
		<-done
	})
	return s
}

// Resolver returns a pure-Go *net.Resolver whose every query goes to s.
func (s *Server) Resolver() *net.Resolver {
	addr := s.conn.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", addr)
		},
	}
}

// Queries returns the names asked so far, lower-cased with the trailing
// dot, in order.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

func canon(name string) string { return strings.TrimSuffix(strings.ToLower(name), ".") }

func canonKeys[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[canon(k)] = v
	}
	return out
}

func (s *Server) serve() {
	buf := make([]byte, 65535)
	for {
		n, addr, err := s.conn.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		if resp, err := s.answer(buf[:n]); err == nil {
			s.conn.WriteTo(resp, addr)
		}
	}
}

func (s *Server) answer(req []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.queries = append(s.queries, strings.ToLower(q.Name.String()))
	s.mu.Unlock()

	z := s.zone
	name := canon(q.Name.String())
	owner := q.Name
	target, isAlias := z.CNAME[name]
	if isAlias {
		name = canon(target)
		owner = dnsmessage.MustNewName(name + ".")
	}
	_, hasTXT := z.TXT[name]
	_, hasMX := z.MX[name]
	_, hasAddr := z.Addr[name]
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	switch rc, ok := z.RCode[name]; {
	case ok:
		rh.RCode = rc
	case !hasTXT && !hasMX && !hasAddr:
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
	if isAlias {
		err := b.CNAMEResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 300},
			dnsmessage.CNAMEResource{CNAME: owner})
		if err != nil {
			return nil, err
		}
	}
	if rh.RCode != dnsmessage.RCodeSuccess {
		return b.Finish()
	}
	rr := dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 300}
	switch q.Type {
	case dnsmessage.TypeTXT:
		for _, strs := range z.TXT[name] {
			if err := b.TXTResource(rr, dnsmessage.TXTResource{TXT: strs}); err != nil {
				return nil, err
			}
		}
	case dnsmessage.TypeMX:
		for _, mx := range z.MX[name] {
			host := mx.Host
			if !strings.HasSuffix(host, ".") {
				host += "."
			}
			mxName, err := dnsmessage.NewName(host)
			if err != nil {
				return nil, err
			}
			if err := b.MXResource(rr, dnsmessage.MXResource{Pref: mx.Pref, MX: mxName}); err != nil {
				return nil, err
			}
		}
	case dnsmessage.TypeA:
		for _, a := range z.Addr[name] {
			if a.Is4() {
				if err := b.AResource(rr, dnsmessage.AResource{A: a.As4()}); err != nil {
					return nil, err
				}
			}
		}
	case dnsmessage.TypeAAAA:
		for _, a := range z.Addr[name] {
			if a.Is6() && !a.Is4In6() {
				if err := b.AAAAResource(rr, dnsmessage.AAAAResource{AAAA: a.As16()}); err != nil {
					return nil, err
				}
			}
		}
	}
	return b.Finish()
}
