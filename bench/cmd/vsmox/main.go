// Command vsmox measures this SDK against mox's tlsrpt package
// (github.com/mjl-/mox/tlsrpt, the version pinned in bench/go.mod) on the
// same inputs in one process, and prints the CPU time per operation of
// each and their ratio (mox / ours: 3.0 means ours takes a third of mox's
// CPU time).
//
// The corpus JSON decode is also compared with a bare jsontext token loop
// over the same bytes, in paired rounds of its own (the share is the
// median of the per-round ratios).
//
// Workloads: TLSRPT record parsing (corpus/records/records.tsv), report
// decoding of the corpus reports as JSON and gzip, of a generated report
// with 50,000 failure details as JSON and gzip, and parsing of the corpus
// report mails. Each workload only uses the inputs both implementations
// accept, so both do the same work.
//
// Method: each workload runs for a number of rounds; in a round both
// implementations run the same number of operations, one after the
// other, the order alternating between rounds. The CPU time of a run is
// the process CPU time (getrusage RUSAGE_SELF, user + system: the
// garbage collector's work on other threads is counted) or, with
// -clock=thread, the CPU time of the measuring thread alone
// (RUSAGE_THREAD under runtime.LockOSThread). The table shows the median
// over the rounds of each side's time per operation and of the per-round
// ratio.
//
// Run from the bench module:
//
//	cd bench && go run ./cmd/vsmox -rounds 9
//
// -run selects workloads by name and -cpuprofile writes a CPU profile of
// them (both sides: look at the functions of this module).
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	moxtlsrpt "github.com/mjl-/mox/tlsrpt"

	"github.com/go-tlsrpt/tlsrpt/bench/internal/measure"
	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/report"
)

func main() {
	corpusFlag := flag.String("corpus", "", "corpus directory (default: the first of ../shared/corpus, ../../shared/corpus, ../../../shared/corpus that exists)")
	rounds := flag.Int("rounds", 7, "paired rounds per workload (at least 5)")
	target := flag.Duration("time", 200*time.Millisecond, "approximate CPU time of our side per round")
	clock := flag.String("clock", "process", "CPU clock: process (all threads, GC included) or thread (the measuring thread only)")
	only := flag.String("run", "", "run only the workloads whose name contains this string")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured workloads (both sides) to this file")
	flag.Parse()
	if *rounds < 5 {
		fatalf("-rounds must be at least 5")
	}
	var c measure.Clock
	switch *clock {
	case "process":
		c = measure.Process
	case "thread":
		runtime.LockOSThread()
		c = measure.Thread
	default:
		fatalf("-clock must be process or thread")
	}
	dir := *corpusFlag
	if dir == "" {
		dir = findCorpus()
	}
	ws, notes := workloads(dir)
	if *cpuprofile != "" {
		f := must(os.Create(*cpuprofile))
		if err := pprof.StartCPUProfile(f); err != nil {
			fatalf("cpuprofile: %v", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				fatalf("cpuprofile: %v", err)
			}
		}()
	}
	for _, n := range notes {
		fmt.Println(n)
	}
	fmt.Printf("\n%s, %s/%s, GOMAXPROCS %d, %d CPUs, clock %s, %d rounds, %s\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), *clock, *rounds, time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| workload | inputs | bytes/op | ours CPU/op | mox CPU/op | mox / ours |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	for _, w := range ws {
		if *only != "" && !strings.Contains(w.name, *only) {
			continue
		}
		r := pair(c, w, *rounds, *target)
		fmt.Printf("| %s | %d | %s | %s | %s | **%.2f×** |\n", w.name, w.inputs, measure.Size(w.bytes), measure.Duration(r.ours), measure.Duration(r.mox), r.ratio)
		if w.name == tokenLoopPartner && tokenLoop != nil {
			// Paired like the rows above: the share is the median of the
			// per-round ratios token loop / ours.
			t := pair(c, workload{ours: w.ours, mox: tokenLoop}, *rounds, *target)
			fmt.Printf("| ↳ jsontext token loop, same bytes | %d | %s | %s | | ours at **%.0f%%** of its throughput |\n", w.inputs, measure.Size(w.bytes), measure.Duration(t.mox), 100*t.ratio)
		}
	}
	if *only == "" || strings.Contains("mime.Write", *only) {
		data, write := writeWorkload()
		fmt.Printf("\n| ours only | report JSON | CPU/op |\n|---|---:|---:|\n")
		fmt.Printf("| mime.Write, gzip, no DKIM | %s | %s |\n", measure.Size(data), measure.Duration(single(c, write, *rounds, *target)))
	}
}

// tokenLoopPartner names the workload whose throughput is compared with
// a bare jsontext token loop over the same bytes (tokenLoop).
const tokenLoopPartner = "report decode, corpus JSON"

var tokenLoop func()

type workload struct {
	name   string
	inputs int
	bytes  int // input bytes per operation
	ours   func()
	mox    func()
}

type result struct {
	ours, mox time.Duration // median CPU time per op
	ratio     float64       // median of mox/ours per round
}

// pair runs w for rounds paired rounds on clock c.
func pair(c measure.Clock, w workload, rounds int, target time.Duration) result {
	n := c.Calibrate(w.ours, target)
	var ours, mox []time.Duration
	var ratios []float64
	for r := 0; r < rounds; r++ {
		var o, m time.Duration
		if r%2 == 0 {
			o = c.Run(w.ours, n)
			m = c.Run(w.mox, n)
		} else {
			m = c.Run(w.mox, n)
			o = c.Run(w.ours, n)
		}
		ours = append(ours, o/time.Duration(n))
		mox = append(mox, m/time.Duration(n))
		ratios = append(ratios, float64(m)/float64(o))
	}
	return result{ours: measure.Median(ours), mox: measure.Median(mox), ratio: measure.Median(ratios)}
}

// single is pair for one side.
func single(c measure.Clock, f func(), rounds int, target time.Duration) time.Duration {
	n := c.Calibrate(f, target)
	var ds []time.Duration
	for r := 0; r < rounds; r++ {
		ds = append(ds, c.Run(f, n)/time.Duration(n))
	}
	return measure.Median(ds)
}

// workloads loads the corpus and builds the workloads; notes say which
// inputs were left out and why.
func workloads(dir string) ([]workload, []string) {
	var ws []workload
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	discard := slog.New(slog.DiscardHandler)

	// Records: the lines both parsers accept (mox reports errors through
	// panic and fmt, which would dominate a mix with invalid lines).
	var records []string
	for _, r := range loadRecords(filepath.Join(dir, "records", "records.tsv")) {
		if _, err := dnsrecord.Parse(r); err != nil {
			continue
		}
		if _, ok, err := moxtlsrpt.ParseRecord(r); !ok || err != nil {
			continue
		}
		records = append(records, r)
	}
	ws = append(ws, workload{
		name: "record parse", inputs: len(records), bytes: totalString(records),
		ours: func() {
			for _, r := range records {
				if _, err := dnsrecord.Parse(r); err != nil {
					panic(err)
				}
			}
		},
		mox: func() {
			for _, r := range records {
				if _, _, err := moxtlsrpt.ParseRecord(r); err != nil {
					panic(err)
				}
			}
		},
	})

	// Reports: the corpus files both decoders accept, as JSON and gzip.
	files, _ := filepath.Glob(filepath.Join(dir, "reports", "*"))
	sort.Strings(files)
	var plain, gz, sentGz [][]byte
	for _, f := range files {
		raw := must(os.ReadFile(f))
		data := raw
		if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
			data = must(io.ReadAll(must(gzip.NewReader(bytes.NewReader(raw)))))
		}
		if _, _, err := report.Parse(data); err != nil {
			note("left out %s: ours rejects it: %v", filepath.Base(f), err)
			continue
		}
		if _, err := moxtlsrpt.Parse(bytes.NewReader(data)); err != nil {
			note("left out %s: mox rejects it: %v", filepath.Base(f), err)
			continue
		}
		plain = append(plain, data)
		if len(raw) != len(data) || !bytes.Equal(raw, data) {
			gz = append(gz, raw)
			sentGz = append(sentGz, raw)
		} else {
			gz = append(gz, measure.Gzip(data))
		}
	}
	decodeOurs := func(in [][]byte) func() {
		return func() {
			for _, d := range in {
				if _, _, err := report.Parse(d); err != nil {
					panic(err)
				}
			}
		}
	}
	decodeOursGzip := func(in [][]byte) func() {
		return func() {
			var dec report.Decoder
			for _, d := range in {
				if _, _, err := dec.Decode(bytes.NewReader(d)); err != nil {
					panic(err)
				}
			}
		}
	}
	decodeMox := func(in [][]byte) func() {
		return func() {
			for _, d := range in {
				if _, err := moxtlsrpt.Parse(bytes.NewReader(d)); err != nil {
					panic(err)
				}
			}
		}
	}
	decodeMoxGzip := func(in [][]byte) func() {
		return func() {
			for _, d := range in {
				zr, err := gzip.NewReader(bytes.NewReader(d))
				if err != nil {
					panic(err)
				}
				if _, err := moxtlsrpt.Parse(zr); err != nil {
					panic(err)
				}
			}
		}
	}
	ws = append(ws,
		workload{name: tokenLoopPartner, inputs: len(plain), bytes: total(plain), ours: decodeOurs(plain), mox: decodeMox(plain)},
		workload{name: "report decode, corpus gzip (same reports)", inputs: len(gz), bytes: total(gz), ours: decodeOursGzip(gz), mox: decodeMoxGzip(gz)},
		workload{name: "report decode, corpus .gz files as sent", inputs: len(sentGz), bytes: total(sentGz), ours: decodeOursGzip(sentGz), mox: decodeMoxGzip(sentGz)},
	)
	tokenLoop = tokenLoopFunc(plain)

	large := genLargeReport(50000)
	largeGz := measure.Gzip(large)
	ws = append(ws,
		workload{name: "report decode, 50k-detail report JSON", inputs: 1, bytes: len(large), ours: decodeOurs([][]byte{large}), mox: decodeMox([][]byte{large})},
		workload{name: "report decode, 50k-detail report gzip", inputs: 1, bytes: len(largeGz), ours: decodeOursGzip([][]byte{largeGz}), mox: decodeMoxGzip([][]byte{largeGz})},
	)

	// Mails: the corpus mails both parsers take a report from.
	mails, _ := filepath.Glob(filepath.Join(dir, "emails", "*.eml"))
	sort.Strings(mails)
	var msgs [][]byte
	for _, f := range mails {
		msg := must(os.ReadFile(f))
		if _, err := mime.Parse(bytes.NewReader(msg)); err != nil {
			note("left out %s: ours rejects it: %v", filepath.Base(f), err)
			continue
		}
		if _, err := moxtlsrpt.ParseMessage(discard, bytes.NewReader(msg)); err != nil {
			note("left out %s: mox rejects it: %v", filepath.Base(f), err)
			continue
		}
		msgs = append(msgs, msg)
	}
	ws = append(ws, workload{
		name: "report mail parse, corpus mails", inputs: len(msgs), bytes: total(msgs),
		ours: func() {
			for _, m := range msgs {
				if _, err := mime.Parse(bytes.NewReader(m)); err != nil {
					panic(err)
				}
			}
		},
		mox: func() {
			for _, m := range msgs {
				if _, err := moxtlsrpt.ParseMessage(discard, bytes.NewReader(m)); err != nil {
					panic(err)
				}
			}
		},
	})
	return ws, notes
}

// tokenLoopFunc returns a function that reads every token of in with a
// reused jsontext.Decoder: the tokenizer's own speed, the ceiling of any
// decoder built on it.
func tokenLoopFunc(in [][]byte) func() {
	var dec jsontext.Decoder
	var buf bytes.Buffer
	opt := jsontext.AllowDuplicateNames(true)
	return func() {
		for _, d := range in {
			buf.Reset()
			buf.Write(d)
			dec.Reset(&buf, opt)
			for {
				if _, err := dec.ReadToken(); err != nil {
					if err == io.EOF {
						break
					}
					panic(err)
				}
			}
		}
	}
}

// loadRecords reads the record column of records.tsv, unescaped.
func loadRecords(path string) []string {
	f := must(os.Open(path))
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rec, _, _ := strings.Cut(sc.Text(), "\t")
		out = append(out, unescape(rec))
	}
	if err := sc.Err(); err != nil {
		fatalf("%s: %v", path, err)
	}
	return out
}

// unescape undoes the records.tsv escapes: \\ \t \r \n.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '\\':
				b.WriteByte('\\')
				i++
				continue
			case 't':
				b.WriteByte('\t')
				i++
				continue
			case 'r':
				b.WriteByte('\r')
				i++
				continue
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// genLargeReport returns a report with n failure details, about 200 bytes
// each (the generator of report's BenchmarkDecodeLarge50k).
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

func findCorpus() string {
	for _, c := range []string{"../shared/corpus", "../../shared/corpus", "../../../shared/corpus"} {
		if st, err := os.Stat(filepath.Join(c, "reports")); err == nil && st.IsDir() {
			return c
		}
	}
	fatalf("no corpus found; pass -corpus")
	return ""
}

func total(in [][]byte) int {
	n := 0
	for _, d := range in {
		n += len(d)
	}
	return n
}

func totalString(in []string) int {
	n := 0
	for _, d := range in {
		n += len(d)
	}
	return n
}

func must[T any](v T, err error) T {
	if err != nil {
		fatalf("%v", err)
	}
	return v
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "vsmox: "+format+"\n", args...)
	os.Exit(1)
}

// writeWorkload returns the JSON size of measure.TypicalReport and a
// function writing it as a report mail, gzip compressed, unsigned.
func writeWorkload() (int, func()) {
	r := measure.TypicalReport()
	opts := &mime.WriteOptions{
		From:      "TLS Reports <tlsrpt@mail.sender.example>",
		To:        []string{"tlsrpt@example.net"},
		Date:      time.Date(2024, 3, 2, 1, 2, 3, 0, time.UTC),
		MessageID: "20240302010203.abc@mail.sender.example",
		Boundary:  "tlsrpt-boundary-0001",
		UniqueID:  "001",
	}
	data := must(r.MarshalJSON())
	return len(data), func() {
		if err := mime.Write(io.Discard, r, opts); err != nil {
			panic(err)
		}
	}
}
