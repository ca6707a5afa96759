package submit

import (
	"context"
	"errors"
	"time"
)

// Queue keeps the reports waiting for delivery durably, so that pending
// deliveries and their RFC 8460 §5.5 retry schedule survive restarts and
// are shared by every node of a fleet. Package store implements it over
// SQLite and PostgreSQL.
//
// A Job is leased before it is delivered: one node at a time holds it,
// and a Job whose node died mid-delivery is leased again by another once
// the lease expires. Implementations must be safe for concurrent use by
// several goroutines and several processes sharing the database.
type Queue interface {
	// Enqueue adds j, due at j.NextAttempt. It returns false and changes
	// nothing when a Job with the same ID is queued or was finished, so
	// that nodes handing over the same report enqueue it once.
	Enqueue(ctx context.Context, j *Job) (bool, error)
	// Lease returns up to max unfinished Jobs due at now (NextAttempt at
	// or before now) whose lease is free or expired at now, and leases
	// them to node until the given time, in one transaction. Jobs are
	// returned in NextAttempt order.
	Lease(ctx context.Context, node string, now, until time.Time, max int) ([]*Job, error)
	// Save stores j's FirstAttempt, Attempts, NextAttempt, Outcomes and
	// Done, and releases node's lease on it. It fails with ErrNotLeased
	// when node does not hold j's lease (it expired and another node
	// leased it).
	Save(ctx context.Context, node string, j *Job) error
}

// Job is one report waiting for delivery, as a Queue keeps it.
type Job struct {
	// ID identifies the Job: the report's report-id (unique per report,
	// RFC 8460 §4.4).
	ID string
	// PolicyDomain is the domain whose TLSRPT record names the
	// destinations (RFC 8460 §3).
	PolicyDomain string
	// Report is the report, canonical JSON (report.Report.MarshalJSON).
	Report []byte
	// Created is when the Job was enqueued.
	Created time.Time
	// FirstAttempt is when delivery was first tried; zero before that. The
	// retry window of RFC 8460 §5.5 counts from it.
	FirstAttempt time.Time
	// NextAttempt is when the Job is next due.
	NextAttempt time.Time
	// Attempts counts delivery attempts made.
	Attempts int
	// Done is set once one destination accepted the report (RFC 8460 §3)
	// or no retry can help: every destination failed permanently, the
	// retry window is over, the policy domain publishes no usable TLSRPT
	// record, or Report does not decode.
	Done bool
	// Outcomes holds the latest outcome at each destination, one per rua
	// URI, in record order; when the last record lookup failed (or Report
	// did not decode), an outcome with an empty URI saying why comes
	// first.
	Outcomes []JobOutcome
}

// JobOutcome is the latest outcome of a Job at one rua destination.
type JobOutcome struct {
	// URI is the rua URI, as in the record; empty for the outcome of the
	// record lookup itself (Worker: no usable record, DNS failure).
	URI string
	// Status is the outcome's status.
	Status Status
	// StatusCode is the HTTP status or SMTP reply code; zero when none.
	StatusCode int
	// Error is the outcome's error text; empty when accepted.
	Error string
	// Time is when the outcome happened.
	Time time.Time
}

// ErrNotLeased is returned by Queue.Save when the node does not hold the
// Job's lease.
var ErrNotLeased = errors.New("submit: job not leased by this node")
