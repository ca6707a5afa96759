// Package mime builds and reads the e-mail messages that carry SMTP TLS
// reports (RFC 8460 §5.3).
//
// # Writing
//
// Write produces the message RFC 8460 §5.3 describes: a multipart/report
// (RFC 6522) with report-type "tlsrpt", a human-readable text/plain part
// summarising the report (policy domain, period, session counts, failed
// sessions by result type) and the report itself as
// application/tlsrpt+gzip (base64, 76-character lines) or, with
// WriteOptions.Uncompressed, application/tlsrpt+json. The attachment is
// named as RFC 8460 §5.1 recommends:
//
//	<submitter>!<policy-domain>!<begin>!<end>!<unique-id>.json.gz
//
// The header carries From, To, Date, Message-ID, MIME-Version, the
// RFC 8460 §5.3 Subject
//
//	Report Domain: <policy domain> Submitter: <submitter> Report-ID: <<msg-id>>
//
// (folded at spaces when long, never inside a token; the msg-id is the
// report-id when that is an RFC 5322 §3.6.4 msg-id, as §5.3 asks, and
// otherwise one made from it as Google does: the id-right after the last
// "@" kept when valid, else the submitter domain appended, and every
// byte a dot-atom-text cannot hold written =XX), TLS-Report-Domain
// and TLS-Report-Submitter (§5.3; the submitter is the domain of the
// report's contact-info), Auto-Submitted: auto-generated (RFC 3834) and
// TLS-Required: No (RFC 8689 §5), so that the sender's own MTA delivers the
// report even when the recipient's MTA-STS or DANE policy fails, as
// RFC 8460 §5.3.1 asks. Lines end in CRLF.
//
// When WriteOptions.DKIM is set the message is signed (RFC 8460 §3: report
// mail MUST carry a DKIM signature by the reporting domain, without the l=
// tag) with go-msgauth: relaxed/relaxed canonicalization, SHA-256, RSA or
// Ed25519 (RFC 8463) keys, covering From, To, Subject, Date, Message-ID,
// MIME-Version, Content-Type, TLS-Report-Domain, TLS-Report-Submitter,
// Auto-Submitted and TLS-Required; From, Subject and the two TLS-Report
// fields are over-signed so that a second instance cannot be added.
//
// Write validates everything before writing a byte: the report must name
// exactly one policy domain (§5.3: one message per policy domain), its
// contact-info must give the submitter domain (an https contact-info needs
// WriteOptions.Submitter), From and To must be addresses, and no value
// that reaches a header may contain a control character (CR, LF and NUL
// included: header injection is impossible). No line is longer than the
// 998 octets of RFC 5322 §2.1.1: fields are folded at their spaces (a
// display name inside its quotes too), and what has no space to fold at
// and cannot fit (a From or To word or addr-spec, a Message-ID, a
// unique-id making the filename parameter too long, a DKIM selector
// beyond a 253-octet key name) is a *tlsrpt.Diagnostic with Code
// mime-field (CodeField) and the field as Path. A Subject msg-id
// containing "=?" is RFC 2047 encoded, since a reader's decoder would
// otherwise take it for an encoded-word; domains are written as A-labels.
//
// # Reading
//
// Parse (or (*Parser).Parse with limits) pulls the reports out of whatever
// real senders mail. It finds the report part
//
//  1. by media type: application/tlsrpt+gzip, application/tlsrpt+json
//     (RFC 8460 §6.4, §6.5), and the unregistered application/tlsrpt;
//  2. then by a generic media type (application/gzip, application/json,
//     application/zip, application/octet-stream) or a report filename
//     (.json.gz, .json, .zip) on any part;
//  3. then by content: gzip magic, zip "PK\x03\x04", or a JSON object;
//
// descending through nested multiparts and attached message/rfc822
// messages (a forwarded report, which only its own signature vouches
// for: see Verifying), but not into the message returned by a delivery
// status notification. Parts found in steps 2 and 3 must hold
// JSON naming RFC 8460 members ("policies", or "report-id" with
// "date-range"), so a DMARC aggregate report (XML, also gzip or zip) is no
// TLS report. A message without a TLS report is ErrNoReport. The report is
// decoded with the lenient report.Decoder, whose warnings are passed
// through. Message also carries the header facts: TLS-Report-Domain and
// TLS-Report-Submitter (comments and whitespace removed), the Subject's
// Report-ID, From, Date, Message-ID and the attachment filename
// (Content-Disposition filename or Content-Type name, RFC 2231 and
// RFC 2047 decoded). Every report, not only the first, is compared with
// TLS-Report-Submitter and TLS-Report-Domain of the message carrying it;
// where they disagree, the report is authoritative (RFC 8460 §5.6) and a
// Warning with the report's part as Path says so.
//
// A Parser with Strict set rejects instead of tolerating: the first
// deviation listed in the table below is returned as a *tlsrpt.Diagnostic
// (the same value the lenient Parser returns as a Warning, with Severity
// tlsrpt.SeverityError), and the report is decoded with
// report.Decoder{Strict: true}. Use
// it to check a sender's output; receive with the lenient default.
//
// # Verifying
//
// RFC 8460 §3 requires receivers to ignore mailed reports without a valid
// DKIM signature by the reporting domain. Verify checks every
// DKIM-Signature with go-msgauth through an injected TXT lookup and
// reports, per signature, whether it verified, whether its d= equals the
// TLS-Report-Submitter domain or is a parent of it, whether it uses l=
// (forbidden), and the key record's s= service types: "*" or "tlsrpt"
// allow tlsrpt; a key restricted to "email" is reported separately, since
// §3 only says receivers MAY ignore it. Verify decides nothing.
//
// A signature vouches only for the message it is on. The message that
// carries a report is the innermost message holding it: the mail itself,
// or the attached message/rfc822 of a forwarded report. Verify finds the
// reports as Parse does and checks the signatures of that message alone,
// an attached one verified on its own header and body and compared with
// its own TLS-Report-Submitter (Verification.Carrier names it). So a
// valid signature of the outer mail, whoever made it, never vouches for an
// attached report, and a forwarded report is trusted only when the
// reporting domain's signature on it verifies after the forwarding (it
// does when the attached message is unchanged); Parse warns about every
// forwarded report (mime-forwarded-report), and Strict rejects it. Reports
// carried by more than one message have no Carrier: no signature covers
// them all.
//
// # Warning codes
//
// Each tolerated deviation adds a report.Warning with a stable code and a
// Path naming the part ("mime:message" is the whole message,
// "mime:part[2]" its second body part, "mime:part[2].message.part[1]" a
// part of an attached message, "mime:header.Date" a header field):
//
//	code                                 deviation                                      seen from
//	mime-bare-lf                         LF line ends, not CRLF                         exports of Google, Microsoft mail
//	mime-header-syntax                   mbox "From " line or other non-field line      Thunderbird exports
//	mime-param-syntax                    unquoted parameter with tspecials, stray ";"    Mail.ru-style boundaries
//	mime-missing-closing-boundary        no close delimiter                             Mail.ru
//	mime-no-boundary                     multipart without a usable boundary            broken senders
//	mime-base64-padding                  base64 without "=" padding                     hand-made senders
//	mime-base64-garbage                  spaces or non-alphabet bytes in base64         hand-made senders
//	mime-quoted-printable                malformed quoted-printable                     -
//	mime-unknown-transfer-encoding       unknown Content-Transfer-Encoding              -
//	mime-missing-transfer-encoding       base64 report without its CTE field            hand-made senders
//	mime-not-multipart-report            report not in multipart/report; tlsrpt         single-part senders, forwards
//	mime-html-human-part                 text/html human-readable part                  Microsoft
//	mime-nonstandard-media-type          application/tlsrpt without +json/+gzip         RFC example as re-typed by Stalwart
//	mime-generic-media-type              application/gzip, /json, /zip, /octet-stream   DMARC-style senders
//	mime-found-by-filename               found by .json.gz/.json/.zip filename           -
//	mime-found-by-sniffing               found by content                               -
//	mime-gzip-label-plain-json           +gzip label (or .gz name) on plain JSON        -
//	mime-json-label-gzip                 +json label on gzip data                       -
//	mime-zip-archive                     report zipped                                  DMARC habit
//	mime-gzip-trailing-data              bytes after the gzip stream                    -
//	mime-filename                        filename not RFC 8460 §5.1 shaped              forwards, hand-made senders
//	mime-filename-mismatch               filename domain/timestamps differ from report  RFC 8460 example mails
//	mime-missing-tls-report-domain       no TLS-Report-Domain                           -
//	mime-missing-tls-report-submitter    no TLS-Report-Submitter                        -
//	mime-tls-report-domain-mismatch      TLS-Report-Domain not a policy domain          RFC 8460 example mails
//	mime-tls-report-submitter-mismatch   submitter is not the contact-info domain       Mail.ru (mail.ru vs corp.mail.ru)
//	mime-subject                         Subject not §5.3 shaped, Report-ID without <>   Microsoft
//	mime-date                            Date not RFC 5322 (read when a variant fits)   RFC 8460 §5.3.1 example
//	mime-missing-date                    no Date field (RFC 5322 §3.6 requires one)     -
//	mime-report-id-syntax                Subject Report-ID <…> not an RFC 5322 msg-id   sys4 tlsrpt-reporter 0.6 (":" in id-left)
//	mime-forwarded-report                report in an attached message/rfc822           forwards (only its own signature counts)
//
// The Subject's Report-ID is not compared with the report-id: the first is
// an RFC 5322 msg-id, the second free text, and Google writes different
// forms of the same value in each.
//
// # Error codes
//
// What Parse, Verify and Write refuse is a *tlsrpt.Diagnostic with
// Severity tlsrpt.SeverityError, its Err the underlying cause, and one of
// these codes (with Parser.Strict, also a warning code of the table
// above). These are no warnings: nothing was tolerated.
//
//	code                       refused                                                   Err
//	mime-limit-message-size    message over Parser/VerifyOptions.MaxMessageSize           ErrTooLarge
//	mime-limit-parts           more entities or zip members than Parser.MaxParts          ErrTooLarge
//	mime-limit-depth           nesting deeper than Parser.MaxDepth                        ErrTooLarge
//	mime-limit-header-size     an entity header over Parser.MaxHeaderSize                 ErrTooLarge
//	mime-limit-report-size     decompressed report data over Parser.MaxReportSize         ErrTooLarge, or the report decoder's error
//	mime-limit-signatures      a DKIM signature beyond VerifyOptions.MaxSignatures        ErrTooLarge
//	mime-report-undecodable    a report part that cannot be decoded                       the cause
//	mime-field                 a Write input that cannot go into the message              the cause, or nil
//
// Path locates the problem as for warnings; for mime-field it names the
// field ("WriteOptions.From", "report.contact-info",
// "report.policies[1].policy.policy-domain"), and a mime-limit-signatures
// error has the signature's position among the DKIM-Signature fields,
// from 1, as Index. A mime-report-undecodable Diagnostic wraps the report
// decoder's error: with Parser.Strict that is itself a *tlsrpt.Diagnostic,
// which errors.As finds only after the part's, so look in the part's Err:
//
//	var part, dec *tlsrpt.Diagnostic
//	if errors.As(err, &part) && part.Code == mime.CodeReportUndecodable && errors.As(part.Err, &dec) {
//		// dec is the report decoder's refusal
//	}
//
// # Limits
//
// Parse works on untrusted mail with bounded memory and time. A zero
// Parser reads at most 20 MiB from the reader (Parser.MaxMessageSize),
// 100 MIME entities, counting the message and attached messages, and as
// many zip members (MaxParts), 8 levels of multipart or attached-message
// nesting (MaxDepth), 256 KiB per entity header (MaxHeaderSize) and
// 32 MiB of decompressed report data for the whole message, also the
// report decoder's cap (MaxReportSize). Each cap is enforced while
// reading: the message through a size-capped reader, gzip and zip members
// through a capped decompressor, so a gzip or zip bomb stops at the cap in
// milliseconds. An exceeded cap is a *tlsrpt.Diagnostic whose Code names
// it (see Error codes), which matches ErrTooLarge (tlsrpt.ErrTooLarge).
// Verify reads at most 20 MiB (VerifyOptions.MaxMessageSize), looks for
// the reports with the limits of a zero Parser (a mail exceeding one is
// such a Diagnostic) and verifies at most 8 signatures (MaxSignatures);
// each further one has a mime-limit-signatures error, matching
// ErrTooLarge, in its SignatureResult.
//
// The whole message is held in memory (report mails are small); the
// decoded parts are slices of it where no transfer encoding applies.
//
// # Interoperability
//
// Tolerated on input: see the warning table above; each was seen in the
// mails of Google, Microsoft and Mail.ru, in RFC 8460's examples as
// re-typed by other implementations, or in the forwarding and archiving
// of report mails. Not tolerated: a part labelled as a TLS report whose
// content is not gzip, zip or JSON, a truncated gzip stream and a zip
// archive with more than one JSON member are a mime-report-undecodable
// error rather than a guess.
//
// dkimpy (Debian python3-dkim) compares a key's s= tag as a whole: it
// accepts s=*, s=email and s=tlsrpt but rejects s=email:tlsrpt, which
// RFC 6376 §3.6.1 allows. Publish the key without s= or with s=tlsrpt
// (go-msgauth, conversely, accepts only keys that allow email; Verify
// evaluates s= itself for that reason).
//
// The h= list of the DKIM-Signature field has no whitespace to fold at
// (go-msgauth writes it as one token) and may exceed 78 characters; it
// stays far below the 998-character limit of RFC 5322 §2.1.1.
//
// # Standards
//
// RFC 8460 §3 (DKIM on report mail), §5.1 (filename), §5.3 (message),
// §5.6 (the report is authoritative); RFC 6522 (multipart/report);
// RFC 8689 (TLS-Required); RFC 6376 and RFC 8463 (DKIM, Ed25519);
// RFC 5322, RFC 2045, RFC 2046, RFC 2047 and RFC 2231 (message format);
// RFC 3834 (Auto-Submitted).
package mime
