package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
)

// recordSyntaxError returns the error of ParseSTSRecord and
// STSRecord.Validate: the record stops matching the RFC 8461 §3.1 grammar
// at byte offset off. LintSTSRecord reports the same problem with the same
// code.
func recordSyntaxError(off int, msg string) *tlsrpt.Diagnostic {
	return &tlsrpt.Diagnostic{Offset: off, Code: CodeRecordSyntax, Severity: tlsrpt.SeverityError, Message: msg}
}

// tlsaSyntaxError returns the error of ParseTLSA: the string stops
// matching the RFC 6698 §2.2 presentation form at byte offset off.
func tlsaSyntaxError(off int, msg string) *tlsrpt.Diagnostic {
	return &tlsrpt.Diagnostic{Offset: off, Code: CodeTLSASyntax, Severity: tlsrpt.SeverityError, Message: msg}
}

// errTooLarge is returned for an MTA-STS policy larger than
// maxSTSPolicySize (RFC 8461 §3.3 suggests 64 KiB). It matches
// errors.Is(err, tlsrpt.ErrTooLarge).
var errTooLarge = fmt.Errorf("policy: mta-sts policy larger than %d bytes: %w", maxSTSPolicySize, tlsrpt.ErrTooLarge)

// ErrNotSTSRecord is returned by ParseSTSRecord for a TXT string that does
// not begin with "v=STSv1" (RFC 8461 §3.1): it is not an MTA-STS record at
// all, as opposed to a malformed one (a *tlsrpt.Diagnostic with
// CodeRecordSyntax).
var ErrNotSTSRecord = errors.New("policy: not an mta-sts record (does not begin with v=STSv1)")

// ErrNoSTSRecord is returned by SelectSTSRecord when none of the TXT
// strings is an MTA-STS record; STSFetcher.Fetch and STSCache.Lookup
// return it wrapped (match it with errors.Is).
var ErrNoSTSRecord = errors.New("policy: no mta-sts record")

// ErrMultipleSTSRecords is returned by SelectSTSRecord when more than one
// TXT string begins with "v=STSv1": RFC 8461 §3.1 says the domain then has
// no usable MTA-STS policy.
var ErrMultipleSTSRecords = errors.New("policy: more than one mta-sts record")

// Failure is the kind of an MTA-STS or DANE failure an MTA reports: its
// value is the RFC 8460 §4.3.2 or §4.3.3 result-type the failure is
// reported as. Package aggregate maps an *Error to its report.ResultType
// (ClassifyTLSError); this package cannot name report's type, which
// imports it.
type Failure string

// The failures the MTA-STS and DANE evaluators of this package return.
const (
	// FailureSTSFetch: the MTA-STS policy could not be retrieved (RFC 8460
	// §4.3.2 sts-policy-fetch-error): DNS or connection failure, timeout,
	// a redirect or an HTTP status other than 200, a media type other
	// than text/plain, a body over 64 KiB.
	FailureSTSFetch Failure = "sts-policy-fetch-error"
	// FailureSTSInvalid: the policy was retrieved but is not a valid RFC
	// 8461 §3.2 policy (sts-policy-invalid).
	FailureSTSInvalid Failure = "sts-policy-invalid"
	// FailureSTSWebPKI: the certificate of mta-sts.<domain> did not
	// validate (sts-webpki-invalid).
	FailureSTSWebPKI Failure = "sts-webpki-invalid"
	// FailureTLSAInvalid: no TLSA record of the RRset matched the
	// server's certificate chain, or none was usable (RFC 8460 §4.3.3
	// tlsa-invalid).
	FailureTLSAInvalid Failure = "tlsa-invalid"
	// FailureDNSSECInvalid: the validating resolver returned no valid
	// answer for the TLSA records (dnssec-invalid).
	FailureDNSSECInvalid Failure = "dnssec-invalid"
	// FailureDANERequired: the MTA requires DANE for the destination
	// but found no DNSSEC-authenticated TLSA records (dane-required,
	// RFC 7672 §6). The evaluators never return it: the MTA, which knows
	// its configuration, builds the *Error itself.
	FailureDANERequired Failure = "dane-required"
)

// Error is the error of the MTA-STS and DANE evaluators (STSFetcher,
// STSCache, LookupTLSA, MatchTLSA) for a failure that belongs in a TLS
// report: what to report and the policy block to report it under. Match
// it with errors.As; aggregate.ClassifyTLSError maps it to the
// result-type and failure-reason-code of the report's failure-details,
// also when it is returned from tls.Config.VerifyConnection and comes
// back from the handshake.
//
// An MTA may build an Error itself, for FailureDANERequired or for a
// failure it detects on its own.
type Error struct {
	// Failure is the kind of failure: the result-type to report.
	Failure Failure
	// Code is the failure-reason-code to report: short, stable, lower
	// case letters, digits and hyphens, listed where each evaluator is
	// documented. When empty, aggregate.ClassifyTLSError derives one
	// from Err.
	Code string
	// Policy is the report's policy block for the failure (RFC 8460
	// §4.4): for MTA-STS the sts policy of the policy domain, holding the
	// policy as served for FailureSTSInvalid and no policy-string or
	// mx-host when no policy was retrieved; for DANE the tlsa policy of
	// the TLSA base domain with the RRset.
	Policy Policy
	// Err is the underlying error; it may be nil.
	Err error
}

// Error returns "policy: <failure> (<code>) for <domain>: <Err>", leaving
// out the parts that are empty.
func (e *Error) Error() string {
	if e == nil {
		return "policy: <nil>"
	}
	var b strings.Builder
	b.WriteString("policy: ")
	if e.Failure != "" {
		b.WriteString(string(e.Failure))
	} else {
		b.WriteString("failure")
	}
	if e.Code != "" {
		b.WriteString(" (")
		b.WriteString(e.Code)
		b.WriteByte(')')
	}
	if e.Policy.Domain != "" {
		b.WriteString(" for ")
		b.WriteString(e.Policy.Domain)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}
