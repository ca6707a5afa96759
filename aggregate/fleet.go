package aggregate

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// Reports returns the reports of the UTC day that contains day built from
// the counts of every node in the Store (Store.DayCounts), after flushing
// this node's counts. The reports follow exactly the rules of
// (*Aggregator).Reports, with the Config of the Flusher's Aggregator: a
// fleet whose nodes share a Config and a Store gives byte for byte the
// reports that one Aggregator recording every session gives, report-ids
// included.
//
// The counts of another node reach the Store only when that node flushes,
// so build a day's reports once the day is over and every node had an
// interval to flush (Scheduler.SendTime waits far longer). Reports neither
// claims nor forgets anything; ClaimReports does the first.
func (f *Flusher) Reports(ctx context.Context, day time.Time) ([]*report.Report, error) {
	idRight, err := f.agg.reportIDDomain()
	if err != nil {
		return nil, err
	}
	if err := f.Flush(ctx); err != nil {
		return nil, err
	}
	d := dayNumber(day)
	counts, err := f.st.DayCounts(ctx, dayStart(d))
	if err != nil {
		return nil, err
	}
	pcs := make([]policyCounts, 0, len(counts))
	byKey := make(map[string]int, len(counts)) // index in pcs
	for i := range counts {
		pr := &counts[i]
		if pr.Summary == (report.Summary{}) && len(pr.FailureDetails) == 0 {
			continue // an Aggregator holds no such policy either
		}
		// Stored policies were normalised when recorded; normalising
		// again keys them exactly as the Aggregator does.
		p, err := normalizePolicy(pr.Policy)
		if err != nil {
			return nil, fmt.Errorf("aggregate: stored counts of %s: %w", dayStart(d).Format(time.DateOnly), err)
		}
		key := p.Key()
		j, ok := byKey[key]
		if !ok {
			j = len(pcs)
			byKey[key] = j
			pcs = append(pcs, policyCounts{policyEntry: policyEntry{p: p, key: key}})
		}
		pc := &pcs[j]
		pc.summary.TotalSuccessfulSessionCount = satAdd(pc.summary.TotalSuccessfulSessionCount, pr.Summary.TotalSuccessfulSessionCount)
		pc.summary.TotalFailureSessionCount = satAdd(pc.summary.TotalFailureSessionCount, pr.Summary.TotalFailureSessionCount)
		if !ok {
			// The Store's slice is ours: sorted in place, not copied.
			// Clipped, so that appending a duplicate policy's details
			// cannot write over another policy's.
			pc.details = slices.Clip(pr.FailureDetails)
		} else {
			pc.details = append(pc.details, pr.FailureDetails...)
		}
	}
	return f.agg.buildReports(d, idRight, pcs), nil
}

// ClaimedReport is a report this node claimed (ClaimReports) and must
// hand over for delivery, then finish (FinishReport) before Claim.Until.
type ClaimedReport struct {
	// Report is the day's report for Claim.PolicyDomain.
	Report *report.Report
	// Claim is the Store's claim on it, held by this node until
	// Claim.Until.
	Claim Claim
}

// ClaimReports builds the reports of the UTC day that contains day from
// the Store, as Reports does, and claims each for this node with a lease
// of FlushConfig.Lease (Store.ClaimReport; RFC 8460 §4.1: one report per
// policy domain per day). It returns the reports this node now holds:
// those no other node holds and none finished. Calling it again before
// FinishReport renews this node's leases and returns the same reports
// (with the counts flushed since).
//
// The caller hands each returned report over for delivery (say, to a
// submit queue) and then calls FinishReport; a report not finished before
// its lease expires is taken over by the next node that calls
// ClaimReports, so a node that dies after claiming does not lose the
// report. A node that dies after the hand-over but before FinishReport
// makes the report be handed over twice, with the same report-id, which
// the delivery queue drops the second time (submit.Queue.Enqueue keys
// its jobs by report-id). On a Store error ClaimReports returns the
// reports claimed before it with the error; their leases expire if the
// caller drops them.
func (f *Flusher) ClaimReports(ctx context.Context, day time.Time) ([]ClaimedReport, error) {
	reports, err := f.Reports(ctx, day)
	if err != nil {
		return nil, err
	}
	now := f.cfg.Now()
	var out []ClaimedReport
	for _, r := range reports {
		c := Claim{
			Day:          r.DateRange.Start,
			PolicyDomain: r.Policies[0].Policy.Domain,
			Node:         f.cfg.Node,
			Now:          now,
			Until:        now.Add(f.cfg.Lease),
		}
		ok, err := f.st.ClaimReport(ctx, c)
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, ClaimedReport{Report: r, Claim: c})
		}
	}
	return out, nil
}

// FinishReport marks the claimed report c finished, so that no node
// claims it again (Store.FinishReport). It fails with ErrNotClaimed when
// this node no longer holds the claim: its lease expired and another node
// took the report over.
func (f *Flusher) FinishReport(ctx context.Context, c ClaimedReport) error {
	cl := c.Claim
	cl.Now = f.cfg.Now()
	return f.st.FinishReport(ctx, cl)
}

// Forget flushes and then drops the Aggregator's in-memory counts of the
// UTC day that contains day (Aggregator.Forget): with a Flusher, the
// Store holds the counts and the reports are built from there, so a node
// forgets a day once it is over and flushed, to bound its memory. Sessions
// of that day recorded between the flush and the Forget are dropped. The
// Store's counts of the day stay until Store.ForgetDay, which is for days
// whose reports are finished and that no node can flush to any more (say,
// a week old).
func (f *Flusher) Forget(ctx context.Context, day time.Time) error {
	if err := f.Flush(ctx); err != nil {
		return err
	}
	f.agg.Forget(day)
	return nil
}
