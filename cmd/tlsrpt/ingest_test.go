package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/ingest"
	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
	"github.com/go-tlsrpt/tlsrpt/internal/dbtest"
	"github.com/go-tlsrpt/tlsrpt/internal/imaptest"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// ingestNow is the clock of the ingest tests.
var ingestNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// varyingColumns are the export columns that legitimately differ between
// sources and databases: the key the database assigned, where the report
// came from, and when it was stored. They are dropped before comparing.
var varyingColumns = []string{"report_key", "source", "received_at"}

// runIngestTool runs the tool in-process with the fixed clock.
func runIngestTool(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return ingestNow }}
	code := run(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

// postgresDSN returns a postgres:// URL of a fresh test database.
func postgresDSN(t *testing.T) string {
	db := dbtest.Postgres(t)
	var name, user string
	var host *string
	var port *int
	require.NoError(t, db.QueryRow("SELECT current_database(), current_user, host(inet_server_addr()), inet_server_port()").
		Scan(&name, &user, &host, &port))
	if host == nil || port == nil {
		t.Skip("the test PostgreSQL is reached over a Unix socket; ingest takes a postgres:// URL")
	}
	u := url.URL{Scheme: "postgres", User: url.User(user), Host: fmt.Sprintf("%s:%d", *host, *port), Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

// stores are the two databases of a test: SQLite and PostgreSQL.
func stores(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "sub", "tlsrpt.db") },
		"postgres": postgresDSN,
	}
}

// normalizeExport drops the varyingColumns from a CSV or JSON Lines
// export.
func normalizeExport(t *testing.T, format, out string) string {
	var b strings.Builder
	if format == "csv" {
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		require.NoError(t, err)
		require.NotEmpty(t, rows)
		var drop []int
		for i, c := range rows[0] {
			if slices.Contains(varyingColumns, c) {
				drop = append(drop, i)
			}
		}
		require.Len(t, drop, len(varyingColumns))
		w := csv.NewWriter(&b)
		for _, r := range rows {
			var keep []string
			for i, c := range r {
				if !slices.Contains(drop, i) {
					keep = append(keep, c)
				}
			}
			require.NoError(t, w.Write(keep))
		}
		w.Flush()
		return b.String()
	}
	for line := range strings.Lines(out) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		for _, c := range varyingColumns {
			require.Contains(t, m, c)
			delete(m, c)
		}
		j, err := json.Marshal(m) // keys sorted
		require.NoError(t, err)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// ingestAndExport ingests args twice into dsn and returns the exit codes
// and counts lines of both runs and the normalised exports.
func ingestAndExport(t *testing.T, dsn string, args ...string) (counts, csvOut, jsonlOut string) {
	t.Helper()
	var b strings.Builder
	for range 2 {
		code, out, stderr := runIngestTool(append([]string{"ingest", "--db", dsn, "--no-dkim"}, args...)...)
		require.Empty(t, stderr)
		fmt.Fprintf(&b, "exit %d: %s", code, out)
	}
	exports := map[string]string{}
	for _, format := range []string{"csv", "jsonl"} {
		code, out, stderr := runIngestTool("export", "--db", dsn, "--format", format)
		require.Equal(t, exitOK, code, stderr)
		exports[format] = normalizeExport(t, format, out)
	}
	return b.String(), exports["csv"], exports["jsonl"]
}

// corpusMails returns the corpus report mails, by file name.
func corpusMails(t *testing.T) [][]byte {
	dir := corpus.Dir(t, "emails")
	names, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	require.NotEmpty(t, names)
	slices.Sort(names)
	var mails [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		require.NoError(t, err)
		mails = append(mails, b)
	}
	return mails
}

// writeMaildir writes mails into a new Maildir, in order.
func writeMaildir(t *testing.T, mails [][]byte) string {
	dir := filepath.Join(t.TempDir(), "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
	}
	for i, m := range mails {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "new", fmt.Sprintf("%04d.M1P1.test", i)), m, 0o644))
	}
	return dir
}

// fromLine matches the lines mboxrd quotes.
var fromLine = regexp.MustCompile(`(?m)^(>*From )`)

// writeMbox writes mails into an mboxrd file.
func writeMbox(t *testing.T, mails [][]byte) string {
	var b bytes.Buffer
	for _, m := range mails {
		b.WriteString("From tlsrpt@example.net Sun Nov 29 12:00:00 2026\n")
		b.Write(fromLine.ReplaceAll(m, []byte(">$1")))
		if !bytes.HasSuffix(m, []byte("\n")) {
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "reports.mbox")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	return path
}

// TestIngestMailSources ingests the corpus mails from a Maildir, an mbox
// file and a Dovecot IMAP mailbox into SQLite and PostgreSQL: the counts
// and the exports (without varyingColumns) are the same for every source
// and database, and a second run stores nothing.
func TestIngestMailSources(t *testing.T) {
	mails := corpusMails(t)
	srv := imaptest.Start(t, imaptest.Config{})
	for _, m := range mails {
		srv.Append(t, "INBOX", m)
	}
	// The CLI trusts the system's roots; the test server's certificate is
	// self-signed, so the test opens IMAP through the same parsing with
	// its roots added (TLSConfig is the one thing that differs).
	saved := openIMAP
	t.Cleanup(func() { openIMAP = saved })
	openIMAP = func(ctx context.Context, rawURL string) (ingest.Source, error) {
		src, err := saved(ctx, rawURL)
		if im, ok := src.(*ingest.IMAP); ok {
			im.TLSConfig = srv.TLSConfig()
		}
		return src, err
	}
	t.Setenv(envIMAPPassword, srv.Password)
	t.Setenv(envIMAPPasswordFile, "")

	sources := []struct {
		name string
		arg  func(t *testing.T) string
	}{
		{"maildir", func(t *testing.T) string { return writeMaildir(t, mails) }},
		{"mbox", func(t *testing.T) string { return writeMbox(t, mails) }},
		{"imap", func(t *testing.T) string { return "imap://" + url.User(srv.User).String() + "@" + srv.Addr + "/INBOX" }},
	}
	for _, db := range []string{"sqlite", "postgres"} {
		for _, src := range sources {
			t.Run(db+"/"+src.name, func(t *testing.T) {
				dsn := stores(t)[db](t)
				counts, csvOut, jsonlOut := ingestAndExport(t, dsn, src.arg(t))
				checkGolden(t, "ingest-mail-counts.golden", counts)
				checkGolden(t, "ingest-mail-export-csv.golden", csvOut)
				checkGolden(t, "ingest-mail-export-jsonl.golden", jsonlOut)
			})
		}
	}
}

// TestIngestReportFiles ingests the corpus report files (.json and
// .json.gz) from a directory into SQLite and PostgreSQL.
func TestIngestReportFiles(t *testing.T) {
	dir := corpus.Dir(t, "reports")
	files := t.TempDir()
	names, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, n := range names {
		if !strings.HasSuffix(n.Name(), ".json") && !strings.HasSuffix(n.Name(), ".json.gz") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, n.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(files, n.Name()), b, 0o644))
	}
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dsn := stores(t)[db](t)
			counts, csvOut, jsonlOut := ingestAndExport(t, dsn, files)
			checkGolden(t, "ingest-files-counts.golden", counts)
			checkGolden(t, "ingest-files-export-csv.golden", csvOut)
			checkGolden(t, "ingest-files-export-jsonl.golden", jsonlOut)

			// The filters reach store.Export.
			code, out, stderr := runIngestTool("export", "--db", dsn, "--format", "jsonl", "--since", "2024-01-01", "--domain", "krvtz.net")
			require.Equal(t, exitOK, code, stderr)
			n := 0
			for line := range strings.Lines(out) {
				var row struct {
					Domain string `json:"policy_domain"`
					Begin  string `json:"begin_date"`
				}
				require.NoError(t, json.Unmarshal([]byte(line), &row))
				if row.Domain != "krvtz.net" || row.Begin < "2024-01-01" {
					t.Errorf("export --since 2024-01-01 --domain krvtz.net wrote a row of %q beginning %s", row.Domain, row.Begin)
				}
				n++
			}
			if n == 0 {
				t.Errorf("export --domain krvtz.net wrote no row")
			}
		})
	}
}

// TestIngestStoredEntry checks what ingest stores for one mail: the raw
// message byte for byte, the source label, the trust mapping and the
// clock.
func TestIngestStoredEntry(t *testing.T) {
	mails := corpusMails(t)
	dir := writeMaildir(t, mails[:1])
	path := filepath.Join(t.TempDir(), "tlsrpt.db")
	code, out, stderr := runIngestTool("ingest", "--db", "sqlite:"+path, "--no-dkim", dir)
	require.Empty(t, stderr)
	require.Contains(t, out, "1 stored", "exit %d", code)
	st, err := openStore(context.Background(), "sqlite:"+path)
	require.NoError(t, err)
	defer st.Close()
	var key int64
	for row, err := range st.Rows(context.Background(), store.Filter{}) {
		require.NoError(t, err)
		key = row.Key
		break
	}
	require.NotZero(t, key, "no row stored")
	got, err := st.Get(context.Background(), key)
	require.NoError(t, err)
	if !bytes.Equal(got.Raw, mails[0]) {
		t.Errorf("raw: %d bytes stored, want the %d bytes of the mail", len(got.Raw), len(mails[0]))
	}
	wantSource := "maildir:" + dir + "#new/0000.M1P1.test"
	if got.Source != wantSource || !got.Received.Equal(ingestNow) || got.Trust.Verdict != "untrusted" || got.Trust.Reason == "" {
		t.Errorf("stored source %q, received %v, trust %+v; want %q, %v, untrusted with a reason",
			got.Source, got.Received, got.Trust, wantSource, ingestNow)
	}
}

func TestIngestExportUsage(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "none.db")
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"ingest without source", []string{"ingest"}, exitUsage},
		{"ingest bad flag", []string{"ingest", "--bogus", "x"}, exitUsage},
		{"ingest imap password in URL", []string{"ingest", "--db", db, "imaps://u:secret@imap.example.net/INBOX"}, exitUsage},
		{"export bad format", []string{"export", "--db", db, "--format", "xml"}, exitUsage},
		{"export bad date", []string{"export", "--db", db, "--since", "yesterday"}, exitUsage},
		{"export no store", []string{"export", "--db", db}, exitUsage},
		{"export argument", []string{"export", "--db", db, "extra"}, exitUsage},
		{"ingest help", []string{"ingest", "-h"}, exitOK},
		{"export help", []string{"export", "--help"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runIngestTool(tc.args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.want, stderr)
			}
			if strings.Contains(stderr, "secret") {
				t.Errorf("stderr echoes the password: %q", stderr)
			}
			if tc.want == exitOK && !strings.Contains(out, "Example:") {
				t.Errorf("help without an example:\n%s", out)
			}
		})
	}
}
