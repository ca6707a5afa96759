package submit

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/mime"
)

// memQueue is an in-memory Queue, the test double of the database that
// package store provides; it keeps the contract's lease rules.
type memQueue struct {
	mu      sync.Mutex
	jobs    map[string]*memJob
	saveErr error // returned by every Save when set
	// onSave, when set, runs at the start of every Save.
	onSave func(j *Job)
}

type memJob struct {
	j     Job
	node  string
	until time.Time
}

func newMemQueue() *memQueue { return &memQueue{jobs: map[string]*memJob{}} }

func copyJob(j *Job) *Job {
	c := *j
	c.Outcomes = slices.Clone(j.Outcomes)
	c.Report = slices.Clone(j.Report)
	return &c
}

func (q *memQueue) Enqueue(_ context.Context, j *Job) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.jobs[j.ID]; ok {
		return false, nil
	}
	q.jobs[j.ID] = &memJob{j: *copyJob(j)}
	return true, nil
}

func (q *memQueue) Lease(_ context.Context, node string, now, until time.Time, max int) ([]*Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var due []*memJob
	for _, m := range q.jobs {
		if !m.j.Done && !m.j.NextAttempt.After(now) && (m.node == "" || !m.until.After(now)) {
			due = append(due, m)
		}
	}
	slices.SortFunc(due, func(a, b *memJob) int {
		if c := a.j.NextAttempt.Compare(b.j.NextAttempt); c != 0 {
			return c
		}
		return strings.Compare(a.j.ID, b.j.ID)
	})
	var out []*Job
	for _, m := range due[:min(max, len(due))] {
		m.node, m.until = node, until
		out = append(out, copyJob(&m.j))
	}
	return out, nil
}

func (q *memQueue) Save(_ context.Context, node string, j *Job) error {
	if q.onSave != nil {
		q.onSave(j)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.saveErr != nil {
		return q.saveErr
	}
	m, ok := q.jobs[j.ID]
	if !ok || m.node != node {
		return ErrNotLeased
	}
	m.j.FirstAttempt, m.j.Attempts, m.j.NextAttempt, m.j.Done = j.FirstAttempt, j.Attempts, j.NextAttempt, j.Done
	m.j.Outcomes = slices.Clone(j.Outcomes)
	m.node, m.until = "", time.Time{}
	return nil
}

// get returns a copy of the stored Job id.
func (q *memQueue) get(id string) Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	return *copyJob(&q.jobs[id].j)
}

// clock is a settable test clock.
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

// httpsReceiver is a real HTTPS endpoint on 127.0.0.1 whose n-th POST
// (from 0) is answered with status(n).
type httpsReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	posts int
}

func newHTTPSReceiver(t *testing.T, status func(n int) int) *httpsReceiver {
	t.Helper()
	r := &httpsReceiver{}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		n := r.posts
		r.posts++
		r.mu.Unlock()
		w.WriteHeader(status(n))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *httpsReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.posts
}

var workerStart = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

// workerEnv is a Queue, DNS, HTTPS and SMTP receivers on loopback and a
// Worker wired to them.
type workerEnv struct {
	q     *memQueue
	clock *clock
	w     *Worker
}

// newWorkerEnv starts a DNS server for zone (plus the MX of
// "rua.example", whose mail goes to ms) and returns a Worker delivering
// to https endpoints trusted through client and mail through ms.
func newWorkerEnv(t *testing.T, zone dnstest.Zone, client *http.Client, ms *mailServer) *workerEnv {
	t.Helper()
	if zone.MX == nil {
		zone.MX = map[string][]*net.MX{}
	}
	if zone.Addr == nil {
		zone.Addr = map[string][]netip.Addr{}
	}
	zone.MX["rua.example"] = []*net.MX{{Host: "mx.rua.example", Pref: 10}}
	zone.Addr["mx.rua.example"] = loopback
	res := dnstest.Start(t, zone).Resolver()
	c := &clock{t: workerStart}
	d := &Deliverer{HTTPClient: client, Now: c.Now}
	if ms != nil {
		d.Mail = &SMTPSender{Resolver: res, Port: ms.port, HelloName: "mta.sender.example"}
		d.MailOptions = mime.WriteOptions{From: "tlsrpt@sender.example"}
	}
	q := newMemQueue()
	w := &Worker{Queue: q, Node: "node-a", Deliverer: d, Resolver: res, Now: c.Now}
	return &workerEnv{q: q, clock: c, w: w}
}

// enqueue puts a Job for the test report to domain, due now.
func (e *workerEnv) enqueue(t *testing.T, id, domain string) {
	t.Helper()
	body, err := testReport().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	if ok, err := e.q.Enqueue(context.Background(), &Job{ID: id, PolicyDomain: domain, Report: body, Created: now, NextAttempt: now}); !ok || err != nil {
		t.Fatalf("Enqueue = %v, %v", ok, err)
	}
}

// runOnce runs one pass and checks that every leased Job got one fate.
func (e *workerEnv) runOnce(t *testing.T) WorkerStats {
	t.Helper()
	st, err := e.w.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	checkFates(t, st)
	return st
}

func checkFates(t *testing.T, st WorkerStats) {
	t.Helper()
	if sum := st.Delivered + st.Retry + st.Failed + st.Expired + st.NoRecord + st.Released + st.LeaseLost + st.SaveFailed; sum != st.Leased {
		t.Errorf("stats %+v: fates add up to %d, want Leased = %d", st, sum, st.Leased)
	}
}

func txt(s string) [][]string { return [][]string{{s}} }

// outcomeCmp compares JobOutcomes by status and code, and by whether the
// error text mentions a fragment (set in Error of want).
var outcomeCmp = cmp.Options{
	cmpopts.IgnoreFields(JobOutcome{}, "Time"),
	cmp.Comparer(func(want, got string) bool {
		return want == got || strings.Contains(got, want) || strings.Contains(want, got)
	}),
}

// TestWorkerFates runs the Worker against real receivers and a DNS server
// on loopback, one policy domain per case, and checks each Job's fate
// and stored state after each pass.
func TestWorkerFates(t *testing.T) {
	ok := newHTTPSReceiver(t, func(int) int { return http.StatusOK })
	flaky := newHTTPSReceiver(t, func(n int) int { // 503, then 201
		if n == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusCreated
	})
	gone := newHTTPSReceiver(t, func(int) int { return http.StatusNotFound })
	down := newHTTPSReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	dup := newHTTPSReceiver(t, func(int) int { return http.StatusCreated })
	ms := newMailServer(t, nil, true)
	ms.reply = func(n int, cmd string) error { // first transaction 451 at DATA
		if n == 0 && cmd == "DATA" {
			return &smtp.SMTPError{Code: 451, Message: "try later"}
		}
		return nil
	}
	zone := dnstest.Zone{
		TXT: map[string][][]string{
			"_smtp._tls.ok.example":        txt("v=TLSRPTv1; rua=" + ok.srv.URL + "/r"),
			"_smtp._tls.flaky.example":     txt("v=TLSRPTv1; rua=" + flaky.srv.URL + "/r"),
			"_smtp._tls.gone.example":      txt("v=TLSRPTv1; rua=" + gone.srv.URL + "/r,http://old.example/r"),
			"_smtp._tls.mixed.example":     txt("v=TLSRPTv1; rua=" + gone.srv.URL + "/m,mailto:tlsrpt@rua.example"),
			"_smtp._tls.syntax.example":    txt("v=TLSRPTv1; rua=" + ok.srv.URL + "/r;;"),
			"_smtp._tls.other.example":     txt("v=spf1 -all"),
			"_smtp._tls.servfail.example":  txt("v=TLSRPTv1; rua=" + ok.srv.URL + "/r"),
			"_smtp._tls.down.example":      txt("v=TLSRPTv1; rua=" + down.srv.URL + "/r"),
			"_smtp._tls.duplicate.example": txt("v=TLSRPTv1; rua=" + dup.srv.URL + "/d," + dup.srv.URL + "/d"),
		},
		RCode: map[string]dnsmessage.RCode{"_smtp._tls.servfail.example": dnsmessage.RCodeServerFailure},
	}
	// Every receiver trusts the same httptest CA.
	e := newWorkerEnv(t, zone, ok.srv.Client(), ms)
	e.w.Retry = &RetryPolicy{Window: 2 * time.Hour}

	type pass struct {
		stats    WorkerStats
		want     map[string]Job // Attempts, Done, Outcomes of each Job after the pass
		advance  time.Duration  // clock step before the pass
		wantDue  []string       // Jobs with a retry scheduled after the pass
		wantPost map[*httpsReceiver]int
		wantMail int
	}
	ids := []string{"ok", "flaky", "gone", "mixed", "syntax", "other", "nxdomain", "servfail", "down", "duplicate"}
	for _, id := range ids {
		e.enqueue(t, id, id+".example")
	}
	passes := []pass{{
		stats: WorkerStats{Leased: 10, Delivered: 2, Retry: 4, Failed: 1, NoRecord: 3},
		want: map[string]Job{
			"ok":       {Attempts: 1, Done: true, Outcomes: []JobOutcome{{URI: ok.srv.URL + "/r", Status: StatusAccepted, StatusCode: 200}}},
			"flaky":    {Attempts: 1, Outcomes: []JobOutcome{{URI: flaky.srv.URL + "/r", Status: StatusTemporaryFailure, StatusCode: 503, Error: "(503)"}}},
			"gone":     {Attempts: 1, Done: true, Outcomes: []JobOutcome{{URI: gone.srv.URL + "/r", Status: StatusPermanentFailure, StatusCode: 404, Error: "(404)"}, {URI: "http://old.example/r", Status: StatusSkipped, Error: "unsupported rua scheme"}}},
			"mixed":    {Attempts: 1, Outcomes: []JobOutcome{{URI: gone.srv.URL + "/m", Status: StatusPermanentFailure, StatusCode: 404, Error: "(404)"}, {URI: "mailto:tlsrpt@rua.example", Status: StatusTemporaryFailure, StatusCode: 451, Error: "try later"}}},
			"syntax":   {Attempts: 1, Done: true, Outcomes: []JobOutcome{{Status: StatusPermanentFailure, Error: "dnsrecord:"}}},
			"other":    {Attempts: 1, Done: true, Outcomes: []JobOutcome{{Status: StatusPermanentFailure, Error: "no TLS-RPT record"}}},
			"nxdomain": {Attempts: 1, Done: true, Outcomes: []JobOutcome{{Status: StatusPermanentFailure, Error: "no TLS-RPT record"}}},
			"servfail": {Attempts: 1, Outcomes: []JobOutcome{{Status: StatusTemporaryFailure, Error: "_smtp._tls.servfail.example"}}},
			"down":     {Attempts: 1, Outcomes: []JobOutcome{{URI: down.srv.URL + "/r", Status: StatusTemporaryFailure, StatusCode: 503, Error: "(503)"}}},
			"duplicate": {Attempts: 1, Done: true, Outcomes: []JobOutcome{
				{URI: dup.srv.URL + "/d", Status: StatusAccepted, StatusCode: 201},
				{URI: dup.srv.URL + "/d", Status: StatusSkipped, Error: "duplicate rua URI"}}},
		},
		wantDue:  []string{"flaky", "mixed", "servfail", "down"},
		wantPost: map[*httpsReceiver]int{ok: 1, flaky: 1, gone: 2, down: 1, dup: 1},
		wantMail: 0,
	}, {
		// The second attempt: only the pending destinations are tried.
		advance: 2 * time.Minute, // before any retry is due (at least 5 min / 2)
		stats:   WorkerStats{},
	}, {
		advance: 30 * time.Minute,
		stats:   WorkerStats{Leased: 4, Delivered: 2, Retry: 2},
		want: map[string]Job{
			"flaky":    {Attempts: 2, Done: true, Outcomes: []JobOutcome{{URI: flaky.srv.URL + "/r", Status: StatusAccepted, StatusCode: 201}}},
			"mixed":    {Attempts: 2, Done: true, Outcomes: []JobOutcome{{URI: gone.srv.URL + "/m", Status: StatusPermanentFailure, StatusCode: 404, Error: "(404)"}, {URI: "mailto:tlsrpt@rua.example", Status: StatusAccepted, StatusCode: 250}}},
			"servfail": {Attempts: 2, Outcomes: []JobOutcome{{Status: StatusTemporaryFailure, Error: "_smtp._tls.servfail.example"}}},
			"down":     {Attempts: 2, Outcomes: []JobOutcome{{URI: down.srv.URL + "/r", Status: StatusTemporaryFailure, StatusCode: 503, Error: "(503)"}}},
		},
		wantDue:  []string{"servfail", "down"},
		wantPost: map[*httpsReceiver]int{ok: 1, flaky: 2, gone: 2, down: 2, dup: 1}, // gone not POSTed again
		wantMail: 1,
	}, {
		// Past the 2 h window: the next attempt is the last.
		advance: 3 * time.Hour,
		stats:   WorkerStats{Leased: 2, Expired: 2},
		want: map[string]Job{
			"servfail": {Attempts: 3, Done: true, Outcomes: []JobOutcome{{Status: StatusTemporaryFailure, Error: "_smtp._tls.servfail.example"}}},
			"down":     {Attempts: 3, Done: true, Outcomes: []JobOutcome{{URI: down.srv.URL + "/r", Status: StatusTemporaryFailure, StatusCode: 503, Error: "(503)"}}},
		},
		wantPost: map[*httpsReceiver]int{ok: 1, flaky: 2, gone: 2, down: 3, dup: 1},
		wantMail: 1,
	}, {
		advance: 48 * time.Hour,
		stats:   WorkerStats{},
	}}
	for i, p := range passes {
		e.clock.set(e.clock.Now().Add(p.advance))
		st := e.runOnce(t)
		if diff := cmp.Diff(p.stats, st); diff != "" {
			t.Fatalf("pass %d: stats (-want +got):\n%s", i, diff)
		}
		for id, want := range p.want {
			got := e.q.get(id)
			if got.FirstAttempt != workerStart {
				t.Errorf("pass %d: %s: FirstAttempt %v, want %v", i, id, got.FirstAttempt, workerStart)
			}
			if diff := cmp.Diff(want, got, outcomeCmp, cmpopts.IgnoreFields(Job{}, "ID", "PolicyDomain", "Report", "Created", "FirstAttempt", "NextAttempt")); diff != "" {
				t.Errorf("pass %d: job %s (-want +got):\n%s", i, id, diff)
			}
		}
		for _, id := range p.wantDue {
			got := e.q.get(id)
			if got.Done || !got.NextAttempt.After(e.clock.Now()) || got.NextAttempt.After(got.FirstAttempt.Add(2*time.Hour)) {
				t.Errorf("pass %d: %s: Done %v, NextAttempt %v, want a retry after %v within the window", i, id, got.Done, got.NextAttempt, e.clock.Now())
			}
		}
		for r, n := range p.wantPost {
			if got := r.count(); got != n {
				t.Errorf("pass %d: %s got %d POSTs, want %d", i, r.srv.URL, got, n)
			}
		}
		if p.wantPost != nil {
			if got := len(ms.received()); got != p.wantMail {
				t.Errorf("pass %d: %d mails received, want %d", i, got, p.wantMail)
			}
		}
	}
}

// TestWorkerLeaseLost: while node-a delivers, its lease expires and
// node-b leases the Job; node-a's outcome is dropped, node-b's counts.
func TestWorkerLeaseLost(t *testing.T) {
	var e *workerEnv
	stolen := false
	rcv := newHTTPSReceiver(t, func(int) int {
		if !stolen {
			// The first delivery outlives its lease: another node takes
			// the Job over.
			stolen = true
			later := e.clock.Now().Add(time.Hour)
			jobs, err := e.q.Lease(context.Background(), "node-b", later, later.Add(time.Minute), 10)
			if err != nil || len(jobs) != 1 {
				t.Errorf("node-b Lease = %d jobs, %v", len(jobs), err)
			}
		}
		return http.StatusOK
	})
	e = newWorkerEnv(t, dnstest.Zone{TXT: map[string][][]string{"_smtp._tls.example.net": txt("v=TLSRPTv1; rua=" + rcv.srv.URL)}}, rcv.srv.Client(), nil)
	e.enqueue(t, "r1", "example.net")
	st := e.runOnce(t)
	if diff := cmp.Diff(WorkerStats{Leased: 1, LeaseLost: 1}, st); diff != "" {
		t.Fatalf("stats (-want +got):\n%s", diff)
	}
	if got := e.q.get("r1"); got.Done || got.Attempts != 0 {
		t.Fatalf("node-a's outcome was saved: %+v", got)
	}
	// node-b finishes the Job.
	wb := *e.w
	wb.Node = "node-b"
	e.clock.set(e.clock.Now().Add(2 * time.Hour))
	st, err := wb.RunOnce(context.Background())
	if err != nil || st != (WorkerStats{Leased: 1, Delivered: 1}) {
		t.Fatalf("node-b RunOnce = %+v, %v", st, err)
	}
	if got := e.q.get("r1"); !got.Done || got.Attempts != 1 || rcv.count() != 2 {
		t.Fatalf("after node-b: Done %v, Attempts %d, %d POSTs; want true, 1, 2", got.Done, got.Attempts, rcv.count())
	}
}

// TestWorkerSaveFailed: a Save error is returned and counted; the Job
// stays leased until its lease expires, then is delivered again.
func TestWorkerSaveFailed(t *testing.T) {
	rcv := newHTTPSReceiver(t, func(int) int { return http.StatusOK })
	e := newWorkerEnv(t, dnstest.Zone{TXT: map[string][][]string{"_smtp._tls.example.net": txt("v=TLSRPTv1; rua=" + rcv.srv.URL)}}, rcv.srv.Client(), nil)
	e.enqueue(t, "r1", "example.net")
	errDB := errors.New("database is locked")
	e.q.saveErr = errDB
	st, err := e.w.RunOnce(context.Background())
	checkFates(t, st)
	if !errors.Is(err, errDB) || st != (WorkerStats{Leased: 1, SaveFailed: 1}) {
		t.Fatalf("RunOnce = %+v, %v; want SaveFailed and %v", st, err, errDB)
	}
	e.q.saveErr = nil
	e.clock.set(e.clock.Now().Add(5 * time.Minute)) // lease still held
	if st := e.runOnce(t); st.Leased != 0 {
		t.Fatalf("leased %d Jobs before the lease expired", st.Leased)
	}
	e.clock.set(e.clock.Now().Add(10 * time.Minute)) // the default lease is 10 minutes
	if st := e.runOnce(t); st != (WorkerStats{Leased: 1, Delivered: 1}) {
		t.Fatalf("after the lease expired: %+v", st)
	}
	if rcv.count() != 2 {
		t.Fatalf("%d POSTs, want 2 (the report is delivered again)", rcv.count())
	}
}

// TestWorkerReleased: Jobs leased by a pass whose context ended are not
// attempted; they are saved unchanged and due again at once.
func TestWorkerReleased(t *testing.T) {
	rcv := newHTTPSReceiver(t, func(int) int { return http.StatusOK })
	e := newWorkerEnv(t, dnstest.Zone{TXT: map[string][][]string{"_smtp._tls.example.net": txt("v=TLSRPTv1; rua=" + rcv.srv.URL)}}, rcv.srv.Client(), nil)
	e.enqueue(t, "r1", "example.net")
	e.enqueue(t, "r2", "example.net")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, err := e.w.RunOnce(ctx)
	checkFates(t, st)
	if err != nil || st != (WorkerStats{Leased: 2, Released: 2}) {
		t.Fatalf("RunOnce = %+v, %v", st, err)
	}
	if st := e.runOnce(t); st != (WorkerStats{Leased: 2, Delivered: 2}) {
		t.Fatalf("second pass: %+v", st)
	}
	if got := e.q.get("r1"); got.Attempts != 1 || rcv.count() != 2 {
		t.Fatalf("Attempts %d, %d POSTs; want 1, 2", got.Attempts, rcv.count())
	}
}

// TestWorkerBatches: more Jobs than BatchSize are delivered over several
// passes, Concurrency at a time, each exactly once; Run keeps going until
// the queue is empty.
func TestWorkerBatches(t *testing.T) {
	var mu sync.Mutex
	inflight, peak := 0, 0
	rcv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inflight++
		peak = max(peak, inflight)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		inflight--
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	e := newWorkerEnv(t, dnstest.Zone{TXT: map[string][][]string{"_smtp._tls.example.net": txt("v=TLSRPTv1; rua=" + rcv.URL)}}, rcv.Client(), nil)
	e.w.BatchSize, e.w.Concurrency = 4, 3
	const n = 10
	for i := range n {
		e.enqueue(t, string(rune('a'+i)), "example.net")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var passes []WorkerStats
	e.w.PollInterval = time.Hour // a short pass must end the run below
	e.w.AfterPass = func(st WorkerStats, err error) {
		if err != nil {
			t.Errorf("pass: %v", err)
		}
		checkFates(t, st)
		passes = append(passes, st)
		if st.Leased < e.w.BatchSize {
			cancel()
		}
	}
	if err := e.w.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	want := []WorkerStats{{Leased: 4, Delivered: 4}, {Leased: 4, Delivered: 4}, {Leased: 2, Delivered: 2}}
	if diff := cmp.Diff(want, passes); diff != "" {
		t.Fatalf("passes (-want +got):\n%s", diff)
	}
	if peak > 3 {
		t.Errorf("%d deliveries at once, want at most Concurrency = 3", peak)
	}
}

// TestWorkerBadJob: a Job whose Report is not a report is done without a
// delivery; a Worker without Queue or Node refuses to run.
func TestWorkerBadJob(t *testing.T) {
	rcv := newHTTPSReceiver(t, func(int) int { return http.StatusOK })
	e := newWorkerEnv(t, dnstest.Zone{TXT: map[string][][]string{"_smtp._tls.example.net": txt("v=TLSRPTv1; rua=" + rcv.srv.URL)}}, rcv.srv.Client(), nil)
	now := e.clock.Now()
	e.q.Enqueue(context.Background(), &Job{ID: "bad", PolicyDomain: "example.net", Report: []byte(`{"organization-name":`), NextAttempt: now})
	if st := e.runOnce(t); st != (WorkerStats{Leased: 1, Failed: 1}) {
		t.Fatalf("stats %+v", st)
	}
	if got := e.q.get("bad"); !got.Done || len(got.Outcomes) != 1 || got.Outcomes[0].Status != StatusPermanentFailure || rcv.count() != 0 {
		t.Fatalf("job %+v, %d POSTs", got, rcv.count())
	}
	for _, w := range []*Worker{{Node: "n"}, {Queue: e.q}} {
		if _, err := w.RunOnce(context.Background()); err == nil {
			t.Errorf("RunOnce of %+v: no error", w)
		}
	}
}

// TestWorkerDelivererRefuses: a misconfigured Deliverer keeps the Job for
// a retry (the operator may fix it) and the pass reports the error.
func TestWorkerDelivererRefuses(t *testing.T) {
	rcv := newHTTPSReceiver(t, func(int) int { return http.StatusOK })
	e := newWorkerEnv(t, dnstest.Zone{TXT: map[string][][]string{"_smtp._tls.example.net": txt("v=TLSRPTv1; rua=" + rcv.srv.URL)}}, rcv.srv.Client(), nil)
	e.w.Deliverer.MailOptions.To = []string{"x@example.org"}
	e.enqueue(t, "r1", "example.net")
	st, err := e.w.RunOnce(context.Background())
	if err == nil || st != (WorkerStats{Leased: 1, Retry: 1}) {
		t.Fatalf("RunOnce = %+v, %v", st, err)
	}
	if got := e.q.get("r1"); got.Done || got.Outcomes[0].Status != StatusTemporaryFailure {
		t.Fatalf("job %+v", got)
	}
}
