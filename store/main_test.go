package store

import (
	"context"
	"database/sql"
	"flag"
	"os"
	"testing"

	"github.com/go-tlsrpt/tlsrpt/internal/dbtest"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// dialects is the table every store test runs over: the same suite on
// SQLite (a temporary file, opened as SQLiteDSN says) and on PostgreSQL
// (a fresh database of dbtest's server).
var dialects = []struct {
	name Dialect
	open func(testing.TB) *sql.DB
}{
	{DialectSQLite, func(tb testing.TB) *sql.DB { return dbtest.SQLite(tb, SQLiteDSN) }},
	{DialectPostgres, dbtest.Postgres},
}

// forEachDialect runs fn as a subtest per dialect with a new, migrated
// Store on an empty database.
func forEachDialect(t *testing.T, fn func(t *testing.T, st *Store)) {
	t.Helper()
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			t.Parallel()
			st := openStore(t, d.open(t), Options{})
			if st.Dialect() != d.name {
				t.Fatalf("Dialect() = %q, want %q (detected)", st.Dialect(), d.name)
			}
			fn(t, st)
		})
	}
}

// openStore opens a Store on db, failing the test on error.
func openStore(tb testing.TB, db *sql.DB, opts Options) *Store {
	tb.Helper()
	st, err := Open(context.Background(), db, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return st
}
