// Package dnstest runs a small authoritative DNS server on 127.0.0.1 for
// tests, so that lookups go through a real *net.Resolver (the pure-Go one)
// and the real DNS wire format (golang.org/x/net/dns/dnsmessage) instead of
// a fake resolver. It answers over UDP and TCP on the same port,
// truncating UDP answers larger than the client's EDNS0 payload size (512
// bytes without EDNS0), and can play a validating resolver: it sets the
// AD bit for names marked Secure and adds Extended DNS Errors.
package dnstest

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// TLSA is the data of one TLSA record (RFC 6698 §2.1).
type TLSA struct {
	Usage, Selector, MatchingType uint8
	Data                          []byte
}

// TypeTLSA is the TLSA RR type (RFC 6698 §7.1), which dnsmessage does not
// name.
const TypeTLSA dnsmessage.Type = 52

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
	// TLSA maps a name (such as "_25._tcp.mx.example") to its TLSA
	// records.
	TLSA map[string][]TLSA
	// Secure lists the names (as asked, before CNAMEs) whose answers are
	// authenticated: the response has the AD bit set when the query set
	// AD or DO (RFC 6840 §5.7), as a validating resolver's would.
	Secure map[string]bool
	// EDE adds an Extended DNS Error (RFC 8914) with this info code to the
	// answers for a name, when the query has an EDNS0 OPT record.
	EDE map[string]uint16
}

// Server is a running DNS server; see Start.
type Server struct {
	conn net.PacketConn
	ln   net.Listener
	zone Zone

	mu      sync.Mutex
	queries []string
	tcp     int
	conns   map[net.Conn]bool // open TCP connections
	closed  bool
}

// Start serves z on a UDP port of 127.0.0.1, and on the TCP port of the
// same number, until the test ends.
func Start(tb testing.TB, z Zone) *Server {
	tb.Helper()
	conn, ln, err := listen()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{conn: conn, ln: ln, zone: Zone{
		TXT: canonKeys(z.TXT), MX: canonKeys(z.MX), Addr: canonKeys(z.Addr),
		CNAME: canonKeys(z.CNAME), RCode: canonKeys(z.RCode),
		TLSA: canonKeys(z.TLSA), Secure: canonKeys(z.Secure), EDE: canonKeys(z.EDE),
	}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.serve()
	}()
	go func() {
		defer wg.Done()
		s.serveTCP(&wg)
	}()
	tb.Cleanup(func() {
		conn.Close()
		ln.Close()
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		wg.Wait()
	})
	return s
}

// listen opens a UDP socket on 127.0.0.1 and a TCP listener on the same
// port, trying a few ports.
func listen() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 20 {
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", conn.LocalAddr().String())
		if err == nil {
			return conn, ln, nil
		}
		conn.Close()
		lastErr = err
	}
	return nil, nil, lastErr
}

// Addr returns the server's address, "127.0.0.1:<port>", for UDP and TCP.
func (s *Server) Addr() string { return s.conn.LocalAddr().String() }

// TCPQueries returns the number of queries received over TCP so far.
func (s *Server) TCPQueries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tcp
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
		if resp, err := s.answer(buf[:n], false); err == nil {
			s.conn.WriteTo(resp, addr)
		}
	}
}

// serveTCP answers queries over TCP (RFC 1035 §4.2.2: each message after
// a two-byte length), one goroutine per connection, tracked by wg.
func (s *Server) serveTCP(wg *sync.WaitGroup) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		if s.conns == nil {
			s.conns = map[net.Conn]bool{}
		}
		s.conns[c] = true
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			for {
				var l [2]byte
				if _, err := io.ReadFull(c, l[:]); err != nil {
					return
				}
				req := make([]byte, binary.BigEndian.Uint16(l[:]))
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				resp, err := s.answer(req, true)
				if err != nil {
					return
				}
				out := binary.BigEndian.AppendUint16(nil, uint16(len(resp)))
				if _, err := c.Write(append(out, resp...)); err != nil {
					return
				}
			}
		}()
	}
}

func (s *Server) answer(req []byte, overTCP bool) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	// The client's EDNS0 OPT record, if any (RFC 6891 §6.1.1).
	var opt *dnsmessage.ResourceHeader
	if err := p.SkipAllQuestions(); err == nil && p.SkipAllAnswers() == nil && p.SkipAllAuthorities() == nil {
		for {
			rh, err := p.AdditionalHeader()
			if err != nil {
				break
			}
			if rh.Type == dnsmessage.TypeOPT {
				opt = &rh
				break
			}
			if p.SkipAdditional() != nil {
				break
			}
		}
	}
	s.mu.Lock()
	s.queries = append(s.queries, strings.ToLower(q.Name.String()))
	if overTCP {
		s.tcp++
	}
	s.mu.Unlock()
	resp, err := s.build(h, q, opt)
	if err != nil || overTCP {
		return resp, err
	}
	limit := 512
	if opt != nil {
		limit = max(512, int(opt.Class)) // RFC 6891 §6.2.3: the OPT CLASS is the payload size
	}
	if len(resp) > limit {
		// RFC 2181 §9: a truncated answer sets TC; the client asks again
		// over TCP. Send the header and question only.
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Truncated: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true})
		if err := b.StartQuestions(); err != nil {
			return nil, err
		}
		if err := b.Question(q); err != nil {
			return nil, err
		}
		return b.Finish()
	}
	return resp, nil
}

// build makes the full response to the query with header h, question q
// and OPT record opt (nil without EDNS0).
func (s *Server) build(h dnsmessage.Header, q dnsmessage.Question, opt *dnsmessage.ResourceHeader) ([]byte, error) {

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
	_, hasTLSA := z.TLSA[name]
	asked := canon(q.Name.String())
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	// RFC 6840 §5.7: AD only for a query that set AD or DO.
	rh.AuthenticData = z.Secure[asked] && (h.AuthenticData || opt != nil && opt.DNSSECAllowed())
	switch rc, ok := z.RCode[name]; {
	case ok:
		rh.RCode = rc
	case !hasTXT && !hasMX && !hasAddr && !hasTLSA:
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
	finish := func() ([]byte, error) {
		if opt == nil {
			return b.Finish()
		}
		if err := b.StartAdditionals(); err != nil {
			return nil, err
		}
		var oh dnsmessage.ResourceHeader
		if err := oh.SetEDNS0(4096, dnsmessage.RCodeSuccess, opt.DNSSECAllowed()); err != nil {
			return nil, err
		}
		var o dnsmessage.OPTResource
		if code, ok := z.EDE[asked]; ok {
			data := binary.BigEndian.AppendUint16(nil, code)
			data = append(data, "dnstest "+strconv.Itoa(int(code))...)
			o.Options = append(o.Options, dnsmessage.Option{Code: 15, Data: data})
		}
		if err := b.OPTResource(oh, o); err != nil {
			return nil, err
		}
		return b.Finish()
	}
	if rh.RCode != dnsmessage.RCodeSuccess {
		return finish()
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
	case TypeTLSA:
		for _, t := range z.TLSA[name] {
			data := append([]byte{t.Usage, t.Selector, t.MatchingType}, t.Data...)
			if err := b.UnknownResource(rr, dnsmessage.UnknownResource{Type: TypeTLSA, Data: data}); err != nil {
				return nil, err
			}
		}
	}
	return finish()
}
