package submit

import (
	"math"
	"net/http"
	"testing"
	"time"
)

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "0", "120", "-1", "1e3", "99999999999999999999", now.Add(time.Hour).Format(http.TimeFormat), "Wednesday, 25-Nov-26 04:10:00 GMT", "Wed Nov 25 05:00:00 2026", "Wed, 01 Nov 2200 0:00:00 GMT", "Fri, 01 Jan 9999 00:00:00 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := parseRetryAfter(s, now)
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %v", s, d)
		}
	})
}

func FuzzNextAttempt(f *testing.F) {
	f.Add(1, int64(0), int64(0), 0.0, true)
	f.Add(3, int64(time.Hour), int64(time.Minute), 0.5, true)
	f.Add(40, int64(23*time.Hour), int64(2*time.Hour), 0.99, true)
	f.Add(0, int64(-time.Hour), int64(0), -1.0, false)
	f.Add(math.MaxInt, int64(25*time.Hour), int64(math.MaxInt64), math.NaN(), true)
	first := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, attempt int, elapsed, retryAfter int64, r float64, retryable bool) {
		if retryAfter < 0 {
			retryAfter = -retryAfter
		}
		if retryAfter < 0 {
			retryAfter = 0
		}
		p := RetryPolicy{Rand: fixedSource(unitInterval(r))}
		now := first.Add(time.Duration(elapsed))
		err := &DeliveryError{Retryable: retryable, RetryAfter: time.Duration(retryAfter)}
		next, ok := p.NextAttempt(first, now, attempt, err)
		if !ok {
			return
		}
		if !retryable {
			t.Fatal("retry of a permanent failure")
		}
		if !next.After(now) {
			t.Fatalf("next %v not after now %v", next, now)
		}
		if next.After(first.Add(defaultRetryWindow)) {
			t.Fatalf("next %v beyond the window", next)
		}
		if next.Sub(now) < time.Duration(retryAfter) {
			t.Fatalf("next %v earlier than Retry-After %v", next, time.Duration(retryAfter))
		}
	})
}

// FuzzRetryPolicy checks NextAttempt for any policy: the next attempt is
// after now, within the window, and the schedule never overflows.
func FuzzRetryPolicy(f *testing.F) {
	f.Add(int64(0), int64(0), int64(0), 1, int64(0), 0.0)
	f.Add(int64(1), int64(1), int64(time.Hour), 5, int64(time.Minute), 0.5)
	f.Add(int64(1<<62), int64(math.MaxInt64), int64(0), 3, int64(0), 0.99)
	f.Add(int64(time.Hour), int64(time.Second), int64(-1), 2, int64(time.Hour), 0.0)
	first := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, initial, maxInterval, window int64, attempt int, elapsed int64, r float64) {
		p := RetryPolicy{InitialInterval: time.Duration(initial), MaxInterval: time.Duration(maxInterval),
			Window: time.Duration(window), Rand: fixedSource(unitInterval(r))}
		now := first.Add(time.Duration(elapsed))
		next, ok := p.NextAttempt(first, now, attempt, &DeliveryError{Retryable: true})
		if !ok {
			return
		}
		w := p.Window
		if w <= 0 {
			w = defaultRetryWindow
		}
		if !next.After(now) || next.After(first.Add(w)) {
			t.Fatalf("next %v for now %v, window end %v", next, now, first.Add(w))
		}
	})
}

// unitInterval maps any float64 (NaN, infinities and negatives included)
// into [0, 1).
func unitInterval(r float64) float64 {
	r = math.Abs(r)
	if r != r || math.IsInf(r, 0) {
		return 0
	}
	return r - math.Floor(r)
}
