package aggregate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// FlushConfig configures a Flusher. Only Node is required.
type FlushConfig struct {
	// Node names this node in the Store: every Batch it flushes and every
	// report it claims carries it. It must be stable across the node's
	// restarts (a host name, a configured instance name), so that a
	// restarted node continues its Batch numbering, and unique within
	// the fleet sharing the Store. Two processes running at the same
	// time with the same Node is a misuse: their Batches share one
	// numbering, and the Store takes the second Batch of a number for a
	// replay of the first and drops its counts. NewFlusher fails with
	// ErrConfig when Node is empty.
	Node string
	// Interval is how often Run flushes. Zero means one second; it bounds
	// what a crash can lose (see Flusher).
	Interval time.Duration
	// Lease is how long a report claimed by ClaimReports stays this
	// node's without FinishReport: another node takes the report over
	// once it expires. It must exceed the time from ClaimReports to
	// FinishReport. Zero means 15 minutes.
	Lease time.Duration
	// Now returns the current time, the clock of claims and leases. Nil
	// means time.Now.
	Now func() time.Time
	// OnError, when set, is called by Run with the error of each failed
	// flush (for logging or metrics; the flush is retried at the next
	// interval). Nil means such errors are dropped; the counts are kept
	// all the same.
	OnError func(error)
}

// defaultFlushInterval is the interval of Run when FlushConfig.Interval
// is zero.
const defaultFlushInterval = time.Second

// defaultLease is the lease of a claimed report when FlushConfig.Lease is
// zero.
const defaultLease = 15 * time.Minute

// Flusher makes an Aggregator durable and fleet-safe: it flushes the
// counts recorded since its previous flush to a Store as a Batch, builds
// the day's reports from the counts of every node in the Store, and
// claims them so that exactly one node of the fleet hands each report
// over for delivery. Create it with NewFlusher; run Run in a goroutine
// and call Close on shutdown.
//
// Each flush is a Batch numbered by (Node, Seq), Seq counting 1, 2, 3, …
// across restarts (NewFlusher continues after Store.LastSeq). The Store
// applies a Batch whole and once, so:
//
//   - A Batch whose ApplyBatch failed (the database was down, or its
//     answer was lost after it committed) is kept and applied again, with
//     the same Seq and the same counts, before any new Batch: if it had
//     been applied, the retry changes nothing; sessions recorded in the
//     meantime go into the next Batch.
//   - A crash loses the sessions recorded since the last flush the Store
//     acknowledged: at most one Interval of them, plus the time a failing
//     Store was down. Nothing acknowledged is lost and no session is ever
//     counted twice: acknowledged ≤ recovered ≤ recorded.
//
// Record does not wait for flushes; the Aggregator marks what changed, so
// a flush costs in proportion to the entries counted since the previous
// one, not to all entries held.
//
// Give an Aggregator one Flusher. Counts added by MergeSnapshot are
// flushed like recorded ones, so merging a snapshot of counts the Store
// already holds counts them twice. Every method is safe for concurrent
// use.
type Flusher struct {
	agg   *Aggregator
	st    Store
	cfg   FlushConfig
	close chan struct{}
	once  sync.Once

	mu      sync.Mutex // serialises flushes
	seq     uint64     // Seq of the last Batch made
	pending *Batch     // made, not acknowledged
}

// NewFlusher returns a Flusher that flushes agg's counts to st as node
// cfg.Node. It reads the node's last applied Seq from st, so that a
// restarted node continues its numbering. Counts agg holds already are
// flushed by the first flush.
func NewFlusher(ctx context.Context, agg *Aggregator, st Store, cfg FlushConfig) (*Flusher, error) {
	if cfg.Node == "" {
		return nil, fmt.Errorf("%w: empty FlushConfig.Node", ErrConfig)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = defaultFlushInterval
	}
	if cfg.Lease <= 0 {
		cfg.Lease = defaultLease
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	seq, err := st.LastSeq(ctx, cfg.Node)
	if err != nil {
		return nil, err
	}
	return &Flusher{agg: agg, st: st, cfg: cfg, seq: seq, close: make(chan struct{})}, nil
}

// Flush flushes the counts recorded since the previous flush: it first
// applies again a Batch whose ApplyBatch failed, if any, then takes the
// new counts into a Batch with the next Seq and applies it. When there is
// nothing to flush it does nothing. On error the failed Batch is kept for
// the next Flush (or Close), so no count is lost while the process runs.
func (f *Flusher) Flush(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending != nil {
		if err := f.st.ApplyBatch(ctx, f.pending); err != nil {
			return err
		}
		f.pending = nil
	}
	days := f.agg.takeDeltas()
	if len(days) == 0 {
		return nil
	}
	f.seq++
	f.pending = &Batch{Node: f.cfg.Node, Seq: f.seq, Days: days}
	if err := f.st.ApplyBatch(ctx, f.pending); err != nil {
		return err
	}
	f.pending = nil
	return nil
}

// Run flushes every FlushConfig.Interval until ctx is done or Close is
// called, and returns then (nil after Close, ctx.Err() otherwise). A
// failed flush is reported to FlushConfig.OnError and retried at the next
// interval. Run does not flush when it returns: Close does.
func (f *Flusher) Run(ctx context.Context) error {
	t := time.NewTicker(f.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.close:
			return nil
		case <-t.C:
			if err := f.Flush(ctx); err != nil && f.cfg.OnError != nil {
				f.cfg.OnError(err)
			}
		}
	}
}

// Close stops Run and flushes a last time. When that flush fails, the
// counts not acknowledged are still in the Aggregator and the Flusher:
// Close (or Flush) may be called again.
func (f *Flusher) Close(ctx context.Context) error {
	f.once.Do(func() { close(f.close) })
	return f.Flush(ctx)
}

// takeDeltas returns the counts added since the previous call, by UTC day
// (ascending), each day's policies ordered by policy domain and Key, their
// details as report.FailureDetail.Compare orders them; and marks them
// handed out. It visits only the entries marked dirty.
func (a *Aggregator) takeDeltas() []DayCounts {
	type sumDelta struct {
		k                  summaryKey
		successful, failed int64
	}
	type detailDelta struct {
		detailCountKey
		n int64
	}
	var sums []sumDelta
	var details []detailDelta
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		for _, c := range sh.dirtySums {
			c.dirty = false
			s, f := c.successful-c.flushedSuccessful, c.failed-c.flushedFailed
			if s != 0 || f != 0 {
				sums = append(sums, sumDelta{c.key, s, f})
				c.flushedSuccessful, c.flushedFailed = c.successful, c.failed
			}
		}
		for _, dc := range sh.dirtyDetails {
			dc.dirty = false
			if n := dc.n - dc.flushed; n != 0 {
				details = append(details, detailDelta{dc.detailCountKey, n})
				dc.flushed = dc.n
			}
		}
		// Keep the capacity, drop the pointers.
		clear(sh.dirtySums)
		sh.dirtySums = sh.dirtySums[:0]
		clear(sh.dirtyDetails)
		sh.dirtyDetails = sh.dirtyDetails[:0]
		sh.mu.Unlock()
	}
	if len(sums) == 0 && len(details) == 0 {
		return nil
	}

	// Group by (day, policy).
	index := make(map[summaryKey]int, len(sums)) // in pcs
	var keys []summaryKey
	var pcs []policyCounts
	get := func(k summaryKey) *policyCounts {
		i, ok := index[k]
		if !ok {
			i = len(pcs)
			index[k] = i
			keys = append(keys, k)
			pcs = append(pcs, policyCounts{})
		}
		return &pcs[i]
	}
	for _, s := range sums {
		pc := get(s.k)
		pc.summary.TotalSuccessfulSessionCount += s.successful
		pc.summary.TotalFailureSessionCount += s.failed
	}
	for _, d := range details {
		pc := get(summaryKey{day: d.day, policy: d.policy})
		pc.details = append(pc.details, d.detail.detail(d.n))
	}
	ids := make([]PolicyID, len(keys))
	for i, k := range keys {
		ids[i] = k.policy
	}
	for i, e := range a.policies.entries(ids) {
		pcs[i].policyEntry = e
	}
	order := make([]int, len(pcs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		if c := cmp.Compare(keys[i].day, keys[j].day); c != 0 {
			return c
		}
		if c := cmp.Compare(pcs[i].p.Domain, pcs[j].p.Domain); c != 0 {
			return c
		}
		return cmp.Compare(pcs[i].key, pcs[j].key)
	})
	var out []DayCounts
	for _, i := range order {
		if n := len(out); n == 0 || dayNumber(out[n-1].Day) != keys[i].day {
			out = append(out, DayCounts{Day: dayStart(keys[i].day)})
		}
		dc := &out[len(out)-1]
		dc.Policies = append(dc.Policies, report.PolicyResult{
			Policy:         clonePolicy(pcs[i].p),
			Summary:        pcs[i].summary,
			FailureDetails: sortDetails(pcs[i].details),
		})
	}
	return out
}
