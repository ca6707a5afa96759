package dnsrecord

import (
	"errors"
	"strconv"
)

// ErrNotTLSRPT is returned by Parse for a text that is not a TLS-RPT
// version 1 record at all: it does not begin with the case-sensitive
// version tag "v=TLSRPTv1", or the tag runs on into other characters
// ("v=TLSRPTv10", "v=TLSRPTv1=x"), which makes it a different version or
// no version at all (RFC 8460 §3 tlsrpt-version).
var ErrNotTLSRPT = errors.New("dnsrecord: not a TLS-RPT version 1 record")

// ErrNoRecord is returned by Lookup and Select when the domain publishes no TLS-RPT
// record: the name does not exist (NXDOMAIN), has no TXT records (NODATA),
// or none of its TXT records is a TLS-RPT record (RFC 8460 §3). The
// domain does not want TLS reports; this is not a reason to retry.
var ErrNoRecord = errors.New("dnsrecord: no TLS-RPT record")

// ErrMultipleRecords is returned by Lookup and Select when more than one TXT record
// is a TLS-RPT record. RFC 8460 §3 says the domain then does not
// implement TLS-RPT, so a sender must not send reports.
var ErrMultipleRecords = errors.New("dnsrecord: more than one TLS-RPT record")

// SyntaxError describes why Parse rejected a record that begins with the
// TLS-RPT version tag. Offset is the byte offset in the text where parsing
// stopped: the first byte that cannot be part of a valid record, or the
// length of the text when something required is missing at its end.
type SyntaxError struct {
	Offset int    // byte offset in the parsed text
	Reason string // short lower-case description, e.g. "empty URI"
}

// Error implements the error interface.
func (e *SyntaxError) Error() string {
	return "dnsrecord: syntax error at offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// TemporaryError is returned by Lookup when the DNS query failed in a way
// that says nothing about whether the domain publishes a record: SERVFAIL,
// timeout, refused or unreachable server, malformed answer, cancelled
// context. The caller should retry later and must not conclude that the
// domain does not do TLS-RPT. Err is the resolver's error (often a
// *net.DNSError), reachable with errors.As and errors.Is.
type TemporaryError struct {
	Name string // the name that was queried, e.g. "_smtp._tls.example.com."
	Err  error  // the resolver's error
}

// Error implements the error interface.
func (e *TemporaryError) Error() string {
	return "dnsrecord: temporary failure looking up " + e.Name + ": " + e.Err.Error()
}

// Unwrap returns the resolver's error.
func (e *TemporaryError) Unwrap() error { return e.Err }

// Temporary reports true: a later retry may succeed. It lets callers that
// test for interface{ Temporary() bool } treat the error as retryable.
func (e *TemporaryError) Temporary() bool { return true }
