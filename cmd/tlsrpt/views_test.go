package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/internal/corpus"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// viewsDay0 is the first day of the store fixtures; viewsNow is "now" in
// the golden runs, so that the default windows end on 2026-10-15.
var (
	viewsDay0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	viewsNow  = time.Date(2026, 10, 14, 15, 4, 5, 0, time.UTC)
)

func viewsReport(org string, day int, dom, mode string, succ int64, fails ...report.FailureDetail) *report.Report {
	start := viewsDay0.AddDate(0, 0, day)
	var failed int64
	for _, f := range fails {
		failed += f.FailedSessionCount
	}
	return &report.Report{
		OrganizationName: org,
		DateRange:        report.DateRange{Start: start, End: start.Add(24*time.Hour - time.Second)},
		ContactInfo:      "tlsrpt@" + org,
		ReportID:         fmt.Sprintf("%s-%d-%s", org, day, dom),
		Policies: []report.PolicyResult{{
			Policy: policy.Policy{Type: policy.TypeSTS, Domain: dom,
				Strings: []string{"version: STSv1", "mode: " + mode, "mx: mx1." + dom, "max_age: 86400"},
				MXHosts: []string{"mx1." + dom}},
			Summary:        report.Summary{TotalSuccessfulSessionCount: succ, TotalFailureSessionCount: failed},
			FailureDetails: fails,
		}},
	}
}

func viewsFailure(t report.ResultType, mx, ip string, n int64) report.FailureDetail {
	return report.FailureDetail{ResultType: t, ReceivingMXHostname: mx, SendingMTAIP: netip.MustParseAddr(ip), FailedSessionCount: n}
}

// viewsStore writes a SQLite store with two weeks of reports and returns
// its --db value.
func viewsStore(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "tlsrpt.db")
	db, err := sql.Open("sqlite", store.SQLiteDSN(path))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	require.NoError(t, err)
	var reps []*report.Report
	for day := range 14 {
		for _, org := range []string{"Google Inc.", "Microsoft Corporation", "Yahoo"} {
			if org == "Yahoo" && day >= 7 {
				continue // stops reporting
			}
			reps = append(reps, viewsReport(org, day, "ready.example", "testing", 500))
			var fails []report.FailureDetail
			if day == 10 {
				fails = append(fails, viewsFailure(report.ResultCertificateHostMismatch, "mx1.blocked.example", "192.0.2.10", 40))
			}
			if day%3 == 0 {
				fails = append(fails, viewsFailure(report.ResultSTSPolicyFetchError, "", "198.51.100.3", 2))
			}
			reps = append(reps, viewsReport(org, day, "blocked.example", "testing", 300, fails...))
			reps = append(reps, viewsReport(org, day, "enforce.example", "enforce", 1000,
				viewsFailure(report.ResultSTARTTLSNotSupported, "mx1.enforce.example", "2001:db8::25", 1)))
		}
	}
	reps = append(reps, viewsReport("Google Inc.", 12, "thin.example", "testing", 12))
	// A report covering two days counts whole on its first.
	long := viewsReport("Google Inc.", 9, "thin.example", "testing", 8)
	long.ReportID = "two-days"
	long.DateRange.End = long.DateRange.Start.Add(48 * time.Hour)
	reps = append(reps, long)
	for _, r := range reps {
		_, err := st.Put(ctx, store.Entry{Report: r, Raw: []byte("{}"), Trust: store.Trust{Verdict: store.VerdictTrusted}, Source: "test",
			Received: viewsNow})
		require.NoError(t, err)
	}
	require.NoError(t, st.Close())
	return "sqlite:" + path
}

func runViews(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return viewsNow }}
	code := run(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

func TestViewsGolden(t *testing.T) {
	db := viewsStore(t)
	cases := []struct {
		golden string
		args   []string
		code   int
	}{
		{"summary.golden", []string{"summary", "--db", db, "--days", "14"}, exitOK},
		{"summary-week.golden", []string{"summary", "--db", db}, exitOK},
		{"summary-filter.golden", []string{"summary", "--db", db, "--since", "2026-10-01", "--until", "2026-10-15", "--domain", "blocked.example", "--family", "tls-negotiation"}, exitOK},
		{"summary-json.golden", []string{"summary", "--json", "--db", db, "--mx", "MX1.enforce.example", "--days", "2"}, exitOK},
		{"readiness-ready.golden", []string{"readiness", "--db", db, "ready.example"}, exitOK},
		{"readiness-blocked.golden", []string{"readiness", "--db", db, "blocked.example"}, exitFailed},
		{"readiness-thin.golden", []string{"readiness", "--db", db, "thin.example"}, exitFailed},
		{"readiness-enforce.golden", []string{"readiness", "--db", db, "enforce.example"}, exitOK},
		{"readiness-json.golden", []string{"readiness", "--json", "--db", db, "blocked.example"}, exitFailed},
		{"alerts.golden", []string{"alerts", "--db", db}, exitFailed},
		{"alerts-json.golden", []string{"alerts", "--json", "--db", db}, exitFailed},
		{"alerts-none.golden", []string{"alerts", "--db", db, "--domain", "ready.example", "--reporter", "Google Inc."}, exitOK},
		{"reports.golden", []string{"reports", "--db", db, "--days", "2", "--limit", "4", "--offset", "1"}, exitOK},
		{"reports-filter.golden", []string{"reports", "--db", db, "--days", "14", "--domain", "blocked.example", "--result-type", "certificate-host-mismatch"}, exitOK},
		{"reports-json.golden", []string{"reports", "--json", "--db", db, "--days", "14", "--mx", "mx1.enforce.example", "--reporter", "Yahoo", "--limit", "2"}, exitOK},
		{"reports-none.golden", []string{"reports", "--db", db, "--since", "2025-01-01", "--until", "2025-01-02"}, exitOK},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			code, stdout, stderr := runViews(tc.args...)
			require.Equal(t, tc.code, code, stderr)
			require.Empty(t, stderr)
			golden(t, tc.golden, strings.ReplaceAll(stdout, db, "sqlite:DB"))
		})
	}
}

func TestViewsUsageErrors(t *testing.T) {
	db := viewsStore(t)
	for _, args := range [][]string{
		{"summary", "--db", "sqlite:" + filepath.Join(t.TempDir(), "missing.db")},
		{"summary", "--db", "mysql://x"},
		{"summary", "--db", db, "--since", "yesterday"},
		{"summary", "--db", db, "--ip", "nope"},
		{"summary", "--db", db, "extra"},
		{"readiness", "--db", db},
		{"readiness", "--db", db, "--reporter", "Google Inc.", "example.com"}, // a filter it would ignore
		{"readiness", "--db", db, "--family", "mta-sts", "example.com"},
		{"alerts", "--db", db, "--bogus"},
		{"reports", "--db", db, "--limit", "-1"},
		{"reports", "--db", db, "--offset", "x"},
		{"reports", "--db", db, "extra"},
	} {
		code, _, stderr := runViews(args...)
		require.Equal(t, exitUsage, code, "%v: %s", args, stderr)
		require.NotEmpty(t, stderr, args)
	}
	for _, verb := range []string{"summary", "readiness", "alerts", "reports"} {
		code, stdout, _ := runViews(verb, "-h")
		require.Equal(t, exitOK, code)
		require.Contains(t, stdout, "--db DSN")
	}
}

func TestDefaultDBPath(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	p, err := defaultDBPath()
	require.NoError(t, err)
	require.Equal(t, "/data/tlsrpt/tlsrpt.db", p)
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	p, err = defaultDBPath()
	require.NoError(t, err)
	require.Equal(t, "/home/u/.local/share/tlsrpt/tlsrpt.db", p)
}

// TestReportsCorpus ingests the corpus report files into SQLite and
// PostgreSQL and checks the reports verb against the export: every report
// is listed, with its reporter, date range, and per policy its type,
// domain, mode and session counts, per failure detail its result type,
// receiving MX host, receiving IP, sending MTA IP and count, in the JSON
// and in the text; and the summary's totals equal the sums over the
// export's policy rows.
func TestReportsCorpus(t *testing.T) {
	dir := corpus.Dir(t, "reports")
	files := t.TempDir()
	names, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, n := range names {
		if strings.HasSuffix(n.Name(), ".json") || strings.HasSuffix(n.Name(), ".json.gz") {
			b, err := os.ReadFile(filepath.Join(dir, n.Name()))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(files, n.Name()), b, 0o644))
		}
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := stores(t)[engine](t)
			_, out, stderr := runIngestTool("ingest", "--db", dsn, "--no-dkim", files)
			require.Empty(t, stderr, out)
			require.Contains(t, out, " stored")
			window := []string{"--db", dsn, "--since", "1970-01-01", "--until", "2100-01-01"}

			// The export's rows, by report key.
			code, out, stderr := runIngestTool("export", "--db", dsn, "--format", "jsonl")
			require.Equal(t, exitOK, code, stderr)
			type exportRow struct {
				Key        int64   `json:"report_key"`
				Kind       string  `json:"row_type"`
				Org        string  `json:"organization_name"`
				Begin      string  `json:"begin_date"`
				End        string  `json:"end_date"`
				Policy     int     `json:"policy_index"`
				Detail     *int    `json:"detail_index"`
				Type       string  `json:"policy_type"`
				Domain     string  `json:"policy_domain"`
				Mode       string  `json:"policy_mode"`
				Successful *int64  `json:"successful_session_count"`
				Failed     int64   `json:"failed_session_count"`
				ResultType *string `json:"result_type"`
				MX         *string `json:"receiving_mx_hostname"`
				RecvIP     *string `json:"receiving_ip"`
				SendIP     *string `json:"sending_mta_ip"`
			}
			byKey := map[int64][]exportRow{}
			var want store.Totals
			for line := range strings.Lines(out) {
				var r exportRow
				require.NoError(t, json.Unmarshal([]byte(line), &r))
				byKey[r.Key] = append(byKey[r.Key], r)
				if r.Kind == "policy" {
					want.Successful += *r.Successful
					want.Failed += r.Failed
				}
			}
			want.Reports = int64(len(byKey))
			require.NotZero(t, want.Reports)

			code, out, stderr = runIngestTool(append([]string{"summary", "--json"}, window...)...)
			require.Equal(t, exitOK, code, stderr)
			var sum store.Summary
			require.NoError(t, json.Unmarshal([]byte(out), &sum))
			require.Equal(t, want, sum.Total, "summary totals vs the export's policy rows")

			code, out, stderr = runIngestTool(append([]string{"reports", "--json", "--limit", "0"}, window...)...)
			require.Equal(t, exitOK, code, stderr)
			var list store.ReportList
			require.NoError(t, json.Unmarshal([]byte(out), &list))
			require.Equal(t, want.Reports, list.Total)
			require.Len(t, list.Reports, len(byKey))
			code, text, stderr := runIngestTool(append([]string{"reports", "--limit", "0"}, window...)...)
			require.Equal(t, exitOK, code, stderr)
			blocks := strings.Split(text, "\nReport ")
			require.Len(t, blocks, len(list.Reports)+1, "one text block per report")

			for i, r := range list.Reports {
				rows := byKey[r.Key]
				require.NotEmpty(t, rows, "report %d is not in the export", r.Key)
				block := blocks[i+1]
				head := rows[0]
				if r.OrganizationName != head.Org || r.Start.Format(time.RFC3339) != head.Begin || r.End.Format(time.RFC3339) != head.End {
					t.Errorf("report %d: %q %v..%v, export %q %s..%s", r.Key, r.OrganizationName, r.Start, r.End, head.Org, head.Begin, head.End)
				}
				for _, s := range []string{fmt.Sprint(r.Key), r.OrganizationName, head.Begin, head.End} {
					if !strings.Contains(block, s) {
						t.Errorf("report %d: text does not show %q:\n%s", r.Key, s, block)
					}
				}
				var got, wantRows []string
				for _, p := range r.Policies {
					got = append(got, fmt.Sprintf("policy %d %s %s %q %d %d", p.Index, p.Type, p.Domain, p.Mode, p.Successful, p.Failed))
					line := fmt.Sprintf("%s  %s  %s  %d  %d", p.Type, orDash(p.Domain), orDash(p.Mode), p.Successful, p.Failed)
					if !strings.Contains(collapse(block), line) {
						t.Errorf("report %d: text does not show policy line %q:\n%s", r.Key, line, block)
					}
					for _, fd := range p.Failures {
						got = append(got, fmt.Sprintf("failure %d/%d %s %s %s %s %d", p.Index, fd.Index, fd.ResultType,
							fd.ReceivingMXHostname, addrText(fd.ReceivingIP), addrText(fd.SendingMTAIP), fd.Failed))
						line := fmt.Sprintf("%d  %s  %s  %s  %s", fd.Failed, fd.ResultType, orDash(fd.ReceivingMXHostname), addrOrDash(fd.ReceivingIP), addrOrDash(fd.SendingMTAIP))
						if !strings.Contains(collapse(block), line) {
							t.Errorf("report %d: text does not show failure line %q:\n%s", r.Key, line, block)
						}
					}
				}
				for _, x := range rows {
					if x.Kind == "policy" {
						wantRows = append(wantRows, fmt.Sprintf("policy %d %s %s %q %d %d", x.Policy, x.Type, x.Domain, x.Mode, *x.Successful, x.Failed))
						continue
					}
					wantRows = append(wantRows, fmt.Sprintf("failure %d/%d %s %s %s %s %d", x.Policy, *x.Detail, *x.ResultType, *x.MX, *x.RecvIP, *x.SendIP, x.Failed))
				}
				if diff := cmp.Diff(wantRows, got); diff != "" {
					t.Errorf("report %d: policies and failure details (-export +reports):\n%s", r.Key, diff)
				}
			}
		})
	}
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// collapse replaces each run of spaces by two, as the tables' narrowest
// gap.
func collapse(s string) string {
	for strings.Contains(s, "   ") {
		s = strings.ReplaceAll(s, "   ", "  ")
	}
	return s
}
