package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	stdmime "mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/report"
)

const (
	// defaultMaxBodySize is Receiver.MaxBodySize when zero: 4 MiB. Real
	// gzip reports are a few KiB.
	defaultMaxBodySize = 4 << 20
	// defaultBodyTimeout is Receiver.BodyTimeout when zero.
	defaultBodyTimeout = 30 * time.Second
	// defaultMaxConcurrent is Receiver.MaxConcurrent when zero.
	defaultMaxConcurrent = 4
	// busyWait is how long a request waits for a decode slot before 503.
	busyWait = time.Second
	// busyRetryAfter is the Retry-After of a 503, in seconds (RFC 9110
	// §10.2.3 delay-seconds).
	busyRetryAfter = "60"
)

// The media types of RFC 8460 §6.4 and §6.5.
const (
	mediaTypeGzip = "application/tlsrpt+gzip"
	mediaTypeJSON = "application/tlsrpt+json"
)

// Received is one report received over HTTPS, with the facts of the
// request that carried it. HTTPS submissions are not authenticated
// (RFC 8460 §7): every field is as the client sent it.
type Received struct {
	// Report is the decoded report.
	Report *report.Report
	// Warnings lists what the lenient decoder repaired, plus the
	// Receiver's own warnings about the request (paths are empty; codes
	// CodeMediaTypeMismatch, CodeMediaTypeMissing, CodeContentEncoding).
	Warnings []report.Warning
	// RemoteAddr is the http.Request's RemoteAddr (no proxy headers are
	// interpreted).
	RemoteAddr string
	// ContentType is the Content-Type header as sent.
	ContentType string
	// UserAgent is the User-Agent header as sent.
	UserAgent string
	// Time is when the request was received.
	Time time.Time
	// Size is the number of body bytes read.
	Size int64
	// Compressed reports whether the body was gzip.
	Compressed bool
}

// Receiver is an http.Handler for an https rua endpoint (RFC 8460 §5.4):
// it accepts POSTed reports, decodes them leniently and hands them to
// Handle. It answers 200 only after Handle returned nil; see the package
// documentation for every status it uses. The zero value rejects every
// report with 500 (no Handle); set Handle. MaxConcurrent is read at the
// first request; a copy of the Receiver made after it shares its slots.
type Receiver struct {
	// Handle stores or processes a received report. A non-nil error makes
	// the Receiver answer 500 so that the sender retries (RFC 8460 §5.5).
	// It is called concurrently from many requests.
	Handle func(ctx context.Context, r *Received) error
	// MaxBodySize caps the request body in bytes, enforced while reading;
	// larger bodies get 413. Zero means 4 MiB.
	MaxBodySize int64
	// MaxReportSize caps the decompressed report (report.Decoder.MaxSize).
	// Zero means the decoder's default.
	MaxReportSize int64
	// BodyTimeout bounds reading the body (set as a read deadline through
	// http.ResponseController); a slower body gets 408. Zero means 30
	// seconds, negative means no deadline from the Receiver. When the
	// http.Server's ReadTimeout is set and at most BodyTimeout, it already
	// bounds the body and the Receiver sets no deadline of its own (one
	// timer less per request, and the server's tighter limit stays).
	BodyTimeout time.Duration
	// MaxConcurrent caps how many requests the Receiver works on at once,
	// from the first read of the body until Handle returns, and so its
	// memory: a small gzip body can decode into a large report (a 40 KB
	// body of 300,000 minimal failure details allocates about 80 MiB; a
	// report at the default MaxReportSize up to about 120 MiB). A request
	// that finds every slot taken waits for one for up to a second, or
	// until its context ends, and is then answered 503 Service
	// Unavailable with Retry-After: 60 (RFC 9110 §15.6.4, §10.2.3), which
	// senders retry (RFC 8460 §5.5); its body is not read. A slow body
	// holds its slot for up to BodyTimeout. Zero means 4; negative means
	// no limit.
	MaxConcurrent int
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time

	// sem holds the chan struct{} semaphore of MaxConcurrent once the
	// first request has created it (atomic.Value has no lock to copy).
	sem atomic.Value
}

// ServeHTTP implements http.Handler.
func (rv *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now
	if rv.Now != nil {
		now = rv.Now
	}
	received := now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		plain(w, http.StatusMethodNotAllowed, "only POST is accepted (RFC 8460 §5.4)")
		return
	}
	max := rv.MaxBodySize
	if max <= 0 {
		max = defaultMaxBodySize
	}
	if r.ContentLength > max {
		plain(w, http.StatusRequestEntityTooLarge, "request body larger than "+strconv.FormatInt(max, 10)+" bytes")
		return
	}
	var warnings []report.Warning
	ctype := r.Header.Get("Content-Type")
	mediaType := parseMediaType(ctype)
	if ctype == "" {
		warnings = append(warnings, report.Warning{Code: CodeMediaTypeMissing, Severity: tlsrpt.SeverityWarning, Message: "no Content-Type; format sniffed from the body"})
	}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		// QUIRK(unknown HTTP senders): gzip as a transfer coding instead of
		// the entity (RFC 8460 §5.4). The decoder sniffs gzip, so the
		// bytes decode the same; say so.
		warnings = append(warnings, report.Warning{Code: CodeContentEncoding, Severity: tlsrpt.SeverityWarning, Message: "Content-Encoding: " + enc + " used; the gzip report should be the entity itself"})
	default:
		plain(w, http.StatusUnsupportedMediaType, "unsupported Content-Encoding "+strconv.Quote(enc))
		return
	}

	// RFC 8460 §7: rua endpoints can be flooded. Bound the work in
	// progress before reading a byte of the body.
	sem, ok := rv.acquire(r.Context())
	if !ok {
		w.Header().Set("Retry-After", busyRetryAfter)
		plain(w, http.StatusServiceUnavailable, "too many reports being received; retry later")
		return
	}
	if sem != nil {
		defer func() { <-sem }()
	}

	timeout := rv.BodyTimeout
	if timeout == 0 {
		timeout = defaultBodyTimeout
	}
	if timeout > 0 && !serverBoundsBody(r, timeout) {
		// Best effort: not every ResponseWriter supports deadlines.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
	}
	bs := bodyStates.Get().(*bodyState)
	defer bs.release()
	counter := &bs.counter
	counter.r = http.MaxBytesReader(w, r.Body, max)
	br := bs.reader()
	kind, src, sniffErr := sniffBody(br)
	if sniffErr != nil {
		bodyError(w, sniffErr, max)
		return
	}
	labelled := labelKind(mediaType)
	switch {
	case kind == kindUnknown && mediaType != "" && !claimsReport(mediaType):
		// Decision: sniff first; 415 only when the body is neither gzip
		// nor JSON-looking and the label does not claim a report either.
		plain(w, http.StatusUnsupportedMediaType, "expected "+mediaTypeGzip+" or "+mediaTypeJSON+", got "+strconv.Quote(mediaType))
		return
	case kind == kindUnknown:
		plain(w, http.StatusBadRequest, "body is neither gzip nor JSON")
		return
	case mediaType != "" && kind != labelled || mediaType != "" && !isTLSRPTType(mediaType):
		warnings = append(warnings, report.Warning{Code: CodeMediaTypeMismatch, Severity: tlsrpt.SeverityWarning,
			Message: "Content-Type " + strconv.Quote(mediaType) + " but the body is " + kind.String()})
	}

	dec := report.Decoder{MaxSize: rv.MaxReportSize}
	rep, decWarnings, err := dec.Decode(src)
	if err != nil {
		if errors.Is(err, report.ErrTooLarge) {
			plain(w, http.StatusRequestEntityTooLarge, "report larger than the decompressed size limit")
			return
		}
		if counter.err != nil {
			bodyError(w, counter.err, max)
			return
		}
		plain(w, http.StatusBadRequest, "undecodable report: "+err.Error())
		return
	}
	// Read to EOF so that a body cut short or over the cap is noticed even
	// when the decoder stopped early (a gzip report is read to EOF by the
	// decoder already).
	if !counter.eof {
		if _, err := io.Copy(io.Discard, br); err != nil {
			bodyError(w, err, max)
			return
		}
	}
	if d := usable(rep); d != nil {
		plain(w, http.StatusBadRequest, "not a usable report: "+d.Message)
		return
	}
	if rv.Handle == nil {
		plain(w, http.StatusInternalServerError, "receiver has no handler; report not stored")
		return
	}
	rc := &Received{
		Report:      rep,
		Warnings:    append(warnings, decWarnings...),
		RemoteAddr:  r.RemoteAddr,
		ContentType: ctype,
		UserAgent:   r.UserAgent(),
		Time:        received,
		Size:        counter.n,
		Compressed:  kind == kindGzip,
	}
	if err := rv.Handle(r.Context(), rc); err != nil {
		// The sender keeps the report and retries (RFC 8460 §5.5). The
		// error text is the application's and is not sent to a stranger.
		plain(w, http.StatusInternalServerError, "report not stored; retry later")
		return
	}
	// RFC 8460 §5.4: a successful (2XX) code is the answer. No body: it would
	// cost a few µs per report (its header fields and write) for nobody.
	w.WriteHeader(http.StatusOK)
}

// acquire takes a slot of MaxConcurrent, waiting up to busyWait for one
// while ctx lasts. It reports whether it got one, and returns the
// semaphore to give it back to (receive once), nil when there is no
// limit. A timer is made only when every slot is taken.
func (rv *Receiver) acquire(ctx context.Context) (sem chan struct{}, ok bool) {
	sem = rv.slots()
	if sem == nil {
		return nil, true
	}
	select {
	case sem <- struct{}{}:
		return sem, true
	default:
	}
	// Blocked senders on a channel are served in arrival order, so that
	// waiters get slots before later arrivals.
	t := time.NewTimer(busyWait)
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return sem, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// slots returns the semaphore of MaxConcurrent, created by the first
// request, or nil for no limit.
func (rv *Receiver) slots() chan struct{} {
	if sem, ok := rv.sem.Load().(chan struct{}); ok {
		return sem
	}
	n := rv.MaxConcurrent
	if n == 0 {
		n = defaultMaxConcurrent
	}
	if n < 0 {
		return nil
	}
	sem := make(chan struct{}, n)
	if rv.sem.CompareAndSwap(nil, sem) {
		return sem
	}
	return rv.sem.Load().(chan struct{})
}

// bodyError answers a failed body read: 413 over the cap, 408 on a read
// timeout, 400 otherwise.
func bodyError(w http.ResponseWriter, err error, max int64) {
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		plain(w, http.StatusRequestEntityTooLarge, "request body larger than "+strconv.FormatInt(max, 10)+" bytes")
	case errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded):
		plain(w, http.StatusRequestTimeout, "request body too slow")
	default:
		plain(w, http.StatusBadRequest, "reading request body failed")
	}
}

// serverBoundsBody reports whether the http.Server serving r already ends
// reading the request within timeout: its ReadTimeout covers the whole
// request, body included, from before the header is read. A deadline of
// the Receiver's own would then cost a timer (and a wake-up of the
// network poller) per request for nothing, and, being later, would loosen
// the server's.
func serverBoundsBody(r *http.Request, timeout time.Duration) bool {
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	return srv != nil && srv.ReadTimeout > 0 && srv.ReadTimeout <= timeout
}

// plain writes a short text/plain answer: msg and a line feed.
func plain(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	// One allocation for both values (Header.Set makes one slice each);
	// the keys are in canonical form.
	v := &[2]string{"text/plain; charset=utf-8", "nosniff"}
	h["Content-Type"] = v[0:1:1]
	h["X-Content-Type-Options"] = v[1:2:2]
	w.WriteHeader(status)
	io.WriteString(w, msg)
	io.WriteString(w, "\n")
}

// parseMediaType returns the media type of a Content-Type value, lower
// case and without parameters; "" for an empty value. The two registered
// types as sent by most senders are returned as they are, without
// mime.ParseMediaType's allocations; a value it rejects is cut at the
// first ';'.
func parseMediaType(ctype string) string {
	switch ctype {
	case "", mediaTypeGzip, mediaTypeJSON:
		return ctype
	}
	mt, _, err := stdmime.ParseMediaType(ctype)
	if err != nil {
		mt, _, _ = strings.Cut(ctype, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}

// bodyState is the per-request reading state of a Receiver: the byte
// counter and the sniffing buffer, reused through bodyStates.
type bodyState struct {
	counter countingReader
	br      *bufio.Reader
}

// sniffBufferSize is the size of the buffer a body is sniffed through.
const sniffBufferSize = 512

// bodyStates caches bodyStates between requests: a sync.Pool is a cache,
// not state a caller can observe (each request takes a state no other
// request holds, and release leaves nothing of the request in it), so the
// package keeps no mutable state in the sense of the API guidelines.
var bodyStates = sync.Pool{New: func() any { return new(bodyState) }}

// reader returns the sniffing buffer reset to read from the counter.
func (bs *bodyState) reader() *bufio.Reader {
	if bs.br == nil {
		bs.br = bufio.NewReaderSize(&bs.counter, sniffBufferSize)
	} else {
		bs.br.Reset(&bs.counter)
	}
	return bs.br
}

// release empties bs and puts it back into bodyStates.
func (bs *bodyState) release() {
	bs.counter = countingReader{}
	bs.br.Reset(nil)
	bodyStates.Put(bs)
}

// countingReader counts bytes, remembers the first read error and whether
// r ended (io.EOF) before any error.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
	eof bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	switch {
	case err == nil:
	case err == io.EOF:
		c.eof = c.err == nil
	case c.err == nil:
		c.err = err
	}
	return n, err
}

// bodyKind is what a body looks like.
type bodyKind int

const (
	kindUnknown bodyKind = iota
	kindGzip
	kindJSON
)

func (k bodyKind) String() string {
	switch k {
	case kindGzip:
		return "gzip"
	case kindJSON:
		return "JSON"
	}
	return "unknown"
}

// sniffBody peeks at the start of the body: gzip magic 1f 8b (RFC 1952), or
// '{' after an optional UTF-8 byte order mark and any amount of white
// space (RFC 8259 §2 allows any). It returns the reader to decode from:
// br itself, or, when the white space outgrew br's buffer, br past it,
// behind the byte order mark if there was one (so that the decoder still
// warns about it). The white space is skipped by reading br, so it counts
// against the body cap and costs no more than br's buffer.
//
// A read error is returned unless the body already showed '{' or the gzip
// magic, even after some bytes: a body that stalls after 0x1f or a
// partial BOM timed out (408, which senders retry; RFC 9110 §15.5.9) or
// ran over the cap (413), it did not prove to be neither gzip nor JSON
// (400).
func sniffBody(br *bufio.Reader) (bodyKind, io.Reader, error) {
	head, err := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		return kindGzip, br, nil
	}
	if err != nil && err != io.EOF {
		return kindUnknown, nil, err
	}
	var src io.Reader = br
	for first := true; ; first = false {
		// Short only with an error: EOF or a failed read.
		head, err = br.Peek(br.Size())
		ws := head
		if first {
			ws = bytes.TrimPrefix(ws, utf8BOM)
		}
		rest := bytes.TrimLeft(ws, " \t\r\n")
		switch {
		case len(rest) > 0 && rest[0] == '{':
			return kindJSON, src, nil
		case err != nil && err != io.EOF:
			return kindUnknown, nil, err
		case len(rest) > 0 || err == io.EOF:
			return kindUnknown, nil, nil
		}
		// A full buffer of white space: skip it. The decoder's offsets
		// then start after it.
		if first && len(ws) < len(head) {
			src = io.MultiReader(bytes.NewReader(utf8BOM), br)
		}
		if _, err := br.Discard(len(head)); err != nil {
			return kindUnknown, nil, err
		}
	}
}

// labelKind maps a media type to the format it announces.
func labelKind(mt string) bodyKind {
	switch mt {
	case mediaTypeGzip, "application/gzip", "application/x-gzip":
		return kindGzip
	case mediaTypeJSON, "application/json", "text/json":
		return kindJSON
	case "application/tlsrpt", "application/octet-stream", "text/plain":
		// QUIRK(RFC 8460 §5.3.1 example re-typed by stalwart): the bare
		// "application/tlsrpt"; generic types say nothing either way.
		return kindUnknown
	}
	return kindUnknown
}

// claimsReport reports whether mt says the body is a report (so an
// undecodable body is a bad request rather than the wrong media type).
func claimsReport(mt string) bool {
	return labelKind(mt) != kindUnknown || mt == "application/tlsrpt"
}

// isTLSRPTType reports whether mt is one of the two registered types.
func isTLSRPTType(mt string) bool { return mt == mediaTypeGzip || mt == mediaTypeJSON }
