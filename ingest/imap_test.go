package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
	"github.com/go-tlsrpt/tlsrpt/internal/imaptest"
)

// imapDMARCMail is a DMARC aggregate report (RFC 7489 §7.2) with the
// XML uncompressed, as some small reporters send it.
const imapDMARCMail = "From: noreply-dmarc@reporter.example\r\n" +
	"To: dmarc@example.com\r\n" +
	"Subject: Report Domain: example.com Submitter: reporter.example Report-ID: 42\r\n" +
	"Date: Mon, 02 Mar 2026 00:10:00 +0000\r\n" +
	"Message-ID: <dmarc-42@reporter.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/xml; charset=utf-8\r\n" +
	"Content-Disposition: attachment; filename=\"reporter.example!example.com!1772323200!1772409600.xml\"\r\n" +
	"\r\n" +
	"<?xml version=\"1.0\"?>\r\n<feedback><report_metadata><org_name>reporter.example</org_name>" +
	"<report_id>42</report_id></report_metadata><policy_published><domain>example.com</domain>" +
	"</policy_published></feedback>\r\n"

// imapPlainMail is ordinary mail that is no report of any kind.
const imapPlainMail = "From: alice@example.com\r\n" +
	"To: tlsrpt@example.com\r\n" +
	"Subject: lunch?\r\n" +
	"Date: Mon, 02 Mar 2026 12:00:00 +0000\r\n" +
	"Message-ID: <lunch@example.com>\r\n" +
	"\r\n" +
	"Noon at the usual place.\r\n"

// imapCRLF returns msg as IMAP carries it: every bare LF preceded by CR.
// Dovecot stores an appended message as given and sends LF line ends as
// CRLF on FETCH (RFC 3501 §2.3.1 messages are CRLF text); CRLF and bare
// CR are kept.
func imapCRLF(msg []byte) []byte {
	var b bytes.Buffer
	for i, c := range msg {
		if c == '\n' && (i == 0 || msg[i-1] != '\r') {
			b.WriteByte('\r')
		}
		b.WriteByte(c)
	}
	return b.Bytes()
}

type imapFixture struct {
	name string
	msg  []byte
}

// imapFixtures returns the corpus mails (when ../shared/corpus exists; the
// "corpus" subtest is skipped otherwise) and the two mails above.
func imapFixtures(t *testing.T) []imapFixture {
	t.Helper()
	var out []imapFixture
	t.Run("corpus", func(t *testing.T) {
		for _, n := range corpus.Files(t, "emails", "*.eml") {
			b, err := os.ReadFile(n)
			require.NoError(t, err)
			out = append(out, imapFixture{name: filepath.Base(n), msg: b})
		}
	})
	return append(out, imapFixture{"dmarc-aggregate", []byte(imapDMARCMail)}, imapFixture{"plain", []byte(imapPlainMail)})
}

// newIMAPSource returns an IMAP source for s over implicit TLS trusting its
// certificate; the test closes it.
func newIMAPSource(t *testing.T, s *imaptest.Server) *IMAP {
	t.Helper()
	src := &IMAP{Addr: s.TLSAddr, TLSConfig: s.TLSConfig(), Username: s.User, Password: s.Password}
	t.Cleanup(func() { src.Close() })
	return src
}

// drainSource calls Next until io.EOF and returns the items.
func drainSource(t *testing.T, src Source) []*Item {
	t.Helper()
	var items []*Item
	for {
		it, err := src.Next(context.Background())
		if err == io.EOF {
			return items
		}
		require.NoError(t, err)
		items = append(items, it)
	}
}

func itemIDs(items []*Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func appendFixtures(t *testing.T, s *imaptest.Server, mailbox string, fx []imapFixture) []string {
	t.Helper()
	var out []string
	for _, f := range fx {
		uid := s.Append(t, mailbox, f.msg)
		out = append(out, fmt.Sprint(uid))
	}
	validity := s.Status(t, mailbox).UIDValidity
	for i := range out {
		out[i] = fmt.Sprintf("%d/%s", validity, out[i])
	}
	return out
}

func TestIMAPCorpusRoundTripAndMark(t *testing.T) {
	s := imaptest.Start(t, imaptest.Config{})
	fx := imapFixtures(t)
	wantIDs := appendFixtures(t, s, "INBOX", fx)

	src := newIMAPSource(t, s)
	items := drainSource(t, src)
	if diff := cmp.Diff(wantIDs, itemIDs(items)); diff != "" {
		t.Fatalf("item IDs (-want +got):\n%s", diff)
	}
	for i, it := range items {
		want := imapCRLF(fx[i].msg)
		if it.Err != nil || !bytes.Equal(it.Data, want) || it.Size != int64(len(want)) {
			t.Errorf("%s (%s): Err %v, Size %d, %d bytes equal to the CRLF form of what was appended: %v",
				it.ID, fx[i].name, it.Err, it.Size, len(it.Data), bytes.Equal(it.Data, want))
		}
	}
	// Fetching leaves \Seen alone (BODY.PEEK).
	if st := s.Status(t, "INBOX"); st.Unseen != uint32(len(fx)) {
		t.Errorf("after fetching: %d unseen, want %d", st.Unseen, len(fx))
	}
	for _, it := range items {
		require.NoError(t, src.MarkProcessed(context.Background(), it.ID))
	}
	if st := s.Status(t, "INBOX"); st.Unseen != 0 || st.Messages != uint32(len(fx)) {
		t.Errorf("after marking: %+v, want %d messages, none unseen", st, len(fx))
	}
	for uid, flags := range s.Flags(t, "INBOX") {
		if !slices.Contains(flags, `\Seen`) {
			t.Errorf("UID %d flags %q, want \\Seen", uid, flags)
		}
	}
	require.NoError(t, src.Close())

	// A second run finds nothing new.
	if again := drainSource(t, newIMAPSource(t, s)); len(again) != 0 {
		t.Errorf("second run returned %q", itemIDs(again))
	}
}

func TestIMAPSecurity(t *testing.T) {
	s := imaptest.Start(t, imaptest.Config{})
	s.Append(t, "INBOX", []byte(imapPlainMail))
	tests := []struct {
		name     string
		security IMAPSecurity
		addr     string
	}{
		{name: "implicit TLS", security: IMAPImplicitTLS, addr: s.TLSAddr},
		{name: "zero value is implicit TLS", addr: s.TLSAddr},
		{name: "STARTTLS", security: IMAPStartTLS, addr: s.Addr},
		{name: "plain to loopback", security: IMAPPlain, addr: s.Addr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &IMAP{Addr: tt.addr, Security: tt.security, TLSConfig: s.TLSConfig(),
				Username: s.User, Password: s.Password, All: true}
			defer src.Close()
			items := drainSource(t, src)
			if len(items) != 1 || string(items[0].Data) != imapPlainMail {
				t.Errorf("got %d items %q", len(items), itemIDs(items))
			}
		})
	}

	t.Run("untrusted certificate", func(t *testing.T) {
		src := &IMAP{Addr: s.TLSAddr, Username: s.User, Password: s.Password}
		defer src.Close()
		_, err := src.Next(context.Background())
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("Next with the system roots = %v, want a certificate error", err)
		}
	})
}

// TestIMAPStartTLSRefused checks that a server that does not upgrade never
// sees the password: a line-based stand-in answers every command BAD.
func TestIMAPStartTLSRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	received := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no TLS here\r\n")
		var all bytes.Buffer
		buf := make([]byte, 512)
		for {
			n, err := c.Read(buf)
			all.Write(buf[:n])
			if err != nil {
				break
			}
			for _, line := range strings.Split(strings.TrimSpace(string(buf[:n])), "\r\n") {
				tag, _, _ := strings.Cut(line, " ")
				io.WriteString(c, tag+" BAD not supported\r\n")
			}
		}
		received <- all.String()
	}()
	src := &IMAP{Addr: l.Addr().String(), Security: IMAPStartTLS, Username: "u", Password: "secret-password"}
	_, err = src.Next(context.Background())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("Next = %v, want a STARTTLS error", err)
	}
	src.Close()
	l.Close()
	select {
	case got := <-received:
		if strings.Contains(got, "secret-password") || strings.Contains(strings.ToUpper(got), "LOGIN") {
			t.Errorf("server received %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Error("stand-in server did not finish")
	}
}

func TestIMAPPlainOnlyToLoopback(t *testing.T) {
	// 192.0.2.1 is TEST-NET-1 (RFC 5737): the source refuses before
	// dialing, so no packet is sent.
	src := &IMAP{Addr: "192.0.2.1:143", Security: IMAPPlain, Username: "u", Password: "p"}
	_, err := src.Next(context.Background())
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Next = %v, want a refusal of unencrypted IMAP off loopback", err)
	}
}

func TestIMAPBadPassword(t *testing.T) {
	s := imaptest.Start(t, imaptest.Config{})
	src := &IMAP{Addr: s.TLSAddr, TLSConfig: s.TLSConfig(), Username: s.User, Password: "wrong-password"}
	defer src.Close()
	_, err := src.Next(context.Background())
	if !errors.Is(err, ErrIMAPLogin) {
		t.Fatalf("Next = %v, want ErrIMAPLogin", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, s.User) || !strings.Contains(msg, s.TLSAddr) || !strings.Contains(msg, "AUTHENTICATIONFAILED") {
		t.Errorf("error %q does not name the user, the server and the server's reason", msg)
	}
	if strings.Contains(msg, "wrong-password") {
		t.Errorf("error %q shows the password", msg)
	}
}

func TestIMAPPasswordFile(t *testing.T) {
	s := imaptest.Start(t, imaptest.Config{})
	s.Append(t, "INBOX", []byte(imapPlainMail))
	file := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(file, []byte(s.Password+"\n"), 0o600))
	src := &IMAP{Addr: s.TLSAddr, TLSConfig: s.TLSConfig(), Username: s.User, PasswordFile: file}
	defer src.Close()
	if items := drainSource(t, src); len(items) != 1 {
		t.Errorf("got %q", itemIDs(items))
	}
}

func TestIMAPMoveTo(t *testing.T) {
	tests := []struct {
		name       string
		capability string // Dovecot's imap_capability; "" keeps its own (with MOVE)
		wantErr    string
	}{
		{name: "MOVE"},
		{name: "UIDPLUS without MOVE", capability: "IMAP4rev1 LITERAL+ UIDPLUS"},
		{name: "neither", capability: "IMAP4rev1 LITERAL+", wantErr: "neither MOVE nor UIDPLUS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := imaptest.Start(t, imaptest.Config{IMAPCapability: tt.capability})
			fx := []imapFixture{{"dmarc", []byte(imapDMARCMail)}, {"plain", []byte(imapPlainMail)}, {"third", []byte(imapPlainMail)}}
			appendFixtures(t, s, "INBOX", fx)
			// Another message already flagged \Deleted must survive a
			// fallback move (UID EXPUNGE, not EXPUNGE).
			keep := s.Append(t, "INBOX", []byte(imapPlainMail), `\Seen`, `\Deleted`)

			src := newIMAPSource(t, s)
			src.MoveTo = "Processed/TLS"
			first, err := src.Next(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Next = %v, want %q", err, tt.wantErr)
				}
				return
			}
			require.NoError(t, err)
			items := append([]*Item{first}, drainSource(t, src)...)
			if len(items) != 3 {
				t.Fatalf("got %d items", len(items))
			}
			// Mark the first two; the third stays for the next run.
			for _, it := range items[:2] {
				require.NoError(t, src.MarkProcessed(context.Background(), it.ID))
			}
			require.NoError(t, src.Close())
			if st := s.Status(t, "Processed/TLS"); st.Messages != 2 {
				t.Errorf("Processed/TLS holds %d messages, want 2", st.Messages)
			}
			flags := s.Flags(t, "INBOX")
			if _, ok := flags[keep]; !ok || len(flags) != 2 {
				t.Errorf("INBOX after moving two: %v, want UID %d (\\Deleted, not ours) and the third", flags, keep)
			}
			again := drainSource(t, newIMAPSource(t, s))
			if len(again) != 1 || string(again[0].Data) != imapPlainMail || again[0].ID != items[2].ID {
				t.Errorf("second run returned %q, want only %s", itemIDs(again), items[2].ID)
			}
		})
	}
}

func TestIMAPMoveToSameMailbox(t *testing.T) {
	src := &IMAP{Addr: "127.0.0.1:1", Username: "u", Mailbox: "INBOX", MoveTo: "inbox"}
	if _, err := src.Next(context.Background()); err == nil || !strings.Contains(err.Error(), "mailbox being read") {
		t.Errorf("Next = %v", err)
	}
}

// TestIMAPResume: a run that stops after N messages, having confirmed
// only some, is followed by one that returns exactly the unconfirmed ones.
func TestIMAPResume(t *testing.T) {
	s := imaptest.Start(t, imaptest.Config{})
	var fx []imapFixture
	for i := range 6 {
		fx = append(fx, imapFixture{fmt.Sprint(i), []byte(strings.Replace(imapPlainMail, "lunch?", fmt.Sprintf("lunch %d?", i), 1))})
	}
	all := appendFixtures(t, s, "INBOX", fx)

	// Run 1: read four, confirm three, then the process "dies": no
	// Close, the context ends.
	ctx, cancel := context.WithCancel(context.Background())
	src := newIMAPSource(t, s)
	for i := range 4 {
		it, err := src.Next(ctx)
		require.NoError(t, err)
		require.Equal(t, all[i], it.ID)
		if i < 3 {
			require.NoError(t, src.MarkProcessed(ctx, it.ID))
		}
	}
	cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel = %v, want context.Canceled", err)
	}

	// Run 2 reads the unconfirmed ones, including the one returned but
	// not confirmed, and confirms them.
	src2 := newIMAPSource(t, s)
	items := drainSource(t, src2)
	if diff := cmp.Diff(all[3:], itemIDs(items)); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	for _, it := range items {
		require.NoError(t, src2.MarkProcessed(context.Background(), it.ID))
	}
	// Run 3: nothing.
	if items := drainSource(t, newIMAPSource(t, s)); len(items) != 0 {
		t.Errorf("third run returned %q", itemIDs(items))
	}
}

// TestIMAPReconnect: the server drops the session between Next and
// MarkProcessed; both go on over a new connection.
func TestIMAPReconnect(t *testing.T) {
	s := imaptest.Start(t, imaptest.Config{})
	fx := []imapFixture{{"a", []byte(imapPlainMail)}, {"b", []byte(imapDMARCMail)}}
	all := appendFixtures(t, s, "INBOX", fx)
	src := newIMAPSource(t, s)
	ctx := context.Background()
	it, err := src.Next(ctx)
	require.NoError(t, err)
	s.Kick(t)
	require.NoError(t, src.MarkProcessed(ctx, it.ID))
	s.Kick(t)
	it2, err := src.Next(ctx)
	require.NoError(t, err)
	if it2.ID != all[1] || string(it2.Data) != imapDMARCMail {
		t.Errorf("after reconnecting: %s, want %s", it2.ID, all[1])
	}
	if st := s.Status(t, "INBOX"); st.Unseen != 1 {
		t.Errorf("unseen = %d, want 1 (the first marked across the reconnection)", st.Unseen)
	}
}

func TestIMAPUIDValidity(t *testing.T) {
	s := imaptest.Start(t, imaptest.Config{})
	ctx := context.Background()
	fx := []imapFixture{{"a", []byte(imapPlainMail)}, {"b", []byte(imapPlainMail)}, {"c", []byte(imapPlainMail)}}
	box := "Reports"
	first := appendFixtures(t, s, box, fx)

	// All without MoveTo: marked messages stay selected, the checkpoint
	// skips them.
	src := newIMAPSource(t, s)
	src.Mailbox, src.All = box, true
	items := drainSource(t, src)
	require.Len(t, items, 3)
	require.NoError(t, src.MarkProcessed(ctx, items[0].ID))
	require.NoError(t, src.MarkProcessed(ctx, items[2].ID)) // out of order: the checkpoint stops at the gap
	if got := src.Checkpoint(); got != first[0] {
		t.Errorf("Checkpoint = %q, want %q", got, first[0])
	}
	require.NoError(t, src.MarkProcessed(ctx, items[1].ID))
	checkpoint := src.Checkpoint()
	if checkpoint != first[2] {
		t.Errorf("Checkpoint = %q, want %q", checkpoint, first[2])
	}
	src.Close()

	src2 := newIMAPSource(t, s)
	src2.Mailbox, src2.All, src2.After = box, true, checkpoint
	if items := drainSource(t, src2); len(items) != 0 {
		t.Errorf("run after the checkpoint returned %q", itemIDs(items))
	}
	if got := src2.Checkpoint(); got != checkpoint {
		t.Errorf("Checkpoint of a run that marked nothing = %q, want After %q", got, checkpoint)
	}
	src2.Close()

	// The mailbox is recreated: new UIDVALIDITY, UIDs start over. The
	// old checkpoint is ignored and every message is read.
	s.DeleteMailbox(t, box)
	second := appendFixtures(t, s, box, fx[:2])
	require.NotEqual(t, strings.Split(first[0], "/")[0], strings.Split(second[0], "/")[0])
	src3 := newIMAPSource(t, s)
	src3.Mailbox, src3.All, src3.After = box, true, checkpoint
	if diff := cmp.Diff(second, itemIDs(drainSource(t, src3))); diff != "" {
		t.Errorf("run after recreation (-want +got):\n%s", diff)
	}
	if got := src3.Checkpoint(); got != "" {
		t.Errorf("Checkpoint after an ignored After = %q, want \"\"", got)
	}
	// An ID of the old UIDVALIDITY is refused, and nothing is marked.
	if err := src3.MarkProcessed(ctx, first[0]); !errors.Is(err, ErrIMAPUIDValidity) {
		t.Errorf("MarkProcessed(old id) = %v, want ErrIMAPUIDValidity", err)
	}
	if st := s.Status(t, box); st.Unseen != 2 {
		t.Errorf("unseen = %d, want 2", st.Unseen)
	}

	// Recreated during a run: the reconnection notices.
	src4 := newIMAPSource(t, s)
	src4.Mailbox = box
	it, err := src4.Next(ctx)
	require.NoError(t, err)
	s.DeleteMailbox(t, box)
	s.Append(t, box, []byte(imapPlainMail))
	s.Kick(t)
	if err := src4.MarkProcessed(ctx, it.ID); !errors.Is(err, ErrIMAPUIDValidity) {
		t.Errorf("MarkProcessed after recreation = %v, want ErrIMAPUIDValidity", err)
	}
	if _, err := src4.Next(ctx); !errors.Is(err, ErrIMAPUIDValidity) {
		t.Errorf("Next after recreation = %v, want ErrIMAPUIDValidity", err)
	}
	if st := s.Status(t, box); st.Unseen != 1 {
		t.Errorf("recreated mailbox: unseen = %d, want 1", st.Unseen)
	}
}

func TestIMAPTooLarge(t *testing.T) {
	s := imaptest.Start(t, imaptest.Config{})
	big := []byte(imapPlainMail + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", 200))
	all := appendFixtures(t, s, "INBOX", []imapFixture{{"big", big}, {"small", []byte(imapPlainMail)}})
	src := newIMAPSource(t, s)
	src.MaxMessageSize = 4096
	items := drainSource(t, src)
	require.Len(t, items, 2)
	tooLarge := items[0]
	if tooLarge.ID != all[0] || !errors.Is(tooLarge.Err, tlsrpt.ErrTooLarge) || tooLarge.Data != nil || tooLarge.Size != int64(len(big)) {
		t.Errorf("big message: ID %s Err %v Size %d, %d bytes; want ErrTooLarge, Size %d, no data",
			tooLarge.ID, tooLarge.Err, tooLarge.Size, len(tooLarge.Data), len(big))
	}
	var d *tlsrpt.Diagnostic
	if !errors.As(tooLarge.Err, &d) || d.Code != CodeMessageTooLarge || d.Offset != 4096 {
		t.Errorf("Err = %#v, want a Diagnostic %s at offset 4096", tooLarge.Err, CodeMessageTooLarge)
	}
	if items[1].Err != nil || string(items[1].Data) != imapPlainMail {
		t.Errorf("small message: %v", items[1].Err)
	}
	// The too-large message gets its fate and is marked like any other.
	require.NoError(t, src.MarkProcessed(context.Background(), tooLarge.ID))
	require.NoError(t, src.Close())
	// Dovecot's logout line counts the body bytes it sent: only the
	// small message's.
	want := fmt.Sprintf("body_count=1 body_bytes=%d", len(imapPlainMail))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.Log(), want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(s.Log(), want) {
		t.Errorf("Dovecot's log has no session with %q:\n%s", want, s.Log())
	}
}

// TestIMAPRun reads a mailbox with Reader.Run and MarkProcessed: every
// message gets a fate, and the final ones are marked.
func TestIMAPRun(t *testing.T) {
	s := imaptest.Start(t, imaptest.Config{})
	big := []byte(imapPlainMail + strings.Repeat("x", 8192) + "\r\n")
	fx := append(imapFixtures(t), imapFixture{"big", big})
	appendFixtures(t, s, "INBOX", fx)
	src := newIMAPSource(t, s)
	src.MaxMessageSize = 8192
	rd := &Reader{MarkProcessed: true, NoDKIM: true}
	var fates []Fate
	st, err := rd.Run(context.Background(), src, func(r *Result) error {
		fates = append(fates, r.Fate)
		return nil
	})
	require.NoError(t, err)
	if len(fates) != len(fx) || fates[len(fates)-1] != FateTooLarge {
		t.Errorf("fates %q, want %d with the last too-large", fates, len(fx))
	}
	if err := st.Check(); err != nil {
		t.Error(err)
	}
	var final int
	for _, f := range fates {
		if f != FateUnreadable {
			final++
		}
	}
	if got := s.Status(t, "INBOX"); got.Unseen != uint32(len(fx)-final) {
		t.Errorf("unseen after Run = %d, want %d", got.Unseen, len(fx)-final)
	}
}
