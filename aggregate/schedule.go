package aggregate

import (
	"math/rand/v2"
	"time"
)

// defaultMaxDelay is the longest delay after the end of a day that
// Scheduler picks when MaxDelay is zero: RFC 8460 §4.1's example waits a
// random 1 to 14400 seconds.
const defaultMaxDelay = 4 * time.Hour

// Scheduler picks when to send the reports of a finished day: after the
// day ends, with a random delay so that reporters do not all send at
// midnight (RFC 8460 §4.1). The zero Scheduler waits up to 4 hours, uses the
// system clock and math/rand/v2's global source.
type Scheduler struct {
	// MaxDelay is the longest delay after the end of the day. Zero means
	// 4 hours (the RFC's example, 1 to 14400 seconds); a negative value
	// means no delay.
	MaxDelay time.Duration
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// Rand is the random source of the delay. Nil means math/rand/v2's
	// global source; a seeded source (rand.NewPCG) makes SendTime
	// deterministic.
	Rand rand.Source
}

// SendTime returns when to send the reports of the UTC day that contains
// day: the end of that day (00:00:00Z of the next) plus a delay drawn
// uniformly from (0, MaxDelay]. If that time has already passed (say,
// after a restart), SendTime returns the current time: send now.
func (s *Scheduler) SendTime(day time.Time) time.Time {
	end := dayStart(dayNumber(day) + 1)
	maxDelay := s.MaxDelay
	if maxDelay == 0 {
		maxDelay = defaultMaxDelay
	}
	var delay time.Duration
	if maxDelay > 0 {
		var n int64
		if s.Rand != nil {
			n = rand.New(s.Rand).Int64N(int64(maxDelay))
		} else {
			n = rand.Int64N(int64(maxDelay))
		}
		delay = time.Duration(n + 1)
	}
	at := end.Add(delay)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if t := now(); t.After(at) {
		return t
	}
	return at
}
