//go:build linux

package ingest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// bombServerEnv makes TestReceiverBombServer serve instead of skipping.
const bombServerEnv = "TLSRPT_TEST_RECEIVER_BOMB_SERVER"

// maxBombRSS is the peak resident set the default Receiver may reach under
// BenchmarkReceiverConcurrentBombs.
const maxBombRSS = 1 << 30

// bombReport returns a valid report of n minimal failure details: a
// 13.5 MB JSON text for 300,000 that gzip takes to about 40 KB and that
// decodes into about 80 MiB of allocations.
func bombReport(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"organization-name":"Bomb","date-range":{"start-datetime":"2026-11-24T00:00:00Z","end-datetime":"2026-11-25T00:00:00Z"},"contact-info":"mailto:a@bomb.example","report-id":"bomb","policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.net"},"summary":{"total-successful-session-count":0,"total-failure-session-count":` + strconv.Itoa(n) + `},"failure-details":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"result-type":"x","failed-session-count":1}`)
	}
	buf.WriteString(`]}]}`)
	return buf.Bytes()
}

// TestReceiverBombServer is a helper process, not a test: with
// bombServerEnv set it serves a default Receiver on a loopback port,
// prints "addr=<host:port>" and serves until its standard input closes.
// BenchmarkReceiverConcurrentBombs runs it so that the server's peak RSS
// is its own.
func TestReceiverBombServer(t *testing.T) {
	if os.Getenv(bombServerEnv) != "1" {
		t.Skip("helper process of BenchmarkReceiverConcurrentBombs")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           &Receiver{Handle: func(context.Context, *Received) error { return nil }},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	fmt.Printf("addr=%s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// BenchmarkReceiverConcurrentBombs measures the peak RSS of a server
// process running a default Receiver while 128 or 256 clients at once
// each POST a gzip bomb: a valid report of 300,000 minimal failure
// details (40 KB that decode into about 80 MiB of allocations) or of
// 466,000 (60 KB, about 120 MiB). It fails if the peak exceeds
// maxBombRSS. It reports the peak (peak-RSS-MiB, from VmHWM) and
// how many POSTs per round were accepted (200) and turned away (503); any
// other answer fails. Run it without -race:
//
//	go test -run '^$' -bench ReceiverConcurrentBombs ./submit/
func BenchmarkReceiverConcurrentBombs(b *testing.B) {
	if raceEnabled {
		b.Skip("the race detector multiplies memory use; run without -race")
	}
	// 466,000 details is the largest such report under the decoder's
	// default cap, the report decoder's default cap (20 MiB).
	for _, bc := range []struct{ details, posts int }{{300_000, 128}, {300_000, 256}, {466_000, 256}} {
		body := gz(b, bombReport(bc.details))
		posts := bc.posts
		b.Run(fmt.Sprintf("details=%d/posts=%d", bc.details, posts), func(b *testing.B) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestReceiverBombServer$", "-test.count=1")
			cmd.Env = append(os.Environ(), bombServerEnv+"=1")
			cmd.Stderr = os.Stderr
			stdin, err := cmd.StdinPipe()
			if err != nil {
				b.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() {
				stdin.Close() // the server process exits
				io.Copy(io.Discard, stdout)
				if err := cmd.Wait(); err != nil {
					b.Errorf("server process: %v", err)
				}
			}()
			line, err := bufio.NewReader(stdout).ReadString('\n')
			addr, ok := strings.CutPrefix(strings.TrimSpace(line), "addr=")
			if err != nil || !ok {
				b.Fatalf("server process said %q (%v)", line, err)
			}
			url := "http://" + addr + "/"
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: posts}, Timeout: 5 * time.Minute}
			defer client.CloseIdleConnections()

			var mu sync.Mutex
			statuses := map[int]int{}
			rounds := 0
			for b.Loop() {
				rounds++
				var wg sync.WaitGroup
				for range posts {
					wg.Add(1)
					go func() {
						defer wg.Done()
						status := -1
						resp, err := client.Post(url, mediaTypeGzip, bytes.NewReader(body))
						if err == nil {
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							status = resp.StatusCode
						}
						mu.Lock()
						statuses[status]++
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			b.StopTimer()
			hwm, err := peakRSS(cmd.Process.Pid)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(float64(statuses[200])/float64(rounds), "accepted/op")
			b.ReportMetric(float64(statuses[503])/float64(rounds), "busy/op")
			if n := rounds*posts - statuses[200] - statuses[503]; n != 0 {
				b.Errorf("%d POSTs neither accepted nor answered 503: %v", n, statuses)
			}
			if hwm > maxBombRSS {
				b.Fatalf("server peak RSS %d MiB, want at most %d MiB", hwm>>20, maxBombRSS>>20)
			}
		})
	}
}

// peakRSS returns the peak resident set size of process pid in bytes
// (VmHWM, proc(5)).
func peakRSS(pid int) (int64, error) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
