// Package dnsrecord reads, writes, finds and checks the TLS-RPT DNS
// record of RFC 8460 §3: the TXT record at _smtp._tls.<policy-domain>
// that says where SMTP TLS reports go, for example
//
//	v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/v1/tlsrpt
//
// Parse is strict to the RFC 8460 §3 ABNF and returns a *SyntaxError
// with the byte offset of the problem; Record.String formats the
// canonical form, and Parse(r.String()) gives back an equal Record.
// Lookup queries the record through a tlsrpt.Resolver (such as
// *net.Resolver) and applies the §3 selection rules, as Select does for
// TXT strings obtained elsewhere: it keeps the error kinds apart so that a
// sender can tell "the domain publishes no record" (ErrNoRecord,
// ErrMultipleRecords) from "ask again later" (*TemporaryError), and it
// returns the TXT strings it saw. Lint explains to the people who publish
// records what is wrong with the TXT strings at the name, as
// tlsrpt.Diagnostic values, without changing what Parse and Select
// accept.
//
// For mailto: destinations, URI.Address and URI.Domain give the address
// (RFC 6068) and its domain as an A-label; for https: destinations
// (RFC 8460 §5.4) URI.URL gives the parsed URL. URI.Supported tells
// destinations a sender can use (mailto:, https:) from those it must
// skip (http: and other schemes, which the grammar allows).
//
// # Choices where RFC 8460 leaves room
//
//   - Several rua fields are grammatical; their URIs are merged in
//     order into Record.RUA (mox does the same; checkdmarc rejects such
//     records, and Lint notes them as CodeMultipleRUA).
//   - A record without a rua field is rejected: the ABNF comment says
//     rua is required, and mox, checkdmarc and NCSC Mail Check agree.
//   - Whitespace after the last field is rejected unless a ";" precedes
//     it: the ABNF has no place for it (mox accepts it).
//   - "v=TLSRPTv10" and "v=TLSRPTv1=…" are ErrNotTLSRPT, not syntax
//     errors: the version tag must end at whitespace, ";" or the end.
//   - RFC 8460 §3 discards TXT records that do not begin with the
//     literal "v=TLSRPTv1;", while its grammar allows "v=TLSRPTv1 ;".
//     Lookup and Select by default keep records that begin with
//     "v=TLSRPTv1", optional whitespace and ";"; LookupOptions.StrictPrefix
//     applies the literal rule (the same conflict is RFC 8461 erratum
//     EID 6285).
//   - A mailto: URI's "?hfields" are ignored by URI.Address: RFC 8460
//     does not say what they mean.
//
// # Limits
//
// Parse works in time linear in the length of the text. It allocates
// once for a record with up to two URIs and one extension, else once for
// the Record and once per slice; the strings of the Record are
// substrings of the text, and URIs are decoded only when asked. It does
// not limit the text's length: a TXT record from DNS is at most 64 KiB.
// Lint is linear too, but allocates freely; it is meant for operator
// tools, not for the sending hot path. Lookup makes exactly one TXT query,
// bounded by the context and the Resolver's own timeouts.
//
// # Interoperability
//
// Parse does not bend the grammar for real-world records; Lint names the
// mistakes seen in published records and checker test suites, each with
// a fix:
//
//   - addresses without mailto: (a user-written record in
//     stalwartlabs/stalwart#464): CodeMissingMailto;
//   - DMARC-style size limits "mailto:…!10m" (RFC 7489 habits):
//     CodeSizeSuffix;
//   - "RUA=" or "V=" in upper case: CodeRUACase, CodeVersionCase;
//   - SPF, DMARC or MTA-STS records published at _smtp._tls:
//     CodeSPFRecord, CodeDMARCRecord, CodeMTASTSRecord (an error when
//     they are all there is, a note beside the TLS-RPT record, which
//     senders find anyway);
//   - two TLS-RPT records at one name, for example an old and a new one
//     during a change of provider (senders then use neither):
//     CodeMultipleRecords;
//   - zone-file artefacts: enclosing quotes or braces (PowerShell's
//     Resolve-DnsName output pasted as a value), a backslash before ";":
//     CodeQuoted, CodeZoneEscape;
//   - whitespace at the end (accepted by mox), http: URIs, unencoded ","
//     "!" ";", U-labels instead of A-labels, more destinations than
//     reporters try (NCSC Mail Check warns above one).
//
// Records published as several character-strings (as in
// "v=TLSRPTv1; " "rua=mailto:…") must be joined without separators
// before Parse (RFC 8460 §3); *net.Resolver already does so.
package dnsrecord
