package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// IMAPSecurity is how an IMAP source protects its connection.
type IMAPSecurity string

// The connection security of an IMAP source.
const (
	// IMAPImplicitTLS speaks TLS from the first byte (RFC 8314 §3.3,
	// port 993, imaps:// URLs). The zero IMAPSecurity means this.
	IMAPImplicitTLS IMAPSecurity = "tls"
	// IMAPStartTLS connects in clear text and upgrades with STARTTLS
	// before logging in (RFC 3501 §6.2.1, port 143, imap:// URLs); a
	// server that does not offer STARTTLS is refused.
	IMAPStartTLS IMAPSecurity = "starttls"
	// IMAPPlain never encrypts. It is allowed only to a loopback
	// address (127.0.0.0/8, ::1, localhost), for tests and for a server
	// on the same host; any other address is refused.
	IMAPPlain IMAPSecurity = "plain"
)

// Default ports of the IMAP source (RFC 3501 §2.1, RFC 8314 §7.3).
const (
	imapPort  = "143"
	imapsPort = "993"
)

var (
	// ErrIMAPLogin is matched (errors.Is) by the error of an IMAP source
	// whose server refused the user name or password (a NO to LOGIN
	// without a response code, or with AUTHENTICATIONFAILED,
	// AUTHORIZATIONFAILED, EXPIRED or PRIVACYREQUIRED, RFC 5530).
	// Retrying with the same credentials does not help; a NO such as
	// [UNAVAILABLE] (the server's authentication backend is down) is
	// another error, and a later retry may help.
	ErrIMAPLogin = errors.New("ingest: IMAP login refused")
	// ErrIMAPUIDValidity is matched by the error of an IMAP source whose
	// mailbox changed its UIDVALIDITY (RFC 3501 §2.3.1.1) during a run,
	// or by MarkProcessed given an Item.ID of another UIDVALIDITY: the
	// UIDs the run knows no longer name the same messages. Nothing is
	// marked; the next run reads the mailbox under its new UIDVALIDITY.
	ErrIMAPUIDValidity = errors.New("ingest: IMAP mailbox UIDVALIDITY changed")
)

// IMAP is a Source reading one mailbox of an IMAP server (RFC 3501) with
// github.com/emersion/go-imap/v2. Its zero value is not usable: Addr and
// Username are required. ParseIMAPURL fills Addr, Security, Username and
// Mailbox from an imap:// or imaps:// URL; the password never comes from
// the URL.
//
// The first Next connects, logs in, selects the mailbox and lists the
// messages to read: those without \Seen (or every message, with All), not
// flagged \Deleted, with UIDs above After when After names the mailbox's
// current UIDVALIDITY; then their sizes (RFC822.SIZE). Each Next then
// fetches one message in UID order with BODY.PEEK[] (which leaves \Seen
// alone) and returns its bytes exactly as the server sends them. A
// message whose RFC822.SIZE is over MaxMessageSize is not downloaded: it
// is an Item with Size and an Err matching tlsrpt.ErrTooLarge. Messages
// that arrive after the listing are read by the next run. Item.ID is
// "UIDVALIDITY/UID", for example "1700000000/42".
//
// IMAP implements Marker: MarkProcessed sets \Seen on the message, or,
// with MoveTo, moves it there (MOVE, RFC 6851; without it COPY, \Deleted
// and UID EXPUNGE, RFC 4315). Nothing is marked until MarkProcessed is
// called, so a run that stops early (an error, a crash, ctx ended) leaves
// the messages it had not confirmed as they were, and the next run reads
// them again and no confirmed one: without All, marked messages are \Seen
// and not selected; with MoveTo they are gone; with All and neither, keep
// Checkpoint and pass it back in After.
//
// A connection that breaks between commands (the server restarted, an
// idle timeout) is opened again once per call, and the mailbox selected
// again; if its UIDVALIDITY changed, the call fails with an error matching
// ErrIMAPUIDValidity. IMAP is not safe for concurrent use; Close logs out.
type IMAP struct {
	// Addr is the server's host:port; without a port, 993 for
	// IMAPImplicitTLS and 143 otherwise.
	Addr string
	// Security is how the connection is protected. The zero value means
	// IMAPImplicitTLS.
	Security IMAPSecurity
	// TLSConfig configures TLS. Nil means the system's roots and the host
	// of Addr as the server name; a config without ServerName gets the
	// host of Addr.
	TLSConfig *tls.Config
	// Username and Password log in (IMAP LOGIN, RFC 3501 §6.2.3).
	Username, Password string
	// PasswordFile, when Password is empty, names a file holding the
	// password (one trailing line break is removed). It is read at
	// connection time.
	PasswordFile string
	// Mailbox is the mailbox to read, with the server's hierarchy
	// separator ("Reports/TLS"). Empty means INBOX.
	Mailbox string
	// All reads every message not flagged \Deleted. The zero value reads
	// only the messages without \Seen.
	All bool
	// MoveTo, when not empty, makes MarkProcessed move the message to
	// this mailbox (created at connection time if it does not exist)
	// instead of setting \Seen. A server that supports neither MOVE nor
	// UIDPLUS is refused, since its only way to move is an EXPUNGE that
	// also removes other messages flagged \Deleted.
	MoveTo string
	// MaxMessageSize caps the size of one message, judged by its
	// RFC822.SIZE before it is fetched and enforced while fetching (at
	// most MaxMessageSize+1 bytes are asked for). Zero means
	// DefaultMaxMessageSize.
	MaxMessageSize int64
	// After is a Checkpoint of an earlier run: messages with a UID up to
	// its UID are skipped if the mailbox still has its UIDVALIDITY, and
	// After is ignored otherwise (the mailbox was recreated; every
	// message is read again). Empty reads from the first message.
	After string
	// Dialer dials the TCP connection. Nil means a net.Dialer with a 30 s
	// timeout.
	Dialer *net.Dialer

	c           *imapclient.Client
	uidValidity uint32 // of the listing; 0 before it
	listed      bool
	pending     []imap.UID
	sizes       map[imap.UID]int64
	selection   []imap.UID        // every UID of the listing, ascending
	marked      map[imap.UID]bool // marked in this run
	after       imap.UID          // from After, when its UIDVALIDITY matched
	broken      error             // the UIDVALIDITY change that ended the run
}

// Next implements Source.
func (m *IMAP) Next(ctx context.Context) (*Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.broken != nil {
		return nil, m.broken
	}
	if !m.listed {
		if err := m.do(ctx, m.list); err != nil {
			return nil, err
		}
		m.listed = true
	}
	if len(m.pending) == 0 {
		return nil, io.EOF
	}
	uid := m.pending[0]
	m.pending = m.pending[1:]
	id := imapID(m.uidValidity, uid)
	max := orDefault(m.MaxMessageSize, DefaultMaxMessageSize)
	if size := m.sizes[uid]; size > max {
		return &Item{ID: id, Size: size, Err: tooLarge(CodeMessageTooLarge, "message size", max)}, nil
	}
	var data []byte
	err := m.do(ctx, func(c *imapclient.Client) error {
		var err error
		data, err = fetchBody(c, uid, max)
		return err
	})
	var serverErr *imap.Error
	switch {
	case errors.Is(err, errVanished) || errors.As(err, &serverErr):
		return &Item{ID: id, Size: m.sizes[uid], Err: fmt.Errorf("ingest: IMAP message %s: %w", id, err)}, nil
	case err != nil:
		return nil, err
	case int64(len(data)) > max:
		// RFC822.SIZE said less than the server sent.
		return &Item{ID: id, Size: int64(len(data)), Err: tooLarge(CodeMessageTooLarge, "message size", max)}, nil
	}
	return &Item{ID: id, Data: data, Size: int64(len(data))}, nil
}

// MarkProcessed implements Marker: it sets \Seen on the message id (an
// Item.ID of this source), or moves it to MoveTo. It fails with an error
// matching ErrIMAPUIDValidity when id was issued under another
// UIDVALIDITY than the mailbox's current one. Marking a message that is
// no longer in the mailbox does nothing.
func (m *IMAP) MarkProcessed(ctx context.Context, id string) error {
	validity, uid, err := parseIMAPID(id)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.do(ctx, func(c *imapclient.Client) error {
		if validity != m.uidValidity {
			return fmt.Errorf("%w: message %s, mailbox now %d", ErrIMAPUIDValidity, id, m.uidValidity)
		}
		set := imap.UIDSetNum(uid)
		if m.MoveTo != "" {
			// imapclient falls back to COPY, STORE \Deleted and UID
			// EXPUNGE without MOVE; connect refused servers without
			// UIDPLUS, where the fallback would be a plain EXPUNGE.
			if _, err := c.Move(set, m.MoveTo).Wait(); err != nil {
				return fmt.Errorf("ingest: IMAP moving %s to %q: %w", id, m.MoveTo, err)
			}
		} else {
			store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
			if err := c.Store(set, store, nil).Close(); err != nil {
				return fmt.Errorf("ingest: IMAP marking %s \\Seen: %w", id, err)
			}
		}
		if m.marked == nil {
			m.marked = map[imap.UID]bool{}
		}
		m.marked[uid] = true
		return nil
	})
}

// Checkpoint returns the Item.ID of the last message of this run's
// listing such that it and every message listed before it were marked
// processed; or After when this run marked no such message (or "" when
// After was ignored). Passed in After, it makes the next run skip those
// messages, which matters with All and without MoveTo, where marked
// messages are still selected.
func (m *IMAP) Checkpoint() string {
	last := imap.UID(0)
	for _, uid := range m.selection {
		if !m.marked[uid] {
			break
		}
		last = uid
	}
	switch {
	case last != 0:
		return imapID(m.uidValidity, last)
	case m.after != 0:
		return imapID(m.uidValidity, m.after)
	case m.uidValidity == 0:
		return m.After // never connected
	}
	return ""
}

// Close logs out and closes the connection, if one is open. The source
// connects again on the next call.
func (m *IMAP) Close() error {
	if m.c == nil {
		return nil
	}
	c := m.c
	m.c = nil
	done := make(chan struct{})
	go func() {
		c.Logout().Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// errVanished: the message was expunged (by another client) between the
// listing and its FETCH.
var errVanished = errors.New("message no longer in the mailbox")

// do runs f on a connected, selected client. If the connection breaks
// (not a NO or BAD answer), it connects again and runs f once more; ctx
// ending closes the connection.
func (m *IMAP) do(ctx context.Context, f func(*imapclient.Client) error) error {
	for attempt := 0; ; attempt++ {
		if m.c != nil && isClosed(m.c) {
			m.c.Close()
			m.c = nil
		}
		if m.c == nil {
			if err := m.connect(ctx); err != nil {
				return err
			}
		}
		c := m.c
		stop := context.AfterFunc(ctx, func() { c.Close() })
		err := f(c)
		stop()
		if ctxErr := ctx.Err(); ctxErr != nil {
			c.Close()
			m.c = nil
			return ctxErr
		}
		var serverErr *imap.Error
		if err == nil || errors.As(err, &serverErr) || errors.Is(err, errVanished) ||
			errors.Is(err, ErrIMAPUIDValidity) || !isClosedSoon(c) || attempt > 0 {
			return err
		}
		c.Close()
		m.c = nil
	}
}

func isClosed(c *imapclient.Client) bool {
	select {
	case <-c.Closed():
		return true
	default:
		return false
	}
}

// isClosedSoon reports whether c's connection is closed or closes within
// a moment: a command that failed on a dropped connection sees the error
// before the client's reader notices the end of the stream.
func isClosedSoon(c *imapclient.Client) bool {
	select {
	case <-c.Closed():
		return true
	case <-time.After(time.Second):
		return false
	}
}

// connect dials, logs in and selects the mailbox. On a reconnection the
// mailbox must have the UIDVALIDITY of the listing.
func (m *IMAP) connect(ctx context.Context) error {
	if m.Username == "" {
		return errors.New("ingest: IMAP source without Username")
	}
	mailbox := m.Mailbox
	if mailbox == "" {
		mailbox = "INBOX"
	}
	if m.MoveTo != "" && sameMailbox(mailbox, m.MoveTo) {
		return fmt.Errorf("ingest: IMAP MoveTo %q is the mailbox being read", m.MoveTo)
	}
	password := m.Password
	if password == "" && m.PasswordFile != "" {
		b, err := os.ReadFile(m.PasswordFile)
		if err != nil {
			return fmt.Errorf("ingest: IMAP password: %w", err)
		}
		password = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	}
	c, err := m.dial(ctx)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	fail := func(err error) error {
		c.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return err
	}
	if err := c.WaitGreeting(); err != nil {
		return fail(fmt.Errorf("ingest: IMAP %s: greeting: %w", m.Addr, err))
	}
	if err := c.Login(m.Username, password).Wait(); err != nil {
		var serverErr *imap.Error
		if errors.As(err, &serverErr) && serverErr.Type == imap.StatusResponseTypeNo {
			switch serverErr.Code {
			case "", imap.ResponseCodeAuthenticationFailed, imap.ResponseCodeAuthorizationFailed,
				imap.ResponseCodeExpired, imap.ResponseCodePrivacyRequired:
				return fail(fmt.Errorf("%w: %s at %s: %w", ErrIMAPLogin, m.Username, m.Addr, err))
			}
		}
		return fail(fmt.Errorf("ingest: IMAP %s: login: %w", m.Addr, err))
	}
	if m.MoveTo != "" {
		caps := c.Caps()
		if !caps.Has(imap.CapMove) && !caps.Has(imap.CapUIDPlus) {
			return fail(fmt.Errorf("ingest: IMAP %s supports neither MOVE nor UIDPLUS: cannot move single messages to %q", m.Addr, m.MoveTo))
		}
		boxes, err := c.List("", m.MoveTo, nil).Collect()
		if err != nil {
			return fail(fmt.Errorf("ingest: IMAP listing %q: %w", m.MoveTo, err))
		}
		if len(boxes) == 0 {
			if err := c.Create(m.MoveTo, nil).Wait(); err != nil {
				return fail(fmt.Errorf("ingest: IMAP creating %q: %w", m.MoveTo, err))
			}
		}
	}
	sel, err := c.Select(mailbox, nil).Wait()
	if err != nil {
		return fail(fmt.Errorf("ingest: IMAP selecting %q: %w", mailbox, err))
	}
	if m.uidValidity != 0 && sel.UIDValidity != m.uidValidity {
		old := m.uidValidity
		m.c, m.uidValidity = c, sel.UIDValidity
		m.pending = nil
		m.broken = fmt.Errorf("%w: %q was %d when listed, now %d", ErrIMAPUIDValidity, mailbox, old, sel.UIDValidity)
		return m.broken
	}
	m.c, m.uidValidity = c, sel.UIDValidity
	return nil
}

// dial opens the connection with the configured security.
func (m *IMAP) dial(ctx context.Context) (*imapclient.Client, error) {
	security := m.Security
	if security == "" {
		security = IMAPImplicitTLS
	}
	port := imapPort
	if security == IMAPImplicitTLS {
		port = imapsPort
	}
	addr, host, err := withPort(m.Addr, port)
	if err != nil {
		return nil, err
	}
	var tlsConfig *tls.Config
	switch security {
	case IMAPImplicitTLS, IMAPStartTLS:
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if m.TLSConfig != nil {
			tlsConfig = m.TLSConfig.Clone()
		}
		if tlsConfig.ServerName == "" {
			tlsConfig.ServerName = host
		}
	case IMAPPlain:
		if !isLoopback(host) {
			return nil, fmt.Errorf("ingest: IMAP %s: unencrypted IMAP is allowed to loopback addresses only", m.Addr)
		}
	default:
		return nil, fmt.Errorf("ingest: unknown IMAPSecurity %q", security)
	}
	dialer := m.Dialer
	if dialer == nil {
		dialer = &net.Dialer{Timeout: 30 * time.Second}
	}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ingest: IMAP: %w", err)
	}
	opts := &imapclient.Options{TLSConfig: tlsConfig}
	switch security {
	case IMAPImplicitTLS:
		if tlsConfig.NextProtos == nil {
			tlsConfig.NextProtos = []string{"imap"} // as imapclient.DialTLS does
		}
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("ingest: IMAP %s: TLS: %w", m.Addr, err)
		}
		return imapclient.New(tc, opts), nil
	case IMAPStartTLS:
		// NewStartTLS waits for the greeting and sends STARTTLS at once; a
		// server without it answers BAD or NO and the connection is
		// closed before any password is sent.
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		defer stop()
		c, err := imapclient.NewStartTLS(conn, opts)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			return nil, fmt.Errorf("ingest: IMAP %s: STARTTLS: %w", m.Addr, err)
		}
		return c, nil
	}
	return imapclient.New(conn, opts), nil
}

// list selects the messages of this run and their sizes.
func (m *IMAP) list(c *imapclient.Client) error {
	if m.After != "" {
		v, uid, err := parseIMAPID(m.After)
		if err != nil {
			return fmt.Errorf("ingest: IMAP After: %w", err)
		}
		if v == m.uidValidity {
			m.after = uid
		}
	}
	criteria := &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}
	if !m.All {
		criteria.NotFlag = append(criteria.NotFlag, imap.FlagSeen)
	}
	if m.after != 0 {
		criteria.UID = []imap.UIDSet{{{Start: m.after + 1, Stop: 0}}}
	}
	data, err := c.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return fmt.Errorf("ingest: IMAP searching %q: %w", m.Mailbox, err)
	}
	var uids []imap.UID
	for _, uid := range data.AllUIDs() {
		// "n:*" includes the last message even when its UID is below n
		// (RFC 3501 §6.4.8).
		if uid > m.after {
			uids = append(uids, uid)
		}
	}
	slices.Sort(uids)
	m.sizes = map[imap.UID]int64{}
	if len(uids) > 0 {
		fetch := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true})
		for {
			msg := fetch.Next()
			if msg == nil {
				break
			}
			buf, err := msg.Collect()
			if err != nil {
				fetch.Close()
				return fmt.Errorf("ingest: IMAP fetching sizes: %w", err)
			}
			if buf.UID != 0 {
				m.sizes[buf.UID] = buf.RFC822Size
			}
		}
		if err := fetch.Close(); err != nil {
			return fmt.Errorf("ingest: IMAP fetching sizes: %w", err)
		}
	}
	m.selection = uids
	m.pending = slices.Clone(uids)
	return nil
}

// fetchBody returns at most max+1 bytes of message uid, fetched with
// BODY.PEEK[]<0.max+1> so that \Seen is not set and a server whose
// RFC822.SIZE lied sends no more than that (and if it sends more anyway,
// no more than max+1 bytes are kept).
func fetchBody(c *imapclient.Client, uid imap.UID, max int64) ([]byte, error) {
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: max + 1}}
	fetch := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	var body []byte
	for {
		msg := fetch.Next()
		if msg == nil {
			break
		}
		// A FETCH for another message (a flag change another client
		// made) may arrive meanwhile: keep only this UID's body. The
		// items come in the server's order, UID maybe after the body.
		var got imap.UID
		var b []byte
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				got = item.UID
			case imapclient.FetchItemDataBodySection:
				b = []byte{}
				if item.Literal != nil {
					var err error
					if b, err = io.ReadAll(io.LimitReader(item.Literal, max+1)); err != nil {
						fetch.Close()
						return nil, err
					}
				}
			}
		}
		if got == uid && b != nil {
			body = b
		}
	}
	if err := fetch.Close(); err != nil {
		return nil, err
	}
	if body == nil {
		return nil, errVanished
	}
	return body, nil
}

// withPort returns addr with port added when it has none, and its host.
func withPort(addr, port string) (hostport, host string, err error) {
	if addr == "" {
		return "", "", errors.New("ingest: IMAP source without Addr")
	}
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return addr, h, nil
	}
	h := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	return net.JoinHostPort(h, port), h, nil
}

// sameMailbox compares mailbox names: case-sensitively, except INBOX
// (RFC 3501 §5.1).
func sameMailbox(a, b string) bool {
	if strings.EqualFold(a, "INBOX") || strings.EqualFold(b, "INBOX") {
		return strings.EqualFold(a, b)
	}
	return a == b
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func imapID(validity uint32, uid imap.UID) string {
	return strconv.FormatUint(uint64(validity), 10) + "/" + strconv.FormatUint(uint64(uid), 10)
}

// parseIMAPID reads an Item.ID of the IMAP source, "UIDVALIDITY/UID".
func parseIMAPID(id string) (uint32, imap.UID, error) {
	v, u, ok := strings.Cut(id, "/")
	validity, err1 := strconv.ParseUint(v, 10, 32)
	uid, err2 := strconv.ParseUint(u, 10, 32)
	if !ok || err1 != nil || err2 != nil || validity == 0 || uid == 0 {
		return 0, 0, fmt.Errorf("ingest: %q is not an IMAP message id (UIDVALIDITY/UID)", id)
	}
	return uint32(validity), imap.UID(uid), nil
}
