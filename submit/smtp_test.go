package submit

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/internal/testdkim"
	"github.com/go-tlsrpt/tlsrpt/mime"
)

// mailServer is a real go-smtp server on 127.0.0.1 that records what it
// receives. reply, when set, decides the answer to each command of the
// n-th transaction (from 0): a non-nil error is sent instead of 250.
type mailServer struct {
	srv  *smtp.Server
	addr string
	port int

	mu    sync.Mutex
	conns int // connections accepted
	n     int // transactions begun (MAIL commands)
	mails []receivedMail
	reply func(n int, cmd string) error
}

type receivedMail struct {
	From   string
	To     []string
	Notify []smtp.DSNNotify
	TLS    bool
	Auth   string
	Data   []byte
}

type mailSession struct {
	s    *mailServer
	conn *smtp.Conn
	n    int
	m    receivedMail
}

func (s *mailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &mailSession{s: s, conn: c}, nil
}

func (ms *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ms *mailSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "reporter" || password != "secret" {
			return errors.New("invalid credentials")
		}
		ms.m.Auth = username
		return nil
	}), nil
}

func (ms *mailSession) answer(cmd string) error {
	ms.s.mu.Lock()
	defer ms.s.mu.Unlock()
	if ms.s.reply == nil {
		return nil
	}
	return ms.s.reply(ms.n, cmd)
}

func (ms *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	ms.s.mu.Lock()
	ms.n = ms.s.n
	ms.s.n++
	ms.s.mu.Unlock()
	ms.m.From = from
	_, ms.m.TLS = ms.conn.TLSConnectionState()
	return ms.answer("MAIL")
}

func (ms *mailSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	if err := ms.answer("RCPT"); err != nil {
		return err
	}
	ms.m.To = append(ms.m.To, to)
	if opts != nil {
		ms.m.Notify = append(ms.m.Notify, opts.Notify...)
	}
	return nil
}

func (ms *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ms.answer("DATA"); err != nil {
		return err
	}
	ms.m.Data = data
	ms.s.mu.Lock()
	ms.s.mails = append(ms.s.mails, ms.m)
	ms.s.mu.Unlock()
	return nil
}

func (ms *mailSession) Reset()        { ms.m = receivedMail{Auth: ms.m.Auth} }
func (ms *mailSession) Logout() error { return nil }

// newMailServer starts a go-smtp server with STARTTLS (cert) on a random
// loopback port; cert may be nil for a server without STARTTLS.
func newMailServer(t *testing.T, cert *tls.Certificate, dsn bool) *mailServer {
	t.Helper()
	ms := &mailServer{}
	srv := smtp.NewServer(ms)
	srv.Domain = "mx.example.net"
	srv.EnableDSN = dsn
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = false
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.srv = srv
	ms.addr = l.Addr().String()
	ms.port = l.Addr().(*net.TCPAddr).Port
	go srv.Serve(countingListener{l, ms})
	t.Cleanup(func() { srv.Close() })
	return ms
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	s *mailServer
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.mu.Lock()
		l.s.conns++
		l.s.mu.Unlock()
	}
	return c, err
}

func (s *mailServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *mailServer) received() []receivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedMail(nil), s.mails...)
}

// staticResolver is a tlsrpt.Resolver answering MX and address queries
// from maps; names absent from both, and every TXT query, are "not found"
// the way *net.Resolver reports it.
type staticResolver struct {
	mx    map[string][]*net.MX
	addrs map[string][]netip.Addr
	fail  map[string]error
}

func (r staticResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r staticResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if err := r.fail[name]; err != nil {
		return nil, err
	}
	if mx, ok := r.mx[name]; ok {
		return mx, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r staticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r.addrs[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

var loopback = []netip.Addr{netip.MustParseAddr("127.0.0.1")}

// verifyDKIM checks msg's DKIM signature with go-msgauth against txt
// published at selector._domainkey.domain.
func verifyDKIM(t *testing.T, msg []byte, name, txt string) {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{
		LookupTXT: func(d string) ([]string, error) {
			if d == name {
				return []string{txt}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: d, IsNotFound: true}
		},
	})
	if err != nil {
		t.Fatalf("dkim.Verify: %v", err)
	}
	if len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("DKIM verifications: %+v", vs)
	}
	keys := strings.ToLower(strings.Join(vs[0].HeaderKeys, ":"))
	for _, h := range []string{"tls-report-domain", "tls-report-submitter"} {
		if !strings.Contains(keys, h) {
			t.Errorf("DKIM h= %q lacks %s (RFC 8460 §3)", keys, h)
		}
	}
}

func TestDeliverMailDirectSTARTTLSWithDKIM(t *testing.T) {
	cert, pool := testCert(t, "mx.example.net")
	ms := newMailServer(t, &cert, true)
	key := testdkim.Ed25519(t, "sender.example", "rpt")
	sender := &SMTPSender{
		Resolver:  staticResolver{mx: map[string][]*net.MX{"example.net": {{Host: "mx.example.net.", Pref: 10}}}, addrs: map[string][]netip.Addr{"mx.example.net": loopback}},
		Port:      ms.port,
		HelloName: "mta.sender.example",
		TLSConfig: &tls.Config{RootCAs: pool},
	}
	d := &Deliverer{
		Mail: sender,
		MailOptions: mime.WriteOptions{
			From: "TLS reporting <tlsrpt@sender.example>",
			DKIM: &mime.DKIMOptions{Domain: key.Domain, Selector: key.Selector, Signer: key.Signer},
		},
	}
	res, err := d.Deliver(context.Background(), testReport(), record(t, "mailto:tlsrpt@example.net"))
	if err != nil || !res.Delivered() {
		t.Fatalf("Deliver: %v", err)
	}
	if diff := cmp.Diff(outcomeSummary{Status: StatusAccepted, StatusCode: 250}, summarize(res.Outcomes[0])); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	// The reply to the data's end, as go-smtp's server words it.
	if got, want := res.Outcomes[0].Reply, "2.0.0 OK: queued"; got != want {
		t.Errorf("Outcome.Reply = %q, want %q", got, want)
	}
	mails := ms.received()
	if len(mails) != 1 {
		t.Fatalf("server received %d mails", len(mails))
	}
	m := mails[0]
	got := receivedMail{From: m.From, To: m.To, Notify: m.Notify, TLS: m.TLS}
	want := receivedMail{From: "tlsrpt@sender.example", To: []string{"tlsrpt@example.net"}, Notify: []smtp.DSNNotify{smtp.DSNNotifyNever}, TLS: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
	if n := ms.connections(); n != 1 {
		t.Errorf("%d connections; a verified STARTTLS needs one", n)
	}
	verifyDKIM(t, m.Data, key.TXTName(), key.Record+"; s=email:tlsrpt")
	if !bytes.Contains(m.Data, []byte("TLS-Report-Domain: example.net")) {
		t.Errorf("message lacks TLS-Report-Domain:\n%s", m.Data)
	}
}

func TestSMTPDirectUntrustedCertificateStillDelivers(t *testing.T) {
	// RFC 8460 §3, §5.3.1: report mail goes out despite TLS problems.
	cert, _ := testCert(t, "other.example")
	ms := newMailServer(t, &cert, false)
	sender := &SMTPSender{
		Resolver: staticResolver{mx: map[string][]*net.MX{"example.net": {{Host: "mx.example.net", Pref: 10}}}, addrs: map[string][]netip.Addr{"mx.example.net": loopback}},
		Port:     ms.port,
	}
	if _, err := sender.SendMail(context.Background(), "a@sender.example", []string{"b@example.net"}, []byte("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if m := ms.received(); len(m) != 1 || !m[0].TLS || len(m[0].Notify) != 0 {
		t.Fatalf("received %+v; want one mail over (unverified) TLS, no NOTIFY without DSN", m)
	}
	if n := ms.connections(); n != 2 {
		t.Errorf("%d connections; want 2 (verified attempt, then unverified)", n)
	}
}

func TestSMTPDirectHandshakeFailureFallsBackToPlaintext(t *testing.T) {
	cert, pool := testCert(t, "mx.example.net")
	ms := newMailServer(t, &cert, false)
	// The server only speaks TLS 1.1; the client requires 1.2.
	ms.srv.TLSConfig.MaxVersion = tls.VersionTLS11
	sender := &SMTPSender{
		Resolver:  staticResolver{mx: map[string][]*net.MX{"example.net": {{Host: "mx.example.net", Pref: 10}}}, addrs: map[string][]netip.Addr{"mx.example.net": loopback}},
		Port:      ms.port,
		TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	if _, err := sender.SendMail(context.Background(), "a@sender.example", []string{"b@example.net"}, []byte("\r\nbody\r\n")); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if m := ms.received(); len(m) != 1 || m[0].TLS {
		t.Fatalf("received %+v; want one mail in clear text", m)
	}
	if n := ms.connections(); n != 2 {
		t.Errorf("%d connections; want 2 (failed handshake, then clear text)", n)
	}
}

func TestSMTPDirectNoSTARTTLSAndImplicitMX(t *testing.T) {
	ms := newMailServer(t, nil, false)
	// No MX record: the domain itself is the implicit MX (RFC 5321 §5.1).
	sender := &SMTPSender{
		Resolver: staticResolver{addrs: map[string][]netip.Addr{"example.net": loopback}},
		Port:     ms.port,
	}
	if _, err := sender.SendMail(context.Background(), "a@sender.example", []string{"b@example.net"}, []byte("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if m := ms.received(); len(m) != 1 || m[0].TLS {
		t.Fatalf("received %+v; want one plain-text mail", m)
	}
}

func TestSMTPDirectFallsBackToNextMX(t *testing.T) {
	ms := newMailServer(t, nil, false)
	// A closed port for the preferred MX.
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("127.0.0.2 not available:", err)
	}
	l.Close()
	sender := &SMTPSender{
		Resolver: staticResolver{
			mx: map[string][]*net.MX{"example.net": {{Host: "backup.example.net", Pref: 20}, {Host: "mx.example.net", Pref: 10}}},
			addrs: map[string][]netip.Addr{
				"mx.example.net":     {netip.MustParseAddr("127.0.0.2")},
				"backup.example.net": loopback,
			},
		},
		Port: ms.port,
	}
	if _, err := sender.SendMail(context.Background(), "a@sender.example", []string{"b@example.net"}, []byte("\r\nbody\r\n")); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if len(ms.received()) != 1 {
		t.Fatal("backup MX received nothing")
	}
}

func TestSMTPReplyCodes(t *testing.T) {
	e451 := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	e550 := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	tests := []struct {
		name  string
		reply func(n int, cmd string) error
		want  []outcomeSummary // per attempt
	}{
		{name: "451 then 250", reply: func(n int, cmd string) error {
			if n == 0 && cmd == "RCPT" {
				return e451
			}
			return nil
		}, want: []outcomeSummary{{Status: StatusTemporaryFailure, StatusCode: 451}, {Status: StatusAccepted, StatusCode: 250}}},
		{name: "451 after DATA then 250", reply: func(n int, cmd string) error {
			if n == 0 && cmd == "DATA" {
				return e451
			}
			return nil
		}, want: []outcomeSummary{{Status: StatusTemporaryFailure, StatusCode: 451}, {Status: StatusAccepted, StatusCode: 250}}},
		{name: "550", reply: func(n int, cmd string) error {
			if cmd == "RCPT" {
				return e550
			}
			return nil
		}, want: []outcomeSummary{{Status: StatusPermanentFailure, StatusCode: 550}}},
		{name: "554 to MAIL", reply: func(n int, cmd string) error {
			if cmd == "MAIL" {
				return &smtp.SMTPError{Code: 554, Message: "no"}
			}
			return nil
		}, want: []outcomeSummary{{Status: StatusPermanentFailure, StatusCode: 554}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, pool := testCert(t, "127.0.0.1")
			ms := newMailServer(t, &cert, true)
			ms.mu.Lock()
			ms.reply = tt.reply
			ms.mu.Unlock()
			d := &Deliverer{
				Mail:        &SMTPSender{Relay: ms.addr, TLSConfig: &tls.Config{RootCAs: pool}},
				MailOptions: mime.WriteOptions{From: "tlsrpt@sender.example"},
			}
			first := time.Now()
			for i, want := range tt.want {
				res, err := d.Deliver(context.Background(), testReport(), record(t, "mailto:tlsrpt@example.net"))
				if diff := cmp.Diff(want, summarize(res.Outcomes[0])); diff != "" {
					t.Fatalf("attempt %d outcome (-want +got):\n%s\nerror: %v", i+1, diff, err)
				}
				_, retry := (&RetryPolicy{}).NextAttempt(first, time.Now(), i+1, err)
				if retry != (want.Status == StatusTemporaryFailure) {
					t.Errorf("attempt %d: NextAttempt retry = %v for %v", i+1, retry, err)
				}
				var se *smtp.SMTPError
				if want.Status != StatusAccepted && !errors.As(err, &se) {
					t.Errorf("error %v does not wrap *smtp.SMTPError", err)
				}
			}
			wantMails := 0
			if tt.want[len(tt.want)-1].Status == StatusAccepted {
				wantMails = 1
			}
			if got := len(ms.received()); got != wantMails {
				t.Errorf("server stored %d mails, want %d", got, wantMails)
			}
		})
	}
}

func TestSMTPRelayTLSAndAuth(t *testing.T) {
	cert, pool := testCert(t, "127.0.0.1")
	tests := []struct {
		name     string
		cert     *tls.Certificate
		sender   SMTPSender
		wantErr  error
		wantAuth string
		wantTLS  bool
	}{
		{name: "STARTTLS and AUTH PLAIN", cert: &cert, sender: SMTPSender{Username: "reporter", Password: "secret", TLSConfig: &tls.Config{RootCAs: pool}}, wantAuth: "reporter", wantTLS: true},
		{name: "wrong password", cert: &cert, sender: SMTPSender{Username: "reporter", Password: "wrong", TLSConfig: &tls.Config{RootCAs: pool}}},
		{name: "untrusted relay certificate", cert: &cert, sender: SMTPSender{}},
		{name: "TLS required, none offered", sender: SMTPSender{}, wantErr: ErrTLSRequired},
		{name: "opportunistic, none offered", sender: SMTPSender{OpportunisticTLS: true}},
		{name: "no AUTH without TLS", sender: SMTPSender{OpportunisticTLS: true, Username: "reporter", Password: "secret"}, wantErr: ErrTLSRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := newMailServer(t, tt.cert, false)
			s := tt.sender
			s.Relay = ms.addr
			_, err := s.SendMail(context.Background(), "a@sender.example", []string{"b@example.net"}, []byte("\r\nbody\r\n"))
			mails := ms.received()
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) || len(mails) != 0 {
					t.Fatalf("err %v, %d mails; want %v", err, len(mails), tt.wantErr)
				}
			case tt.name == "wrong password" || tt.name == "untrusted relay certificate":
				if err == nil || len(mails) != 0 {
					t.Fatalf("err %v, %d mails; want a failure", err, len(mails))
				}
			default:
				if err != nil || len(mails) != 1 {
					t.Fatalf("err %v, %d mails", err, len(mails))
				}
				if mails[0].Auth != tt.wantAuth || mails[0].TLS != tt.wantTLS {
					t.Errorf("auth %q tls %v; want %q %v", mails[0].Auth, mails[0].TLS, tt.wantAuth, tt.wantTLS)
				}
			}
		})
	}
}

func TestSMTPImplicitTLSRelay(t *testing.T) {
	cert, pool := testCert(t, "127.0.0.1")
	ms := &mailServer{}
	srv := smtp.NewServer(ms)
	srv.Domain = "relay.example"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	l, err := tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	s := &SMTPSender{Relay: l.Addr().String(), ImplicitTLS: true, TLSConfig: &tls.Config{RootCAs: pool}, Username: "reporter", Password: "secret"}
	if _, err := s.SendMail(context.Background(), "a@sender.example", []string{"b@example.net"}, []byte("\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	if m := ms.received(); len(m) != 1 || m[0].Auth != "reporter" {
		t.Fatalf("received %+v", m)
	}
}

// TestSMTPDialContext checks that SMTPSender.DialContext opens the
// connections, with the network and address of the relay: here a name
// only the caller's dialer knows.
func TestSMTPDialContext(t *testing.T) {
	ms := &mailServer{}
	srv := smtp.NewServer(ms)
	srv.Domain = "relay.example"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	var dialed []string
	var d net.Dialer
	s := &SMTPSender{
		Relay:            "relay.invalid:2525",
		OpportunisticTLS: true,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			dialed = append(dialed, network+" "+address)
			return d.DialContext(ctx, network, l.Addr().String())
		},
	}
	if _, err := s.SendMail(context.Background(), "a@sender.example", []string{"b@example.net"}, []byte("\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"tcp relay.invalid:2525"}, dialed); diff != "" {
		t.Errorf("dialed (-want +got):\n%s", diff)
	}
	if m := ms.received(); len(m) != 1 {
		t.Fatalf("received %+v", m)
	}
}

func TestSMTPDirectResolution(t *testing.T) {
	tests := []struct {
		name      string
		res       staticResolver
		wantErr   error
		retryable bool
	}{
		{name: "null MX", res: staticResolver{mx: map[string][]*net.MX{"example.net": {{Host: ".", Pref: 0}}}}, wantErr: ErrNullMX},
		{name: "no MX, no address", res: staticResolver{}, wantErr: ErrNoAddress},
		{name: "MX host without address", res: staticResolver{mx: map[string][]*net.MX{"example.net": {{Host: "mx.example.net", Pref: 0}}}}, wantErr: ErrNoAddress, retryable: true},
		{name: "DNS failure", res: staticResolver{fail: map[string]error{"example.net": &net.DNSError{Err: "server misbehaving", Name: "example.net", IsTemporary: true}}}, retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &SMTPSender{Resolver: tt.res, Port: 1}
			_, err := s.SendMail(context.Background(), "a@sender.example", []string{"b@example.net"}, []byte("\r\nx\r\n"))
			var de *DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DeliveryError", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if de.Retryable != tt.retryable {
				t.Errorf("Retryable = %v, want %v (%v)", de.Retryable, tt.retryable, err)
			}
		})
	}
}

func TestSMTPContextDeadline(t *testing.T) {
	// A server that accepts the connection and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	s := &SMTPSender{Relay: l.Addr().String()}
	_, err = s.SendMail(ctx, "a@sender.example", []string{"b@example.net"}, []byte("\r\nx\r\n"))
	if !errors.Is(err, context.DeadlineExceeded) || !temporary(err) {
		t.Fatalf("error %v, want temporary context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestSMTPRejectsInjectionAfterSTARTTLS(t *testing.T) {
	// A server that answers STARTTLS and sends extra bytes before TLS.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "220 hi\r\n")
		buf := make([]byte, 512)
		c.Read(buf) // EHLO
		io.WriteString(c, "250-hi\r\n250 STARTTLS\r\n")
		c.Read(buf) // STARTTLS
		io.WriteString(c, "220 go ahead\r\n250 injected\r\n")
		c.Read(buf)
	}()
	s := &SMTPSender{Relay: l.Addr().String()}
	_, err = s.SendMail(context.Background(), "a@sender.example", []string{"b@example.net"}, []byte("\r\nx\r\n"))
	if err == nil || !strings.Contains(err.Error(), "before the TLS handshake") {
		t.Fatalf("error %v, want the injection to be refused", err)
	}
}
