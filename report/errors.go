package report

import (
	"strconv"

	"github.com/go-tlsrpt/tlsrpt"
)

// ErrTooLarge is returned (wrapped) when the decompressed report, or the
// compressed input, exceeds Decoder.MaxSize, or a single JSON token exceeds
// 1 MiB. The cap is enforced while reading, so hitting it costs at most
// MaxSize bytes of work. It is tlsrpt.ErrTooLarge, the value every cap in
// the module matches.
var ErrTooLarge = tlsrpt.ErrTooLarge

// SyntaxError reports input that is not a well-formed JSON text (RFC 8259,
// RFC 7493 §2.1: UTF-8, one value, nothing after it), including truncated
// input. Use errors.As to get the position; Unwrap gives the tokenizer's
// cause (io.ErrUnexpectedEOF for truncated input).
type SyntaxError struct {
	// Offset is the byte offset in the (decompressed) input at or after
	// which the error was found.
	Offset int64
	// Path is the path of the value being read, "" at the top level.
	Path string
	// Msg describes the error.
	Msg string

	err error
}

// Error implements error.
func (e *SyntaxError) Error() string {
	s := "report: syntax error at offset " + strconv.FormatInt(e.Offset, 10)
	if e.Path != "" {
		s += " in " + e.Path
	}
	return s + ": " + e.Msg
}

// Unwrap returns the underlying cause, if any.
func (e *SyntaxError) Unwrap() error { return e.err }
