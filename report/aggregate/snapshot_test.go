package aggregate_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/report/aggregate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleSessions covers two days, three domains, successes, non-exclusive
// failures and optional detail members.
func sampleSessions() []session {
	helo := noSTARTTLS
	helo.FailureReasonCode = "X509_V_ERR_CERT_HAS_EXPIRED"
	helo.AdditionalInformation = "https://mx2.mx.example.com/tls-help"
	ss := []session{
		{t: noon, p: stsCom, failures: []report.FailureDetail{expired, mismatch}},
		{t: noon, p: stsCom, failures: []report.FailureDetail{helo}},
		{t: lastNs, p: stsCom},
		{t: noon, p: noneOrg},
		{t: nextDay, p: tlsaMX, failures: []report.FailureDetail{{ResultType: report.ResultTLSAInvalid, ReceivingMXHostname: "mx1.example.net", ReceivingIP: expired.ReceivingIP}}},
		{t: nextDay, p: stsCom, delivery: true},
	}
	return append(ss, repeat(5, session{t: noon, p: tlsaMX})...)
}

func snapshot(t testing.TB, a *aggregate.Aggregator) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := a.WriteSnapshot(&buf); err != nil {
		t.Fatalf("WriteSnapshot: %v", err)
	}
	return buf.Bytes()
}

func merge(t testing.TB, a *aggregate.Aggregator, snap []byte) {
	t.Helper()
	if err := a.MergeSnapshot(bytes.NewReader(snap)); err != nil {
		t.Fatalf("MergeSnapshot: %v\n%s", err, snap)
	}
}

// allReports returns the reports of every day a holds.
func allReports(t testing.TB, a *aggregate.Aggregator) [][]*report.Report {
	t.Helper()
	var out [][]*report.Report
	for _, d := range a.Days() {
		rs, err := a.Reports(d)
		if err != nil {
			t.Fatalf("Reports(%v): %v", d, err)
		}
		out = append(out, rs)
	}
	return out
}

func TestSnapshotGolden(t *testing.T) {
	a := aggregate.New(testConfig)
	record(t, a, sampleSessions()...)
	got := snapshot(t, a)
	golden := filepath.Join("testdata", "snapshot.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("snapshot mismatch (-want +got):\n%s", diff)
	}
	// The golden snapshot restores to the same reports.
	b := aggregate.New(testConfig)
	merge(t, b, want)
	if diff := cmp.Diff(allReports(t, a), allReports(t, b), cmpOpts); diff != "" {
		t.Errorf("reports after restoring the golden snapshot (-want +got):\n%s", diff)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	a := aggregate.New(testConfig)
	record(t, a, sampleSessions()...)
	snap := snapshot(t, a)

	b := aggregate.New(testConfig)
	merge(t, b, snap)
	if diff := cmp.Diff(string(snap), string(snapshot(t, b))); diff != "" {
		t.Errorf("snapshot of the restored aggregator (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(allReports(t, a), allReports(t, b), cmpOpts); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}

	// Merging is adding: the same snapshot twice doubles every count.
	merge(t, b, snap)
	rs, err := b.Reports(noon)
	if err != nil {
		t.Fatal(err)
	}
	if got := rs[0].Policies[0].Summary; got != (report.Summary{TotalSuccessfulSessionCount: 2, TotalFailureSessionCount: 4}) {
		t.Errorf("summary after merging twice = %+v", got)
	}

	// An empty aggregator writes an empty, valid snapshot.
	empty := snapshot(t, aggregate.New(aggregate.Config{}))
	if want := "{\"format\":\"tlsrpt-aggregate-snapshot\",\"version\":1}\n{\"record\":\"end\",\"records\":0}\n"; string(empty) != want {
		t.Errorf("empty snapshot = %q, want %q", empty, want)
	}
	merge(t, aggregate.New(aggregate.Config{}), empty)
}

// TestRestart records, snapshots, "restarts" into a new Aggregator,
// restores, records more; the reports equal those of one Aggregator that
// saw every session.
func TestRestart(t *testing.T) {
	ss := sampleSessions()
	single := aggregate.New(testConfig)
	record(t, single, ss...)

	before := aggregate.New(testConfig)
	record(t, before, ss[:4]...)
	snap := snapshot(t, before)

	after := aggregate.New(testConfig)
	// Register a policy first so the restored ids differ from the old ones.
	if _, err := after.PolicyID(policy.Policy{Type: policy.TypeSTS, Domain: "unrelated.example"}); err != nil {
		t.Fatal(err)
	}
	merge(t, after, snap)
	record(t, after, ss[4:]...)
	if diff := cmp.Diff(allReports(t, single), allReports(t, after), cmpOpts); diff != "" {
		t.Errorf("reports after restart (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(string(snapshot(t, single)), string(snapshot(t, after))); diff != "" {
		t.Errorf("snapshot after restart (-want +got):\n%s", diff)
	}
}

const (
	hdr = `{"format":"tlsrpt-aggregate-snapshot","version":1}` + "\n"
	pol = `{"record":"policy","id":1,"policy-type":"sts","policy-string":[],"policy-domain":"example.com","mx-host":[]}` + "\n"
	sum = `{"record":"summary","day":"2026-11-24","policy":1,"successful":1,"failed":0}` + "\n"
)

func end(n int) string { return `{"record":"end","records":` + string(rune('0'+n)) + "}\n" }

func TestMergeSnapshotErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		max      int64
		want     error
		wantLine int
	}{
		{"empty", "", 0, aggregate.ErrNotSnapshot, 0},
		{"not json", "hello\n", 0, aggregate.ErrNotSnapshot, 1},
		{"other format", `{"format":"something-else","version":1}` + "\n", 0, aggregate.ErrNotSnapshot, 1},
		{"future version", `{"format":"tlsrpt-aggregate-snapshot","version":2,"new":true}` + "\n", 0, aggregate.ErrUnsupportedVersion, 1},
		{"header with unknown member", `{"format":"tlsrpt-aggregate-snapshot","version":1,"x":1}` + "\n" + end(0), 0, aggregate.ErrCorrupt, 1},
		{"truncated after header", hdr, 0, aggregate.ErrTruncated, 2},
		{"truncated mid-line", hdr + pol + sum[:20], 0, aggregate.ErrCorrupt, 3},
		{"truncated before end", hdr + pol + sum, 0, aggregate.ErrTruncated, 4},
		{"end count wrong", hdr + pol + sum + end(1), 0, aggregate.ErrCorrupt, 4},
		{"data after end", hdr + pol + sum + end(2) + sum, 0, aggregate.ErrCorrupt, 5},
		{"blank line", hdr + "\n" + end(0), 0, aggregate.ErrCorrupt, 2},
		{"unknown record", hdr + `{"record":"mystery"}` + "\n" + end(1), 0, aggregate.ErrCorrupt, 2},
		{"unknown member", hdr + `{"record":"policy","id":1,"policy-type":"sts","policy-domain":"example.com","extra":1}` + "\n" + end(1), 0, aggregate.ErrCorrupt, 2},
		{"trailing data", hdr + strings.TrimSuffix(pol, "\n") + " {}\n" + end(1), 0, aggregate.ErrCorrupt, 2},
		{"policy id 0", hdr + strings.Replace(pol, `"id":1`, `"id":0`, 1) + end(1), 0, aggregate.ErrCorrupt, 2},
		{"policy defined twice", hdr + pol + pol + end(2), 0, aggregate.ErrCorrupt, 3},
		{"invalid policy domain", hdr + strings.Replace(pol, "example.com", "exa mple.com", 1) + end(1), 0, aggregate.ErrCorrupt, 2},
		{"empty policy type", hdr + strings.Replace(pol, `"sts"`, `""`, 1) + end(1), 0, aggregate.ErrCorrupt, 2},
		{"undefined policy", hdr + sum + end(1), 0, aggregate.ErrCorrupt, 2},
		{"bad day", hdr + pol + strings.Replace(sum, "2026-11-24", "2026-11-31", 1) + end(2), 0, aggregate.ErrCorrupt, 3},
		{"negative count", hdr + pol + strings.Replace(sum, `"successful":1`, `"successful":-1`, 1) + end(2), 0, aggregate.ErrCorrupt, 3},
		{"count above 2^53-1", hdr + pol + strings.Replace(sum, `"successful":1`, `"successful":9007199254740992`, 1) + end(2), 0, aggregate.ErrCorrupt, 3},
		{"fractional count", hdr + pol + strings.Replace(sum, `"successful":1`, `"successful":1.5`, 1) + end(2), 0, aggregate.ErrCorrupt, 3},
		{"sum overflows", hdr + pol + strings.Replace(sum, `"successful":1`, `"successful":9007199254740991`, 1) + sum + end(3), 0, aggregate.ErrCorrupt, 4},
		{"bad ip", hdr + pol + `{"record":"failure","day":"2026-11-24","policy":1,"result-type":"certificate-expired","receiving-ip":"999.1.1.1","count":1}` + "\n" + end(2), 0, aggregate.ErrCorrupt, 3},
		{"empty result-type", hdr + pol + `{"record":"failure","day":"2026-11-24","policy":1,"result-type":"","count":1}` + "\n" + end(2), 0, aggregate.ErrCorrupt, 3},
		{"too large", hdr + pol + sum + end(2), int64(len(hdr) + len(pol)), aggregate.ErrTooLarge, 3},
		{"line too long", hdr + `{"record":"policy","id":1,"policy-type":"sts","policy-domain":"example.com","policy-string":["` + strings.Repeat("x", aggregate.MaxSnapshotLine) + `"]}` + "\n" + end(1), 0, aggregate.ErrTooLarge, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := aggregate.New(aggregate.Config{MaxSnapshotSize: tt.max})
			record(t, a, session{t: noon, p: noneOrg})
			before := snapshot(t, a)
			err := a.MergeSnapshot(strings.NewReader(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("MergeSnapshot = %v, want %v", err, tt.want)
			}
			var se *aggregate.SnapshotError
			if !errors.As(err, &se) {
				t.Fatalf("MergeSnapshot = %T, want *SnapshotError", err)
			}
			if se.Line != tt.wantLine {
				t.Errorf("Line = %d, want %d (%v)", se.Line, tt.wantLine, err)
			}
			if !strings.HasPrefix(err.Error(), "aggregate: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if diff := cmp.Diff(string(before), string(snapshot(t, a))); diff != "" {
				t.Errorf("a rejected snapshot changed the counts (-want +got):\n%s", diff)
			}
		})
	}
	if !errors.Is(aggregate.ErrTooLarge, report.ErrTooLarge) {
		t.Error("aggregate.ErrTooLarge does not wrap report.ErrTooLarge")
	}
}

func TestMergeSnapshotReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader(hdr+pol), iotest.ErrReader(boom))
	err := aggregate.New(aggregate.Config{}).MergeSnapshot(r)
	if !errors.Is(err, boom) {
		t.Errorf("MergeSnapshot = %v, want the reader's error", err)
	}
}

func TestMergeSnapshotTolerates(t *testing.T) {
	// Accepted: no final newline, zero counts (they add nothing), records
	// of one key split over several lines (they add up), unmapped
	// addresses and upper-case host names (normalised).
	in := hdr + pol + sum + sum +
		`{"record":"summary","day":"2026-11-25","policy":1,"successful":0,"failed":0}` + "\n" +
		`{"record":"failure","day":"2026-11-24","policy":1,"result-type":"certificate-expired","receiving-mx-hostname":"MX.Example.COM.","receiving-ip":"::ffff:192.0.2.1","count":0}` + "\n" +
		`{"record":"end","records":5}`
	a := aggregate.New(testConfig)
	if err := a.MergeSnapshot(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	want := hdr + pol + sum[:len(sum)-len(`"successful":1,"failed":0}`)-1] + `"successful":2,"failed":0}` + "\n" + end(2)
	if diff := cmp.Diff(want, string(snapshot(t, a))); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
}

type errWriter struct{ n int }

func (w *errWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteSnapshotError(t *testing.T) {
	a := aggregate.New(testConfig)
	record(t, a, sampleSessions()...)
	if err := a.WriteSnapshot(&errWriter{n: 10}); err == nil {
		t.Error("WriteSnapshot to a failing writer succeeded")
	}
}

func TestMergeSnapshotDetailExceedsTotal(t *testing.T) {
	fail := `{"record":"failure","day":"2026-11-24","policy":1,"result-type":"certificate-expired","count":2}` + "\n"
	failedOne := strings.Replace(sum, `"failed":0`, `"failed":1`, 1)
	for _, tt := range []struct {
		name string
		in   string
		line int
	}{
		{"no summary", hdr + pol + fail + end(2), 3},
		{"summary too small", hdr + pol + failedOne + fail + end(3), 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := aggregate.New(aggregate.Config{}).MergeSnapshot(strings.NewReader(tt.in))
			var se *aggregate.SnapshotError
			if !errors.As(err, &se) || !errors.Is(err, aggregate.ErrCorrupt) || se.Line != tt.line {
				t.Errorf("MergeSnapshot = %v, want ErrCorrupt at line %d", err, tt.line)
			}
		})
	}
	// Split over lines, the totals are compared, not each line.
	ok := hdr + pol + failedOne + failedOne + fail + end(4)
	if err := aggregate.New(aggregate.Config{}).MergeSnapshot(strings.NewReader(ok)); err != nil {
		t.Errorf("MergeSnapshot = %v", err)
	}
}

// TestDocSnapshotExample merges the snapshot shown in the package
// documentation, so the documented format stays true.
func TestDocSnapshotExample(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var snap strings.Builder
	for _, line := range strings.Split(string(doc), "\n") {
		if l, ok := strings.CutPrefix(line, "//\t{"); ok && strings.Contains(l, `"`) && !strings.Contains(l, "aggregate.") {
			snap.WriteString("{" + l + "\n")
		}
	}
	if !strings.HasPrefix(snap.String(), hdr) {
		t.Fatalf("no snapshot example found in doc.go:\n%s", snap.String())
	}
	a := aggregate.New(testConfig)
	if err := a.MergeSnapshot(strings.NewReader(snap.String())); err != nil {
		t.Fatalf("MergeSnapshot(documented example): %v", err)
	}
	rs, err := a.Reports(noon)
	if err != nil || len(rs) != 1 {
		t.Fatalf("Reports = %v, %v", rs, err)
	}
	checkReport(t, rs[0])
	if diff := cmp.Diff(string(snapshot(t, a)), snap.String()); diff != "" {
		t.Errorf("the documented snapshot is not canonical (-written +documented):\n%s", diff)
	}
}

// TestSnapshotOfDays hands single days over, as nodes reporting centrally
// do: merging per-day snapshots gives each day's reports exactly once.
func TestSnapshotOfDays(t *testing.T) {
	node := aggregate.New(testConfig)
	record(t, node, sampleSessions()...)
	all := allReports(t, node)

	central := aggregate.New(testConfig)
	merge(t, central, snapshotOf(t, node, day0))
	node.Forget(day0)
	merge(t, central, snapshotOf(t, node, nextDay.Add(time.Hour), day0.AddDate(0, 0, -7))) // the second day holds nothing
	node.Forget(nextDay)
	if diff := cmp.Diff(all, allReports(t, central), cmpOpts); diff != "" {
		t.Errorf("reports from per-day snapshots (-want +got):\n%s", diff)
	}
	if days := node.Days(); len(days) != 0 {
		t.Errorf("node still holds %v", days)
	}
	if got, want := string(snapshotOf(t, central, day0.AddDate(0, 0, 3))), hdr+end(0); got != want {
		t.Errorf("snapshot of an empty day = %q, want %q", got, want)
	}
}

func snapshotOf(t testing.TB, a *aggregate.Aggregator, days ...time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := a.WriteSnapshot(&buf, days...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
