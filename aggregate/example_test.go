package aggregate_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// An MTA registers the policy it applied, records each session, and after
// the UTC day prints the day's report.
func Example() {
	agg := aggregate.New(aggregate.Config{
		OrganizationName: "Example Sender",
		ContactInfo:      "tlsrpt@sender.example",
	})
	sts, err := agg.PolicyID(policy.Policy{
		Type:    policy.TypeSTS,
		Strings: []string{"version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 86400"},
		Domain:  "example.com",
		MXHosts: []string{"mx.example.com"},
	})
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	expired := aggregate.Failure{
		ResultType:          report.ResultCertificateExpired,
		SendingMTAIP:        netip.MustParseAddr("192.0.2.1"),
		ReceivingMXHostname: "mx.example.com",
		ReceivingIP:         netip.MustParseAddr("198.51.100.25"),
	}
	for _, s := range []aggregate.Session{
		{Time: at, Policy: sts},
		{Time: at.Add(time.Hour), Policy: sts},
		{Time: at.Add(2 * time.Hour), Policy: sts, Failures: []aggregate.Failure{expired}},
		{Time: at.Add(3 * time.Hour), Policy: sts, ReportDelivery: true}, // not counted
	} {
		if err := agg.Record(s); err != nil {
			panic(err)
		}
	}
	reports, err := agg.Reports(at)
	if err != nil {
		panic(err)
	}
	for _, r := range reports {
		out, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			panic(err)
		}
		fmt.Println(string(out))
	}
	// Output:
	// {
	//   "organization-name": "Example Sender",
	//   "date-range": {
	//     "start-datetime": "2026-11-24T00:00:00Z",
	//     "end-datetime": "2026-11-24T23:59:59Z"
	//   },
	//   "contact-info": "tlsrpt@sender.example",
	//   "report-id": "2026-11-24.example.com.e1d00586fbc6de63@sender.example",
	//   "policies": [
	//     {
	//       "policy": {
	//         "policy-type": "sts",
	//         "policy-string": [
	//           "version: STSv1",
	//           "mode: enforce",
	//           "mx: mx.example.com",
	//           "max_age: 86400"
	//         ],
	//         "policy-domain": "example.com",
	//         "mx-host": [
	//           "mx.example.com"
	//         ]
	//       },
	//       "summary": {
	//         "total-successful-session-count": 2,
	//         "total-failure-session-count": 1
	//       },
	//       "failure-details": [
	//         {
	//           "result-type": "certificate-expired",
	//           "sending-mta-ip": "192.0.2.1",
	//           "receiving-mx-hostname": "mx.example.com",
	//           "receiving-ip": "198.51.100.25",
	//           "failed-session-count": 1
	//         }
	//       ]
	//     }
	//   ]
	// }
}

// Nodes write snapshots; one node merges them and reports as if it had
// seen every session.
func ExampleAggregator_MergeSnapshot() {
	cfg := aggregate.Config{OrganizationName: "Example Sender", ContactInfo: "tlsrpt@sender.example"}
	p := policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.org"}
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

	var snapshots []bytes.Buffer
	for node := range 3 {
		agg := aggregate.New(cfg)
		id, err := agg.PolicyID(p)
		if err != nil {
			panic(err)
		}
		for i := range node + 1 {
			if err := agg.Record(aggregate.Session{Time: day.Add(time.Duration(i) * time.Hour), Policy: id}); err != nil {
				panic(err)
			}
		}
		var buf bytes.Buffer
		if err := agg.WriteSnapshot(&buf); err != nil {
			panic(err)
		}
		snapshots = append(snapshots, buf)
	}

	total := aggregate.New(cfg)
	for i := range snapshots {
		if err := total.MergeSnapshot(&snapshots[i]); err != nil {
			panic(err)
		}
	}
	reports, err := total.Reports(day)
	if err != nil {
		panic(err)
	}
	fmt.Println(reports[0].ReportID)
	fmt.Println(reports[0].Policies[0].Summary.TotalSuccessfulSessionCount)
	// Output:
	// 2026-11-24.example.org.fa374be03e0ca950@sender.example
	// 6
}

// The reports of a day go out after it ends, with a random delay of up to
// four hours (RFC 8460 §4.1). A seeded source makes the choice repeatable.
func ExampleScheduler_SendTime() {
	s := aggregate.Scheduler{
		Now:  func() time.Time { return time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC) },
		Rand: rand.NewPCG(1, 2),
	}
	fmt.Println(s.SendTime(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)).Format(time.RFC3339))
	// Output:
	// 2026-11-25T03:04:38Z
}

// After a restart or at the end of each day, an MTA reports every finished
// day it holds and then forgets it. Sessions that delivered a report are
// not counted (RFC 8460 §3); Stats shows them.
func ExampleAggregator_Days() {
	agg := aggregate.New(aggregate.Config{OrganizationName: "Example Sender", ContactInfo: "tlsrpt@sender.example", OnlyFailures: true})
	id, err := agg.PolicyID(policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.org"})
	if err != nil {
		panic(err)
	}
	first := time.Date(2026, 11, 23, 23, 59, 59, 0, time.UTC)
	starttls := []aggregate.Failure{{ResultType: report.ResultSTARTTLSNotSupported, ReceivingMXHostname: "mx.example.org"}}
	for _, s := range []aggregate.Session{
		{Time: first, Policy: id, Failures: starttls},
		{Time: first.Add(time.Second), Policy: id},                           // the next UTC day
		{Time: first.Add(2 * time.Second), Policy: id, ReportDelivery: true}, // not counted
	} {
		if err := agg.Record(s); err != nil {
			panic(err)
		}
	}
	now := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	for _, day := range agg.Days() {
		if !day.Add(24 * time.Hour).Before(now) {
			continue // not over yet
		}
		reports, err := agg.Reports(day)
		if err != nil {
			panic(err)
		}
		fmt.Println(day.Format(time.DateOnly), len(reports), "report(s)")
		agg.Forget(day)
	}
	fmt.Printf("%+v\n", agg.Stats())
	// Output:
	// 2026-11-23 1 report(s)
	// 2026-11-24 0 report(s)
	// {Sessions:2 ReportDeliverySessions:1}
}
