// Command recvcost measures the server's CPU cost of ingest.Receiver
// answering HTTP POSTs of a gzip report (a typical 1.1 KiB report,
// gzip-compressed) sent to 127.0.0.1 over a keep-alive connection, against
// an empty net/http handler that reads the body and answers 200 with no
// body, plus decoding the same bytes with report.Decoder alone; for
// comparison it also times a bare handler that only calls
// report.Decoder.Decode(r.Body) and answers 200 with no body, as the
// Receiver answers a stored report: it bounds what the Receiver's own
// checks can save.
//
// The measuring process runs only the three servers (one net/http
// httptest.Server per handler, each on its own 127.0.0.1 port) and the
// decode alone. Every server has the timeouts ingest's documentation asks
// of a public endpoint, as tlsrpt serve sets them (ReadHeaderTimeout
// 10 s, ReadTimeout 30 s, WriteTimeout and IdleTimeout 2 min), so that
// the Receiver relies on the server's deadline; with -bare they have
// net/http's defaults (no timeouts) and the Receiver arms its own
// BodyTimeout deadline on each request. The client is a second process, this binary started
// again with RECVCOST_CLIENT=1 in its environment: it reads one line
// "URL N" at a time on its standard input, sends N POSTs of the body one
// after another over a single keep-alive connection per URL, reads each
// answer to its end, checks it is 200, and writes "done" on its standard
// output. A handler's part of a round is timed as: the process CPU time
// (getrusage RUSAGE_SELF: user and system time of every thread of the
// measuring process, not of its children), the line to the client, the
// wait for "done", the process CPU time again. So the client's CPU time
// never counts, nor does what the measuring process does between these
// parts; what counts is the server's: the handler, net/http, the
// runtime's scheduling and garbage collection while the requests are
// served, and the kernel's work in the server's system calls (on
// loopback, its writes also deliver the bytes to the client's socket).
// "Decode alone" runs in the measuring process while the client waits
// for its next line: N calls of report.Decoder.Decode(bytes.NewReader(body)),
// timed the same way.
//
// Each round starts with a garbage collection (not timed) and runs each
// of the four workloads N times, in 20 slices of N/20 calls, interleaved
// and rotating which runs first, so that a change in the machine's load
// during the round reaches each workload alike; a workload's time in the
// round is the sum over its slices, divided by N. The garbage collections
// that a workload's allocations cause during the round are timed with
// whichever workload runs while they do, mostly itself. The table shows
// medians over the rounds, the median of the per-round ratio
// receiver / (empty handler + decode), and the median of the per-round
// difference between the receiver and the bare decoding handler: the CPU
// time of the Receiver's own checks. With -cpuprofile the
// profile is of the measuring process alone, so only of the servers and
// the decode alone.
//
// Run from the bench module:
//
//	cd bench && go run ./cmd/recvcost -rounds 9
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/bench/internal/measure"
	"github.com/go-tlsrpt/tlsrpt/ingest"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// slices is how many parts of a round each workload runs in, interleaved
// with the others.
const slices = 20

// clientEnv, set to "1" in the environment, makes this binary the client
// process (see the package documentation).
const clientEnv = "RECVCOST_CLIENT"

func main() {
	if os.Getenv(clientEnv) == "1" {
		if err := runClient(os.Stdin, os.Stdout, body()); err != nil {
			fmt.Fprintln(os.Stderr, "recvcost client:", err)
			os.Exit(1)
		}
		return
	}
	rounds := flag.Int("rounds", 9, "rounds (at least 5)")
	target := flag.Duration("time", 200*time.Millisecond, "approximate server CPU time of the receiver per round")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measuring process (the servers and the decode alone) to this file (go tool pprof -focus Receiver)")
	bare := flag.Bool("bare", false, "serve with net/http's defaults (no timeouts) instead of the timeouts ingest's documentation asks of a public endpoint")
	flag.Parse()
	if *rounds < 5 {
		fmt.Fprintln(os.Stderr, "recvcost: -rounds must be at least 5")
		os.Exit(1)
	}
	if err := run(os.Stdout, *rounds, *target, *cpuprofile, !*bare); err != nil {
		fmt.Fprintln(os.Stderr, "recvcost:", err)
		os.Exit(1)
	}
}

// body returns the POSTed body: the typical report, gzip-compressed
// deterministically, so that both processes make the same bytes.
func body() []byte {
	js, err := measure.TypicalReport().MarshalJSON()
	if err != nil {
		panic(err)
	}
	return measure.Gzip(js)
}

// runClient is the client process: for each line "URL N" read from in it
// POSTs body to URL N times and writes "done" to out. It returns at the
// end of in.
func runClient(in io.Reader, out io.Writer, body []byte) error {
	clients := map[string]*http.Client{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		url, ns, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.Atoi(ns)
		if !ok || err != nil || n < 1 {
			return fmt.Errorf("bad command %q", sc.Text())
		}
		c := clients[url]
		if c == nil {
			// One connection per server, kept alive across rounds.
			c = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
			clients[url] = c
		}
		for range n {
			if err := post(c, url, body); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(out, "done\n"); err != nil {
			return err
		}
	}
	return sc.Err()
}

// post sends one POST of body and reads the answer, which must be 200.
func post(c *http.Client, url string, body []byte) error {
	resp, err := c.Post(url, "application/tlsrpt+gzip", bytes.NewReader(body))
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// client is the client process as seen from the measuring process.
type client struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// startClient starts this binary again as the client process.
func startClient() (*client, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), clientEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &client{cmd: cmd, in: in, out: bufio.NewReader(out)}, nil
}

// posts has the client POST n times to url and returns the CPU time of
// this process meanwhile.
func (c *client) posts(url string, n int) (time.Duration, error) {
	cmd := url + " " + strconv.Itoa(n) + "\n"
	start := measure.Process.Now()
	if _, err := io.WriteString(c.in, cmd); err != nil {
		return 0, err
	}
	line, err := c.out.ReadString('\n')
	d := measure.Process.Now() - start
	if err != nil || line != "done\n" {
		return 0, fmt.Errorf("client process said %q (%v)", line, err)
	}
	return d, nil
}

// close ends the client process.
func (c *client) close() error {
	c.in.Close()
	return c.cmd.Wait()
}

// run measures and prints the table to out (see the package
// documentation).
func run(out io.Writer, rounds int, target time.Duration, cpuprofile string, hardened bool) (err error) {
	body := body()
	rv := &ingest.Receiver{Handle: func(context.Context, *ingest.Received) error { return nil }}
	empty := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	decoding := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var dec report.Decoder
		if _, _, err := dec.Decode(r.Body); err != nil {
			panic(err)
		}
		w.WriteHeader(http.StatusOK)
	})
	// The servers in the order of the workloads that use them: receiver,
	// empty, decoding.
	var urls []string
	for _, h := range []http.Handler{rv, empty, decoding} {
		srv := httptest.NewUnstartedServer(h)
		if hardened {
			// As tlsrpt serve configures its server (ingest's doc asks a
			// public endpoint for these bounds); with ReadTimeout at most
			// its BodyTimeout, the Receiver sets no deadline of its own.
			srv.Config.ReadHeaderTimeout = 10 * time.Second
			srv.Config.ReadTimeout = 30 * time.Second
			srv.Config.WriteTimeout = 2 * time.Minute
			srv.Config.IdleTimeout = 2 * time.Minute
		}
		srv.Start()
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	c, err := startClient()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := c.close(); cerr != nil && err == nil {
			err = fmt.Errorf("client process: %w", cerr)
		}
	}()
	decode := func() {
		var dec report.Decoder
		if _, _, err := dec.Decode(bytes.NewReader(body)); err != nil {
			panic(err)
		}
	}

	fmt.Fprintf(out, "%s, %s/%s, GOMAXPROCS %d, %d CPUs, %d rounds, %s\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), rounds, time.Now().UTC().Format("2006-01-02"))
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	// Warm up: open each connection, fill the pools.
	for _, u := range urls {
		if _, err := c.posts(u, 100); err != nil {
			return err
		}
	}
	decodeAlone := func(n int) (time.Duration, error) {
		start := measure.Process.Now()
		for range n {
			decode()
		}
		return measure.Process.Now() - start, nil
	}
	postTo := func(url string) func(int) (time.Duration, error) {
		return func(n int) (time.Duration, error) { return c.posts(url, n) }
	}
	// The rows of the table, in its order.
	workloads := []func(n int) (time.Duration, error){postTo(urls[0]), postTo(urls[1]), decodeAlone, postTo(urls[2])}
	runtime.GC()
	n, err := calibrate(workloads[0], target)
	if err != nil {
		return err
	}
	// A round runs every workload in slices of m calls, interleaved (see
	// the package documentation).
	m := max(1, n/slices)
	ts := make([][]time.Duration, len(workloads))
	var ratios, bounds []float64
	var own []time.Duration
	for i := 0; i < rounds; i++ {
		ds := make([]time.Duration, len(workloads))
		runtime.GC()
		for sl := range slices {
			for j := range workloads {
				k := (i + sl + j) % len(workloads) // rotate which runs first
				d, err := workloads[k](m)
				if err != nil {
					return err
				}
				ds[k] += d
			}
		}
		for k := range ds {
			ds[k] /= time.Duration(m * slices)
			ts[k] = append(ts[k], ds[k])
		}
		ratios = append(ratios, float64(ds[0])/float64(ds[1]+ds[2]))
		bounds = append(bounds, float64(ds[3])/float64(ds[1]+ds[2]))
		own = append(own, ds[0]-ds[3])
	}
	fmt.Fprintf(out, "| HTTP POST of a %s gzip report to 127.0.0.1 (server CPU only, %d per round) | CPU/op |\n|---|---:|\n", measure.Size(len(body)), m*slices)
	fmt.Fprintf(out, "| ingest.Receiver | %s |\n", measure.Duration(measure.Median(ts[0])))
	fmt.Fprintf(out, "| empty net/http handler reading the body | %s |\n", measure.Duration(measure.Median(ts[1])))
	fmt.Fprintf(out, "| report.Decoder.Decode of the body alone | %s |\n", measure.Duration(measure.Median(ts[2])))
	fmt.Fprintf(out, "| a bare handler calling report.Decoder.Decode(r.Body) | %s |\n", measure.Duration(measure.Median(ts[3])))
	fmt.Fprintf(out, "| receiver / (empty handler + decode) | **%.2f×** |\n", measure.Median(ratios))
	fmt.Fprintf(out, "| bare decoding handler / (empty handler + decode) | %.2f× |\n", measure.Median(bounds))
	fmt.Fprintf(out, "| receiver − bare decoding handler (per round) | %s |\n", measure.Duration(measure.Median(own)))
	return nil
}

// calibrate returns how many POSTs take about target CPU time of this
// process, given round, which times n of them.
func calibrate(round func(n int) (time.Duration, error), target time.Duration) (int, error) {
	for n := 16; ; n *= 4 {
		d, err := round(n)
		if err != nil {
			return 0, err
		}
		if d >= target/10 || n >= 1<<24 {
			return max(1, int(float64(n)*float64(target)/float64(max(d, 1)))), nil
		}
	}
}
