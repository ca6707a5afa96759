package aggregate

import (
	"context"
	"errors"
	"time"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// Store keeps the counts of every node of a fleet durably, so that a node
// that crashes loses at most its last flush interval and the day's reports
// cover every node's sessions. Package store implements it over SQLite and
// PostgreSQL; an MTA with its own database implements it there.
//
// Counts arrive as Batches. A Batch is applied whole or not at all, and a
// Batch is identified by (Node, Seq): applying one that was applied before
// changes nothing, so a flush retried after a lost answer is never counted
// twice.
//
// Any node may build a day's report for a policy domain, but handing it
// over is claimed with a lease, so that exactly one node of a fleet hands
// over each report (RFC 8460 §4.1: one report per policy domain per day);
// a claim whose node died is taken over once its lease expires.
//
// Implementations must be safe for concurrent use by several goroutines
// and by several processes sharing the database.
type Store interface {
	// ApplyBatch adds the counts of b to the stored counts in one
	// transaction and records (b.Node, b.Seq) as applied. When that pair
	// was applied before, it changes nothing and returns nil.
	ApplyBatch(ctx context.Context, b *Batch) error
	// LastSeq returns the highest Seq applied for node, or 0 when no
	// Batch of node was applied. A restarted node continues after it.
	LastSeq(ctx context.Context, node string) (uint64, error)
	// DayCounts returns the counts of the UTC day that starts at day,
	// summed over every node: one PolicyResult per distinct policy
	// (compared as policy.Policy.Key compares), each with its summary and
	// one failure detail per distinct detail (compared by every member
	// except failed-session-count). The order is unspecified.
	DayCounts(ctx context.Context, day time.Time) ([]report.PolicyResult, error)
	// Days returns the UTC days (at 00:00:00Z) that have stored counts, in
	// ascending order.
	Days(ctx context.Context) ([]time.Time, error)
	// ClaimReport claims the report of (day, policyDomain) for node until
	// the lease time. It returns true when node now holds the claim: there
	// was none, node held it already (the lease is then extended), or
	// another node's lease had expired at now. It returns false when
	// another node holds an unexpired claim or the report is finished.
	ClaimReport(ctx context.Context, c Claim) (bool, error)
	// FinishReport marks the report of (c.Day, c.PolicyDomain) finished:
	// no node claims it again. It fails with ErrNotClaimed when c.Node
	// does not hold the claim.
	FinishReport(ctx context.Context, c Claim) error
	// ForgetDay deletes the counts and claims of the UTC day that starts
	// at day. The applied (node, seq) pairs are kept.
	ForgetDay(ctx context.Context, day time.Time) error
}

// Batch is the counts one node recorded since its previous flush: the
// unit a Store applies atomically and exactly once.
type Batch struct {
	// Node names the node that recorded the counts; it is unique within
	// a fleet and stable across the node's restarts.
	Node string
	// Seq numbers the node's batches 1, 2, 3, …; a Batch keeps its Seq
	// when its flush is retried.
	Seq uint64
	// Days holds the counts, one element per UTC day.
	Days []DayCounts
}

// DayCounts is the counts of one UTC day in a Batch.
type DayCounts struct {
	// Day is the UTC day, at 00:00:00Z.
	Day time.Time
	// Policies holds one element per policy with counts on Day: its
	// summary's session counts and its failure details with their
	// failed-session-count, all as increments.
	Policies []report.PolicyResult
}

// Claim identifies a node's claim on one day's report for one policy
// domain (RFC 8460 §4.1: one report per policy domain per day).
type Claim struct {
	// Day is the UTC day of the report, at 00:00:00Z.
	Day time.Time
	// PolicyDomain is the policy domain of the report, a lower-case
	// A-label.
	PolicyDomain string
	// Node is the claiming node.
	Node string
	// Now is the time the claim is made at, against which leases are
	// compared; the caller's clock.
	Now time.Time
	// Until is when the claim's lease expires unless renewed.
	Until time.Time
}

// ErrNotClaimed is returned by Store.FinishReport when the node does not
// hold the claim it finishes.
var ErrNotClaimed = errors.New("aggregate: report not claimed by this node")
