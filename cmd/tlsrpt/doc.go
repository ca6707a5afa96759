// Command tlsrpt works with SMTP TLS Reporting (RFC 8460): it reads the
// reports senders mail or post, and tells which of them to trust.
//
// Install it with
//
//	go install github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt@latest
//
// Usage:
//
//	tlsrpt VERB [flags] [arguments]
//	tlsrpt help [VERB]
//
// # Verbs
//
//	read       read reports from files, Maildirs, mbox files, IMAP or stdin:
//	           the fate and trust of each message
//	summary    sessions and failure rates per domain and day from the store
//	readiness  whether a domain's MTA-STS policy can move to enforce
//	alerts     failure-rate rises, new result types, silent reporters
//
// # The store verbs
//
//	tlsrpt summary   [--json] [--db DSN] [window] [filters]
//	tlsrpt readiness [--json] [--db DSN] [window] [--min-reporters N] [--min-sessions N] [--min-days N] DOMAIN
//	tlsrpt alerts    [--json] [--db DSN] [window] [--min-sessions N] [--factor X] [--margin PP]
//
// They read a store (package store): --db sqlite:PATH or postgres://…
// (postgresql:// too). Without --db the store is the SQLite file
// $XDG_DATA_HOME/tlsrpt/tlsrpt.db, or ~/.local/share/tlsrpt/tlsrpt.db when
// XDG_DATA_HOME is not set; a missing SQLite file is a usage error (exit
// status 2), not an empty store. The window is --since (YYYY-MM-DD, UTC, or
// RFC 3339) to --until (exclusive; default the end of today, UTC), or the
// --days before --until (7 for summary and alerts, 30 for readiness).
// Filters: --domain, --reporter, --policy-type, --mode, --trust select
// policies; --result-type, --family, --mx, --ip select failure details and
// narrow the failed counts only. Reports count whole on the UTC day their
// date range starts.
//
// Text output is aligned tables. --json writes one JSON object: summary
// the store.Summary, readiness the store.Readiness (member names as their
// json tags), alerts an array of {path, code, severity, message, fix}.
// readiness exits 1 for not-ready and not-enough-data; alerts exits 1 when
// there are findings, for cron.
//
// # tlsrpt read
//
//	tlsrpt read [--json] [--trust-authserv ID]... [--no-dkim] INPUT...
//
// INPUT is a file (a mail, a .json or .json.gz report or a .zip archive,
// told apart by content; a file that starts with an mbox "From " line is
// read as an mbox file), a directory (a Maildir when it has cur/, new/ and
// tmp/, read without moving anything; otherwise every regular file in
// it), an imap:// or imaps:// URL (in builds with IMAP support; otherwise
// read answers "imap: not available in this build" with exit status 2),
// or "-" for standard input. Every message gets one fate, as package
// ingest decides it: report (each report trusted, untrusted or retry),
// not-report (dmarc-aggregate, dmarc-failure, dsn or other), too-large,
// malformed or unreadable. --trust-authserv names an authserv-id whose
// Authentication-Results fields on top of the header are believed (your
// own MX; repeatable); --no-dkim skips DKIM verification and its DNS
// queries, so that only those fields can make a report trusted.
//
// The text output has one paragraph per message: the input and its fate,
// a line per report (report-id, organization, contact-info, date range,
// policy domains, sessions and failures) with the verdict and its
// reasons, and the diagnostics of reading it; a summary line ends it.
//
// With --json, read writes JSON Lines: one object per message, in input
// order, and the summary on standard error. The members (absent when
// empty where marked "omitempty"):
//
//	input        string   the file, Maildir file, "mbox#n", "-" or URL#id
//	format       string   mail | json | gzip | zip | xml | unknown
//	fate         string   report | not-report | too-large | malformed | unreadable
//	kind         string   dmarc-aggregate | dmarc-failure | dsn | other (not-report only; omitempty)
//	error        string   why, for too-large, malformed, unreadable (omitempty)
//	size         number   bytes read
//	mail         object   header facts of a mail (omitempty): from, subject,
//	                      message-id, date (RFC 3339), tls-report-domain,
//	                      tls-report-submitter, report-id (each omitempty)
//	reports      array    one object per report (empty unless fate is report):
//	  report-id, organization-name, contact-info     string
//	  start-datetime, end-datetime                   string (RFC 3339)
//	  policy-domains                                 array of string
//	  total-successful-session-count,
//	  total-failure-session-count                    number (sums over the policies)
//	  part       string  MIME part or "zip:member" (omitempty)
//	  filename   string  attachment or member name (omitempty)
//	  trust      object  verdict (trusted | untrusted | retry), domain,
//	                     selector, authserv-id (omitempty), reasons (array
//	                     of diagnostics)
//	diagnostics  array    what was tolerated while reading
//
// A diagnostic is {severity, code, path, offset, index, message} (path,
// offset and index omitempty); codes are those of packages mime, report
// and ingest.
//
// # Exit status
//
//	0  every input was read; no report is untrusted, nothing malformed
//	1  some input is untrusted, malformed, too large
//	2  usage error (unknown verb or flag, no input, imap:// unavailable)
//	3  temporary failure: a DKIM key lookup failed for now (a report to
//	   retry), a message or a source could not be read; retry later.
//	   3 wins over 1.
//
// `tlsrpt -h`, `tlsrpt VERB -h` and `tlsrpt help VERB` print help and
// exit 0.
//
// # Adding a verb
//
// A verb is one file of this package that calls register from an init
// function with its name, a one-line summary and its run function; main
// dispatches to it and lists it in the help.
package main
