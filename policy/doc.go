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
// json.Marshal and json.Unmarshal follow one rule, strict in and canonical
// out: [Policy.MarshalJSON] writes the canonical object (fixed member
// order, arrays never null) and [Policy.UnmarshalJSON] accepts exactly the
// RFC 8460 §4.4 shape, returning a deviation as a *tlsrpt.Diagnostic with
// its JSON path; unknown policy types survive decoding and encoding.
// Reports from other senders are decoded leniently by package report.
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
// records, a TLS-RPT record published at the wrong name). Both return
// tlsrpt.Diagnostic values. Fields other than the defined ones are kept
// as tlsrpt.Extension values, in order.
//
// # DANE
//
// [ParseTLSA] and [TLSA.String] convert TLSA records to and from the RFC
// 6698 §2.2 presentation form RFC 8460 §4.5 puts in policy-string:
// "3 1 1 <hex>", decimal fields, contiguous hex (lower case on output,
// either case on input). ParseTLSA also reads zone-file forms (extra
// whitespace, parentheses) and returns a tlsrpt.Diagnostic for each such
// repair, so one function serves both the strict check and lenient
// reading.
//
// # Limits
//
//   - An MTA-STS policy file is at most [MaxSTSPolicySize] (64 KiB, the
//     maximum RFC 8461 §3.3 suggests); ReadSTSPolicy stops reading one
//     byte past it and returns an error matching
//     errors.Is(err, tlsrpt.ErrTooLarge).
//   - max_age is at most 31557600 s (about a year); field names at most
//     32 characters; record ids 1 to 32 letters and digits; host names at
//     most 253 characters with labels of at most 63.
//   - Parsing is linear in the input and never panics; the fuzz targets
//     check that and the parse/format round trips.
//   - The package does not fetch anything: fetching a policy over HTTPS
//     (RFC 8461 §3.3) and looking up DNS records are the caller's job.
//
// # Interoperability
//
// Real reports deviate from RFC 8460 §4.4 in their policy objects: mx-host
// as a bare string (the RFC 8460 Appendix B example, EID 6241, and
// draft-era senders), likewise policy-string; null or missing members
// (Google omits mx-host; Mail.ru and Microsoft omit both policy-string and
// mx-host for sts policies they could not fetch; an early Postfix
// tlsrpt-reporter omits policy-domain); unknown policy types
// ("invalid-policy-type" in test fixtures). Policy.UnmarshalJSON rejects
// the shape deviations, naming each; package report's Decoder repairs
// them and says so. Unknown policy types are kept verbatim by both.
//
// [Policy.TLSARecords] reads a tlsa policy-string leniently: it unwraps
// the shape Microsoft sends (one string holding a JSON array of upper-case
// presentation strings), splits RFC 8460 §4's "separated by a semicolon"
// prose form, and accepts whitespace inside the hex (the RFC 8460 §4.5
// example wraps it). [ParseTLSA] names each such repair in a Diagnostic,
// so a validator rejects what is not in the RFC 8460 §4.5 form.
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
