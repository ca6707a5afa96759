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
//	Report Domain: <policy domain> Submitter: <submitter> Report-ID: <<report-id>>
//
// (folded at spaces when long, never inside a token), TLS-Report-Domain
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
// included: header injection is impossible). Non-ASCII text in the
// Report-ID is RFC 2047 encoded; domains are written as A-labels.
//
// # Interoperability
//
// dkimpy (Debian python3-dkim) compares a key's s= tag as a whole: it
// accepts s=*, s=email and s=tlsrpt but rejects s=email:tlsrpt, which
// RFC 6376 §3.6.1 allows. Publish the key without s= or with s=tlsrpt.
//
// The h= list of the DKIM-Signature field has no whitespace to fold at
// (go-msgauth writes it as one token) and may exceed 78 characters; it
// stays far below the 998-character limit of RFC 5322 §2.1.1.
package mime
