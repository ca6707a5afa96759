package ingest

import (
	"fmt"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// Fate is what became of one input message. Every message read gets
// exactly one.
type Fate string

// The fates.
const (
	// FateReport: the message holds one or more TLS reports, each with
	// its own Trust verdict.
	FateReport Fate = "report"
	// FateNotReport: a well-formed message that is no TLS report; Kind
	// says what it is.
	FateNotReport Fate = "not-report"
	// FateTooLarge: the message or a part of it exceeds a size, count or
	// depth cap (Err matches tlsrpt.ErrTooLarge).
	FateTooLarge Fate = "too-large"
	// FateMalformed: the input is neither a mail, JSON, gzip nor zip, or
	// a part labelled or sniffed as a TLS report does not decode (a
	// truncated gzip stream, JSON that is not a report); Err says why.
	FateMalformed Fate = "malformed"
	// FateUnreadable: the source could not read the message (Item.Err
	// that is not ErrTooLarge, a failed reader). It is not final: a
	// later run may read it.
	FateUnreadable Fate = "unreadable"
)

// Kind tells apart the messages whose fate is FateNotReport.
type Kind string

// The kinds of non-report messages.
const (
	// KindDMARCAggregate: a DMARC aggregate report (RFC 7489 §7.2): XML
	// with a <feedback> root, plain, gzip or zip.
	KindDMARCAggregate Kind = "dmarc-aggregate"
	// KindDMARCFailure: a DMARC failure report (RFC 7489 §7.3): an ARF
	// message, multipart/report; report-type=feedback-report (RFC 5965).
	KindDMARCFailure Kind = "dmarc-failure"
	// KindDSN: a delivery status notification, multipart/report;
	// report-type=delivery-status (RFC 3464), bounces of report mail
	// included.
	KindDSN Kind = "dsn"
	// KindOther: any other message (a cron mail, a newsletter, an MDN).
	KindOther Kind = "other"
)

// Format is the form of an input as sniffed from its content.
type Format string

// The input formats.
const (
	// FormatMail: an RFC 5322 message (CRLF or LF line ends, an mbox
	// "From " line tolerated).
	FormatMail Format = "mail"
	// FormatJSON: a JSON text (a bare report).
	FormatJSON Format = "json"
	// FormatGzip: a gzip stream (a .json.gz report).
	FormatGzip Format = "gzip"
	// FormatZip: a zip archive.
	FormatZip Format = "zip"
	// FormatXML: an XML document (a DMARC aggregate report file).
	FormatXML Format = "xml"
	// FormatUnknown: none of the above.
	FormatUnknown Format = "unknown"
)

// Verdict is the trust decision on one report (RFC 8460 §3).
type Verdict string

// The verdicts.
const (
	// VerdictTrusted: a valid DKIM signature aligned with the report's
	// submitter, or the trusted MX's Authentication-Results, vouches for
	// the message that carries the report. Trust.Domain names who.
	VerdictTrusted Verdict = "trusted"
	// VerdictUntrusted: nothing vouches for the report and asking again
	// will not change that; Trust.Reasons say why.
	VerdictUntrusted Verdict = "untrusted"
	// VerdictRetry: a DKIM key could not be fetched (a temporary DNS
	// failure); read the message again later.
	VerdictRetry Verdict = "retry"
)

// Result is everything Reader learned about one input: its fate, the
// reports with their trust verdicts, the header facts of a mail and the
// diagnostics of the reading.
type Result struct {
	// ID is Item.ID of the message (empty for Reader.Read).
	ID string
	// Size is the number of bytes read (for FateTooLarge, Item.Size).
	Size int64
	// Format is the input's form, sniffed from its content.
	Format Format
	// Fate is what became of the input.
	Fate Fate
	// Kind says what a FateNotReport message is; empty otherwise.
	Kind Kind
	// Reports are the TLS reports of a FateReport input, in the order
	// found; empty otherwise.
	Reports []Report
	// Err is the cause of FateTooLarge, FateMalformed and
	// FateUnreadable; nil otherwise.
	Err error
	// Mail holds the header facts of a mail input (nil for files that
	// are not mail).
	Mail *Facts
	// Diagnostics lists what was tolerated or noticed while reading: the
	// mime package's warnings (paths "mime:…"), the report decoder's
	// (JSON paths; for a zip archive, Index is the report's 0-based
	// position in Reports), and this package's (codes Code*).
	Diagnostics []tlsrpt.Diagnostic
}

// Final reports whether r is the input's last word: false for
// FateUnreadable and when some report's verdict is VerdictRetry, so that
// the message is read again later (Run does not mark it processed).
func (r *Result) Final() bool {
	if r.Fate == FateUnreadable {
		return false
	}
	for _, rep := range r.Reports {
		if rep.Trust.Verdict == VerdictRetry {
			return false
		}
	}
	return true
}

// Report is one TLS report of an input and its trust verdict.
type Report struct {
	// Report is the decoded report.
	Report *report.Report
	// Path is the MIME part the report came from ("mime:part[2]",
	// "mime:part[2].message.part[2]" for a forwarded report), the zip
	// member ("zip:name.json") or "" for a bare JSON or gzip input.
	Path string
	// Filename is the attachment filename or zip member name, if any.
	Filename string
	// Trust is the verdict on the report.
	Trust Trust
}

// Trust is the verdict on one report and what it rests on (RFC 8460 §3).
type Trust struct {
	// Verdict is the decision.
	Verdict Verdict
	// Domain is the domain the report is attributed to: the d= of the
	// signature that vouches for it, or the header.d of the trusted
	// Authentication-Results dkim=pass. Empty unless trusted.
	Domain string
	// Selector is the s= of that signature when the report is trusted by
	// its own DKIM verification; empty otherwise.
	Selector string
	// AuthServID is the authserv-id of the Authentication-Results field
	// that vouches for the report when trusted through it; empty
	// otherwise.
	AuthServID string
	// Reasons say why the report is not trusted (Severity error for the
	// deciding reasons), or add notes to a trusted one (Severity info,
	// such as a key restricted to s=email). Codes are the Code*
	// constants of this package.
	Reasons []tlsrpt.Diagnostic
}

// String formats t for people: "trusted by dkim d=google.com
// s=20161025", "trusted by authentication-results of mx.example.net
// (dkim=pass header.d=google.com)", "untrusted: first reason",
// "retry: first reason".
func (t Trust) String() string {
	switch t.Verdict {
	case VerdictTrusted:
		if t.AuthServID != "" {
			return "trusted by authentication-results of " + t.AuthServID + " (dkim=pass header.d=" + t.Domain + ")"
		}
		return "trusted by dkim d=" + t.Domain + " s=" + t.Selector
	case "":
		return "no verdict"
	}
	for _, d := range t.Reasons {
		if d.Severity == tlsrpt.SeverityError {
			return string(t.Verdict) + ": " + d.Message
		}
	}
	return string(t.Verdict)
}

// Facts are the header facts of a mail input. For a report mail they come
// from the message that carries the first report (the attached message
// of a forwarded report), as mime.Message's do; for other mail from the
// mail itself.
type Facts struct {
	// From is the From field, unfolded and RFC 2047-decoded.
	From string
	// Subject is the Subject field, unfolded and RFC 2047-decoded.
	Subject string
	// MessageID is the Message-ID without angle brackets.
	MessageID string
	// Date is the Date field; zero when absent or unreadable.
	Date time.Time
	// ReportDomain is TLS-Report-Domain, normalised; empty when absent.
	ReportDomain string
	// Submitter is TLS-Report-Submitter, normalised; empty when absent.
	Submitter string
	// ReportID is the Subject's Report-ID without angle brackets.
	ReportID string
}

// Stats counts the fates of a run. Every message read is counted once in
// Messages and once among the fates; Check verifies that the counts add
// up.
type Stats struct {
	// Messages is the number of messages read.
	Messages int
	// Report, NotReport, TooLarge, Malformed and Unreadable count the
	// messages of each Fate (FateReport, FateNotReport, FateTooLarge,
	// FateMalformed, FateUnreadable); they add up to Messages.
	Report, NotReport, TooLarge, Malformed, Unreadable int
	// DMARCAggregate, DMARCFailure, DSN and Other count the FateNotReport
	// messages of each Kind (KindDMARCAggregate, KindDMARCFailure,
	// KindDSN, KindOther); they add up to NotReport.
	DMARCAggregate, DMARCFailure, DSN, Other int
	// Trusted, Untrusted and Retry count the reports (a message may hold
	// several) of each Trust Verdict (VerdictTrusted, VerdictUntrusted,
	// VerdictRetry); they add up to Reports.
	Trusted, Untrusted, Retry int
	// Reports is the number of reports in FateReport messages.
	Reports int
}

// Add counts r.
func (s *Stats) Add(r *Result) {
	s.Messages++
	switch r.Fate {
	case FateReport:
		s.Report++
	case FateNotReport:
		s.NotReport++
		switch r.Kind {
		case KindDMARCAggregate:
			s.DMARCAggregate++
		case KindDMARCFailure:
			s.DMARCFailure++
		case KindDSN:
			s.DSN++
		default:
			s.Other++
		}
	case FateTooLarge:
		s.TooLarge++
	case FateMalformed:
		s.Malformed++
	default:
		s.Unreadable++
	}
	for _, rep := range r.Reports {
		s.Reports++
		switch rep.Trust.Verdict {
		case VerdictTrusted:
			s.Trusted++
		case VerdictRetry:
			s.Retry++
		default:
			s.Untrusted++
		}
	}
}

// Check returns an error when the counts of s do not add up.
func (s Stats) Check() error {
	if n := s.Report + s.NotReport + s.TooLarge + s.Malformed + s.Unreadable; n != s.Messages {
		return fmt.Errorf("ingest: fates add up to %d, not %d messages", n, s.Messages)
	}
	if n := s.DMARCAggregate + s.DMARCFailure + s.DSN + s.Other; n != s.NotReport {
		return fmt.Errorf("ingest: kinds add up to %d, not %d non-reports", n, s.NotReport)
	}
	if n := s.Trusted + s.Untrusted + s.Retry; n != s.Reports {
		return fmt.Errorf("ingest: verdicts add up to %d, not %d reports", n, s.Reports)
	}
	return nil
}
