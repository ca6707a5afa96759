package submit

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// SMTPSender is a MailSender speaking SMTP (RFC 5321) with
// github.com/emersion/go-smtp, either through a relay or submission
// server, or directly to the MX hosts of each recipient's domain. The
// zero value delivers directly to port 25 of the MX hosts.
//
// Every recipient gets NOTIFY=NEVER when the server supports DSN
// (RFC 3461), so that a failing report never bounces back into a loop.
type SMTPSender struct {
	// Relay is the "host:port" of a relay or submission server
	// (RFC 6409). Empty means direct delivery to the MX hosts.
	Relay string
	// ImplicitTLS makes the relay connection start with TLS (port 465,
	// RFC 8314) instead of STARTTLS.
	ImplicitTLS bool
	// OpportunisticTLS lets a relay session continue in clear text when
	// the relay does not offer STARTTLS. The zero value requires TLS with
	// the relay (certificate verified per TLSConfig). It has no effect on
	// direct delivery, which is always opportunistic.
	OpportunisticTLS bool
	// Username and Password, when Username is set, authenticate with the
	// relay using AUTH PLAIN (RFC 4616), only ever over TLS.
	Username, Password string
	// TLSConfig is the base TLS configuration (RootCAs, client
	// certificates, ...). Nil means the system defaults. ServerName is
	// always set to the host being contacted.
	TLSConfig *tls.Config
	// Resolver looks up MX records (LookupMX) and the addresses of MX
	// hosts (LookupNetIP) for direct delivery; *net.Resolver satisfies
	// it. Nil means net.DefaultResolver.
	Resolver tlsrpt.Resolver
	// Port is the TCP port of MX hosts for direct delivery. Zero means 25.
	Port int
	// HelloName is the name sent with EHLO. Empty means "localhost"; an
	// MTA should set its own host name, many MX hosts reject "localhost".
	HelloName string
	// DialContext opens the TCP connections ("tcp", "host:port"), the
	// shape of http.Transport.DialContext and policy.STSFetcher's; a
	// (*net.Dialer).DialContext method value fits. Nil means a net.Dialer
	// with a 30 s connect timeout.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
}

// defaultCommandTimeout is RFC 5321 §4.5.3.2's five minutes.
const defaultCommandTimeout = 5 * time.Minute

// defaultConnectTimeout bounds a TCP connect when DialContext is nil, so that
// one unreachable MX address does not use up the caller's deadline.
const defaultConnectTimeout = 30 * time.Second

// SendMail implements MailSender. With a Relay, the message goes in one
// transaction to all recipients. Without, recipients are grouped by
// domain and each group is delivered to that domain's MX hosts; the error
// then joins one *DeliveryError per failed domain. A transaction succeeds
// only if every recipient was accepted. The reply is the server's reply to
// the end of the data; with several recipient domains (direct delivery)
// it is the reply of the last domain's transaction, and nil when any
// domain failed.
func (s *SMTPSender) SendMail(ctx context.Context, from string, to []string, msg []byte) (*SMTPReply, error) {
	if len(to) == 0 {
		return nil, &DeliveryError{Err: errors.New("submit: no recipients")}
	}
	if s.Relay != "" {
		host, _, err := net.SplitHostPort(s.Relay)
		if err != nil {
			return nil, &DeliveryError{URI: s.Relay, Err: err}
		}
		reply, err := s.viaRelay(ctx, host, from, to, msg)
		if err != nil {
			return nil, asDeliveryError(strings.Join(to, ","), err)
		}
		return reply, nil
	}
	var groups []string
	byDomain := map[string][]string{}
	for _, rcpt := range to {
		at := strings.LastIndexByte(rcpt, '@')
		d, err := domain.ToASCII(rcpt[at+1:])
		if at < 0 || err != nil {
			return nil, &DeliveryError{URI: rcpt, Err: wrap(ErrInvalidURI, "recipient "+rcpt, err)}
		}
		if _, ok := byDomain[d]; !ok {
			groups = append(groups, d)
		}
		byDomain[d] = append(byDomain[d], rcpt)
	}
	var errs []error
	var last *SMTPReply
	for _, d := range groups {
		rcpts := byDomain[d]
		reply, err := s.direct(ctx, d, from, rcpts, msg)
		if err != nil {
			errs = append(errs, asDeliveryError(strings.Join(rcpts, ","), err))
			continue
		}
		last = reply
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return last, nil
}

// asDeliveryError wraps err, if it is not one already, in a *DeliveryError
// classified by its SMTP code.
func asDeliveryError(uri string, err error) error {
	if err == nil {
		return nil
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		if de.URI == "" {
			de.URI = uri
		}
		return de
	}
	return &DeliveryError{URI: uri, Retryable: temporary(err), StatusCode: statusCode(err), Err: err}
}

// viaRelay delivers through the configured relay.
func (s *SMTPSender) viaRelay(ctx context.Context, host, from string, to []string, msg []byte) (*SMTPReply, error) {
	mode := tlsRequired
	if s.OpportunisticTLS {
		mode = tlsOptional
	}
	var sess *session
	var err error
	if s.ImplicitTLS {
		sess, err = s.dialImplicitTLS(ctx, host, s.Relay)
	} else {
		sess, err = s.open(ctx, host, s.Relay, mode)
	}
	if err != nil {
		return nil, err
	}
	defer sess.close()
	if s.Username != "" {
		if !sess.tls {
			return nil, &DeliveryError{URI: s.Relay, Err: ErrTLSRequired}
		}
		if err := sess.c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			return nil, ctxErr(ctx, err)
		}
	}
	return sess.transact(ctx, from, to, msg)
}

// direct delivers to the MX hosts of domain d (RFC 5321 §5.1).
func (s *SMTPSender) direct(ctx context.Context, d, from string, to []string, msg []byte) (*SMTPReply, error) {
	res := s.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	hosts, err := mxHosts(ctx, res, d)
	if err != nil {
		return nil, err
	}
	port := s.Port
	if port == 0 {
		port = 25
	}
	var last error
	for _, h := range hosts {
		addrs, err := res.LookupNetIP(ctx, "ip", h)
		if err != nil || len(addrs) == 0 {
			last = &DeliveryError{Retryable: true, Err: wrap(ErrNoAddress, "MX host "+h, err)}
			continue
		}
		for _, a := range addrs {
			addr := net.JoinHostPort(a.Unmap().String(), strconv.Itoa(port))
			reply, err := s.directOne(ctx, h, addr, from, to, msg)
			if err == nil {
				return reply, nil
			}
			last = err
			var te *transactionError
			if errors.As(err, &te) && !temporary(err) {
				// A 5xx to MAIL, RCPT or DATA is the domain's answer; other
				// hosts would say the same.
				return nil, err
			}
			if ctx.Err() != nil {
				return nil, last
			}
		}
	}
	return nil, last
}

// directOne tries one MX address with opportunistic STARTTLS: first with
// certificate verification, on a certificate error again without it, and
// on any other TLS failure in clear text. RFC 8460 §3 and §5.3.1: report
// mail is delivered despite TLS problems and MTA-STS/DANE failures.
func (s *SMTPSender) directOne(ctx context.Context, host, addr, from string, to []string, msg []byte) (*SMTPReply, error) {
	for _, mode := range []tlsMode{tlsOptional, tlsUnverified, tlsNone} {
		sess, err := s.open(ctx, host, addr, mode)
		var tf *tlsFailure
		if errors.As(err, &tf) {
			if mode == tlsOptional && isCertificateError(tf.err) {
				continue
			}
			if mode != tlsNone {
				// Skip the unverified attempt: the handshake itself fails.
				sess, err = s.open(ctx, host, addr, tlsNone)
			}
		}
		if err != nil {
			return nil, err
		}
		reply, err := sess.transact(ctx, from, to, msg)
		sess.close()
		return reply, err
	}
	return nil, nil // not reached: tlsNone never yields a tlsFailure
}

// mxHosts returns the hosts to try for domain d, in preference order.
func mxHosts(ctx context.Context, res tlsrpt.Resolver, d string) ([]string, error) {
	mxs, err := res.LookupMX(ctx, d)
	var dnsErr *net.DNSError
	switch {
	case err != nil && errors.As(err, &dnsErr) && dnsErr.IsNotFound, err == nil && len(mxs) == 0:
		// RFC 5321 §5.1: no MX records, the domain itself is the implicit
		// MX. Whether it has an address is found out when connecting.
		addrs, err := res.LookupNetIP(ctx, "ip", d)
		if err != nil || len(addrs) == 0 {
			var dnsErr *net.DNSError
			notFound := err == nil || errors.As(err, &dnsErr) && dnsErr.IsNotFound
			return nil, &DeliveryError{Retryable: !notFound, Err: wrap(ErrNoAddress, "domain "+d, err)}
		}
		return []string{d}, nil
	case err != nil:
		return nil, &DeliveryError{Retryable: true, Err: err}
	}
	// RFC 7505 §3: a single MX record with an empty exchange ".".
	if len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == "") {
		return nil, &DeliveryError{Err: ErrNullMX}
	}
	mxs = slices.Clone(mxs)
	slices.SortStableFunc(mxs, func(a, b *net.MX) int { return cmp.Compare(a.Pref, b.Pref) })
	var hosts []string
	for _, mx := range mxs {
		h := strings.TrimSuffix(mx.Host, ".")
		if h != "" {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return nil, &DeliveryError{Err: ErrNullMX}
	}
	return hosts, nil
}
