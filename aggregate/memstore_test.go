package aggregate_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// memStore is an in-memory aggregate.Store: the test double of the
// database that package store implements the interface over. It can fail
// ApplyBatch on demand, before or after applying the Batch (a lost
// answer), and records every Batch it was handed.
type memStore struct {
	mu      sync.Mutex
	applied map[string]map[uint64]bool // node → applied seqs
	days    map[time.Time]map[string]*memPolicy
	claims  map[claimKey]*memClaim

	failBefore int // fail the next n ApplyBatch calls without applying
	failAfter  int // apply, then fail, the next n ApplyBatch calls
	calls      []aggregate.Batch
}

type memPolicy struct {
	res     report.PolicyResult // FailureDetails unused
	details map[report.FailureDetail]int64
}

type claimKey struct {
	day    time.Time
	domain string
}

type memClaim struct {
	node     string
	until    time.Time
	finished bool
}

var errStoreDown = errors.New("memstore: down")

func newMemStore() *memStore {
	return &memStore{
		applied: make(map[string]map[uint64]bool),
		days:    make(map[time.Time]map[string]*memPolicy),
		claims:  make(map[claimKey]*memClaim),
	}
}

func (m *memStore) ApplyBatch(ctx context.Context, b *aggregate.Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, cloneBatch(b))
	if m.failBefore > 0 {
		m.failBefore--
		return errStoreDown
	}
	if m.applied[b.Node][b.Seq] {
		return nil
	}
	if m.applied[b.Node] == nil {
		m.applied[b.Node] = make(map[uint64]bool)
	}
	m.applied[b.Node][b.Seq] = true
	for _, dc := range b.Days {
		day := m.days[dc.Day]
		if day == nil {
			day = make(map[string]*memPolicy)
			m.days[dc.Day] = day
		}
		for _, pr := range dc.Policies {
			k := pr.Policy.Key()
			mp := day[k]
			if mp == nil {
				mp = &memPolicy{res: report.PolicyResult{Policy: pr.Policy}, details: make(map[report.FailureDetail]int64)}
				day[k] = mp
			}
			mp.res.Summary.TotalSuccessfulSessionCount += pr.Summary.TotalSuccessfulSessionCount
			mp.res.Summary.TotalFailureSessionCount += pr.Summary.TotalFailureSessionCount
			for _, fd := range pr.FailureDetails {
				n := fd.FailedSessionCount
				fd.FailedSessionCount = 0
				mp.details[fd] += n
			}
		}
	}
	if m.failAfter > 0 {
		m.failAfter--
		return errStoreDown
	}
	return nil
}

func (m *memStore) LastSeq(ctx context.Context, node string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var last uint64
	for seq := range m.applied[node] {
		last = max(last, seq)
	}
	return last, nil
}

// DayCounts returns the policies in random (map) order, details too, as
// the contract allows.
func (m *memStore) DayCounts(ctx context.Context, day time.Time) ([]report.PolicyResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []report.PolicyResult
	for _, mp := range m.days[day] {
		pr := mp.res
		for fd, n := range mp.details {
			fd.FailedSessionCount = n
			pr.FailureDetails = append(pr.FailureDetails, fd)
		}
		out = append(out, pr)
	}
	return out, nil
}

func (m *memStore) Days(ctx context.Context) ([]time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []time.Time
	for d := range m.days {
		out = append(out, d)
	}
	slices.SortFunc(out, time.Time.Compare)
	return out, nil
}

func (m *memStore) ClaimReport(ctx context.Context, c aggregate.Claim) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := claimKey{c.Day, c.PolicyDomain}
	cl := m.claims[k]
	switch {
	case cl == nil:
		m.claims[k] = &memClaim{node: c.Node, until: c.Until}
		return true, nil
	case cl.finished:
		return false, nil
	case cl.node == c.Node || !c.Now.Before(cl.until):
		cl.node, cl.until = c.Node, c.Until
		return true, nil
	}
	return false, nil
}

func (m *memStore) FinishReport(ctx context.Context, c aggregate.Claim) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cl := m.claims[claimKey{c.Day, c.PolicyDomain}]
	if cl == nil || cl.finished || cl.node != c.Node {
		return aggregate.ErrNotClaimed
	}
	cl.finished = true
	return nil
}

func (m *memStore) ForgetDay(ctx context.Context, day time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.days, day)
	for k := range m.claims {
		if k.day.Equal(day) {
			delete(m.claims, k)
		}
	}
	return nil
}

// setFail makes the next n ApplyBatch calls fail, before applying
// (lost=false) or after (lost=true: the answer is lost).
func (m *memStore) setFail(n int, lost bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if lost {
		m.failAfter = n
	} else {
		m.failBefore = n
	}
}

// batches returns the Batches ApplyBatch was called with, in order.
func (m *memStore) batches() []aggregate.Batch {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

func cloneBatch(b *aggregate.Batch) aggregate.Batch {
	out := *b
	out.Days = slices.Clone(b.Days)
	for i := range out.Days {
		out.Days[i].Policies = slices.Clone(out.Days[i].Policies)
		for j := range out.Days[i].Policies {
			out.Days[i].Policies[j].FailureDetails = slices.Clone(out.Days[i].Policies[j].FailureDetails)
		}
	}
	return out
}
