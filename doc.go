// Package tlsrpt is the front door of an SDK for SMTP TLS Reporting
// (TLS-RPT, RFC 8460): the daily reports in which sending mail servers
// tell a domain which of their TLS sessions to its MX hosts succeeded and
// which failed, and why, and the DNS record that asks for them.
//
// This package holds the vocabulary every other package shares —
// Diagnostic, Severity, Code, ErrTooLarge, Resolver and Extension — and
// imports nothing of the module. The work is done by packages cut by role.
//
// # MTA authors: emit reports
//
// Package policy builds the policy block of the recipient's MTA-STS or
// DANE policy (RFC 8460 §4.4); package aggregate classifies the outcome of
// each outbound TLS session into a result type, counts it without
// allocating, and produces one report per policy domain and UTC day;
// package dnsrecord finds the domain's rua destinations and package submit
// delivers each report by HTTPS POST or DKIM-signed mail (package mime),
// retrying as RFC 8460 §5.5 asks.
//
//	agg := aggregate.New(aggregate.Config{OrganizationName: "Example MTA", ContactInfo: "mailto:tlsrpt@mta.example"})
//	pol, _ := policy.FromSTSText("example.com", stsPolicyText)
//	id, _ := agg.PolicyID(pol)
//	s := aggregate.Session{Time: time.Now(), Policy: id}
//	if err != nil { // the STARTTLS session's error
//		resultType, reason := aggregate.ClassifyTLSError(err)
//		s.Failures = []aggregate.Failure{{ResultType: resultType, FailureReasonCode: reason, ReceivingMXHostname: mx}}
//	}
//	agg.Record(s)
//	// after the UTC day:
//	reports, _ := agg.Reports(day)
//	rec, _, _ := dnsrecord.Lookup(ctx, nil, "example.com", nil)
//	res, err := (&submit.Deliverer{Mail: sender, MailOptions: mailOptions}).Deliver(ctx, reports[0], rec)
//
// In production the counts are made durable and shared by a fleet:
// an aggregate.Flusher writes them to package store every second and
// claims each day's report for one node, which puts it on the store's
// delivery queue (submit.Queue) that a submit.Worker on every node drains.
//
// # Analyzer authors: ingest reports
//
// Package report decodes the JSON leniently, repairing what real senders
// get wrong and returning one Diagnostic per repair; package mime reads
// the report mails, whatever shape they arrive in, and verifies the DKIM
// signature RFC 8460 §3 requires of them.
//
//	r, warnings, err := report.Parse(body) // JSON or gzip
//	for _, w := range warnings {
//		fmt.Println(w) // warning policies[0].policy.mx-host at offset 312: … [mx-host-string]
//	}
//	msg, err := mime.Parse(mail) // msg.Reports, msg.Warnings, msg.Submitter
//
// # Operators: check a domain
//
// Package dnsrecord parses and lints the _smtp._tls TXT record, package
// policy the MTA-STS record and policy file (RFC 8461).
//
//	rec, err := dnsrecord.Parse("v=TLSRPTv1; rua=mailto:tlsrpt@example.com")
//	for _, d := range dnsrecord.Lint(txts...) {
//		fmt.Println(d) // error at offset 16: … [missing-mailto] (fix: …)
//	}
//
// # One vocabulary
//
// Every finding — a lint result, a lenient decoder's repair, a tolerated
// deviation in a mail, a problem Validate finds — is a Diagnostic with a
// stable Code and a Severity. A strict reader refuses the same deviation
// by returning it as a *Diagnostic, so one errors.As target serves every
// package. Every size cap matches errors.Is(err, ErrTooLarge). DNS is
// injected as a Resolver, which *net.Resolver satisfies.
package tlsrpt
