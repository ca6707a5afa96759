package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/dbtest"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// testNow is "now" of the tests: mid-morning, so the last day's reports
// have arrived.
var testNow = time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)

// filled returns a SQLite store filled with Fill(opts).
func filled(t *testing.T, opts Options) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbtest.SQLite(t, store.SQLiteDSN), store.Options{Now: func() time.Time { return opts.Now }})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	n, err := Fill(ctx, st, opts)
	require.NoError(t, err)
	entries, err := Entries(opts)
	require.NoError(t, err)
	if n != len(entries) {
		t.Fatalf("Fill stored %d reports of %d entries: duplicates among them", n, len(entries))
	}
	return st
}

// TestFillViews checks that the store's views tell the stories of the
// package documentation, for two seeds.
func TestFillViews(t *testing.T) {
	for _, seed := range []uint64{1, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { testFillViews(t, Options{Now: testNow, Seed: seed}) })
	}
}

func testFillViews(t *testing.T, opts Options) {
	ctx := context.Background()
	st := filled(t, opts)
	today := testNow.Truncate(24 * time.Hour)

	t.Run("every result type", func(t *testing.T) {
		sum, err := st.Summarize(ctx, store.ViewFilter{})
		require.NoError(t, err)
		var got []string
		for _, c := range sum.ByResultType {
			got = append(got, c.Key)
		}
		var want []string
		for _, rt := range report.ResultTypes() {
			want = append(want, string(rt))
		}
		slices.Sort(got)
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("result types (-want +got):\n%s", diff)
		}
		var cats []string
		for _, c := range sum.ByCategory {
			cats = append(cats, c.Key)
		}
		slices.Sort(cats)
		if diff := cmp.Diff([]string{"dane", "mta-sts", "tls-negotiation"}, cats); diff != "" {
			t.Errorf("categories (-want +got):\n%s", diff)
		}
		var reporters []string
		for _, c := range sum.ByReporter {
			reporters = append(reporters, c.Key)
		}
		slices.Sort(reporters)
		wantReporters := []string{"Google Inc.", "Mail.ru", "Microsoft Corporation", "mx.mailbox-hosting.example", "smtp.university.example"}
		if diff := cmp.Diff(wantReporters, reporters); diff != "" {
			t.Errorf("reporters (-want +got):\n%s", diff)
		}
		if sum.Days[0].Day != today.AddDate(0, 0, -30).Format(time.DateOnly) || sum.Days[len(sum.Days)-1].Day != today.AddDate(0, 0, -1).Format(time.DateOnly) {
			t.Errorf("days %s .. %s, want the 30 days before %s", sum.Days[0].Day, sum.Days[len(sum.Days)-1].Day, today.Format(time.DateOnly))
		}
	})

	t.Run("readiness verdicts", func(t *testing.T) {
		want := map[string]store.ReadinessVerdict{
			"example.com": store.Enforcing,
			"example.net": store.ReadyForEnforce,
			"example.org": store.NotReady,
			"new.example": store.NotEnoughData,
		}
		for dom, verdict := range want {
			r, err := st.Readiness(ctx, dom, time.Time{}, testNow, store.ReadinessConfig{})
			require.NoError(t, err)
			if r.Verdict != verdict {
				t.Errorf("Readiness(%s).Verdict = %q, want %q (%+v)", dom, r.Verdict, verdict, r)
			}
		}
		r, err := st.Readiness(ctx, "example.org", time.Time{}, testNow, store.ReadinessConfig{})
		require.NoError(t, err)
		var blockers []report.ResultType
		for _, b := range r.Blockers {
			blockers = append(blockers, b.ResultType)
		}
		for _, rt := range []report.ResultType{report.ResultSTSPolicyFetchError, report.ResultSTSPolicyInvalid, report.ResultSTSWebPKIInvalid, report.ResultCertificateNotTrusted} {
			if !slices.Contains(blockers, rt) {
				t.Errorf("example.org blockers %v lack %s", blockers, rt)
			}
		}
	})

	t.Run("alerts of the last 7 days", func(t *testing.T) {
		f := store.ViewFilter{Filter: store.Filter{Since: today.AddDate(0, 0, -6), Until: today.AddDate(0, 0, 1)}}
		found, err := st.Alerts(ctx, f, store.AlertConfig{})
		require.NoError(t, err)
		type key struct {
			domain string
			code   tlsrpt.Code
		}
		got := map[key]bool{}
		for _, d := range found {
			got[key{d.Path, d.Code}] = true
		}
		for _, k := range []key{
			{"example.com", store.CodeFailureRateRise},
			{"example.com", store.CodeNewResultType},
			{"example.org", store.CodeReporterStopped},
		} {
			if !got[k] {
				t.Errorf("no %s alert for %s in %v", k.code, k.domain, found)
			}
		}
		if got[key{"example.net", store.CodeFailureRateRise}] {
			t.Errorf("example.net has a failure-rate alert: %v", found)
		}
	})

	t.Run("repairs stored", func(t *testing.T) {
		var codes []tlsrpt.Code
		reports := 0
		for row, err := range st.Rows(ctx, store.Filter{}) {
			require.NoError(t, err)
			if row.Kind != store.RowPolicy || row.PolicyIndex != 0 {
				continue
			}
			got, err := st.Get(ctx, row.Key)
			require.NoError(t, err)
			if len(got.Diagnostics) == 0 {
				continue
			}
			reports++
			for _, d := range got.Diagnostics {
				codes = append(codes, d.Code)
			}
			if !bytes.HasPrefix(got.Raw, []byte{0x1f, 0x8b}) {
				t.Errorf("report %d: raw input is not gzip", row.Key)
			}
		}
		if reports != 2 {
			t.Errorf("%d reports with diagnostics, want 2", reports)
		}
		for _, c := range []tlsrpt.Code{report.CodeDateTimeNoZone, report.CodePolicyStringJSON, report.CodeMXHostPrefix} {
			if !slices.Contains(codes, c) {
				t.Errorf("diagnostics %v lack %s", codes, c)
			}
		}
	})

	t.Run("fill again stores nothing", func(t *testing.T) {
		n, err := Fill(ctx, st, opts)
		require.NoError(t, err)
		if n != 0 {
			t.Errorf("second Fill stored %d reports, want 0", n)
		}
	})
}

func TestEntries(t *testing.T) {
	entries, err := Entries(Options{Now: testNow, Seed: 7})
	require.NoError(t, err)
	again, err := Entries(Options{Now: testNow, Seed: 7})
	require.NoError(t, err)
	if a, b := fingerprint(t, entries), fingerprint(t, again); a != b {
		t.Fatal("same options, different entries")
	}
	other, err := Entries(Options{Now: testNow, Seed: 8})
	require.NoError(t, err)
	if fingerprint(t, entries) == fingerprint(t, other) {
		t.Error("seeds 7 and 8 gave the same entries")
	}

	docRanges := []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
	}
	inDoc := func(a netip.Addr) bool {
		if !a.IsValid() {
			return true
		}
		for _, p := range docRanges {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	first := testNow.Truncate(24*time.Hour).AddDate(0, 0, -30)
	verdicts := map[store.Verdict]int{}
	var last time.Time
	for i, e := range entries {
		r := e.Report
		if err := r.Validate(); err != nil {
			t.Errorf("entry %d (%s): %v", i, r.ReportID, err)
		}
		if e.Received.After(testNow) || e.Received.Before(last) || e.Received.Before(r.DateRange.End.Add(-time.Second)) {
			t.Errorf("entry %d (%s): received %v (previous %v, range ends %v)", i, r.ReportID, e.Received, last, r.DateRange.End)
		}
		last = e.Received
		if r.DateRange.Start.Before(first) || !r.DateRange.Start.Before(testNow.Truncate(24*time.Hour)) {
			t.Errorf("entry %d (%s): starts %v, outside the 30 days before %v", i, r.ReportID, r.DateRange.Start, testNow)
		}
		if e.Source == "" {
			t.Errorf("entry %d (%s): no source", i, r.ReportID)
		}
		verdicts[e.Trust.Verdict]++
		for _, p := range r.Policies {
			for _, f := range p.FailureDetails {
				if !inDoc(f.SendingMTAIP) || !inDoc(f.ReceivingIP) {
					t.Errorf("entry %d (%s): addresses %v, %v outside the documentation ranges", i, r.ReportID, f.SendingMTAIP, f.ReceivingIP)
				}
			}
		}
		// Raw decodes to the stored report: canonically encoded, or the
		// deviating input whose repairs are the diagnostics.
		dec, warnings, err := (&report.Decoder{}).Decode(bytes.NewReader(e.Raw))
		require.NoError(t, err)
		if diff := cmp.Diff(e.Diagnostics, warnings); diff != "" {
			t.Errorf("entry %d (%s): diagnostics (-entry +decoded raw):\n%s", i, r.ReportID, diff)
		}
		want, _ := r.MarshalJSON()
		got, _ := dec.MarshalJSON()
		if !bytes.Equal(want, got) {
			t.Errorf("entry %d (%s): raw decodes to\n%s\nwant\n%s", i, r.ReportID, got, want)
		}
	}
	for _, v := range []store.Verdict{store.VerdictTrusted, store.VerdictUntrusted, store.VerdictRetry} {
		if verdicts[v] == 0 {
			t.Errorf("no entry with verdict %q (%v)", v, verdicts)
		}
	}
	t.Logf("%d entries, verdicts %v", len(entries), verdicts)
}

// fingerprint hashes everything of entries that the store keeps.
func fingerprint(t *testing.T, entries []store.Entry) [sha256.Size]byte {
	h := sha256.New()
	for _, e := range entries {
		canon, err := e.Report.MarshalJSON()
		require.NoError(t, err)
		fmt.Fprintf(h, "%s\n%x\n%v\n%+v\n%s\n%s\n", canon, e.Raw, e.Diagnostics, e.Trust, e.Source, e.Received.Format(time.RFC3339Nano))
	}
	return [sha256.Size]byte(h.Sum(nil))
}

// BenchmarkFill times generating and storing 30 days in a new SQLite
// store (the store's creation included).
func BenchmarkFill(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		st, err := store.Open(ctx, dbtest.SQLite(b, store.SQLiteDSN), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Fill(ctx, st, Options{Now: testNow, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
