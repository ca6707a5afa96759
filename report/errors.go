package report

import (
	"errors"
	"strconv"
)

// ErrTooLarge is returned (wrapped) when the decompressed report, or the
// compressed input, exceeds Decoder.MaxSize. The cap is enforced while
// reading, so hitting it costs at most MaxSize bytes of work.
var ErrTooLarge = errors.New("report: input too large")

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

// DecodeError reports a well-formed JSON text that is not an acceptable
// report: a value of the wrong type, an impossible count or date, or, in
// strict mode, any deviation the lenient decoder would have repaired (Code
// is then the code of the Warning the lenient decoder returns).
type DecodeError struct {
	// Path locates the offending value, e.g.
	// "policies[0].failure-details[2].sending-mta-ip"; "" for the report.
	Path string
	// Offset is the byte offset in the (decompressed) input of the
	// offending value, member name or, for a missing member, of the end of
	// the object that lacks it.
	Offset int64
	// Code is one of the Code* constants.
	Code string
	// Message describes the problem.
	Message string
}

// Error implements error.
func (e *DecodeError) Error() string {
	p := e.Path
	if p == "" {
		p = "(report)"
	}
	return "report: " + p + ": " + e.Message + " [" + e.Code + "] at offset " + strconv.FormatInt(e.Offset, 10)
}
