// Package policy describes the policy a sending MTA applied to a TLS
// session, as the "policy" block of an SMTP TLS report (RFC 8460 §4.4,
// §4.5), and handles the two policy sources it names: MTA-STS (RFC 8461)
// and DANE TLSA records (RFC 6698, RFC 7672).
//
// # Policy blocks
//
// [Policy] is the report's policy object, with the JSON members
// policy-type, policy-string, policy-domain and mx-host. Build one with
// [NoPolicyFound], [FromSTS] (a parsed MTA-STS policy), [FromSTSText] (the
// policy file as served, errors included, RFC 8460 §4.5) or [FromTLSA]
// (a TLSA RRset, RFC 8460 §4.5 with RFC 6698 §2.2 presentation strings).
// Domains are stored as lower-case A-labels without a trailing dot.
// [Policy.Key] and [Policy.Equal] identify a policy for aggregation: the
// order of a TLSA RRset and the case of its hex data do not matter.
// [Policy.MarshalJSON] writes the canonical object (fixed member order,
// arrays never null); unknown policy types survive decoding and encoding.
//
// # MTA-STS
//
// [ParseSTSPolicy] and [ReadSTSPolicy] parse the policy file strictly by
// RFC 8461 §3.2 and report the line of the first problem
// ([*STSPolicyError]); [STSPolicy.String] is the canonical file and
// [STSPolicy.MatchMX] applies the RFC 8461 §4.1 MX matching rule (a
// wildcard covers exactly the whole left-most label). [ParseSTSRecord]
// parses the _mta-sts TXT record (RFC 8461 §3.1; errors are
// [*SyntaxError] with a byte offset) and [SelectSTSRecord] applies §3.1's
// rule for several TXT strings. [LintSTSPolicy] gives operators advice,
// with stable codes, before they move a policy from testing to enforce;
// [LintSTSRecord] does the same for the TXT strings at _mta-sts.<domain>
// (version case and whitespace, id length and characters, several
// records, a TLS-RPT record published at the wrong name).
//
// # DANE
//
// [ParseTLSA] and [TLSA.String] convert TLSA records to and from the RFC
// 6698 §2.2 presentation form RFC 8460 §4.5 puts in policy-string:
// "3 1 1 <hex>", decimal fields, contiguous hex (lower case on output,
// either case on input). [ParseTLSALenient] also takes zone-file forms.
//
// # Limits
//
//   - An MTA-STS policy file is at most [MaxSTSPolicySize] (64 KiB, the
//     maximum RFC 8461 §3.3 suggests); ReadSTSPolicy stops reading one
//     byte past it and returns [ErrTooLarge].
//   - max_age is at most [MaxSTSMaxAge] (31557600 s); field names at most
//     32 characters; record ids 1 to 32 letters and digits; host names at
//     most 253 characters with labels of at most 63.
//   - Parsing is linear in the input and never panics; the fuzz targets
//     check that and the parse/format round trips.
//   - The package does not fetch anything: fetching a policy over HTTPS
//     (RFC 8461 §3.3) and looking up DNS records are the caller's job.
//
// # Interoperability
//
// Decoding a policy object (UnmarshalJSON) tolerates what real reports
// contain; the report package's decoder says which repairs it made:
//
//   - mx-host as a bare string instead of an array (the RFC 8460 Appendix
//     B example, EID 6241, and draft-era senders); likewise policy-string.
//   - policy-string and mx-host missing or null (Google omits mx-host;
//     Mail.ru and Microsoft omit both for sts policies they could not
//     fetch); policy-domain missing (an early Postfix tlsrpt-reporter).
//   - unknown policy types ("invalid-policy-type" in test fixtures),
//     kept verbatim.
//
// [Policy.TLSARecords] reads a tlsa policy-string leniently: it unwraps
// the shape Microsoft sends (one string holding a JSON array of upper-case
// presentation strings), splits RFC 8460 §4's "separated by a semicolon"
// prose form, and accepts whitespace inside the hex (the RFC 8460 §4.5
// example wraps it). [ParseTLSA] stays strict for validation.
// [Policy.Key] compares TLSA hex case-insensitively so Microsoft's upper
// case and other senders' lower case aggregate together. Google lists
// max_age before the mx lines in sts policy-strings while Microsoft keeps
// the RFC 8461 example order; [FromSTSText] reproduces the served order,
// [FromSTS] uses the canonical order.
//
// The MTA-STS parsers are strict on purpose (a sender must decide whether
// a policy is valid); LintSTSPolicy explains the mistakes operators make:
// blank lines, "Mode:" or "max-age:" keys, trailing dots and IP addresses
// in mx, a wildcard that does not cover the apex or deeper names. Line
// terminators may be LF or CRLF (RFC 8461 EID 6253); whitespace before
// ";" in the TXT record is accepted as the §3.1 grammar says (EID 6285).
package policy
