// Package check assesses a mail domain's SMTP TLS setup for its operator:
// what `tlsrpt check` prints. It is internal to the command so that the
// assessment can be tested without the command line; library users call
// the packages it is built on (dnsrecord, policy, aggregate, report).
//
// For one domain, Config.Check looks at:
//
//   - TLS-RPT (RFC 8460 §3): the TXT strings at _smtp._tls.<domain>, the
//     record senders select and parse strictly (dnsrecord.Lookup), the
//     advice of dnsrecord.Lint on the whole set, the record's reading under
//     the literal "v=TLSRPTv1;" prefix rule, records published where
//     senders never look (the apex, _smtp_tls.<domain>, _tls._smtp.<domain>,
//     _smtp._tls.<domain>.<domain>, an MX host's own name), and with
//     Config.Probe whether each rua destination can receive anything.
//   - MTA-STS (RFC 8461): the _mta-sts TXT strings and
//     policy.LintSTSRecord's advice, the policy fetched by
//     policy.STSFetcher exactly as senders fetch it (even when the record
//     is broken, so that one problem does not hide the next), the advice
//     of policy.LintSTSPolicy with the domain's MX hosts (coverage, mode,
//     max_age), and a policy served without a record.
//   - each MX host (RFC 3207, RFC 8461 §4, RFC 7672): its addresses, an
//     SMTP session on port 25 with EHLO and STARTTLS (go-smtp), the TLS
//     version, the certificate (name, validity and days left, chain to the
//     roots), and DANE: the TLSA records at _25._tcp.<host> with the
//     resolver's AD bit (policy.LookupTLSA) matched against the presented
//     chain (policy.MatchTLSA).
//
// Every problem is a Finding. A problem a sending MTA would put in a TLS
// report carries the RFC 8460 result type and failure-reason-code it
// would report (aggregate.ClassifyTLSError on the same error) and the
// result type's advice (report.ResultType.Advice).
//
// # Severities
//
// An error is something that stops senders from using the setup or from
// delivering reports: no usable record, a policy senders reject, a
// certificate an MTA-STS sender refuses, a TLSA mismatch. A warning works
// but protects or reports less than intended. An info is advice. A
// certificate problem on an MX host is an error while an MTA-STS policy
// (mode testing or enforce) applies to the domain, a warning when no
// policy applies (senders then deliver over any TLS, or none), and an info
// when DNSSEC-authenticated TLSA records match the server (DANE senders
// ignore the certificate's names and dates).
//
// A finding marked Temporary says that something could not be checked: a
// DNS query that failed (SERVFAIL, timeout), a connection to port 25
// that could not be made (the network the check runs from may block
// outbound port 25), an SMTP server that refused the session. Trying
// again later may give an answer.
//
// # Limits
//
// Every DNS query, SMTP session, policy fetch and probe is bounded by
// Config.Timeout (30 seconds by default). The policy fetch follows RFC
// 8461 §3.3 as policy.STSFetcher does (64 KiB, no redirects). Only the
// first address of an MX host that accepts a TCP connection is checked,
// as a sender would use it. A probe of an https: rua destination sends
// HEAD, never POST: a POST would hand the receiver a report that is not
// one, and may be stored or counted; any HTTP answer over a verified TLS
// connection shows that the host is reachable, not that it accepts
// reports.
package check
