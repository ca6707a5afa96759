package aggregate_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/internal/golden"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
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
	want := golden.Check(t, filepath.Join("testdata", "snapshot.golden"), string(got), *update)
	// The golden snapshot restores to the same reports.
	b := aggregate.New(testConfig)
	merge(t, b, []byte(want))
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
	if want := hdr + `{"record":"end","records":0,"crc32c":"` + fmt.Sprintf("%08x", crc(hdr)) + `"}` + "\n"; string(empty) != want {
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
	hdr  = `{"format":"tlsrpt-aggregate-snapshot","version":2}` + "\n"
	hdr1 = `{"format":"tlsrpt-aggregate-snapshot","version":1}` + "\n"
	pol  = `{"record":"policy","id":1,"policy-type":"sts","policy-string":[],"policy-domain":"example.com","mx-host":[]}` + "\n"
	sum  = `{"record":"summary","day":"2026-11-24","policy":1,"successful":1,"failed":0}` + "\n"
)

// crc is the CRC-32C of s.
func crc(s string) uint32 { return crc32.Checksum([]byte(s), crc32.MakeTable(crc32.Castagnoli)) }

// seal ends s, a header and records each ending in a newline, with the
// version 2 end record: the number of records and the CRC-32C of s.
func seal(s string) string { return s + endOf(strings.Count(s, "\n")-1, s) }

// endOf is a version 2 end record counting n records with the checksum of
// body.
func endOf(n int, body string) string {
	return fmt.Sprintf(`{"record":"end","records":%d,"crc32c":"%08x"}`+"\n", n, crc(body))
}

// end1 is a version 1 end record counting n records.
func end1(n int) string { return fmt.Sprintf(`{"record":"end","records":%d}`+"\n", n) }

// snapshotErrorTest is a snapshot MergeSnapshot rejects: with
// Config.MaxSnapshotSize max it fails with want at line wantLine.
type snapshotErrorTest struct {
	name     string
	in       string
	max      int64
	want     error
	wantLine int
}

// snapshotCodes are the codes of MergeSnapshot's errors by their Err.
var snapshotCodes = map[error]tlsrpt.Code{
	aggregate.ErrNotSnapshot:        aggregate.CodeNotSnapshot,
	aggregate.ErrUnsupportedVersion: aggregate.CodeUnsupportedVersion,
	aggregate.ErrCorrupt:            aggregate.CodeSnapshotCorrupt,
	aggregate.ErrTruncated:          aggregate.CodeSnapshotTruncated,
	aggregate.ErrTooLarge:           aggregate.CodeSnapshotTooLarge,
}

// snapshotDiagnostic checks that err, from MergeSnapshot of in, is a
// *tlsrpt.Diagnostic at line wantLine (any line when wantLine is 0) whose
// Offset is 0 or that line's start, and returns it.
func snapshotDiagnostic(t testing.TB, err error, in []byte, wantLine int) *tlsrpt.Diagnostic {
	t.Helper()
	var d *tlsrpt.Diagnostic
	if !errors.As(err, &d) {
		t.Fatalf("MergeSnapshot = %v (%T), want a *tlsrpt.Diagnostic", err, err)
	}
	var line int
	if _, err := fmt.Sscanf(d.Path, "line %d", &line); err != nil || d.Path != fmt.Sprintf("line %d", line) || line < 1 {
		t.Fatalf("Path = %q, want \"line N\" (%v)", d.Path, err)
	}
	if wantLine != 0 && line != wantLine {
		t.Errorf("Path = %q, want line %d (%v)", d.Path, wantLine, err)
	}
	if lines := bytes.Count(in, []byte("\n")); line > lines+2 {
		t.Errorf("Path = %q, beyond the %d lines of the input", d.Path, lines)
	}
	// The offset of the line's start, when it is in the input.
	start, n := 0, 1
	for ; n < line && start <= len(in); n++ {
		i := bytes.IndexByte(in[start:], '\n')
		if i < 0 {
			start = len(in) + 1
			break
		}
		start += i + 1
	}
	if d.Offset != 0 && d.Offset != start {
		t.Errorf("Offset = %d, want 0 or %d, the start of %s (%v)", d.Offset, start, d.Path, err)
	}
	if d.Severity != tlsrpt.SeverityError || d.Message == "" || d.Err == nil {
		t.Errorf("Diagnostic %+v lacks Severity error, a Message or an Err", d)
	}
	if code, ok := snapshotCodes[d.Err]; ok && d.Code != code {
		t.Errorf("Code = %q, want %q for %v", d.Code, code, d.Err)
	} else if !ok && d.Code != aggregate.CodeSnapshotRead {
		t.Errorf("Code = %q, want %q for the reader's error %v", d.Code, aggregate.CodeSnapshotRead, d.Err)
	}
	return d
}

// snapshotErrorTests is the table of TestMergeSnapshotErrors, which also
// seeds the fuzz targets.
func snapshotErrorTests() []snapshotErrorTest {
	body := hdr + pol + sum
	sealed := seal(body)
	long := `{"record":"policy","id":1,"policy-type":"sts","policy-domain":"example.com","policy-string":["` + strings.Repeat("x", 1<<20) + `"]}`
	return []snapshotErrorTest{
		{"empty", "", 0, aggregate.ErrTruncated, 1},
		{"not json", "hello\n", 0, aggregate.ErrNotSnapshot, 1},
		{"not json, no newline", "hello", 0, aggregate.ErrNotSnapshot, 1},
		{"other format", `{"format":"something-else","version":2}` + "\n", 0, aggregate.ErrNotSnapshot, 1},
		{"future version", `{"format":"tlsrpt-aggregate-snapshot","version":3,"new":true}` + "\n", 0, aggregate.ErrUnsupportedVersion, 1},
		{"version 0", `{"format":"tlsrpt-aggregate-snapshot","version":0}` + "\n", 0, aggregate.ErrUnsupportedVersion, 1},
		{"header with unknown member", seal(`{"format":"tlsrpt-aggregate-snapshot","version":2,"x":1}` + "\n"), 0, aggregate.ErrCorrupt, 1},
		{"header cut short", hdr[:20], 0, aggregate.ErrTruncated, 1},
		{"header without newline", hdr[:len(hdr)-1], 0, aggregate.ErrTruncated, 1},
		{"truncated after header", hdr, 0, aggregate.ErrTruncated, 2},
		{"truncated mid-line", hdr + pol + sum[:20], 0, aggregate.ErrTruncated, 3},
		{"truncated before end", body, 0, aggregate.ErrTruncated, 4},
		{"truncated in the end record", sealed[:len(sealed)-10], 0, aggregate.ErrTruncated, 4},
		{"no final newline", strings.TrimSuffix(sealed, "\n"), 0, aggregate.ErrTruncated, 4},
		{"end count wrong", body + endOf(1, body), 0, aggregate.ErrCorrupt, 4},
		{"checksum wrong", body + endOf(2, hdr+pol), 0, aggregate.ErrCorrupt, 4},
		{"checksum in upper case", body + fmt.Sprintf(`{"record":"end","records":2,"crc32c":"%08X"}`+"\n", crc(body)), 0, aggregate.ErrCorrupt, 4},
		{"checksum as a number", body + fmt.Sprintf(`{"record":"end","records":2,"crc32c":%d}`+"\n", crc(body)), 0, aggregate.ErrCorrupt, 4},
		{"checksum missing", body + end1(2), 0, aggregate.ErrCorrupt, 4},
		{"end record members reordered", body + fmt.Sprintf(`{"records":2,"record":"end","crc32c":"%08x"}`+"\n", crc(body)), 0, aggregate.ErrCorrupt, 4},
		{"end record with a space", body + fmt.Sprintf(`{"record":"end", "records":2,"crc32c":"%08x"}`+"\n", crc(body)), 0, aggregate.ErrCorrupt, 4},
		{"end record member in upper case", body + fmt.Sprintf(`{"record":"end","Records":2,"crc32c":"%08x"}`+"\n", crc(body)), 0, aggregate.ErrCorrupt, 4},
		{"count changed after sealing", strings.Replace(sealed, `"successful":1`, `"successful":7`, 1), 0, aggregate.ErrCorrupt, 4},
		{"member name case changed after sealing", strings.Replace(sealed, `"successful"`, `"Successful"`, 1), 0, aggregate.ErrCorrupt, 4},
		{"data after end", sealed + sum, 0, aggregate.ErrCorrupt, 5},
		{"data after end, no newline", sealed + "x", 0, aggregate.ErrCorrupt, 5},
		{"blank line", seal(hdr + "\n"), 0, aggregate.ErrCorrupt, 2},
		{"unknown record", seal(hdr + `{"record":"mystery"}` + "\n"), 0, aggregate.ErrCorrupt, 2},
		{"unknown member", seal(hdr + `{"record":"policy","id":1,"policy-type":"sts","policy-domain":"example.com","extra":1}` + "\n"), 0, aggregate.ErrCorrupt, 2},
		{"trailing data", seal(hdr + strings.TrimSuffix(pol, "\n") + " {}\n"), 0, aggregate.ErrCorrupt, 2},
		{"policy id 0", seal(hdr + strings.Replace(pol, `"id":1`, `"id":0`, 1)), 0, aggregate.ErrCorrupt, 2},
		{"policy defined twice", seal(hdr + pol + pol), 0, aggregate.ErrCorrupt, 3},
		{"invalid policy domain", seal(hdr + strings.Replace(pol, "example.com", "exa mple.com", 1)), 0, aggregate.ErrCorrupt, 2},
		{"empty policy type", seal(hdr + strings.Replace(pol, `"sts"`, `""`, 1)), 0, aggregate.ErrCorrupt, 2},
		{"undefined policy", seal(hdr + sum), 0, aggregate.ErrCorrupt, 2},
		{"bad day", seal(hdr + pol + strings.Replace(sum, "2026-11-24", "2026-11-31", 1)), 0, aggregate.ErrCorrupt, 3},
		{"negative count", seal(hdr + pol + strings.Replace(sum, `"successful":1`, `"successful":-1`, 1)), 0, aggregate.ErrCorrupt, 3},
		{"count above 2^53-1", seal(hdr + pol + strings.Replace(sum, `"successful":1`, `"successful":9007199254740992`, 1)), 0, aggregate.ErrCorrupt, 3},
		{"fractional count", seal(hdr + pol + strings.Replace(sum, `"successful":1`, `"successful":1.5`, 1)), 0, aggregate.ErrCorrupt, 3},
		{"sum overflows", seal(hdr + pol + strings.Replace(sum, `"successful":1`, `"successful":9007199254740991`, 1) + sum), 0, aggregate.ErrCorrupt, 4},
		{"bad ip", seal(hdr + pol + `{"record":"failure","day":"2026-11-24","policy":1,"result-type":"certificate-expired","receiving-ip":"999.1.1.1","count":1}` + "\n"), 0, aggregate.ErrCorrupt, 3},
		{"empty result-type", seal(hdr + pol + `{"record":"failure","day":"2026-11-24","policy":1,"result-type":"","count":1}` + "\n"), 0, aggregate.ErrCorrupt, 3},
		{"too large at a line end", sealed, int64(len(hdr) + len(pol)), aggregate.ErrTooLarge, 3},
		{"too large mid-line", sealed, int64(len(hdr) + len(pol) + 5), aggregate.ErrTooLarge, 3},
		{"too large in the end record", sealed, int64(len(sealed) - 1), aggregate.ErrTooLarge, 4},
		{"too large after the end record", sealed + sum, int64(len(sealed)), aggregate.ErrTooLarge, 5},
		{"line too long", seal(hdr + long + "\n"), 0, aggregate.ErrTooLarge, 2},
		{"line too long, cut", hdr + long, 0, aggregate.ErrTooLarge, 2},
		{"version 1 truncated mid-line", hdr1 + pol + sum[:20], 0, aggregate.ErrTruncated, 3},
		{"version 1 truncated before end", hdr1 + pol + sum, 0, aggregate.ErrTruncated, 4},
		{"version 1 no final newline", strings.TrimSuffix(hdr1+pol+sum+end1(2), "\n"), 0, aggregate.ErrTruncated, 4},
		{"version 1 end count wrong", hdr1 + pol + sum + end1(1), 0, aggregate.ErrCorrupt, 4},
		{"version 1 with a checksum", seal(hdr1 + pol + sum), 0, aggregate.ErrCorrupt, 4},
	}
}

func TestMergeSnapshotErrors(t *testing.T) {
	if c := fmt.Sprintf("%08x", crc(hdr+pol+sum)); strings.ToUpper(c) == c {
		t.Fatalf("checksum %s has no hex letter; the upper-case row tests nothing", c)
	}
	for _, tt := range snapshotErrorTests() {
		t.Run(tt.name, func(t *testing.T) {
			a := aggregate.New(aggregate.Config{MaxSnapshotSize: tt.max})
			record(t, a, session{t: noon, p: noneOrg})
			before := snapshot(t, a)
			err := a.MergeSnapshot(strings.NewReader(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("MergeSnapshot = %v, want %v", err, tt.want)
			}
			d := snapshotDiagnostic(t, err, []byte(tt.in), tt.wantLine)
			if d.Err != tt.want {
				t.Errorf("Err = %v, want %v", d.Err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "tlsrpt: error line ") {
				t.Errorf("error %q lacks the prefix", err)
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
	if d := snapshotDiagnostic(t, err, []byte(hdr+pol), 3); d.Code != aggregate.CodeSnapshotRead {
		t.Errorf("Code = %q, want %q", d.Code, aggregate.CodeSnapshotRead)
	}
}

// tolerated is the body of a snapshot WriteSnapshot would not write but
// MergeSnapshot accepts.
const tolerated = hdr + pol + sum + sum +
	`{"record":"summary","day":"2026-11-25","policy":1,"successful":0,"failed":0}` + "\n" +
	`{"record":"failure","day":"2026-11-24","policy":1,"result-type":"certificate-expired","receiving-mx-hostname":"MX.Example.COM.","receiving-ip":"::ffff:192.0.2.1","count":0}` + "\n"

func TestMergeSnapshotTolerates(t *testing.T) {
	// Accepted: zero counts (they add nothing), records of one key split
	// over several lines (they add up), unmapped addresses and upper-case
	// host names (normalised).
	a := aggregate.New(testConfig)
	if err := a.MergeSnapshot(strings.NewReader(seal(tolerated))); err != nil {
		t.Fatal(err)
	}
	want := seal(hdr + pol + strings.Replace(sum, `"successful":1`, `"successful":2`, 1))
	if diff := cmp.Diff(want, string(snapshot(t, a))); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
}

// TestMergeSnapshotVersion1 reads a snapshot of the first format version,
// without checksum, as the previous release wrote it (a frozen file, not
// regenerated): it restores the same counts, written back as version 2.
func TestMergeSnapshotVersion1(t *testing.T) {
	v1, err := os.ReadFile(filepath.Join("testdata", "snapshot-v1.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	a := aggregate.New(testConfig)
	merge(t, a, v1)
	if diff := cmp.Diff(string(realisticSnapshot(t)), string(snapshot(t, a))); diff != "" {
		t.Errorf("version 1 snapshot restored (-want +got):\n%s", diff)
	}
	// Still accepted as version 1 wrote it: members in any order, spaces.
	b := aggregate.New(testConfig)
	if err := b.MergeSnapshot(strings.NewReader(hdr1 + pol + sum + `{ "records": 2, "record": "end" }` + "\n")); err != nil {
		t.Errorf("MergeSnapshot(version 1, spaced end record) = %v", err)
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
		{"no summary", seal(hdr + pol + fail), 3},
		{"summary too small", seal(hdr + pol + failedOne + fail), 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := aggregate.New(aggregate.Config{}).MergeSnapshot(strings.NewReader(tt.in))
			if !errors.Is(err, aggregate.ErrCorrupt) {
				t.Fatalf("MergeSnapshot = %v, want ErrCorrupt at line %d", err, tt.line)
			}
			snapshotDiagnostic(t, err, []byte(tt.in), tt.line)
		})
	}
	// Split over lines, the totals are compared, not each line.
	ok := seal(hdr + pol + failedOne + failedOne + fail)
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
	if got, want := string(snapshotOf(t, central, day0.AddDate(0, 0, 3))), seal(hdr); got != want {
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

// damageTarget returns an Aggregator holding counts of its own, so that a
// merge of anything shows in its snapshot, and that snapshot.
func damageTarget(t testing.TB, max int64) (*aggregate.Aggregator, []byte) {
	t.Helper()
	a := aggregate.New(aggregate.Config{MaxSnapshotSize: max})
	record(t, a, session{t: noon, p: noneOrg}, session{t: noon, p: stsCom, failures: []report.FailureDetail{expired}})
	return a, snapshot(t, a)
}

// realisticSnapshot is the snapshot of sampleSessions: three policies, two
// days, summaries and failure details with every optional member.
func realisticSnapshot(t testing.TB) []byte {
	t.Helper()
	a := aggregate.New(testConfig)
	record(t, a, sampleSessions()...)
	return snapshot(t, a)
}

// TestSnapshotCutEverywhere cuts a snapshot at every byte offset, as a
// crash while writing or copying it would: every proper prefix, the empty
// one included, is ErrTruncated, and nothing of it is merged.
func TestSnapshotCutEverywhere(t *testing.T) {
	snap := realisticSnapshot(t)
	a, before := damageTarget(t, 0)
	for n := range len(snap) {
		err := a.MergeSnapshot(bytes.NewReader(snap[:n]))
		if !errors.Is(err, aggregate.ErrTruncated) {
			t.Errorf("cut at %d of %d (%q): MergeSnapshot = %v, want ErrTruncated", n, len(snap), tail(snap[:n]), err)
		}
		if after := snapshot(t, a); !bytes.Equal(before, after) {
			t.Fatalf("cut at %d merged something (-want +got):\n%s", n, cmp.Diff(string(before), string(after)))
		}
	}
}

// TestSnapshotOverSizeCap reads a snapshot under every size cap below its
// length: each is ErrTooLarge, wherever the cap falls, and merges
// nothing; a cap of exactly its length reads it.
func TestSnapshotOverSizeCap(t *testing.T) {
	snap := realisticSnapshot(t)
	for max := int64(1); max < int64(len(snap)); max++ {
		a, before := damageTarget(t, max)
		err := a.MergeSnapshot(bytes.NewReader(snap))
		if !errors.Is(err, aggregate.ErrTooLarge) {
			t.Errorf("MaxSnapshotSize %d, snapshot of %d bytes: MergeSnapshot = %v, want ErrTooLarge", max, len(snap), err)
		}
		if after := snapshot(t, a); !bytes.Equal(before, after) {
			t.Fatalf("MaxSnapshotSize %d merged something (-want +got):\n%s", max, cmp.Diff(string(before), string(after)))
		}
	}
	a, _ := damageTarget(t, int64(len(snap)))
	if err := a.MergeSnapshot(bytes.NewReader(snap)); err != nil {
		t.Errorf("MaxSnapshotSize %d, snapshot of %d bytes: MergeSnapshot = %v", len(snap), len(snap), err)
	}
}

// TestSnapshotBitFlips flips every bit of a snapshot in turn. No damaged
// snapshot may merge counts other than the original's. A flip in the
// header may make it another format or version (ErrNotSnapshot,
// ErrUnsupportedVersion: the header says which checksum applies, so
// nothing vouches for it); a flip of the final newline makes the snapshot
// look cut (ErrTruncated); every other flip is ErrCorrupt.
func TestSnapshotBitFlips(t *testing.T) {
	snap := realisticSnapshot(t)
	headerEnd := bytes.IndexByte(snap, '\n')
	want, _ := damageTarget(t, 0)
	merge(t, want, snap)
	wantAfter := snapshot(t, want)

	a, before := damageTarget(t, 0)
	damaged := bytes.Clone(snap)
	accepted := 0
	for bit := range 8 * len(snap) {
		i, mask := bit/8, byte(1)<<(bit%8)
		damaged[i] ^= mask
		err := a.MergeSnapshot(bytes.NewReader(damaged))
		damaged[i] ^= mask
		where := fmt.Sprintf("bit %d of byte %d (%q in line %d)", bit%8, i, snap[i], bytes.Count(snap[:i], []byte("\n"))+1)
		if err == nil {
			// Only a flip that changes nothing the reader uses may be
			// accepted, and it merges the original counts.
			accepted++
			if after := snapshot(t, a); !bytes.Equal(wantAfter, after) {
				t.Errorf("%s: merged wrong counts (-want +got):\n%s", where, cmp.Diff(string(wantAfter), string(after)))
			}
			a, before = damageTarget(t, 0)
			continue
		}
		switch {
		case i == len(snap)-1:
			if !errors.Is(err, aggregate.ErrTruncated) {
				t.Errorf("%s: MergeSnapshot = %v, want ErrTruncated", where, err)
			}
		case i <= headerEnd:
			if !errors.Is(err, aggregate.ErrCorrupt) && !errors.Is(err, aggregate.ErrNotSnapshot) && !errors.Is(err, aggregate.ErrUnsupportedVersion) {
				t.Errorf("%s: MergeSnapshot = %v, want ErrCorrupt, ErrNotSnapshot or ErrUnsupportedVersion", where, err)
			}
		default:
			if !errors.Is(err, aggregate.ErrCorrupt) {
				t.Errorf("%s: MergeSnapshot = %v, want ErrCorrupt", where, err)
			}
		}
		if after := snapshot(t, a); !bytes.Equal(before, after) {
			t.Fatalf("%s: a rejected snapshot merged something (-want +got):\n%s", where, cmp.Diff(string(before), string(after)))
		}
	}
	t.Logf("%d of %d single-bit flips accepted, with the original counts", accepted, 8*len(snap))
}

// tail returns the end of b, for messages.
func tail(b []byte) []byte {
	if len(b) > 40 {
		return b[len(b)-40:]
	}
	return b
}
