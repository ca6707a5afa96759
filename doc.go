// Package tlsrpt is the front door of an SDK for SMTP TLS Reporting
// (TLS-RPT, RFC 8460): the reports that sending mail servers exchange
// about the TLS sessions they could and could not establish, and the DNS
// record that asks for them. This package holds the vocabulary every
// other package shares — Diagnostic, Severity, Code, ErrTooLarge, Resolver
// and Extension — and imports nothing of the module.
//
// # Three roles
//
// An MTA author emits reports. Package policy builds the policy block of
// the recipient's MTA-STS or DANE policy; package aggregate classifies the
// outcome of every outbound TLS session into a result type (RFC 8460
// §4.3), counts it and produces a UTC day's reports per policy domain;
// package submit finds the domain's rua destinations (package dnsrecord)
// and delivers each report by HTTPS POST or DKIM-signed mail (package
// mime), with the retries of RFC 8460 §5.5.
//
//	agg := aggregate.New(aggregate.Config{OrganizationName: "Example MTA", ContactInfo: "mailto:tlsrpt@example.net"})
//	id, _ := agg.PolicyID(policy.NoPolicyFound("example.com"))
//	resultType, reason := aggregate.ClassifyTLSError(tlsErr)
//	agg.Record(aggregate.Session{Policy: id, ...})
//	reports, _ := agg.Reports(day)
//
// An analyzer author ingests reports. Package report decodes the JSON
// leniently, repairing what real senders get wrong and returning one
// Diagnostic per repair; package mime reads the report mails and checks
// their DKIM signatures (RFC 8460 §3).
//
//	r, warnings, err := report.Parse(data)
//	msg, err := mime.Parse(mailReader)
//
// An operator checks a domain's setup: package dnsrecord parses and lints
// the _smtp._tls TXT record, package policy the MTA-STS record and policy.
//
//	rec, err := dnsrecord.Parse("v=TLSRPTv1; rua=mailto:tlsrpt@example.com")
//	for _, d := range dnsrecord.Lint(txt) { fmt.Println(d) }
//
// # One vocabulary
//
// Every finding — a lint result, a lenient decoder's repair, a tolerated
// deviation in a mail — is a Diagnostic with a stable Code and a Severity.
// A strict reader refuses the same deviation by returning it as a
// *Diagnostic, so one errors.As target serves every package. Every size
// cap matches errors.Is(err, ErrTooLarge). DNS is injected one way, as a
// Resolver (*net.Resolver satisfies it; nil means net.DefaultResolver),
// and the name=value extension fields of the TLS-RPT and MTA-STS records
// are one Extension type.
package tlsrpt
