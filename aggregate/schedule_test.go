package aggregate_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
)

// fixedRand is a rand.Source whose Int64N(n) is n-1 (the largest
// value), or 0 when low is set.
type fixedRand struct{ low bool }

func (f fixedRand) Uint64() uint64 {
	if f.low {
		// Not 0: rand.Int64N rejects 0 for most n and would draw again
		// forever; 1 maps to 0 for every n.
		return 1
	}
	return math.MaxUint64
}

func TestSendTime(t *testing.T) {
	end := nextDay // end of day0
	at := func(t time.Time) func() time.Time { return func() time.Time { return t } }
	tests := []struct {
		name string
		s    aggregate.Scheduler
		day  time.Time
		want time.Time
	}{
		{"smallest delay", aggregate.Scheduler{Now: at(noon), Rand: fixedRand{low: true}}, noon, end.Add(time.Nanosecond)},
		{"largest default delay", aggregate.Scheduler{Now: at(noon), Rand: fixedRand{}}, noon, end.Add(4 * time.Hour)},
		{"custom delay", aggregate.Scheduler{MaxDelay: time.Minute, Now: at(noon), Rand: fixedRand{}}, lastNs, end.Add(time.Minute)},
		{"no delay", aggregate.Scheduler{MaxDelay: -1, Now: at(noon), Rand: fixedRand{}}, day0, end},
		{"day in another zone", aggregate.Scheduler{Now: at(noon), Rand: fixedRand{}}, nextDay.In(time.FixedZone("UTC-5", -5*3600)), end.Add(28 * time.Hour)},
		{"late: send now", aggregate.Scheduler{Now: at(end.Add(5 * time.Hour)), Rand: fixedRand{}}, noon, end.Add(5 * time.Hour)},
		{"within the window", aggregate.Scheduler{Now: at(end.Add(time.Hour)), Rand: fixedRand{}}, noon, end.Add(4 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.SendTime(tt.day); !got.Equal(tt.want) {
				t.Errorf("SendTime = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSendTimeSeeded(t *testing.T) {
	pick := func() []time.Time {
		s := aggregate.Scheduler{Now: func() time.Time { return noon }, Rand: rand.NewPCG(4, 1)}
		var out []time.Time
		for d := range 200 {
			out = append(out, s.SendTime(day0.AddDate(0, 0, d)))
		}
		return out
	}
	a, b := pick(), pick()
	distinct := map[time.Duration]bool{}
	for d := range a {
		if !a[d].Equal(b[d]) {
			t.Fatalf("seeded SendTime not deterministic: %v vs %v", a[d], b[d])
		}
		delay := a[d].Sub(day0.AddDate(0, 0, d+1))
		if delay <= 0 || delay > 4*time.Hour {
			t.Errorf("day %d: delay %v outside (0, 4h]", d, delay)
		}
		distinct[delay] = true
	}
	if len(distinct) < 190 {
		t.Errorf("only %d distinct delays in 200 draws", len(distinct))
	}
	// The zero Scheduler uses the system clock and global source.
	var zero aggregate.Scheduler
	before := time.Now()
	got := zero.SendTime(before)
	end := before.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	if !got.After(end) || got.After(end.Add(4*time.Hour)) {
		t.Errorf("zero Scheduler: SendTime(now) = %v, want in (%v, +4h]", got, end)
	}
}
