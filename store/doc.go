// Package store keeps SMTP TLS reports (RFC 8460) in a SQL database, the
// one persistence layer of the module: the analyzer's archive of every
// report received, de-duplicated, with a flat view of rows for dashboards
// and exports; and, for sending MTAs, the counts, report claims and
// delivery queue a fleet shares (see "MTA"). It works over database/sql and does not import a driver:
// the program that uses it links one, modernc.org/sqlite (pure Go; SQLite
// is the embedded default) or github.com/jackc/pgx/v5/stdlib (PostgreSQL,
// for scale and for several machines).
//
//	db, err := sql.Open("sqlite", store.SQLiteDSN("reports.db"))
//	st, err := store.Open(ctx, db, store.Options{})
//	res, err := st.Put(ctx, store.Entry{Report: rep, Raw: raw, Diagnostics: warnings,
//		Trust: store.Trust{Verdict: store.VerdictTrusted, By: "dkim:google.com"}, Source: "https"})
//
// # What is kept
//
// Put stores an Entry: the decoded report, the input as received (the
// .json.gz of an HTTPS POST, the report mail), the diagnostics of the
// lenient decoder (report.Warning), a trust verdict (Trust; the ingest side
// decides it, RFC 8460 §3), where the report came from and when. Get reads
// it all back. The report itself is kept as its canonical JSON encoding
// (report.Report.MarshalJSON), gzip-compressed, so Get returns the report
// as decoded, whatever the input looked like; the raw input is kept beside
// it, byte for byte.
//
// A report is stored once. Two rules make an Entry a duplicate (PutResult
// says which, and of which stored report): the same canonical JSON
// (ContentHash, a SHA-256), so that the same report mailed and POSTed, or
// re-encoded with other white space, member order or compression, is one
// report; and the same organization-name and report-id (RFC 8460 §4.4
// says the report-id is unique per report), so a re-sent report with
// changed counts does not count twice. The first copy stays; a report
// without report-id is compared by content only. Both rules are unique
// indexes of the database, so concurrent Puts, from goroutines or
// processes sharing the database, store a report once.
//
// # Rows
//
// Rows (and Export) flatten the stored reports into the two kinds of rows
// dashboards count, each carrying its report's columns (reporter, report
// id, date range, trust, source):
//
//   - a policy row per element of the report's policies: the policy
//     (policy-type, policy-domain, policy-string, mx-host), the mode of an
//     sts policy (from its "mode:" line) and the summary's
//     total-successful-session-count and total-failure-session-count;
//   - a failure row per element of failure-details, with its policy: the
//     result-type, sending-mta-ip, receiving-mx-hostname,
//     receiving-mx-helo, receiving-ip, failed-session-count,
//     additional-information and failure-reason-code.
//
// Summing the policy rows of a report gives its session totals, and the
// failure rows of a policy its failure details' counts. The database has
// the same rows as two views, tlsrpt_policy_rows and tlsrpt_failure_rows,
// for SQL dashboards (Grafana, Metabase); their columns are named as the
// export's.
//
// # Views
//
// Summarize, Readiness, Alerts and ListReports are the analyzer's
// answers, computed by GROUP BY queries in the database (the same SQL on
// both engines), never by loading every row. Summarize, Alerts and
// ListReports read rollups that Put fills in the transaction that stores
// a report (schema version 4): a narrow row per policy and per failure
// detail with the UTC day, reporter, domain, type, mode, result type,
// lower-case MX host and sending IP, indexed by date and by domain; and
// per UTC day and reporter (and policy type and mode, or policy domain)
// the distinct reports and session sums, which answer the per-day totals,
// the reporter and policy breakdowns and the previous window of a summary
// over all domains in whole UTC days. Readiness reads its evidence and the
// policy's mode from the per-policy rollup and its blockers from the view
// tlsrpt_failure_rows (they need the policies' mx patterns).
//
//   - Summarize: totals and failure rate, per UTC day and policy domain,
//     breakdowns (result type, family, reporter, policy type/mode, the most
//     failing receiving MX hosts and sending IPs) and the previous window's
//     totals, for any ViewFilter.
//   - Readiness: whether a domain's MTA-STS policy can go from testing to
//     enforce: the sessions that would have failed (MTA-STS failures, TLS
//     negotiation failures on MX hosts the policy covers), the evidence
//     (reporters, sessions, days) and a verdict; ReadinessConfig sets the
//     thresholds (zero value: 3 reporters, 1,000 sessions, 7 days).
//   - Alerts: findings as tlsrpt.Diagnostic (CodeFailureRateRise,
//     CodeNewResultType, CodeReporterStopped) comparing a window with the
//     one before; the caller decides how to notify.
//   - ListReports: the reports a ViewFilter selects, a Page at a time,
//     each with its policies and failure details (every field of RFC 8460
//     §4.4 and §4.5 a dashboard lists).
//
// Attribution: a report's counts go whole to the UTC day its date range
// begins, the day Filter's Since and Until select it by. A report
// covering more than 24 hours is counted whole on its first day and in
// DayTotals.MultiDay: counts are never split into fractions. Successful
// sessions carry no result type, MX or IP (RFC 8460 §4.3), so the
// failure-detail conditions of ViewFilter narrow the failed counts only.
//
// # Export
//
// Export writes the rows as CSV (FormatCSV) or JSON Lines
// (FormatJSONLines), both with these columns, in this order:
//
//	column                    policy row                      failure row
//	row_type                  "policy"                        "failure"
//	report_key                the report's key in the store (Get)
//	organization_name         organization-name
//	contact_info              contact-info
//	report_id                 report-id
//	begin_date, end_date      date-range, RFC 3339 UTC
//	policy_index              position in policies
//	policy_type               policy-type
//	policy_domain             policy-domain
//	policy_mode               sts mode: enforce, testing, none; "" otherwise
//	policy_strings            policy-string (CSV: joined with "|")
//	mx_host_patterns          mx-host (CSV: joined with "|")
//	successful_session_count  total-successful-session-count  empty/null
//	failed_session_count      total-failure-session-count     failed-session-count
//	detail_index              empty/null                      position in failure-details
//	result_type … failure_reason_code  empty/null             result-type, sending-mta-ip,
//	                          receiving-ip, receiving-mx-hostname, receiving-mx-helo,
//	                          additional-information (additional_info_uri), failure-reason-code
//	trust                     the trust verdict
//	source                    where the report came from
//	received_at               when it arrived, RFC 3339 UTC
//
// In JSON Lines counts are numbers, lists are arrays and the cells left
// empty in CSV are null; a member the report lacked (no sending-mta-ip) is
// "".
//
// # From parsedmarc
//
// parsedmarc's smtp_tls CSV output has the same two kinds of rows in one
// table and most of the same column names, so a dashboard built on it can
// read this export with small changes:
//
//   - organization_name, begin_date, end_date, report_id, policy_domain,
//     policy_type, policy_strings and mx_host_patterns (both "|"-joined),
//     successful_session_count, failed_session_count, result_type,
//     sending_mta_ip, receiving_ip, receiving_mx_hostname,
//     receiving_mx_helo, additional_info_uri and failure_reason_code mean
//     what they mean there. parsedmarc tells a failure row by its
//     non-empty result_type; row_type says it here.
//   - parsedmarc leaves policy_domain and policy_type empty on failure rows
//     and copies one policy's strings into the rows of the next policy
//     when that one has none; here every row carries its own policy.
//   - parsedmarc fills mx_host_patterns only from the draft member name
//     "mx-host-pattern"; here it is the RFC's mx-host, whatever name the
//     sender used.
//   - Dates: parsedmarc passes the reporter's strings through; here they
//     are RFC 3339 in UTC, repaired where the sender left out the zone.
//   - parsedmarc's JSON output nests failure_details in policies in
//     reports; the JSON Lines here are the flat rows, one object each, with
//     the CSV's names.
//   - New columns: row_type, report_key, contact_info (in parsedmarc's JSON
//     only), policy_index, policy_mode, detail_index, trust, source,
//     received_at.
//
// # MTA
//
// A Store is the durable side of a sending MTA's reporting: it implements
// aggregate.Store, which the aggregator's flusher writes counts to and
// builds the day's reports from, and submit.Queue, which delivery takes
// reports from. Every node of a fleet opens the same database (PostgreSQL
// for several machines; SQLite for processes of one machine), and the
// reports cover every node's sessions.
//
//   - Counts. ApplyBatch adds a node's aggregate.Batch to the counts of its
//     days in one transaction that first records (node, seq) as applied:
//     when the pair was applied before, the transaction changes nothing, so
//     a flush retried after a lost answer or a crash counts once. A node's
//     applied seqs are kept as runs of consecutive seqs (1..n for a node
//     that flushes in order: one row, not one per flush), and its batches
//     are serialised (SQLite's write lock; on PostgreSQL an advisory lock
//     on the node's name), so that a retry racing its first attempt is
//     seen; LastSeq waits for that lock too, so that a node restarted right
//     after a crash does not read its last Seq while the server still
//     commits its predecessor's last batch (and reuse that Seq). Counts are
//     kept per (day, policy) (the summary) and per (day, policy, failure
//     detail), added with INSERT … ON CONFLICT DO UPDATE; the rows of a
//     batch are written in key order, so concurrent batches do not
//     deadlock, and on PostgreSQL a deadlock or serialization failure runs
//     the transaction again. DayCounts reads a day back as
//     []report.PolicyResult in one statement.
//   - Keys. A policy is identified by the SHA-256 of "tlsrpt-mta-policy-v1\n"
//     followed by the canonical JSON (policy.Policy.MarshalJSON) of its
//     stored form: policy-domain and mx-host lower-case without a trailing
//     dot, tlsa strings lower-case and sorted, so that two policies share a
//     key exactly when policy.Policy.Key is equal (that Key itself is not
//     persisted: its encoding may change). A failure detail is identified
//     by the SHA-256 of "tlsrpt-mta-detail-v1\n" and a JSON object of its
//     members but failed-session-count (RFC 8460 §4.4), compared exactly.
//     The JSON is stored beside each key (policy_json, detail_json), so
//     the rows are readable with SQL. A new encoding gets a new prefix and
//     a migration.
//   - Claims. ClaimReport is one upsert that takes the (day, policy domain)
//     row when it is free, held by the same node, or its lease ended at or
//     before the claim's Now, and never once FinishReport marked it
//     finished; FinishReport fails with aggregate.ErrNotClaimed when
//     another node took the claim over. ForgetDay deletes a day's counts
//     and claims; the applied seqs stay.
//   - Queue. Enqueue inserts a job once per ID (the report-id); Lease is one
//     UPDATE of the due, unfinished jobs whose lease is free or expired, with
//     FOR UPDATE SKIP LOCKED on PostgreSQL, so that nodes leasing at once get
//     disjoint jobs; Save writes the attempt's outcome (the per-rua outcomes
//     as a JSON array) and releases the lease, and fails with
//     submit.ErrNotLeased when another node leased the job meanwhile.
//     Finished jobs stay in tlsrpt_mta_jobs, report included: they are what
//     makes a second Enqueue of the same report-id change nothing, and
//     what an operator reads to see where a report went. ForgetDay does not
//     delete them; DeleteFinishedJobs deletes those enqueued before a time
//     (run it for days the MTA has forgotten: a report that can no longer
//     be claimed can no longer be enqueued twice).
//
// Leases compare the callers' clocks (Claim.Now, Lease's now), never the
// database's: the nodes' clocks should agree to well within a lease.
//
// The tests check this on both engines with real processes:
// TestCrashRecovery SIGKILLs a node that records sessions through an
// aggregate.Flusher at full speed 60 times and restarts it, each session
// counted apart, and finds every acknowledged session stored, none twice,
// none unrecorded; TestFleetReports compares the reports of three nodes
// sharing a Store with one Aggregator's, byte for byte; and
// TestClaimTakeoverKilled takes over a report whose claiming node was
// killed.
//
// BenchmarkApplyBatch measures a flush per distinct failure-detail key:
// on the project's 2-core machine, about 7 µs of this process's CPU on
// SQLite (the engine included) and 8 to 9 µs on PostgreSQL (the server's
// not included), 11 to 60 µs of wall time on the machine shared and
// loaded; a flush of 10,000 keys took 0.11 to 0.6 s.
//
// # MTA-STS policy cache
//
// For the sending side, Store.STSCacheStore is a policy.STSCacheStore:
// the Store field of a policy.STSCache, which then keeps the MTA-STS
// policies it fetched in the table tlsrpt_sts_cache, one row per policy
// domain. RFC 8461 §5.1 has a sender use a cached policy until its
// max_age has passed; kept in the database, the cache survives restarts,
// and a fleet of MTAs sharing the database fetches each policy once: what
// one node fetched (or failed to fetch, which is not retried for five
// minutes) the others read. Put replaces the row in one upsert, so
// processes that Put the same domain at once never fail and the last
// write wins. Get gives back every field Put was given, times in UTC to
// the microsecond; the Err of a stored failure keeps its message, a
// *tlsrpt.Diagnostic its fields, and errors.Is still matches
// tlsrpt.ErrTooLarge and context.DeadlineExceeded, but other error types
// are not kept (STSCacheStore says what else).
//
// # Schema
//
// Open creates or upgrades the schema: a list of numbered migrations, each
// a list of statements per dialect, applied in order in one transaction;
// the table tlsrpt_schema_migrations records the versions applied. Version
// 1 has the tables tlsrpt_reports (one per report: reporter, id, dates,
// content hash, source, arrival, trust), tlsrpt_report_data (canonical
// JSON and raw bytes), tlsrpt_diagnostics, tlsrpt_policies and
// tlsrpt_failures, and the two views. Version 2, the MTA side (see
// "MTA"), adds tlsrpt_mta_applied (each node's applied seqs as runs
// first..last of consecutive seqs, a row per node but for retries out of
// order), tlsrpt_mta_policy_counts and tlsrpt_mta_failure_counts (the
// counts per day and key, with the JSON), tlsrpt_mta_claims (day, policy
// domain, node, lease end, finished) and tlsrpt_mta_jobs (the queue, with
// a partial index of unfinished jobs by due time). Version 3 adds
// tlsrpt_sts_cache, the MTA-STS policy cache. Version 4 adds the views'
// rollups (tlsrpt_policy_rollup, tlsrpt_failure_rollup,
// tlsrpt_daily_reporters, tlsrpt_daily_policies, tlsrpt_daily_domains;
// see Views) and fills them
// from the stored reports. Every name starts with "tlsrpt_", so
// the tables can share a database with others. Times are TIMESTAMPTZ on
// PostgreSQL and RFC 3339 UTC text with six fraction digits on SQLite; IP
// addresses are text. Keys increase with each report stored, with gaps on
// PostgreSQL.
//
// # Durability
//
// A Put returns after its transaction committed. With SQLiteDSN's
// settings, write-ahead logging and synchronous=NORMAL, a committed report
// survives the program crashing, but the last transactions before a power
// loss or operating system crash may be lost (the database stays
// consistent): the trade SQLite's documentation recommends for WAL, worth
// about a disk sync per commit. The mail or HTTPS sender still has a lost
// report, and ingesting a Maildir again stores only what is missing. For
// synchronous=FULL, open the database with your own DSN. PostgreSQL's
// durability is the server's (synchronous_commit).
//
// PutBatch stores many entries in one transaction, one commit: an import
// of a mailbox should use it. On the project's 2-core machine, with the
// views' rollups (schema version 4) that roughly halve the rate,
// BenchmarkIngestSQLite decodes and stores about 1,800 reports per
// CPU-second one Put at a time and 5,700 in batches of 100 (5,000
// reports; random inserts into the unique indexes cost more as the
// archive grows); the README has the numbers.
//
// # Limits
//
// The store keeps what it is given: size caps belong to the reader of the
// untrusted input (report.Decoder.MaxSize, the mail parser's, the HTTPS
// receiver's), before Put. A report's rows are stored by multi-row
// inserts of at most 990 values each, within both engines' parameter
// limits. Times are stored to the microsecond (Received, the rows' date
// ranges; Get's Report keeps the full precision). CSV cells are written
// as the reporters sent them: a value starting with "=" is not defused
// for spreadsheets.
package store
