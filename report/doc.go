// Package report reads and writes SMTP TLS reports, the JSON documents of
// RFC 8460 §4 (schema §4.4, result types §4.3, policy strings §4.5,
// Appendix B), as sent gzip-compressed (§5.3) by mail or HTTPS.
//
// The model is Report with its DateRange, PolicyResult, Summary and
// FailureDetail; the policy block is policy.Policy. Every member of
// RFC 8460 §4.4 has a field, and unknown result types and policy types are
// kept verbatim.
//
// # Decoding
//
// Parse and Decoder.Decode accept JSON or gzip, recognised by the gzip
// magic number whatever the caller believes the input to be. Decoding is
// a single pass over jsontext tokens, without reflection.
//
// Real senders deviate from the RFC in many small ways (see
// Interoperability). The default, lenient, Decoder repairs each deviation
// and returns one Warning per repair, carrying the JSON path of the value
// ("policies[0].policy.mx-host"), a stable code and a message saying what
// was found and what was done. Nothing is dropped silently: a dropped value
// (an invalid IP address, an unknown member) is a warning too. With
// Decoder.Strict set, the first such deviation is returned as the error, a
// *tlsrpt.Diagnostic with the same path, offset and code, and so is any
// member the RFC does not define. Warning is tlsrpt.Diagnostic, the one
// finding type of the module.
//
// Paths name members as sent, joined by "."; array elements are "[i]"
// with the index in the input; names that are not plain identifiers are
// written ["quoted"]; the report itself is "".
//
// Both modes reject what cannot be a report, with a *tlsrpt.Diagnostic that
// carries the path and byte offset (code wrong-type, invalid-count,
// invalid-date-time), or a *SyntaxError with the offset for input that is
// not JSON or is truncated (errors.Is(err, io.ErrUnexpectedEOF) for
// truncation, also of a gzip stream).
//
// The codes (Code* constants) and the repair made for each; the codes
// from wrong-type on are errors in both modes, and those from invalid-utf8
// on come from Report.Validate (and the encoder, which refuses invalid
// UTF-8, reversed date ranges, impossible years and counts):
//
//	code                      repair (lenient)                       RFC
//	bom                       UTF-8 byte order mark skipped           RFC 8259 §8.1
//	duplicate-member          the last of the duplicates is used      RFC 7493 §2.3
//	unknown-member            member skipped                          —
//	member-name-variant       draft/prose/misspelt name read as the   RFC 8460 §4.4
//	                          RFC member (mx-host-pattern,
//	                          additional-info-uri,
//	                          receiving-mx-host-name,
//	                          failure-error-code, domain, ip-address,
//	                          email-address, other case or "_")
//	null-member               null treated as absent                  RFC 8460 §4.4
//	missing-member            required member absent: zero value      RFC 8460 §4.4
//	                          (a missing end-datetime: the start)
//	date-time-no-zone         no time zone: UTC assumed               RFC 3339 §5.6
//	date-range-reversed       end before start: the two swapped       RFC 8460 §4.4
//	count-string              "123" read as 123                       RFC 8460 §4.4
//	count-format              1e2, 5.0, -0 read as integers           RFC 7493 §2.2
//	result-type-case          CERTIFICATE_EXPIRED read as             RFC 8460 §4.3
//	                          certificate-expired
//	policy-type-case          STS → sts                               RFC 8460 §4.4
//	mx-host-string            "mx-host": "x" → ["x"]                  RFC 8460 §4.4, erratum 6241
//	mx-host-prefix            "mx: " prefix removed from mx-host      RFC 8460 §4.4
//	policy-string-string      one string split into lines (sts) or    RFC 8460 §4, §4.4
//	                          at ";" (tlsa)
//	policy-string-json-array  element holding a JSON array unpacked   RFC 8460 §4.5
//	tlsa-string-format        TLSA hex spaces/parentheses removed     RFC 8460 §4.5
//	domain-non-canonical      policy-domain/mx-host made a lower-case RFC 8460 §4.4
//	                          A-label without trailing dot
//	ip-non-canonical          IP rewritten in RFC 5952 / dotted form  RFC 8460 §4.4
//	ip-invalid                unusable (or empty) IP dropped          RFC 8460 §4.4
//	warnings-truncated        more than 1000 repairs counted          —
//	wrong-type                error: a value of the wrong JSON type   RFC 8460 §4.4
//	                          (report not an object, policies not
//	                          an array)
//	invalid-count             error: negative, fractional or beyond   RFC 7493 §2.2
//	                          2^53-1
//	invalid-date-time         error: not a date-time even leniently   RFC 3339 §5.6
//	invalid-utf8              Validate: invalid UTF-8, noncharacter   RFC 7493 §2.1
//	invalid-contact-info      Validate: not an address or URI         RFC 8460 §4.4
//	invalid-report-id         Validate: unfit for the Subject         RFC 8460 §5.3
//	date-range-not-one-day    Validate: not one full UTC day          RFC 8460 §4.1
//	duplicate-entry           Validate: same policy or failure twice  RFC 8460 §4
//	unknown-policy-type       Validate: not tlsa/sts/no-policy-found  RFC 8460 §4.4
//	invalid-domain            Validate: policy-domain not a name      RFC 8460 §4.4
//	mixed-policy-domains      Validate: several policy domains        RFC 8460 §4.1
//	no-policy-found-with-policy  Validate: policy-string or mx-host   RFC 8460 §4
//	                          for no-policy-found
//	unknown-result-type       Validate: not a registered result type  RFC 8460 §4.3
//	invalid-helo              Validate: line break or > 255 octets    RFC 8460 §4.4
//	invalid-uri               Validate: additional-information not    RFC 8460 §4.4
//	                          an absolute URI
//
// Members the RFC marks required but big senders omit as a matter of
// course are not deviations: policy-string, mx-host and failure-details
// (Google, Mail.ru, Microsoft), sending-mta-ip, receiving-mx-hostname and
// receiving-ip (Microsoft and Mail.ru policy-fetch errors). The members
// whose absence is a missing-member deviation are organization-name,
// date-range (both ends), contact-info, report-id, policies, policy,
// policy-type, policy-domain, summary (both counts), result-type and
// failed-session-count. An empty array decodes as a nil slice, like an
// absent one. Offsets other than "Z" (and "t", "z", fractions) are valid
// RFC 3339 and are normalised to UTC without a warning. Semantic checks
// (one policy domain per report, a full UTC day, consistent totals) are
// Report.Validate's job, not the decoder's.
//
// # Encoding
//
// json.Marshal(r), json.Marshal(&r) and Report.AppendJSON produce the same
// canonical form: RFC member names in RFC order, arrays never null, mx-host
// always an array, date-times in RFC 3339 UTC with "Z", RFC 5952 IPv6, A-label
// domains, no null members, the optional failure-details members omitted
// when empty, and strings escaped as encoding/json escapes them. The
// encoder applies the decoder's canonicalisations, so the strict Decoder
// accepts everything it writes, and encode → strict decode → encode gives
// identical bytes. Report.UnmarshalJSON decodes strictly.
//
// # Result types
//
// ResultType holds a result-type as sent; the 11 values of the IANA
// registry (RFC 8460 §4.3, §6.6) are typed constants, and ResultTypes lists
// them in registry order. Category groups them as §4.3 does: TLS
// negotiation (§4.3.1, including validation-failure, which §4.3.3 lists
// again as the general failure), MTA-STS (§4.3.2.2) and DANE (§4.3.2.1);
// it is CategoryUnknown for values registered later or invented by a
// sender, so t.Category() != CategoryUnknown tells a registered result
// type from the others. Description and
// Advice explain a failure to the operator of the receiving domain: what
// failed, and what to check.
//
// Report.Validate checks a report before it is sent (one policy domain, a
// full UTC day, consistent counts, A-label domains, registered types) and
// returns every problem at once, each a *tlsrpt.Diagnostic with the JSON
// path and a code.
//
// The package does no TLS and no SMTP: turning the error of an outbound
// STARTTLS session into a result-type and failure-reason-code is the job
// of ClassifyTLSError in package aggregate, the MTA side.
//
// # Limits
//
// Input is untrusted, so every Decode is bounded in memory and time:
//
//   - The decompressed JSON text is capped at Decoder.MaxSize bytes
//     (20 MiB when zero: twice the 10 MB receiver limit of
//     RFC 8460 §5.2), and the compressed input at a little more. The cap
//     is enforced while reading: the read that crosses it fails with an
//     error wrapping ErrTooLarge, so a gzip bomb costs the time to inflate
//     MaxSize bytes at most.
//   - No single JSON token (string, number), run of white space, or
//     date-range, policy, summary or failure-details object may exceed
//     1 MiB, whatever the reader: a stream's tokenizer holds each whole,
//     and this keeps a bomb made of one endless string to a few MiB.
//     Input held in memory (a *bytes.Buffer, Parse's data, or a stream
//     that ends within 256 KiB, which is read ahead) is decoded in place,
//     under the same limit.
//   - A gzip report held in memory, or a gzip stream that ends within
//     1 MiB (read ahead), is inflated into memory and decoded in place
//     when it inflates to at most 64 times its compressed size (real
//     reports: 5 to 25 times); anything else, a bomb included, is
//     streamed through compress/gzip with the token limit above. So a
//     gzip input costs at most 64 times its size, or MaxSize, whichever
//     is less, beyond the report itself.
//   - Decoded array elements may not take more than four times the input
//     read so far (plus 64 KiB): "[{},{},…]" cannot make a small input
//     decode into a huge report. Real reports use well under one time.
//   - At most 1000 warnings are returned; the rest are counted
//     in a final warnings-truncated warning.
//   - Counts must lie in 0..2^53-1 (I-JSON, RFC 7493 §2.2); nesting depth
//     is limited by the tokenizer (10000).
//
// # Interoperability
//
// The lenient decoder accepts every report of the shared corpus. The
// deviations it repairs, and who sends them:
//
//   - date-times without time zone, "2023-01-10T00:00:00": Microsoft
//     (reports of 2023 and 2024 in the corpus).
//   - TLSA policy-string as one string holding a JSON array of the RRs:
//     Microsoft, in every tlsa policy.
//   - mx-host as a string: the RFC's own Appendix B example (erratum 6241)
//     and tools that copied it, including draft-era reports.
//   - contact-info null: Stalwart-based senders (mx.egressif.io,
//     refluxstop.de).
//   - "mx: " prefix inside mx-host: a Stalwart-style report.
//   - no policy-domain: Postfix with sys4 tlsrpt-reporter 0.5 for
//     no-policy-found; summaries without total-failure-session-count in
//     test fixtures of mail-auth.
//   - receiving-mx-host-name instead of receiving-mx-hostname: SocketLabs;
//     failure-error-code: the pre-RFC drafts; additional-info-uri and
//     mx-host-pattern: the RFC prose names, used in hand-made reports.
//   - IPv6 with leading zeros ("2001:db8:abcd:0012::1"): RFC 8460
//     Appendix B; "x.x.x.x" and empty IP strings: redacted and generated
//     reports.
//   - policy-string as one string: RFC 8460 §4's prose form.
//   - counts as strings, capitalised result types, byte order marks,
//     duplicate member names, end before start: not observed in the
//     corpus; repaired with a warning all the same, since a receiver
//     cannot choose its senders.
//
// Accepted as they are, without warning: the next day's 00:00:00Z as
// end-datetime (Mail.ru, SocketLabs, Stalwart), host names as
// organization-name, several policies for one domain (Microsoft tlsa+sts,
// Google policy changes during the day), empty arrays, wildcard mx
// patterns, unknown result and policy types (kept verbatim), free-text
// failure-reason-code (Mail.ru's Go error strings), failure counts that do
// not add up (failure types are not exclusive, RFC 8460 §4.2), URIs with
// spaces in additional-information (RFC Appendix B), and any JSON
// formatting (CRLF, tabs, sorted keys, leading space).
package report
