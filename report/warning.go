package report

import "github.com/go-tlsrpt/tlsrpt"

// Warning describes one repair the lenient Decoder made: the input deviated
// from RFC 8460 §4.4 in a way real senders are known to deviate, and the
// decoder accepted it after the repair described by Message. It is the
// module's one Diagnostic: Path locates the repaired value, e.g.
// "policies[0].policy.mx-host" ("" for the report as a whole, see the
// package documentation), Offset is the byte offset of the offending token
// in the (decompressed) input, Code is one of the Code* constants of this
// package and Severity is tlsrpt.SeverityWarning. In strict mode the same
// deviation is returned as the error, a *tlsrpt.Diagnostic with the same
// Path, Offset and Code and Severity tlsrpt.SeverityError.
type Warning = tlsrpt.Diagnostic

// Stable codes of Warning.Code (a tlsrpt.Code). Codes of repairs are
// warnings in lenient mode and errors in strict mode; the codes after
// CodeWarningsTruncated are errors in both modes. The package
// documentation has the table with the senders that need each repair.
const (
	// CodeBOM: the input started with a UTF-8 byte order mark (RFC 8259
	// §8.1 forbids it); it was skipped.
	CodeBOM tlsrpt.Code = "bom"
	// CodeDuplicateMember: an object had two members with the same name
	// (RFC 7493 §2.3 forbids it); the last one is used.
	CodeDuplicateMember tlsrpt.Code = "duplicate-member"
	// CodeUnknownMember: a member the RFC does not define; it was skipped.
	CodeUnknownMember tlsrpt.Code = "unknown-member"
	// CodeMemberNameVariant: a draft, prose or misspelt member name such as
	// "mx-host-pattern" or "receiving-mx-host-name"; it was read as the RFC
	// member it stands for.
	CodeMemberNameVariant tlsrpt.Code = "member-name-variant"
	// CodeNullMember: a member or array element was null; it was treated
	// as absent.
	CodeNullMember tlsrpt.Code = "null-member"
	// CodeMissingMember: a member the RFC requires was absent; the zero
	// value is used.
	CodeMissingMember tlsrpt.Code = "missing-member"
	// CodeDateTimeNoZone: a date-time without time-zone designator (not
	// RFC 3339 §5.6); UTC was assumed.
	CodeDateTimeNoZone tlsrpt.Code = "date-time-no-zone"
	// CodeDateRangeReversed: end-datetime was before start-datetime; the
	// two were swapped.
	CodeDateRangeReversed tlsrpt.Code = "date-range-reversed"
	// CodeCountString: a count was a JSON string holding digits; the number
	// was used.
	CodeCountString tlsrpt.Code = "count-string"
	// CodeCountFormat: a count was an integral JSON number written with a
	// fraction or exponent ("1e2", "5.0") or as "-0"; its value was used.
	CodeCountFormat tlsrpt.Code = "count-format"
	// CodeResultTypeCase: a registry result-type written in capitals or
	// with underscores; the registry spelling was used.
	CodeResultTypeCase tlsrpt.Code = "result-type-case"
	// CodePolicyTypeCase: a known policy-type written in capitals; the RFC
	// spelling was used.
	CodePolicyTypeCase tlsrpt.Code = "policy-type-case"
	// CodeMXHostString: mx-host was a string, as in RFC 8460 Appendix B
	// (erratum 6241); it was made a one-element array.
	CodeMXHostString tlsrpt.Code = "mx-host-string"
	// CodeMXHostPrefix: an mx-host entry carried the policy-string's
	// "mx: " prefix; it was removed.
	CodeMXHostPrefix tlsrpt.Code = "mx-host-prefix"
	// CodePolicyStringString: policy-string was a string, not an array;
	// it was split into lines (sts) or at ";" (tlsa).
	CodePolicyStringString tlsrpt.Code = "policy-string-string"
	// CodePolicyStringJSON: a policy-string element held a JSON array of
	// strings (Microsoft's TLSA form); the array's elements were used.
	CodePolicyStringJSON tlsrpt.Code = "policy-string-json-array"
	// CodeTLSAStringFormat: a TLSA policy-string element had spaces or
	// parentheses inside the hex data or extra spaces (RFC 8460 §4.5); it
	// was rewritten in presentation form.
	CodeTLSAStringFormat tlsrpt.Code = "tlsa-string-format"
	// CodeDomainNonCanonical: policy-domain or an mx-host entry was not a
	// lower-case A-label without trailing dot (RFC 8460 §4.4); it was
	// converted.
	CodeDomainNonCanonical tlsrpt.Code = "domain-non-canonical"
	// CodeIPNonCanonical: an IP address not in RFC 5952 (IPv6) or
	// dotted-decimal (IPv4) form; it was rewritten in canonical form.
	CodeIPNonCanonical tlsrpt.Code = "ip-non-canonical"
	// CodeIPInvalid: an IP address member that is not an IP address (or
	// is empty); it was dropped, and the message quotes it.
	CodeIPInvalid tlsrpt.Code = "ip-invalid"
	// CodeWarningsTruncated: more than 1000 repairs; the last
	// warning counts the ones not listed.
	CodeWarningsTruncated tlsrpt.Code = "warnings-truncated"

	// CodeWrongType: a value of the wrong JSON type, e.g. a report that is
	// not an object or policies that is not an array. Always an error.
	CodeWrongType tlsrpt.Code = "wrong-type"
	// CodeInvalidCount: a count that is negative, fractional or beyond
	// 2^53-1 (RFC 7493 §2.2), or a string that holds no such count (a
	// count of another JSON type, e.g. true, is CodeWrongType). Always an
	// error.
	CodeInvalidCount tlsrpt.Code = "invalid-count"
	// CodeInvalidDateTime: a date-time that cannot be read even leniently.
	// Always an error.
	CodeInvalidDateTime tlsrpt.Code = "invalid-date-time"
)

// Codes of the problems Validate finds in a report to be sent (and, for
// CodeInvalidUTF8, of the encoder's refusal). Validate also uses
// CodeMissingMember, CodeInvalidDateTime, CodeDateRangeReversed,
// CodeDomainNonCanonical, CodeTLSAStringFormat, CodeInvalidCount,
// CodeIPInvalid and CodeIPNonCanonical above, with the same meaning.
const (
	// CodeInvalidUTF8: a string is not valid UTF-8 or holds a
	// noncharacter (RFC 7493 §2.1).
	CodeInvalidUTF8 tlsrpt.Code = "invalid-utf8"
	// CodeInvalidContactInfo: contact-info is neither an e-mail address
	// nor an absolute URI (RFC 8460 §4.4).
	CodeInvalidContactInfo tlsrpt.Code = "invalid-contact-info"
	// CodeInvalidReportID: report-id cannot be the Report-ID of the mail
	// Subject (RFC 8460 §5.3).
	CodeInvalidReportID tlsrpt.Code = "invalid-report-id"
	// CodeDateRangeNotDay: the date range is not one full UTC day
	// (RFC 8460 §4.1).
	CodeDateRangeNotDay tlsrpt.Code = "date-range-not-one-day"
	// CodeDuplicateEntry: the same policy, or the same failure within a
	// policy, appears twice; their counts belong in one entry.
	CodeDuplicateEntry tlsrpt.Code = "duplicate-entry"
	// CodeUnknownPolicyType: a policy-type outside tlsa, sts and
	// no-policy-found (RFC 8460 §4.4).
	CodeUnknownPolicyType tlsrpt.Code = "unknown-policy-type"
	// CodeInvalidDomain: policy-domain is not a domain name.
	CodeInvalidDomain tlsrpt.Code = "invalid-domain"
	// CodeMixedPolicyDomains: the policies name different policy domains;
	// a report covers one (RFC 8460 §4.1).
	CodeMixedPolicyDomains tlsrpt.Code = "mixed-policy-domains"
	// CodeNoPolicyHasPolicy: a no-policy-found entry carries a
	// policy-string or mx-host (RFC 8460 §4).
	CodeNoPolicyHasPolicy tlsrpt.Code = "no-policy-found-with-policy"
	// CodeUnknownResultType: a result-type outside the registry
	// (RFC 8460 §4.3).
	CodeUnknownResultType tlsrpt.Code = "unknown-result-type"
	// CodeInvalidHELO: receiving-mx-helo holds a line break or more than
	// 255 octets (RFC 8460 §4.4).
	CodeInvalidHELO tlsrpt.Code = "invalid-helo"
	// CodeInvalidURI: additional-information is not an absolute URI
	// (RFC 8460 §4.4 additional-info-uri).
	CodeInvalidURI tlsrpt.Code = "invalid-uri"
)

// maxWarnings is the most warnings a Decode call returns; further repairs
// are counted in one final CodeWarningsTruncated warning, so that a hostile
// input cannot make the warning list grow with its size.
const maxWarnings = 1000
