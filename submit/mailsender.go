package submit

import "context"

// MailSender sends one e-mail message: msg is the complete message
// (header and body, CRLF line endings) for the SMTP envelope from and to.
// An MTA can implement it with its own queue; SMTPSender implements it
// with an SMTP client.
//
// SendMail returns a nil error only when the message was accepted (SMTP
// 250 after DATA, or a queue that took responsibility for it), with the
// server's final reply when the sender knows it (Deliver records it in
// Outcome.StatusCode and Outcome.Reply, so an accepted mailto delivery
// shows the same evidence as an HTTPS one: the SMTP code and, usually, the
// receiving server's queue id) or a nil reply when it does not (a queue).
// To say whether a retry may help, return an error wrapping an
// *smtp.SMTPError (4xx temporary, 5xx permanent) or a *DeliveryError; any
// other error counts as temporary.
//
// Report mail must be delivered despite TLS problems at the receiving MX
// and must not be subject to MTA-STS or DANE failures (RFC 8460 §3,
// §5.3.1); an MTA implementing MailSender should bypass its TLS policy for
// these messages (they carry "TLS-Required: No", RFC 8689, when mime.Write
// adds it) and not count their sessions in its next report.
type MailSender interface {
	SendMail(ctx context.Context, from string, to []string, msg []byte) (*SMTPReply, error)
}

// SMTPReply is an SMTP server's reply to the end of a mail transaction
// (RFC 5321 §4.2, §4.1.1.4: the reply to the data's final ".").
type SMTPReply struct {
	// Code is the three-digit reply code; 250 for an accepted message.
	Code int
	// Text is the reply text after the code, an enhanced status code
	// (RFC 3463) included, lines of a multi-line reply joined by "\n".
	// Servers commonly put their queue id here
	// ("2.0.0 Ok: queued as 4F2B1").
	Text string
}
