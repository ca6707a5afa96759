package submit

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// tlsMode says how a session uses STARTTLS (RFC 3207).
type tlsMode int

const (
	tlsRequired   tlsMode = iota // STARTTLS with verification, or fail
	tlsOptional                  // STARTTLS with verification when offered
	tlsUnverified                // STARTTLS without verification when offered
	tlsNone                      // never STARTTLS
)

// tlsFailure marks a failed STARTTLS handshake, after which an
// opportunistic sender reconnects.
type tlsFailure struct{ err error }

func (e *tlsFailure) Error() string { return "submit: STARTTLS failed: " + e.err.Error() }
func (e *tlsFailure) Unwrap() error { return e.err }

// transactionError marks an error answering MAIL, RCPT or DATA (as opposed
// to connection set-up), which another MX host would not change when
// permanent.
type transactionError struct{ err error }

func (e *transactionError) Error() string { return e.err.Error() }
func (e *transactionError) Unwrap() error { return e.err }

// session is an SMTP session after greeting, EHLO and optional TLS.
type session struct {
	c    *smtp.Client
	tls  bool // STARTTLS or implicit TLS is active
	stop func() bool
}

func (s *session) close() {
	s.stop()
	s.c.Close()
}

// dial opens a TCP connection to addr, capped at maxServerBytes per
// reply.
func (s *SMTPSender) dial(ctx context.Context, addr string) (net.Conn, error) {
	dial := s.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: defaultConnectTimeout}).DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &replyCapConn{Conn: conn}, nil
}

// tlsConfig returns the TLS configuration for host.
func (s *SMTPSender) tlsConfig(host string, verify bool) *tls.Config {
	var cfg *tls.Config
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	cfg.ServerName = strings.TrimSuffix(host, ".")
	if !verify {
		cfg.InsecureSkipVerify = true
	}
	return cfg
}

func (s *SMTPSender) helloName() string {
	if s.HelloName != "" {
		return s.HelloName
	}
	return "localhost"
}

// newSession wraps conn (greeting already consumed when greeted is true;
// reads come from pending then) in a go-smtp client bound to ctx and says
// EHLO. raw is the TCP connection under conn, closed when ctx ends.
func (s *SMTPSender) newSession(ctx context.Context, raw, conn net.Conn, pending io.Reader, greeted, isTLS bool) (*session, error) {
	c := conn
	if greeted {
		// go-smtp reads a greeting first; the real one was consumed before
		// STARTTLS (or before deciding against it), so present a synthetic
		// one. The EHLO that follows is sent again, which RFC 5321 §4.1.4
		// allows at any time.
		r := io.MultiReader(strings.NewReader("220 go-tlsrpt resumed session\r\n"), pending)
		c = &prefixConn{Conn: conn, r: r}
	}
	client := smtp.NewClient(c)
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < client.CommandTimeout {
			client.CommandTimeout = d
			client.SubmissionTimeout = d
		}
	}
	// Close the TCP connection, not a TLS one: tls.Conn.Close writes an
	// alert and could block on a stuck peer.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	if err := client.Hello(s.helloName()); err != nil {
		stop()
		client.Close()
		return nil, ctxErr(ctx, err)
	}
	return &session{c: client, tls: isTLS, stop: stop}, nil
}

// prefixConn is a net.Conn whose reads come from r.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (p *prefixConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// dialImplicitTLS opens a TLS connection (RFC 8314) to a relay.
func (s *SMTPSender) dialImplicitTLS(ctx context.Context, host, addr string) (*session, error) {
	conn, err := s.dial(ctx, addr)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	tc := tls.Client(conn, s.tlsConfig(host, true))
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, ctxErr(ctx, err)
	}
	return s.newSession(ctx, conn, tc, nil, false, true)
}

// open connects to addr, reads the greeting, says EHLO and negotiates
// STARTTLS according to mode. A failed handshake in an opportunistic mode
// is a *tlsFailure: the connection is unusable and the caller reconnects.
func (s *SMTPSender) open(ctx context.Context, host, addr string, mode tlsMode) (*session, error) {
	conn, err := s.dial(ctx, addr)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	ok := false
	defer func() {
		if !ok {
			conn.Close()
		}
	}()
	if dl, has := ctx.Deadline(); has {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(defaultCommandTimeout))
	}
	br := bufio.NewReader(conn)
	tr := textproto.NewReader(br)
	if _, _, err := tr.ReadResponse(220); err != nil {
		return nil, ctxErr(ctx, smtpErr(err))
	}
	if _, err := io.WriteString(conn, "EHLO "+s.helloName()+"\r\n"); err != nil {
		return nil, ctxErr(ctx, err)
	}
	_, msg, err := tr.ReadResponse(250)
	starttls := false
	if err != nil {
		var pe *textproto.Error
		if !errors.As(err, &pe) || pe.Code/100 != 5 {
			return nil, ctxErr(ctx, smtpErr(err))
		}
		// No EHLO: go-smtp falls back to HELO; no STARTTLS then.
	} else {
		for _, line := range strings.Split(msg, "\n")[1:] {
			if kw, _, _ := strings.Cut(strings.TrimSpace(line), " "); strings.EqualFold(kw, "STARTTLS") {
				starttls = true
			}
		}
	}
	if mode == tlsNone || !starttls {
		if mode == tlsRequired {
			return nil, &DeliveryError{URI: addr, Retryable: true, Err: ErrTLSRequired}
		}
		conn.SetDeadline(time.Time{})
		sess, err := s.newSession(ctx, conn, conn, br, true, false)
		ok = err == nil
		return sess, err
	}
	if _, err := io.WriteString(conn, "STARTTLS\r\n"); err != nil {
		return nil, ctxErr(ctx, err)
	}
	if _, _, err := tr.ReadResponse(220); err != nil {
		if mode == tlsRequired {
			return nil, ctxErr(ctx, smtpErr(err))
		}
		return nil, &tlsFailure{err: smtpErr(err)}
	}
	if br.Buffered() > 0 {
		// Bytes after the 220 before TLS: a STARTTLS command injection
		// (CVE-2011-0411 class). Never let them reach the TLS session.
		err := errors.New("submit: data sent before the TLS handshake")
		if mode == tlsRequired {
			return nil, err
		}
		return nil, &tlsFailure{err: err}
	}
	verify := mode != tlsUnverified
	tc := tls.Client(conn, s.tlsConfig(host, verify))
	if err := tc.HandshakeContext(ctx); err != nil {
		if mode == tlsRequired || ctx.Err() != nil {
			return nil, ctxErr(ctx, err)
		}
		return nil, &tlsFailure{err: err}
	}
	conn.SetDeadline(time.Time{})
	sess, err := s.newSession(ctx, conn, tc, tc, true, true)
	ok = err == nil
	return sess, err
}

// transact runs MAIL, RCPT (NOTIFY=NEVER) and DATA, then QUIT.
func (sess *session) transact(ctx context.Context, from string, to []string, msg []byte) (*SMTPReply, error) {
	reply, err := sess.transact1(from, to, msg)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	return reply, nil
}

func (sess *session) transact1(from string, to []string, msg []byte) (*SMTPReply, error) {
	c := sess.c
	if err := c.Mail(from, &smtp.MailOptions{Size: int64(len(msg))}); err != nil {
		return nil, &transactionError{err}
	}
	for _, rcpt := range to {
		// RFC 3461 §4.1: NOTIFY=NEVER, so that a report that cannot be
		// delivered does not bounce back to the reporter (RFC 8460 §3:
		// avoid report loops).
		// go-smtp sends it only when the server advertises DSN.
		if err := c.Rcpt(rcpt, &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyNever}}); err != nil {
			return nil, &transactionError{err}
		}
	}
	w, err := c.Data()
	if err != nil {
		return nil, &transactionError{err}
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return nil, err
	}
	// go-smtp accepts only 250 here (RFC 5321 §4.1.1.4); any other reply
	// is an *smtp.SMTPError.
	resp, err := w.CloseWithResponse()
	if err != nil {
		return nil, &transactionError{err}
	}
	// The message is accepted; a failing QUIT changes nothing.
	_ = c.Quit()
	return &SMTPReply{Code: 250, Text: resp.StatusText}, nil
}

// smtpErr converts a textproto reply error into an *smtp.SMTPError.
func smtpErr(err error) error {
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return &smtp.SMTPError{Code: pe.Code, Message: pe.Msg}
	}
	return err
}

// ctxErr prefers the context's error when the context ended, so that a
// deadline shows as context.DeadlineExceeded instead of a closed
// connection.
func ctxErr(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); cerr == nil && ok && !time.Now().Before(dl) {
		// The connection deadline (set from ctx) fired a moment before
		// the context noticed.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return errors.Join(cerr, err)
	}
	return err
}
