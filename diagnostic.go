package tlsrpt

import (
	"errors"
	"strconv"
	"strings"
)

// ErrTooLarge is matched, with errors.Is, by every error that reports an
// input over a size, count or depth cap anywhere in the module: a record, a
// report, a mail, a policy file, a snapshot, a request body. The packages'
// own ErrTooLarge variables hold this same value.
var ErrTooLarge = errors.New("tlsrpt: input too large")

// Severity says how much a Diagnostic matters.
type Severity string

// The severities, from least to most serious.
const (
	// SeverityInfo: nothing is wrong; the diagnostic is advice.
	SeverityInfo Severity = "info"
	// SeverityWarning: the input was accepted, possibly after a repair,
	// but deviates from its RFC or will not work as its author intends.
	SeverityWarning Severity = "warning"
	// SeverityError: the input is invalid; a strict reader rejects it.
	SeverityError Severity = "error"
)

// Code identifies the kind of a Diagnostic. Each package lists its codes as
// Code* constants; the values are stable, so tools may match on them.
type Code string

// Diagnostic is one finding about an input: a lint finding on a DNS record
// or policy, a repair made by a lenient decoder, a tolerated deviation in a
// report mail. The same value describes the problem whether it was
// tolerated (returned beside the result) or refused (returned as the error
// of a strict reader, as a *Diagnostic).
type Diagnostic struct {
	// Path locates the problem in structured input: a JSON path such as
	// "policies[0].summary.total-successful-session-count", or a mail path
	// such as "mime:part[2]" or "mime:header.Date". Empty when the problem
	// concerns the input as a whole or Offset locates it.
	Path string
	// Offset is the byte offset of the problem in the input (in a lint of
	// several strings, in the string Index names). Readers that locate a
	// problem by Path set it when they know it and leave it 0 otherwise.
	Offset int
	// Index is the position of the input among several judged together
	// (the TXT strings at one DNS name, the reports in one mail); 0
	// otherwise.
	Index int
	// Code is the stable identifier of the kind of problem.
	Code Code
	// Severity says how much it matters.
	Severity Severity
	// Message says what is wrong, for people.
	Message string
	// Fix says how to fix it, when there is a simple fix: replacement
	// text or an instruction. Empty otherwise.
	Fix string
	// Err is the underlying cause, if any: an I/O error, a sentinel such
	// as ErrTooLarge, a lower layer's error (a report decoder's
	// *Diagnostic inside a mail part's). Unwrap returns it, so errors.Is
	// and errors.As look through a *Diagnostic to it. String leaves it
	// out; Error appends it.
	Err error
}

// String formats d as "severity path at offset N: message [code] (fix:
// fix)", leaving out the parts that are empty; the offset is left out
// when a Path locates the problem and Offset is 0. Index, when not 0,
// comes first as "#index".
func (d Diagnostic) String() string {
	b := make([]byte, 0, 64+len(d.Path)+len(d.Message)+len(d.Fix))
	sep := func() {
		if len(b) > 0 {
			b = append(b, ' ')
		}
	}
	if d.Severity != "" {
		b = append(b, d.Severity...)
	}
	if d.Index != 0 {
		sep()
		b = append(b, '#')
		b = strconv.AppendInt(b, int64(d.Index), 10)
	}
	if d.Path != "" {
		sep()
		b = append(b, d.Path...)
	}
	if d.Path == "" || d.Offset > 0 {
		sep()
		b = append(b, "at offset "...)
		b = strconv.AppendInt(b, int64(d.Offset), 10)
	}
	b = append(b, ": "...)
	b = append(b, d.Message...)
	if d.Code != "" {
		b = append(b, " ["...)
		b = append(b, d.Code...)
		b = append(b, ']')
	}
	if d.Fix != "" {
		b = append(b, " (fix: "...)
		b = append(b, d.Fix...)
		b = append(b, ')')
	}
	return string(b)
}

// Error implements error: a strict reader returns the deviation it refused
// as a *Diagnostic, matched with errors.As whatever the package. It is
// "tlsrpt: " and String, followed by ": " and Err's message when Err is set
// and Message does not already contain that text, with or without its
// package prefix (a first word of lower-case letters and digits followed
// by ": ", such as "aggregate: ").
func (d *Diagnostic) Error() string {
	s := "tlsrpt: " + d.String()
	if d.Err != nil {
		if e := d.Err.Error(); !strings.Contains(d.Message, e) && !strings.Contains(d.Message, trimPackage(e)) {
			s += ": " + e
		}
	}
	return s
}

// trimPackage returns the error message e without its package prefix, or
// e when it has none.
func trimPackage(e string) string {
	pkg, rest, ok := strings.Cut(e, ": ")
	if !ok || pkg == "" || rest == "" {
		return e
	}
	for _, c := range pkg {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return e
		}
	}
	return rest
}

// Unwrap returns Err, the underlying cause, or nil.
func (d *Diagnostic) Unwrap() error { return d.Err }
