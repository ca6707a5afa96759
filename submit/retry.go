package submit

import (
	"errors"
	"math/rand/v2"
	"time"
)

// Defaults of RetryPolicy's zero value.
const (
	defaultInitialInterval = 5 * time.Minute
	defaultMaxInterval     = 4 * time.Hour
	// RFC 8460 §5.5: reporters SHOULD retry for up to 24 hours.
	defaultRetryWindow = 24 * time.Hour
)

// RetryPolicy computes when to try a failed delivery again: exponential
// backoff with jitter, within a window after the first attempt (RFC 8460
// §5.5). It never sleeps; an MTA puts the returned time into its own
// queue. The zero value is ready to use; a RetryPolicy is safe for
// concurrent use when Rand is.
type RetryPolicy struct {
	// InitialInterval is the delay after the first attempt, before jitter.
	// Zero means 5 minutes.
	InitialInterval time.Duration
	// MaxInterval caps the delay between two attempts, before jitter.
	// Zero means 4 hours.
	MaxInterval time.Duration
	// Window is how long after the first attempt retries may happen.
	// Zero means 24 hours (RFC 8460 §5.5).
	Window time.Duration
	// Rand is the random source of the jitter. Nil means math/rand/v2's
	// global source; a seeded source (rand.NewPCG) makes NextAttempt
	// deterministic.
	Rand rand.Source
}

// NextAttempt returns when to attempt delivery again after attempt number
// attempt (1 for the first) ended at now with err, where first is the time
// of the first attempt. The bool is false when no retry should happen:
// err is nil (delivered), err says a retry cannot help (a *DeliveryError
// or *smtp.SMTPError that is permanent; for an error joining several, all
// must be permanent), or the window after first is over.
//
// The delay doubles with every attempt from InitialInterval up to
// MaxInterval; the actual delay is uniformly drawn from [d/2, d) ("equal
// jitter") so that many reporters do not retry in lockstep. A Retry-After
// carried by err is honoured: the next attempt is never earlier. The last
// attempt is moved to the end of the window rather than dropped; a
// Retry-After pointing beyond the window ends the retries.
func (p *RetryPolicy) NextAttempt(first, now time.Time, attempt int, err error) (time.Time, bool) {
	if err == nil {
		return time.Time{}, false
	}
	retry, after := retryInfo(err)
	if !retry {
		return time.Time{}, false
	}
	window := p.Window
	if window <= 0 {
		window = defaultRetryWindow
	}
	deadline := first.Add(window)
	if !now.Before(deadline) {
		return time.Time{}, false
	}
	d := p.delay(attempt)
	if d < after {
		d = after
	}
	next := now.Add(d)
	if next.After(deadline) {
		if after > 0 && now.Add(after).After(deadline) {
			return time.Time{}, false
		}
		next = deadline
	}
	return next, true
}

// delay returns the jittered backoff delay after attempt.
func (p *RetryPolicy) delay(attempt int) time.Duration {
	initial := p.InitialInterval
	if initial <= 0 {
		initial = defaultInitialInterval
	}
	capped := p.MaxInterval
	if capped <= 0 {
		capped = defaultMaxInterval
	}
	if attempt < 1 {
		attempt = 1
	}
	d := min(initial, capped)
	for i := 1; i < attempt && d < capped; i++ {
		if d > capped/2 {
			// Doubling would pass the cap (or overflow for huge values).
			d = capped
			break
		}
		d *= 2
	}
	f := rand.Float64()
	if p.Rand != nil {
		f = rand.New(p.Rand).Float64()
	}
	// At least a nanosecond, so that the next attempt is always after now
	// even for a policy of nanosecond intervals.
	return max(d/2+time.Duration(f*float64(d/2)), time.Nanosecond)
}

// retryInfo reports whether err is worth retrying and the smallest
// Retry-After among its retryable parts (a part without one counts as
// zero: that destination may be tried as soon as the backoff allows). It walks errors.Join trees.
func retryInfo(err error) (retry bool, after time.Duration) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if e == nil {
				continue
			}
			r, a := retryInfo(e)
			if !r {
				continue
			}
			if !retry || a < after {
				after = a
			}
			retry = true
		}
		return retry, after
	}
	if !temporary(err) {
		return false, 0
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		return true, de.RetryAfter
	}
	return true, 0
}
