package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
		{"alerts", "--db", db, "--bogus"},
	} {
		code, _, stderr := runViews(args...)
		require.Equal(t, exitUsage, code, "%v: %s", args, stderr)
		require.NotEmpty(t, stderr, args)
	}
	for _, verb := range []string{"summary", "readiness", "alerts"} {
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
