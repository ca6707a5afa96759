package aggregate_test

import (
	"context"
	"fmt"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// Two MTAs of a fleet share one Store (package store's over PostgreSQL,
// here an in-memory one). Each flushes its counts every second; after the
// day, the reports are built from both nodes' counts and each is claimed
// by exactly one node, which hands it over for delivery and finishes it.
func ExampleFlusher() {
	ctx := context.Background()
	var st aggregate.Store = newMemStore()
	cfg := aggregate.Config{OrganizationName: "Example Sender", ContactInfo: "tlsrpt@sender.example"}
	sts := policy.Policy{Type: policy.TypeSTS, Domain: "example.com",
		Strings: []string{"version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 86400"},
		MXHosts: []string{"mx.example.com"}}
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

	var flushers []*aggregate.Flusher
	for _, node := range []string{"mta1.sender.example", "mta2.sender.example"} {
		agg := aggregate.New(cfg)
		fl, err := aggregate.NewFlusher(ctx, agg, st, aggregate.FlushConfig{Node: node})
		if err != nil {
			panic(err)
		}
		go fl.Run(ctx) // flushes every second until Close
		flushers = append(flushers, fl)

		id, err := agg.PolicyID(sts)
		if err != nil {
			panic(err)
		}
		if err := agg.Record(aggregate.Session{Time: day.Add(9 * time.Hour), Policy: id}); err != nil {
			panic(err)
		}
	}

	// Run flushes every second; the reports are built hours after the
	// day (Scheduler.SendTime), when every node has flushed. Here:
	for _, fl := range flushers {
		if err := fl.Flush(ctx); err != nil {
			panic(err)
		}
	}

	// After the day, every node does the same:
	for i, fl := range flushers {
		claimed, err := fl.ClaimReports(ctx, day)
		if err != nil {
			panic(err) // the Store is down: try again later
		}
		for _, c := range claimed {
			// Hand c.Report to the delivery queue, then:
			if err := fl.FinishReport(ctx, c); err != nil {
				panic(err)
			}
			fmt.Printf("node %d: %s, %d sessions\n", i+1, c.Report.ReportID,
				c.Report.Policies[0].Summary.TotalSuccessfulSessionCount)
		}
		if len(claimed) == 0 {
			fmt.Printf("node %d: nothing to send\n", i+1)
		}
	}
	for _, fl := range flushers {
		if err := fl.Close(ctx); err != nil { // the last flush
			panic(err)
		}
	}
	// Output:
	// node 1: 2026-11-24.example.com.e1d00586fbc6de63@sender.example, 2 sessions
	// node 2: nothing to send
}

// Reports builds a day's reports from every node's stored counts: the
// same bytes as one Aggregator that recorded every session. Forget then
// drops the day from a node's memory; the Store keeps it.
func ExampleFlusher_Reports() {
	ctx := context.Background()
	st := newMemStore()
	cfg := aggregate.Config{OrganizationName: "Example Sender", ContactInfo: "tlsrpt@sender.example"}
	p := policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.net"}
	at := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)

	single := aggregate.New(cfg)
	var fleet []*aggregate.Flusher
	for _, node := range []string{"mta1", "mta2", "mta3"} {
		agg := aggregate.New(cfg)
		fl, err := aggregate.NewFlusher(ctx, agg, st, aggregate.FlushConfig{Node: node})
		if err != nil {
			panic(err)
		}
		fleet = append(fleet, fl)
		for _, a := range []*aggregate.Aggregator{agg, single} {
			id, err := a.PolicyID(p)
			if err != nil {
				panic(err)
			}
			if err := a.Record(aggregate.Session{Time: at, Policy: id}); err != nil {
				panic(err)
			}
		}
		if err := fl.Forget(ctx, at); err != nil { // flushes first
			panic(err)
		}
	}
	fromStore, err := fleet[0].Reports(ctx, at)
	if err != nil {
		panic(err)
	}
	inMemory, err := single.Reports(at)
	if err != nil {
		panic(err)
	}
	a, _ := fromStore[0].MarshalJSON()
	b, _ := inMemory[0].MarshalJSON()
	fmt.Println(fromStore[0].Policies[0].Summary.TotalSuccessfulSessionCount, "sessions; identical:", string(a) == string(b))
	// Output:
	// 3 sessions; identical: true
}
