package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// TestMigrations brings a database to every earlier schema version (0 is
// empty), stores what that version can hold, and checks that Open then
// migrates it to a schema identical to the one Open creates from empty,
// with the earlier data readable. Each new migration is covered by this
// loop without a new test; seedVersion says what to store at a version.
func TestMigrations(t *testing.T) {
	fx := loadTestdata(t)
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fresh := d.open(t)
			openStore(t, fresh, Options{Dialect: d.name})
			want := schemaOf(t, fresh, d.name)
			if len(want) == 0 {
				t.Fatal("no schema read back")
			}
			for from := 0; from <= len(migrations); from++ {
				t.Run(fmt.Sprintf("from %d", from), func(t *testing.T) {
					db := d.open(t)
					require.NoError(t, migrate(ctx, db, d.name, from))
					if from > 0 {
						v, err := schemaVersion(ctx, db)
						require.NoError(t, err)
						if v != from {
							t.Fatalf("after migrate(%d): version %d", from, v)
						}
					}
					seeded := seedVersion(t, db, d.name, from, fx)
					st := openStore(t, db, Options{Dialect: d.name})
					v, err := schemaVersion(ctx, db)
					require.NoError(t, err)
					if v != len(migrations) {
						t.Errorf("version %d after Open, want %d", v, len(migrations))
					}
					if diff := cmp.Diff(want, schemaOf(t, db, d.name)); diff != "" {
						t.Errorf("schema migrated from %d differs from a fresh one (-fresh +migrated):\n%s", from, diff)
					}
					for _, key := range seeded {
						if _, err := st.Get(ctx, key); err != nil {
							t.Errorf("Get(%d) of a report stored at version %d: %v", key, from, err)
						}
					}
					// The migrated store takes new reports.
					res, err := st.Put(ctx, entryOf(fx[1], "after migration"))
					require.NoError(t, err)
					if !res.Stored() {
						t.Errorf("Put after migration = %v", res)
					}
					// Open again is a no-op.
					openStore(t, db, Options{Dialect: d.name})
				})
			}
			t.Run("too new", func(t *testing.T) {
				db := d.open(t)
				openStore(t, db, Options{Dialect: d.name})
				_, err := db.ExecContext(ctx, rebind(d.name, "INSERT INTO tlsrpt_schema_migrations (version, applied_at) VALUES (?, 'later')"), len(migrations)+1)
				require.NoError(t, err)
				if _, err := Open(ctx, db, Options{Dialect: d.name}); !errors.Is(err, ErrSchemaTooNew) {
					t.Errorf("Open = %v, want ErrSchemaTooNew", err)
				}
			})
		})
	}
}

// seedVersion stores reports in a database at schema version v with the
// SQL of that version, and returns their keys. Version 0 holds nothing;
// at version 1 (the current one) the Store writes them. When a migration
// is added, the writes of the version it replaces move here as SQL.
func seedVersion(tb testing.TB, db *sql.DB, d Dialect, v int, fx []fixture) []int64 {
	tb.Helper()
	if v == 0 {
		return nil
	}
	st := &Store{db: db, dialect: d, now: func() time.Time { return received }}
	res, err := st.Put(context.Background(), entryOf(fx[0], fmt.Sprintf("version %d", v)))
	require.NoError(tb, err)
	return []int64{res.Key}
}

// schemaOf describes the tables, views, columns and indexes of the
// store's schema, in a form that is the same however they were created.
func schemaOf(tb testing.TB, db *sql.DB, d Dialect) []string {
	tb.Helper()
	var q string
	switch d {
	case DialectSQLite:
		q = `SELECT m.type || ' ' || m.name || ' ' || p.cid || ' ' || p.name || ' ' || p.type || ' ' || p."notnull" || ' ' || coalesce(p.dflt_value, '') || ' ' || p.pk
FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.name LIKE 'tlsrpt%'
UNION ALL
SELECT 'index ' || m.name || ' ' || i.name || ' ' || i."unique" || ' ' || i.partial || ' ' || (SELECT group_concat(ii.name, ',') FROM pragma_index_info(i.name) ii)
FROM sqlite_master m, pragma_index_list(m.name) i WHERE m.type = 'table' AND m.name LIKE 'tlsrpt%'
ORDER BY 1`
	case DialectPostgres:
		q = `SELECT 'column ' || table_name || ' ' || ordinal_position || ' ' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
FROM information_schema.columns WHERE table_schema = current_schema() AND table_name LIKE 'tlsrpt%'
UNION ALL
SELECT 'index ' || tablename || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename LIKE 'tlsrpt%'
UNION ALL
SELECT 'view ' || table_name || ' ' || view_definition FROM information_schema.views WHERE table_schema = current_schema() AND table_name LIKE 'tlsrpt%'
UNION ALL
SELECT 'constraint ' || conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text LIKE 'tlsrpt%'
ORDER BY 1`
	}
	rows, err := db.Query(q)
	require.NoError(tb, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(tb, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(tb, rows.Err())
	return out
}
