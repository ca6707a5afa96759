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
//
// Statements are prepared only outside transactions: preparing takes a
// connection from the pool, and a transaction waiting for one while it
// holds another deadlocks once every connection of a bounded pool
// (sql.DB.SetMaxOpenConns) is held so. Inside a transaction, lookup only
// finds what is cached and notes what is missing; prepareWanted, run
// before the next transaction, prepares it.
type stmtCache struct {
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	want   map[string]bool // missed by lookup, not prepared yet
	closed bool
}

// get returns the prepared statement for q, preparing it when there is
// room; nil means run q unprepared. It must not be called while the
// caller holds a transaction (see stmtCache).
func (c *stmtCache) get(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[q]
	full := c.closed || len(c.m) >= maxCachedStmts
	c.mu.Unlock()
	if ok || full {
		return st, nil
	}
	// Prepared without the lock: other statements stay usable while the
	// pool hands out a connection.
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return c.add(q, st), nil
}

// add caches st for q and returns the statement to use: st, or the one
// another goroutine cached first, or nil when the cache is closed or full;
// st is closed when it is not used. It closes it after giving up the
// lock: closing a statement waits for each connection it was prepared on,
// and a connection may be inside a query that waits on a row lock of a
// transaction whose goroutine waits for the lock in lookup.
func (c *stmtCache) add(q string, st *sql.Stmt) *sql.Stmt {
	use, unused := c.addLocked(q, st)
	if unused != nil {
		unused.Close()
	}
	return use
}

func (c *stmtCache) addLocked(q string, st *sql.Stmt) (use, unused *sql.Stmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.want, q)
	if old, ok := c.m[q]; ok {
		return old, st
	}
	if c.closed || len(c.m) >= maxCachedStmts {
		return nil, st
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[q] = st
	return st, nil
}

// lookup returns the cached statement for q, or nil after noting q for
// prepareWanted. It never prepares, so it is safe inside a transaction.
func (c *stmtCache) lookup(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st
	}
	if !c.closed && len(c.m)+len(c.want) < maxCachedStmts {
		if c.want == nil {
			c.want = make(map[string]bool)
		}
		c.want[q] = true
	}
	return nil
}

// prepareWanted prepares the statements lookup missed. It must not be
// called while the caller holds a transaction. A statement that fails to
// prepare is dropped: it runs unprepared, as before.
func (c *stmtCache) prepareWanted(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	qs := make([]string, 0, len(c.want))
	for q := range c.want {
		qs = append(qs, q)
	}
	c.mu.Unlock()
	for _, q := range qs {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			c.mu.Lock()
			delete(c.want, q)
			c.mu.Unlock()
			continue
		}
		c.add(q, st)
	}
}

// close closes the statements; later gets prepare nothing. They are
// closed after the lock is given up (see add).
func (c *stmtCache) close() error {
	c.mu.Lock()
	c.closed = true
	m := c.m
	c.m, c.want = nil, nil
	c.mu.Unlock()
	var errs []error
	for _, st := range m {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// txExec runs q in tx, prepared when cached.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
	var err error
	if st := s.stmts.lookup(q); st != nil {
		_, err = tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	} else {
		_, err = tx.ExecContext(ctx, q, args...)
	}
	return err
}

// txQuery runs query q in tx, prepared when cached.
func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if st := s.stmts.lookup(q); st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// Close releases the statements the Store prepared. It does not close
// the *sql.DB. The Store must not be used afterwards; a Store that is
// never closed holds its statements until the *sql.DB is closed.
func (s *Store) Close() error { return s.stmts.close() }
