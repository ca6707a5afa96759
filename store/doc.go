// Package store keeps SMTP TLS reports (RFC 8460) in a SQL database, the
// one persistence layer of the module: the analyzer's archive of every
// report received, de-duplicated, with a flat view of rows for dashboards
// and exports. It works over database/sql and does not import a driver:
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
// a report (schema version 2): a narrow row per policy and per failure
// detail with the UTC day, reporter, domain, type, mode, result type,
// lower-case MX host and sending IP, indexed by date and by domain; and
// per UTC day and reporter (and policy type and mode) the distinct reports
// and session sums, which answer the reporter and policy breakdowns and
// the previous window of a summary over all domains in whole UTC days.
// Readiness reads the two views.
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
// # Schema
//
// Open creates or upgrades the schema: a list of numbered migrations, each
// a list of statements per dialect, applied in order in one transaction;
// the table tlsrpt_schema_migrations records the versions applied. Version
// 1 has the tables tlsrpt_reports (one per report: reporter, id, dates,
// content hash, source, arrival, trust), tlsrpt_report_data (canonical
// JSON and raw bytes), tlsrpt_diagnostics, tlsrpt_policies and
// tlsrpt_failures, and the two views. Version 2 adds the views' rollups
// (tlsrpt_policy_rollup, tlsrpt_failure_rollup, tlsrpt_daily_reporters,
// tlsrpt_daily_policies; see Views) and fills them from the stored
// reports. Every name starts with "tlsrpt_", so
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
// views' rollups (schema version 2) that roughly halve the rate,
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
