package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the program, not the library, picks the driver

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
	"github.com/go-tlsrpt/tlsrpt/submit"
)

// openExampleStore opens a Store on a new SQLite file in dir.
func openExampleStore(ctx context.Context, dir string) (*store.Store, *sql.DB) {
	db, err := sql.Open("sqlite", store.SQLiteDSN(filepath.Join(dir, "mta.db")))
	if err != nil {
		log.Fatal(err)
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	return st, db
}

// Two MTAs of a fleet flush their counts into one Store; a flush retried
// after a lost answer is not counted twice; one node claims the day's
// report for the policy domain and builds it from the counts of both.
func ExampleStore_ApplyBatch() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tlsrpt-mta-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, db := openExampleStore(ctx, dir)
	defer db.Close()
	defer st.Close()

	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	sts, err := policy.FromSTSText("example.com", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800\n")
	if err != nil {
		log.Fatal(err)
	}
	flush := func(node string, seq uint64, ok, failed int64) {
		err := st.ApplyBatch(ctx, &aggregate.Batch{Node: node, Seq: seq, Days: []aggregate.DayCounts{{Day: day,
			Policies: []report.PolicyResult{{
				Policy:  sts,
				Summary: report.Summary{TotalSuccessfulSessionCount: ok, TotalFailureSessionCount: failed},
				FailureDetails: []report.FailureDetail{{ResultType: report.ResultCertificateExpired,
					ReceivingMXHostname: "mx.example.com", FailedSessionCount: failed}},
			}},
		}}})
		if err != nil {
			log.Fatal(err)
		}
	}
	flush("mta-1", 1, 90, 2)
	flush("mta-2", 1, 40, 1)
	flush("mta-1", 1, 90, 2) // retried: applied before, changes nothing
	flush("mta-1", 2, 10, 0)

	last, err := st.LastSeq(ctx, "mta-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("mta-1 continues after seq", last)

	now := day.Add(25 * time.Hour)
	for _, node := range []string{"mta-2", "mta-1"} {
		won, err := st.ClaimReport(ctx, aggregate.Claim{Day: day, PolicyDomain: "example.com", Node: node,
			Now: now, Until: now.Add(10 * time.Minute)})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s claims the report: %v\n", node, won)
	}
	counts, err := st.DayCounts(ctx, day)
	if err != nil {
		log.Fatal(err)
	}
	for _, pr := range counts {
		fmt.Printf("%s %s: %d successful, %d failed\n", pr.Policy.Type, pr.Policy.Domain,
			pr.Summary.TotalSuccessfulSessionCount, pr.Summary.TotalFailureSessionCount)
		for _, fd := range pr.FailureDetails {
			fmt.Printf("  %s at %s: %d\n", fd.ResultType, fd.ReceivingMXHostname, fd.FailedSessionCount)
		}
	}
	if err := st.FinishReport(ctx, aggregate.Claim{Day: day, PolicyDomain: "example.com", Node: "mta-2"}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// mta-1 continues after seq 2
	// mta-2 claims the report: true
	// mta-1 claims the report: false
	// sts example.com: 140 successful, 3 failed
	//   certificate-expired at mx.example.com: 3
}

// A report waits in the queue; a node leases it, delivery fails for now,
// and the node saves the outcome with the next attempt's time.
func ExampleStore_Lease() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tlsrpt-mta-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, db := openExampleStore(ctx, dir)
	defer db.Close()
	defer st.Close()

	now := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	job := &submit.Job{ID: "2026-11-28T00:00:00Z_example.com", PolicyDomain: "example.com",
		Report: []byte(`{"report-id":"2026-11-28T00:00:00Z_example.com"}`), Created: now, NextAttempt: now}
	for range 2 {
		added, err := st.Enqueue(ctx, job)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("enqueued:", added)
	}
	jobs, err := st.Lease(ctx, "mta-1", now, now.Add(5*time.Minute), 10)
	if err != nil {
		log.Fatal(err)
	}
	other, err := st.Lease(ctx, "mta-2", now, now.Add(5*time.Minute), 10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("mta-1 leased %d, mta-2 leased %d\n", len(jobs), len(other))
	j := jobs[0]
	j.Attempts, j.FirstAttempt, j.NextAttempt = 1, now, now.Add(15*time.Minute)
	j.Outcomes = []submit.JobOutcome{{URI: "mailto:tlsrpt@example.com", Status: submit.StatusTemporaryFailure,
		StatusCode: 451, Error: "greylisted", Time: now}}
	if err := st.Save(ctx, "mta-1", j); err != nil {
		log.Fatal(err)
	}
	later, err := st.Lease(ctx, "mta-2", now.Add(15*time.Minute), now.Add(20*time.Minute), 10)
	if err != nil {
		log.Fatal(err)
	}
	for _, j := range later {
		fmt.Printf("mta-2 retries %s, attempt %d, last: %s %d\n", j.ID, j.Attempts+1, j.Outcomes[0].Status, j.Outcomes[0].StatusCode)
	}
	// Output:
	// enqueued: true
	// enqueued: false
	// mta-1 leased 1, mta-2 leased 0
	// mta-2 retries 2026-11-28T00:00:00Z_example.com, attempt 2, last: temporary-failure 451
}
