package report

// Warning describes one repair the lenient Decoder made: the input deviated
// from RFC 8460 §4.4 in a way real senders are known to deviate, and the
// decoder accepted it after the repair described by Message. In strict
// mode the same deviation is a *DecodeError with the same Code and Path.
type Warning struct {
	// Path locates the repaired value, e.g. "policies[0].policy.mx-host";
	// it is "" for the report as a whole (see the package documentation).
	Path string
	// Code is one of the stable Code* constants of this package.
	Code string
	// Message says what was found and what was done, for humans.
	Message string
}

// String returns the warning as "path: message [code]".
func (w Warning) String() string {
	p := w.Path
	if p == "" {
		p = "(report)"
	}
	return p + ": " + w.Message + " [" + w.Code + "]"
}

// Stable codes of Warning.Code and DecodeError.Code. Codes of repairs are
// warnings in lenient mode and errors in strict mode; the codes after
// CodeWarningsTruncated are errors in both modes. The package
// documentation has the table with the senders that need each repair.
const (
	// CodeBOM: the input started with a UTF-8 byte order mark (RFC 8259
	// §8.1 forbids it); it was skipped.
	CodeBOM = "bom"
	// CodeDuplicateMember: an object had two members with the same name
	// (RFC 7493 §2.3 forbids it); the last one is used.
	CodeDuplicateMember = "duplicate-member"
	// CodeUnknownMember: a member the RFC does not define; it was skipped.
	CodeUnknownMember = "unknown-member"
	// CodeMemberNameVariant: a draft, prose or misspelt member name such as
	// "mx-host-pattern" or "receiving-mx-host-name"; it was read as the RFC
	// member it stands for.
	CodeMemberNameVariant = "member-name-variant"
	// CodeNullMember: a member or array element was null; it was treated
	// as absent.
	CodeNullMember = "null-member"
	// CodeMissingMember: a member the RFC requires was absent; the zero
	// value is used.
	CodeMissingMember = "missing-member"
	// CodeDateTimeNoZone: a date-time without time-zone designator (not
	// RFC 3339 §5.6); UTC was assumed.
	CodeDateTimeNoZone = "date-time-no-zone"
	// CodeDateRangeReversed: end-datetime was before start-datetime; the
	// two were swapped.
	CodeDateRangeReversed = "date-range-reversed"
	// CodeCountString: a count was a JSON string holding digits; the number
	// was used.
	CodeCountString = "count-string"
	// CodeCountFormat: a count was an integral JSON number written with a
	// fraction or exponent ("1e2", "5.0") or as "-0"; its value was used.
	CodeCountFormat = "count-format"
	// CodeResultTypeCase: a registry result-type written in capitals or
	// with underscores; the registry spelling was used.
	CodeResultTypeCase = "result-type-case"
	// CodePolicyTypeCase: a known policy-type written in capitals; the RFC
	// spelling was used.
	CodePolicyTypeCase = "policy-type-case"
	// CodeMXHostString: mx-host was a string, as in RFC 8460 Appendix B
	// (erratum 6241); it was made a one-element array.
	CodeMXHostString = "mx-host-string"
	// CodeMXHostPrefix: an mx-host entry carried the policy-string's
	// "mx: " prefix; it was removed.
	CodeMXHostPrefix = "mx-host-prefix"
	// CodePolicyStringString: policy-string was a string, not an array;
	// it was split into lines (sts) or at ";" (tlsa).
	CodePolicyStringString = "policy-string-string"
	// CodePolicyStringJSON: a policy-string element held a JSON array of
	// strings (Microsoft's TLSA form); the array's elements were used.
	CodePolicyStringJSON = "policy-string-json-array"
	// CodeTLSAStringFormat: a TLSA policy-string element had spaces or
	// parentheses inside the hex data or extra spaces (RFC 8460 §4.5); it
	// was rewritten in presentation form.
	CodeTLSAStringFormat = "tlsa-string-format"
	// CodeDomainNonCanonical: policy-domain or an mx-host entry was not a
	// lower-case A-label without trailing dot (RFC 8460 §4.4); it was
	// converted.
	CodeDomainNonCanonical = "domain-non-canonical"
	// CodeIPNonCanonical: an IP address not in RFC 5952 (IPv6) or
	// dotted-decimal (IPv4) form; it was rewritten in canonical form.
	CodeIPNonCanonical = "ip-non-canonical"
	// CodeIPInvalid: an IP address member that is not an IP address (or
	// is empty); it was dropped, and the message quotes it.
	CodeIPInvalid = "ip-invalid"
	// CodeWarningsTruncated: more than MaxWarnings repairs; the last
	// warning counts the ones not listed.
	CodeWarningsTruncated = "warnings-truncated"

	// CodeWrongType: a value of the wrong JSON type, e.g. a report that is
	// not an object or policies that is not an array. Always an error.
	CodeWrongType = "wrong-type"
	// CodeInvalidCount: a count that is negative, fractional or beyond
	// 2^53-1 (RFC 7493 §2.2), or a string that holds no such count (a
	// count of another JSON type, e.g. true, is CodeWrongType). Always an
	// error.
	CodeInvalidCount = "invalid-count"
	// CodeInvalidDateTime: a date-time that cannot be read even leniently.
	// Always an error.
	CodeInvalidDateTime = "invalid-date-time"
)

// MaxWarnings is the most warnings a Decode call returns; further repairs
// are counted in one final CodeWarningsTruncated warning, so that a hostile
// input cannot make the warning list grow with its size.
const MaxWarnings = 1000
