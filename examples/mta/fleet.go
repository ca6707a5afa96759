package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/ingest"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/submit"
)

// day is the UTC day the fleet reports on.
var day = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

// Where node-2 dies: every node flushes after each flushEvery sessions of
// the day; node-2 is killed after session killAfter (counting from 0),
// before the next flush, and restarted at once.
const (
	flushEvery = 9
	killAfter  = 24
	killed     = "node-2"
)

// durable is what the fleet shares: the counts and claims
// (aggregate.Store) and the delivery queue (submit.Queue). *store.Store
// is both.
type durable interface {
	aggregate.Store
	submit.Queue
}

// clock is the fleet's clock for claims, leases and deliveries, set by
// the scenario (sessions carry their own times).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// node is one MTA of the fleet.
type node struct {
	name    string
	agg     *aggregate.Aggregator
	flusher *aggregate.Flusher
	sender  *sender
	// recorded since the last acknowledged flush, by policy domain and
	// result: what a crash now would lose.
	unflushed map[string]map[report.ResultType]int
}

// outcome is what happened, for main_test.go.
type outcome struct {
	// Sent counts the sessions made, by policy domain and result
	// ("success" or the failure's result type).
	Sent map[string]map[report.ResultType]int
	// Messages counts the messages the MTA sent, by policy domain.
	Messages map[string]int
	// Lost counts the sessions node-2 recorded after its last flush.
	Lost map[string]map[report.ResultType]int
	// SeqAfterRestart is the last batch number of node-2 the store held
	// when it restarted.
	SeqAfterRestart uint64
	// LastSeq is each node's last batch number at the end of the day.
	LastSeq map[string]uint64
	// Claimed counts the reports each claim round gave each node, in
	// order: "node-2", then the others while node-2's claims hold, then
	// after they expired.
	Claimed []claimRound
	// Enqueued counts the reports put on the delivery queue.
	Enqueued int
	// Delivery sums the Workers' passes.
	Delivery submit.WorkerStats
	// Received holds the reports that arrived, by report-id, with how
	// they came ("https" or "mail") once per arrival.
	Received map[string][]string
	// Reports holds each received report once, by report-id.
	Reports map[string]*report.Report
	// Posts counts the HTTPS POSTs per path of the receiver.
	Posts map[string]int
	// MXMessages counts the messages each MX host accepted; MXConns the
	// connections it got.
	MXMessages, MXConns map[string]int
}

type claimRound struct {
	Node   string
	Claims int
}

// newNode starts node name: an Aggregator and its Flusher on st, which
// continues the node's batch numbering from the store.
func newNode(ctx context.Context, name string, i int, world *world, st durable, clk *clock) (*node, error) {
	agg := aggregate.New(aggregate.Config{OrganizationName: "Example Mail", ContactInfo: "mailto:tlsrpt@mail.example"})
	f, err := aggregate.NewFlusher(ctx, agg, st, aggregate.FlushConfig{Node: name, Now: clk.Now})
	if err != nil {
		return nil, err
	}
	return &node{
		name: name, agg: agg, flusher: f,
		sender: &sender{
			helo:  name + ".mail.example",
			ip:    netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + i)}),
			dns:   world.dns,
			roots: world.roots(),
			dial:  world.servers.dial,
			stsPols: &policy.STSCache{Fetcher: policy.STSFetcher{
				Resolver: world.dns, RootCAs: world.roots(), DialContext: world.servers.dial, Timeout: 10 * time.Second,
			}},
		},
		unflushed: map[string]map[report.ResultType]int{},
	}, nil
}

// flush flushes n's counts; what it recorded is then safe.
func (n *node) flush(ctx context.Context) error {
	if err := n.flusher.Flush(ctx); err != nil {
		return err
	}
	clear(n.unflushed)
	return nil
}

func count(m map[string]map[report.ResultType]int, domain string, rt report.ResultType) {
	if m[domain] == nil {
		m[domain] = map[report.ResultType]int{}
	}
	m[domain][rt]++
}

// plan returns the day's sessions in order: the recipient domains taken
// in turn until each has had its sessions.
func plan() []recipient {
	left := make([]int, len(scenario))
	total := 0
	for i, r := range scenario {
		left[i] = r.sessions
		total += r.sessions
	}
	var out []recipient
	for len(out) < total {
		for i, r := range scenario {
			if left[i] > 0 {
				left[i]--
				out = append(out, r)
			}
		}
	}
	return out
}

// playDay runs the fleet through the day and the reporting after it.
func playDay(ctx context.Context, w io.Writer, world *world, st durable) (*outcome, error) {
	out := &outcome{
		Sent: map[string]map[report.ResultType]int{}, Lost: map[string]map[report.ResultType]int{},
		Received: map[string][]string{}, Reports: map[string]*report.Report{},
		MXMessages: map[string]int{}, MXConns: map[string]int{}, LastSeq: map[string]uint64{},
		Messages: map[string]int{},
	}
	clk := &clock{t: day}
	names := []string{"node-1", "node-2", "node-3"}
	nodes := make([]*node, len(names))
	for i, name := range names {
		n, err := newNode(ctx, name, i, world, st, clk)
		if err != nil {
			return nil, err
		}
		nodes[i] = n
	}

	// 1. The day's sessions, the nodes taking turns.
	sessions := plan()
	fmt.Fprintf(w, "%s: %d SMTP sessions from %d nodes to %d recipient domains\n",
		day.Format(time.DateOnly), len(sessions), len(nodes), len(scenario))
	for i, r := range sessions {
		n := nodes[i%len(nodes)]
		t := day.Add(time.Duration(i) * 24 * time.Hour / time.Duration(len(sessions)))
		clk.set(t)
		a, err := n.sender.send(ctx, r.domain)
		if err != nil {
			return nil, fmt.Errorf("session %d to %s: %w", i, r.domain, err)
		}
		if err := record(n.agg, t, a); err != nil {
			return nil, err
		}
		pd, rt := a.policy.Domain, resultOf(a)
		count(out.Sent, pd, rt)
		count(n.unflushed, pd, rt)
		if a.delivered {
			out.Messages[pd]++
		}
		if (i+1)%flushEvery == 0 {
			for _, n := range nodes {
				if err := n.flush(ctx); err != nil {
					return nil, err
				}
			}
		}
		if i == killAfter {
			// node-2 dies: its Aggregator and Flusher are dropped without
			// Close, so what it recorded since its last flush is lost.
			k := slices.IndexFunc(nodes, func(n *node) bool { return n.name == killed })
			lost := 0
			for pd, m := range nodes[k].unflushed {
				for rt, c := range m {
					for range c {
						count(out.Lost, pd, rt)
					}
					lost += c
				}
			}
			restarted, err := newNode(ctx, killed, k, world, st, clk)
			if err != nil {
				return nil, err
			}
			nodes[k] = restarted
			if out.SeqAfterRestart, err = st.LastSeq(ctx, killed); err != nil {
				return nil, err
			}
			fmt.Fprintf(w, "%s killed at %s: %d sessions recorded since its last flush are lost; restarted after batch %d\n",
				killed, t.Format("15:04"), lost, out.SeqAfterRestart)
		}
	}
	for _, n := range nodes {
		// Close flushes a last time (a node shutting down cleanly).
		if err := n.flusher.Close(ctx); err != nil {
			return nil, err
		}
		seq, err := st.LastSeq(ctx, n.name)
		if err != nil {
			return nil, err
		}
		out.LastSeq[n.name] = seq
	}
	printSent(w, out)
	for host, ms := range world.mx {
		out.MXConns[host], _, out.MXMessages[host] = ms.counts()
	}

	// 2. After the day: the reports, built from the store and claimed.
	claims := func(n *node) ([]aggregate.ClaimedReport, error) {
		c, err := n.flusher.ClaimReports(ctx, day)
		out.Claimed = append(out.Claimed, claimRound{n.name, len(c)})
		return c, err
	}
	clk.set(day.Add(24*time.Hour + 30*time.Minute))
	// node-2 claims every report, then dies before handing them over (it
	// is back in time to deliver).
	if _, err := claims(nodes[1]); err != nil {
		return nil, err
	}
	for _, n := range []*node{nodes[0], nodes[2]} {
		if _, err := claims(n); err != nil {
			return nil, err
		}
	}
	clk.set(clk.Now().Add(20 * time.Minute)) // node-2's claims have expired (15 min)
	for _, n := range []*node{nodes[2], nodes[0]} {
		got, err := claims(n)
		if err != nil {
			return nil, err
		}
		for _, c := range got {
			js, err := c.Report.MarshalJSON()
			if err != nil {
				return nil, err
			}
			now := clk.Now()
			ok, err := st.Enqueue(ctx, &submit.Job{ID: c.Report.ReportID, PolicyDomain: c.Claim.PolicyDomain,
				Report: js, Created: now, NextAttempt: now})
			if err != nil {
				return nil, err
			}
			if ok {
				out.Enqueued++
			}
			if err := n.flusher.FinishReport(ctx, c); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range out.Claimed {
		fmt.Fprintf(w, "claims by %s: %d reports\n", c.Node, c.Claims)
	}
	fmt.Fprintf(w, "%d reports on the delivery queue\n", out.Enqueued)

	// 3. Delivery: a Worker on every node drains the shared queue.
	workers := make([]*submit.Worker, len(nodes))
	for i, n := range nodes {
		workers[i] = &submit.Worker{
			Queue:    st,
			Node:     n.name,
			Resolver: world.dns,
			Deliverer: &submit.Deliverer{
				HTTPClient: world.httpClient(),
				Mail: &submit.SMTPSender{
					Resolver:  world.dns,
					Port:      port(world.inbox.addr),
					HelloName: n.sender.helo,
					TLSConfig: &tls.Config{RootCAs: world.roots()},
				},
				MailOptions: mime.WriteOptions{
					From: "TLS reports <tlsrpt@mail.example>",
					DKIM: &mime.DKIMOptions{Domain: "mail.example", Selector: "tlsrpt", Signer: world.dkim},
				},
				Now: clk.Now,
			},
			Now: clk.Now,
		}
	}
	finished := 0
	for round := 0; finished < out.Enqueued && round < 30; round++ {
		var mu sync.Mutex
		var wg sync.WaitGroup
		var errs []error
		for _, wk := range workers {
			wg.Go(func() {
				st, err := wk.RunOnce(ctx)
				mu.Lock()
				defer mu.Unlock()
				addStats(&out.Delivery, st)
				finished += st.Delivered + st.Failed + st.Expired + st.NoRecord
				if err != nil {
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		if len(errs) > 0 {
			return nil, errs[0]
		}
		clk.set(clk.Now().Add(time.Hour))
	}
	d := out.Delivery
	fmt.Fprintf(w, "delivery by the Workers of %d nodes: %d jobs leased, %d delivered, %d retried later, %d given up\n",
		len(workers), d.Leased, d.Delivered, d.Retry, d.Failed+d.Expired+d.NoRecord)

	// 4. What arrived: POSTs at the Receiver, mail at mx.rcv.example.
	posted, posts := world.receiver.all()
	out.Posts = posts
	for _, r := range posted {
		out.Received[r.Report.ReportID] = append(out.Received[r.Report.ReportID], "https")
		out.Reports[r.Report.ReportID] = r.Report
	}
	rd := &ingest.Reader{Resolver: world.dns}
	for _, m := range world.inbox.received() {
		res := rd.Read(ctx, bytes.NewReader(m))
		if res.Fate != ingest.FateReport {
			return nil, fmt.Errorf("report mail: %s: %v", res.Fate, res.Err)
		}
		for _, r := range res.Reports {
			if r.Trust.Verdict != ingest.VerdictTrusted {
				return nil, fmt.Errorf("report mail %s not trusted: %v", r.Report.ReportID, r.Trust)
			}
			out.Received[r.Report.ReportID] = append(out.Received[r.Report.ReportID], "mail")
			out.Reports[r.Report.ReportID] = r.Report
		}
	}
	printReceived(w, out)
	return out, nil
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

func addStats(sum *submit.WorkerStats, s submit.WorkerStats) {
	sum.Leased += s.Leased
	sum.Delivered += s.Delivered
	sum.Retry += s.Retry
	sum.Failed += s.Failed
	sum.Expired += s.Expired
	sum.NoRecord += s.NoRecord
	sum.Released += s.Released
	sum.LeaseLost += s.LeaseLost
	sum.SaveFailed += s.SaveFailed
}

// printSent prints the sessions by policy domain and result.
func printSent(w io.Writer, out *outcome) {
	for _, r := range scenario {
		pd := r.policyDomain()
		for _, rt := range slices.Sorted(maps.Keys(out.Sent[pd])) {
			fmt.Fprintf(w, "  %-20s %2d × %-26s (lost: %d)\n", pd, out.Sent[pd][rt], rt, out.Lost[pd][rt])
		}
	}
}

// printReceived prints each received report: its policy domain, counts
// and how it came.
func printReceived(w io.Writer, out *outcome) {
	ids := slices.SortedFunc(maps.Keys(out.Reports), func(a, b string) int {
		return strings.Compare(out.Reports[a].Policies[0].Policy.Domain, out.Reports[b].Policies[0].Policy.Domain)
	})
	for _, id := range ids {
		r := out.Reports[id]
		p := r.Policies[0]
		fmt.Fprintf(w, "report for %s (%s policy) received by %s: %d successful, %d failed sessions\n",
			p.Policy.Domain, p.Policy.Type, strings.Join(out.Received[id], " and "),
			p.Summary.TotalSuccessfulSessionCount, p.Summary.TotalFailureSessionCount)
		for _, f := range p.FailureDetails {
			fmt.Fprintf(w, "  %d × %s (%s) from %s\n", f.FailedSessionCount, f.ResultType, f.FailureReasonCode, f.SendingMTAIP)
		}
	}
}
