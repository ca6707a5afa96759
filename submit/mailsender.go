package submit

import "context"

// MailSender sends one e-mail message: msg is the complete message
// (header and body, CRLF line endings) for the SMTP envelope from and to.
// An MTA can implement it with its own queue; SMTPSender implements it
// with an SMTP client.
//
// SendMail returns nil only when the message was accepted (SMTP 250 after
// DATA, or a queue that took responsibility for it). To say whether a
// retry may help, return an error wrapping an *smtp.SMTPError (4xx
// temporary, 5xx permanent) or a *DeliveryError; any other error counts
// as temporary.
//
// Report mail must be delivered despite TLS problems at the receiving MX
// and must not be subject to MTA-STS or DANE failures (RFC 8460 §3,
// §5.3.1); an MTA implementing MailSender should bypass its TLS policy for
// these messages (they carry "TLS-Required: No", RFC 8689, when mime.Write
// adds it) and not count their sessions in its next report.
type MailSender interface {
	SendMail(ctx context.Context, from string, to []string, msg []byte) error
}
