package mime

import "github.com/go-tlsrpt/tlsrpt"

// Warning codes of Parse. Each tolerated deviation from RFC 8460 §5.3,
// RFC 6522, RFC 2045/2046 or RFC 5322 adds one report.Warning with one of
// these codes to Message.Warnings; the table with the senders seen doing
// each is in the package documentation. The codes are stable.
const (
	// CodeBareLF: the message uses LF line ends instead of CRLF
	// (RFC 5322 §2.1); typical of messages exported from a mail store.
	CodeBareLF tlsrpt.Code = "mime-bare-lf"
	// CodeHeaderSyntax: a header line was neither a field nor a
	// continuation (an mbox "From " line, a line without a colon) and was
	// skipped (RFC 5322 §2.2).
	CodeHeaderSyntax tlsrpt.Code = "mime-header-syntax"
	// CodeParamSyntax: Content-Type or Content-Disposition parameters do
	// not follow RFC 2045 §5.1 (an unquoted value with tspecials such as
	// "=", a stray semicolon) and were read leniently.
	CodeParamSyntax tlsrpt.Code = "mime-param-syntax"
	// CodeMissingClosingBoundary: a multipart body ends without its close
	// delimiter (RFC 2046 §5.1.1); the parts read so far are kept.
	CodeMissingClosingBoundary tlsrpt.Code = "mime-missing-closing-boundary"
	// CodeNoBoundary: a multipart entity has no boundary parameter or its
	// boundary never occurs; the body was treated as a single part.
	CodeNoBoundary tlsrpt.Code = "mime-no-boundary"
	// CodeBase64Padding: base64 content lacks its "=" padding
	// (RFC 2045 §6.8).
	CodeBase64Padding tlsrpt.Code = "mime-base64-padding"
	// CodeBase64Garbage: base64 content contains spaces, tabs or other
	// characters outside the base64 alphabet, which were ignored
	// (RFC 2045 §6.8 allows ignoring them).
	CodeBase64Garbage tlsrpt.Code = "mime-base64-garbage"
	// CodeQuotedPrintable: quoted-printable content was malformed and was
	// used as it stood.
	CodeQuotedPrintable tlsrpt.Code = "mime-quoted-printable"
	// CodeMissingTransferEncoding: a report part holds base64 text but
	// has no Content-Transfer-Encoding field; it was decoded as base64.
	CodeMissingTransferEncoding tlsrpt.Code = "mime-missing-transfer-encoding"
	// CodeUnknownEncoding: an unknown Content-Transfer-Encoding; the
	// content was used as it stood.
	CodeUnknownEncoding tlsrpt.Code = "mime-unknown-transfer-encoding"
	// CodeNotMultipartReport: the report was not in a multipart/report with
	// report-type "tlsrpt" (RFC 8460 §5.3, RFC 6522): a single-part
	// message, a multipart/mixed, a forwarded message.
	CodeNotMultipartReport tlsrpt.Code = "mime-not-multipart-report"
	// CodeHTMLPart: the human-readable part is text/html instead of
	// text/plain (RFC 8460 §5.3 example).
	CodeHTMLPart tlsrpt.Code = "mime-html-human-part"
	// CodeMediaType: the report part's media type is application/tlsrpt
	// without +json or +gzip (RFC 8460 §6.4, §6.5 register only those).
	CodeMediaType tlsrpt.Code = "mime-nonstandard-media-type"
	// CodeGenericMediaType: the report was found in a part with a generic
	// media type (application/gzip, application/json, application/zip,
	// application/octet-stream).
	CodeGenericMediaType tlsrpt.Code = "mime-generic-media-type"
	// CodeFoundByFilename: the report was found by its filename (.json.gz,
	// .json, .zip) in a part of an unrelated media type.
	CodeFoundByFilename tlsrpt.Code = "mime-found-by-filename"
	// CodeFoundBySniffing: the report was found by its content (gzip or zip
	// magic, a JSON object) in a part labelled as something else.
	CodeFoundBySniffing tlsrpt.Code = "mime-found-by-sniffing"
	// CodeGzipLabelOnJSON: a part labelled application/tlsrpt+gzip (or a
	// .gz filename) holds plain JSON.
	CodeGzipLabelOnJSON tlsrpt.Code = "mime-gzip-label-plain-json"
	// CodeJSONLabelOnGzip: a part labelled application/tlsrpt+json holds
	// gzip data.
	CodeJSONLabelOnGzip tlsrpt.Code = "mime-json-label-gzip"
	// CodeZipArchive: the report came in a zip archive (the DMARC habit),
	// not gzip (RFC 8460 §5.3).
	CodeZipArchive tlsrpt.Code = "mime-zip-archive"
	// CodeGzipTrailingData: data after the end of the gzip stream was
	// ignored.
	CodeGzipTrailingData tlsrpt.Code = "mime-gzip-trailing-data"
	// CodeFilename: the attachment filename does not have the RFC 8460 §5.1
	// shape (submitter!policy-domain!begin!end[!unique-id].json[.gz]).
	CodeFilename tlsrpt.Code = "mime-filename"
	// CodeMissingReportDomain: the TLS-Report-Domain field is missing
	// (RFC 8460 §5.3 MUST).
	CodeMissingReportDomain tlsrpt.Code = "mime-missing-tls-report-domain"
	// CodeMissingSubmitter: the TLS-Report-Submitter field is missing
	// (RFC 8460 §5.3 MUST).
	CodeMissingSubmitter tlsrpt.Code = "mime-missing-tls-report-submitter"
	// CodeReportDomainMismatch: TLS-Report-Domain is not a policy domain of
	// the report; the report is authoritative (RFC 8460 §5.6).
	CodeReportDomainMismatch tlsrpt.Code = "mime-tls-report-domain-mismatch"
	// CodeSubmitterMismatch: TLS-Report-Submitter is not the domain of the
	// report's contact-info (RFC 8460 §5.3 MUST).
	CodeSubmitterMismatch tlsrpt.Code = "mime-tls-report-submitter-mismatch"
	// CodeSubject: the Subject does not follow RFC 8460 §5.3 (a SHOULD);
	// ReportID may then be empty.
	CodeSubject tlsrpt.Code = "mime-subject"
	// CodeFilenameMismatch: the RFC 8460 §5.1 filename names another
	// policy domain or other timestamps than the report; the report is
	// authoritative (RFC 8460 §5.6). (The Subject's Report-ID is not
	// compared: it is an RFC 5322 msg-id, the report-id is free text, and
	// senders such as Google use different forms for the two.)
	CodeFilenameMismatch tlsrpt.Code = "mime-filename-mismatch"
	// CodeDate: the Date field is not RFC 5322 §3.3 syntax. When a known
	// variant could be read Message.Date is set, otherwise only
	// Message.DateText.
	CodeDate tlsrpt.Code = "mime-date"
	// CodeMissingDate: the Date field is missing (RFC 5322 §3.6: every
	// message has one); Message.Date and DateText are empty.
	CodeMissingDate tlsrpt.Code = "mime-missing-date"
	// CodeReportIDSyntax: the Subject's Report-ID is in angle brackets
	// but is not an RFC 5322 §3.6.4 msg-id (id-left "@" id-right, each a
	// dot-atom-text, id-right also a [domain literal]), as RFC 8460 §5.3
	// requires; Message.ReportID holds it as written. (A Report-ID
	// without angle brackets is CodeSubject.)
	CodeReportIDSyntax tlsrpt.Code = "mime-report-id-syntax"
	// CodeForwarded: the report is carried by an attached message
	// (message/rfc822 or message/global: a forwarded report), not by the
	// mail itself; the Path names the attached message. Only a valid
	// DKIM signature on that message, by its own TLS-Report-Submitter
	// domain, vouches for the report (RFC 8460 §3); a signature of the
	// outer mail never does, whoever made it. Verify checks the attached
	// message's signatures for such a mail (Verification.Carrier); a
	// receiver that judges by the outer mail (its MTA's DKIM result, an
	// Authentication-Results field) must ignore the report. The header
	// facts of Message come from the attached message.
	CodeForwarded tlsrpt.Code = "mime-forwarded-report"
)
