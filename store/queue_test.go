package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/submit"
)

// qt0 is the queue tests' clock: a time with microseconds, which the
// store keeps.
var qt0 = time.Date(2026, 11, 30, 1, 0, 0, 123456000, time.UTC)

func job(id string, due time.Time) *submit.Job {
	return &submit.Job{ID: id, PolicyDomain: "xn--bcher-kva.example",
		Report: []byte(`{"report-id":"` + id + `"}`), Created: qt0.Add(-time.Hour), NextAttempt: due}
}

func ids(jobs []*submit.Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

// TestQueue walks jobs through the queue: Enqueue is idempotent by ID
// (also once the job is done), Lease returns due, unleased, unfinished
// jobs in NextAttempt order and at most max, a leased job is not leased
// again until its lease expires, Save by a node whose lease was taken over
// fails with ErrNotLeased, Save releases the lease, and the outcomes
// and times round-trip.
func TestQueue(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		for _, j := range []*submit.Job{job("c", qt0.Add(-time.Minute)), job("a", qt0), job("b", qt0.Add(-time.Minute)),
			job("later", qt0.Add(time.Hour))} {
			ok, err := st.Enqueue(ctx, j)
			require.NoError(t, err)
			require.True(t, ok, j.ID)
		}
		dup := job("a", qt0.Add(-time.Hour))
		dup.Report = []byte("other")
		ok, err := st.Enqueue(ctx, dup)
		require.NoError(t, err)
		if ok {
			t.Error("Enqueue of a queued ID = true")
		}

		// Due: b and c (earlier, by ID), then a; max 2.
		got, err := st.Lease(ctx, "n1", qt0, qt0.Add(time.Minute), 2)
		require.NoError(t, err)
		if diff := gocmp.Diff([]string{"b", "c"}, ids(got)); diff != "" {
			t.Errorf("first Lease (-want +got):\n%s", diff)
		}
		want := job("b", qt0.Add(-time.Minute))
		if diff := gocmp.Diff(want, got[0]); diff != "" {
			t.Errorf("leased job (-want +got):\n%s", diff)
		}
		got, err = st.Lease(ctx, "n2", qt0.Add(30*time.Second), qt0.Add(2*time.Minute), 10)
		require.NoError(t, err)
		if diff := gocmp.Diff([]string{"a"}, ids(got)); diff != "" {
			t.Errorf("second Lease: the leased jobs are not leased again (-want +got):\n%s", diff)
		}
		a := got[0]
		if diff := gocmp.Diff(job("a", qt0), a); diff != "" {
			t.Errorf("the duplicate Enqueue changed the job (-want +got):\n%s", diff)
		}

		// n1's lease on b and c expires at qt0+1m: n3 takes them over,
		// and n1 can no longer save them.
		got, err = st.Lease(ctx, "n3", qt0.Add(time.Minute), qt0.Add(3*time.Hour), 10)
		require.NoError(t, err)
		if diff := gocmp.Diff([]string{"b", "c"}, ids(got)); diff != "" {
			t.Errorf("Lease after expiry (-want +got):\n%s", diff)
		}
		b := got[0]
		b.Attempts = 1
		if err := st.Save(ctx, "n1", b); !errors.Is(err, submit.ErrNotLeased) {
			t.Errorf("Save by the expired holder = %v, want ErrNotLeased", err)
		}
		if err := st.Save(ctx, "n3", job("nonexistent", qt0)); !errors.Is(err, submit.ErrNotLeased) {
			t.Errorf("Save of an unknown job = %v, want ErrNotLeased", err)
		}

		// n3 saves b as retried, with outcomes; it is due again later.
		b.Attempts = 1
		b.FirstAttempt = qt0.Add(time.Minute)
		b.NextAttempt = qt0.Add(20 * time.Minute)
		b.Outcomes = []submit.JobOutcome{
			{URI: "mailto:tlsrpt@example.com", Status: submit.StatusTemporaryFailure, StatusCode: 451, Error: "try later", Time: qt0.Add(time.Minute)},
			{URI: "https://rua.example.com/v1", Status: submit.StatusPermanentFailure, StatusCode: 404, Error: "not found", Time: qt0.Add(2 * time.Minute)},
			{URI: "ftp://x", Status: submit.StatusSkipped, Time: qt0.Add(2 * time.Minute)},
		}
		require.NoError(t, st.Save(ctx, "n3", b))
		if err := st.Save(ctx, "n3", b); !errors.Is(err, submit.ErrNotLeased) {
			t.Errorf("second Save after the lease was released = %v, want ErrNotLeased", err)
		}
		// n2 finishes a.
		a.Attempts, a.FirstAttempt, a.Done = 1, qt0.Add(time.Minute), true
		a.Outcomes = []submit.JobOutcome{{URI: "mailto:tlsrpt@example.com", Status: submit.StatusAccepted, StatusCode: 250, Time: qt0.Add(time.Minute)}}
		require.NoError(t, st.Save(ctx, "n2", a))

		// At qt0+2h: b (saved, lease released, due) and later are due;
		// c is still n3's; a is done.
		got, err = st.Lease(ctx, "n4", qt0.Add(2*time.Hour), qt0.Add(3*time.Hour), 10)
		require.NoError(t, err)
		if diff := gocmp.Diff([]string{"b", "later"}, ids(got)); diff != "" {
			t.Errorf("Lease after Save (-want +got):\n%s", diff)
		}
		if diff := gocmp.Diff(b, got[0]); diff != "" {
			t.Errorf("saved job read back (-want +got):\n%s", diff)
		}
		// Done jobs are never leased and never enqueued again.
		got, err = st.Lease(ctx, "n5", qt0.Add(48*time.Hour), qt0.Add(49*time.Hour), 10)
		require.NoError(t, err)
		if diff := gocmp.Diff([]string{"c", "b", "later"}, ids(got)); diff != "" {
			t.Errorf("Lease much later (-want +got):\n%s", diff)
		}
		ok, err = st.Enqueue(ctx, job("a", qt0))
		require.NoError(t, err)
		if ok {
			t.Error("Enqueue of a done job's ID = true")
		}
		if got, err := st.Lease(ctx, "n5", qt0.Add(48*time.Hour), qt0.Add(49*time.Hour), 0); err != nil || len(got) != 0 {
			t.Errorf("Lease(max 0) = %v, %v", ids(got), err)
		}
		// Validation.
		if _, err := st.Enqueue(ctx, &submit.Job{}); err == nil {
			t.Error("Enqueue without ID succeeded")
		}
		if _, err := st.Lease(ctx, "", qt0, qt0, 1); err == nil {
			t.Error("Lease by an empty node succeeded")
		}
		if err := st.Save(ctx, "", b); err == nil || errors.Is(err, submit.ErrNotLeased) {
			t.Errorf("Save by an empty node = %v", err)
		}
	})
}

// TestQueueEnqueueZeroCreated checks that a zero Created is the Store's
// clock.
func TestQueueEnqueueZeroCreated(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := openStore(t, d.open(t), Options{Now: func() time.Time { return qt0 }})
			j := job("z", qt0)
			j.Created = time.Time{}
			ok, err := st.Enqueue(ctx, j)
			require.NoError(t, err)
			require.True(t, ok)
			if !j.Created.IsZero() {
				t.Error("Enqueue changed its argument")
			}
			got, err := st.Lease(ctx, "n", qt0, qt0.Add(time.Minute), 1)
			require.NoError(t, err)
			require.Len(t, got, 1)
			if !got[0].Created.Equal(qt0) {
				t.Errorf("Created = %v, want %v", got[0].Created, qt0)
			}
		})
	}
}

// TestQueueLeaseConcurrent lets many nodes lease from the same queue at
// once, each saving some jobs for a retry and finishing the others: no
// job is ever held by two nodes at once, and every job is finished
// exactly once.
func TestQueueLeaseConcurrent(t *testing.T) {
	const jobs, nodes = 120, 10
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		st.db.SetMaxOpenConns(maxTestConns)
		var wg sync.WaitGroup
		for i := range jobs {
			// Every job is enqueued by two nodes at once.
			for range 2 {
				wg.Go(func() {
					if _, err := st.Enqueue(ctx, job(fmt.Sprintf("j%03d", i), qt0.Add(-time.Duration(i%7)*time.Second))); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
		var mu sync.Mutex
		held := make(map[string]string) // job → node holding it
		finished := make(map[string]int)
		for n := range nodes {
			node := fmt.Sprintf("node-%d", n)
			wg.Go(func() {
				for {
					got, err := st.Lease(ctx, node, qt0, qt0.Add(time.Hour), 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, j := range got {
						if h, ok := held[j.ID]; ok {
							t.Errorf("%s leased %s, held by %s", node, j.ID, h)
						}
						held[j.ID] = node
					}
					mu.Unlock()
					for _, j := range got {
						j.Attempts++
						// The first attempt of every other job fails;
						// it is due again at once.
						j.Done = j.Attempts > 1 || j.ID[len(j.ID)-1]%2 == 0
						mu.Lock()
						delete(held, j.ID)
						if j.Done {
							finished[j.ID]++
						}
						mu.Unlock()
						if err := st.Save(ctx, node, j); err != nil {
							t.Error(err)
						}
					}
				}
			})
		}
		wg.Wait()
		if len(finished) != jobs {
			t.Errorf("%d jobs finished, want %d", len(finished), jobs)
		}
		for id, n := range finished {
			if n != 1 {
				t.Errorf("%s finished %d times", id, n)
			}
		}
	})
}

// TestDeleteFinishedJobs deletes the finished Jobs enqueued before the
// cutoff and nothing else: not a finished Job enqueued later, not an
// unfinished one however old.
func TestDeleteFinishedJobs(t *testing.T) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		old, recent, pending := job("old", qt0), job("recent", qt0), job("pending", qt0)
		old.Created = qt0.Add(-10 * 24 * time.Hour)
		pending.Created = old.Created
		recent.Created = qt0.Add(-time.Hour)
		for _, j := range []*submit.Job{old, recent, pending} {
			_, err := st.Enqueue(ctx, j)
			require.NoError(t, err)
		}
		leased, err := st.Lease(ctx, "n1", qt0, qt0.Add(time.Minute), 10)
		require.NoError(t, err)
		require.Len(t, leased, 3)
		for _, j := range leased {
			j.Attempts, j.Done = 1, j.ID != "pending"
			j.NextAttempt = qt0.Add(time.Hour)
			require.NoError(t, st.Save(ctx, "n1", j))
		}
		n, err := st.DeleteFinishedJobs(ctx, qt0.Add(-24*time.Hour))
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		// What is left: the recent finished Job (Enqueue stays a no-op)
		// and the pending one (leased again when due).
		ok, err := st.Enqueue(ctx, job("recent", qt0))
		require.NoError(t, err)
		require.False(t, ok, "recent finished job was deleted")
		got, err := st.Lease(ctx, "n1", qt0.Add(2*time.Hour), qt0.Add(3*time.Hour), 10)
		require.NoError(t, err)
		require.Equal(t, []string{"pending"}, ids(got))
		ok, err = st.Enqueue(ctx, job("old", qt0))
		require.NoError(t, err)
		require.True(t, ok, "old finished job was not deleted")
	})
}
