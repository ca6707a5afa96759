package mime

import (
	"errors"
	"strconv"

	"github.com/go-tlsrpt/tlsrpt"
)

// ErrNoReport is returned by Parse when the message carries no TLS report:
// a delivery status notification, a DMARC aggregate report, an ordinary
// mail.
var ErrNoReport = errors.New("mime: message contains no TLS report")

// ErrTooLarge is matched by the error returned when a limit of the Parser
// (message size, part count, nesting depth, header size or decompressed
// report size) was exceeded while reading: a *tlsrpt.Diagnostic whose Code
// names the limit (CodeLimitMessageSize, ...) and whose Err is, or wraps,
// this value. It is tlsrpt.ErrTooLarge (and report.ErrTooLarge), the value
// every cap in the module matches.
var ErrTooLarge = tlsrpt.ErrTooLarge

// Error codes. Parse, Verify and Write return what they refuse as a
// *tlsrpt.Diagnostic with Severity tlsrpt.SeverityError and one of these
// codes (or, with Parser.Strict, a warning code); they are no warnings, and
// the package documentation lists them in their own table. The codes are
// stable.
const (
	// CodeLimitMessageSize: the message is larger than
	// Parser.MaxMessageSize or VerifyOptions.MaxMessageSize. Err is
	// ErrTooLarge.
	CodeLimitMessageSize tlsrpt.Code = "mime-limit-message-size"
	// CodeLimitParts: the message has more MIME entities, or a zip
	// archive more members, than Parser.MaxParts. Err is ErrTooLarge.
	CodeLimitParts tlsrpt.Code = "mime-limit-parts"
	// CodeLimitDepth: multiparts and attached messages nest deeper than
	// Parser.MaxDepth. Err is ErrTooLarge.
	CodeLimitDepth tlsrpt.Code = "mime-limit-depth"
	// CodeLimitHeaderSize: an entity's header is larger than
	// Parser.MaxHeaderSize. Err is ErrTooLarge.
	CodeLimitHeaderSize tlsrpt.Code = "mime-limit-header-size"
	// CodeLimitReportSize: the decompressed report data of the message
	// is larger than Parser.MaxReportSize. Err is ErrTooLarge, or the
	// report decoder's error (which matches ErrTooLarge) when the decoder
	// hit the cap.
	CodeLimitReportSize tlsrpt.Code = "mime-limit-report-size"
	// CodeLimitSignatures: a DKIM signature beyond
	// VerifyOptions.MaxSignatures, not verified; the error of its
	// SignatureResult. Err is ErrTooLarge.
	CodeLimitSignatures tlsrpt.Code = "mime-limit-signatures"
	// CodeReportUndecodable: a part chosen as a TLS report cannot be
	// decoded: a transfer-encoding, gzip or zip error, content that is
	// neither gzip, zip nor JSON, or the report decoder's error. Err is
	// the cause; with Parser.Strict a report decoder's refusal is itself
	// a *tlsrpt.Diagnostic, wrapped by the part's (errors.As finds the
	// part's first; use errors.As on its Err for the decoder's).
	CodeReportUndecodable tlsrpt.Code = "mime-report-undecodable"
	// CodeField: Write cannot put a report field or option into the
	// message (a header injection attempt, a non-address From, a report
	// without a single policy domain, a line that cannot be folded); Path
	// names the field, like "WriteOptions.From", "report.contact-info" or
	// "report.policies[1].policy.policy-domain". Err is the underlying
	// error, such as the report encoder's, or nil.
	CodeField tlsrpt.Code = "mime-field"
)

// limitError returns the error for the limit named by code, of which what
// is the description ("message size") and max the configured value, hit
// at path. cause is the underlying error, such as the report decoder's, or
// nil; the result matches ErrTooLarge either way.
func limitError(code tlsrpt.Code, what string, max int64, path string, cause error) error {
	if cause == nil {
		cause = ErrTooLarge
	} else if !errors.Is(cause, ErrTooLarge) {
		cause = errors.Join(ErrTooLarge, cause)
	}
	return &tlsrpt.Diagnostic{
		Path:     path,
		Code:     code,
		Severity: tlsrpt.SeverityError,
		Message:  what + " limit " + strconv.FormatInt(max, 10) + " exceeded",
		Err:      cause,
	}
}

// partError returns the error for the report part at path that cannot be
// decoded because of cause.
func partError(path string, cause error) error {
	return &tlsrpt.Diagnostic{
		Path:     path,
		Code:     CodeReportUndecodable,
		Severity: tlsrpt.SeverityError,
		Message:  "report part cannot be decoded",
		Err:      cause,
	}
}

// fieldError returns Write's error for the field named field, with the
// reason and the underlying error, if any.
func fieldError(field, reason string, cause error) error {
	return &tlsrpt.Diagnostic{
		Path:     field,
		Code:     CodeField,
		Severity: tlsrpt.SeverityError,
		Message:  reason,
		Err:      cause,
	}
}

// isLimit reports whether err is a limit's error rather than a part's.
func isLimit(err error) bool { return errors.Is(err, ErrTooLarge) }
