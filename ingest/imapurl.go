package ingest

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ParseIMAPURL returns an IMAP source for an imaps:// (IMAPImplicitTLS)
// or imap:// (IMAPStartTLS) URL of the form
//
//	imaps://user@host:port/Mailbox/Path
//
// (RFC 5092 §3 without its ";" parameters: user name and mailbox
// percent-encoded, the mailbox in UTF-8 with the server's hierarchy
// separator; no port means the scheme's default; no mailbox means
// INBOX). A URL that carries a password is refused, so that it never
// lands in a shell history or a process list: set Password or
// PasswordFile. Queries, fragments, ";AUTH=" and ";UIDVALIDITY="-style
// parameters are refused too. The other fields of the result are zero.
// (*IMAP).String formats the URL back.
func ParseIMAPURL(s string) (*IMAP, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the whole URL, password included.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("ingest: IMAP URL: %w", err)
	}
	m := &IMAP{}
	switch strings.ToLower(u.Scheme) {
	case "imaps":
		m.Security = IMAPImplicitTLS
	case "imap":
		m.Security = IMAPStartTLS
	default:
		return nil, fmt.Errorf("ingest: IMAP URL %q: scheme is not imap or imaps", u.Redacted())
	}
	if _, has := u.User.Password(); has {
		return nil, fmt.Errorf("ingest: IMAP URL %q carries a password: set it in Password or PasswordFile instead", u.Redacted())
	}
	switch {
	case u.Opaque != "" || u.Host == "":
		return nil, fmt.Errorf("ingest: IMAP URL %q has no host", u.Redacted())
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("ingest: IMAP URL %q: queries and fragments are not supported", u.Redacted())
	case strings.Contains(u.User.Username(), ";") || strings.Contains(u.EscapedPath(), ";"):
		return nil, fmt.Errorf("ingest: IMAP URL %q: \";\" parameters (RFC 5092 ;AUTH=, ;UIDVALIDITY=) are not supported", u.Redacted())
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return nil, fmt.Errorf("ingest: IMAP URL %q: bad port %q", u.Redacted(), p)
		}
	}
	m.Addr = u.Host
	m.Username = u.User.Username()
	m.Mailbox = strings.TrimPrefix(u.Path, "/")
	return m, nil
}

// String returns the source as an imaps:// or imap:// URL (IMAPPlain
// gives imap:// too): user, host and port, mailbox; never the password.
// ParseIMAPURL reads it back.
func (m *IMAP) String() string {
	scheme := "imaps"
	if m.Security == IMAPStartTLS || m.Security == IMAPPlain {
		scheme = "imap"
	}
	var b strings.Builder
	b.WriteString(scheme + "://")
	if m.Username != "" {
		b.WriteString(escapeIMAPURL(m.Username, false) + "@")
	}
	b.WriteString(m.Addr)
	if m.Mailbox != "" {
		b.WriteString("/" + escapeIMAPURL(m.Mailbox, true))
	}
	return b.String()
}

// escapeIMAPURL percent-encodes a user name (path false) or a mailbox
// (path true, "/" kept as the hierarchy separator) for String.
func escapeIMAPURL(s string, path bool) string {
	if !path {
		return url.User(s).String()
	}
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
