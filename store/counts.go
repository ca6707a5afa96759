package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/submit"
)

// Store keeps an MTA fleet's counts, report claims and delivery queue
// (see "MTA" in the package documentation).
var (
	_ aggregate.Store = (*Store)(nil)
	_ submit.Queue    = (*Store)(nil)
)

// ApplyBatch adds the counts of b to the stored counts and records
// (b.Node, b.Seq) as applied, in one transaction; when that pair was
// applied before it changes nothing and returns nil, so a flush retried
// after a lost answer counts once (aggregate.Store). The batch's policies
// are merged as policy.Policy.Key compares them and its failure details
// as equal in every member but failed-session-count (RFC 8460 §4.4).
//
// ApplyBatch fails, before writing anything, on an empty Node, a Seq of 0
// or above math.MaxInt64, a Day that is not a UTC midnight, a negative
// count, or a string that is not valid UTF-8. On PostgreSQL a transaction
// that ends in a deadlock or serialization failure is run again.
func (s *Store) ApplyBatch(ctx context.Context, b *aggregate.Batch) error {
	if b == nil {
		return errors.New("store: apply batch: nil batch")
	}
	if b.Node == "" {
		return errors.New("store: apply batch: empty node")
	}
	if b.Seq == 0 || b.Seq > math.MaxInt64 {
		return fmt.Errorf("store: apply batch: seq %d out of range 1..%d", b.Seq, int64(math.MaxInt64))
	}
	rows, err := batchRows(b)
	if err != nil {
		return fmt.Errorf("store: apply batch %s/%d: %w", b.Node, b.Seq, err)
	}
	// The statements are prepared before the transaction: preparing
	// takes a connection of the pool, which must not be waited for
	// while the transaction holds one.
	seq, now := int64(b.Seq), timeArg(s.dialect, s.now())
	var lockNode call
	if s.dialect == DialectPostgres {
		lockNode, err = s.newCall(ctx, true, "SELECT pg_advisory_xact_lock($1, hashtext($2))", int32(nodeLock), b.Node)
		if err != nil {
			return fmt.Errorf("store: apply batch %s/%d: %w", b.Node, b.Seq, err)
		}
	}
	find, err := s.newCall(ctx, true, rebind(s.dialect, `SELECT first_seq, last_seq FROM tlsrpt_mta_applied
WHERE node = ? AND first_seq <= ? ORDER BY first_seq DESC LIMIT 1`), b.Node, seq)
	if err != nil {
		return fmt.Errorf("store: apply batch %s/%d: %w", b.Node, b.Seq, err)
	}
	extend, err := s.newCall(ctx, true, rebind(s.dialect,
		"UPDATE tlsrpt_mta_applied SET last_seq = ?, applied_at = ? WHERE node = ? AND last_seq = ?"),
		seq, now, b.Node, seq-1)
	if err != nil {
		return fmt.Errorf("store: apply batch %s/%d: %w", b.Node, b.Seq, err)
	}
	insert, err := s.newCall(ctx, true, rebind(s.dialect,
		"INSERT INTO tlsrpt_mta_applied (node, first_seq, last_seq, applied_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"),
		b.Node, seq, seq, now)
	if err != nil {
		return fmt.Errorf("store: apply batch %s/%d: %w", b.Node, b.Seq, err)
	}
	upserts, err := s.countCalls(ctx, rows)
	if err != nil {
		return fmt.Errorf("store: apply batch %s/%d: %w", b.Node, b.Seq, err)
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if lockNode.q != "" {
			if _, err := lockNode.exec(ctx, tx); err != nil {
				return err
			}
		}
		ok, err := s.recordSeq(ctx, tx, find, extend, insert, seq)
		if err != nil || !ok {
			return err // !ok: applied before
		}
		for _, c := range upserts {
			if _, err := c.exec(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: apply batch %s/%d: %w", b.Node, b.Seq, err)
	}
	return nil
}

// nodeLock is the first key of the PostgreSQL advisory lock that
// serialises the batches of one node (the second is the hash of the node
// name): "tlsn" in ASCII.
const nodeLock = 0x746c736e

// recordSeq records seq as applied for the node of the calls, in the
// node's rows of tlsrpt_mta_applied: one row per run of consecutive seqs
// (first_seq..last_seq), so that a node flushing every second adds no
// row per flush (a row per applied pair would be 86,400 a day). It
// returns false when seq was applied before. The row found is the run
// with the highest first_seq at or below seq: seq was applied when that
// run reaches it. Otherwise seq extends the run that ends at seq-1, or
// starts a run of its own (runs are not merged: seqs arrive in order but
// for retries). The caller holds the node's lock (SQLite's write lock,
// or on PostgreSQL the advisory lock nodeLock), so that a node's
// concurrent batches, and a batch retried while its first attempt still
// runs, see each other's runs: runs never overlap, and a seq is in at
// most one.
func (s *Store) recordSeq(ctx context.Context, tx *sql.Tx, find, extend, insert call, seq int64) (bool, error) {
	rows, err := find.query(ctx, tx)
	if err != nil {
		return false, err
	}
	var first, last int64
	found := rows.Next()
	if found {
		err = rows.Scan(&first, &last)
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return false, err
	}
	switch {
	case found && last >= seq:
		return false, nil
	case found && last == seq-1:
		n, err := extend.exec(ctx, tx)
		if err != nil {
			return false, err
		}
		if n != 1 {
			return false, fmt.Errorf("extending the run of seqs %d..%d changed %d rows", first, last, n)
		}
		return true, nil
	}
	n, err := insert.exec(ctx, tx)
	return n == 1, err
}

// countRows is a Batch as rows of the two count tables, merged by key and
// sorted by primary key, so that concurrent transactions on PostgreSQL
// lock rows in one order.
type countRows struct {
	policies []policyCountRow
	details  []detailCountRow
}

type policyCountRow struct {
	day        time.Time
	key        [sha256.Size]byte
	json       string
	successful int64
	failed     int64
}

type detailCountRow struct {
	day    time.Time
	policy [sha256.Size]byte
	key    [sha256.Size]byte
	json   string
	failed int64
}

func batchRows(b *aggregate.Batch) (countRows, error) {
	type pk struct {
		day int64
		key [sha256.Size]byte
	}
	type dk struct {
		day         int64
		policy, key [sha256.Size]byte
	}
	var out countRows
	pi := make(map[pk]int)
	di := make(map[dk]int)
	for _, dc := range b.Days {
		day, err := utcDay(dc.Day)
		if err != nil {
			return countRows{}, err
		}
		for i := range dc.Policies {
			pr := &dc.Policies[i]
			if pr.Summary.TotalSuccessfulSessionCount < 0 || pr.Summary.TotalFailureSessionCount < 0 {
				return countRows{}, fmt.Errorf("policy %q: negative session count", pr.Policy.Domain)
			}
			_, js, key, err := mtaPolicy(pr.Policy)
			if err != nil {
				return countRows{}, err
			}
			k := pk{day.Unix(), key}
			j, ok := pi[k]
			if !ok {
				j = len(out.policies)
				pi[k] = j
				out.policies = append(out.policies, policyCountRow{day: day, key: key, json: js})
			}
			out.policies[j].successful += pr.Summary.TotalSuccessfulSessionCount
			out.policies[j].failed += pr.Summary.TotalFailureSessionCount
			for f := range pr.FailureDetails {
				fd := &pr.FailureDetails[f]
				if fd.FailedSessionCount < 0 {
					return countRows{}, fmt.Errorf("policy %q: negative failed-session-count", pr.Policy.Domain)
				}
				djs, dkey, err := mtaDetail(fd)
				if err != nil {
					return countRows{}, fmt.Errorf("policy %q: %w", pr.Policy.Domain, err)
				}
				k := dk{day.Unix(), key, dkey}
				j, ok := di[k]
				if !ok {
					j = len(out.details)
					di[k] = j
					out.details = append(out.details, detailCountRow{day: day, policy: key, key: dkey, json: djs})
				}
				out.details[j].failed += fd.FailedSessionCount
			}
		}
	}
	slices.SortFunc(out.policies, func(a, b policyCountRow) int {
		return cmp.Or(a.day.Compare(b.day), bytes.Compare(a.key[:], b.key[:]))
	})
	slices.SortFunc(out.details, func(a, b detailCountRow) int {
		return cmp.Or(a.day.Compare(b.day), bytes.Compare(a.policy[:], b.policy[:]), bytes.Compare(a.key[:], b.key[:]))
	})
	return out, nil
}

// The upserts of the two count tables: a new key is inserted, an existing
// one has the increments added (SQLite 3.24 and PostgreSQL 9.5 both have
// ON CONFLICT … DO UPDATE with excluded).
const (
	policyCountCols     = "day, policy_key, policy_json, successful_session_count, failed_session_count"
	policyCountConflict = " ON CONFLICT (day, policy_key) DO UPDATE SET" +
		" successful_session_count = tlsrpt_mta_policy_counts.successful_session_count + excluded.successful_session_count," +
		" failed_session_count = tlsrpt_mta_policy_counts.failed_session_count + excluded.failed_session_count"
	detailCountCols     = "day, policy_key, detail_key, detail_json, failed_session_count"
	detailCountConflict = " ON CONFLICT (day, policy_key, detail_key) DO UPDATE SET" +
		" failed_session_count = tlsrpt_mta_failure_counts.failed_session_count + excluded.failed_session_count"
	countCols = 5
)

// pgCountRows is the number of rows of a count upsert on PostgreSQL:
// 5,000 parameters, within its limit of 65,535. Fewer, larger statements
// than SQLite's (maxParams) made a flush of 10,000 keys 11 to 38% faster in
// wall time (paired runs of BenchmarkApplyBatch).
const pgCountRows = 1000

// countCalls returns the upserts of rows as multi-row statements of at
// most maxParams values (pgCountRows rows on PostgreSQL), the recurring
// shapes (few rows, a full chunk) prepared.
func (s *Store) countCalls(ctx context.Context, rows countRows) ([]call, error) {
	per := maxParams / countCols
	if s.dialect == DialectPostgres {
		per = pgCountRows
	}
	var out []call
	for start := 0; start < len(rows.policies); start += per {
		chunk := rows.policies[start:min(start+per, len(rows.policies))]
		args := make([]any, 0, len(chunk)*countCols)
		for i := range chunk {
			r := &chunk[i]
			args = append(args, timeArg(s.dialect, r.day), r.key[:], r.json, r.successful, r.failed)
		}
		q := s.insertSQL("tlsrpt_mta_policy_counts", policyCountCols, countCols, len(chunk)) + policyCountConflict
		c, err := s.newCall(ctx, len(chunk) <= maxCachedRows || len(chunk) == per, q, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	for start := 0; start < len(rows.details); start += per {
		chunk := rows.details[start:min(start+per, len(rows.details))]
		args := make([]any, 0, len(chunk)*countCols)
		for i := range chunk {
			r := &chunk[i]
			args = append(args, timeArg(s.dialect, r.day), r.policy[:], r.key[:], r.json, r.failed)
		}
		q := s.insertSQL("tlsrpt_mta_failure_counts", detailCountCols, countCols, len(chunk)) + detailCountConflict
		c, err := s.newCall(ctx, len(chunk) <= maxCachedRows || len(chunk) == per, q, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// LastSeq returns the highest Seq of node's applied batches, 0 when none
// was applied (aggregate.Store).
//
// On PostgreSQL it first waits for the node's lock (see ApplyBatch): a
// node restarted after a crash must not read its last Seq while the
// server still runs its predecessor's last ApplyBatch, which commits if
// its COMMIT was sent before the crash; the next Batch would reuse that
// Seq and be taken for a replay. The server ends such a transaction when
// it notices the connection is gone: at once when the process died, only
// after TCP keepalive (or idle_in_transaction_session_timeout) when its
// machine did. ctx bounds the wait.
func (s *Store) LastSeq(ctx context.Context, node string) (uint64, error) {
	q := rebind(s.dialect, "SELECT MAX(last_seq) FROM tlsrpt_mta_applied WHERE node = ?")
	var seq sql.NullInt64
	var err error
	if s.dialect == DialectPostgres {
		err = s.runTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", int32(nodeLock), node); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, q, node).Scan(&seq)
		})
	} else {
		err = s.db.QueryRowContext(ctx, q, node).Scan(&seq)
	}
	if err != nil {
		return 0, fmt.Errorf("store: last seq of %s: %w", node, err)
	}
	return uint64(seq.Int64), nil
}

// DayCounts returns the counts of the UTC day that starts at day, summed
// over every node (aggregate.Store): one PolicyResult per stored policy,
// in the order of the policies' keys, with its failure details in the
// order of theirs, nil when it has none. The policies come back in their
// stored form: the policy-domain and mx-host lower-cased without a
// trailing dot, and tlsa strings lower-cased and sorted. It reads the
// counts with one statement, so a batch applied meanwhile is in the
// result whole or not at all. day must be a UTC midnight.
func (s *Store) DayCounts(ctx context.Context, day time.Time) ([]report.PolicyResult, error) {
	d, err := utcDay(day)
	if err != nil {
		return nil, fmt.Errorf("store: day counts: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, rebind(s.dialect, `SELECT p.policy_key, p.policy_json, p.successful_session_count, p.failed_session_count,
	f.detail_json, f.failed_session_count
FROM tlsrpt_mta_policy_counts p
LEFT JOIN tlsrpt_mta_failure_counts f ON f.day = p.day AND f.policy_key = p.policy_key
WHERE p.day = ?
ORDER BY p.policy_key, f.detail_key`), timeArg(s.dialect, d))
	if err != nil {
		return nil, fmt.Errorf("store: day counts: %w", err)
	}
	defer rows.Close()
	var out []report.PolicyResult
	var last []byte
	for rows.Next() {
		var (
			key        []byte
			pjs        string
			succ, fail int64
			djs        sql.NullString
			dn         sql.NullInt64
		)
		if err := rows.Scan(&key, &pjs, &succ, &fail, &djs, &dn); err != nil {
			return nil, fmt.Errorf("store: day counts: %w", err)
		}
		if len(out) == 0 || !bytes.Equal(key, last) {
			p, err := parsePolicy(pjs)
			if err != nil {
				return nil, err
			}
			out = append(out, report.PolicyResult{Policy: p, Summary: report.Summary{
				TotalSuccessfulSessionCount: succ, TotalFailureSessionCount: fail}})
			last = key
		}
		if djs.Valid {
			fd, err := parseDetail(djs.String, dn.Int64)
			if err != nil {
				return nil, err
			}
			pr := &out[len(out)-1]
			pr.FailureDetails = append(pr.FailureDetails, fd)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: day counts: %w", err)
	}
	return out, nil
}

// Days returns the UTC days that have stored counts, ascending
// (aggregate.Store).
func (s *Store) Days(ctx context.Context) ([]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT DISTINCT day FROM tlsrpt_mta_policy_counts ORDER BY day")
	if err != nil {
		return nil, fmt.Errorf("store: days: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(timeScan{&t}); err != nil {
			return nil, fmt.Errorf("store: days: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: days: %w", err)
	}
	return out, nil
}

// ForgetDay deletes the counts and claims of the UTC day that starts at
// day, in one transaction; the applied (node, seq) pairs stay
// (aggregate.Store). day must be a UTC midnight.
func (s *Store) ForgetDay(ctx context.Context, day time.Time) error {
	d, err := utcDay(day)
	if err != nil {
		return fmt.Errorf("store: forget day: %w", err)
	}
	arg := timeArg(s.dialect, d)
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		// The tables in ApplyBatch's order, so that a concurrent batch of
		// the day waits rather than deadlocks (a deadlock would be run
		// again all the same).
		for _, table := range []string{"tlsrpt_mta_policy_counts", "tlsrpt_mta_failure_counts", "tlsrpt_mta_claims"} {
			if _, err := tx.ExecContext(ctx, rebind(s.dialect, "DELETE FROM "+table+" WHERE day = ?"), arg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: forget day %s: %w", d.Format(time.DateOnly), err)
	}
	return nil
}

// utcDay returns day in UTC, failing unless it is a UTC midnight.
func utcDay(day time.Time) (time.Time, error) {
	d := day.UTC()
	if !d.Equal(d.Truncate(24 * time.Hour)) {
		return time.Time{}, fmt.Errorf("day %s is not a UTC midnight", day.Format(time.RFC3339Nano))
	}
	return d, nil
}

// maxWriteAttempts bounds how often writeTx runs a transaction that
// PostgreSQL aborted as a deadlock victim or serialization failure.
const maxWriteAttempts = 10

// writeTx runs fn in a transaction and commits it. On SQLite it holds
// writeMu (one writer at a time; SQLiteDSN's _txlock=immediate takes the
// write lock at BEGIN across processes). On PostgreSQL a transaction that
// failed with a deadlock (40P01) or serialization failure (40001) is run
// again after a short random pause, up to maxWriteAttempts times.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.dialect == DialectSQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	for attempt := 1; ; attempt++ {
		err := s.runTx(ctx, fn)
		if err == nil || attempt == maxWriteAttempts || !retryable(err) {
			return err
		}
		pause := time.Duration(attempt)*5*time.Millisecond + rand.N(10*time.Millisecond)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

func (s *Store) runTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// writeOne runs the statement q with args as a write transaction of its
// own (writeTx: SQLite's one writer, PostgreSQL's retries), prepared as
// newCall says, and returns the number of rows it changed.
func (s *Store) writeOne(ctx context.Context, prepare bool, q string, args ...any) (int64, error) {
	c, err := s.newCall(ctx, prepare, q, args...)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = c.exec(ctx, tx)
		return err
	})
	return n, err
}

// call is a statement with its arguments, prepared (st non-nil) before
// the transaction it runs in. Statements are prepared on the *sql.DB
// outside transactions: preparing takes a connection from the pool, and a
// transaction waiting for one while it holds another deadlocks once every
// connection of a bounded pool (sql.DB.SetMaxOpenConns) is held so.
type call struct {
	q    string
	st   *sql.Stmt
	args []any
}

// newCall returns the call of q, prepared through the Store's statement
// cache when prepare is set and the cache has room.
func (s *Store) newCall(ctx context.Context, prepare bool, q string, args ...any) (call, error) {
	c := call{q: q, args: args}
	if prepare {
		st, err := s.stmts.get(ctx, s.db, q)
		if err != nil {
			return call{}, err
		}
		c.st = st
	}
	return c, nil
}

// exec runs c in tx and returns the number of rows it changed.
func (c call) exec(ctx context.Context, tx *sql.Tx) (int64, error) {
	var res sql.Result
	var err error
	if c.st != nil {
		res, err = tx.StmtContext(ctx, c.st).ExecContext(ctx, c.args...)
	} else {
		res, err = tx.ExecContext(ctx, c.q, c.args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// query runs c in tx.
func (c call) query(ctx context.Context, tx *sql.Tx) (*sql.Rows, error) {
	if c.st != nil {
		return tx.StmtContext(ctx, c.st).QueryContext(ctx, c.args...)
	}
	return tx.QueryContext(ctx, c.q, c.args...)
}
