package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/demo"
	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/metrics"
	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/web"
	"github.com/go-tlsrpt/tlsrpt/ingest"
	"github.com/go-tlsrpt/tlsrpt/store"
)

func init() {
	register(&verb{name: "serve", summary: "receive reports over HTTPS, poll IMAP, and serve a dashboard and JSON API over the store", run: runServe})
}

const serveHelp = `Usage: tlsrpt serve [flags]

Run the report receiver and the dashboard in one process:

  POST /tlsrpt          the https rua endpoint (RFC 8460 §5.4): a report
                        POSTed here is decoded leniently and stored, with
                        the body as received and the decoder's repairs,
                        as untrusted (HTTPS submissions are not
                        authenticated, RFC 8460 §7); 200 only once stored
  GET /                 the dashboard: overview, domains, reports
  GET /api/…            the same as JSON (summary, domains/D, reports,
                        reports/KEY, alerts)
  GET /metrics          the store's counts in the Prometheus exposition
                        format (sessions per policy domain, failed sessions
                        per result type and reporter, reports per reporter)

With --demo, serve fills a temporary store with a month of generated,
realistic reports (removed when serve stops) and shows it:
  tlsrpt serve --demo

With --imap, the mailbox is read every --poll interval as "tlsrpt ingest"
reads it, and each message is marked \Seen once its reports are stored.

On SIGINT or SIGTERM the server stops accepting connections and waits for
the requests in progress (up to 30 s): a report acknowledged with 200 is in
the store. One line per request goes to standard error; at the end one line
counts the requests' fates:
  N requests: S stored, D duplicate, R rejected, B busy, F failed

Flags:
  --listen ADDR         address to listen on (default localhost:8080;
                        :8080 for every interface)
  --db DSN              the store: sqlite:PATH (created if missing) or
                        postgres://… (postgresql:// too); default
                        sqlite:$XDG_DATA_HOME/tlsrpt/tlsrpt.db, or
                        ~/.local/share/tlsrpt/tlsrpt.db without XDG_DATA_HOME
  --dashboard-listen ADDR
                        serve the dashboard, the API and /metrics on this
                        address (plain HTTP, for localhost or a proxy with
                        access control) instead of beside the receiver,
                        which --listen then serves alone
  --tls-cert FILE       serve HTTPS with this certificate chain (PEM)...
  --tls-key FILE        ...and this private key (PEM); both or neither
  --receiver-path PATH  path of the rua endpoint (default /tlsrpt); "" turns
                        the receiver off
  --max-body BYTES      largest request body accepted (default 4 MiB)
  --imap URL            poll imap://user@host/Mailbox or imaps://… (the
                        password from $TLSRPT_IMAP_PASSWORD or the file
                        named by $TLSRPT_IMAP_PASSWORD_FILE); repeatable
  --poll DURATION       how often to poll the IMAP mailboxes (default 5m)
  --metrics-window D    /metrics counts the reports that began within D
                        before now, as gauges (default 0: every stored
                        report, as counters)
  --metrics-trust V     /metrics counts only reports of trust verdict V
                        (trusted: what anyone can POST makes no series)
  --demo                serve a temporary store filled with generated
                        reports (no --db)
  --trust-authserv ID   believe the Authentication-Results fields of
                        authserv-id ID on top of the header (repeatable)
  --no-dkim             do not verify DKIM signatures of polled mail
  -h, --help            this help

The dashboard shows every stored report to whoever reaches it: when
--listen is public for the rua, put the dashboard on --dashboard-listen
localhost:8081 (or behind a proxy with access control). Behind a
TLS-terminating proxy, listen on localhost and let the proxy answer the
HTTPS rua; the receiver bounds each request (body size, body
time, concurrent requests) but has no per-client rate limit (RFC 8460 §7).

Example:
  tlsrpt serve --db sqlite:reports.db --listen :443 \
      --tls-cert /etc/tlsrpt/cert.pem --tls-key /etc/tlsrpt/key.pem

Exit status: 0 stopped by a signal; 2 usage error; 3 the server or the
store failed.
`

// serveConfig are the flags of serve.
type serveConfig struct {
	listen, db, cert, key string
	dashboardListen       string
	receiverPath          string
	maxBody               int64
	imap, trust           stringList
	poll                  time.Duration
	noDKIM, help          bool
	metricsWindow         time.Duration
	metricsTrust          string
	demo                  bool
}

func runServe(ctx context.Context, e *env, args []string) int {
	c := serveConfig{listen: "localhost:8080", receiverPath: "/tlsrpt", poll: 5 * time.Minute}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.listen, "listen", c.listen, "")
	fs.StringVar(&c.db, "db", "", "")
	fs.StringVar(&c.dashboardListen, "dashboard-listen", "", "")
	fs.StringVar(&c.cert, "tls-cert", "", "")
	fs.StringVar(&c.key, "tls-key", "", "")
	fs.StringVar(&c.receiverPath, "receiver-path", c.receiverPath, "")
	fs.Int64Var(&c.maxBody, "max-body", 0, "")
	fs.Var(&c.imap, "imap", "")
	fs.DurationVar(&c.poll, "poll", c.poll, "")
	fs.Var(&c.trust, "trust-authserv", "")
	fs.BoolVar(&c.noDKIM, "no-dkim", false, "")
	fs.DurationVar(&c.metricsWindow, "metrics-window", 0, "")
	fs.StringVar(&c.metricsTrust, "metrics-trust", "", "")
	fs.BoolVar(&c.demo, "demo", false, "")
	fs.BoolVar(&c.help, "h", false, "")
	fs.BoolVar(&c.help, "help", false, "")
	rest, err := parseInterspersed(fs, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	if err == nil {
		err = c.check()
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt serve: %v\n\n%s", err, serveHelp)
		return exitUsage
	}
	if c.help {
		fmt.Fprint(e.stdout, serveHelp)
		return exitOK
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()

	if c.demo {
		dir, err := os.MkdirTemp("", "tlsrpt-demo-")
		if err != nil {
			fmt.Fprintf(e.stderr, "tlsrpt serve: %v\n", err)
			return exitTemporary
		}
		defer os.RemoveAll(dir)
		c.db = "sqlite:" + filepath.Join(dir, "demo.db")
	}
	db, err := openDB(c.db, true)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt serve: %v\n", err)
		if errors.Is(err, errNoStore) {
			return exitUsage
		}
		return exitTemporary
	}
	defer db.Close()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt serve: %v\n", err)
		return exitTemporary
	}
	defer st.Close()
	if c.demo {
		now := time.Now
		if e.now != nil {
			now = e.now
		}
		n, err := demo.Fill(ctx, st, demo.Options{Now: now()})
		if err != nil {
			fmt.Fprintf(e.stderr, "tlsrpt serve: --demo: %v\n", err)
			return exitTemporary
		}
		fmt.Fprintf(e.stdout, "tlsrpt serve: demo store with %d generated reports (removed at exit)\n", n)
	}
	return serve(ctx, e, &c, db, st)
}

// check rejects flag combinations that cannot work.
func (c *serveConfig) check() error {
	if (c.cert == "") != (c.key == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.dashboardListen != "" && c.receiverPath == "" {
		return errors.New("--dashboard-listen with no receiver: use --listen for the dashboard")
	}
	if c.receiverPath != "" && !strings.HasPrefix(c.receiverPath, "/") {
		return fmt.Errorf("--receiver-path %q must start with /", c.receiverPath)
	}
	if strings.ContainsAny(c.receiverPath, " \t{}?#%") {
		return fmt.Errorf("--receiver-path %q: want a plain path", c.receiverPath)
	}
	switch c.receiverPath {
	case "/", "/api", "/domains", "/reports", "/metrics":
		return fmt.Errorf("--receiver-path %q is a path of the dashboard", c.receiverPath)
	}
	if c.demo && c.db != "" {
		return errors.New("--demo serves a temporary store: leave out --db")
	}
	if c.metricsWindow < 0 {
		return errors.New("--metrics-window must not be negative")
	}
	switch store.Verdict(c.metricsTrust) {
	case "", store.VerdictTrusted, store.VerdictUntrusted, store.VerdictRetry:
	default:
		return fmt.Errorf("--metrics-trust %q: want trusted, untrusted or retry", c.metricsTrust)
	}
	if c.poll <= 0 {
		return errors.New("--poll must be positive")
	}
	for _, u := range c.imap {
		if !strings.HasPrefix(u, "imap://") && !strings.HasPrefix(u, "imaps://") {
			return fmt.Errorf("--imap %s: want imap:// or imaps://", redact(u))
		}
		if openIMAP == nil {
			return fmt.Errorf("--imap %s: %w", redact(u), errNoIMAP)
		}
		if _, err := ingest.ParseIMAPURL(u); err != nil {
			return fmt.Errorf("--imap %s: %w", redact(u), err)
		}
	}
	return nil
}

// shutdownGrace is how long a stopping server waits for the requests in
// progress.
const shutdownGrace = 30 * time.Second

// serve runs the server on st, whose database is db, until ctx ends.
func serve(ctx context.Context, e *env, c *serveConfig, db *sql.DB, st *store.Store) int {
	now := time.Now
	if e.now != nil {
		now = e.now
	}
	lg := &serveLog{w: e.stderr}
	mux := http.NewServeMux()
	var recv *receiver
	if c.receiverPath != "" {
		recv = &receiver{st: st, log: lg, now: now, rv: ingest.Receiver{MaxBodySize: c.maxBody, Now: now}}
		mux.Handle(c.receiverPath, recv)
	}
	mh, err := metrics.Handler(db, st.Dialect(), metrics.Config{Window: c.metricsWindow, Trust: store.Verdict(c.metricsTrust), Now: now})
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt serve: %v\n", err)
		return exitTemporary
	}
	// The dashboard, the API and the metrics: beside the receiver, or on
	// their own address with --dashboard-listen.
	dashMux := mux
	if c.dashboardListen != "" {
		dashMux = http.NewServeMux()
		mux.HandleFunc("/", http.NotFound)
	}
	dashMux.Handle("GET /metrics", mh)
	dash := &web.Dashboard{Store: st, Now: now, ReceiverPath: c.receiverPath, MetricsPath: "/metrics"}
	if c.dashboardListen != "" {
		dash.ReceiverPath = ""
	}
	dashMux.Handle("/", dash.Handler())

	servers := []*http.Server{newServer(mux)}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt serve: %v\n", err)
		return exitTemporary
	}
	listeners := []net.Listener{ln}
	if c.dashboardListen != "" {
		dln, err := net.Listen("tcp", c.dashboardListen)
		if err != nil {
			ln.Close()
			fmt.Fprintf(e.stderr, "tlsrpt serve: %v\n", err)
			return exitTemporary
		}
		servers = append(servers, newServer(dashMux))
		listeners = append(listeners, dln)
	}
	scheme := "http"
	if c.cert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stdout, "tlsrpt serve: listening on %s://%s/\n", scheme, ln.Addr())
	if len(listeners) > 1 {
		fmt.Fprintf(e.stdout, "tlsrpt serve: dashboard on http://%s/\n", listeners[1].Addr())
	}

	served := make(chan error, len(servers))
	for i, srv := range servers {
		go func() {
			if i == 0 && c.cert != "" {
				served <- srv.ServeTLS(listeners[i], c.cert, c.key)
			} else {
				served <- srv.Serve(listeners[i])
			}
		}()
	}

	pollCtx, stopPolling := context.WithCancel(ctx)
	var polling sync.WaitGroup
	rd := &ingest.Reader{TrustedAuthServIDs: c.trust, NoDKIM: c.noDKIM, Resolver: e.resolver, Now: e.now, MarkProcessed: true}
	for _, u := range c.imap {
		polling.Go(func() { pollIMAP(pollCtx, e, lg, st, rd, u, c.poll, now) })
	}

	code := exitOK
	select {
	case <-ctx.Done():
	case err := <-served:
		lg.printf("tlsrpt serve: %v", err)
		code = exitTemporary
	}
	stopPolling()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	var stopping sync.WaitGroup
	for _, srv := range servers {
		stopping.Go(func() {
			if err := srv.Shutdown(sctx); err != nil {
				srv.Close()
			}
		})
	}
	stopping.Wait()
	// Handlers still storing after a forced close finish before the
	// store is closed: their reports are stored, unacknowledged.
	if recv != nil {
		recv.inflight.Wait()
	}
	polling.Wait()
	if recv != nil {
		fmt.Fprintln(e.stdout, recv.counts.line())
	}
	return code
}

// newServer is an http.Server for h with the bounds the Receiver's
// documentation asks of it.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		// The Receiver's BodyTimeout (30 s): the server's deadline then
		// bounds the body and the Receiver sets no timer of its own.
		ReadTimeout:    30 * time.Second,
		WriteTimeout:   2 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 16 << 10,
	}
}

// serveLog writes log lines to standard error, one at a time.
type serveLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *serveLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}

// receiveCounts count the fates of the receiver's requests.
type receiveCounts struct {
	mu                                          sync.Mutex
	requests, stored, duplicate, rejected, busy int
	failed                                      int
}

func (c *receiveCounts) line() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("%d requests: %d stored, %d duplicate, %d rejected, %d busy, %d failed",
		c.requests, c.stored, c.duplicate, c.rejected, c.busy, c.failed)
}

// receiver is the rua endpoint: ingest.Receiver storing each report with
// the body as received.
type receiver struct {
	st       *store.Store
	log      *serveLog
	now      func() time.Time
	rv       ingest.Receiver
	once     sync.Once
	inflight sync.WaitGroup
	counts   receiveCounts
}

// request is what one request's Handle learned, for its log line.
type request struct {
	body   bytes.Buffer
	result store.PutResult
	err    error
	put    bool
}

type requestKey struct{}

// statusWriter records the status the Receiver answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (the
// Receiver sets a read deadline).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// capWriter keeps at most max bytes.
type capWriter struct {
	b   *bytes.Buffer
	max int64
}

func (c capWriter) Write(p []byte) (int, error) {
	if room := c.max - int64(c.b.Len()); room > 0 {
		c.b.Write(p[:min(int64(len(p)), room)])
	}
	return len(p), nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.inflight.Add(1)
	defer rc.inflight.Done()
	rc.once.Do(func() { rc.rv.Handle = rc.handle })
	req := &request{}
	limit := rc.rv.MaxBodySize
	if limit <= 0 {
		limit = 4 << 20
	}
	// The Receiver reads at most limit bytes (it answers 413 beyond); the
	// copy keeps what it read, the body as received.
	body := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(body, capWriter{&req.body, limit + 1}), body}
	r = r.WithContext(context.WithValue(r.Context(), requestKey{}, req))
	sw := &statusWriter{ResponseWriter: w}
	rc.rv.ServeHTTP(sw, r)

	c := &rc.counts
	c.mu.Lock()
	c.requests++
	fate := ""
	switch {
	case sw.status == http.StatusOK && req.put && req.result.Stored():
		c.stored++
		fate = req.result.String()
	case sw.status == http.StatusOK && req.put:
		c.duplicate++
		fate = req.result.String()
	case sw.status == http.StatusServiceUnavailable:
		c.busy++
		fate = "busy"
	case sw.status >= 500:
		c.failed++
		fate = "failed"
		if req.err != nil {
			fate += ": " + req.err.Error()
		}
	default:
		c.rejected++
		fate = "rejected"
	}
	c.mu.Unlock()
	rc.log.printf("tlsrpt serve: %s %s from %s: %d %s", r.Method, r.URL.Path, r.RemoteAddr, sw.status, fate)
}

// handle stores one received report (Receiver.Handle).
func (rc *receiver) handle(ctx context.Context, rcv *ingest.Received) error {
	req, _ := ctx.Value(requestKey{}).(*request)
	var raw []byte
	if req != nil {
		raw = bytes.Clone(req.body.Bytes())
	}
	host := rcv.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	res, err := rc.st.Put(ctx, store.Entry{
		Report: rcv.Report, Raw: raw, Diagnostics: rcv.Warnings,
		Trust: store.Trust{Verdict: store.VerdictUntrusted, By: "https",
			Reason: "HTTPS submissions are not authenticated (RFC 8460 §7)"},
		Source: "https:" + host, Received: rcv.Time,
	})
	if req != nil {
		req.result, req.err, req.put = res, err, err == nil
	}
	return err
}

// pollIMAP reads the mailbox at rawURL every interval until ctx ends,
// storing each report and marking each message once stored.
func pollIMAP(ctx context.Context, e *env, lg *serveLog, st *store.Store, rd *ingest.Reader, rawURL string, every time.Duration, now func() time.Time) {
	shown := redact(rawURL)
	for {
		src, err := openIMAP(ctx, rawURL)
		if err != nil {
			lg.printf("tlsrpt serve: %s: %v", shown, err)
		} else {
			rs := &markingSource{rawSource{Source: src}}
			var c ingestCounts
			stats, err := rd.Run(ctx, rs, func(r *ingest.Result) error {
				return c.put(ctx, st, r, rs.raw(r.ID), shown+"#"+r.ID, now())
			})
			rs.Close()
			c.Stats = stats
			if err != nil && ctx.Err() == nil {
				lg.printf("tlsrpt serve: %s: %v", shown, err)
			}
			if stats.Messages > 0 {
				lg.printf("tlsrpt serve: %s: %s", shown, c.line())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// markingSource is a rawSource that passes MarkProcessed on to its
// source (rawSource hides every method but Next).
type markingSource struct{ rawSource }

func (s *markingSource) MarkProcessed(ctx context.Context, id string) error {
	if m, ok := s.Source.(ingest.Marker); ok {
		return m.MarkProcessed(ctx, id)
	}
	return nil
}
