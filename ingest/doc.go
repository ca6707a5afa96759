// Package ingest is the analyzer's way in: it reads TLS reports (RFC 8460)
// from any input — a report mail in any of the forms real senders use, a
// .json or .json.gz report, a .zip archive, a Maildir, an mbox file, an
// IMAP mailbox, an HTTPS POST — gives every message exactly one fate, and
// decides, report by report, whether to trust it (RFC 8460 §3).
//
// # Reading
//
// Reader.Read takes one input and returns its Result. The form is sniffed
// from the content, never from a file name (Maildir files have none):
// gzip magic, a zip header, a JSON text, XML, or a mail (a first line
// that is a header field or an mbox "From " line). Mail is read by
// mime.Parser (leniently: its warnings are Diagnostics of the Result),
// gzip and JSON by report.Decoder, a zip archive member by member.
//
// Every input gets exactly one Fate:
//
//	report       one or more TLS reports, each with a Trust verdict
//	not-report   a well-formed message that is no TLS report; Kind tells
//	             dmarc-aggregate (XML <feedback>, plain, gzip or zip),
//	             dmarc-failure (ARF, report-type=feedback-report),
//	             dsn (report-type=delivery-status) and other apart
//	too-large    over a size, count or depth cap (Err matches tlsrpt.ErrTooLarge)
//	malformed    not a mail, JSON, gzip or zip; or a report part that does
//	             not decode (a truncated mail, a cut gzip stream)
//	unreadable   the source could not read it (not final: read it again)
//
// Nothing is dropped without a fate and a bad message never stops a run:
// Stats counts the fates of a run, and they add up to its messages.
//
// # Sources
//
// Reader.Run reads every message of a Source. A source plugs in by
// implementing one method,
//
//	Next(ctx context.Context) (*Item, error)
//
// returning each raw message as an Item{ID, Data, Size, Err} and io.EOF
// after the last. A message the source cannot read whole is still an
// Item, with Err set (matching tlsrpt.ErrTooLarge for one over the
// source's cap), so that it gets its fate; an error from Next stops the
// run (the source itself failed). A source that can remember what was
// processed implements Marker; Run calls MarkProcessed(ctx, item.ID)
// when Reader.MarkProcessed is set, after the callback accepted a final
// Result (not unreadable, no report to retry). Sources here:
//
//   - Maildir: a Maildir directory (new/ then cur/, each in name order;
//     tmp/ is never read). Marking moves new/name to cur/name:2,S (the
//     "S" flag added to the info of a file already in cur/), as the
//     Maildir specification says.
//   - Mbox: an mbox file, split at "From " lines that follow an empty
//     line (or start the file); ">From " lines are unquoted one level
//     (mboxrd, which also reads mboxo files correctly except for body
//     lines that began with ">From " before quoting).
//   - Files: a list of files, one input each.
//
// An IMAP source implements the same interface (Item.ID
// "UIDVALIDITY/UID", marking sets \Seen).
//
// # Receiving
//
// [Receiver] is an http.Handler for an https rua endpoint (RFC 8460
// §5.4). It answers:
//
//   - 200 with an empty body after [Receiver.Handle] returned nil for the
//     decoded report, and only then (RFC 8460 §5.4 asks for a successful
//     code and nothing more; every other answer carries a text/plain
//     reason);
//   - 405 (with Allow: POST) for any method but POST;
//   - 413 when the body exceeds [Receiver.MaxBodySize] (enforced while
//     reading, and up front from Content-Length) or the decompressed
//     report exceeds [Receiver.MaxReportSize];
//   - 408 when reading the body times out ([Receiver.BodyTimeout] or the
//     server's ReadTimeout), however much of it arrived, even when the
//     bytes so far are not the start of a report;
//   - 415 when the body is neither gzip nor JSON and the Content-Type does
//     not claim a report either (text/html, multipart/form-data, ...), or
//     for a Content-Encoding other than gzip;
//   - 400, with a plain-text reason, when the body claims or looks like a
//     report but does not decode, or decodes to nothing that can be
//     counted: a JSON object naming none of organization-name, report-id
//     and policies ([CodeNotAReport]), or a report without date-range
//     ([CodeNoDateRange]; it cannot be put on a day). The Reader gives the
//     same inputs FateMalformed;
//   - 500 when Handle fails (the sender keeps the report and retries) or
//     when Handle is nil;
//   - 503 with Retry-After: 60 (RFC 9110 §15.6.4) when
//     [Receiver.MaxConcurrent] requests are already being read, decoded
//     or handled and no slot frees up within a second; the body is not
//     read, and the sender retries (RFC 8460 §5.5).
//
// The format is sniffed before the label is trusted: gzip magic (1f 8b)
// or '{' after an optional BOM and any amount of white space (RFC 8259
// §2; it is skipped while reading and counts against MaxBodySize). A
// mislabelled body that decodes is accepted with a [CodeMediaTypeMismatch]
// warning next to the decoder's own warnings.
//
// The enclosing http.Server must bound what the handler cannot: set
// ReadHeaderTimeout (for example 10 s) against slow-header clients,
// ReadTimeout or rely on BodyTimeout for the body (a ReadTimeout of at
// most BodyTimeout, for example 30 s, replaces it and saves the Receiver
// a timer per request), WriteTimeout, IdleTimeout, and MaxHeaderBytes
// (for example 16 KiB; the
// default is 1 MiB). RFC 8460 §7 warns that rua endpoints can be flooded:
// put a rate limit per client address in front of the Receiver, and a
// limit of connections per address too, since a slow body holds one of
// the MaxConcurrent slots for up to BodyTimeout. HTTPS submissions are
// not authenticated (§7): treat every field of a received report as
// untrusted text.
//
// # Trust
//
// RFC 8460 §3: a mailed report MUST be DKIM-signed by the reporting
// domain, and receivers ignore reports without such a signature. Reader
// decides per report:
//
//   - The message that carries the report is the mail itself or, for a
//     forwarded report, the attached message holding it (see
//     mime.Verification.Carrier): only signatures on that message count,
//     and a report is attributed only to the domain of the signature that
//     vouches for it (Trust.Domain). Reports carried by several messages
//     are untrusted (CodeSeveralCarriers).
//   - A signature vouches when go-msgauth verifies it (mime.Verify; no l=
//     tag) and its d= is aligned with the carrier's TLS-Report-Submitter
//     by organizational domain (relaxed alignment, as DMARC's, using the
//     public suffix list of golang.org/x/net/publicsuffix): d=corp.mail.ru
//     aligns with submitter mail.ru and mail.ru with corp.mail.ru; a d=
//     that is itself a public suffix ("com", "co.uk") aligns with nothing.
//   - Every report is checked, not only the first: a report whose
//     contact-info names a domain outside the signer's organizational
//     domain is untrusted (CodeContactNotVouched).
//   - An expired signature (x= before Reader.Now or go-msgauth's clock)
//     is its own reason, CodeSignatureExpired, never a bad signature:
//     it may have verified when the mail arrived. Verify at arrival, or
//     trust your MX's Authentication-Results.
//   - A temporary DNS failure fetching a key is VerdictRetry, unless
//     another signature or a trusted Authentication-Results field
//     vouches for the report.
//
// Authentication-Results fields (RFC 8601, parsed with go-msgauth's
// authres package) are believed only from the authserv-ids listed in
// Reader.TrustedAuthServIDs — the operator's own MX hosts, which verified
// the signature at arrival — and only the topmost ones that MX added. The
// rule: walk the mail's header fields from the top (the newest); skip
// fields until the first Authentication-Results field; if its authserv-id
// is not trusted, believe none; otherwise believe it and the
// Authentication-Results fields that follow with a trusted authserv-id,
// up to the first Received field or the first Authentication-Results field
// with another authserv-id. So a field a sender or relay wrote — with an
// untrusted authserv-id, or with the trusted one but below the MX's own
// fields and Received line — is ignored (CodeAuthResIgnored). A believed
// dkim=pass whose header.d is aligned with the submitter (as above)
// trusts the report; it never applies to a forwarded report (the outer
// message's results say nothing about the attached one). This relies on
// the MX removing Authentication-Results fields that claim its own
// authserv-id from incoming mail, as RFC 8601 §5 requires of it.
//
// With Reader.NoDKIM no DNS query is made: only a believed
// Authentication-Results field can make a report trusted, and a report
// it does not vouch for is untrusted with CodeNotVerified.
//
// Reports that did not come by mail (.json, .json.gz and .zip files) are
// untrusted with CodeNotMail: nothing signs them.
//
// # Limits
//
// A zero Reader reads at most DefaultMaxMessageSize (20 MiB) of one input
// and DefaultMaxReportSize (32 MiB) of decompressed report data per input,
// with mime.Parser's default part, depth and header caps, all enforced
// while reading (a gzip or zip bomb stops at the cap); a zip archive's
// members are looked at up to mime.DefaultMaxParts. Sources cap each
// message at their MaxMessageSize (default DefaultMaxMessageSize) while
// reading it, and a message over the cap is an Item with Err, not the end
// of the run. DKIM verification checks at most mime.DefaultMaxSignatures
// signatures per message.
//
// Receiver: request body 4 MiB unless MaxBodySize is set, decompressed
// report the report.Decoder default unless MaxReportSize is set, body
// read time 30 s unless BodyTimeout is set, 4 requests at once unless
// MaxConcurrent is set. A small gzip body can decode into a report taking
// about 6 times MaxReportSize in allocations (some 120 MiB at the default
// 20 MiB), plus the inflated text while it is decoded (at most
// MaxReportSize, and at most 64 times the body), so with the defaults
// decoding allocates about 0.5 GiB at most however many requests arrive
// (BenchmarkReceiverConcurrentBombs measured a peak RSS of 0.3 to 0.65 GiB
// under 128 and 256 concurrent 40 to 60 KB gzip bombs; 0.36 to 0.53 GiB
// after the report decoder began inflating gzip in memory).
//
// # Interoperability
//
//   - Every report mail of the shared corpus (Google, Microsoft, Mail.ru,
//     RFC 8460 examples as re-typed by Stalwart) reads as a report, with
//     mime.Parser's warnings; the cron mail beside them is other mail.
//   - QUIRK(Mail.ru): signs as d=corp.mail.ru with TLS-Report-Submitter
//     mail.ru: aligned by organizational domain.
//   - QUIRK(Fastmail): splits its results over several
//     Authentication-Results fields on top of each other (bimi, arc,
//     dkim, ...); all of them are believed, up to the MX's Received line.
//   - QUIRK(go-msgauth authres): comments are not removed by its parser,
//     which splits results at every ";", even inside a comment; comments
//     are removed before parsing.
//   - QUIRK(mail archives): LF line ends, an mbox "From " line at the top,
//     X-Mozilla-Status fields: read as mime.Parser reads them.
//   - QUIRK(unknown HTTP senders): gzip sent as Content-Encoding instead of
//     as the entity is accepted by the Receiver with [CodeContentEncoding].
//   - QUIRK(generic HTTP clients): application/json, application/gzip,
//     application/octet-stream, text/plain or no Content-Type at all are
//     accepted by the Receiver when the body sniffs as a report, with a
//     warning; the bare "application/tlsrpt" of the RFC 8460 §5.3.1
//     example as re-typed by some implementations counts as a report
//     label.
//
// # Standards
//
// RFC 8460 §3 (DKIM on report mail), §5.3 (report mail), §5.4 (HTTPS
// submission), §7 (unauthenticated submissions); RFC 6376 (DKIM, x=
// §3.5); RFC 8601 (Authentication-Results, §5 removal of forged fields);
// RFC 7489 §3.2 (organizational domain), §7.2 and §7.3 (DMARC reports);
// RFC 3464 (DSN); RFC 5965 (ARF); RFC 4155 (mbox); the Maildir
// specification (https://cr.yp.to/proto/maildir.html).
package ingest
