// Package submit delivers SMTP TLS reports (RFC 8460) to every rua
// destination of a TLSRPT record, over HTTPS and SMTP, tells the caller
// truthfully what happened at each one and when to try again. (The
// HTTPS report receiver of analyzers is ingest.Receiver.)
//
// # Delivering
//
// [Deliverer.Deliver] sends one report to each rua URI of a
// [dnsrecord.Record] (RFC 8460 §3): https URIs by POST (§5.4), mailto
// URIs as a DKIM-signed multipart/report message built with
// [mime.Write] and handed to a [MailSender] (§5.3). Other schemes are
// skipped and reported as unsupported. The [Result] holds one [Outcome]
// per URI — [StatusAccepted], [StatusTemporaryFailure],
// [StatusPermanentFailure] or [StatusSkipped] — with the HTTP status or
// SMTP reply code, any Retry-After, and a [*DeliveryError] saying whether
// a retry may help. The report counts as delivered once at least one
// destination accepted it (RFC 8460 §3: a reporter SHOULD NOT consider a
// report delivered before one endpoint accepted it); only then is the
// error nil.
//
// What counts as accepted, and nothing else does ("delivery never lies"):
//
//   - HTTPS: any 2xx answer to the POST (§5.4 says "successful", typically
//     200 or 201). 408, 429 and 5xx, timeouts, resets, refused
//     connections, DNS failures and certificate problems are temporary,
//     honouring Retry-After (delay-seconds or HTTP-date); other 4xx are
//     permanent.
//   - Redirects are never turned into a GET (RFC 8460 does not address
//     them; net/http would re-send a POST as a body-less GET on 301, 302
//     and 303). 307 and 308 are followed, with the body re-sent, up to
//     [Deliverer.MaxRedirects] times and only to https locations; every
//     other 3xx is a permanent failure carrying the Location.
//   - SMTP: 250 after DATA. Reply codes 4xx are temporary, 5xx
//     permanent. A [MailSender] returns the accepting reply when it
//     knows it (as [SMTPSender] does), so the Outcome of an accepted
//     mail carries StatusCode 250 and the reply text (usually the
//     receiver's queue id) in Outcome.Reply; a queue that returns no
//     reply gives StatusCode 0.
//
// The HTTPS body is the report itself, canonical JSON gzip-compressed as
// application/tlsrpt+gzip (§5.2 says compression SHOULD be used), or
// application/tlsrpt+json with [Deliverer.Uncompressed]. The gzip file is
// the entity, never a Content-Encoding (§5.4, §6.4, §6.5).
//
// Certificates of HTTPS endpoints are verified by default; a certificate
// error is then a temporary failure (an expired certificate is usually
// renewed within the 24 h retry window) whose error chain holds the
// *tls.CertificateVerificationError. RFC 8460 §3 permits a submitter to
// ignore certificate validation errors (§7 explains why reporting a
// misconfiguration outweighs interception risk): with
// [Deliverer.InsecureSkipVerify], a POST that fails verification is tried
// once more without it, and the Outcome says Unverified.
//
// # Retrying
//
// RFC 8460 §5.5: a reporter SHOULD retry a failed delivery for up to 24
// hours after the first attempt, ideally with exponential backoff.
// [RetryPolicy.NextAttempt] is a pure function from (first attempt, now,
// attempt number, error) to the next attempt time, with jitter from an
// injectable random source; it never sleeps, so an MTA can put reports
// into its own queue, as a [Worker] does with a [Queue] (see Queueing).
// [Result.Pending] lists the URIs worth retrying.
// A retry after a timeout may deliver a report twice (the endpoint may
// have stored it before the answer was lost); receivers recognise
// duplicates by report-id.
//
// # Queueing
//
// A [Queue] keeps the reports waiting for delivery durably and shares
// them across a fleet (package store implements it on SQLite and
// PostgreSQL). A [Worker] drains it: each pass leases the due [Job]s for
// its node, looks up each policy domain's TLS-RPT record, delivers to the
// destinations still worth trying, schedules the next attempt with a
// RetryPolicy and saves the Job; [WorkerStats] counts the fate of every
// Job it leased. A domain that publishes no usable record gets no report
// (RFC 8460 §3); a DNS failure is retried like a delivery failure.
//
// # Mail
//
// [SMTPSender] implements [MailSender] with github.com/emersion/go-smtp:
// through a relay or submission server (STARTTLS required by default, or
// implicit TLS, AUTH PLAIN only over TLS), or directly to the MX hosts of
// the rua domain (RFC 5321 §5.1: MX records in preference order, the
// domain itself when there is none, a null MX is a permanent failure,
// RFC 7505). Direct delivery uses opportunistic STARTTLS that never fails
// delivery over TLS problems (RFC 8460 §3 and §5.3.1: report mail is sent
// even when TLS fails, and MTA-STS or DANE failures are not honoured for
// it): a certificate error makes it reconnect without verification, a
// failed handshake makes it reconnect in clear text. Every RCPT carries
// NOTIFY=NEVER when the server supports DSN (RFC 3461), so that a failed
// report does not bounce into a loop. An MTA with its own queue
// implements MailSender itself.
//
// # Limits
//
//   - Deliverer: at most 64 KiB of each HTTP response body is read (then
//     discarded); 3 redirects ([Deliverer.MaxRedirects]); the caller's context
//     bounds each delivery; up to eight destinations are tried at once.
//   - SMTPSender: the context deadline bounds every command (else RFC
//     5321's five minutes per command); go-smtp caps reply lines at 2000
//     bytes, and a server may send at most 256 KiB between two commands
//     (a reply of any number of lines, a TLS handshake flight): more
//     fails the attempt with an error matching tlsrpt.ErrTooLarge,
//     retryable like other server failures.
//   - RetryPolicy: 5 minutes doubling to 4 hours, within 24 hours of
//     the first attempt (RFC 8460 §5.5), unless [RetryPolicy] says
//     otherwise.
//   - Worker: up to 16 Jobs leased per pass for 10 minutes, 4 delivered
//     at once, deliveries cut a tenth of the lease before it ends, each
//     Save bounded by 30 seconds; a pass every minute when the queue is
//     short ([Worker] fields).
//
// # Interoperability
//
//   - Some HTTPS rua endpoints answer 200 to anything, or 301 to another
//     path: the Deliverer reports a 3xx as a permanent failure with the
//     Location, so that the operator can fix the record.
//   - Many MX hosts have certificates for another name or self-signed
//     ones; direct delivery still sends the report (RFC 8460 §5.3.1).
//   - HelloName defaults to "localhost", which some MX hosts refuse; MTAs
//     should set their host name.
package submit
