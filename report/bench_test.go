package report

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
)

// benchTypical is a typical report: an enforced MTA-STS policy with a few
// failure details, as Google and Microsoft send them.
const benchTypical = `{"organization-name":"Google Inc.","date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"smtp-tls-reporting@google.com","report-id":"2024-05-01T00:00:00Z_example.com","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx1.example.com","mx: mx2.example.com","max_age: 604800"],"policy-domain":"example.com","mx-host":["mx1.example.com","mx2.example.com"]},"summary":{"total-successful-session-count":5326,"total-failure-session-count":303},"failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"209.85.220.41","receiving-mx-hostname":"mx1.example.com","receiving-ip":"203.0.113.56","failed-session-count":100},{"result-type":"starttls-not-supported","sending-mta-ip":"2001:db8:abcd:13::1","receiving-mx-hostname":"mx2.example.com","receiving-ip":"203.0.113.57","failed-session-count":200,"additional-information":"https://reports.example.net/report_info?id=5065427c-23d3"},{"result-type":"validation-failure","sending-mta-ip":"198.51.100.62","receiving-ip":"203.0.113.58","receiving-mx-hostname":"mx-backup.example.com","failed-session-count":3,"failure-reason-code":"X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"}]}]}`

// genLargeReport returns a report with n failure details, about 200 bytes
// each: varied sending IPs, a handful of MX hosts and reason codes.
func genLargeReport(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"organization-name":"Example Mail Provider","date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"tlsrpt@mail.example","report-id":"2024-05-01_example.com","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: *.mx.example.com","max_age: 86400"],"policy-domain":"example.com","mx-host":["*.mx.example.com"]},"summary":{"total-successful-session-count":123456789,"total-failure-session-count":`)
	fmt.Fprintf(&b, "%d", n*3)
	b.WriteString(`},"failure-details":[`)
	results := []string{"certificate-expired", "certificate-host-mismatch", "starttls-not-supported", "validation-failure", "certificate-not-trusted"}
	reasons := []string{"X509_V_ERR_CERT_HAS_EXPIRED", "X509_V_ERR_HOSTNAME_MISMATCH", "", "tls: handshake failure", "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY"}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		r := i % len(results)
		fmt.Fprintf(&b, `{"result-type":%q,"sending-mta-ip":"198.51.%d.%d","receiving-mx-hostname":"mx%d.mx.example.com","receiving-ip":"2001:db8:%x::%x","failed-session-count":%d`,
			results[r], i/250%250, i%250, i%7, i%5+1, i%97+1, i%17+1)
		if reasons[r] != "" {
			fmt.Fprintf(&b, `,"failure-reason-code":%q`, reasons[r])
		}
		if i%10 == 0 {
			fmt.Fprintf(&b, `,"additional-information":"https://tlsrpt.mail.example/f/%d"`, i)
		}
		b.WriteByte('}')
	}
	b.WriteString(`]}]}`)
	return b.Bytes()
}

// corpusLikeMix returns this package's fixtures concatenated in memory as
// one benchmark input list: a mix of quirky and ordinary reports.
func corpusLikeMix(b *testing.B) [][]byte {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		b.Fatalf("no fixtures: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := Parse(data); err != nil {
			continue // the error fixtures
		}
		out = append(out, data)
	}
	return out
}

// cpuMeter reports "cpu-ns/op" and "cpu-MB/s" beside the wall-clock
// numbers: the CPU time of the whole process (decoder and garbage
// collector) per operation. On a loaded machine wall time includes the
// time spent waiting for a CPU; CPU time does not.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	t, ok := processCPUTime()
	return cpuMeter{start: t, ok: ok}
}

func (c cpuMeter) stop(b *testing.B, bytesPerOp int64) {
	end, ok := processCPUTime()
	if !c.ok || !ok || b.N == 0 || end <= c.start {
		return
	}
	perOp := float64(end-c.start) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	if bytesPerOp > 0 {
		b.ReportMetric(float64(bytesPerOp)*1e3/perOp, "cpu-MB/s")
	}
}

func benchDecode(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		if _, _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop(b, int64(len(data)))
}

func BenchmarkDecodeTypical(b *testing.B) { benchDecode(b, []byte(benchTypical)) }

func BenchmarkDecodeLarge50k(b *testing.B) { benchDecode(b, genLargeReport(50000)) }

func BenchmarkDecodeLarge50kStream(b *testing.B) {
	data := genLargeReport(50000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		if _, _, err := new(Decoder).Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop(b, int64(len(data)))
}

func BenchmarkDecodeCorpusMix(b *testing.B) {
	mix := corpusLikeMix(b)
	var n int64
	for _, d := range mix {
		n += int64(len(d))
	}
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		for _, d := range mix {
			if _, _, err := Parse(d); err != nil {
				b.Fatal(err)
			}
		}
	}
	cpu.stop(b, n)
}

// sharedCorpus returns every report of the shared corpus as JSON (gzip
// files decompressed) and as gzip (the .gz files as sent, the others
// compressed here), with their total sizes; it skips when the corpus is
// absent.
func sharedCorpus(b *testing.B) (plain, gz [][]byte, nPlain, nGz int64) {
	dir := corpus.Dir(b, "reports")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		z := data
		if bytes.HasPrefix(data, gzipMagic) {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				b.Fatal(err)
			}
		} else {
			z = gzipped(b, data, gzip.Header{})
		}
		plain = append(plain, data)
		gz = append(gz, z)
		nPlain += int64(len(data))
		nGz += int64(len(z))
	}
	return plain, gz, nPlain, nGz
}

// benchDecodeAll decodes every input of in per operation with dec
// through a *bytes.Reader (a stream, as from a file or a mail part), or
// with Parse when dec is nil.
func benchDecodeAll(b *testing.B, in [][]byte, n int64, dec *Decoder) {
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		for _, d := range in {
			var err error
			if dec == nil {
				_, _, err = Parse(d)
			} else {
				_, _, err = dec.Decode(bytes.NewReader(d))
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	cpu.stop(b, n)
}

// BenchmarkDecodeSharedCorpus decodes every report of the shared corpus
// (gzip files decompressed beforehand), the input mox's parser is measured
// on; it skips when the corpus is absent.
func BenchmarkDecodeSharedCorpus(b *testing.B) {
	plain, _, n, _ := sharedCorpus(b)
	benchDecodeAll(b, plain, n, nil)
}

// BenchmarkDecodeSharedCorpusReader is BenchmarkDecodeSharedCorpus read
// from a *bytes.Reader, as mime.Parse passes a decoded part.
func BenchmarkDecodeSharedCorpusReader(b *testing.B) {
	plain, _, n, _ := sharedCorpus(b)
	benchDecodeAll(b, plain, n, new(Decoder))
}

// BenchmarkDecodeSharedCorpusGzip decodes the same reports gzip
// compressed; throughput is counted in decompressed bytes.
func BenchmarkDecodeSharedCorpusGzip(b *testing.B) {
	_, gz, n, _ := sharedCorpus(b)
	benchDecodeAll(b, gz, n, new(Decoder))
}

// BenchmarkTokenLoopSharedCorpus reads every token of the shared corpus
// reports with a reused jsontext.Decoder and nothing else: the
// tokenizer's speed on the bytes BenchmarkDecodeSharedCorpus decodes, the
// ceiling of any decoder built on it.
func BenchmarkTokenLoopSharedCorpus(b *testing.B) {
	plain, _, n, _ := sharedCorpus(b)
	var dec jsontext.Decoder
	var buf bytes.Buffer
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		for _, d := range plain {
			buf.Reset()
			buf.Write(d)
			dec.Reset(&buf, allowDuplicateNames)
			for {
				if _, err := dec.ReadToken(); err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
			}
		}
	}
	cpu.stop(b, n)
}

// BenchmarkDecodeGzip decodes a gzip-compressed 5,000-detail report;
// throughput is counted in decompressed bytes.
func BenchmarkDecodeGzip(b *testing.B) {
	data := genLargeReport(5000)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		if _, _, err := new(Decoder).Decode(bytes.NewReader(z.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop(b, int64(len(data)))
}

// BenchmarkDecodeLarge50kGzip decodes the gzip-compressed 50,000-detail
// report; throughput is counted in decompressed bytes.
func BenchmarkDecodeLarge50kGzip(b *testing.B) {
	data := genLargeReport(50000)
	benchDecodeAll(b, [][]byte{gzipped(b, data, gzip.Header{})}, int64(len(data)), new(Decoder))
}

// BenchmarkDecodeTypicalGzip decodes benchTypical gzip compressed: the
// cost of the gzip layer for a small report.
func BenchmarkDecodeTypicalGzip(b *testing.B) {
	benchDecodeAll(b, [][]byte{gzipped(b, []byte(benchTypical), gzip.Header{})}, int64(len(benchTypical)), new(Decoder))
}

func BenchmarkEncodeTypical(b *testing.B) {
	rep, _, err := Parse([]byte(benchTypical))
	if err != nil {
		b.Fatal(err)
	}
	out, _ := rep.MarshalJSON()
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		if _, err := rep.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop(b, int64(len(out)))
}

func BenchmarkEncodeLarge50k(b *testing.B) {
	rep, _, err := Parse(genLargeReport(50000))
	if err != nil {
		b.Fatal(err)
	}
	out, _ := rep.MarshalJSON()
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		if _, err := rep.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop(b, int64(len(out)))
}

// BenchmarkDecodeVsTokenLoop decodes the shared corpus (as
// BenchmarkDecodeSharedCorpus) and reads its tokens with a jsontext
// token loop (as BenchmarkTokenLoopSharedCorpus), alternating the two in
// one process so that both see the same binary, heap and machine load.
// It reports "share%": the token loop's time over the decode's, as a
// percentage (the share of the token loop's throughput the decoder
// reaches), from the process CPU time of each side summed over all
// iterations (the garbage collector included, the wait for a CPU on a
// loaded machine not). "wall-share%" is the same from the fastest wall
// time of each side, and "decode-cpu-ns/op" and "token-cpu-ns/op" the CPU
// time of one pass of each. It skips when the corpus is absent.
func BenchmarkDecodeVsTokenLoop(b *testing.B) {
	plain, _, n, _ := sharedCorpus(b)
	var dec jsontext.Decoder
	var buf bytes.Buffer
	decodePass := func() {
		for _, d := range plain {
			if _, _, err := Parse(d); err != nil {
				b.Fatal(err)
			}
		}
	}
	tokenPass := func() {
		for _, d := range plain {
			buf.Reset()
			buf.Write(d)
			dec.Reset(&buf, allowDuplicateNames)
			for {
				if _, err := dec.ReadToken(); err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
			}
		}
	}
	// timed runs f and returns its CPU and wall time.
	timed := func(f func()) (cpu, wall time.Duration) {
		c0, _ := processCPUTime()
		t0 := time.Now()
		f()
		wall = time.Since(t0)
		c1, _ := processCPUTime()
		return c1 - c0, wall
	}
	// Warm both up (pools, buffers) before timing.
	decodePass()
	tokenPass()
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	var cpuDec, cpuTok time.Duration
	minDec, minTok := time.Duration(1<<62), time.Duration(1<<62)
	for i := 0; i < b.N; i++ {
		// Alternate which side runs first so neither always follows
		// the other's garbage.
		var cd, wd, ct, wt time.Duration
		if i%2 == 0 {
			cd, wd = timed(decodePass)
			ct, wt = timed(tokenPass)
		} else {
			ct, wt = timed(tokenPass)
			cd, wd = timed(decodePass)
		}
		cpuDec += cd
		cpuTok += ct
		minDec, minTok = min(minDec, wd), min(minTok, wt)
	}
	if cpuDec > 0 {
		b.ReportMetric(100*float64(cpuTok)/float64(cpuDec), "share%")
	}
	b.ReportMetric(100*float64(minTok)/float64(minDec), "wall-share%")
	b.ReportMetric(float64(cpuDec.Nanoseconds())/float64(b.N), "decode-cpu-ns/op")
	b.ReportMetric(float64(cpuTok.Nanoseconds())/float64(b.N), "token-cpu-ns/op")
}
