// Command recvcost measures the CPU cost of ingest.Receiver serving HTTP
// POSTs of a gzip report (a typical 1.1 KiB report, gzip-compressed) to
// 127.0.0.1 over a keep-alive connection, against an empty net/http
// handler that reads the body and answers 200, plus decoding the same
// bytes with report.Decoder alone; for comparison it also times a bare
// handler that only calls report.Decoder.Decode(r.Body), and one that
// also gives the Receiver's answer (its two header fields and
// "report accepted"), which bounds what the Receiver's own checks can
// save.
//
// Client and server run in this process, so every POST's CPU time (the
// process CPU time, getrusage RUSAGE_SELF, as in vsmox) includes the
// client's side, the same for every handler. Each round runs the five
// workloads the same number of times, rotating which runs first; the
// table shows medians over the rounds, the median of the per-round ratio
// receiver / (empty handler + decode), and the median of the per-round
// difference between the receiver and the bare handler giving its
// answer: the CPU time of the Receiver's own checks.
//
// Run from the bench module:
//
//	cd bench && go run ./cmd/recvcost -rounds 9
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/go-tlsrpt/tlsrpt/ingest"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

func main() {
	rounds := flag.Int("rounds", 9, "rounds (at least 5)")
	target := flag.Duration("time", 200*time.Millisecond, "approximate CPU time of the receiver per round")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof -focus Receiver)")
	flag.Parse()
	if *rounds < 5 {
		fmt.Fprintln(os.Stderr, "recvcost: -rounds must be at least 5")
		os.Exit(1)
	}
	fmt.Printf("%s, %s/%s, GOMAXPROCS %d, %d CPUs, %d rounds, %s\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), *rounds, time.Now().UTC().Format("2006-01-02"))
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "recvcost:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "recvcost:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	receiverWorkload(*rounds, *target)
}

// receiverWorkload measures and prints the table (see the package
// documentation).
func receiverWorkload(rounds int, target time.Duration) {
	js, err := typicalReport().MarshalJSON()
	if err != nil {
		panic(err)
	}
	body := gzipped(js)
	rv := &ingest.Receiver{Handle: func(context.Context, *ingest.Received) error { return nil }}
	empty := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	post := func(h http.Handler) (func(), func()) {
		srv := httptest.NewServer(h)
		client := srv.Client()
		return func() {
			resp, err := client.Post(srv.URL, "application/tlsrpt+gzip", bytes.NewReader(body))
			if err != nil {
				panic(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				panic(resp.Status)
			}
		}, srv.Close
	}
	decoding := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var dec report.Decoder
		if _, _, err := dec.Decode(r.Body); err != nil {
			panic(err)
		}
		w.WriteHeader(http.StatusOK)
	})
	answering := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var dec report.Decoder
		if _, _, err := dec.Decode(r.Body); err != nil {
			panic(err)
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "report accepted\n")
	})
	postDecoding, closeDecoding := post(decoding)
	defer closeDecoding()
	postAnswering, closeAnswering := post(answering)
	defer closeAnswering()
	postReceiver, closeReceiver := post(rv)
	defer closeReceiver()
	postEmpty, closeEmpty := post(empty)
	defer closeEmpty()
	decode := func() {
		var dec report.Decoder
		if _, _, err := dec.Decode(bytes.NewReader(body)); err != nil {
			panic(err)
		}
	}
	n := calibrate(postReceiver, target)
	var tr, te, td, tb, ta []time.Duration
	var ratios, bounds []float64
	var own []time.Duration
	for i := 0; i < rounds; i++ {
		fs := []func(){postReceiver, postEmpty, decode, postDecoding, postAnswering}
		ds := make([]time.Duration, len(fs))
		for j := range fs {
			k := (i + j) % len(fs) // rotate which runs first
			ds[k] = run(fs[k], n) / time.Duration(n)
		}
		tr, te, td, tb, ta = append(tr, ds[0]), append(te, ds[1]), append(td, ds[2]), append(tb, ds[3]), append(ta, ds[4])
		ratios = append(ratios, float64(ds[0])/float64(ds[1]+ds[2]))
		bounds = append(bounds, float64(ds[4])/float64(ds[1]+ds[2]))
		own = append(own, ds[0]-ds[4])
	}
	fmt.Printf("| HTTP POST of a %s gzip report to 127.0.0.1 (client CPU included) | CPU/op |\n|---|---:|\n", sizeString(len(body)))
	fmt.Printf("| ingest.Receiver | %s |\n", durString(median(tr)))
	fmt.Printf("| empty net/http handler reading the body | %s |\n", durString(median(te)))
	fmt.Printf("| report.Decoder.Decode of the body alone | %s |\n", durString(median(td)))
	fmt.Printf("| a bare handler calling report.Decoder.Decode(r.Body) | %s |\n", durString(median(tb)))
	fmt.Printf("| a bare handler calling Decode and giving the receiver's answer | %s |\n", durString(median(ta)))
	fmt.Printf("| receiver / (empty handler + decode) | **%.2f×** |\n", median(ratios))
	fmt.Printf("| bare handler with the receiver's answer / (empty handler + decode) | %.2f× |\n", median(bounds))
	fmt.Printf("| receiver − bare handler with the receiver's answer (per round) | %s |\n", durString(median(own)))
}

// calibrate returns how many calls of f take about target CPU time.
func calibrate(f func(), target time.Duration) int {
	f() // warm up
	n := 1
	for {
		d := run(f, n)
		if d >= target/10 || n >= 1<<30 {
			return max(1, int(float64(n)*float64(target)/float64(max(d, 1))))
		}
		n *= 4
	}
}

// run calls f n times after a garbage collection and returns the CPU
// time spent.
func run(f func(), n int) time.Duration {
	runtime.GC()
	start := cpuTime()
	for i := 0; i < n; i++ {
		f()
	}
	return cpuTime() - start
}

// cpuTime returns the process CPU time, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median[T float64 | time.Duration](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// gzipped compresses data deterministically (no name, no mtime).
func gzipped(data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func sizeString(n int) string {
	if n >= 1<<10 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func durString(d time.Duration) string {
	if d >= time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1f µs", float64(d)/1e3)
}

// typicalReport is the report of vsmox's mime.Write row (two policies,
// three failure details; 1.1 KiB of JSON).
func typicalReport() *report.Report {
	return &report.Report{
		OrganizationName: "Sender Ärger Inc.",
		DateRange: report.DateRange{
			Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2024, 3, 1, 23, 59, 59, 0, time.UTC),
		},
		ContactInfo: "mailto:tlsrpt@mail.sender.example",
		ReportID:    "2024-03-01T00:00:00Z_example.net",
		Policies: []report.PolicyResult{
			{
				Policy: policy.Policy{
					Type:    policy.TypeSTS,
					Strings: []string{"version: STSv1", "mode: enforce", "mx: mx1.example.net", "max_age: 86400"},
					Domain:  "example.net",
					MXHosts: []string{"mx1.example.net"},
				},
				Summary: report.Summary{TotalSuccessfulSessionCount: 5326, TotalFailureSessionCount: 303},
				FailureDetails: []report.FailureDetail{
					{ResultType: report.ResultCertificateExpired, SendingMTAIP: netip.MustParseAddr("2001:db8::25"), ReceivingMXHostname: "mx1.example.net", ReceivingIP: netip.MustParseAddr("192.0.2.10"), FailedSessionCount: 200},
					{ResultType: report.ResultSTARTTLSNotSupported, SendingMTAIP: netip.MustParseAddr("198.51.100.7"), FailedSessionCount: 3, FailureReasonCode: "500 5.5.1 unknown command"},
					{ResultType: report.ResultCertificateExpired, ReceivingMXHostname: "mx2.example.net", FailedSessionCount: 100},
				},
			},
			{
				Policy:  policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.net"},
				Summary: report.Summary{TotalSuccessfulSessionCount: 12},
			},
		},
	}
}
