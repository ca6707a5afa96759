package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStmts bounds the prepared statements a Store keeps: the
// single-report shapes of the write path (a few rows per table), not every
// size of a large batch's multi-row inserts, which run unprepared.
const maxCachedStmts = 64

// stmtCache holds statements prepared on the Store's *sql.DB, by text.
// database/sql prepares each again on the connection a transaction uses,
// once per connection. SQLite's driver prepares every unprepared
// statement anew (a fifth of a single Put's CPU time went there);
// PostgreSQL's pgx caches by text itself, so there it saves little.
type stmtCache struct {
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	closed bool
}

// get returns the prepared statement for q, preparing it when there is
// room; nil means run q unprepared.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st, nil
	}
	if c.closed || len(c.m) >= maxCachedStmts {
		return nil, nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[q] = st
	return st, nil
}

// close closes the statements; later gets prepare nothing.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for _, st := range c.m {
		errs = append(errs, st.Close())
	}
	c.m = nil
	return errors.Join(errs...)
}

// txExec runs q in tx, prepared when cached.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
	st, err := s.stmts.get(ctx, s.db, q)
	if err != nil {
		return err
	}
	if st != nil {
		_, err = tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	} else {
		_, err = tx.ExecContext(ctx, q, args...)
	}
	return err
}

// txQuery runs query q in tx, prepared when cached.
func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	st, err := s.stmts.get(ctx, s.db, q)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// Close releases the statements the Store prepared. It does not close
// the *sql.DB. The Store must not be used afterwards; a Store that is
// never closed holds its statements until the *sql.DB is closed.
func (s *Store) Close() error { return s.stmts.close() }
