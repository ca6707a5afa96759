// Package policy describes the policy a sending MTA applied to a TLS
// session, as the "policy" block of an SMTP TLS report (RFC 8460 §4.4,
// §4.5), and handles the two policy sources it names: MTA-STS (RFC 8461)
// and DANE TLSA records (RFC 6698, RFC 7672). A sending MTA also uses it
// to evaluate those policies — fetch and cache MTA-STS, look up TLSA
// records and match a server's certificates — and gets each failure it
// must report as an [*Error].
//
// # Policy blocks
//
// [Policy] is the report's policy object, with the JSON members
// policy-type, policy-string, policy-domain and mx-host. Build one with
// [NoPolicyFound], [FromSTSText] (the policy file as served, errors
// included, RFC 8460 §4.5; FromSTSText(domain, p.String()) for a parsed
// policy p in canonical order) or [FromTLSA] (a TLSA RRset, RFC 8460 §4.5
// with RFC 6698 §2.2 presentation strings). Domains are stored as
// lower-case A-labels without a trailing dot; an invalid one is an error
// with [CodeInvalidDomain]. [Policy.Key] identifies a policy for
// aggregation (compare p.Key() == q.Key()): the order of a TLSA RRset and
// the case of its hex data do not matter.
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
// RFC 8461 §3.2 and report the first problem with its line and byte
// offset; [STSPolicy.String] is the canonical file and [STSPolicy.MatchMX]
// applies the RFC 8461 §4.1 MX matching rule (a wildcard covers exactly
// the whole left-most label). [ParseSTSRecord] parses the _mta-sts TXT
// record (RFC 8461 §3.1; errors have a byte offset) and [SelectSTSRecord]
// applies §3.1's rule for several TXT strings. [LintSTSPolicy] gives operators advice,
// with stable codes, before they move a policy from testing to enforce;
// [LintSTSRecord] does the same for the TXT strings at _mta-sts.<domain>
// (version case and whitespace, id length and characters, several
// records, a TLS-RPT record published at the wrong name). Both return
// tlsrpt.Diagnostic values. Fields other than the defined ones are kept
// as tlsrpt.Extension values, in order.
//
// # Fetching and caching MTA-STS
//
// [STSFetcher.Fetch] fetches a recipient domain's policy as RFC 8461 §3
// prescribes: the _mta-sts TXT record through a tlsrpt.Resolver, then
// https://mta-sts.<domain>/.well-known/mta-sts.txt with the certificate
// checked for that name against the caller's roots, no redirects, only
// status 200 and text/plain. [STSCache.Lookup] puts the caching rules of
// RFC 8461 §3.3 and §5.1 in front of it: the record id is compared on
// every lookup, a policy is used until its max_age and refreshed after a
// day (or half its max_age), a failed refresh keeps the cached policy and
// is retried after five minutes. Entries live in an [STSCacheStore], in
// memory unless the MTA supplies a persistent one. The result, an
// [STSResult], carries the policy as served for [FromSTSText].
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
// # Evaluating DANE
//
// [LookupTLSA] asks for the TLSA RRset of _<port>._tcp.<host> through a
// [DNSExchanger] — DNS messages in and out, the one interface besides
// tlsrpt.Resolver, because the AD bit and TLSA records are not available
// through *net.Resolver — and reports whether the resolver authenticated
// it. [DNSClient] is the exchanger over UDP and TCP; the resolver it
// talks to must validate DNSSEC and be reached over a trusted path
// (loopback, or DNS over TLS or HTTPS): this package trusts its AD bit
// and does no DNSSEC validation of its own. [MatchTLSA] matches the
// certificate chain a server presented against the RRset by RFC 7672
// §3: DANE-EE ignores names and dates, DANE-TA verifies the chain to the
// matched anchor and the server's name, PKIX-TA and PKIX-EE are unusable
// in SMTP.
//
// # Failures to report
//
// What goes wrong while evaluating a policy is returned as an [*Error]:
// its [Failure] is the RFC 8460 §4.3.2 or §4.3.3 result type
// (sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid,
// tlsa-invalid, dnssec-invalid, dane-required), its Code a stable
// failure-reason-code, its Policy the policy block to report it under.
// aggregate.ClassifyTLSError maps it to the report's result type, also
// when MatchTLSA's error comes back out of a TLS handshake. A domain
// without a usable MTA-STS record or without TLSA records is not a
// failure: the evaluators say so with ErrNoSTSRecord (and its
// neighbours) or an empty RRset.
//
// # Errors and codes
//
// The parsers return the deviation they refuse as a *tlsrpt.Diagnostic
// with Severity error, matched with errors.As whatever the input:
// ParseSTSPolicy, ReadSTSPolicy, Policy.STS and STSPolicy.Validate with
// the Path "line N" (or the field) and the codes of LintSTSPolicy;
// ParseSTSRecord, SelectSTSRecord and STSRecord.Validate with
// CodeRecordSyntax, the code LintSTSRecord gives the same record;
// ParseTLSA, FromTLSA and Policy.TLSARecords with [CodeTLSASyntax];
// Policy.UnmarshalJSON with the JSON path and the code package report's
// strict Decoder uses; the constructors, STSFetcher, STSCache and
// LookupTLSA with Path "policy-domain" and CodeInvalidDomain for a name
// that is not a domain. The Code* constants list the stable codes:
// [CodeSyntax] and its neighbours (LintSTSPolicy and the policy file),
// [CodeRecordSyntax] and its neighbours (LintSTSRecord and the TXT
// record), [CodeTLSAStringFormat] and [CodeTLSASyntax] (TLSA
// presentation strings), and [CodeInvalidDomain].
//
// # Limits
//
//   - An MTA-STS policy file is at most 64 KiB (65536 bytes, the maximum
//     RFC 8461 §3.3 suggests): ParseSTSPolicy, FromSTSText and
//     LintSTSPolicy (CodeTooLarge) refuse a longer text, and ReadSTSPolicy
//     stops reading one byte past the cap, with an error matching
//     errors.Is(err, tlsrpt.ErrTooLarge). The cap is fixed.
//   - max_age is at most 31557600 s (about a year); field names at most
//     32 characters; record ids 1 to 32 letters and digits; host names at
//     most 253 characters with labels of at most 63.
//   - Parsing is linear in the input and never panics; the fuzz targets
//     check that and the parse/format round trips.
//   - Fetching an MTA-STS policy reads at most 64 KiB of body (a larger one is sts-policy-fetch-error with the code
//     policy-too-large, matching errors.Is(err, tlsrpt.ErrTooLarge)) and
//     64 KiB of response headers, and takes at most STSFetcher.Timeout,
//     one minute by default (RFC 8461 §3.3), from connecting to the last
//     byte. Redirects are never followed.
//   - STSCache retries a failed fetch for the same record id at most
//     every five minutes (RFC 8461 §3.3) and refreshes a cached policy a
//     day after its fetch, or after half its max_age when that is sooner.
//     The in-memory store keeps one entry per domain looked up, for the
//     life of the STSCache.
//   - A TLSA query advertises a 1232-byte UDP payload; a truncated answer
//     is asked again over TCP (at most 65535 bytes). DNSClient gives one
//     exchange 5 seconds by default. At most 8 CNAMEs are followed inside
//     an answer.
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
// the RFC 8461 example order; [FromSTSText] reproduces the served order.
//
// STSFetcher accepts the policy as text/plain with any parameters, such
// as whatever charset the web server adds (the policy grammar fixes the
// encoding: ASCII with UTF-8 values), and refuses any other media type: hosting set-ups that answer every
// path with an HTML page and status 200 produce sts-policy-fetch-error
// with the code content-type, not a policy parse error.
//
// The MTA-STS parsers are strict on purpose (a sender must decide whether
// a policy is valid); LintSTSPolicy explains the mistakes operators make:
// blank lines, "Mode:" or "max-age:" keys, trailing dots and IP addresses
// in mx, a wildcard that does not cover the apex or deeper names. Line
// terminators may be LF or CRLF (RFC 8461 EID 6253); whitespace before
// ";" in the TXT record is accepted as the §3.1 grammar says (EID 6285).
package policy
