// Package dbtest gives tests real databases: a SQLite file in the test's
// temporary directory (modernc.org/sqlite, pure Go) and a fresh database on
// a real PostgreSQL server, so that the store runs against the engines it
// targets and not against a mock.
//
// PostgreSQL comes from $TLSRPT_TEST_POSTGRES when it is set (a connection
// string for a role that may create databases, for instance
// "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"); otherwise
// the first Postgres call of a test binary starts a throwaway cluster from
// the server binaries of the machine (Debian's postgresql-15 package puts
// them in /usr/lib/postgresql/15/bin): initdb into a temporary directory,
// fsync off, listening on 127.0.0.1 on a free port and on a Unix socket in
// that directory. When run as root the cluster runs as the "postgres" user,
// since initdb and postgres refuse root. Every test gets its own database on
// the one cluster, dropped when the test ends. The cluster stops when the
// test binary ends: a package that calls Postgres must run its tests through
// Main, and the server is also told to quit (by the kernel) if the test
// binary dies without running Main's cleanup.
//
// When neither $TLSRPT_TEST_POSTGRES nor the server binaries are there,
// Postgres skips the test, unless $CI is set: on CI a missing PostgreSQL is a
// failure, not a reason to skip.
//
// This is a test-helper package: only _test.go files may import it (the
// import graph test enforces this), because it links both SQL drivers.
package dbtest

import (
	"database/sql"
	"path/filepath"
	"testing"

	// Driver "sqlite": modernc.org/sqlite, pure Go.
	_ "modernc.org/sqlite"
)

// SQLite opens a new SQLite database file in tb.TempDir() with the
// modernc.org/sqlite driver and closes it when the test ends. dsn turns the
// file's path into the data source name; nil means the path itself, that
// is, the driver's defaults (rollback journal, no busy timeout).
func SQLite(tb testing.TB, dsn func(path string) string) *sql.DB {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "test.db")
	name := path
	if dsn != nil {
		name = dsn(path)
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		tb.Fatalf("dbtest: open sqlite %s: %v", name, err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		tb.Fatalf("dbtest: open sqlite %s: %v", name, err)
	}
	return db
}
