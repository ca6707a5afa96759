package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// cmpOpts compares addresses by value.
var cmpOpts = cmp.Options{cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}

// fixture is a report file of testdata or the corpus, decoded.
type fixture struct {
	name  string
	raw   []byte
	rep   *report.Report
	warns []report.Warning
}

func loadFixture(tb testing.TB, path string) fixture {
	tb.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(tb, err)
	rep, warns, err := report.Parse(raw)
	require.NoError(tb, err, path)
	return fixture{name: filepath.Base(path), raw: raw, rep: rep, warns: warns}
}

// testdataFixtures are the package's own reports, in a fixed order.
var testdataFixtures = []string{"sts-enforce.json", "tlsa-sts-testing.json", "lenient.json"}

func loadTestdata(tb testing.TB) []fixture {
	var out []fixture
	for _, name := range testdataFixtures {
		out = append(out, loadFixture(tb, filepath.Join("testdata", name)))
	}
	return out
}

// received is the fixed arrival time of the test entries.
var received = time.Date(2026, 11, 30, 6, 0, 0, 123456000, time.UTC)

func entryOf(f fixture, source string) Entry {
	return Entry{
		Report:      f.rep,
		Raw:         f.raw,
		Diagnostics: f.warns,
		Trust:       Trust{Verdict: VerdictTrusted, By: "dkim:" + source, Reason: "valid signature"},
		Source:      source,
		Received:    received,
	}
}

// TestPutGet stores the package's fixtures and every report of the shared
// corpus, and reads each back: the report, raw bytes, diagnostics, trust,
// source and arrival time come back as put. Corpus files holding the same
// report twice (the .json and .json.gz of one report) are duplicates by
// content.
func TestPutGet(t *testing.T) {
	fixtures := loadTestdata(t)
	t.Run("corpus", func(t *testing.T) {
		dir := corpus.Dir(t, "reports")
		paths, err := filepath.Glob(filepath.Join(dir, "*.json*"))
		require.NoError(t, err)
		sort.Strings(paths)
		var cf []fixture
		for _, p := range paths {
			cf = append(cf, loadFixture(t, p))
		}
		testPutGet(t, cf)
	})
	t.Run("testdata", func(t *testing.T) { testPutGet(t, fixtures) })
}

func testPutGet(t *testing.T, fixtures []fixture) {
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		byHash := map[[32]byte]int64{}
		byID := map[[2]string]int64{}
		for i, f := range fixtures {
			e := entryOf(f, "file:"+f.name)
			if i%2 == 1 {
				e.Trust = Trust{Verdict: VerdictRetry, By: "dkim", Reason: "DNS timeout"}
			}
			res, err := st.Put(ctx, e)
			require.NoError(t, err, f.name)
			h, err := ContentHash(f.rep)
			require.NoError(t, err)
			id := [2]string{f.rep.OrganizationName, f.rep.ReportID}
			switch {
			case byHash[h] != 0:
				if res != (PutResult{Key: byHash[h], Duplicate: DuplicateContent}) {
					t.Errorf("%s: Put = %v, want duplicate of %d by content", f.name, res, byHash[h])
				}
				continue
			case f.rep.ReportID != "" && byID[id] != 0:
				if res != (PutResult{Key: byID[id], Duplicate: DuplicateReportID}) {
					t.Errorf("%s: Put = %v, want duplicate of %d by report-id", f.name, res, byID[id])
				}
				continue
			case !res.Stored():
				t.Errorf("%s: Put = %v, want stored", f.name, res)
				continue
			}
			byHash[h] = res.Key
			if f.rep.ReportID != "" {
				byID[id] = res.Key
			}
			got, err := st.Get(ctx, res.Key)
			require.NoError(t, err, f.name)
			want := &StoredReport{
				Key: res.Key, Report: f.rep, Raw: f.raw, Diagnostics: f.warns,
				Trust: e.Trust, Source: e.Source, Received: received.Truncate(time.Microsecond), ContentHash: h,
			}
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				t.Errorf("%s: Get mismatch (-want +got):\n%s", f.name, diff)
			}
		}
		if len(byHash) == 0 {
			t.Fatal("nothing stored")
		}
		_, err := st.Get(ctx, 1<<40)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
		}
	})
}

// reencode returns raw with the same report written differently: members
// sorted by name, indented, gzip-compressed.
func reencode(tb testing.TB, raw []byte) []byte {
	tb.Helper()
	var v any
	require.NoError(tb, json.Unmarshal(raw, &v))
	b, err := json.MarshalIndent(v, "", "\t") // maps marshal with sorted keys
	require.NoError(tb, err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestDedupe(t *testing.T) {
	fx := loadTestdata(t)
	sts := fx[0]
	// The same report written differently decodes to the same canonical
	// JSON: a duplicate by content.
	again := loadFixtureBytes(t, reencode(t, sts.raw))
	if bytes.Equal(again.raw, sts.raw) {
		t.Fatal("re-encoding left the bytes unchanged")
	}
	// Same reporter and report-id, other counts: a duplicate by report-id.
	changed := loadFixtureBytes(t, bytes.Replace(sts.raw, []byte("5326"), []byte("5327"), 1))
	// Another reporter with the same report-id: not a duplicate.
	otherOrg := loadFixtureBytes(t, bytes.Replace(sts.raw, []byte("Example Mail Inc."), []byte("Example Mail GmbH"), 1))
	// Reports without report-id are compared by content only.
	noID := fx[2]
	noIDChanged := loadFixtureBytes(t, bytes.Replace(noID.raw, []byte(`"7"`), []byte(`"8"`), 1))

	// Two new reports with one report-id in a batch: the first is kept,
	// whatever the order of their hashes.
	newA := loadFixtureBytes(t, bytes.Replace(fx[1].raw, []byte("other-1234"), []byte("new-1"), 1))
	newB := loadFixtureBytes(t, bytes.Replace(newA.raw, []byte(":40,"), []byte(":39,"), 1))
	hA, _ := ContentHash(newA.rep)
	hB, _ := ContentHash(newB.rep)
	if bytes.Compare(hA[:], hB[:]) < 0 {
		newA, newB = newB, newA // the first in the batch has the larger hash
	}

	tests := []struct {
		name   string
		put    []fixture // one batch
		source string
		want   []PutResult
	}{
		{name: "first", put: []fixture{sts}, want: []PutResult{{Key: 1}}},
		{name: "same bytes", put: []fixture{sts}, want: []PutResult{{Key: 1, Duplicate: DuplicateContent}}},
		{name: "re-encoded by https", put: []fixture{again}, source: "https", want: []PutResult{{Key: 1, Duplicate: DuplicateContent}}},
		{name: "same report-id, other content", put: []fixture{changed}, want: []PutResult{{Key: 1, Duplicate: DuplicateReportID}}},
		{name: "other reporter", put: []fixture{otherOrg}, want: []PutResult{{Key: 2}}},
		{name: "no report-id", put: []fixture{noID}, want: []PutResult{{Key: 3}}},
		{name: "no report-id, other content", put: []fixture{noIDChanged}, want: []PutResult{{Key: 4}}},
		{
			name: "batch with duplicates inside and outside",
			put:  []fixture{fx[1], again, fx[1], noIDChanged, changed},
			want: []PutResult{
				{Key: 5}, {Key: 1, Duplicate: DuplicateContent}, {Key: 5, Duplicate: DuplicateContent},
				{Key: 4, Duplicate: DuplicateContent}, {Key: 1, Duplicate: DuplicateReportID},
			},
		},
		{
			name: "one report-id twice in a batch",
			put:  []fixture{newA, newB},
			want: []PutResult{{Key: 6}, {Key: 6, Duplicate: DuplicateReportID}},
		},
		{
			name: "the same, other order",
			put:  []fixture{newB, newA, newB},
			want: []PutResult{{Key: 6, Duplicate: DuplicateReportID}, {Key: 6, Duplicate: DuplicateContent}, {Key: 6, Duplicate: DuplicateReportID}},
		},
	}
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		// Keys increase but may have gaps (PostgreSQL spends an identity
		// value on each conflicting insert): the Keys of tests are the
		// order in which reports were stored, mapped to the real keys here.
		keys := map[int64]int64{}
		for _, tt := range tests {
			var entries []Entry
			for _, f := range tt.put {
				entries = append(entries, entryOf(f, "maildir:"+tt.name))
			}
			got, err := st.PutBatch(ctx, entries)
			require.NoError(t, err, tt.name)
			want := slices.Clone(tt.want)
			for i := range want {
				if _, ok := keys[want[i].Key]; !ok && i < len(got) {
					keys[want[i].Key] = got[i].Key
				}
				want[i].Key = keys[want[i].Key]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: PutBatch mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
		// The first copy stays, with its source.
		got, err := st.Get(ctx, 1)
		require.NoError(t, err)
		if got.Source != "maildir:first" || !bytes.Equal(got.Raw, sts.raw) {
			t.Errorf("Get(1) = source %q, raw %d bytes; want the first copy", got.Source, len(got.Raw))
		}
	})
}

func loadFixtureBytes(tb testing.TB, raw []byte) fixture {
	tb.Helper()
	rep, warns, err := report.Parse(raw)
	require.NoError(tb, err)
	return fixture{name: "bytes", raw: raw, rep: rep, warns: warns}
}

// TestRows checks that the rows add up to the reports' counts, one policy
// row per policy and one failure row per failure detail, and that the
// filters select what they say.
func TestRows(t *testing.T) {
	fx := loadTestdata(t)
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		for i, f := range fx {
			e := entryOf(f, "test")
			if i == 1 {
				e.Trust = Trust{Verdict: VerdictUntrusted}
			}
			_, err := st.Put(ctx, e)
			require.NoError(t, err)
		}
		type sums struct{ policies, details, ok, failed, detailFailed int64 }
		rowSums := func(f Filter) (map[int64]sums, []Row) {
			got := map[int64]sums{}
			var rows []Row
			for r, err := range st.Rows(ctx, f) {
				require.NoError(t, err)
				s := got[r.Key]
				switch r.Kind {
				case RowPolicy:
					s.policies++
					s.ok += r.Summary.TotalSuccessfulSessionCount
					s.failed += r.Summary.TotalFailureSessionCount
				case RowFailure:
					s.details++
					s.detailFailed += r.Failure.FailedSessionCount
				default:
					t.Errorf("row kind %q", r.Kind)
				}
				got[r.Key] = s
				rows = append(rows, r)
			}
			return got, rows
		}
		got, rows := rowSums(Filter{})
		want := map[int64]sums{}
		for i, f := range fx {
			var s sums
			for _, p := range f.rep.Policies {
				s.policies++
				s.ok += p.Summary.TotalSuccessfulSessionCount
				s.failed += p.Summary.TotalFailureSessionCount
				for _, d := range p.FailureDetails {
					s.details++
					s.detailFailed += d.FailedSessionCount
				}
			}
			want[int64(i+1)] = s
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(sums{})); diff != "" {
			t.Errorf("row sums per report (-want +got):\n%s", diff)
		}
		// Order: begin date (lenient.json is the earliest day), then
		// policy by policy, each policy row before its failure rows.
		var order []string
		for _, r := range rows {
			order = append(order, r.ReportID+"/"+string(r.Kind)+"/"+r.Policy.Domain+"/"+r.Mode+"/"+string(r.Failure.ResultType))
		}
		wantOrder := []string{
			"/policy/example.net/none/",
			"/failure/example.net/none/validation-failure",
			"2026-11-28T00:00:00Z_example.com/policy/example.com/enforce/",
			"2026-11-28T00:00:00Z_example.com/failure/example.com/enforce/certificate-expired",
			"2026-11-28T00:00:00Z_example.com/failure/example.com/enforce/starttls-not-supported",
			"2026-11-28T00:00:00Z_example.com/policy/example.com//",
			"other-1234/policy/mx.example.org//",
			"other-1234/failure/mx.example.org//tlsa-invalid",
			"other-1234/policy/example.org/testing/",
		}
		if diff := cmp.Diff(wantOrder, order); diff != "" {
			t.Errorf("row order (-want +got):\n%s", diff)
		}
		// A failure row carries its detail and its policy.
		if r := rows[3]; r.Failure.SendingMTAIP.String() != "2001:db8::25" || r.Failure.ReceivingIP.String() != "192.0.2.10" ||
			r.Failure.ReceivingMXHostname != "mx1.example.com" || r.Failure.FailedSessionCount != 300 ||
			len(r.Policy.MXHosts) != 2 || r.DateRange.Start != time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC) {
			t.Errorf("failure row = %+v", r)
		}

		day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
		filters := []struct {
			name string
			f    Filter
			want []int64 // report keys with rows
		}{
			{name: "zero", f: Filter{}, want: []int64{1, 2, 3}},
			{name: "since", f: Filter{Since: day}, want: []int64{1, 2}},
			{name: "until", f: Filter{Until: day.AddDate(0, 0, 1)}, want: []int64{1, 3}},
			{name: "one day", f: Filter{Since: day, Until: day.AddDate(0, 0, 1)}, want: []int64{1}},
			{name: "domain", f: Filter{Domain: "EXAMPLE.org."}, want: []int64{2}},
			{name: "tlsa domain", f: Filter{Domain: "mx.example.org"}, want: []int64{2}},
			{name: "reporter", f: Filter{Reporter: "Draft Era Sender"}, want: []int64{3}},
			{name: "trust", f: Filter{Trust: VerdictUntrusted}, want: []int64{2}},
			{name: "nothing", f: Filter{Reporter: "nobody"}, want: nil},
		}
		for _, tt := range filters {
			got, _ := rowSums(tt.f)
			var keys []int64
			for k := range got {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
			if diff := cmp.Diff(tt.want, keys); diff != "" {
				t.Errorf("%s: reports (-want +got):\n%s", tt.name, diff)
			}
		}
		// Breaking out of the loop is fine, and the store stays usable.
		for range st.Rows(ctx, Filter{}) {
			break
		}
		if _, err := st.Put(ctx, entryOf(fx[0], "again")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestExportGolden(t *testing.T) {
	fx := loadTestdata(t)
	for _, format := range []Format{FormatCSV, FormatJSONLines} {
		golden := filepath.Join("testdata", "export."+string(format)+".golden")
		var mu sync.Mutex
		var outputs []string
		t.Run(string(format), func(t *testing.T) {
			forEachDialect(t, func(t *testing.T, st *Store) {
				ctx := context.Background()
				for i, f := range fx {
					e := entryOf(f, "maildir:/var/mail/tlsrpt/new/"+f.name)
					e.Received = received.Add(time.Duration(i) * time.Hour)
					if i == 2 {
						e.Trust = Trust{Verdict: VerdictUntrusted, By: "dkim", Reason: "no signature"}
					}
					_, err := st.Put(ctx, e)
					require.NoError(t, err)
				}
				var buf bytes.Buffer
				require.NoError(t, st.Export(ctx, &buf, format, Filter{}))
				mu.Lock()
				outputs = append(outputs, buf.String())
				mu.Unlock()
				if *update && st.Dialect() == DialectSQLite {
					require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
					return
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err)
				if diff := cmp.Diff(string(want), buf.String()); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
				}
			})
		})
		if len(outputs) == 2 && outputs[0] != outputs[1] {
			t.Errorf("%s: the dialects export different bytes", format)
		}
	}
	t.Run("jsonl is JSON", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join("testdata", "export.jsonl.golden"))
		require.NoError(t, err)
		for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Errorf("line %d: %v", i+1, err)
			}
			if len(m) != len(columns) {
				t.Errorf("line %d: %d members, want %d", i+1, len(m), len(columns))
			}
		}
	})
	forEachDialect(t, func(t *testing.T, st *Store) {
		if err := st.Export(context.Background(), &bytes.Buffer{}, "xml", Filter{}); err == nil {
			t.Error("Export(xml) succeeded")
		}
	})
}

// TestConcurrentPut puts the same report from several goroutines at once:
// one stores it, the others get its key back as a duplicate. Batches
// overlapping in reverse order do not deadlock.
func TestConcurrentPut(t *testing.T) {
	fx := loadTestdata(t)
	const workers = 8
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		results := make([]PutResult, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range workers {
			wg.Go(func() {
				<-start
				e := entryOf(fx[0], "worker")
				if w%2 == 1 {
					e.Raw = reencode(t, fx[0].raw) // same report, other bytes
				}
				results[w], errs[w] = st.Put(ctx, e)
			})
		}
		close(start)
		wg.Wait()
		stored := 0
		for w := range workers {
			require.NoError(t, errs[w])
			if results[w].Stored() {
				stored++
			}
			if results[w].Key != results[0].Key {
				t.Errorf("worker %d: key %d, worker 0: %d", w, results[w].Key, results[0].Key)
			}
		}
		if stored != 1 {
			t.Errorf("%d workers stored the report, want 1: %v", stored, results)
		}

		// Batches of the same reports in opposite orders.
		var batches [workers][]Entry
		for w := range workers {
			for i := range fx {
				if w%2 == 1 {
					i = len(fx) - 1 - i
				}
				batches[w] = append(batches[w], entryOf(fx[i], "batch"))
			}
		}
		keys := make([][]int64, workers)
		for w := range workers {
			wg.Go(func() {
				res, err := st.PutBatch(ctx, batches[w])
				errs[w] = err
				for _, r := range res {
					keys[w] = append(keys[w], r.Key)
				}
			})
		}
		wg.Wait()
		for w := range workers {
			require.NoError(t, errs[w])
		}
		var n int
		require.NoError(t, st.db.QueryRow("SELECT count(*) FROM tlsrpt_reports").Scan(&n))
		if n != len(fx) {
			t.Errorf("%d reports stored, want %d", n, len(fx))
		}
		require.NoError(t, st.db.QueryRow("SELECT count(*) FROM tlsrpt_policies").Scan(&n))
		if n != 5 {
			t.Errorf("%d policy rows stored, want 5", n)
		}
	})
}

func TestSetTrust(t *testing.T) {
	fx := loadTestdata(t)
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		e := entryOf(fx[0], "imap://mail.example.net/INBOX")
		e.Trust = Trust{Verdict: VerdictRetry, By: "dkim:example.com", Reason: "key lookup timed out"}
		res, err := st.Put(ctx, e)
		require.NoError(t, err)
		want := Trust{Verdict: VerdictTrusted, By: "dkim:example.com", Reason: "valid signature"}
		require.NoError(t, st.SetTrust(ctx, res.Key, want))
		got, err := st.Get(ctx, res.Key)
		require.NoError(t, err)
		if got.Trust != want {
			t.Errorf("Trust = %+v, want %+v", got.Trust, want)
		}
		if err := st.SetTrust(ctx, 999, want); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetTrust(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestPutErrors(t *testing.T) {
	fx := loadTestdata(t)
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		bad := *fx[0].rep
		bad.OrganizationName = "\xff"
		_, err := st.PutBatch(ctx, []Entry{entryOf(fx[1], "x"), {Report: &bad}})
		if err == nil {
			t.Fatal("PutBatch with an unencodable report succeeded")
		}
		if _, err := st.Put(ctx, Entry{}); err == nil {
			t.Fatal("Put without report succeeded")
		}
		// Nothing of the failed batch was stored.
		res, err := st.Put(ctx, entryOf(fx[1], "x"))
		require.NoError(t, err)
		if !res.Stored() {
			t.Errorf("Put after failed batch = %v, want stored", res)
		}
		if got, err := st.PutBatch(ctx, nil); err != nil || got != nil {
			t.Errorf("PutBatch(nil) = %v, %v", got, err)
		}
	})
}

// TestRawStorage checks that raw bytes come back exactly in each storage
// form: gzip input kept as is, other input compressed, incompressible
// input kept, none.
func TestRawStorage(t *testing.T) {
	fx := loadTestdata(t)
	gz := reencode(t, fx[0].raw)
	tests := []struct {
		name     string
		raw      []byte
		encoding string
	}{
		{name: "gzip kept", raw: gz, encoding: rawIdentity},
		{name: "json compressed", raw: fx[0].raw, encoding: rawGzip},
		{name: "tiny kept", raw: []byte("{}"), encoding: rawIdentity},
		{name: "none", raw: nil, encoding: rawIdentity},
	}
	forEachDialect(t, func(t *testing.T, st *Store) {
		ctx := context.Background()
		for i, tt := range tests {
			e := entryOf(fx[0], tt.name)
			e.Raw = tt.raw
			e.Report = &report.Report{OrganizationName: "raw", ReportID: tt.name,
				DateRange: report.DateRange{Start: received.Add(time.Duration(i)), End: received.Add(time.Duration(i))}}
			res, err := st.Put(ctx, e)
			require.NoError(t, err)
			got, err := st.Get(ctx, res.Key)
			require.NoError(t, err)
			if !bytes.Equal(got.Raw, tt.raw) || (tt.raw == nil) != (got.Raw == nil) {
				t.Errorf("%s: Raw = %q, want %q", tt.name, got.Raw, tt.raw)
			}
			var enc string
			require.NoError(t, st.db.QueryRow(rebind(st.dialect, "SELECT raw_encoding FROM tlsrpt_report_data WHERE report_key = ?"), res.Key).Scan(&enc))
			if enc != tt.encoding {
				t.Errorf("%s: raw_encoding = %q, want %q", tt.name, enc, tt.encoding)
			}
		}
	})
}

func TestOpen(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			t.Parallel()
			db := d.open(t)
			ctx := context.Background()
			if _, err := Open(ctx, db, Options{Dialect: "mysql"}); !errors.Is(err, ErrUnknownDialect) {
				t.Errorf("Open(mysql) = %v, want ErrUnknownDialect", err)
			}
			if _, err := Open(ctx, nil, Options{}); err == nil {
				t.Error("Open(nil) succeeded")
			}
			// Several processes opening an empty database at once migrate it once.
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() { _, errs[i] = Open(ctx, db, Options{Dialect: d.name}) })
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			v, err := schemaVersion(ctx, db)
			require.NoError(t, err)
			if v != len(migrations) {
				t.Errorf("version %d, want %d", v, len(migrations))
			}
			// A clock in Options stamps entries without Received.
			clock := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
			st := openStore(t, db, Options{Now: func() time.Time { return clock }})
			e := entryOf(loadTestdata(t)[0], "clock")
			e.Received = time.Time{}
			res, err := st.Put(ctx, e)
			require.NoError(t, err)
			got, err := st.Get(ctx, res.Key)
			require.NoError(t, err)
			if !got.Received.Equal(clock) {
				t.Errorf("Received = %v, want %v", got.Received, clock)
			}
		})
	}
}

func TestSQLiteDSN(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?#%")
	require.NoError(t, os.Mkdir(dir, 0o755))
	db := dialects[0].open(t) // opened with SQLiteDSN in a temporary directory
	ctx := context.Background()
	checks := map[string]string{"journal_mode": "wal", "synchronous": "1", "busy_timeout": "10000", "foreign_keys": "1"}
	for pragma, want := range checks {
		var got string
		require.NoError(t, db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got))
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	if !strings.HasPrefix(SQLiteDSN(filepath.Join(dir, "x.db")), "file:") {
		t.Error("SQLiteDSN is not a file: URI")
	}
}

// TestConstantTypes asserts that every exported constant of the wire and
// storage vocabularies has its named type.
func TestConstantTypes(t *testing.T) {
	var (
		_ Dialect   = DialectSQLite
		_ Dialect   = DialectPostgres
		_ Verdict   = VerdictTrusted
		_ Verdict   = VerdictUntrusted
		_ Verdict   = VerdictRetry
		_ Duplicate = DuplicateContent
		_ Duplicate = DuplicateReportID
		_ RowKind   = RowPolicy
		_ RowKind   = RowFailure
		_ Format    = FormatCSV
		_ Format    = FormatJSONLines
	)
	for _, c := range []any{DialectSQLite, DialectPostgres, VerdictTrusted, VerdictUntrusted, VerdictRetry,
		DuplicateContent, DuplicateReportID, RowPolicy, RowFailure, FormatCSV, FormatJSONLines} {
		if _, ok := c.(string); ok {
			t.Errorf("%v is an untyped string constant", c)
		}
	}
}

// TestPutBoundedPool stores reports from more goroutines than the pool
// has connections (sql.DB.SetMaxOpenConns): no Put may wait for a second
// connection while its transaction holds one, which deadlocked every Put
// once each of the two connections was held by a transaction preparing a
// statement.
func TestPutBoundedPool(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			t.Parallel()
			db := d.open(t)
			db.SetMaxOpenConns(2)
			st := openStore(t, db, Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			const workers, each = 8, 5
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						r := stsReport(fmt.Sprintf("org%d.example", w), i, fmt.Sprintf("d%d.example", w), "testing", 10,
							failure(report.ResultCertificateExpired, "mx1.example", int64(i+1)))
						_, err := st.Put(ctx, Entry{Report: r, Raw: []byte("{}"), Source: "test", Received: received})
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("Put with a pool of 2 connections and %d writers: %v", workers, err)
				}
			}
			n, err := st.ListReports(ctx, ViewFilter{}, Page{Limit: -1})
			require.NoError(t, err)
			require.Equal(t, int64(workers*each), n.Total)
		})
	}
}
