package mime

import (
	stdmime "mime"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// decodeWords decodes RFC 2047 encoded-words; text that cannot be decoded
// (an unknown charset) is returned as written.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	dec, err := new(stdmime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return dec
}

// stripCFWS removes RFC 5322 §3.2.2 comments and surrounding whitespace.
func stripCFWS(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && depth > 0:
			i++
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// headerDomain normalises a TLS-Report-Domain or -Submitter value: CFWS
// removed, A-label lower case when it is a valid domain, otherwise the
// lower-cased text.
func headerDomain(v string) string {
	v = strings.ToLower(strings.TrimSuffix(stripCFWS(v), "."))
	if d, err := domain.ToASCII(v); err == nil {
		return d
	}
	return v
}

// dateLayouts are Date variants seen in report mail besides RFC 5322.
var dateLayouts = [...]string{
	// QUIRK(RFC 8460 §5.3.1 example): month before day.
	"Mon, Jan 02 2006 15:04:05 -0700",
	"Mon, Jan 2 2006 15:04:05 -0700",
	time.RFC3339,
}

// facts fills the header facts of m from the message holding the first
// report.
func (m *Message) facts(info *msgInfo) {
	h := info.header
	hp := info.path + ".header."
	if info.path == "mime:message" {
		hp = "mime:header."
	}
	if v, ok := h.get(fieldReportDomain); ok {
		m.ReportDomain = headerDomain(v)
	} else {
		m.warn(hp+fieldReportDomain, CodeMissingReportDomain, "TLS-Report-Domain field missing (RFC 8460 §5.3)")
	}
	if v, ok := h.get(fieldSubmitter); ok {
		m.Submitter = headerDomain(v)
	} else {
		m.warn(hp+fieldSubmitter, CodeMissingSubmitter, "TLS-Report-Submitter field missing (RFC 8460 §5.3)")
	}
	if v, ok := h.get("From"); ok {
		m.From = strings.TrimSpace(decodeWords(v))
	}
	if v, ok := h.get("Message-ID"); ok {
		m.MessageID = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "<"), ">")
	}
	if v, ok := h.get("Date"); ok {
		m.DateText = strings.TrimSpace(v)
		if t, err := mail.ParseDate(m.DateText); err == nil {
			m.Date = t
		} else {
			msg := "Date " + quoteTrunc(m.DateText) + " is not RFC 5322 §3.3"
			for _, layout := range dateLayouts {
				if t, err := time.Parse(layout, m.DateText); err == nil {
					m.Date = t
					msg += "; read as " + t.Format(time.RFC3339)
					break
				}
			}
			m.warn(hp+"Date", CodeDate, msg)
		}
	} else {
		// RFC 5322 §3.6: the origination date is required.
		m.warn(hp+"Date", CodeMissingDate, "Date field missing (RFC 5322 §3.6)")
	}
	if v, ok := h.get("Subject"); ok {
		m.Subject = strings.TrimSpace(decodeWords(v))
		m.subject(hp + "Subject")
	} else {
		m.warn(hp+"Subject", CodeSubject, "Subject field missing (RFC 8460 §5.3)")
	}
}

// checkHeader compares report i (0-based), found at path, with the
// TLS-Report-Submitter and TLS-Report-Domain of the message carrying it.
// Every report of a mail is checked: a signature vouches for the header,
// and a second report must not claim another sender unnoticed. The
// warnings name the report's part, so that they tell the reports apart.
func (m *Message) checkHeader(i int, path string, info *msgInfo, rep *report.Report) {
	which := "report " + strconv.Itoa(i+1) + ": "
	// RFC 8460 §5.3: TLS-Report-Submitter is the contact-info domain;
	// §5.6: the report is authoritative where the header disagrees.
	if v, ok := info.header.get(fieldSubmitter); ok {
		if sub := headerDomain(v); sub != "" {
			// An address names the submitter domain itself; the host of
			// an https contact-info may be a host below it.
			cd, err := report.ContactDomain(rep.ContactInfo)
			if err == nil && cd != sub && (!strings.Contains(rep.ContactInfo, "://") || !domain.IsSubdomainOrEqual(cd, sub)) {
				m.warn(path, CodeSubmitterMismatch, which+"TLS-Report-Submitter "+quoteTrunc(sub)+" is not the contact-info domain "+quoteTrunc(cd)+" (RFC 8460 §5.3)")
			}
		}
	}
	if v, ok := info.header.get(fieldReportDomain); ok && len(rep.Policies) > 0 {
		rd := headerDomain(v)
		match := rd == ""
		for _, p := range rep.Policies {
			if d, err := domain.ToASCII(p.Policy.Domain); err == nil && d == rd {
				match = true
			}
		}
		if !match {
			m.warn(path, CodeReportDomainMismatch, which+"TLS-Report-Domain "+quoteTrunc(rd)+" is not a policy domain of the report")
		}
	}
}

// subject extracts the Report-ID of an RFC 8460 §5.3 Subject.
func (m *Message) subject(path string) {
	s := m.Subject
	i := strings.Index(s, "Report-ID:")
	if i < 0 {
		m.warn(path, CodeSubject, "Subject has no Report-ID (RFC 8460 §5.3)")
		return
	}
	if !strings.HasPrefix(s, "Report Domain:") || !strings.Contains(s[:i], "Submitter:") {
		m.warn(path, CodeSubject, "Subject is not \"Report Domain: … Submitter: … Report-ID: <…>\" (RFC 8460 §5.3)")
	}
	rest := strings.TrimSpace(s[i+len("Report-ID:"):])
	tok, _, _ := strings.Cut(rest, " ")
	if end := strings.LastIndexByte(rest, '>'); len(rest) > 0 && rest[0] == '<' && end > 0 {
		m.ReportID = rest[1:end]
		if !isMsgID(m.ReportID) {
			// QUIRK(sys4 tlsrpt-reporter 0.6): the report-id, with ":" in
			// its date-time, as the Report-ID: <2026-11-29T00:00:00Z_x@…>.
			// RFC 8460 §5.3 asks for an RFC 5322 §3.6.4 msg-id, whose
			// id-left is a dot-atom-text (no ":").
			m.warn(path, CodeReportIDSyntax, "Subject Report-ID "+quoteTrunc(m.ReportID)+" is not an RFC 5322 §3.6.4 msg-id id-left@id-right (RFC 8460 §5.3)")
		}
	} else {
		m.ReportID = tok
		m.warn(path, CodeSubject, "Subject Report-ID "+quoteTrunc(tok)+" is not in angle brackets (RFC 8460 §5.3)")
	}
}

// isMsgID reports whether s (without angle brackets) is an RFC 5322
// §3.6.4 msg-id in the current, non-obsolete syntax: id-left "@"
// id-right, where id-left is a dot-atom-text and id-right a dot-atom-text
// or a no-fold-literal ("[" *dtext "]").
func isMsgID(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at < 0 || !isDotAtomText(s[:at]) {
		return false
	}
	right := s[at+1:]
	if len(right) >= 2 && right[0] == '[' && right[len(right)-1] == ']' {
		for i := 1; i < len(right)-1; i++ {
			// RFC 5322 §3.4.1 dtext: printable ASCII but "[", "]" and "\\".
			if c := right[i]; c < 33 || c > 126 || c == '[' || c == ']' || c == '\\' {
				return false
			}
		}
		return true
	}
	return isDotAtomText(right)
}

// isDotAtomText reports whether s is an RFC 5322 §3.2.3 dot-atom-text:
// one or more atext characters in runs separated by single dots.
func isDotAtomText(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && !isAtext(s[i]) {
			return false
		}
	}
	return true
}

// isAtext reports whether c is RFC 5322 §3.2.3 atext: a letter, a digit
// or one of !#$%&'*+-/=?^_`{|}~.
func isAtext(c byte) bool {
	return isAlnumByte(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
