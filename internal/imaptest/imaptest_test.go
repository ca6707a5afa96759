package imaptest

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestStartAppendStatus(t *testing.T) {
	start := time.Now()
	s := Start(t, Config{})
	t.Logf("dovecot %s ready in %v at %s (STARTTLS) and %s (TLS)", s.Version, time.Since(start), s.Addr, s.TLSAddr)

	msg := []byte("From: a@example.com\r\nSubject: one\r\n\r\nbody\r\n")
	uid1 := s.Append(t, "INBOX", msg)
	uid2 := s.Append(t, "INBOX", msg, `\Seen`)
	if uid2 <= uid1 {
		t.Errorf("UIDs %d then %d, want increasing", uid1, uid2)
	}
	st := s.Status(t, "INBOX")
	if st.Messages != 2 || st.Unseen != 1 || st.UIDValidity == 0 || st.UIDNext != uid2+1 {
		t.Errorf("Status(INBOX) = %+v after two appends (uids %d, %d)", st, uid1, uid2)
	}
	flags := s.Flags(t, "INBOX")
	if len(flags[uid1]) != 0 || strings.Join(flags[uid2], " ") != `\Seen` {
		t.Errorf("Flags(INBOX) = %v", flags)
	}

	// A missing mailbox is created by Append; deleting and creating it
	// again changes its UIDVALIDITY.
	s.Append(t, "Reports/TLS", msg)
	before := s.Status(t, "Reports/TLS")
	s.DeleteMailbox(t, "Reports/TLS")
	s.CreateMailbox(t, "Reports/TLS")
	after := s.Status(t, "Reports/TLS")
	if after.UIDValidity == before.UIDValidity || after.Messages != 0 {
		t.Errorf("recreated mailbox: before %+v, after %+v", before, after)
	}
}

func TestListenersSpeakTLS(t *testing.T) {
	s := Start(t, Config{})
	// Implicit TLS: the certificate verifies with RootCAs.
	c, err := tls.Dial("tcp", s.TLSAddr, s.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	greeting := readGreeting(t, c)
	c.Close()
	if !strings.HasPrefix(greeting, "* OK") {
		t.Errorf("IMAPS greeting %q", greeting)
	}
	// Plain listener: announces STARTTLS before login.
	p, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if g := readGreeting(t, p); !strings.Contains(g, "STARTTLS") {
		t.Errorf("plain greeting %q does not offer STARTTLS", g)
	}
}

func TestCapabilityOverride(t *testing.T) {
	s := Start(t, Config{IMAPCapability: "IMAP4rev1 LITERAL+ UIDPLUS"})
	ses := s.mustLogin(t)
	defer ses.close()
	lines, _, err := ses.command(nil, "CAPABILITY")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lines, "\n"); strings.Contains(got, "MOVE") || !strings.Contains(got, "UIDPLUS") {
		t.Errorf("CAPABILITY = %q, want UIDPLUS without MOVE", got)
	}
}

func TestKickClosesSessions(t *testing.T) {
	s := Start(t, Config{})
	ses := s.mustLogin(t)
	defer ses.conn.Close()
	s.Kick(t)
	ses.conn.SetDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(ses.r)
	if err != nil {
		t.Fatalf("reading after kick: %v (got %q)", err, rest)
	}
	if !bytes.Contains(rest, []byte("BYE")) {
		t.Logf("connection closed without BYE: %q", rest)
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	var pid int
	t.Run("server", func(t *testing.T) {
		s := Start(t, Config{})
		s.Append(t, "INBOX", []byte("Subject: x\r\n\r\nx\r\n"))
		pid = s.cmd.Process.Pid
	})
	if pid == 0 {
		t.Skip("no server started")
	}
	if groupAlive(pid) {
		t.Errorf("process group %d still alive after the subtest's cleanup", pid)
	}
}

func readGreeting(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var b []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(b, []byte("\r\n")) {
		if _, err := c.Read(one); err != nil {
			t.Fatalf("greeting: %v (got %q)", err, b)
		}
		b = append(b, one[0])
	}
	return string(b)
}

// recorder is a testing.TB that records Skip and Fatal instead of ending
// the goroutine.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatal(args ...any) { r.failed = fmt.Sprint(args...) }

func TestMissingDovecotSkipsOnlyOutsideCI(t *testing.T) {
	tests := []struct {
		name, ci           string
		wantSkip, wantFail bool
	}{
		{name: "developer machine", ci: "", wantSkip: true},
		{name: "CI", ci: "true", wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			missing(r, tt.ci)
			if (r.skipped != "") != tt.wantSkip || (r.failed != "") != tt.wantFail {
				t.Errorf("missing(CI=%q): skipped %q, failed %q", tt.ci, r.skipped, r.failed)
			}
			if msg := r.skipped + r.failed; !strings.Contains(msg, "apt-get install --no-install-recommends dovecot-imapd") {
				t.Errorf("message %q does not say how to install dovecot", msg)
			}
		})
	}
}
