package submit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// Defaults of Worker's zero fields.
const (
	defaultLease        = 10 * time.Minute
	defaultBatch        = 16
	defaultConcurrency  = 4
	defaultPollInterval = time.Minute
	// saveTimeout bounds a Save, which runs even after the caller's
	// context ended so that an accepted report is recorded as done.
	saveTimeout = 30 * time.Second
)

// Worker delivers the reports waiting in a Queue: it leases the Jobs due
// for its node, looks up each policy domain's TLSRPT record (RFC 8460
// §3), delivers with a Deliverer to the destinations still worth trying,
// schedules the next attempt with a RetryPolicy within the 24 hour
// window of RFC 8460 §5.5, and saves the Job. Several Workers on several
// nodes may drain one Queue: the lease keeps each Job with one of them
// at a time.
//
// What happens to a leased Job, each counted in WorkerStats:
//
//   - The record lookup fails with dnsrecord.ErrNoRecord,
//     ErrMultipleRecords, a *dnsrecord.SyntaxError or any other
//     non-temporary error: the policy domain does not want reports, and
//     the Job is Done (NoRecord). A *dnsrecord.TemporaryError is retried
//     like a temporary delivery failure (Retry).
//   - Otherwise the report is delivered to every rua URI of the record
//     that has no outcome yet or whose latest outcome is a temporary
//     failure; URIs that failed permanently or were skipped keep their
//     outcome and are not tried again (a mailto URI skipped because the
//     Deliverer has no MailSender included). Once one destination accepts
//     the report the Job is Done (Delivered, RFC 8460 §3).
//   - A delivery that failed only temporarily is due again at
//     RetryPolicy.NextAttempt (Retry); when no retry can help the Job is
//     Done (Failed when every destination failed permanently or was
//     skipped, Expired when the window after FirstAttempt is over).
//   - A Job whose Report does not decode as a report is Done (Failed).
//     Jobs a pass leased but could not start before its context ended or
//     its lease time ran out are saved unchanged (Released), due again.
//   - Save fails with ErrNotLeased: another node leased the Job after the
//     lease expired; the outcome is dropped (LeaseLost). Any other Save
//     error leaves the Job to be leased again once the lease expires
//     (SaveFailed).
//
// Each attempt — the record lookup and the deliveries after it — counts
// in Job.Attempts; FirstAttempt is set at the first one. Job.Outcomes
// holds the latest outcome at each rua URI of the current record, in
// record order, and, when the last record lookup failed, one JobOutcome
// with an empty URI first that says why. A Job leased after its window
// ended still gets one attempt.
//
// A retry may deliver a report twice when an endpoint stored it but its
// answer was lost, or when a node lost its lease mid-delivery; receivers
// recognise duplicates by report-id (RFC 8460 §4.4).
//
// Worker's zero value is not usable: Queue and Node are required. Its
// other fields have working zero values. A pass delivers up to
// Concurrency Jobs at once, so Queue, Deliverer, Resolver, Now and
// Retry.Rand must be safe for concurrent use (a seeded rand.PCG is not:
// leave Rand nil or guard it); several passes may then run at once.
type Worker struct {
	// Queue holds the Jobs. Required.
	Queue Queue
	// Node names this node in the Queue's leases; unique within a fleet.
	// Required.
	Node string
	// Deliverer delivers the reports. Nil means the zero Deliverer, which
	// delivers to https destinations only.
	Deliverer *Deliverer
	// Resolver looks up the TLSRPT records. Nil means
	// net.DefaultResolver.
	Resolver tlsrpt.Resolver
	// LookupOptions configures the record lookup; nil means the zero
	// LookupOptions.
	LookupOptions *dnsrecord.LookupOptions
	// Retry schedules retries. Nil means the zero RetryPolicy: 5 minutes
	// doubling to 4 hours within 24 hours of the first attempt (RFC 8460
	// §5.5).
	Retry *RetryPolicy
	// LeaseDuration is how long a pass holds the Jobs it leased. A pass
	// stops delivering a tenth of it before the lease ends (a delivery cut
	// short is a temporary failure) and then saves, so that no other node
	// leases a Job still being delivered. Zero means 10 minutes.
	LeaseDuration time.Duration
	// BatchSize is how many Jobs a pass leases at most. Zero means 16.
	BatchSize int
	// Concurrency is how many Jobs of a pass are delivered at once. Zero
	// means 4.
	Concurrency int
	// PollInterval is how long Run waits after a pass that leased fewer
	// than BatchSize Jobs. Zero means one minute.
	PollInterval time.Duration
	// AfterPass, when set, is called by Run after each pass with its
	// counts and error (the library does not log). Nil means Run ignores
	// them.
	AfterPass func(WorkerStats, error)
	// Now returns the current time, for leases, FirstAttempt, outcome
	// times and the retry schedule. Nil means time.Now.
	Now func() time.Time
}

// WorkerStats counts what a Worker's pass did with the Jobs it leased:
// Leased equals the sum of the other fields.
type WorkerStats struct {
	// Leased is the number of Jobs leased.
	Leased int
	// Delivered counts Jobs accepted by one destination (RFC 8460 §3),
	// now Done.
	Delivered int
	// Retry counts Jobs scheduled for another attempt after a temporary
	// delivery or DNS failure.
	Retry int
	// Failed counts Jobs Done because every destination failed
	// permanently or was skipped, or because Job.Report is not a report.
	Failed int
	// Expired counts Jobs Done because a temporary failure happened after
	// the retry window (RFC 8460 §5.5) was over.
	Expired int
	// NoRecord counts Jobs Done because the policy domain has no usable
	// TLSRPT record (none, several, malformed).
	NoRecord int
	// Released counts Jobs not attempted because ctx ended or the pass ran
	// out of lease time first; they are saved unchanged, which releases
	// them to be leased again at once.
	Released int
	// LeaseLost counts Jobs whose Save failed with ErrNotLeased: another
	// node had leased them.
	LeaseLost int
	// SaveFailed counts Jobs whose Save failed otherwise; they are leased
	// again once the lease expires.
	SaveFailed int
}

// add adds o to s.
func (s *WorkerStats) add(o WorkerStats) {
	s.Leased += o.Leased
	s.Delivered += o.Delivered
	s.Retry += o.Retry
	s.Failed += o.Failed
	s.Expired += o.Expired
	s.NoRecord += o.NoRecord
	s.Released += o.Released
	s.LeaseLost += o.LeaseLost
	s.SaveFailed += o.SaveFailed
}

// RunOnce makes one pass: it leases up to BatchSize due Jobs for Node,
// attempts each and saves it; the WorkerStats say what became of each.
// The error is nil when every Job was attempted and saved (or dropped
// after ErrNotLeased); otherwise it is the Lease error, or joins the Save
// errors and the Deliverer's refusals to deliver (a misconfigured
// Deliverer: those Jobs are retried like after a temporary failure).
// Saves use a context that survives the cancellation of ctx, bounded by
// 30 seconds, so that a delivery that happened is recorded.
func (w *Worker) RunOnce(ctx context.Context) (WorkerStats, error) {
	var st WorkerStats
	if w.Queue == nil {
		return st, errors.New("submit: Worker has no Queue")
	}
	if w.Node == "" {
		return st, errors.New("submit: Worker has no Node")
	}
	lease := w.LeaseDuration
	if lease <= 0 {
		lease = defaultLease
	}
	batch := w.BatchSize
	if batch <= 0 {
		batch = defaultBatch
	}
	now := w.now()
	until := now.Add(lease)
	jobs, err := w.Queue.Lease(ctx, w.Node, now, until, batch)
	if err != nil {
		return st, fmt.Errorf("submit: lease jobs: %w", err)
	}
	// Stop delivering before the lease ends, so that a Job is saved while
	// this node still holds it. The deadline is on the real clock, which
	// bounds the I/O, whatever Now says.
	dctx, cancel := context.WithTimeout(ctx, lease-lease/10)
	defer cancel()

	conc := w.Concurrency
	if conc <= 0 {
		conc = defaultConcurrency
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, conc)
	)
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fate, err := w.work(ctx, dctx, j)
			mu.Lock()
			defer mu.Unlock()
			st.add(fate)
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	return st, errors.Join(errs...)
}

// Run makes passes until ctx ends: after a pass that leased a full batch
// it starts the next one at once, else it waits PollInterval. Errors of a
// pass do not stop it (a database may be briefly unavailable); they go to
// AfterPass. Run returns context.Cause(ctx).
func (w *Worker) Run(ctx context.Context) error {
	poll := w.PollInterval
	if poll <= 0 {
		poll = defaultPollInterval
	}
	batch := w.BatchSize
	if batch <= 0 {
		batch = defaultBatch
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-t.C:
		}
		st, err := w.RunOnce(ctx)
		if w.AfterPass != nil && ctx.Err() == nil {
			w.AfterPass(st, err)
		}
		if err == nil && st.Leased >= batch {
			t.Reset(0)
		} else {
			t.Reset(poll)
		}
	}
}

// work attempts one leased Job and saves it, returning its counted fate.
// dctx bounds the attempt, ctx the Save.
func (w *Worker) work(ctx, dctx context.Context, j *Job) (WorkerStats, error) {
	var fate WorkerStats
	var passErr error
	if dctx.Err() != nil {
		fate.Released = 1
	} else {
		fate, passErr = w.attempt(dctx, j)
	}
	fate.Leased = 1
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	err := w.Queue.Save(sctx, w.Node, j)
	switch {
	case err == nil:
		return fate, passErr
	case errors.Is(err, ErrNotLeased):
		return WorkerStats{Leased: 1, LeaseLost: 1}, passErr
	}
	return WorkerStats{Leased: 1, SaveFailed: 1}, errors.Join(passErr, fmt.Errorf("submit: save job %q: %w", j.ID, err))
}

// attempt makes one delivery attempt of j and updates it; the returned
// stats have the Job's fate set (not Leased). The error, when not nil,
// says the Deliverer refused to deliver (its configuration is wrong);
// the Job is then retried like after a temporary failure.
func (w *Worker) attempt(ctx context.Context, j *Job) (WorkerStats, error) {
	now := w.now()
	if j.FirstAttempt.IsZero() {
		j.FirstAttempt = now
	}
	j.Attempts++
	retry := w.Retry
	if retry == nil {
		retry = &RetryPolicy{}
	}

	var rep report.Report
	if err := json.Unmarshal(j.Report, &rep); err != nil {
		// No retry turns these bytes into a report.
		w.finishLookup(j, now, StatusPermanentFailure, fmt.Errorf("submit: job %q: %w", j.ID, err))
		return WorkerStats{Failed: 1}, nil
	}
	rec, _, err := dnsrecord.Lookup(ctx, w.Resolver, j.PolicyDomain, w.LookupOptions)
	if err != nil {
		var te *dnsrecord.TemporaryError
		if !errors.As(err, &te) {
			// RFC 8460 §3: no record (or no usable one), no reports.
			w.finishLookup(j, now, StatusPermanentFailure, err)
			return WorkerStats{NoRecord: 1}, nil
		}
		w.finishLookup(j, now, StatusTemporaryFailure, err)
		return w.schedule(retry, j, now, &DeliveryError{Retryable: true, Err: err}), nil
	}

	// The outcomes so far, by URI; a lookup outcome (empty URI) is
	// dropped now that the record was found.
	prev := make(map[string]JobOutcome, len(j.Outcomes))
	for _, o := range j.Outcomes {
		if o.URI != "" {
			prev[o.URI] = o
		}
	}
	outs := make([]JobOutcome, len(rec.RUA))
	at := make([]int, 0, len(rec.RUA)) // indexes of outs to deliver to
	try := &dnsrecord.Record{Extensions: rec.Extensions}
	seen := make(map[string]bool, len(rec.RUA))
	for i, u := range rec.RUA {
		s := u.String()
		switch o, ok := prev[s]; {
		case seen[s]:
			// Deliver reports a repeated URI as skipped; so do we, without
			// sending it the report a second time.
			outs[i] = jobOutcome(Outcome{URI: u, Status: StatusSkipped,
				Err: &DeliveryError{URI: s, Err: ErrDuplicateURI}}, now)
		case ok && o.Status != StatusTemporaryFailure:
			// Accepted (under an older record), failed permanently or
			// skipped: trying again changes nothing.
			outs[i] = o
		default:
			at = append(at, i)
			try.RUA = append(try.RUA, u)
		}
		seen[s] = true
	}
	j.Outcomes = outs
	for _, o := range outs {
		if o.Status == StatusAccepted {
			j.Done = true
			return WorkerStats{Delivered: 1}, nil
		}
	}
	if len(try.RUA) == 0 {
		j.Done = true
		return WorkerStats{Failed: 1}, nil
	}

	d := w.Deliverer
	if d == nil {
		d = &Deliverer{}
	}
	res, err := d.Deliver(ctx, &rep, try)
	if res == nil {
		// The Deliverer refused its configuration: keep the Job until the
		// operator fixes it, within the retry window.
		for _, i := range at {
			outs[i] = JobOutcome{URI: rec.RUA[i].String(), Status: StatusTemporaryFailure, Error: err.Error(), Time: now}
		}
		err = fmt.Errorf("submit: job %q: %w", j.ID, err)
		return w.schedule(retry, j, now, &DeliveryError{Retryable: true, Err: err}), err
	}
	done := w.now()
	for k, i := range at {
		outs[i] = jobOutcome(res.Outcomes[k], done)
	}
	if res.Delivered() {
		j.Done = true
		return WorkerStats{Delivered: 1}, nil
	}
	return w.schedule(retry, j, done, res.Err()), nil
}

// schedule sets j's next attempt after the failure err at now, or marks
// j Done when no retry can help.
func (w *Worker) schedule(p *RetryPolicy, j *Job, now time.Time, err error) WorkerStats {
	if next, ok := p.NextAttempt(j.FirstAttempt, now, j.Attempts, err); ok {
		j.NextAttempt = next
		return WorkerStats{Retry: 1}
	}
	j.Done = true
	if retryable, _ := retryInfo(err); retryable {
		return WorkerStats{Expired: 1}
	}
	return WorkerStats{Failed: 1}
}

// finishLookup records the failed record lookup (or unreadable report)
// as j's first outcome, with an empty URI, keeping the outcomes at the
// rua URIs; a permanent one makes j Done.
func (w *Worker) finishLookup(j *Job, now time.Time, st Status, err error) {
	outs := []JobOutcome{{Status: st, Error: err.Error(), Time: now}}
	for _, o := range j.Outcomes {
		if o.URI != "" {
			outs = append(outs, o)
		}
	}
	j.Outcomes = outs
	if st == StatusPermanentFailure {
		j.Done = true
	}
}

// jobOutcome converts a delivery Outcome for storage in a Job.
func jobOutcome(o Outcome, at time.Time) JobOutcome {
	jo := JobOutcome{URI: o.URI.String(), Status: o.Status, StatusCode: o.StatusCode, Time: at}
	if o.Err != nil {
		jo.Error = o.Err.Error()
	}
	return jo
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}
