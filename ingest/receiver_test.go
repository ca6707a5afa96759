package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/corpus"

	"github.com/go-tlsrpt/tlsrpt/report"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// store is a Handle that keeps what it receives.
type store struct {
	mu   sync.Mutex
	got  []*Received
	fail error
}

func (s *store) handle(_ context.Context, r *Received) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.got = append(s.got, r)
	return nil
}

// receiverCodes returns the codes of the Receiver's own warnings.
func receiverCodes(ws []report.Warning) []tlsrpt.Code {
	var out []tlsrpt.Code
	for _, w := range ws {
		switch w.Code {
		case CodeMediaTypeMismatch, CodeMediaTypeMissing, CodeContentEncoding:
			out = append(out, w.Code)
		}
	}
	return out
}

func TestReceiver(t *testing.T) {
	canonical := readFixture(t, "canonical.json")
	bomb := gz(t, append(append([]byte(`{"organization-name":"`), bytes.Repeat([]byte("a"), 3<<20)...), `"}`...))
	tests := []struct {
		name        string
		method      string
		contentType string
		encoding    string
		body        []byte
		receiver    Receiver
		wantStatus  int
		wantCodes   []tlsrpt.Code // the Receiver's own warning codes
		wantGzip    bool
	}{
		{name: "gzip", contentType: mediaTypeGzip, body: gz(t, canonical), wantStatus: 200, wantGzip: true},
		{name: "json", contentType: mediaTypeJSON, body: canonical, wantStatus: 200},
		{name: "json with charset", contentType: mediaTypeJSON + "; charset=utf-8", body: canonical, wantStatus: 200},
		{name: "upper-case media type", contentType: "Application/TLSRPT+GZIP", body: gz(t, canonical), wantStatus: 200, wantGzip: true},
		{name: "gzip labelled json", contentType: mediaTypeJSON, body: gz(t, canonical), wantStatus: 200, wantCodes: []tlsrpt.Code{CodeMediaTypeMismatch}, wantGzip: true},
		{name: "json labelled gzip", contentType: mediaTypeGzip, body: canonical, wantStatus: 200, wantCodes: []tlsrpt.Code{CodeMediaTypeMismatch}},
		{name: "application/json", contentType: "application/json", body: canonical, wantStatus: 200, wantCodes: []tlsrpt.Code{CodeMediaTypeMismatch}},
		{name: "application/octet-stream gzip", contentType: "application/octet-stream", body: gz(t, canonical), wantStatus: 200, wantCodes: []tlsrpt.Code{CodeMediaTypeMismatch}, wantGzip: true},
		{name: "no content type", body: canonical, wantStatus: 200, wantCodes: []tlsrpt.Code{CodeMediaTypeMissing}},
		{name: "malformed content type", contentType: "application/tlsrpt+json; =", body: canonical, wantStatus: 200},
		{name: "content-encoding gzip", contentType: mediaTypeJSON, encoding: "gzip", body: gz(t, canonical), wantStatus: 200,
			wantCodes: []tlsrpt.Code{CodeContentEncoding, CodeMediaTypeMismatch}, wantGzip: true},
		{name: "bom and mx-host string", contentType: mediaTypeJSON, body: readFixture(t, "bom-mxhost-string.json"), wantStatus: 200},
		{name: "no Z datetime", contentType: mediaTypeJSON, body: readFixture(t, "no-z-datetime.json"), wantStatus: 200},
		{name: "null contact", contentType: mediaTypeGzip, body: gz(t, readFixture(t, "null-contact-empty-arrays.json")), wantStatus: 200, wantGzip: true},

		{name: "GET", method: "GET", wantStatus: 405},
		{name: "PUT", method: "PUT", contentType: mediaTypeJSON, body: canonical, wantStatus: 405},
		{name: "html", contentType: "text/html", body: []byte("<html>hello</html>"), wantStatus: 415},
		{name: "form", contentType: "multipart/form-data; boundary=x", body: []byte("--x\r\n\r\nfoo\r\n--x--\r\n"), wantStatus: 415},
		{name: "brotli", contentType: mediaTypeJSON, encoding: "br", body: canonical, wantStatus: 415},
		{name: "gzip label, html body", contentType: mediaTypeGzip, body: []byte("<html>"), wantStatus: 400},
		{name: "bare application/tlsrpt, garbage", contentType: "application/tlsrpt", body: []byte("garbage"), wantStatus: 400},
		{name: "truncated gzip", contentType: mediaTypeGzip, body: gz(t, canonical)[:40], wantStatus: 400},
		{name: "broken json", contentType: mediaTypeJSON, body: []byte(`{"organization-name":`), wantStatus: 400},
		{name: "json array", contentType: mediaTypeJSON, body: []byte(`[1,2]`), wantStatus: 400},
		{name: "empty body", contentType: mediaTypeJSON, wantStatus: 400},
		// The lenient decoder fills missing members with zero values; a
		// report with nothing to count, or no date-range to count it on,
		// is refused rather than stored on 0001-01-01.
		{name: "empty object", contentType: mediaTypeJSON, body: []byte(`{}`), wantStatus: 400},
		{name: "no date-range", contentType: mediaTypeJSON, body: bytes.Replace(canonical, []byte(`"date-range"`), []byte(`"x-date-range"`), 1), wantStatus: 400},
		{name: "oversized body", contentType: mediaTypeJSON, body: canonical, receiver: Receiver{MaxBodySize: 100}, wantStatus: 413},
		{name: "oversized Content-Length", contentType: mediaTypeJSON, body: canonical, receiver: Receiver{MaxBodySize: 100}, wantStatus: 413},
		{name: "exactly at the cap", contentType: mediaTypeJSON, body: canonical, receiver: Receiver{MaxBodySize: int64(len(canonical))}, wantStatus: 200},
		{name: "gzip bomb", contentType: mediaTypeGzip, body: bomb, receiver: Receiver{MaxReportSize: 1 << 20}, wantStatus: 413},
		{name: "handler fails", contentType: mediaTypeJSON, body: canonical, receiver: Receiver{Handle: func(context.Context, *Received) error { return errors.New("disk full") }}, wantStatus: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &store{}
			rv := tt.receiver
			if rv.Handle == nil {
				rv.Handle = st.handle
			}
			now := time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)
			rv.Now = func() time.Time { return now }
			method := tt.method
			if method == "" {
				method = "POST"
			}
			req := httptest.NewRequest(method, "https://rua.example/tlsrpt", bytes.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			req.Header.Set("User-Agent", "sender/1")
			if tt.name == "oversized body" {
				req.ContentLength = -1 // chunked: the cap is enforced while reading
			}
			w := httptest.NewRecorder()
			rv.ServeHTTP(w, req)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d (%q), want %d", w.Code, w.Body.String(), tt.wantStatus)
			}
			if tt.wantStatus == 200 {
				// RFC 8460 §5.4: the status is the answer.
				if w.Body.Len() != 0 || w.Header().Get("Content-Type") != "" {
					t.Errorf("200 with a body %q (Content-Type %q)", w.Body.String(), w.Header().Get("Content-Type"))
				}
			} else if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("answer Content-Type %q", ct)
			}
			if tt.wantStatus == 405 && w.Header().Get("Allow") != "POST" {
				t.Errorf("Allow = %q", w.Header().Get("Allow"))
			}
			if tt.wantStatus != 200 {
				if len(st.got) != 0 {
					t.Errorf("handler called for a %d", tt.wantStatus)
				}
				return
			}
			if len(st.got) != 1 {
				t.Fatalf("handler called %d times", len(st.got))
			}
			got := st.got[0]
			if got.Report == nil || got.Report.ReportID == "" {
				t.Fatalf("report %+v", got.Report)
			}
			if diff := cmp.Diff(tt.wantCodes, receiverCodes(got.Warnings)); diff != "" {
				t.Errorf("receiver warnings (-want +got):\n%s", diff)
			}
			facts := Received{RemoteAddr: got.RemoteAddr, ContentType: got.ContentType, UserAgent: got.UserAgent, Time: got.Time, Size: got.Size, Compressed: got.Compressed}
			want := Received{RemoteAddr: req.RemoteAddr, ContentType: tt.contentType, UserAgent: "sender/1", Time: now, Size: int64(len(tt.body)), Compressed: tt.wantGzip}
			if diff := cmp.Diff(want, facts); diff != "" {
				t.Errorf("request facts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReceiverNilHandle(t *testing.T) {
	w := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/", bytes.NewReader(readFixture(t, "canonical.json")))
	req.Header.Set("Content-Type", mediaTypeJSON)
	new(Receiver).ServeHTTP(w, req)
	if w.Code != 500 {
		t.Fatalf("zero Receiver answered %d; it must not claim to have stored a report", w.Code)
	}
}

func TestReceiverCorpus(t *testing.T) {
	dir := corpus.Dir(t, "reports")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := &store{}
	srv := httptest.NewTLSServer(&Receiver{Handle: st.handle})
	defer srv.Close()
	n := 0
	for _, e := range entries {
		name := e.Name()
		ctype := ""
		switch {
		case strings.HasSuffix(name, ".json.gz"):
			ctype = mediaTypeGzip
		case strings.HasSuffix(name, ".json"):
			ctype = mediaTypeJSON
		default:
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Post(srv.URL, ctype, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, msg)
			}
		})
	}
	if len(st.got) != n {
		t.Errorf("%d reports stored, %d posted", len(st.got), n)
	}
}

func TestReceiverSlowBody(t *testing.T) {
	st := &store{}
	srv := httptest.NewServer(&Receiver{Handle: st.handle, BodyTimeout: 200 * time.Millisecond})
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: 1000\r\n\r\n{", mediaTypeJSON)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	if len(st.got) != 0 {
		t.Error("handler called for a body that never arrived")
	}
}

func TestReceiverConcurrent(t *testing.T) {
	const posts, workers = 2000, 50
	var mu sync.Mutex
	ids := map[string]int{}
	rv := &Receiver{Handle: func(_ context.Context, r *Received) error {
		mu.Lock()
		defer mu.Unlock()
		ids[r.Report.ReportID]++
		return nil
	},
		// A slot per worker: a 503 from the decode budget
		// (TestReceiverBusy) on a loaded machine is not what this tests.
		MaxConcurrent: workers,
	}
	srv := httptest.NewTLSServer(rv)
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = workers
	rep := testReport("sender.example")
	jobs := make(chan int)
	var wg sync.WaitGroup
	var failures sync.Map
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := *rep
				r.ReportID = fmt.Sprintf("report-%04d", i)
				// Every fourth report gzip-compressed (the compressor's set-up
				// dominates the cost under the race detector).
				if status, err := post(t, client, srv.URL, &r, i%4 == 0); err != nil || status != http.StatusOK {
					failures.Store(i, fmt.Sprint(status, err))
				}
			}
		}()
	}
	for i := range posts {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	failures.Range(func(k, v any) bool {
		t.Errorf("post %v: %v", k, v)
		return true
	})
	if len(ids) != posts {
		t.Fatalf("%d distinct reports stored, want %d", len(ids), posts)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
}

// post POSTs r as a sender does (RFC 8460 §5.4: the canonical JSON,
// gzip-compressed or not, with its media type) and returns the status.
func post(t testing.TB, client *http.Client, url string, r *report.Report, compressed bool) (int, error) {
	body, ctype := reportJSON(t, r), mediaTypeJSON
	if compressed {
		body, ctype = gz(t, body), mediaTypeGzip
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("User-Agent", "test-sender/1")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestReceiverRoundTrip posts a report over real TLS, gzip-compressed and
// not, and checks that Handle gets it unchanged with the request's facts.
// (Package submit's Deliverer posts the same form; examples/quickstart
// runs the two together.)
func TestReceiverRoundTrip(t *testing.T) {
	st := &store{}
	srv := httptest.NewTLSServer(&Receiver{Handle: st.handle})
	defer srv.Close()
	want := testReport("sender.example")
	for _, compressed := range []bool{true, false} {
		status, err := post(t, srv.Client(), srv.URL+"/v1/tlsrpt", want, compressed)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
	}
	if len(st.got) != 2 {
		t.Fatalf("%d stored", len(st.got))
	}
	for i, got := range st.got {
		if diff := cmp.Diff(want, got.Report, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
			t.Errorf("report %d (-want +got):\n%s", i, diff)
		}
		if len(got.Warnings) != 0 || got.Compressed != (i == 0) || got.UserAgent != "test-sender/1" {
			t.Errorf("report %d: warnings %v, compressed %v, UA %q", i, got.Warnings, got.Compressed, got.UserAgent)
		}
	}
}

// TestReceiverStalledBody checks that a body that stops after its first
// bytes is a timeout (408, which senders retry; RFC 9110 §15.5.9) and not
// a bad request, however much of the format the bytes already gave away:
// the sniff must not swallow the read error.
func TestReceiverStalledBody(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		prefix      []byte // sent after the header; then the client stalls
		serverRead  bool   // time out with http.Server.ReadTimeout instead of BodyTimeout
		both        bool   // a ReadTimeout shorter than the default BodyTimeout: the server's holds
	}{
		{name: "first gzip byte, BodyTimeout", contentType: mediaTypeGzip, prefix: []byte{0x1f}},
		{name: "first gzip byte, server ReadTimeout", contentType: mediaTypeGzip, prefix: []byte{0x1f}, serverRead: true},
		{name: "partial BOM, BodyTimeout", contentType: mediaTypeJSON, prefix: []byte{0xef, 0xbb}},
		{name: "partial BOM, server ReadTimeout", contentType: mediaTypeJSON, prefix: []byte{0xef, 0xbb}, serverRead: true},
		{name: "partial BOM, no Content-Type", prefix: []byte{0xef, 0xbb}},
		{name: "first gzip byte, non-report label", contentType: "text/html", prefix: []byte{0x1f}},
		{name: "white space", contentType: mediaTypeJSON, prefix: []byte("  \r\n")},
		{name: "white space, server ReadTimeout", contentType: mediaTypeJSON, prefix: []byte("  \r\n"), serverRead: true},
		{name: "open brace", contentType: mediaTypeJSON, prefix: []byte("{")},
		// The Receiver's 30-second default must not replace the server's
		// shorter deadline (the client below waits 10 seconds at most).
		{name: "open brace, server ReadTimeout under the default BodyTimeout", contentType: mediaTypeJSON, prefix: []byte("{"), both: true},
		{name: "first gzip byte, server ReadTimeout under the default BodyTimeout", contentType: mediaTypeGzip, prefix: []byte{0x1f}, both: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &store{}
			rv := &Receiver{Handle: st.handle, BodyTimeout: 200 * time.Millisecond}
			srv := httptest.NewUnstartedServer(rv)
			if tt.serverRead {
				rv.BodyTimeout = -1
				srv.Config.ReadTimeout = 300 * time.Millisecond
			}
			if tt.both {
				rv.BodyTimeout = 0
				srv.Config.ReadTimeout = 300 * time.Millisecond
			}
			srv.Start()
			defer srv.Close()
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			head := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
			if tt.contentType != "" {
				head += "Content-Type: " + tt.contentType + "\r\n"
			}
			_, err = io.WriteString(conn, head+"\r\n"+string(tt.prefix))
			require.NoError(t, err)
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Errorf("status %d (%q), want 408", resp.StatusCode, msg)
			}
			if len(st.got) != 0 {
				t.Error("handler called for a body that never arrived")
			}
		})
	}
}

// TestReceiverLeadingWhiteSpace checks that any amount of white space
// before the JSON text is accepted (RFC 8259 §2) and counts against the
// body cap, over a real connection with a chunked body (so that only the
// cap enforced while reading can stop it).
func TestReceiverLeadingWhiteSpace(t *testing.T) {
	canonical := readFixture(t, "canonical.json")
	ws := func(n int) []byte { return bytes.Repeat([]byte(" \t\r\n"), n/4) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	bom := []byte("\xef\xbb\xbf")
	tests := []struct {
		name        string
		contentType string
		body        []byte
		maxBody     int64
		wantStatus  int
		wantBOM     bool // the decoder's BOM warning survives the skipping
	}{
		{name: "10 KB", contentType: mediaTypeJSON, body: cat(ws(10<<10), canonical), wantStatus: 200},
		{name: "exactly one buffer", contentType: mediaTypeJSON, body: cat(ws(512), canonical), wantStatus: 200},
		{name: "1 MiB and more", contentType: mediaTypeJSON, body: cat(ws(1<<20+8), canonical), wantStatus: 200},
		{name: "BOM then 10 KB", contentType: mediaTypeJSON, body: cat(bom, ws(10<<10), canonical), wantStatus: 200, wantBOM: true},
		{name: "10 KB, no Content-Type", body: cat(ws(10<<10), canonical), wantStatus: 200},
		{name: "up to the cap", contentType: mediaTypeJSON, body: cat(ws(8<<10), canonical), maxBody: int64(8<<10 + len(canonical)), wantStatus: 200},
		{name: "beyond the cap", contentType: mediaTypeJSON, body: cat(ws(8<<10), canonical), maxBody: 4 << 10, wantStatus: 413},
		{name: "white space only, beyond the cap", contentType: mediaTypeJSON, body: ws(8 << 10), maxBody: 4 << 10, wantStatus: 413},
		{name: "white space only", contentType: mediaTypeJSON, body: ws(10 << 10), wantStatus: 400},
		{name: "white space then garbage", contentType: mediaTypeJSON, body: cat(ws(10<<10), []byte("garbage")), wantStatus: 400},
		{name: "white space then html", contentType: "text/html", body: cat(ws(10<<10), []byte("<html>")), wantStatus: 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &store{}
			srv := httptest.NewServer(&Receiver{Handle: st.handle, MaxBodySize: tt.maxBody})
			defer srv.Close()
			// A reader without a length: the client sends it chunked.
			req, err := http.NewRequest("POST", srv.URL, io.MultiReader(bytes.NewReader(tt.body)))
			require.NoError(t, err)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d (%q), want %d", resp.StatusCode, msg, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				if len(st.got) != 0 {
					t.Errorf("handler called for a %d", tt.wantStatus)
				}
				return
			}
			require.Len(t, st.got, 1)
			got := st.got[0]
			if got.Report == nil || got.Report.ReportID == "" {
				t.Fatalf("report %+v", got.Report)
			}
			if diff := cmp.Diff(int64(len(tt.body)), got.Size); diff != "" {
				t.Errorf("Size (-want +got):\n%s", diff)
			}
			var hasBOM bool
			for _, w := range got.Warnings {
				hasBOM = hasBOM || w.Code == report.CodeBOM
			}
			if diff := cmp.Diff(tt.wantBOM, hasBOM); diff != "" {
				t.Errorf("BOM warning (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReceiverBusy checks the decode budget: with every slot held by a
// request blocked in Handle, no further request reaches Handle; each is
// answered 503 with a Retry-After (RFC 9110 §15.6.4, §10.2.3) so that the
// sender retries, and none is lost: every request is either handed to
// Handle exactly once or answered 503.
func TestReceiverBusy(t *testing.T) {
	tests := []struct {
		name     string
		receiver Receiver
		slots    int // the most requests that may be in Handle at once
		posts    int
	}{
		{name: "default", slots: 4, posts: 12},
		{name: "two", receiver: Receiver{MaxConcurrent: 2}, slots: 2, posts: 9},
		{name: "one", receiver: Receiver{MaxConcurrent: 1}, slots: 1, posts: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu             sync.Mutex
				delivered      = map[string]int{}
				inHandle, peak int
			)
			entered := make(chan struct{}, tt.posts)
			release := make(chan struct{})
			rv := tt.receiver
			rv.Handle = func(_ context.Context, r *Received) error {
				mu.Lock()
				delivered[r.Report.ReportID]++
				inHandle++
				peak = max(peak, inHandle)
				mu.Unlock()
				entered <- struct{}{}
				<-release
				mu.Lock()
				inHandle--
				mu.Unlock()
				return nil
			}
			srv := httptest.NewServer(&rv)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
			defer client.CloseIdleConnections()

			type answer struct {
				id         string
				status     int
				retryAfter string
				err        error
			}
			answers := make(chan answer, tt.posts)
			for i := range tt.posts {
				r := *testReport("sender.example")
				r.ReportID = fmt.Sprintf("busy-%02d", i)
				body := reportJSON(t, &r)
				go func() {
					resp, err := client.Post(srv.URL, mediaTypeJSON, bytes.NewReader(body))
					if err != nil {
						answers <- answer{id: r.ReportID, err: err}
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					answers <- answer{id: r.ReportID, status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
				}()
			}
			// While Handle blocks, every request must end up either in
			// Handle or answered.
			var got []answer
			inside := 0
			timeout := time.After(20 * time.Second)
		wait:
			for inside+len(got) < tt.posts {
				select {
				case <-entered:
					inside++
				case a := <-answers:
					got = append(got, a)
				case <-timeout:
					t.Errorf("after 20 s, %d requests in Handle and %d answered of %d", inside, len(got), tt.posts)
					break wait
				}
			}
			close(release)
			for len(got) < tt.posts {
				got = append(got, <-answers)
			}

			statuses := map[int]int{}
			wantDelivered := map[string]int{}
			for _, a := range got {
				if a.err != nil {
					t.Errorf("%s: %v", a.id, a.err)
					continue
				}
				statuses[a.status]++
				switch a.status {
				case http.StatusOK:
					wantDelivered[a.id] = 1
				case http.StatusServiceUnavailable:
					if d, err := strconv.Atoi(a.retryAfter); err != nil || d <= 0 {
						t.Errorf("%s: 503 with Retry-After %q", a.id, a.retryAfter)
					}
				}
			}
			if diff := cmp.Diff(map[int]int{200: tt.slots, 503: tt.posts - tt.slots}, statuses); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.slots, peak); diff != "" {
				t.Errorf("most requests in Handle at once (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantDelivered, delivered); diff != "" {
				t.Errorf("reports handed to Handle, against the 200 answers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseMediaType checks that the fast path for the registered types
// gives what mime.ParseMediaType (or the cut at ';' when it fails) gives.
func TestParseMediaType(t *testing.T) {
	slow := func(ctype string) string {
		mt, _, err := stdmime.ParseMediaType(ctype)
		if err != nil {
			mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ctype, ";", 2)[0]))
		}
		return mt
	}
	tests := []struct {
		ctype, want string
	}{
		{"", ""},
		{mediaTypeGzip, mediaTypeGzip},
		{mediaTypeJSON, mediaTypeJSON},
		{"Application/TLSRPT+GZIP", mediaTypeGzip},
		{mediaTypeJSON + "; charset=utf-8", mediaTypeJSON},
		{" application/tlsrpt+json ", mediaTypeJSON},
		{"application/tlsrpt+json; =", mediaTypeJSON},
		{"text/html", "text/html"},
		{"garbage", "garbage"},
	}
	for _, tt := range tests {
		got := parseMediaType(tt.ctype)
		if got != tt.want {
			t.Errorf("parseMediaType(%q) = %q, want %q", tt.ctype, got, tt.want)
		}
		if s := slow(tt.ctype); got != s {
			t.Errorf("parseMediaType(%q) = %q, mime.ParseMediaType path gives %q", tt.ctype, got, s)
		}
	}
}
