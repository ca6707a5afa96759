package policy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// DNSExchanger sends one DNS query message and returns the response
// message, both in DNS wire format (RFC 1035 §4.1). It is the one
// DNS-message-level interface of the module, for what tlsrpt.Resolver
// cannot give: TLSA records and the AD bit that says a validating
// resolver authenticated them (DANE). *DNSClient implements it over UDP
// and TCP; a DNS-over-HTTPS client (RFC 8484 exchanges exactly these
// messages) or another DNS library fits it as well.
//
// Exchange must return a response to query — same ID, QR set — from
// the one recursive resolver the implementation talks to, and that
// resolver must validate DNSSEC and be reached over a path no attacker
// can write to (loopback, or a channel such as DNS over TLS or HTTPS):
// the AD bit of the answer is the only DNSSEC evidence LookupTLSA sees,
// and RFC 4035 §4.9.3 says to trust it only on such a path. This package
// does not validate DNSSEC itself.
type DNSExchanger interface {
	Exchange(ctx context.Context, query []byte) ([]byte, error)
}

// DNSClient is a DNSExchanger that asks one recursive resolver over UDP
// and, when the UDP answer is truncated, again over TCP (RFC 7766 §5).
// Its zero value asks 127.0.0.1:53, the local validating resolver (such
// as Unbound) that DANE deployments run. It is safe for concurrent use.
type DNSClient struct {
	// Addr is the host:port of the validating recursive resolver; empty
	// means "127.0.0.1:53".
	Addr string
	// Timeout bounds one Exchange, both transports included; 0 means 5
	// seconds. The context's deadline applies as well.
	Timeout time.Duration
}

const (
	defaultDNSAddr    = "127.0.0.1:53"
	defaultDNSTimeout = 5 * time.Second
	// ednsSize is the UDP payload size the query advertises (RFC 6891
	// §6.2.5), the value of DNS Flag Day 2020 that avoids fragmentation.
	ednsSize = 1232
	// typeTLSA is the TLSA RR type (RFC 6698 §7.1), unknown to
	// dnsmessage.
	typeTLSA dnsmessage.Type = 52
	// optionEDE is the EDNS0 option code of Extended DNS Errors (RFC 8914).
	optionEDE = 15
)

// Exchange sends query to the resolver over UDP, and over TCP when the
// answer has the TC bit set, and returns the first response whose ID
// matches (other datagrams are dropped). Errors are the network's,
// wrapped.
func (c *DNSClient) Exchange(ctx context.Context, query []byte) ([]byte, error) {
	if len(query) < 12 {
		return nil, errors.New("policy: dns query shorter than a header")
	}
	addr := c.Addr
	if addr == "" {
		addr = defaultDNSAddr
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultDNSTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := exchangeOver(ctx, "udp", addr, query)
	if err == nil && len(resp) > 2 && resp[2]&0x02 != 0 {
		// RFC 1035 §4.1.1 TC: truncated; RFC 7766 §5: retry over TCP.
		resp, err = exchangeOver(ctx, "tcp", addr, query)
	}
	if err != nil {
		return nil, fmt.Errorf("policy: dns exchange with %s: %w", addr, err)
	}
	return resp, nil
}

// exchangeOver sends query over network ("udp" or "tcp") to addr and
// reads the response with the same ID.
func exchangeOver(ctx context.Context, network, addr string, query []byte) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	wrap := func(err error) error {
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The connection's deadline is the context's; it may fire
			// a moment before the context does.
			return context.DeadlineExceeded
		}
		return err
	}
	if network == "tcp" {
		// RFC 1035 §4.2.2: a two-byte length before each message.
		msg := make([]byte, 2+len(query))
		binary.BigEndian.PutUint16(msg, uint16(len(query)))
		copy(msg[2:], query)
		if _, err := conn.Write(msg); err != nil {
			return nil, wrap(err)
		}
		var l [2]byte
		if _, err := io.ReadFull(conn, l[:]); err != nil {
			return nil, wrap(err)
		}
		resp := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(conn, resp); err != nil {
			return nil, wrap(err)
		}
		if !isResponseTo(resp, query) {
			return nil, errors.New("response over tcp does not match the query id")
		}
		return resp, nil
	}
	if _, err := conn.Write(query); err != nil {
		return nil, wrap(err)
	}
	buf := make([]byte, 65535)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, wrap(err)
		}
		if isResponseTo(buf[:n], query) {
			return append([]byte(nil), buf[:n]...), nil
		}
	}
}

// isResponseTo reports whether resp has query's ID and the QR bit set.
func isResponseTo(resp, query []byte) bool {
	return len(resp) >= 12 && resp[0] == query[0] && resp[1] == query[1] && resp[2]&0x80 != 0
}

// LookupTLSA looks up the TLSA RRset of the TCP service port at host,
// the name _<port>._tcp.<host> (RFC 6698 §3, RFC 7672 §2.2.3: for SMTP
// the port is 25 and host the MX host name), by sending one query
// through ex (nil means a zero DNSClient, the resolver at 127.0.0.1:53).
// The query sets RD, AD (RFC 6840 §5.7) and, in an EDNS0 OPT record
// advertising 1232 bytes, DO (RFC 3225), so that a validating resolver
// says in the AD bit of its answer whether it authenticated the data.
// host may be a U-label or A-label name; any other is a
// *tlsrpt.Diagnostic with CodeInvalidDomain.
//
// It returns the records of the answer that belong to the name (after
// the CNAMEs in the answer) and whether the answer had the AD bit set:
//   - records and true: DANE applies (RFC 7672 §2.2); match the server
//     with MatchTLSA.
//   - records and false: the RRset is not authenticated: RFC 7672 §2.2
//     says to ignore it, as if there were none. An MTA that requires DANE
//     reports FailureDANERequired (it builds that *Error itself).
//   - no records (NXDOMAIN or NODATA): no DANE for the host; true when
//     the denial was authenticated. An MTA that requires DANE reports
//     FailureDANERequired.
//   - SERVFAIL, which a validating resolver answers for data that fails
//     validation: an *Error with FailureDNSSECInvalid (RFC 8460 §4.3.3
//     dnssec-invalid; RFC 7672 §2.1.1 says not to deliver to the host),
//     Policy the tlsa policy of host without RRs and Code taken from an
//     Extended DNS Error (RFC 8914) in the answer when there is one:
//     dnssec-bogus (6), dnssec-indeterminate (5), dnssec-signature-expired
//     (7), dnssec-signature-not-yet-valid (8), dnssec-dnskey-missing (9),
//     dnssec-rrsigs-missing (10), dnssec-nsec-missing (12),
//     dnssec-unsupported-dnskey-algorithm (1),
//     dnssec-unsupported-ds-digest (2), dnssec-no-zone-key-bit (11),
//     dns-no-reachable-authority (22), dns-network-error (23),
//     dns-ede-<n> for another info code; dns-servfail without one.
//
// Other response codes, a response that does not answer the query or
// cannot be parsed, and errors of ex are returned as other errors: the
// lookup could not be made, which is not something to report.
func LookupTLSA(ctx context.Context, ex DNSExchanger, host string, port int) ([]TLSA, bool, error) {
	h, err := normalizeDomain(host)
	if err != nil {
		return nil, false, err
	}
	if port < 1 || port > 65535 {
		return nil, false, errors.New("policy: tlsa lookup: port " + strconv.Itoa(port) + " out of range")
	}
	if ex == nil {
		ex = &DNSClient{}
	}
	qname := "_" + strconv.Itoa(port) + "._tcp." + h + "."
	name, err := dnsmessage.NewName(qname)
	if err != nil {
		return nil, false, fmt.Errorf("policy: tlsa lookup: %w", err)
	}
	q := dnsmessage.Question{Name: name, Type: typeTLSA, Class: dnsmessage.ClassINET}
	id := uint16(rand.Uint32())
	query, err := tlsaQuery(id, q)
	if err != nil {
		return nil, false, fmt.Errorf("policy: tlsa lookup: %w", err)
	}
	resp, err := ex.Exchange(ctx, query)
	if err != nil {
		return nil, false, fmt.Errorf("policy: tlsa lookup of %s: %w", qname, err)
	}
	ans, err := parseTLSAResponse(resp, id, q)
	if err != nil {
		return nil, false, fmt.Errorf("policy: tlsa lookup of %s: %w", qname, err)
	}
	switch ans.rcode {
	case dnsmessage.RCodeSuccess:
		return ans.rrs, ans.ad, nil
	case dnsmessage.RCodeNameError:
		return nil, ans.ad, nil
	case dnsmessage.RCodeServerFailure:
		return nil, false, &Error{
			Failure: FailureDNSSECInvalid,
			Code:    edeCode(ans.ede),
			Policy:  Policy{Type: TypeTLSA, Domain: h},
			Err:     errors.New("SERVFAIL from the validating resolver for " + qname),
		}
	}
	return nil, false, fmt.Errorf("policy: tlsa lookup of %s: response code %s", qname, ans.rcode)
}

// tlsaQuery builds the TLSA query for q with the ID id.
func tlsaQuery(id uint16, q dnsmessage.Question) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 0, 64+len(q.Name.Data)), dnsmessage.Header{
		ID:               id,
		RecursionDesired: true,
		AuthenticData:    true, // RFC 6840 §5.7
	})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAdditionals(); err != nil {
		return nil, err
	}
	var opt dnsmessage.ResourceHeader
	if err := opt.SetEDNS0(ednsSize, dnsmessage.RCodeSuccess, true); err != nil {
		return nil, err
	}
	if err := b.OPTResource(opt, dnsmessage.OPTResource{}); err != nil {
		return nil, err
	}
	return b.Finish()
}

// tlsaAnswer is what LookupTLSA needs from a response.
type tlsaAnswer struct {
	rrs   []TLSA
	ad    bool
	rcode dnsmessage.RCode
	ede   int // the first Extended DNS Error info code, or -1
}

// maxCNAMEs bounds the CNAME chain followed in an answer.
const maxCNAMEs = 8

// parseTLSAResponse parses resp, the response to the query with ID id
// and question q: its header, its TLSA records for q.Name after the
// CNAME chain in the answer section, and the first Extended DNS Error of
// its OPT record. Records of other names, types and classes are skipped;
// a TLSA record shorter than its three fields is kept with no data, so
// that a malformed RRset is unusable rather than absent.
func parseTLSAResponse(resp []byte, id uint16, q dnsmessage.Question) (tlsaAnswer, error) {
	ans := tlsaAnswer{ede: -1}
	var p dnsmessage.Parser
	h, err := p.Start(resp)
	if err != nil {
		return ans, err
	}
	if h.ID != id || !h.Response {
		return ans, errors.New("the message is not a response to the query")
	}
	ans.ad, ans.rcode = h.AuthenticData, h.RCode
	questions, err := p.AllQuestions()
	if err != nil {
		return ans, err
	}
	if len(questions) != 1 || questions[0].Type != q.Type || questions[0].Class != q.Class ||
		!strings.EqualFold(questions[0].Name.String(), q.Name.String()) {
		return ans, errors.New("the response does not answer the question asked")
	}

	type owned struct {
		owner string
		rr    TLSA
	}
	var tlsas []owned
	cnames := map[string]string{}
	for {
		rh, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return ans, err
		}
		owner := strings.ToLower(rh.Name.String())
		switch {
		case rh.Class != dnsmessage.ClassINET:
			err = p.SkipAnswer()
		case rh.Type == dnsmessage.TypeCNAME:
			var c dnsmessage.CNAMEResource
			c, err = p.CNAMEResource()
			if err == nil {
				cnames[owner] = strings.ToLower(c.CNAME.String())
			}
		case rh.Type == typeTLSA:
			var u dnsmessage.UnknownResource
			u, err = p.UnknownResource()
			if err == nil {
				tlsas = append(tlsas, owned{owner, tlsaFromRData(u.Data)})
			}
		default:
			err = p.SkipAnswer()
		}
		if err != nil {
			return ans, err
		}
	}
	target := strings.ToLower(q.Name.String())
	for range maxCNAMEs {
		next, ok := cnames[target]
		if !ok {
			break
		}
		target = next
	}
	for _, t := range tlsas {
		if t.owner == target {
			ans.rrs = append(ans.rrs, t.rr)
		}
	}

	if err := p.SkipAllAuthorities(); err != nil {
		return ans, err
	}
	for {
		rh, err := p.AdditionalHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return ans, err
		}
		if rh.Type != dnsmessage.TypeOPT {
			if err := p.SkipAdditional(); err != nil {
				return ans, err
			}
			continue
		}
		opt, err := p.OPTResource()
		if err != nil {
			return ans, err
		}
		for _, o := range opt.Options {
			// RFC 8914 §2: INFO-CODE (16 bits), then EXTRA-TEXT.
			if o.Code == optionEDE && len(o.Data) >= 2 && ans.ede < 0 {
				ans.ede = int(binary.BigEndian.Uint16(o.Data))
			}
		}
	}
	return ans, nil
}

// tlsaFromRData decodes TLSA RDATA (RFC 6698 §2.1): usage, selector,
// matching type, then the certificate association data.
func tlsaFromRData(d []byte) TLSA {
	if len(d) < 3 {
		return TLSA{Usage: 255, Selector: 255, MatchingType: 255}
	}
	return TLSA{
		Usage:        Usage(d[0]),
		Selector:     Selector(d[1]),
		MatchingType: MatchingType(d[2]),
		Data:         append([]byte(nil), d[3:]...),
	}
}

// edeCode is the reason code for the Extended DNS Error info code n (RFC
// 8914 §4), or -1 for none.
func edeCode(n int) string {
	switch n {
	case -1:
		return "dns-servfail"
	case 1:
		return "dnssec-unsupported-dnskey-algorithm"
	case 2:
		return "dnssec-unsupported-ds-digest"
	case 5:
		return "dnssec-indeterminate"
	case 6:
		return "dnssec-bogus"
	case 7:
		return "dnssec-signature-expired"
	case 8:
		return "dnssec-signature-not-yet-valid"
	case 9:
		return "dnssec-dnskey-missing"
	case 10:
		return "dnssec-rrsigs-missing"
	case 11:
		return "dnssec-no-zone-key-bit"
	case 12:
		return "dnssec-nsec-missing"
	case 22:
		return "dns-no-reachable-authority"
	case 23:
		return "dns-network-error"
	}
	return "dns-ede-" + strconv.Itoa(n)
}
