package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Dialect names the SQL dialect of the database a Store works on. The
// values are stable; unknown values are refused by Open.
type Dialect string

// The dialects the store speaks.
const (
	// DialectSQLite is SQLite 3.35 or later (RETURNING, partial indexes),
	// the embedded default; modernc.org/sqlite is the pure-Go driver the
	// project tests with.
	DialectSQLite Dialect = "sqlite"
	// DialectPostgres is PostgreSQL 13 or later; the project tests with
	// PostgreSQL 15 through github.com/jackc/pgx/v5/stdlib.
	DialectPostgres Dialect = "postgres"
)

// Errors callers may branch on, with errors.Is.
var (
	// ErrNotFound: no stored report has the key.
	ErrNotFound = errors.New("store: report not found")
	// ErrSchemaTooNew: the database was migrated by a newer version of
	// this package, whose schema this version does not know; Open refuses
	// to touch it.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this version of the package")
	// ErrUnknownDialect: Options.Dialect is not a Dialect constant, or
	// the database answered neither as SQLite nor as PostgreSQL.
	ErrUnknownDialect = errors.New("store: unknown SQL dialect")
)

// Options configures Open. The zero value detects the dialect and uses the
// system clock.
type Options struct {
	// Dialect is the SQL dialect of the database. The zero value detects
	// it by asking the database (see Open).
	Dialect Dialect
	// Now returns the time recorded for an Entry whose Received is zero.
	// Nil means time.Now.
	Now func() time.Time
}

// Store keeps TLS reports in a SQL database. It is safe for concurrent use
// by several goroutines, and several processes may share one database
// (with SQLite, on one machine).
type Store struct {
	db      *sql.DB
	dialect Dialect
	now     func() time.Time

	// writeMu serialises the writes of this Store on SQLite, which has one
	// writer at a time anyway: waiting here is cheaper than SQLite's
	// busy-retry loop. Unused on PostgreSQL.
	writeMu sync.Mutex
	gz      gzipPool
	stmts   stmtCache
}

// Open returns a Store on db after bringing the database's schema up to
// date (see the package documentation, "Schema"): on an empty database it
// creates the tables; on one migrated by an earlier version it applies the
// missing migrations, in one transaction. It fails with ErrSchemaTooNew on
// a database migrated by a newer version.
//
// With a zero Options.Dialect, Open asks the database: "SELECT version()"
// answering "PostgreSQL …" means PostgreSQL, and otherwise a working
// "SELECT sqlite_version()" means SQLite; anything else is
// ErrUnknownDialect. The probe does not depend on the driver, so any
// database/sql driver for the two engines works.
//
// The Store does not own db: closing db is the caller's business, after
// the last use of the Store (and its Close).
func Open(ctx context.Context, db *sql.DB, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("store: nil *sql.DB")
	}
	s := &Store{db: db, dialect: opts.Dialect, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	switch s.dialect {
	case DialectSQLite, DialectPostgres:
	case "":
		d, err := detectDialect(ctx, db)
		if err != nil {
			return nil, err
		}
		s.dialect = d
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownDialect, s.dialect)
	}
	if err := migrate(ctx, db, s.dialect, len(migrations)); err != nil {
		return nil, err
	}
	return s, nil
}

// Dialect returns the SQL dialect of the Store's database.
func (s *Store) Dialect() Dialect { return s.dialect }

// detectDialect asks the database which engine it is.
func detectDialect(ctx context.Context, db *sql.DB) (Dialect, error) {
	var v string
	err := db.QueryRowContext(ctx, "SELECT version()").Scan(&v)
	if err == nil {
		if strings.HasPrefix(v, "PostgreSQL ") {
			return DialectPostgres, nil
		}
		return "", fmt.Errorf("%w: version() is %q", ErrUnknownDialect, v)
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err := db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v); err == nil {
		return DialectSQLite, nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	return "", fmt.Errorf("%w: neither version() nor sqlite_version() answered (%v)", ErrUnknownDialect, err)
}

// SQLiteDSN returns the data source name, for the modernc.org/sqlite
// driver, of the SQLite database file at path with the settings the store
// is tuned for: a 10 s busy timeout (several processes may share the
// file), write-ahead logging with synchronous=NORMAL (see "Durability" in
// the package documentation), foreign keys enforced, a page cache of up to
// 32 MiB per connection (the unique indexes on content hash and report-id
// take random inserts), temporary B-trees in memory (the sorts of the
// views' GROUP BY and COUNT(DISTINCT)), and write transactions that take
// the write lock when they begin.
//
//	db, err := sql.Open("sqlite", store.SQLiteDSN("/var/lib/tlsrpt/reports.db"))
func SQLiteDSN(path string) string {
	u := url.URL{Path: path}
	return "file:" + u.EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)&_pragma=cache_size(-32768)&_pragma=temp_store(MEMORY)&_txlock=immediate"
}
