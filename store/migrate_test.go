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

	"github.com/go-tlsrpt/tlsrpt/report"
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
// at version 1 the reports go into the version 1 tables only (version 2
// added the rollups, which its migration fills from them); at the current
// version the Store writes them. When a migration is added, the writes of
// the version it replaces move here as SQL.
func seedVersion(tb testing.TB, db *sql.DB, d Dialect, v int, fx []fixture) []int64 {
	tb.Helper()
	if v == 0 {
		return nil
	}
	ctx := context.Background()
	st := &Store{db: db, dialect: d, now: func() time.Time { return received }}
	var keys []int64
	for i, f := range fx {
		if i == 1 {
			continue // TestMigrations puts fx[1] after the migration
		}
		e := entryOf(f, fmt.Sprintf("version %d", v))
		if v >= 2 {
			res, err := st.Put(ctx, e)
			require.NoError(tb, err)
			keys = append(keys, res.Key)
			continue
		}
		var p prepared
		require.NoError(tb, st.prepare(&p, &e, received))
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(tb, err)
		r := e.Report
		var key int64
		require.NoError(tb, tx.QueryRowContext(ctx, rebind(d, `INSERT INTO tlsrpt_reports (organization_name, contact_info, report_id, begin_date, end_date,
	content_sha256, source, received_at, trust, trust_by, trust_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING report_key`),
			r.OrganizationName, r.ContactInfo, r.ReportID, timeArg(d, r.DateRange.Start), timeArg(d, r.DateRange.End),
			p.hash[:], e.Source, timeArg(d, p.received), string(e.Trust.Verdict), e.Trust.By, e.Trust.Reason).Scan(&key))
		require.NoError(tb, st.insertDetails(ctx, tx, []prepared{p}, []PutResult{{Key: key}}, []int{0}))
		require.NoError(tb, tx.Commit())
		keys = append(keys, key)
	}
	return keys
}

// TestMigrationBackfill migrates a database holding reports at version 1
// and checks that the views read from the rollups the migration filled
// the same as from a store that stored the same reports at the current
// version.
func TestMigrationBackfill(t *testing.T) {
	fx := loadTestdata(t)
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			old := d.open(t)
			require.NoError(t, migrate(ctx, old, d.name, 1))
			seedVersion(t, old, d.name, 1, fx)
			migrated := openStore(t, old, Options{Dialect: d.name})
			fresh := openStore(t, d.open(t), Options{Dialect: d.name})
			seedVersion(t, fresh.db, d.name, len(migrations), fx)
			for _, f := range []ViewFilter{{}, {Filter: Filter{Domain: fx[0].rep.Policies[0].Policy.Domain}}, {Category: report.CategorySTS}} {
				want, err := fresh.Summarize(ctx, f)
				require.NoError(t, err)
				got, err := migrated.Summarize(ctx, f)
				require.NoError(t, err)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Summarize(%+v) after the backfill (-stored now +migrated):\n%s", f, diff)
				}
				if want.Total.Reports != int64(len(fx)-1) && f.Domain == "" && f.Category == "" {
					t.Errorf("Total.Reports = %d, want %d", want.Total.Reports, len(fx)-1)
				}
			}
			var n [2]int
			require.NoError(t, old.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM tlsrpt_policy_rollup), (SELECT COUNT(*) FROM tlsrpt_failure_rollup)").Scan(&n[0], &n[1]))
			var want [2]int
			for i, f := range fx {
				if i == 1 {
					continue
				}
				for _, p := range f.rep.Policies {
					want[0]++
					want[1] += len(p.FailureDetails)
				}
			}
			if n != want {
				t.Errorf("rollup rows (policies, failure details) = %v, want %v", n, want)
			}
		})
	}
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
