package mime

import (
	"errors"
	"fmt"

	"github.com/go-tlsrpt/tlsrpt"
)

// ErrNoReport is returned by Parse when the message carries no TLS report:
// a delivery status notification, a DMARC aggregate report, an ordinary
// mail.
var ErrNoReport = errors.New("mime: message contains no TLS report")

// ErrTooLarge is returned when a limit of the Parser (message size, part
// count, nesting depth, header size or decompressed report size) was
// exceeded while reading. The error is a *LimitError naming the limit. It
// is tlsrpt.ErrTooLarge (and report.ErrTooLarge), the value every cap in
// the module matches.
var ErrTooLarge = tlsrpt.ErrTooLarge

// LimitError is the error returned when a Parser limit is exceeded. It
// matches ErrTooLarge with errors.Is.
type LimitError struct {
	// Limit names the exceeded limit: "message size", "parts", "depth",
	// "header size" or "report size".
	Limit string
	// Max is the configured value of the limit.
	Max int64
	// Path is where the limit was hit, like "mime:part[2]".
	Path string
	// Err is an underlying error (such as report.ErrTooLarge), or nil.
	Err error
}

// Error implements error.
func (e *LimitError) Error() string {
	s := fmt.Sprintf("mime: %s limit %d exceeded", e.Limit, e.Max)
	if e.Path != "" {
		s += " at " + e.Path
	}
	return s
}

// Unwrap returns ErrTooLarge and the underlying error, if any.
func (e *LimitError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrTooLarge, e.Err}
	}
	return []error{ErrTooLarge}
}

// PartError is returned by Parse when a part identified as a TLS report
// (by its media type) cannot be decoded.
type PartError struct {
	// Path is the part, like "mime:part[2]".
	Path string
	// Err is the cause: a transfer-encoding, decompression or report
	// decoding error.
	Err error
}

// Error implements error.
func (e *PartError) Error() string { return "mime: " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *PartError) Unwrap() error { return e.Err }

// FieldError is returned by Write when a report field or option cannot be
// put into the message (a header injection attempt, a non-address From, a
// report without a single policy domain).
type FieldError struct {
	// Field names the offending input, like "WriteOptions.From",
	// "report.contact-info" or "report.policies[1].policy.policy-domain".
	Field string
	// Reason says what is wrong with it.
	Reason string
	// Err is the underlying error, such as the report encoder's, or nil.
	Err error
}

// Error implements error.
func (e *FieldError) Error() string { return "mime: " + e.Field + ": " + e.Reason }

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }
