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
// Receiver is the https rua endpoint (RFC 8460 §5.4): an http.Handler
// that decodes POSTed reports and hands them to its Handle function; HTTPS
// submissions are not authenticated (RFC 8460 §7).
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
package ingest
