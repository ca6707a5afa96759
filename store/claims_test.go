package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
)

// TestClaimReport walks one report's claim through its life: the first
// claim wins, another node is refused while the lease runs, the holder
// renews, another node takes over once the lease expired (Now injected),
// a node that lost the claim cannot finish, the holder finishes, and a
// finished report is never claimed again, not even by its holder.
func TestClaimReport(t *testing.T) {
	t0 := day2.Add(30 * time.Minute)
	claim := func(node string, now time.Time, lease time.Duration) aggregate.Claim {
		return aggregate.Claim{Day: day1, PolicyDomain: "xn--bcher-kva.example", Node: node, Now: now, Until: now.Add(lease)}
	}
	steps := []struct {
		name   string
		finish bool
		c      aggregate.Claim
		want   bool  // ClaimReport's answer
		err    error // FinishReport's error
	}{
		{name: "first claim wins", c: claim("a", t0, 10*time.Minute), want: true},
		{name: "second node refused", c: claim("b", t0.Add(time.Minute), 10*time.Minute), want: false},
		{name: "holder renews", c: claim("a", t0.Add(9*time.Minute), 10*time.Minute), want: true},
		{name: "renewed lease holds past the first", c: claim("b", t0.Add(15*time.Minute), 10*time.Minute), want: false},
		{name: "non-holder cannot finish", finish: true, c: claim("b", t0.Add(15*time.Minute), 0), err: aggregate.ErrNotClaimed},
		{name: "taken over at expiry", c: claim("b", t0.Add(19*time.Minute), 10*time.Minute), want: true},
		{name: "old holder refused", c: claim("a", t0.Add(20*time.Minute), 10*time.Minute), want: false},
		{name: "old holder cannot finish", finish: true, c: claim("a", t0.Add(20*time.Minute), 0), err: aggregate.ErrNotClaimed},
		{name: "holder finishes with its lease expired", finish: true, c: claim("b", t0.Add(time.Hour), 0)},
		{name: "finishing again is no error", finish: true, c: claim("b", t0.Add(time.Hour), 0)},
		{name: "finished refused to another node", c: claim("c", t0.Add(2*time.Hour), 10*time.Minute), want: false},
		{name: "finished refused to the holder", c: claim("b", t0.Add(2*time.Hour), 10*time.Minute), want: false},
		{name: "other domain is free", c: aggregate.Claim{Day: day1, PolicyDomain: "example.org", Node: "c", Now: t0, Until: t0.Add(time.Minute)}, want: true},
		{name: "other day is free", c: aggregate.Claim{Day: day2, PolicyDomain: "xn--bcher-kva.example", Node: "c", Now: t0, Until: t0.Add(time.Minute)}, want: true},
		{name: "no claim to finish", finish: true, c: aggregate.Claim{Day: day2, PolicyDomain: "example.net", Node: "c", Now: t0}, err: aggregate.ErrNotClaimed},
	}
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		for _, s := range steps {
			if s.finish {
				if err := st.FinishReport(ctx, s.c); !errors.Is(err, s.err) || (err == nil) != (s.err == nil) {
					t.Errorf("%s: FinishReport = %v, want %v", s.name, err, s.err)
				}
				continue
			}
			got, err := st.ClaimReport(ctx, s.c)
			require.NoError(t, err, s.name)
			if got != s.want {
				t.Errorf("%s: ClaimReport(%s) = %v, want %v", s.name, s.c.Node, got, s.want)
			}
		}
		for _, bad := range []aggregate.Claim{
			{Day: day1.Add(time.Minute), PolicyDomain: "example.org", Node: "a"},
			{Day: day1, Node: "a"},
			{Day: day1, PolicyDomain: "example.org"},
		} {
			if _, err := st.ClaimReport(ctx, bad); err == nil {
				t.Errorf("ClaimReport(%+v) succeeded", bad)
			}
			if err := st.FinishReport(ctx, bad); err == nil || errors.Is(err, aggregate.ErrNotClaimed) {
				t.Errorf("FinishReport(%+v) = %v, want a validation error", bad, err)
			}
		}
	})
}

// TestClaimReportConcurrent lets many nodes claim the same reports at
// once, fresh and after the lease expired: each time exactly one wins.
func TestClaimReportConcurrent(t *testing.T) {
	const nodes, domains = 12, 5
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		st.db.SetMaxOpenConns(maxTestConns)
		t0 := day2.Add(time.Hour)
		for round, now := range []time.Time{t0, t0.Add(time.Hour)} {
			for d := range domains {
				var wins atomic.Int32
				var wg sync.WaitGroup
				for n := range nodes {
					wg.Go(func() {
						ok, err := st.ClaimReport(ctx, aggregate.Claim{Day: day1, PolicyDomain: fmt.Sprintf("d%d.example", d),
							Node: fmt.Sprintf("node-%d-%d", round, n), Now: now, Until: now.Add(time.Minute)})
						if err != nil {
							t.Error(err)
						}
						if ok {
							wins.Add(1)
						}
					})
				}
				wg.Wait()
				if w := wins.Load(); w != 1 {
					t.Errorf("round %d, domain %d: %d nodes won the claim", round, d, w)
				}
			}
		}
	})
}
