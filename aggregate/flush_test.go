package aggregate_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/report"
)

func newFlusher(t testing.TB, a *aggregate.Aggregator, st aggregate.Store, cfg aggregate.FlushConfig) *aggregate.Flusher {
	t.Helper()
	f, err := aggregate.NewFlusher(t.Context(), a, st, cfg)
	if err != nil {
		t.Fatalf("NewFlusher: %v", err)
	}
	return f
}

// storeReports returns the JSON of the reports of every day st holds,
// built by f from st.
func storeReports(t testing.TB, f *aggregate.Flusher, st aggregate.Store) []string {
	t.Helper()
	days, err := st.Days(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range days {
		rs, err := f.Reports(t.Context(), d)
		if err != nil {
			t.Fatalf("Flusher.Reports(%v): %v", d, err)
		}
		out = append(out, reportsJSON(t, rs)...)
	}
	return out
}

// memReports returns the JSON of the reports of every day a holds.
func memReports(t testing.TB, a *aggregate.Aggregator) []string {
	t.Helper()
	var out []string
	for _, rs := range allReports(t, a) {
		out = append(out, reportsJSON(t, rs)...)
	}
	return out
}

func reportsJSON(t testing.TB, rs []*report.Report) []string {
	t.Helper()
	var out []string
	for _, r := range rs {
		b, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestFleetReportsEqualSingleNode is the fleet property: sessions spread
// over three nodes, each flushing to one Store at random moments, give
// byte for byte the reports of one Aggregator that recorded them all.
func TestFleetReportsEqualSingleNode(t *testing.T) {
	for _, cfg := range []aggregate.Config{testConfig, {OrganizationName: "Only Failures", ContactInfo: "mailto:tlsrpt@sender.example", OnlyFailures: true}} {
		for seed := range uint64(12) {
			t.Run(fmt.Sprintf("%s/%d", cfg.OrganizationName, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 16))
				ss := randomSessions(r, 1+r.IntN(400))
				single := aggregate.New(cfg)
				record(t, single, ss...)

				st := newMemStore()
				var nodes []*aggregate.Aggregator
				var flushers []*aggregate.Flusher
				for i := range 3 {
					a := aggregate.New(cfg)
					nodes = append(nodes, a)
					flushers = append(flushers, newFlusher(t, a, st, aggregate.FlushConfig{Node: fmt.Sprintf("node-%d", i)}))
				}
				for _, s := range ss {
					i := r.IntN(len(nodes))
					record(t, nodes[i], s)
					if r.IntN(10) == 0 {
						if err := flushers[i].Flush(t.Context()); err != nil {
							t.Fatal(err)
						}
					}
				}
				for _, f := range flushers {
					if err := f.Close(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				want := memReports(t, single)
				for i, f := range flushers {
					got := storeReports(t, f, st)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("node %d: reports from the store differ from one Aggregator's (-want +got):\n%s", i, diff)
					}
				}
			})
		}
	}
}

// TestFlushLostAnswer: ApplyBatch commits but its answer is lost; the
// Flusher applies the same Batch again, which the Store takes for a
// replay, and nothing is counted twice.
func TestFlushLostAnswer(t *testing.T) {
	a := aggregate.New(testConfig)
	st := newMemStore()
	f := newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx1"})
	record(t, a, repeat(3, session{t: noon, p: stsCom, failures: []report.FailureDetail{expired}})...)

	st.setFail(1, true)
	if err := f.Flush(t.Context()); !errors.Is(err, errStoreDown) {
		t.Fatalf("Flush = %v, want the store's error", err)
	}
	record(t, a, session{t: noon, p: stsCom}) // recorded while the flush failed
	if err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	calls := st.batches()
	if len(calls) != 3 {
		t.Fatalf("ApplyBatch called %d times, want 3 (failed, retried, new)", len(calls))
	}
	if diff := cmp.Diff(calls[0], calls[1], cmpOpts); diff != "" {
		t.Errorf("retried Batch differs from the failed one (-failed +retried):\n%s", diff)
	}
	if calls[2].Seq != calls[0].Seq+1 {
		t.Errorf("Seqs %d, %d, %d; want the retry to keep its Seq and the next to follow", calls[0].Seq, calls[1].Seq, calls[2].Seq)
	}
	if diff := cmp.Diff(memReports(t, a), storeReports(t, f, st)); diff != "" {
		t.Errorf("store (-memory +store):\n%s", diff)
	}
}

// TestFlushRetrySameSeq: ApplyBatch fails without applying; the Batch is
// retried with its Seq before any new one, and sessions recorded while
// the Store was down go into the next Batch, not lost.
func TestFlushRetrySameSeq(t *testing.T) {
	a := aggregate.New(testConfig)
	st := newMemStore()
	f := newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx1"})
	record(t, a, session{t: noon, p: stsCom, failures: []report.FailureDetail{expired}})
	if err := f.Flush(t.Context()); err != nil { // Seq 1
		t.Fatal(err)
	}
	record(t, a, session{t: noon, p: stsCom, failures: []report.FailureDetail{mismatch}})
	st.setFail(2, false)
	for range 2 {
		if err := f.Flush(t.Context()); !errors.Is(err, errStoreDown) {
			t.Fatalf("Flush = %v, want the store's error", err)
		}
		record(t, a, session{t: nextDay, p: noneOrg}) // recorded while the store is down
	}
	if err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, b := range st.batches() {
		seqs = append(seqs, b.Seq)
	}
	if diff := cmp.Diff([]uint64{1, 2, 2, 2, 3}, seqs); diff != "" {
		t.Errorf("Seqs of ApplyBatch calls (-want +got):\n%s", diff)
	}
	calls := st.batches()
	if diff := cmp.Diff(calls[1], calls[3], cmpOpts); diff != "" {
		t.Errorf("retried Batch differs (-failed +retried):\n%s", diff)
	}
	if diff := cmp.Diff(memReports(t, a), storeReports(t, f, st)); diff != "" {
		t.Errorf("store (-memory +store):\n%s", diff)
	}
	// Nothing new: no Batch.
	n := len(st.batches())
	if err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(st.batches()); got != n {
		t.Errorf("Flush with nothing recorded called ApplyBatch")
	}
}

// TestFlushRestart: a restarted node (a new Aggregator and Flusher with
// the same Node) continues its Seq after the Store's LastSeq, so its
// Batches are not taken for replays; the crash lost only what was not
// flushed.
func TestFlushRestart(t *testing.T) {
	st := newMemStore()
	a := aggregate.New(testConfig)
	f := newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx1"})
	record(t, a, repeat(2, session{t: noon, p: stsCom})...)
	if err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	record(t, a, session{t: noon, p: stsCom, failures: []report.FailureDetail{expired}})
	if err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	record(t, a, session{t: noon, p: noneOrg}) // never flushed: lost in the crash

	a2 := aggregate.New(testConfig)
	f2 := newFlusher(t, a2, st, aggregate.FlushConfig{Node: "mx1"})
	record(t, a2, session{t: noon, p: stsCom, failures: []report.FailureDetail{mismatch}})
	if err := f2.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	calls := st.batches()
	if got := calls[len(calls)-1].Seq; got != 3 {
		t.Errorf("restarted node's first Seq = %d, want 3", got)
	}
	want := aggregate.New(testConfig)
	record(t, want, repeat(2, session{t: noon, p: stsCom})...)
	record(t, want, session{t: noon, p: stsCom, failures: []report.FailureDetail{expired}})
	record(t, want, session{t: noon, p: stsCom, failures: []report.FailureDetail{mismatch}})
	if diff := cmp.Diff(memReports(t, want), storeReports(t, f2, st)); diff != "" {
		t.Errorf("store after restart (-want +got):\n%s", diff)
	}
}

// TestFlushCrashProperty checks acknowledged ≤ recovered ≤ recorded for
// random failures: after each flush attempt the node "crashes" with
// probability 1/4 (its unflushed counts are gone), and the store's
// session total must lie between the sessions acknowledged and those
// recorded, and equal what the acknowledged Batches carried.
func TestFlushCrashProperty(t *testing.T) {
	for seed := range uint64(16) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 8460))
			st := newMemStore()
			a := aggregate.New(testConfig)
			f := newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx1"})
			var recorded, acked, sinceAck int64
			for range 200 {
				n := 1 + r.IntN(5)
				record(t, a, repeat(n, session{t: noon, p: stsCom})...)
				recorded += int64(n)
				sinceAck += int64(n)
				switch r.IntN(3) {
				case 0:
					st.setFail(1, r.IntN(2) == 0)
				}
				if err := f.Flush(t.Context()); err == nil {
					acked += sinceAck
					sinceAck = 0
				}
				if r.IntN(4) == 0 { // crash: memory and the kept Batch are gone
					a = aggregate.New(testConfig)
					f = newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx1"})
					sinceAck = 0
				}
			}
			got := storedSessions(t, st)
			if got < acked || got > recorded {
				t.Fatalf("stored %d sessions; acknowledged %d, recorded %d", got, acked, recorded)
			}
		})
	}
}

func storedSessions(t testing.TB, st aggregate.Store) int64 {
	t.Helper()
	prs, err := st.DayCounts(t.Context(), day0)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, pr := range prs {
		n += pr.Summary.TotalSuccessfulSessionCount + pr.Summary.TotalFailureSessionCount
	}
	return n
}

// TestFlushForget: Forget drops the day's unflushed counts after
// flushing; a flush then carries nothing of that day.
func TestFlushForget(t *testing.T) {
	st := newMemStore()
	a := aggregate.New(testConfig)
	f := newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx1"})
	record(t, a, session{t: noon, p: stsCom}, session{t: nextDay, p: stsCom})
	if err := f.Forget(t.Context(), noon); err != nil {
		t.Fatal(err)
	}
	if got := a.Days(); len(got) != 1 || !got[0].Equal(nextDay) {
		t.Errorf("Days after Forget = %v, want [%v]", got, nextDay)
	}
	// Counted after the flush, before the Forget of the memory.
	record(t, a, session{t: nextDay, p: noneOrg})
	a.Forget(nextDay)
	n := len(st.batches())
	if err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(st.batches()); got != n {
		t.Errorf("Flush after Forget sent %d Batches of a forgotten day", got-n)
	}
	if got := storedSessions(t, st); got != 1 {
		t.Errorf("stored sessions of day0 = %d, want 1", got)
	}
}

// TestFlusherRun: Run flushes on its own every Interval, and Close stops
// it and flushes what is left.
func TestFlusherRun(t *testing.T) {
	st := newMemStore()
	a := aggregate.New(testConfig)
	var errs []error
	var mu sync.Mutex
	f := newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx1", Interval: time.Millisecond, OnError: func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}})
	st.setFail(1, false)
	done := make(chan error)
	go func() { done <- f.Run(context.Background()) }()
	record(t, a, session{t: noon, p: stsCom})
	deadline := time.Now().Add(10 * time.Second)
	for storedSessions(t, st) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not flush within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	record(t, a, session{t: noon, p: stsCom})
	if err := f.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Run after Close = %v, want nil", err)
	}
	if got := storedSessions(t, st); got != 2 {
		t.Errorf("stored sessions after Close = %d, want 2", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) != 1 || !errors.Is(errs[0], errStoreDown) {
		t.Errorf("OnError got %v, want the one store error", errs)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx2"}).Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a done context = %v, want context.Canceled", err)
	}
}

func TestNewFlusherNoNode(t *testing.T) {
	_, err := aggregate.NewFlusher(t.Context(), aggregate.New(testConfig), newMemStore(), aggregate.FlushConfig{})
	if !errors.Is(err, aggregate.ErrConfig) {
		t.Errorf("NewFlusher without Node = %v, want ErrConfig", err)
	}
}

// TestClaimTakeover: one node claims the day's reports; another gets
// none until the lease expires, then takes them over; the first can no
// longer finish them, the second can, and then nobody claims them again.
func TestClaimTakeover(t *testing.T) {
	st := newMemStore()
	now := noon.Add(36 * time.Hour)
	clock := func() time.Time { return now }
	a1, a2 := aggregate.New(testConfig), aggregate.New(testConfig)
	f1 := newFlusher(t, a1, st, aggregate.FlushConfig{Node: "mx1", Lease: time.Hour, Now: clock})
	f2 := newFlusher(t, a2, st, aggregate.FlushConfig{Node: "mx2", Lease: time.Hour, Now: clock})
	record(t, a1, session{t: noon, p: stsCom}, session{t: noon, p: noneOrg})
	record(t, a2, session{t: noon, p: tlsaMX, failures: []report.FailureDetail{expired}})
	domains := func(cs []aggregate.ClaimedReport) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Claim.PolicyDomain)
		}
		return out
	}

	c1, err := f1.ClaimReports(t.Context(), day0)
	if err != nil {
		t.Fatal(err)
	}
	// f1 has not seen a2's counts flushed yet: they are flushed by f2's
	// first call, but the claims are per domain, so mx1.example.net is
	// claimed by whoever builds it first.
	if diff := cmp.Diff([]string{"example.com", "example.org"}, domains(c1)); diff != "" {
		t.Fatalf("mx1 claimed (-want +got):\n%s", diff)
	}
	c2, err := f2.ClaimReports(t.Context(), day0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"mx1.example.net"}, domains(c2)); diff != "" {
		t.Fatalf("mx2 claimed (-want +got):\n%s", diff)
	}
	for _, c := range c2 {
		if err := f2.FinishReport(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}

	now = now.Add(59 * time.Minute)
	if c, err := f2.ClaimReports(t.Context(), day0); err != nil || len(c) != 0 {
		t.Fatalf("mx2 claimed %v, %v before the lease expired; want nothing", domains(c), err)
	}
	now = now.Add(time.Minute)
	c2, err = f2.ClaimReports(t.Context(), day0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"example.com", "example.org"}, domains(c2)); diff != "" {
		t.Fatalf("mx2 took over (-want +got):\n%s", diff)
	}
	for i := range c2 {
		if diff := cmp.Diff(c1[i].Report, c2[i].Report, cmpOpts); diff != "" {
			t.Errorf("taken-over report differs (-mx1 +mx2):\n%s", diff)
		}
	}
	if err := f1.FinishReport(t.Context(), c1[0]); !errors.Is(err, aggregate.ErrNotClaimed) {
		t.Errorf("FinishReport by the node whose lease expired = %v, want ErrNotClaimed", err)
	}
	for _, c := range c2 {
		if err := f2.FinishReport(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(24 * time.Hour)
	for _, f := range []*aggregate.Flusher{f1, f2} {
		if c, err := f.ClaimReports(t.Context(), day0); err != nil || len(c) != 0 {
			t.Errorf("claimed %v, %v after every report was finished; want nothing", domains(c), err)
		}
	}
}

// TestClaimRenew: a node calling ClaimReports again keeps its reports and
// extends their lease.
func TestClaimRenew(t *testing.T) {
	st := newMemStore()
	now := nextDay.Add(time.Hour)
	clock := func() time.Time { return now }
	a := aggregate.New(testConfig)
	f1 := newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx1", Now: clock}) // default lease
	f2 := newFlusher(t, aggregate.New(testConfig), st, aggregate.FlushConfig{Node: "mx2", Now: clock})
	record(t, a, session{t: noon, p: stsCom})
	for range 3 {
		c, err := f1.ClaimReports(t.Context(), day0)
		if err != nil || len(c) != 1 {
			t.Fatalf("mx1 ClaimReports = %d reports, %v; want its report", len(c), err)
		}
		if want := now.Add(15 * time.Minute); !c[0].Claim.Until.Equal(want) {
			t.Errorf("lease until %v, want %v (15 minutes by default)", c[0].Claim.Until, want)
		}
		now = now.Add(10 * time.Minute)
		if c, err := f2.ClaimReports(t.Context(), day0); err != nil || len(c) != 0 {
			t.Fatalf("mx2 claimed %d reports, %v while mx1 renews; want none", len(c), err)
		}
	}
}

// TestBatchContents: a Batch carries the counts added since the previous
// one, as increments, by day.
func TestBatchContents(t *testing.T) {
	st := newMemStore()
	a := aggregate.New(testConfig)
	f := newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx1"})
	record(t, a, session{t: noon, p: stsCom}, session{t: noon, p: stsCom, failures: []report.FailureDetail{expired, mismatch}})
	if err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	record(t, a, session{t: noon, p: stsCom, failures: []report.FailureDetail{expired}}, session{t: nextDay, p: noneOrg})
	if err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []aggregate.Batch{
		{Node: "mx1", Seq: 1, Days: []aggregate.DayCounts{{Day: day0, Policies: []report.PolicyResult{
			pr(stsCom, 1, 1, withCount(expired, 1), withCount(mismatch, 1)),
		}}}},
		{Node: "mx1", Seq: 2, Days: []aggregate.DayCounts{
			{Day: day0, Policies: []report.PolicyResult{pr(stsCom, 0, 1, withCount(expired, 1))}},
			{Day: nextDay, Policies: []report.PolicyResult{pr(noneOrg, 1, 0)}},
		}},
	}
	if diff := cmp.Diff(want, st.batches(), cmpOpts); diff != "" {
		t.Errorf("Batches (-want +got):\n%s", diff)
	}
}

// BenchmarkFlusherFlush flushes 10 sessions (one failure detail each)
// recorded since the previous flush while the Aggregator holds a day of
// `held` distinct failure details: a flush visits only the entries
// counted since the previous one, so its cost does not grow with held.
func BenchmarkFlusherFlush(b *testing.B) {
	for _, held := range []int{1000, 100_000} {
		b.Run(fmt.Sprintf("held=%d", held), func(b *testing.B) {
			a := aggregate.New(testConfig)
			id, err := a.PolicyID(stsCom)
			if err != nil {
				b.Fatal(err)
			}
			fds := manyDetails(held)
			for _, fd := range fds {
				if err := a.Record(aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(fd)}); err != nil {
					b.Fatal(err)
				}
			}
			st := newMemStore()
			f := newFlusher(b, a, st, aggregate.FlushConfig{Node: "mx1"})
			if err := f.Flush(b.Context()); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				st.calls = st.calls[:0]
				for j := range 10 {
					s := aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(fds[(i*10+j)%held])}
					if err := a.Record(s); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if err := f.Flush(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// splitStore returns each stored policy as two PolicyResults (the second
// with its policy-domain in upper case) and each failure detail in both,
// its count split: counts the Store contract does not promise, which
// Reports adds up all the same.
type splitStore struct{ *memStore }

func (s splitStore) DayCounts(ctx context.Context, day time.Time) ([]report.PolicyResult, error) {
	prs, err := s.memStore.DayCounts(ctx, day)
	var out []report.PolicyResult
	for _, pr := range prs {
		a, b := pr, pr
		b.Policy.Domain = strings.ToUpper(b.Policy.Domain)
		a.Summary.TotalSuccessfulSessionCount /= 2
		b.Summary.TotalSuccessfulSessionCount -= a.Summary.TotalSuccessfulSessionCount
		a.Summary.TotalFailureSessionCount /= 2
		b.Summary.TotalFailureSessionCount -= a.Summary.TotalFailureSessionCount
		a.FailureDetails, b.FailureDetails = nil, nil
		for _, fd := range pr.FailureDetails {
			x, y := fd, fd
			x.FailedSessionCount /= 2
			y.FailedSessionCount -= x.FailedSessionCount
			a.FailureDetails = append(a.FailureDetails, x)
			b.FailureDetails = append(b.FailureDetails, y)
		}
		out = append(out, a, b)
	}
	return out, err
}

func TestReportsAddUpRepeatedCounts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ss := randomSessions(r, 300)
	single := aggregate.New(testConfig)
	record(t, single, ss...)
	st := splitStore{newMemStore()}
	a := aggregate.New(testConfig)
	record(t, a, ss...)
	f := newFlusher(t, a, st, aggregate.FlushConfig{Node: "mx1"})
	if err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(memReports(t, single), storeReports(t, f, st)); diff != "" {
		t.Errorf("reports from repeated counts (-want +got):\n%s", diff)
	}
}
