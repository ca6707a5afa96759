// Package aggregate is the MTA side of SMTP TLS Reporting (RFC 8460): it
// records the outcome of every outbound TLS session, counts them per
// (UTC day, policy domain, policy, failure detail), and produces the
// day's reports, one per policy domain (RFC 8460 §4.1).
//
// An MTA registers each applied policy once with PolicyID, records each
// session with Record, and after the day ends (Scheduler.SendTime picks
// when, RFC 8460 §4.1) calls Reports and then Forget:
//
//	agg := aggregate.New(aggregate.Config{OrganizationName: "Example Mail", ContactInfo: "tlsrpt@mail.example"})
//	id, err := agg.PolicyID(p) // once per policy; the handle can be cached
//	err = agg.Record(aggregate.Session{Time: time.Now(), Policy: id})
//	reports, err := agg.Reports(yesterday)
//
// # Classifying sessions
//
// ClassifyTLSError turns the error of a session's STARTTLS step — from
// crypto/tls or crypto/x509, an alert from the server, go-smtp's errors
// for a server that does not offer STARTTLS or answers it with 454,
// ErrSTARTTLSNotOffered, or the MTA's own *ResultError — into the
// result-type and a short, stable failure-reason-code of the failure
// detail to record (RFC 8460 §4.3); its documentation has the table of
// codes.
//
// # Counting
//
// A session is one SMTP connection attempt toward a receiving MX under one
// applied policy (RFC 8460 §4.2). A session without failure details counts
// in total-successful-session-count (§4.2.1). A failed session counts once
// in total-failure-session-count and once in the failed-session-count of
// every distinct failure detail it lists: result types are non-exclusive
// (§4.2, §4.3), so the details' counts need not add up to the total.
// Failure details are told apart by every member except the count:
// result-type, sending-mta-ip, receiving-mx-hostname, receiving-mx-helo,
// receiving-ip, additional-information and failure-reason-code (§4.4).
// Days are UTC days: a session at 23:59:59.999Z counts on that day, one at
// 00:00:00Z on the next.
//
// What is recorded is what gets sent, so PolicyID and Record normalise
// their input into the form (*report.Report).Validate accepts and refuse
// (ErrInvalidPolicy, ErrInvalidDetail; nothing is counted) what cannot be
// sent: domains become lower-case A-labels; addresses are unmapped and
// lose their zone; tlsa RRs are canonical and sorted; receiving-mx-helo is
// cut to the first line and 255 octets; text a remote server chose
// (receiving-mx-helo, failure-reason-code) has invalid UTF-8 replaced by
// U+FFFD. Refused are unregistered result types (RFC 8460 §4.3),
// multicast or unspecified addresses, an additional-information that is
// not an absolute URI, policy types other than the three of §4.4.
//
// The result types validation-failure and certificate-not-trusted SHOULD
// carry a failure-reason-code (RFC 8460 §4.3.1; ClassifyTLSError gives
// one). A session recorded without one is counted all the same, and
// its detail is reported without the member (Validate accepts that): the
// failure is not lost, and no code is invented for a cause the MTA did not
// see.
//
// A session that delivered a TLS report is marked with
// Session.ReportDelivery and never counted (RFC 8460 §3: such sessions
// SHOULD NOT be included in the next report; this also keeps a failing
// report endpoint from generating reports about itself). Stats counts
// them.
//
// # Reports
//
// Reports covers 00:00:00Z to 23:59:59Z of the day (the form of RFC 8460
// Appendix B). The report-id has the form
//
//	<YYYY-MM-DD>.<policy-domain>.<16 hex digits>@<id-right>
//
// which is a msg-id without its angle brackets (RFC 5322 §3.6.4), so the
// same value can go in the Subject (RFC 8460 §5.3). The hex digits are
// the first 8 bytes of the SHA-256 of "tlsrpt-report-id-v1", the day, the
// policy domain, OrganizationName, ContactInfo and the id-right, each
// followed by a NUL byte: every node with the same Config gives a report
// the same report-id. Policies are ordered
// by policy.Policy.Key and failure details by their members, so the same
// counts always give the same report.
//
// # Durable and fleet-safe counts
//
// An Aggregator holds its counts in memory. A Flusher makes them durable
// and shares them across a fleet through a Store (package store
// implements it over SQLite and PostgreSQL): every second by default it
// flushes what was counted since its previous flush as a Batch numbered
// (node, sequence), which the Store applies whole and once. A failed
// flush is retried with the same number, so a lost answer never counts a
// session twice; a crash loses at most the sessions counted since the
// last acknowledged flush (acknowledged ≤ recovered ≤ recorded). Record
// stays allocation-free and never waits for the Store: each count entry
// carries its pending increment and is listed once per flush interval,
// so a flush costs in proportion to the entries counted since the
// previous one.
//
//	fl, err := aggregate.NewFlusher(ctx, agg, st, aggregate.FlushConfig{Node: "mta1"})
//	go fl.Run(ctx)
//	defer fl.Close(ctx)
//	// after the day (Scheduler.SendTime):
//	err = fl.Forget(ctx, day) // the Store holds the day's counts now
//	claimed, err := fl.ClaimReports(ctx, day)
//	for _, c := range claimed {
//		// hand c.Report over for delivery (submit.Queue.Enqueue), then
//		err = fl.FinishReport(ctx, c)
//	}
//
// (*Flusher).Reports builds a day's reports from the counts of every node
// in the Store by the rules of (*Aggregator).Reports, so a fleet gives
// byte for byte the reports one Aggregator recording every session would,
// report-ids included, when its nodes share a Config. ClaimReports claims
// each report for the calling node with a lease (Store.ClaimReport), so
// that exactly one node hands it over; a node that dies holding a claim
// loses it when the lease expires. The node id (FlushConfig.Node) is
// stable across restarts and unique within the fleet.
//
// Without a Store, RFC 8460 reports can carry counts to an analyzer or
// between processes: report.Merge adds up reports, and the merged reports
// of several Aggregators with the same Config are byte for byte the report
// of one Aggregator that recorded all their sessions (with OnlyFailures
// unset: a node leaves out the reports of domains where it saw no
// failure).
//
// # Snapshots
//
// Counts are plain sums, so partial aggregates add up: WriteSnapshot
// writes an Aggregator's counts and MergeSnapshot adds a snapshot's counts
// to another Aggregator. Merging the snapshots of N nodes gives the
// reports that one node recording every session gives; restoring a
// snapshot written before a restart loses nothing that was snapshotted.
// Snapshots are for an Aggregator without a Flusher (a single process
// that keeps its counts in a file, or a copy of the counts to inspect):
// a Flusher already makes the counts durable and shares them across the
// fleet, and the counts of a snapshot merged into an Aggregator that has a
// Flusher are flushed like recorded ones, so sessions the Store already
// holds count twice.
//
// A snapshot is UTF-8 JSON lines (one JSON object per line, every line,
// the last one included, ending in "\n"). Version 2:
//
//	{"format":"tlsrpt-aggregate-snapshot","version":2}
//	{"record":"policy","id":1,"policy-type":"sts","policy-string":["version: STSv1","mode: enforce"],"policy-domain":"example.com","mx-host":["*.mx.example.com"]}
//	{"record":"summary","day":"2026-11-24","policy":1,"successful":10,"failed":2}
//	{"record":"failure","day":"2026-11-24","policy":1,"result-type":"certificate-expired","receiving-mx-hostname":"mx1.example.com","receiving-ip":"192.0.2.25","count":2}
//	{"record":"end","records":3,"crc32c":"b7aa421d"}
//
// The first line is the header; a reader rejects another format name with
// ErrNotSnapshot and another version with ErrUnsupportedVersion. "policy"
// records define the policies (members as in RFC 8460 §4.4) under ids
// local to the snapshot, before any use. "summary" records carry the
// session totals of one policy on one UTC day, "failure" records the
// failed-session-count of one failure detail (the members of RFC 8460
// §4.4's failure-details; empty ones are omitted) of one policy on one
// day. Counts are integers in [0, 2^53−1]. Records with the same day,
// policy (and detail) add up; a detail may not count more sessions than
// its policy's "failed" total that day. Unknown members or record kinds
// are ErrCorrupt; a future format that adds any will carry a new version.
// WriteSnapshot writes policies ordered by Key, then counts by day, policy
// and detail: equal counts give byte-identical snapshots.
//
// The "end" record gives the number of records between the header and
// itself, and in "crc32c" the CRC-32C (Castagnoli polynomial, RFC 3720
// §B.4; hash/crc32.Castagnoli) of every byte before its line, header and
// newlines included, as 8 lower-case hex digits. It must be written
// exactly as above (members in that order, no spaces), so that no byte of
// a snapshot goes unchecked. What MergeSnapshot reports for a snapshot
// that is not intact:
//
//   - Any proper prefix of a snapshot WriteSnapshot wrote, the empty
//     input included, is ErrTruncated: input that does not end in the end
//     record's newline was cut short (by a crash while writing or copying
//     it) and is rejected whole rather than merged in part.
//   - More than Config.MaxSnapshotSize bytes is ErrTooLarge, wherever the
//     cap falls.
//   - Damage after the header line is ErrCorrupt: the checksum catches
//     every single-bit error and every error burst of up to 32 bits, other
//     damage with probability 1−2^−32. The exception is damage to the
//     final newline, which makes the snapshot look cut (ErrTruncated).
//     The checksum guards against accidents, not forgery: anyone can
//     write a snapshot with a valid one.
//   - Damage to the header can make it another format or version
//     (ErrNotSnapshot, ErrUnsupportedVersion), since the header says how
//     the rest is checked; otherwise the checksum, which covers the
//     header too, makes it ErrCorrupt.
//
// Nothing of a rejected snapshot is merged. The error is a
// *tlsrpt.Diagnostic, the one error shape of the module, whose Err is the
// sentinel (errors.Is works as above) and whose Path ("line 3"), Offset
// and Code say where and what:
//
//	code                            Err
//	snapshot-not-snapshot           ErrNotSnapshot
//	snapshot-unsupported-version    ErrUnsupportedVersion
//	snapshot-corrupt                ErrCorrupt
//	snapshot-truncated              ErrTruncated
//	snapshot-too-large              ErrTooLarge (tlsrpt.ErrTooLarge)
//	snapshot-read-error             the reader's error
//
// Version 1, written by earlier releases, is version 2 without the
// "crc32c" member and without the fixed form of the end record. It is
// still read, so that a snapshot written before an
// upgrade is not lost, but nothing detects its damage: a changed count
// may merge. WriteSnapshot writes only version 2, which earlier releases
// reject with ErrUnsupportedVersion: upgrade the nodes that merge
// snapshots before those that write them.
//
// # Concurrency
//
// Every method is safe for concurrent use. Record touches one of 64
// mutex-protected shards, chosen by (day, policy): sessions under
// different policies rarely contend, while sessions under one policy
// share a lock. Nothing in Record waits for I/O or allocates once its
// (day, policy, detail) keys exist: a failure detail is looked up by a
// compact binary encoding built in a stack buffer, one hash per detail,
// and each detail entry points at its summary. PolicyID builds the
// policy's Key, so callers that record many sessions cache the PolicyID
// with the policy. Reports, WriteSnapshot, Days, Forget, Stats and a
// Flusher's flush lock each shard briefly in turn, so their view of the
// counts is consistent per (day, policy) pair, not across pairs;
// WriteSnapshot and the flush do their I/O after releasing the locks.
// MergeSnapshot parses the whole snapshot before it takes any lock.
//
// # Limits
//
//   - Memory grows with the number of distinct (day, policy, failure
//     detail) keys held: roughly 400 bytes plus twice the detail's strings
//     per key. Forget frees a day. Registered policies are never
//     forgotten.
//   - Counts in memory are int64; a detail's strings are kept as given
//     apart from the normalisation above (receiving-mx-helo at most 255
//     octets).
//   - MergeSnapshot reads at most Config.MaxSnapshotSize bytes
//     (1 GiB when zero) and lines of at most 1 MiB; beyond either it
//     fails with ErrTooLarge, even when the cap falls inside a line. It
//     holds the parsed snapshot in memory until it is merged.
//   - Counts from snapshots are at most 2^53-1 each (the largest
//     integer I-JSON carries exactly, RFC 7493 §2.2); merged sums
//     saturate at the largest int64.
//
// # Interoperability
//
// The reports follow RFC 8460 §4.4 as written: arrays are never null,
// domains are lower-case A-labels, IP addresses are unmapped, zone-free,
// RFC 5952 text, date-range ends at 23:59:59Z like Google's and the
// RFC's Appendix B, and tlsa policy strings are in RFC 6698 §2.2
// presentation form, sorted (RFC 8460 §4.5; an RRset is unordered).
// What an MTA hands over is tolerated where the intent is clear:
// QUIRK(Postfix tlsrpt library): the whole multi-line EHLO reply as
// receiving-mx-helo is cut to its first line (RFC 8460 §4.4); zone-file
// TLSA text ("3 1 1 ( AB CD )") is canonicalised (RFC 8460 §4.5); an
// IPv4-mapped peer address from a dual-stack socket is unmapped. The
// snapshot format is this package's own; no other reporter reads it.
package aggregate
