package submit_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt/submit"
)

// memQueue is a submit.Queue kept in memory, enough for one process; an
// MTA uses a database (package store) so that Jobs survive restarts and
// are shared by its fleet.
type memQueue struct {
	mu    sync.Mutex
	jobs  []*submit.Job
	owner map[string]string
}

func (q *memQueue) Enqueue(_ context.Context, j *submit.Job) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := *j
	q.jobs = append(q.jobs, &c)
	return true, nil
}

func (q *memQueue) Lease(_ context.Context, node string, now, _ time.Time, max int) ([]*submit.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*submit.Job
	for _, j := range q.jobs {
		if !j.Done && !j.NextAttempt.After(now) && q.owner[j.ID] == "" && len(out) < max {
			q.owner[j.ID] = node
			c := *j
			out = append(out, &c)
		}
	}
	return out, nil
}

func (q *memQueue) Save(_ context.Context, node string, j *submit.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.owner[j.ID] != node {
		return submit.ErrNotLeased
	}
	delete(q.owner, j.ID)
	for i, old := range q.jobs {
		if old.ID == j.ID {
			c := *j
			q.jobs[i] = &c
		}
	}
	return nil
}

// txtResolver answers TXT queries from a map (a tlsrpt.Resolver).
type txtResolver map[string]string

func (r txtResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := r[strings.TrimSuffix(name, ".")]; ok {
		return []string{v}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r txtResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r txtResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// Drain a delivery queue: the endpoint of example.net is down at first
// and accepts the report on the retry; example.org publishes no TLSRPT
// record, so its report is dropped.
func ExampleWorker() {
	calls := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	now := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	q := &memQueue{owner: map[string]string{}}
	for _, domain := range []string{"example.net", "example.org"} {
		js, err := exampleReport().MarshalJSON()
		if err != nil {
			panic(err)
		}
		q.Enqueue(context.Background(), &submit.Job{
			ID: "2026-11-24_" + domain, PolicyDomain: domain, Report: js, Created: now, NextAttempt: now,
		})
	}
	w := &submit.Worker{
		Queue:     q,
		Node:      "mta1",
		Deliverer: &submit.Deliverer{HTTPClient: srv.Client()}, // trusts the test server
		Resolver:  txtResolver{"_smtp._tls.example.net": "v=TLSRPTv1; rua=" + srv.URL + "/tlsrpt"},
		Now:       func() time.Time { return now },
	}
	for range 2 {
		st, err := w.RunOnce(context.Background())
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %+v\n", now.Format("15:04"), st)
		now = now.Add(time.Hour) // past the retry's time
	}
	for _, j := range q.jobs {
		fmt.Println(j.ID, "done:", j.Done, "attempts:", j.Attempts)
		for _, o := range j.Outcomes {
			if o.URI == "" { // the record lookup's outcome
				fmt.Println("  record lookup:", o.Status, o.Error)
				continue
			}
			fmt.Println("  rua", o.URI[:strings.Index(o.URI, ":")]+":", o.Status, o.StatusCode)
		}
	}
	// Output:
	// 01:00: {Leased:2 Delivered:0 Retry:1 Failed:0 Expired:0 NoRecord:1 Released:0 LeaseLost:0 SaveFailed:0}
	// 02:00: {Leased:1 Delivered:1 Retry:0 Failed:0 Expired:0 NoRecord:0 Released:0 LeaseLost:0 SaveFailed:0}
	// 2026-11-24_example.net done: true attempts: 2
	//   rua https: accepted 200
	// 2026-11-24_example.org done: true attempts: 1
	//   record lookup: permanent-failure dnsrecord: no TLS-RPT record at _smtp._tls.example.org.: lookup _smtp._tls.example.org.: no such host
}
