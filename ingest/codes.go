package ingest

import "github.com/go-tlsrpt/tlsrpt"

// Codes of the Diagnostics this package adds: to Trust.Reasons (why a
// report is or is not trusted) and to Result.Diagnostics. The values are
// stable.
const (
	// CodeNotMail: the report did not come by mail (a .json, .json.gz or
	// .zip file, an HTTPS POST): nothing signs it (RFC 8460 §7).
	CodeNotMail tlsrpt.Code = "ingest-not-mail"
	// CodeNoSignature: the message carrying the report has no
	// DKIM-Signature (RFC 8460 §3 MUST).
	CodeNoSignature tlsrpt.Code = "ingest-no-signature"
	// CodeBadSignature: a signature does not verify (body hash, header
	// hash, key missing or revoked, malformed tags, l= present).
	CodeBadSignature tlsrpt.Code = "ingest-bad-signature"
	// CodeSignatureExpired: a signature's x= (RFC 6376 §3.5) is past. It
	// may have verified at arrival: verify at arrival, or trust the
	// Authentication-Results of your MX (Reader.TrustedAuthServIDs).
	CodeSignatureExpired tlsrpt.Code = "ingest-signature-expired"
	// CodeNotAligned: a valid signature's d= is not in the organizational
	// domain of the submitter (RFC 8460 §3 "the reporting domain").
	CodeNotAligned tlsrpt.Code = "ingest-not-aligned"
	// CodePublicSuffix: a signature's d= (or the submitter) is a public
	// suffix such as "com" or "co.uk": it aligns with nothing.
	CodePublicSuffix tlsrpt.Code = "ingest-public-suffix"
	// CodeDNSTemporary: a DKIM key could not be fetched for a temporary
	// reason; the verdict is VerdictRetry.
	CodeDNSTemporary tlsrpt.Code = "ingest-dns-temporary"
	// CodeNotVerified: DKIM verification was skipped (Reader.NoDKIM) and
	// no trusted Authentication-Results field vouches for the report.
	CodeNotVerified tlsrpt.Code = "ingest-not-verified"
	// CodeNoSubmitter: the message carrying the report has no
	// TLS-Report-Submitter (RFC 8460 §5.3 MUST) to align a signature
	// with.
	CodeNoSubmitter tlsrpt.Code = "ingest-no-submitter"
	// CodeContactNotVouched: the report's contact-info names a domain
	// outside the organizational domain of the signer: the signature
	// vouches for the message, not for a report claiming another sender.
	CodeContactNotVouched tlsrpt.Code = "ingest-contact-not-vouched"
	// CodeSeveralCarriers: the mail's reports are carried by more than
	// one message (several forwarded reports); no signature covers them
	// all.
	CodeSeveralCarriers tlsrpt.Code = "ingest-several-carriers"
	// CodeAuthResIgnored: an Authentication-Results field was not
	// believed: its authserv-id is not trusted, it lies below the
	// trusted MX's fields, or the report is forwarded (the outer
	// message's results say nothing about the attached one).
	CodeAuthResIgnored tlsrpt.Code = "ingest-authres-ignored"
	// CodeKeyEmailOnly: the key of the vouching signature is restricted
	// to s=email; RFC 8460 §3 says receivers MAY ignore such reports.
	// This package does not (an info note).
	CodeKeyEmailOnly tlsrpt.Code = "ingest-key-email-only"
	// CodeZipMembers: a zip input held members that are not reports
	// (skipped).
	CodeZipMembers tlsrpt.Code = "ingest-zip-members"
	// CodeNotAReport: a JSON input names none of the members of an RFC
	// 8460 report (organization-name, report-id, policies): FateMalformed,
	// or 400 from the Receiver.
	CodeNotAReport tlsrpt.Code = "ingest-not-a-report"
	// CodeNoDateRange: a report has no date-range (RFC 8460 §4.4), so it
	// cannot be put on a day: FateMalformed, or 400 from the Receiver.
	CodeNoDateRange tlsrpt.Code = "ingest-no-date-range"
	// CodeMessageTooLarge: an input (a mail, a file, a request body)
	// is over Reader.MaxMessageSize or a Source's MaxMessageSize. The
	// Diagnostic's Offset is the cap; its Err is tlsrpt.ErrTooLarge.
	CodeMessageTooLarge tlsrpt.Code = "ingest-message-too-large"
	// CodeReportTooLarge: a report decompresses to more than
	// Reader.MaxReportSize (a zip's members count together).
	CodeReportTooLarge tlsrpt.Code = "ingest-report-too-large"
	// CodeTooManyZipMembers: a zip input has more members than this
	// package reads; the Diagnostic's Index is the first one not read.
	CodeTooManyZipMembers tlsrpt.Code = "ingest-zip-too-many-members"
)

// Codes the Receiver adds to Received.Warnings about the HTTP request.
// Their values are stable (they predate the move from package submit).
const (
	// CodeMediaTypeMismatch: the Content-Type did not name the format the
	// body has (a gzip body labelled +json, JSON labelled +gzip, or
	// application/json, application/gzip, text/plain, ...).
	CodeMediaTypeMismatch tlsrpt.Code = "media-type-mismatch"
	// CodeMediaTypeMissing: no Content-Type was sent.
	CodeMediaTypeMissing tlsrpt.Code = "media-type-missing"
	// CodeContentEncoding: the sender used Content-Encoding: gzip instead
	// of sending the gzip file as the entity (RFC 8460 §5.4).
	CodeContentEncoding tlsrpt.Code = "content-encoding-used"
)
