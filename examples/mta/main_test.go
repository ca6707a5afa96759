package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/internal/dbtest"
	"github.com/go-tlsrpt/tlsrpt/internal/golden"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
	"github.com/go-tlsrpt/tlsrpt/submit"
)

var update = flag.Bool("update", false, "rewrite testdata/output.golden")

// expected is what the reports of one policy domain must say.
type expected struct {
	policyType policy.Type
	via        string // how the report arrives: "https" or "mail"
	successful int64
	failed     map[report.ResultType]int64
	mxMessages int // messages the recipient's MX host accepted
}

// want is the scenario's outcome, counted by hand from scenario.go:
// every session to a domain has the same result, and node-2's crash loses
// the sessions it recorded after its flush at session 17 (sessions 19 and
// 22 of the plan: one to expired.example, one to dane.example). Messages
// are sent when TLS succeeded, and without a policy (plain.example) or
// after a failed MTA-STS fetch (sts404, stsbadcert) also when it did not:
// the MTA enforces only policies it has.
var want = map[string]expected{
	"good.example":       {policy.TypeSTS, "https", 12, nil, 12},
	"expired.example":    {policy.TypeSTS, "mail", 0, map[report.ResultType]int64{report.ResultCertificateExpired: 2}, 0},
	"selfsigned.example": {policy.TypeSTS, "https", 0, map[report.ResultType]int64{report.ResultCertificateNotTrusted: 3}, 0},
	"wrongname.example":  {policy.TypeSTS, "mail", 0, map[report.ResultType]int64{report.ResultCertificateHostMismatch: 2}, 0},
	"plain.example":      {policy.TypeNoPolicyFound, "https", 0, map[report.ResultType]int64{report.ResultSTARTTLSNotSupported: 4}, 4},
	"mx.dane.example":    {policy.TypeTLSA, "mail", 5, nil, 6},
	"mx.danebad.example": {policy.TypeTLSA, "https", 0, map[report.ResultType]int64{report.ResultTLSAInvalid: 2}, 0},
	"sts404.example":     {policy.TypeSTS, "https", 0, map[report.ResultType]int64{report.ResultSTSPolicyFetchError: 3}, 3},
	"stsbadcert.example": {policy.TypeSTS, "mail", 0, map[report.ResultType]int64{report.ResultSTSWebPKIInvalid: 2}, 2},
}

// mxOf returns the MX host of the recipient behind policy domain pd.
func mxOf(pd string) string {
	if len(pd) > 3 && pd[:3] == "mx." {
		return pd
	}
	return "mx." + pd
}

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestRun plays the scenario as main does, on a SQLite file.
func TestRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mta.db")
	testRun(t, func(ctx context.Context, w io.Writer) (*outcome, error) { return run(ctx, w, db) })
}

// TestRunPostgres plays the scenario with the fleet sharing PostgreSQL.
func TestRunPostgres(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, dbtest.Postgres(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	testRun(t, func(ctx context.Context, w io.Writer) (*outcome, error) { return runOn(ctx, w, st) })
}

// testRun runs the scenario twice on one store with play and checks
// every count of the first run, its output and that the second run
// hands no report over again.
func testRun(t *testing.T, play func(context.Context, io.Writer) (*outcome, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var buf bytes.Buffer
	out, err := play(ctx, &buf)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, buf.Bytes())
	}

	// The sessions made, and those lost with node-2.
	sent := map[string]map[report.ResultType]int{}
	for _, r := range scenario {
		sent[r.policyDomain()] = map[report.ResultType]int{r.want: r.sessions}
	}
	if diff := cmp.Diff(sent, out.Sent); diff != "" {
		t.Errorf("sessions (-want +got):\n%s", diff)
	}
	lost := map[string]map[report.ResultType]int{
		"expired.example": {report.ResultCertificateExpired: 1},
		"mx.dane.example": {"success": 1},
	}
	if diff := cmp.Diff(lost, out.Lost); diff != "" {
		t.Errorf("lost sessions (-want +got):\n%s", diff)
	}
	if out.SeqAfterRestart != 2 {
		t.Errorf("node-2 restarted after batch %d, want 2 (flushes after sessions 8 and 17)", out.SeqAfterRestart)
	}
	// Flushes after sessions 8, 17, 26 and 35, and at Close when the node
	// recorded something since (node-1 had session 36): node-2 went on
	// with 3 and 4 after its restart.
	if diff := cmp.Diff(map[string]uint64{"node-1": 5, "node-2": 4, "node-3": 4}, out.LastSeq); diff != "" {
		t.Errorf("last batch numbers (-want +got):\n%s", diff)
	}

	// Each report built and claimed once: node-2's claims keep the others
	// off until they expire, then node-3 takes every report over.
	claims := []claimRound{{"node-2", 9}, {"node-1", 0}, {"node-3", 0}, {"node-3", 9}, {"node-1", 0}}
	if diff := cmp.Diff(claims, out.Claimed); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	if out.Enqueued != 9 {
		t.Errorf("%d reports enqueued, want 9", out.Enqueued)
	}
	// Nine jobs, one leased twice: danebad's endpoint answered 503 first.
	if diff := cmp.Diff(submit.WorkerStats{Leased: 10, Delivered: 9, Retry: 1}, out.Delivery); diff != "" {
		t.Errorf("worker stats (-want +got):\n%s", diff)
	}
	for path, n := range out.Posts {
		wantPosts := 1
		if path == "/flaky/mx.danebad.example" {
			wantPosts = 2
		}
		if n != wantPosts {
			t.Errorf("%d POSTs to %s, want %d", n, path, wantPosts)
		}
	}

	// What arrived: each report exactly once, by the way its record says,
	// with the counts of the sessions that were not lost.
	var totalOK, totalFailed int64
	byType := map[report.ResultType]int64{}
	seen := map[string]bool{}
	for id, via := range out.Received {
		r := out.Reports[id]
		if len(r.Policies) != 1 {
			t.Errorf("report %s has %d policies, want 1", id, len(r.Policies))
			continue
		}
		p := r.Policies[0]
		pd := p.Policy.Domain
		w, ok := want[pd]
		if !ok || seen[pd] {
			t.Errorf("unexpected report %s for %s (seen before: %v)", id, pd, seen[pd])
			continue
		}
		seen[pd] = true
		if len(via) != 1 || via[0] != w.via {
			t.Errorf("%s: report arrived %v, want once by %s", pd, via, w.via)
		}
		if !r.DateRange.Start.Equal(day) || !r.DateRange.End.Equal(day.Add(24*time.Hour-time.Second)) {
			t.Errorf("%s: date-range %v", pd, r.DateRange)
		}
		if p.Policy.Type != w.policyType {
			t.Errorf("%s: policy-type %s, want %s", pd, p.Policy.Type, w.policyType)
		}
		failed := map[report.ResultType]int64{}
		var sum int64
		for _, f := range p.FailureDetails {
			failed[f.ResultType] += f.FailedSessionCount
			byType[f.ResultType] += f.FailedSessionCount
			sum += f.FailedSessionCount
		}
		if len(failed) == 0 {
			failed = nil
		}
		if p.Summary.TotalSuccessfulSessionCount != w.successful || p.Summary.TotalFailureSessionCount != sum {
			t.Errorf("%s: %d successful, %d failed (details add up to %d); want %d successful", pd,
				p.Summary.TotalSuccessfulSessionCount, p.Summary.TotalFailureSessionCount, sum, w.successful)
		}
		if diff := cmp.Diff(w.failed, failed); diff != "" {
			t.Errorf("%s: failures by result type (-want +got):\n%s", pd, diff)
		}
		totalOK += p.Summary.TotalSuccessfulSessionCount
		totalFailed += p.Summary.TotalFailureSessionCount
		if got, sent := out.MXMessages[mxOf(pd)], out.Messages[pd]; got != w.mxMessages || sent != w.mxMessages {
			t.Errorf("%s: the MTA sent %d messages, the MX accepted %d; want %d", pd, sent, got, w.mxMessages)
		}
		for _, f := range p.FailureDetails {
			if f.ReceivingMXHostname != mxOf(pd) || f.ReceivingIP.String() != "127.0.0.1" || !f.SendingMTAIP.IsValid() {
				t.Errorf("%s: failure details %+v", pd, f)
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("reports for %d policy domains arrived, want %d", len(seen), len(want))
	}
	// 37 sessions, 2 lost: 12 + 5 successful, 18 failed.
	if totalOK != 17 || totalFailed != 18 {
		t.Errorf("totals: %d successful, %d failed; want 17, 18", totalOK, totalFailed)
	}
	wantByType := map[report.ResultType]int64{
		report.ResultCertificateExpired: 2, report.ResultCertificateNotTrusted: 3, report.ResultCertificateHostMismatch: 2,
		report.ResultSTARTTLSNotSupported: 4, report.ResultTLSAInvalid: 2, report.ResultSTSPolicyFetchError: 3,
		report.ResultSTSWebPKIInvalid: 2,
	}
	if diff := cmp.Diff(wantByType, byType); diff != "" {
		t.Errorf("failures by result type over all reports (-want +got):\n%s", diff)
	}
	// Every session was a connection to its MX host; plain.example's
	// opportunistic sessions reconnect in clear text after STARTTLS was
	// not offered.
	for _, r := range scenario {
		mx, conns := "mx."+r.domain, r.sessions
		if r.mxCert == certNone {
			conns *= 2
		}
		if out.MXConns[mx] != conns {
			t.Errorf("%s: %d connections, want %d", mx, out.MXConns[mx], conns)
		}
	}

	// The output is the same on every run.
	golden.Check(t, filepath.Join("testdata", "output.golden"), buf.String(), *update)

	// A second run on the same store: the day's reports were finished, so
	// no node claims them again and nothing is delivered twice.
	buf.Reset()
	again, err := play(ctx, &buf)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, buf.Bytes())
	}
	for _, c := range again.Claimed {
		if c.Claims != 0 {
			t.Errorf("second run: %s claimed %d finished reports", c.Node, c.Claims)
		}
	}
	if again.Enqueued != 0 || len(again.Received) != 0 {
		t.Errorf("second run: %d enqueued, %d received; want none", again.Enqueued, len(again.Received))
	}
}
