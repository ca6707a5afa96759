// Package demo fills a store with a month of generated, realistic SMTP TLS
// reports (RFC 8460 §4), so that `tlsrpt serve --demo`, screenshots and
// browser tests show a dashboard with something on every page. It is
// internal to the command: nothing here is a library API.
//
// The data is deterministic: the same Options (Now, Days, Seed) give the
// same reports, byte for byte, and Fill on a store that already holds them
// stores nothing again (the store's content de-duplication).
//
// # What is generated
//
// One report per reporter, policy domain and UTC day, for the Days days
// before Now's day (a day's report is sent after the day ends, so Now's own
// day has none yet). Every report passes report.Report.Validate. The
// reporters imitate the real senders of the project's corpus:
//
//   - "Google Inc." (report-id "<date>_<domain>", max_age listed before the
//     mx lines, the largest volume), "Microsoft Corporation" (report-id
//     "<digits>+<domain>", no mx-host, DANE as well as MTA-STS) and
//     "Mail.ru" (no mx-host, MTA-STS failures with nothing but the
//     failure-reason-code, a Go error string, and end-datetime at the next
//     midnight), all by DKIM-signed mail;
//   - a Stalwart-based sender, "mx.mailbox-hosting.example", posting over
//     HTTPS (so its reports are untrusted, as the ingest side judges an
//     HTTPS POST);
//   - a Postfix with sys4 tlsrpt-reporter, "smtp.university.example",
//     whose mail now and then fails or defers DKIM verification.
//
// The policy domains, each with its own story:
//
//   - example.com: MTA-STS in enforce; a few certificate-host-mismatch and
//     starttls-not-supported failures all month, then certificate-expired on
//     mx2.example.com over the last four days: a failure-rate spike, so
//     store.Alerts reports CodeFailureRateRise and CodeNewResultType for the
//     last 7 days, and store.Readiness says Enforcing.
//   - example.net: MTA-STS in testing, no failure from four reporters:
//     Readiness says ReadyForEnforce.
//   - example.org: MTA-STS in testing with all three MTA-STS failures
//     (sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid) and
//     certificate-not-trusted and validation-failure on its MX hosts:
//     Readiness says NotReady. Mail.ru stops reporting on it eight days
//     before Now (CodeReporterStopped for the last 7 days).
//   - dane.example: DANE (tlsa policies from Microsoft, the Stalwart and
//     the Postfix sender, no-policy-found from Google and Mail.ru), with
//     tlsa-invalid after a key rollover, dnssec-invalid and dane-required.
//   - legacy.example: no policy found, with starttls-not-supported on its
//     old MX host.
//   - new.example: an MTA-STS policy in testing published four days before
//     Now, reported by Google only: Readiness says NotEnoughData.
//
// IP addresses are in the documentation ranges (192.0.2.0/24 for the
// receiving MX hosts, 198.51.100.0/24 and 203.0.113.0/24 for the senders,
// 2001:db8::/32 for IPv6), domains under example.com, .net, .org and
// .example (RFC 2606, RFC 5737, RFC 3849).
//
// Two reports are stored as a real sender mailed them, with deviations the
// lenient decoder repairs (report.Decoder), so the report page has
// diagnostics to show: a Microsoft report for dane.example with date-times
// without time zone and its TLSA records as one JSON-array string, and a
// report of the Stalwart sender with "mx: " prefixes in mx-host. Their Raw
// bytes are the deviating JSON; every other report's Raw is its canonical
// JSON, gzip-compressed, as senders attach it (RFC 8460 §5.3).
package demo
