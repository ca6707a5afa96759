package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-tlsrpt/tlsrpt/submit"
)

// noLease is the lease_until of a Job no node leases: free at any time
// the queue is used.
var noLease = time.Unix(0, 0).UTC()

// Enqueue adds j to the delivery queue, due at j.NextAttempt, and returns
// true; when a Job with j.ID is queued or was finished it changes nothing
// and returns false (submit.Queue), also when several nodes enqueue the
// same report at once. A zero j.Created is stored as the Store's clock
// (Options.Now); j is not changed. Times are stored to the microsecond.
// j.ID must not be empty.
func (s *Store) Enqueue(ctx context.Context, j *submit.Job) (bool, error) {
	if j == nil || j.ID == "" {
		return false, errors.New("store: enqueue: job without ID")
	}
	outcomes, err := encodeOutcomes(j.Outcomes)
	if err != nil {
		return false, fmt.Errorf("store: enqueue %s: %w", j.ID, err)
	}
	created := j.Created
	if created.IsZero() {
		created = s.now()
	}
	rep := j.Report
	if rep == nil {
		rep = []byte{}
	}
	n, err := s.writeOne(ctx, true, rebind(s.dialect, `INSERT INTO tlsrpt_mta_jobs
	(id, policy_domain, report, created, first_attempt, next_attempt, attempts, done, outcomes, lease_node, lease_until)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?) ON CONFLICT (id) DO NOTHING`),
		j.ID, j.PolicyDomain, rep, timeArg(s.dialect, created), s.nullTimeArg(j.FirstAttempt),
		timeArg(s.dialect, j.NextAttempt), j.Attempts, j.Done, outcomes, timeArg(s.dialect, noLease))
	if err != nil {
		return false, fmt.Errorf("store: enqueue %s: %w", j.ID, err)
	}
	return n == 1, nil
}

// Lease leases to node, until the given time, up to max unfinished Jobs
// that are due at now (NextAttempt at or before now) and whose lease is
// free or expired at now (its end at or before now), and returns them in
// NextAttempt order, then by ID (submit.Queue). It is one UPDATE … WHERE
// id IN (SELECT … LIMIT max) statement: on PostgreSQL the SELECT locks
// its rows FOR UPDATE SKIP LOCKED, so nodes leasing at once get disjoint
// Jobs without waiting for each other; on SQLite the write lock
// serialises them. A max of 0 or less leases nothing; node must not be
// empty.
func (s *Store) Lease(ctx context.Context, node string, now, until time.Time, max int) ([]*submit.Job, error) {
	if node == "" {
		return nil, errors.New("store: lease: empty node")
	}
	if max <= 0 {
		return nil, nil
	}
	lock := ""
	if s.dialect == DialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q := rebind(s.dialect, `UPDATE tlsrpt_mta_jobs SET lease_node = ?, lease_until = ?
WHERE id IN (SELECT id FROM tlsrpt_mta_jobs WHERE NOT done AND next_attempt <= ? AND lease_until <= ?
		ORDER BY next_attempt, id LIMIT ?`+lock+`)
	AND NOT done AND lease_until <= ?
RETURNING id, policy_domain, report, created, first_attempt, next_attempt, attempts, done, outcomes`)
	nowArg := timeArg(s.dialect, now)
	stmt, err := s.newCall(ctx, true, q, node, timeArg(s.dialect, until), nowArg, nowArg, max, nowArg)
	if err != nil {
		return nil, fmt.Errorf("store: lease: %w", err)
	}
	var jobs []*submit.Job
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		jobs = jobs[:0]
		rows, err := stmt.query(ctx, tx)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: lease: %w", err)
	}
	slices.SortFunc(jobs, func(a, b *submit.Job) int {
		return cmp.Or(a.NextAttempt.Compare(b.NextAttempt), cmp.Compare(a.ID, b.ID))
	})
	return jobs, nil
}

// Save stores j's Attempts, FirstAttempt, NextAttempt, Outcomes and Done
// and releases node's lease on it (submit.Queue). It fails with
// submit.ErrNotLeased unless node holds the lease: a node holds it until
// it saves or another node leases the Job after the lease expired. j.ID,
// PolicyDomain, Report and Created are not changed.
func (s *Store) Save(ctx context.Context, node string, j *submit.Job) error {
	if j == nil || j.ID == "" {
		return errors.New("store: save: job without ID")
	}
	if node == "" {
		return fmt.Errorf("store: save %s: empty node", j.ID)
	}
	outcomes, err := encodeOutcomes(j.Outcomes)
	if err != nil {
		return fmt.Errorf("store: save %s: %w", j.ID, err)
	}
	n, err := s.writeOne(ctx, true, rebind(s.dialect, `UPDATE tlsrpt_mta_jobs
SET attempts = ?, first_attempt = ?, next_attempt = ?, outcomes = ?, done = ?, lease_node = '', lease_until = ?
WHERE id = ? AND lease_node = ?`),
		j.Attempts, s.nullTimeArg(j.FirstAttempt), timeArg(s.dialect, j.NextAttempt), outcomes, j.Done,
		timeArg(s.dialect, noLease), j.ID, node)
	if err != nil {
		return fmt.Errorf("store: save %s: %w", j.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: save %s by %s: %w", j.ID, node, submit.ErrNotLeased)
	}
	return nil
}

// DeleteFinishedJobs deletes the Jobs that are Done and were enqueued
// before the given time, and returns how many it deleted. The queue keeps
// finished Jobs, their report and outcomes, so that an operator can see
// what was delivered where, and so that Enqueue of the same report-id
// stays a no-op; delete only Jobs older than the days whose counts and
// claims the MTA keeps (ForgetDay), since a report that can no longer be
// claimed can no longer be enqueued again. Unfinished Jobs are never
// deleted.
func (s *Store) DeleteFinishedJobs(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.writeOne(ctx, false, rebind(s.dialect, "DELETE FROM tlsrpt_mta_jobs WHERE done AND created < ?"),
		timeArg(s.dialect, before))
	if err != nil {
		return 0, fmt.Errorf("store: delete finished jobs: %w", err)
	}
	return n, nil
}

// scanJob reads a Job from the columns id, policy_domain, report,
// created, first_attempt, next_attempt, attempts, done, outcomes.
func scanJob(rows *sql.Rows) (*submit.Job, error) {
	j := new(submit.Job)
	var first sql.Null[timeScanValue]
	var outcomes string
	if err := rows.Scan(&j.ID, &j.PolicyDomain, &j.Report, timeScan{&j.Created}, &first,
		timeScan{&j.NextAttempt}, &j.Attempts, &j.Done, &outcomes); err != nil {
		return nil, err
	}
	if first.Valid {
		j.FirstAttempt = first.V.t
	}
	var err error
	if j.Outcomes, err = decodeOutcomes(outcomes); err != nil {
		return nil, err
	}
	return j, nil
}

// timeScanValue is a time column read as timeScan reads it, for
// sql.Null.
type timeScanValue struct{ t time.Time }

// Scan implements sql.Scanner.
func (v *timeScanValue) Scan(src any) error { return timeScan{&v.t}.Scan(src) }

// nullTimeArg is timeArg, with the zero time as NULL.
func (s *Store) nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return timeArg(s.dialect, t)
}

// storedOutcome is a submit.JobOutcome in the outcomes column, a JSON
// array in record order.
type storedOutcome struct {
	URI        string        `json:"uri"`
	Status     submit.Status `json:"status"`
	StatusCode int           `json:"status_code,omitempty"`
	Error      string        `json:"error,omitempty"`
	Time       time.Time     `json:"time"`
}

func encodeOutcomes(outs []submit.JobOutcome) (string, error) {
	out := make([]storedOutcome, len(outs))
	for i, o := range outs {
		out[i] = storedOutcome{URI: o.URI, Status: o.Status, StatusCode: o.StatusCode, Error: o.Error,
			Time: o.Time.UTC().Truncate(time.Microsecond)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("outcomes: %w", err)
	}
	return string(b), nil
}

func decodeOutcomes(js string) ([]submit.JobOutcome, error) {
	var in []storedOutcome
	if err := json.Unmarshal([]byte(js), &in); err != nil {
		return nil, fmt.Errorf("stored outcomes: %w", err)
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]submit.JobOutcome, len(in))
	for i, o := range in {
		out[i] = submit.JobOutcome{URI: o.URI, Status: o.Status, StatusCode: o.StatusCode, Error: o.Error, Time: o.Time.UTC()}
	}
	return out, nil
}
