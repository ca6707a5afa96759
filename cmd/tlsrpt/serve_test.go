package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/ingest"
	"github.com/go-tlsrpt/tlsrpt/internal/imaptest"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// syncBuffer is an io.Writer for outputs written by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// served is a running "tlsrpt serve".
type served struct {
	base           string
	stdout, stderr *syncBuffer
	stop           context.CancelFunc
	code           chan int
}

var listeningRE = regexp.MustCompile(`listening on (https?://[^/\s]+)/`)

// startServe runs "tlsrpt serve --listen 127.0.0.1:0 args..." until the
// test ends, and waits until it listens.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{stdout: &syncBuffer{}, stderr: &syncBuffer{}, stop: cancel, code: make(chan int, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: s.stdout, stderr: s.stderr}
	go func() { s.code <- run(ctx, e, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.code:
		case <-time.After(time.Minute):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRE.FindStringSubmatch(s.stdout.String()); m != nil {
			s.base = m[1]
			return s
		}
		select {
		case code := <-s.code:
			t.Fatalf("serve exited %d: %s", code, s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not listen: %s", s.stderr.String())
	return nil
}

// wait stops the server and returns its exit code.
func (s *served) wait(t *testing.T) int {
	t.Helper()
	s.stop()
	select {
	case code := <-s.code:
		s.code <- code // for the cleanup
		return code
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop")
	}
	return -1
}

// postReport is a report JSON with report-id id.
func postReport(id string) []byte {
	rep := viewsReport("Poster Inc.", 3, "posted.example", "testing", 100,
		viewsFailure("certificate-expired", "mx1.posted.example", "192.0.2.7", 2))
	rep.ReportID = id
	b, err := json.Marshal(rep)
	if err != nil {
		panic(err)
	}
	return b
}

// gzipBytes compresses b (safe outside the test goroutine).
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// openTestStore opens the SQLite store at path.
func openTestStore(t *testing.T, path string) *store.Store {
	t.Helper()
	db, err := sql.Open("sqlite", store.SQLiteDSN(path))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	st, err := store.Open(context.Background(), db, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// storedIDs returns the report-ids of the stored reports by key.
func storedIDs(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for row, err := range st.Rows(context.Background(), store.Filter{}) {
		require.NoError(t, err)
		out[row.ReportID] = row.Key
	}
	return out
}

// TestServeReceiver posts reports to the rua endpoint and reads them
// back from the store and the dashboard.
func TestServeReceiver(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tlsrpt.db")
	s := startServe(t, "--db", "sqlite:"+db)
	body := gzipBytes(postReport("gz-1"))
	tests := []struct {
		name, ctype string
		body        []byte
		status      int
	}{
		{"gzip", "application/tlsrpt+gzip", body, 200},
		{"again", "application/tlsrpt+gzip", body, 200},
		{"json", "application/tlsrpt+json", postReport("json-1"), 200},
		{"garbage", "application/tlsrpt+json", []byte("{nope"), 400},
		{"html", "text/html", []byte("<html>"), 415},
	}
	for _, tc := range tests {
		resp, err := http.Post(s.base+"/tlsrpt", tc.ctype, bytes.NewReader(tc.body))
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	resp, err := http.Get(s.base + "/tlsrpt")
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /tlsrpt: %d, want 405", resp.StatusCode)
	}
	resp, err = http.Get(s.base + "/?days=all")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<data id="total-reports" value="2">`) || !strings.Contains(string(page), "<svg") {
		t.Errorf("overview: %d, without the 2 reports or charts", resp.StatusCode)
	}
	if code := s.wait(t); code != exitOK {
		t.Errorf("exit %d", code)
	}
	if want := "6 requests: 2 stored, 1 duplicate, 3 rejected, 0 busy, 0 failed\n"; !strings.HasSuffix(s.stdout.String(), want) {
		t.Errorf("stdout %q, want the counts line %q", s.stdout.String(), want)
	}
	if !strings.Contains(s.stderr.String(), "POST /tlsrpt from 127.0.0.1:") || !strings.Contains(s.stderr.String(), "400 rejected") {
		t.Errorf("stderr lacks request lines:\n%s", s.stderr.String())
	}

	st := openTestStore(t, db)
	ids := storedIDs(t, st)
	sr, err := st.Get(context.Background(), ids["gz-1"])
	require.NoError(t, err)
	if !bytes.Equal(sr.Raw, body) {
		t.Error("the stored raw bytes are not the body as POSTed")
	}
	if sr.Trust.Verdict != store.VerdictUntrusted || sr.Source != "https:127.0.0.1" {
		t.Errorf("trust %+v, source %q", sr.Trust, sr.Source)
	}
}

// TestServeShutdownKeepsAccepted posts reports from many clients while
// the server shuts down: every report acknowledged with 200 is stored.
func TestServeShutdownKeepsAccepted(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tlsrpt.db")
	s := startServe(t, "--db", "sqlite:"+db)
	var (
		mu    sync.Mutex
		acked []string
		n     atomic.Int64
		wg    sync.WaitGroup
	)
	client := &http.Client{Timeout: 30 * time.Second}
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("r-%d-%d", g, i)
				resp, err := client.Post(s.base+"/tlsrpt", "application/tlsrpt+gzip", bytes.NewReader(gzipBytes(postReport(id))))
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
					n.Add(1)
				}
			}
		})
	}
	for n.Load() < 40 {
		time.Sleep(5 * time.Millisecond)
	}
	// A report whose body is still arriving when the shutdown begins is
	// read, stored and acknowledged.
	pr, pw := io.Pipe()
	slow := make(chan int, 1)
	go func() {
		resp, err := client.Post(s.base+"/tlsrpt", "application/tlsrpt+json", pr)
		if err != nil {
			slow <- -1
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	body := postReport("slow-1")
	_, err := pw.Write(body[:len(body)/2])
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond)
	s.stop()
	time.Sleep(300 * time.Millisecond)
	_, err = pw.Write(body[len(body)/2:])
	require.NoError(t, err)
	pw.Close()
	if status := <-slow; status != http.StatusOK {
		t.Errorf("the report arriving during the shutdown got %d, want 200", status)
	} else {
		mu.Lock()
		acked = append(acked, "slow-1")
		mu.Unlock()
	}
	code := s.wait(t)
	wg.Wait()
	if code != exitOK {
		t.Errorf("exit %d: %s", code, s.stderr.String())
	}
	ids := storedIDs(t, openTestStore(t, db))
	for _, id := range acked {
		if _, ok := ids[id]; !ok {
			t.Errorf("report %s acknowledged but not stored", id)
		}
	}
	m := regexp.MustCompile(`(\d+) requests: (\d+) stored`).FindStringSubmatch(s.stdout.String())
	require.NotNil(t, m, s.stdout.String())
	if m[2] != fmt.Sprint(len(ids)) {
		t.Errorf("counts line says %s stored, the store has %d", m[2], len(ids))
	}
	t.Logf("%d reports acknowledged, %d stored; %s", len(acked), len(ids), m[0])
}

// TestServeTLS serves HTTPS with --tls-cert and --tls-key.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	s := startServe(t, "--db", "sqlite:"+filepath.Join(dir, "tlsrpt.db"), "--tls-cert", certPath, "--tls-key", keyPath)
	if !strings.HasPrefix(s.base, "https://") {
		t.Fatalf("listening on %s", s.base)
	}
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Post(s.base+"/tlsrpt", "application/tlsrpt+json", bytes.NewReader(postReport("tls-1")))
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST over HTTPS: %d", resp.StatusCode)
	}
	resp, err = client.Get(s.base + "/favicon.ico")
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET over HTTPS: %d", resp.StatusCode)
	}
}

func TestServeUsage(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "tlsrpt.db")
	for _, args := range [][]string{
		{"--tls-cert", "c.pem"},
		{"--receiver-path", "tlsrpt"},
		{"--receiver-path", "/api"},
		{"--receiver-path", "/a b"},
		{"--poll", "0s"},
		{"--imap", "http://mail.example/INBOX"},
		{"extra"},
		{"--nope"},
		{"--demo"}, // with --db
		{"--metrics-trust", "maybe"},
		{"--metrics-window", "-1h"},
		{"--dashboard-listen", "127.0.0.1:0", "--receiver-path", ""},
	} {
		code, _, stderr := runTool(t, nil, "", append([]string{"serve", "--db", db}, args...)...)
		if code != exitUsage || !strings.Contains(stderr, "Usage: tlsrpt serve") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	code, _, stderr := runTool(t, nil, "", "serve", "--db", db, "--listen", "256.0.0.1:99999")
	if code != exitTemporary {
		t.Errorf("bad --listen: exit %d, stderr %q", code, stderr)
	}
}

// TestServeIMAP polls a real Dovecot mailbox: the reports of the mail in
// it are stored, each message is flagged \Seen, and mail arriving later
// is picked up by the next poll.
func TestServeIMAP(t *testing.T) {
	mails := corpusMails(t)
	srv := imaptest.Start(t, imaptest.Config{})
	first, later := mails[:len(mails)-1], mails[len(mails)-1]
	for _, m := range first {
		srv.Append(t, "INBOX", m)
	}
	saved := openIMAP
	t.Cleanup(func() { openIMAP = saved })
	openIMAP = func(ctx context.Context, rawURL string) (ingest.Source, error) {
		src, err := saved(ctx, rawURL)
		if im, ok := src.(*ingest.IMAP); ok {
			im.TLSConfig = srv.TLSConfig()
		}
		return src, err
	}
	t.Setenv(envIMAPPassword, srv.Password)
	t.Setenv(envIMAPPasswordFile, "")

	// What "tlsrpt ingest" stores from the same mail.
	wantDB := "sqlite:" + filepath.Join(t.TempDir(), "want.db")
	want := func(mails [][]byte) int {
		code, _, stderr := runIngestTool(append([]string{"ingest", "--db", wantDB, "--no-dkim"}, writeMaildir(t, mails))...)
		require.NotEqual(t, exitUsage, code, stderr)
		return len(storedIDs(t, openTestStore(t, strings.TrimPrefix(wantDB, "sqlite:"))))
	}
	wantFirst := want(first)
	require.NotZero(t, wantFirst)

	db := filepath.Join(t.TempDir(), "tlsrpt.db")
	imapURL := "imap://" + url.User(srv.User).String() + "@" + srv.Addr + "/INBOX"
	s := startServe(t, "--db", "sqlite:"+db, "--imap", imapURL, "--poll", "300ms", "--no-dkim")
	st := openTestStore(t, db)
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; stderr:\n%s", what, s.stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("the first poll", func() bool { return strings.Contains(s.stderr.String(), fmt.Sprintf("%d messages:", len(first))) })
	if got := len(storedIDs(t, st)); got != wantFirst {
		t.Errorf("first poll stored %d reports, ingest stores %d", got, wantFirst)
	}
	for uid, flags := range srv.Flags(t, "INBOX") {
		if !slices.Contains(flags, `\Seen`) {
			t.Errorf("message %d not flagged \\Seen: %v", uid, flags)
		}
	}
	srv.Append(t, "INBOX", later)
	wantAll := want(mails)
	waitFor("the later mail", func() bool { return len(storedIDs(t, st)) == wantAll })
	if strings.Contains(s.stderr.String(), srv.Password) {
		t.Error("the password shows in the log")
	}
	if code := s.wait(t); code != exitOK {
		t.Errorf("exit %d", code)
	}
}

// TestServeDemo starts "tlsrpt serve --demo": the overview answers with
// SVG charts and nothing from another host, /metrics answers in the
// Prometheus format, and the temporary store is gone after the stop.
func TestServeDemo(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	started := time.Now()
	s := startServe(t, "--demo")
	resp, err := http.Get(s.base + "/")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(started)
	t.Logf("overview answered %v after start", elapsed)
	if resp.StatusCode != http.StatusOK || strings.Count(string(page), "<svg id=\"chart-") != 3 {
		t.Errorf("overview: %d, %d charts", resp.StatusCode, strings.Count(string(page), "<svg id=\"chart-"))
	}
	if m := regexp.MustCompile(`(?i)(src|href|action)="(https?:)?//`).FindString(string(page)); m != "" {
		t.Errorf("external URL %q", m)
	}
	if !regexp.MustCompile(`<data id="total-reports" value="[1-9]\d*">`).Match(page) {
		t.Error("the demo overview shows no reports")
	}
	if !regexp.MustCompile(`demo store with [1-9]\d* generated reports`).MatchString(s.stdout.String()) {
		t.Errorf("stdout %q", s.stdout.String())
	}
	resp, err = http.Get(s.base + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(string(body), `tlsrpt_sessions_total{policy_domain="example.com",result="successful"}`) {
		t.Errorf("/metrics: %d %q\n%.500s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if code := s.wait(t); code != exitOK {
		t.Errorf("exit %d", code)
	}
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	if len(left) != 0 {
		t.Errorf("the demo store was left behind: %v", left)
	}
}

// TestServeDashboardListen puts the dashboard on its own address: the
// public address answers only the receiver.
func TestServeDashboardListen(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tlsrpt.db")
	s := startServe(t, "--db", "sqlite:"+db, "--dashboard-listen", "127.0.0.1:0")
	m := regexp.MustCompile(`dashboard on (http://[^/\s]+)/`).FindStringSubmatch(s.stdout.String())
	require.NotNil(t, m, s.stdout.String())
	dash := m[1]
	status := func(method, url string, body []byte) int {
		t.Helper()
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/tlsrpt+json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		method, url string
		want        int
	}{
		{"POST", s.base + "/tlsrpt", 200},
		{"GET", s.base + "/", 404},
		{"GET", s.base + "/api/summary", 404},
		{"GET", s.base + "/metrics", 404},
		{"GET", dash + "/", 200},
		{"GET", dash + "/api/summary", 200},
		{"GET", dash + "/metrics", 200},
		{"POST", dash + "/tlsrpt", 405},
	}
	for _, tc := range tests {
		if got := status(tc.method, tc.url, postReport("split-1")); got != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.url, got, tc.want)
		}
	}
	if code := s.wait(t); code != exitOK {
		t.Errorf("exit %d", code)
	}
	if ids := storedIDs(t, openTestStore(t, db)); len(ids) != 1 {
		t.Errorf("%d reports stored, want 1", len(ids))
	}
}
