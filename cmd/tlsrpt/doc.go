// Command tlsrpt works with SMTP TLS Reporting (RFC 8460): it checks a
// mail domain's TLS-RPT and MTA-STS setup and its MX hosts' TLS the way
// sending MTAs see them, reads the reports senders mail or post, and tells
// which of them to trust.
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
//	alerts     failure-rate rises, new result types, silent reporters, from
//	           the store
//	check      check a domain's TLS-RPT and MTA-STS setup and its MX hosts'
//	           STARTTLS, certificates and DANE
//	export     write the stored reports as CSV or JSON Lines
//	ingest     read reports from mail or files into the store, skipping
//	           those already stored
//	read       read reports from files, Maildirs, mbox files, IMAP or stdin:
//	           the fate and trust of each message
//	readiness  whether a domain's MTA-STS policy can move from testing to
//	           enforce, from the store
//	reports    list the stored reports, each with its policies and failure
//	           details
//	serve      receive reports over HTTPS, poll IMAP, and serve a dashboard
//	           and JSON API over the store
//	summary    sessions and failure rates per domain and day from the store
//	version    print the module version and the Go version of the build
//
// # tlsrpt check
//
//	tlsrpt check [--json] [--resolver HOST:PORT] [--timeout DURATION] [--no-mx] [--probe] DOMAIN...
//
// For each DOMAIN, check looks at what senders look at:
//
//   - TLS-RPT (RFC 8460 §3): the TXT strings at _smtp._tls.DOMAIN, the
//     record senders select and parse strictly, the advice of
//     dnsrecord.Lint on the whole set (an http: rua as the only destination
//     is an error: no report can be delivered), the record's fate under the
//     literal "v=TLSRPTv1;" selection rule, and TLS-RPT records published
//     where senders never look: the apex, _smtp_tls.DOMAIN,
//     _tls._smtp.DOMAIN, smtp._tls.DOMAIN, _smtp.tls.DOMAIN,
//     _smtp._tls.DOMAIN.DOMAIN (a zone file's origin appended) and each MX
//     host's own name.
//   - MTA-STS (RFC 8461): the _mta-sts.DOMAIN strings and
//     policy.LintSTSRecord's advice; the policy fetched by
//     policy.STSFetcher exactly as senders fetch it (certificate for
//     mta-sts.DOMAIN, no redirects, 200, text/plain, 64 KiB), also when the
//     record is broken, so that one problem does not hide the next; the
//     advice of policy.LintSTSPolicy with the domain's MX hosts (every MX
//     host matched by an mx pattern, mode, max_age); a policy served
//     without a record.
//   - each MX host: its addresses; an SMTP session on port 25 (EHLO,
//     STARTTLS, EHLO) with the first address that accepts; the TLS
//     version; the certificate: valid for the MX host name, its dates and
//     days left (a warning under 14), its chain to the system roots (on
//     Unix, SSL_CERT_FILE and SSL_CERT_DIR choose them); DANE: the TLSA
//     records at _25._tcp.MX with the resolver's AD bit, matched against
//     the presented chain (DANE-EE, DANE-TA), and whether
//     _smtp._tls.MX, where senders report DANE results, has a record.
//
// A problem a sending MTA would put in its report names the result type
// and failure-reason-code it would report (aggregate.ClassifyTLSError on
// the same error) and the result type's advice (report.ResultType.Advice).
// A certificate problem is an error while an MTA-STS policy (testing or
// enforce) applies, a warning when no policy applies, and an info when a
// DNSSEC-authenticated TLSA record matches the server.
//
// Flags: --json writes one JSON object per domain (JSON Lines) instead of
// text. --resolver sends every DNS query, the TLSA queries included, to
// HOST:PORT (port 53 when left out); by default lookups use the system
// resolver and TLSA queries the first nameserver of /etc/resolv.conf. The
// AD bit means something only from a validating resolver reached over a
// path nobody can tamper with. --timeout bounds each DNS query, SMTP
// session, policy fetch and probe (30s). --no-mx skips the SMTP sessions
// (the MX records are still looked up). --probe checks that each rua
// destination can receive: a mailto: domain has MX records (or an address)
// and no null MX; an https: host answers HEAD over TLS verified against
// the roots. HEAD, not POST: a POST would hand the receiver something that
// is not a report, which it may store or count; any answer shows the host
// is reachable, not that it accepts reports. A mailto: domain that
// receives no mail and an https: host without an address are errors; an
// https: host that does not answer, or whose certificate does not verify
// (RFC 8460 §3 lets senders ignore that), is a warning.
//
// The text output has, per domain, a verdict line ("ok", "problems found"
// or "incomplete, retry later", with the counts), then the TLS-RPT and
// MTA-STS sections and a paragraph per MX host. A finding is one line,
// "error", "warning", "info" or "could not check", with its location (TXT
// #index offset N, or line N of the policy) and its code in brackets,
// followed by "fix:" and, for failures senders report, "senders report
// <result-type> (<reason-code>): <advice>".
//
// With --json, each line is one object with these members (the schema is
// stable: members may be added, none is removed or changes meaning within
// a major version):
//
//	domain      string   the domain checked, a lower-case A-label
//	verdict     string   ok | problems | incomplete
//	errors      number   findings that are errors
//	warnings    number   findings that are warnings
//	unchecked   number   findings that are temporary (could not check)
//	findings    array    findings about the domain as a whole
//	tlsrpt      object
//	  name      string   "_smtp._tls.<domain>"
//	  txt       array    the TXT strings at name as published (character-strings joined)
//	  record    string   canonical form of the record senders use (omitempty)
//	  rua       array    {uri, scheme, usable (bool: mailto: or https: with a
//	                     destination), destination (address or URL, omitempty),
//	                     probe (what --probe found, omitempty)}
//	  findings  array
//	mta-sts     object
//	  name      string   "_mta-sts.<domain>"
//	  txt       array    the TXT strings at name
//	  id        string   id of the record senders use (omitempty)
//	  policy-url string  https://mta-sts.<domain>/.well-known/mta-sts.txt
//	  fetched   bool     the policy was fetched and parsed as senders do
//	  policy    string   the policy file as served, also when invalid (omitempty)
//	  mode      string   enforce | testing | none (omitempty)
//	  max-age   number   seconds (omitempty)
//	  mx        array    the mx patterns
//	  findings  array
//	mx          array    per MX host, in order of preference:
//	  host, preference          string, number
//	  implicit                  bool: no MX records, the domain itself (omitempty)
//	  sts-pattern               string: the policy's mx pattern matching host (omitempty)
//	  addresses                 array of string: A and AAAA records
//	  checked                   bool: an SMTP session was attempted (false with --no-mx)
//	  address                   string: the address of the session (omitempty)
//	  starttls                  bool: TLS was negotiated
//	  tls-version               string: "TLS 1.3" (omitempty)
//	  certificate               object (omitempty): subject, issuer, dns-names,
//	                            not-before, not-after (RFC 3339), days-left
//	                            (negative once expired), valid-for-host,
//	                            trusted (chain to the roots, judged within
//	                            the validity period), tlsa-3-1-1 (the DANE-EE
//	                            record for the server's key)
//	  dane                      object (omitempty, only with TLSA records): name,
//	                            tlsa (array), authenticated (AD bit), match (omitempty)
//	  findings                  array
//
// A finding is
//
//	severity     string   error | warning | info
//	code         string   the result type for failures senders report; else
//	                      a code of package dnsrecord (Lint) or policy
//	                      (LintSTSRecord, LintSTSPolicy), or one of check's own:
//	                      invalid-domain, nothing-published, no-tlsrpt,
//	                      no-mta-sts, wrong-location, strict-prefix,
//	                      no-usable-rua, policy-without-record, dns-failure,
//	                      implicit-mx, null-mx, no-mail-host, mx-no-address,
//	                      connect-failed, smtp-failure, old-tls-version,
//	                      certificate-expires-soon, tlsa-unauthenticated,
//	                      dane-no-tlsrpt, rua-no-mail, rua-implicit-mx,
//	                      rua-unreachable, rua-certificate
//	message      string
//	fix          string   (omitempty)
//	path         string   "line N" of the policy (omitempty)
//	index        number   the TXT string, among those at the name (omitempty: 0)
//	offset       number   byte offset in it, or of the policy line (omitempty: 0)
//	result-type  string   what a sender reports (omitempty)
//	reason-code  string   the failure-reason-code it reports (omitempty)
//	advice       string   the result type's advice (omitempty)
//	temporary    bool     could not check; severity is warning (omitempty)
//
// Exit status of check: 0 no errors (warnings and advice may be printed);
// 1 errors in some domain (a domain with neither TLS-RPT nor MTA-STS
// counts); 2 usage error; 3 something could not be checked (a DNS query
// failed, port 25 could not be reached, a server refused the session):
// retry later. 3 wins over 1.
//
// Test hooks, not for production use and not shown in the help:
// --connect-to HOST:PORT=ADDR:PORT (repeatable) connects to ADDR:PORT
// whenever HOST:PORT is asked for (MX hosts, the policy host, https:
// destinations), judging certificates against HOST; --now RFC3339 is the
// clock MX certificates are judged at (the policy fetch uses the real
// clock). The tests run the command in a child process with SSL_CERT_FILE
// naming their own root.
//
// # tlsrpt version
//
// version prints "tlsrpt VERSION [(REVISION[, modified])] GOVERSION
// OS/ARCH": the module version from the build information (a tag when
// installed with go install …@version, "(devel)" when built from a
// checkout) and the Go toolchain that built it.
//
// # The store verbs
//
//	tlsrpt summary   [--json] [--db DSN] [window] [filters]
//	tlsrpt readiness [--json] [--db DSN] [window] [--min-reporters N] [--min-sessions N] [--min-days N] DOMAIN
//	tlsrpt alerts    [--json] [--db DSN] [window] [--min-sessions N] [--factor X] [--margin PP]
//	tlsrpt reports   [--json] [--db DSN] [window] [filters] [--limit N] [--offset N]
//
// They read a store (package store): --db sqlite:PATH or postgres://…
// (postgresql:// too). Without --db the store is the SQLite file
// $XDG_DATA_HOME/tlsrpt/tlsrpt.db, or ~/.local/share/tlsrpt/tlsrpt.db when
// XDG_DATA_HOME is not set; a missing SQLite file is a usage error (exit
// status 2), not an empty store. The window is --since (YYYY-MM-DD, UTC, or
// RFC 3339) to --until (exclusive; default the end of today, UTC), or the
// --days before --until (7 for summary, alerts and reports, 30 for
// readiness).
// Filters: --domain, --reporter, --policy-type, --mode, --trust select
// policies; --result-type, --family, --mx, --ip select failure details and
// narrow the failed counts only. Reports count whole on the UTC day their
// date range starts.
//
// reports lists the selected reports, the latest first, 50 a page
// (--limit, --offset): per report the reporter, date range, report-id,
// contact and trust, per policy its type, domain, mode and session
// counts, per failure detail its result type, receiving MX host, receiving
// IP, sending MTA IP and count; a failure-detail filter lists only the
// reports and details that match.
//
// Text output is aligned tables. --json writes one JSON object: summary
// the store.Summary, readiness the store.Readiness, reports the
// store.ReportList (member names as their json tags), alerts an array of
// {path, code, severity, message, fix}.
// readiness exits 1 for not-ready and not-enough-data; alerts exits 1 when
// there are findings, for cron.
//
// # tlsrpt serve
//
//	tlsrpt serve [--listen ADDR] [--dashboard-listen ADDR] [--db DSN] [--tls-cert FILE --tls-key FILE] [--receiver-path PATH]
//	             [--max-body BYTES] [--imap URL]… [--poll DURATION] [--trust-authserv ID]… [--no-dkim]
//	             [--metrics-window D] [--metrics-trust V] [--demo]
//
// serve runs the https rua endpoint (RFC 8460 §5.4) at --receiver-path
// (default /tlsrpt) on --listen (default localhost:8080), over HTTPS with
// --tls-cert and --tls-key. It polls each --imap mailbox every --poll
// (default 5m) as ingest reads it, marking messages \Seen once stored. It
// serves the dashboard and its JSON API (package cmd/tlsrpt/internal/web
// lists the routes) and /metrics in the Prometheus exposition format
// (package cmd/tlsrpt/internal/metrics; --metrics-window and --metrics-trust
// choose what it counts) beside the receiver, or on --dashboard-listen in
// plain HTTP, which leaves --listen to the receiver alone. The store is
// created when missing; --demo serves a temporary one filled with a month
// of generated reports instead.
//
// A POSTed report is stored with the body as received, the decoder's
// repairs, the verdict untrusted (by "https": HTTPS submissions are not
// authenticated, RFC 8460 §7) and the source "https:ADDR" before it is
// answered 200. On SIGINT or SIGTERM the server stops listening and waits up
// to 30 s for the requests in progress. Standard output has the listening
// lines and, at the end, "N requests: S stored, D duplicate, R rejected, B
// busy, F failed"; standard error one line per request. Exit status 0 when
// stopped by a signal, 2 usage, 3 the listener or the store failed.
//
// # tlsrpt ingest
//
//	tlsrpt ingest [--db DSN] [--trust-authserv ID]... [--no-dkim] SOURCE...
//
// ingest reads each SOURCE as read does (a file, a Maildir or a directory
// of files, an mbox file, an imap:// or imaps:// URL with the password
// from the environment, or - for standard input; see tlsrpt read) and
// stores every report of every message with store.Put: Raw is the message
// (or file) byte for byte as the source gave it; Diagnostics are the
// message's (all of them for a message with one report; with several, the
// MIME and ingest diagnostics and the decoder's for that report's Index);
// Trust is the verdict (trusted, untrusted, or retry when a DKIM key
// lookup failed for now), By "dkim:d=DOMAIN; s=SELECTOR" or
// "authres:AUTHSERV-ID", Reason the first reason's message; Source is
// "maildir:DIR#new/NAME", "mbox:FILE#n", the file path, or the IMAP URL
// without password plus "#UIDVALIDITY/UID"; Received is the time of the
// run. Untrusted reports are stored with their verdict, so that the views
// can select them (--trust). A report the store already holds is a
// duplicate and not stored again: a second run over the same mail stores
// nothing. Sources are only read, never marked. A missing SQLite store
// file is created.
//
// At the end ingest prints one line:
//
//	N messages: S stored, D duplicate, X not a report, U untrusted, L too large, M malformed, R unreadable
//
// stored and duplicate count reports; untrusted counts the reports this run
// stored with a verdict other than trusted; the rest count messages. When
// standard error is a terminal it shows a running count of the messages
// read, updated every 100 messages on one line.
// The exit status is read's: 0, 1 some input untrusted, malformed or too
// large, 2 usage, 3 a temporary failure (also a store failure).
//
// # tlsrpt export
//
//	tlsrpt export [--db DSN] [--format csv|jsonl] [--since DATE] [--until DATE] [--domain D] [--reporter ORG] [--trust V]
//
// export writes store.Export of the selected reports to standard output:
// CSV (the default) or JSON Lines, one row per policy and failure detail,
// with the columns of go doc github.com/go-tlsrpt/tlsrpt/store. --since
// and --until bound the reports' begin date (YYYY-MM-DD, UTC, or RFC
// 3339); --domain selects rows of a policy-domain. The same store exports
// the same bytes.
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
// Exit status of read:
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
