package imaptest

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Append stores msg in mailbox (created when missing) with the given flags
// (for example `\Seen`) and returns the UID Dovecot gave it (APPENDUID,
// RFC 4315 §3). The bytes go to the server unchanged, as one IMAP literal.
func (s *Server) Append(tb testing.TB, mailbox string, msg []byte, flags ...string) uint32 {
	tb.Helper()
	ses := s.mustLogin(tb)
	defer ses.close()
	cmd := "APPEND " + quote(mailbox)
	if len(flags) > 0 {
		cmd += " (" + strings.Join(flags, " ") + ")"
	}
	_, status, err := ses.command(msg, cmd)
	if err != nil && strings.Contains(status, "[TRYCREATE]") {
		if _, _, err = ses.command(nil, "CREATE "+quote(mailbox)); err == nil {
			_, status, err = ses.command(msg, cmd)
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	// OK [APPENDUID <uidvalidity> <uid>] ...
	f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(status, "OK [APPENDUID "), "]"))
	if !strings.HasPrefix(status, "OK [APPENDUID ") || len(f) < 2 {
		tb.Fatalf("imaptest: APPEND answered %q, want APPENDUID", status)
	}
	uid, err := strconv.ParseUint(strings.TrimSuffix(f[1], "]"), 10, 32)
	if err != nil {
		tb.Fatalf("imaptest: APPEND answered %q: %v", status, err)
	}
	return uint32(uid)
}

// CreateMailbox creates mailbox; it fails the test if it exists.
func (s *Server) CreateMailbox(tb testing.TB, mailbox string) {
	tb.Helper()
	s.run(tb, "CREATE "+quote(mailbox))
}

// DeleteMailbox deletes mailbox and its messages. Creating it again gives
// it a new UIDVALIDITY (RFC 3501 §2.3.1.1).
func (s *Server) DeleteMailbox(tb testing.TB, mailbox string) {
	tb.Helper()
	s.run(tb, "DELETE "+quote(mailbox))
}

// Status is a mailbox's STATUS (RFC 3501 §6.3.10).
type Status struct {
	Messages, Unseen, UIDValidity, UIDNext uint32
}

// Status returns mailbox's message counts and UID numbers.
func (s *Server) Status(tb testing.TB, mailbox string) Status {
	tb.Helper()
	lines := s.run(tb, "STATUS "+quote(mailbox)+" (MESSAGES UNSEEN UIDVALIDITY UIDNEXT)")
	for _, l := range lines {
		if !strings.HasPrefix(l, "* STATUS ") {
			continue
		}
		open, end := strings.LastIndexByte(l, '('), strings.LastIndexByte(l, ')')
		if open < 0 || end < open {
			break
		}
		f := strings.Fields(l[open+1 : end])
		var st Status
		for i := 0; i+1 < len(f); i += 2 {
			n, err := strconv.ParseUint(f[i+1], 10, 32)
			if err != nil {
				tb.Fatalf("imaptest: STATUS line %q: %v", l, err)
			}
			switch f[i] {
			case "MESSAGES":
				st.Messages = uint32(n)
			case "UNSEEN":
				st.Unseen = uint32(n)
			case "UIDVALIDITY":
				st.UIDValidity = uint32(n)
			case "UIDNEXT":
				st.UIDNext = uint32(n)
			}
		}
		return st
	}
	tb.Fatalf("imaptest: no STATUS line in %q", lines)
	return Status{}
}

// Flags returns the flags of every message in mailbox by UID.
func (s *Server) Flags(tb testing.TB, mailbox string) map[uint32][]string {
	tb.Helper()
	ses := s.mustLogin(tb)
	defer ses.close()
	if _, _, err := ses.command(nil, "EXAMINE "+quote(mailbox)); err != nil {
		tb.Fatal(err)
	}
	lines, _, err := ses.command(nil, "UID FETCH 1:* (FLAGS)")
	if err != nil {
		tb.Fatal(err)
	}
	out := map[uint32][]string{}
	for _, l := range lines {
		// * 3 FETCH (UID 7 FLAGS (\Seen))  (the item order is the server's)
		_, items, ok := strings.Cut(l, " FETCH (")
		if !ok {
			continue
		}
		var uid uint64
		if _, after, ok := strings.Cut(items, "UID "); ok {
			n, _, _ := strings.Cut(after, " ")
			uid, _ = strconv.ParseUint(strings.TrimRight(n, ")"), 10, 32)
		}
		if uid == 0 {
			tb.Fatalf("imaptest: FETCH line without UID: %q", l)
		}
		var flags []string
		if _, after, ok := strings.Cut(items, "FLAGS ("); ok {
			list, _, _ := strings.Cut(after, ")")
			for _, f := range strings.Fields(list) {
				if f != `\Recent` { // per session (RFC 3501 §2.3.2), gone in IMAP4rev2
					flags = append(flags, f)
				}
			}
		}
		out[uint32(uid)] = append([]string{}, flags...)
	}
	return out
}

func (s *Server) run(tb testing.TB, cmd string) []string {
	tb.Helper()
	ses := s.mustLogin(tb)
	defer ses.close()
	lines, _, err := ses.command(nil, cmd)
	if err != nil {
		tb.Fatal(err)
	}
	return lines
}

func (s *Server) mustLogin(tb testing.TB) *session {
	tb.Helper()
	ses, err := s.login(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return ses
}

// session is one IMAP connection spoken line by line (RFC 3501 §2.2).
type session struct {
	conn net.Conn
	r    *bufio.Reader
	tag  int
}

// login connects to TLSAddr over implicit TLS and logs in.
func (s *Server) login(ctx context.Context) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d := tls.Dialer{Config: s.TLSConfig()}
	conn, err := d.DialContext(ctx, "tcp", s.TLSAddr)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	ses := &session{conn: conn, r: bufio.NewReader(conn)}
	greeting, err := ses.readLine()
	if err != nil {
		conn.Close()
		return nil, err
	}
	if !strings.HasPrefix(greeting, "* OK") {
		conn.Close()
		return nil, fmt.Errorf("imaptest: greeting %q", greeting)
	}
	if _, _, err := ses.command(nil, "LOGIN "+quote(s.User)+" "+quote(s.Password)); err != nil {
		conn.Close()
		return nil, err
	}
	return ses, nil
}

func (ses *session) close() {
	ses.command(nil, "LOGOUT")
	ses.conn.Close()
}

// command sends "tag cmd", followed by literal as a synchronizing literal
// (RFC 3501 §4.3) when it is not nil, and returns the untagged lines and the
// tagged status ("OK ...", "NO ...", "BAD ..."); err is set unless OK.
func (ses *session) command(literal []byte, cmd string) (untagged []string, status string, err error) {
	ses.tag++
	tag := "h" + strconv.Itoa(ses.tag)
	line := tag + " " + cmd
	if literal != nil {
		line += " {" + strconv.Itoa(len(literal)) + "}"
	}
	if _, err := io.WriteString(ses.conn, line+"\r\n"); err != nil {
		return nil, "", err
	}
	verb, _, _ := strings.Cut(cmd, " ")
	if literal != nil {
		for {
			l, err := ses.readLine()
			if err != nil {
				return untagged, "", err
			}
			if strings.HasPrefix(l, "+") {
				break
			}
			if strings.HasPrefix(l, tag+" ") {
				status = strings.TrimPrefix(l, tag+" ")
				return untagged, status, fmt.Errorf("imaptest: %s: %s", verb, status)
			}
			untagged = append(untagged, l)
		}
		if _, err := ses.conn.Write(append(literal[:len(literal):len(literal)], '\r', '\n')); err != nil {
			return untagged, "", err
		}
	}
	for {
		l, err := ses.readLine()
		if err != nil {
			return untagged, "", err
		}
		if strings.HasPrefix(l, tag+" ") {
			status = strings.TrimPrefix(l, tag+" ")
			if !strings.HasPrefix(status, "OK") {
				return untagged, status, fmt.Errorf("imaptest: %s: %s", verb, status)
			}
			return untagged, status, nil
		}
		untagged = append(untagged, l)
	}
}

// readLine reads one response line without its CRLF; a literal inside it
// ("{n}" at the end of a line) is read and kept inline.
func (ses *session) readLine() (string, error) {
	var b strings.Builder
	for {
		l, err := ses.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
		b.WriteString(l)
		n, ok := literalSize(l)
		if !ok {
			return b.String(), nil
		}
		lit := make([]byte, n)
		if _, err := io.ReadFull(ses.r, lit); err != nil {
			return "", err
		}
		b.Write(lit)
	}
}

func literalSize(l string) (int, bool) {
	if !strings.HasSuffix(l, "}") {
		return 0, false
	}
	i := strings.LastIndexByte(l, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(l[i+1:len(l)-1], "+"))
	return n, err == nil && n >= 0
}

// quote makes s an IMAP quoted string (RFC 3501 §4.3); the harness uses
// ASCII mailbox names only.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
