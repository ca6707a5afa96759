package policy

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/go-tlsrpt/tlsrpt"
)

// SyntaxError reports where an _mta-sts TXT record (RFC 8461 §3.1) or a
// TLSA presentation string (RFC 6698 §2.2) stops matching its grammar.
// Match it with errors.As.
type SyntaxError struct {
	// Offset is the byte offset in the input at which the problem was found.
	Offset int
	// Reason says, in lower case, what was expected or found there.
	Reason string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return "policy: syntax error at offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// STSPolicyError reports why an MTA-STS policy file (RFC 8461 §3.2) is
// invalid. Match it with errors.As.
type STSPolicyError struct {
	// Line is the 1-based line number of the offending line, or 0 when
	// the problem concerns the policy as a whole (a required field is
	// missing).
	Line int
	// Column is the 1-based byte column on Line where the problem was
	// found, or 0 together with Line.
	Column int
	// Key is the field name of the offending line or of the missing
	// field; it is empty when the line has no recognisable key.
	Key string
	// Reason says, in lower case, what is wrong.
	Reason string
}

// Error implements error.
func (e *STSPolicyError) Error() string {
	if e.Line == 0 {
		return "policy: invalid mta-sts policy: " + e.Reason
	}
	return "policy: mta-sts policy line " + strconv.Itoa(e.Line) + " column " + strconv.Itoa(e.Column) + ": " + e.Reason
}

// errTooLarge is returned for an MTA-STS policy larger than
// MaxSTSPolicySize (RFC 8461 §3.3 suggests 64 KiB). It matches
// errors.Is(err, tlsrpt.ErrTooLarge).
var errTooLarge = fmt.Errorf("policy: mta-sts policy larger than %d bytes: %w", MaxSTSPolicySize, tlsrpt.ErrTooLarge)

// ErrNotSTSRecord is returned by ParseSTSRecord for a TXT string that does
// not begin with "v=STSv1" (RFC 8461 §3.1): it is not an MTA-STS record at
// all, as opposed to a malformed one (*SyntaxError).
var ErrNotSTSRecord = errors.New("policy: not an mta-sts record (does not begin with v=STSv1)")

// ErrNoSTSRecord is returned by SelectSTSRecord when none of the TXT
// strings is an MTA-STS record.
var ErrNoSTSRecord = errors.New("policy: no mta-sts record")

// ErrMultipleSTSRecords is returned by SelectSTSRecord when more than one
// TXT string begins with "v=STSv1": RFC 8461 §3.1 says the domain then has
// no usable MTA-STS policy.
var ErrMultipleSTSRecords = errors.New("policy: more than one mta-sts record")
