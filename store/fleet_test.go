package store

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// fleetPolicies are the policies of the fleet test: each type, A-label
// domains, and spellings that are one policy by policy.Policy.Key (case,
// trailing dot, tlsa RR order and hex case).
var fleetPolicies = []policy.Policy{
	{Type: policy.TypeSTS, Domain: "xn--bcher-kva.example",
		Strings: []string{"version: STSv1", "mode: enforce", "mx: *.mx.xn--bcher-kva.example", "max_age: 604800"},
		MXHosts: []string{"*.mx.xn--bcher-kva.example"}},
	{Type: policy.TypeSTS, Domain: "XN--BCHER-KVA.example.",
		Strings: []string{"version: STSv1", "mode: enforce", "mx: *.mx.xn--bcher-kva.example", "max_age: 604800"},
		MXHosts: []string{"*.MX.xn--bcher-kva.example"}},
	{Type: policy.TypeSTS, Domain: "example.com",
		Strings: []string{"version: STSv1", "mode: testing", "mx: mx1.example.com", "mx: mx2.example.com", "max_age: 86400"},
		MXHosts: []string{"mx1.example.com", "mx2.example.com"}},
	{Type: policy.TypeTLSA, Domain: "mx1.example.com",
		Strings: []string{"3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6", "2 0 1 AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899"}},
	{Type: policy.TypeTLSA, Domain: "MX1.example.com",
		Strings: []string{"2 0 1 aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899", "3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"}},
	{Type: policy.TypeNoPolicyFound, Domain: "example.org"},
	{Type: policy.TypeNoPolicyFound, Domain: "xn--mnchen-3ya.example"},
}

// fleetFailures are the failures sessions of the fleet test draw from:
// IPv4, IPv6 and IPv4-mapped addresses (the Aggregator unmaps them), MX
// names in other case, reason codes.
var fleetFailures = []aggregate.Failure{
	{ResultType: report.ResultCertificateExpired, SendingMTAIP: netip.MustParseAddr("192.0.2.25"),
		ReceivingMXHostname: "mx1.example.com", ReceivingIP: netip.MustParseAddr("198.51.100.1")},
	{ResultType: report.ResultCertificateExpired, SendingMTAIP: netip.MustParseAddr("2001:db8::25"),
		ReceivingMXHostname: "MX1.example.com.", ReceivingIP: netip.MustParseAddr("2001:db8:1::1")},
	{ResultType: report.ResultSTARTTLSNotSupported, SendingMTAIP: netip.MustParseAddr("::ffff:192.0.2.26"),
		ReceivingMXHostname: "mx2.example.com", ReceivingMXHelo: "mx2.example.com ESMTP",
		FailureReasonCode: "no STARTTLS in the EHLO reply"},
	{ResultType: report.ResultCertificateNotTrusted, ReceivingMXHostname: "a.mx.xn--bcher-kva.example",
		FailureReasonCode:     "x509: certificate signed by unknown authority",
		AdditionalInformation: "https://sender.example/tls-help"},
	{ResultType: report.ResultTLSAInvalid, ReceivingMXHostname: "mx1.example.com", ReceivingIP: netip.MustParseAddr("198.51.100.1")},
	{ResultType: report.ResultSTSPolicyFetchError, FailureReasonCode: "https://mta-sts.example.com/.well-known/mta-sts.txt: 404"},
	{ResultType: report.ResultValidationFailure, SendingMTAIP: netip.MustParseAddr("2001:db8::26")},
}

// TestFleetReports is a property test: random sessions, recorded by three
// nodes (distinct Aggregators and Flushers, one Store) that flush at
// random moments while they record, give byte for byte the reports
// (MarshalJSON, report-ids included) of one in-memory Aggregator that
// recorded every session, on every day and from every node.
func TestFleetReports(t *testing.T) {
	const sessions, nodes = 3000, 3
	days := []time.Time{day1, day2}
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 3))
		single := aggregate.New(crashConfig)
		type node struct {
			agg      *aggregate.Aggregator
			fl       *aggregate.Flusher
			sessions []aggregate.Session
			ids      []aggregate.PolicyID
			flushAt  map[int]bool
		}
		fleet := make([]*node, nodes)
		register := func(agg *aggregate.Aggregator) []aggregate.PolicyID {
			ids := make([]aggregate.PolicyID, len(fleetPolicies))
			for i, p := range fleetPolicies {
				var err error
				ids[i], err = agg.PolicyID(p)
				require.NoError(t, err)
			}
			return ids
		}
		for n := range fleet {
			agg := aggregate.New(crashConfig)
			fl, err := aggregate.NewFlusher(ctx, agg, st, aggregate.FlushConfig{Node: fmt.Sprintf("mta-%d", n)})
			require.NoError(t, err)
			fleet[n] = &node{agg: agg, fl: fl, ids: register(agg), flushAt: make(map[int]bool)}
		}
		singleIDs := register(single)
		for range sessions {
			p := rng.IntN(len(fleetPolicies))
			s := aggregate.Session{Time: days[rng.IntN(len(days))].Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))}
			for range max(0, rng.IntN(5)-2) { // mostly successes
				s.Failures = append(s.Failures, fleetFailures[rng.IntN(len(fleetFailures))])
			}
			s.Policy = singleIDs[p]
			require.NoError(t, single.Record(s))
			nd := fleet[rng.IntN(nodes)]
			s.Policy = nd.ids[p]
			nd.sessions = append(nd.sessions, s)
			if rng.IntN(100) == 0 {
				nd.flushAt[len(nd.sessions)] = true
			}
		}
		// The nodes record concurrently, each flushing at its random
		// moments, with a concurrent flusher too.
		var wg sync.WaitGroup
		for _, nd := range fleet {
			wg.Go(func() {
				for i, s := range nd.sessions {
					if err := nd.agg.Record(s); err != nil {
						t.Error(err)
						return
					}
					if nd.flushAt[i+1] {
						if err := nd.fl.Flush(ctx); err != nil {
							t.Error(err)
							return
						}
					}
				}
			})
			wg.Go(func() {
				for range 3 {
					if err := nd.fl.Flush(ctx); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		// Every node flushes what it recorded since (as each does within
		// an interval); then any node builds the reports.
		for _, nd := range fleet {
			require.NoError(t, nd.fl.Flush(ctx))
		}
		for _, d := range days {
			want, err := single.Reports(d)
			require.NoError(t, err)
			if len(want) == 0 {
				t.Fatalf("no reports for %s", d.Format(time.DateOnly))
			}
			for n, nd := range fleet {
				got, err := nd.fl.Reports(ctx, d)
				require.NoError(t, err)
				if len(got) != len(want) {
					t.Fatalf("node %d, %s: %d reports, want %d", n, d.Format(time.DateOnly), len(got), len(want))
				}
				for i := range want {
					w, err := want[i].MarshalJSON()
					require.NoError(t, err)
					g, err := got[i].MarshalJSON()
					require.NoError(t, err)
					if !bytes.Equal(w, g) {
						t.Errorf("node %d, %s, report %d differs:\nfleet:  %s\nsingle: %s", n, d.Format(time.DateOnly), i, g, w)
					}
				}
			}
		}
	})
}
