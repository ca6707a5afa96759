package submit

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
)

func TestRetryPolicyNextAttempt(t *testing.T) {
	first := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	temp := &DeliveryError{URI: "https://a.example/", Retryable: true}
	perm := &DeliveryError{URI: "https://b.example/", Retryable: false}
	after := func(d time.Duration) error {
		return &DeliveryError{URI: "https://c.example/", Retryable: true, RetryAfter: d}
	}
	tests := []struct {
		name    string
		policy  RetryPolicy
		now     time.Time
		attempt int
		err     error
		want    time.Duration // from now; -1 = no retry
	}{
		{name: "delivered", now: first, attempt: 1, err: nil, want: -1},
		{name: "permanent", now: first, attempt: 1, err: perm, want: -1},
		{name: "smtp 550", now: first, attempt: 1, err: &smtp.SMTPError{Code: 550}, want: -1},
		{name: "smtp 451", now: first, attempt: 1, err: &smtp.SMTPError{Code: 451}, want: 5 * time.Minute / 2},
		{name: "unknown error is temporary", now: first, attempt: 1, err: errors.New("boom"), want: 5 * time.Minute / 2},
		{name: "context deadline", now: first, attempt: 1, err: context.DeadlineExceeded, want: 5 * time.Minute / 2},
		{name: "first retry, no jitter", now: first, attempt: 1, err: temp, want: 150 * time.Second},
		{name: "first retry, half jitter", policy: RetryPolicy{Rand: fixedSource(0.5)}, now: first, attempt: 1, err: temp, want: 225 * time.Second},
		{name: "doubling", now: first, attempt: 3, err: temp, want: 10 * time.Minute},
		{name: "capped interval", now: first, attempt: 30, err: temp, want: 2 * time.Hour},
		{name: "huge attempt", now: first, attempt: 1 << 30, err: temp, want: 2 * time.Hour},
		{name: "zero attempt as first", now: first, attempt: 0, err: temp, want: 150 * time.Second},
		{name: "retry-after longer", now: first, attempt: 1, err: after(time.Hour), want: time.Hour},
		{name: "retry-after shorter", now: first, attempt: 3, err: after(time.Second), want: 10 * time.Minute},
		{name: "last attempt moved to window end", now: first.Add(23 * time.Hour), attempt: 20, err: temp, want: time.Hour},
		{name: "window over", now: first.Add(24 * time.Hour), attempt: 20, err: temp, want: -1},
		{name: "retry-after beyond window", now: first.Add(23 * time.Hour), attempt: 2, err: after(2 * time.Hour), want: -1},
		{name: "custom window", policy: RetryPolicy{Window: time.Hour}, now: first.Add(59 * time.Minute), attempt: 5, err: temp, want: time.Minute},
		{name: "custom intervals", policy: RetryPolicy{InitialInterval: time.Second, MaxInterval: 4 * time.Second}, now: first, attempt: 4, err: temp, want: 2 * time.Second},
		{name: "joined: one temporary", now: first, attempt: 1, err: errors.Join(perm, temp), want: 150 * time.Second},
		{name: "joined: all permanent", now: first, attempt: 1, err: errors.Join(perm, perm), want: -1},
		{name: "joined: smallest retry-after", now: first, attempt: 1, err: errors.Join(after(time.Hour), after(10*time.Minute), perm), want: 10 * time.Minute},
		{name: "joined: one without retry-after", now: first, attempt: 1, err: errors.Join(after(time.Hour), temp), want: 150 * time.Second},
		{name: "huge intervals do not overflow", policy: RetryPolicy{InitialInterval: 1 << 62, MaxInterval: math.MaxInt64}, now: first, attempt: 3, err: temp, want: 24 * time.Hour},
		{name: "nanosecond intervals still move forward", policy: RetryPolicy{InitialInterval: 1, MaxInterval: 1}, now: first, attempt: 1, err: temp, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			if p.Rand == nil {
				p.Rand = fixedSource(0)
			}
			next, ok := p.NextAttempt(first, tt.now, tt.attempt, tt.err)
			got := time.Duration(-1)
			if ok {
				got = next.Sub(tt.now)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("delay (-want +got):\n%s", diff)
			}
			if ok && next.After(first.Add(defaultRetryWindow)) {
				t.Errorf("next attempt %v after the 24 h window", next)
			}
		})
	}
}

func TestRetryPolicyDefaultRandInRange(t *testing.T) {
	var p RetryPolicy
	first := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		next, ok := p.NextAttempt(first, first, 2, &DeliveryError{Retryable: true})
		d := next.Sub(first)
		if !ok || d < 5*time.Minute || d >= 10*time.Minute {
			t.Fatalf("iteration %d: delay %v, ok %v; want [5m, 10m)", i, d, ok)
		}
	}
}

func TestRetrySchedule24h(t *testing.T) {
	// Following the policy from the first attempt never leaves the window
	// and ends at the window's end.
	p := RetryPolicy{Rand: fixedSource(0.5)}
	first := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	now, attempts := first, 1
	for {
		next, ok := p.NextAttempt(first, now, attempts, &DeliveryError{Retryable: true})
		if !ok {
			break
		}
		if !next.After(now) {
			t.Fatalf("attempt %d: next %v not after %v", attempts, next, now)
		}
		now = next
		attempts++
		if attempts > 100 {
			t.Fatal("no end to retries")
		}
	}
	if !now.Equal(first.Add(24 * time.Hour)) {
		t.Errorf("last attempt at %v, want the end of the window", now)
	}
	if attempts < 8 {
		t.Errorf("only %d attempts in 24 h", attempts)
	}
}

// fixedSource returns a rand.Source whose Float64 is f, for f in [0, 1).
func fixedSource(f float64) rand.Source {
	return constSource(uint64(f * (1 << 53)))
}

// constSource is a rand.Source returning the same number every time.
type constSource uint64

func (c constSource) Uint64() uint64 { return uint64(c) }
