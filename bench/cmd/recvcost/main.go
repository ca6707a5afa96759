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
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/go-tlsrpt/tlsrpt/bench/internal/measure"
	"github.com/go-tlsrpt/tlsrpt/ingest"
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
	js, err := measure.TypicalReport().MarshalJSON()
	if err != nil {
		panic(err)
	}
	body := measure.Gzip(js)
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
	n := measure.Process.Calibrate(postReceiver, target)
	var tr, te, td, tb, ta []time.Duration
	var ratios, bounds []float64
	var own []time.Duration
	for i := 0; i < rounds; i++ {
		fs := []func(){postReceiver, postEmpty, decode, postDecoding, postAnswering}
		ds := make([]time.Duration, len(fs))
		for j := range fs {
			k := (i + j) % len(fs) // rotate which runs first
			ds[k] = measure.Process.Run(fs[k], n) / time.Duration(n)
		}
		tr, te, td, tb, ta = append(tr, ds[0]), append(te, ds[1]), append(td, ds[2]), append(tb, ds[3]), append(ta, ds[4])
		ratios = append(ratios, float64(ds[0])/float64(ds[1]+ds[2]))
		bounds = append(bounds, float64(ds[4])/float64(ds[1]+ds[2]))
		own = append(own, ds[0]-ds[4])
	}
	fmt.Printf("| HTTP POST of a %s gzip report to 127.0.0.1 (client CPU included) | CPU/op |\n|---|---:|\n", measure.Size(len(body)))
	fmt.Printf("| ingest.Receiver | %s |\n", measure.Duration(measure.Median(tr)))
	fmt.Printf("| empty net/http handler reading the body | %s |\n", measure.Duration(measure.Median(te)))
	fmt.Printf("| report.Decoder.Decode of the body alone | %s |\n", measure.Duration(measure.Median(td)))
	fmt.Printf("| a bare handler calling report.Decoder.Decode(r.Body) | %s |\n", measure.Duration(measure.Median(tb)))
	fmt.Printf("| a bare handler calling Decode and giving the receiver's answer | %s |\n", measure.Duration(measure.Median(ta)))
	fmt.Printf("| receiver / (empty handler + decode) | **%.2f×** |\n", measure.Median(ratios))
	fmt.Printf("| bare handler with the receiver's answer / (empty handler + decode) | %.2f× |\n", measure.Median(bounds))
	fmt.Printf("| receiver − bare handler with the receiver's answer (per round) | %s |\n", measure.Duration(measure.Median(own)))
}
