package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// synthReports returns n distinct .json.gz reports of realistic shape, as
// big senders send them: one policy domain per report, one to three
// policies (sts with its policy-string and mx-host, often a tlsa policy
// for the MX, sometimes no-policy-found), and on a fifth of the policies
// one to four failure details with addresses, hostnames and reason codes.
// The output depends only on n and seed.
func synthReports(tb testing.TB, n int, seed uint64) [][]byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	orgs := []string{"Google LLC", "Microsoft Corporation", "Mail.Ru", "Yahoo Inc.", "comcast.net"}
	results := report.ResultTypes()
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([][]byte, n)
	var js bytes.Buffer
	for i := range out {
		d := fmt.Sprintf("domain%d.example", rng.IntN(500))
		org := orgs[rng.IntN(len(orgs))]
		start := day.AddDate(0, 0, i%365)
		r := report.Report{
			OrganizationName: org,
			DateRange:        report.DateRange{Start: start, End: start.Add(24*time.Hour - time.Second)},
			ContactInfo:      "smtp-tls-reporting@" + org,
			ReportID:         fmt.Sprintf("%s_%d_%s", start.Format(time.RFC3339), i, d),
		}
		mx := []string{"mx1." + d, "mx2." + d}
		r.Policies = append(r.Policies, report.PolicyResult{
			Policy: policy.Policy{Type: policy.TypeSTS, Domain: d, MXHosts: mx,
				Strings: []string{"version: STSv1", "mode: enforce", "mx: " + mx[0], "mx: " + mx[1], "max_age: 604800"}},
		})
		if rng.IntN(2) == 0 {
			r.Policies = append(r.Policies, report.PolicyResult{
				Policy: policy.Policy{Type: policy.TypeTLSA, Domain: mx[0],
					Strings: []string{"3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6"}},
			})
		}
		if rng.IntN(4) == 0 {
			r.Policies = append(r.Policies, report.PolicyResult{Policy: policy.Policy{Type: policy.TypeNoPolicyFound, Domain: d}})
		}
		for p := range r.Policies {
			pr := &r.Policies[p]
			pr.Summary.TotalSuccessfulSessionCount = int64(rng.IntN(10000))
			if rng.IntN(5) == 0 {
				for k := range 1 + rng.IntN(4) {
					f := report.FailureDetail{
						ResultType:          results[rng.IntN(len(results))],
						SendingMTAIP:        netip.AddrFrom4([4]byte{209, 85, byte(rng.IntN(256)), byte(rng.IntN(256))}),
						ReceivingMXHostname: mx[k%2],
						ReceivingIP:         netip.AddrFrom4([4]byte{192, 0, 2, byte(rng.IntN(256))}),
						FailedSessionCount:  int64(1 + rng.IntN(50)),
						FailureReasonCode:   "X509_V_ERR_CERT_HAS_EXPIRED",
					}
					pr.FailureDetails = append(pr.FailureDetails, f)
					pr.Summary.TotalFailureSessionCount += f.FailedSessionCount
				}
			}
		}
		b, err := r.MarshalJSON()
		if err != nil {
			tb.Fatal(err)
		}
		js.Reset()
		js.Write(b)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(js.Bytes())
		zw.Close()
		out[i] = gz.Bytes()
	}
	return out
}

// benchIngest decodes b.N synthetic .json.gz reports and stores them,
// batch at a time (batch 1 is one Put, and one commit, per report).
func benchIngest(b *testing.B, open func(testing.TB) *sql.DB, batch int) {
	raws := synthReports(b, b.N, 1)
	st := openStore(b, open(b), Options{})
	ctx := context.Background()
	var dec report.Decoder
	var size int64
	for _, r := range raws {
		size += int64(len(r))
	}
	b.SetBytes(size / int64(len(raws)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := processCPUTime()
	entries := make([]Entry, 0, batch)
	flush := func() {
		if len(entries) == 0 {
			return
		}
		res, err := st.PutBatch(ctx, entries)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if !r.Stored() {
				b.Fatalf("synthetic report not stored: %v", r)
			}
		}
		entries = entries[:0]
	}
	for _, raw := range raws {
		rep, warns, err := dec.Decode(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		entries = append(entries, Entry{Report: rep, Raw: raw, Diagnostics: warns, Source: "bench",
			Trust: Trust{Verdict: VerdictTrusted, By: "https"}})
		if len(entries) == batch {
			flush()
		}
	}
	flush()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
	if cpu1, ok := processCPUTime(); ok && cpuOK {
		// What the machine can do when this process has a core to itself:
		// reports per second of this process's CPU time.
		b.ReportMetric(float64(b.N)/(cpu1-cpu0).Seconds(), "reports/cpu-s")
	}
}

// BenchmarkIngestSQLite decodes and stores synthetic reports in SQLite
// (WAL, synchronous=NORMAL, as SQLiteDSN), one Put per report and in
// batches of 100. Run it at a size that means something:
//
//	go test -run '^$' -bench Ingest -benchtime 20000x ./store
func BenchmarkIngestSQLite(b *testing.B) {
	b.Run("Put", func(b *testing.B) { benchIngest(b, dialects[0].open, 1) })
	b.Run("Batch100", func(b *testing.B) { benchIngest(b, dialects[0].open, 100) })
}

// BenchmarkIngestPostgres is BenchmarkIngestSQLite on PostgreSQL (dbtest's
// server: fsync off on the throwaway cluster, so the numbers leave out
// the disk).
func BenchmarkIngestPostgres(b *testing.B) {
	b.Run("Put", func(b *testing.B) { benchIngest(b, dialects[1].open, 1) })
	b.Run("Batch100", func(b *testing.B) { benchIngest(b, dialects[1].open, 100) })
}

// BenchmarkExport exports the rows of b.N synthetic reports (stored
// before the timer starts) as CSV and as JSON Lines, in one Export call:
// ns/op is the time per report exported.
//
//	go test -run '^$' -bench Export -benchtime 20000x ./store
func BenchmarkExport(b *testing.B) {
	for _, d := range dialects {
		for _, f := range []Format{FormatCSV, FormatJSONLines} {
			b.Run(string(d.name)+"/"+string(f), func(b *testing.B) {
				st := openStore(b, d.open(b), Options{})
				ctx := context.Background()
				var entries []Entry
				put := func() {
					if _, err := st.PutBatch(ctx, entries); err != nil {
						b.Fatal(err)
					}
					entries = entries[:0]
				}
				for _, raw := range synthReports(b, b.N, 2) {
					rep, _, err := report.Parse(raw)
					if err != nil {
						b.Fatal(err)
					}
					entries = append(entries, Entry{Report: rep, Raw: raw, Source: "bench"})
					if len(entries) == 500 {
						put()
					}
				}
				put()
				b.ReportAllocs()
				b.ResetTimer()
				var n countWriter
				if err := st.Export(ctx, &n, f, Filter{}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.SetBytes(int64(n) / int64(b.N))
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
			})
		}
	}
}

// countWriter counts and discards what is written.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)
