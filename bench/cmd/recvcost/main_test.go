package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain makes the test binary the client process when run() starts it
// again, as the command's main does.
func TestMain(m *testing.M) {
	if os.Getenv(clientEnv) == "1" {
		if err := runClient(os.Stdin, os.Stdout, body()); err != nil {
			fmt.Fprintln(os.Stderr, "recvcost client:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRunClient checks the client's side of the protocol: N POSTs of the
// body per line, over one kept-alive connection per server, then "done".
func TestRunClient(t *testing.T) {
	want := body()
	var mu sync.Mutex
	posts := map[string]int{} // per server
	conns := map[string]bool{}
	newServer := func() *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, err := io.ReadAll(r.Body)
			if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/tlsrpt+gzip" || !bytes.Equal(got, want) {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			mu.Lock()
			posts[r.Host]++
			conns[r.RemoteAddr] = true
			mu.Unlock()
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	a, b := newServer(), newServer()
	in := fmt.Sprintf("%s 3\n%s 2\n%s 4\n", a.URL, b.URL, a.URL)
	var out bytes.Buffer
	if err := runClient(strings.NewReader(in), &out, want); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "done\ndone\ndone\n" {
		t.Errorf("client wrote %q, want three lines \"done\"", got)
	}
	mu.Lock()
	defer mu.Unlock()
	ha, hb := strings.TrimPrefix(a.URL, "http://"), strings.TrimPrefix(b.URL, "http://")
	if posts[ha] != 7 || posts[hb] != 2 {
		t.Errorf("POSTs per server = %v, want 7 to %s and 2 to %s", posts, ha, hb)
	}
	if len(conns) != 2 {
		t.Errorf("client connected from %d addresses, want one connection per server", len(conns))
	}
}

// TestRunClientErrors checks that the client stops at a malformed line
// and at an answer other than 200.
func TestRunClientErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusTeapot)
	}))
	defer srv.Close()
	for _, tc := range []struct{ name, in, want string }{
		{name: "no count", in: srv.URL + "\n", want: "bad command"},
		{name: "zero count", in: srv.URL + " 0\n", want: "bad command"},
		{name: "not a number", in: srv.URL + " x\n", want: "bad command"},
		{name: "not 200", in: srv.URL + " 1\n", want: "418"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runClient(strings.NewReader(tc.in), &out, body())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("runClient(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("client wrote %q after failing", out.String())
			}
		})
	}
}

// TestRun runs the whole measurement with a client process (this test
// binary, see TestMain) and checks the table has every row.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a client process and times five rounds")
	}
	var out bytes.Buffer
	if err := run(&out, 5, 10*time.Millisecond, "", true); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{
		"(server CPU only,",
		"| ingest.Receiver | ",
		"| empty net/http handler reading the body | ",
		"| report.Decoder.Decode of the body alone | ",
		"| a bare handler calling report.Decoder.Decode(r.Body) | ",
		"| receiver / (empty handler + decode) | **",
		"| bare decoding handler / (empty handler + decode) | ",
		"| receiver − bare decoding handler (per round) | ",
	} {
		if !strings.Contains(out.String(), row) {
			t.Errorf("table lacks %q:\n%s", row, out.String())
		}
	}
}
