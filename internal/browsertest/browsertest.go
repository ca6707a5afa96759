// Package browsertest drives a real browser, Debian's chromium in headless
// mode through chromedp, for the tests of the dashboard: load a page, fail
// the test on what the page wrote to its console as an error or threw,
// read the text of elements, and take full-page screenshots.
//
//	b := browsertest.New(t, browsertest.Options{})
//	b.Navigate(t, srv.URL+"/")
//	if got := b.Text(t, "h1"); got != "Reports" { … }
//	b.Screenshot(t, "overview")
//	b.CheckNoErrors(t)
//
// New finds the browser in $TLSRPT_TEST_CHROMIUM, then as chromium,
// chromium-browser or google-chrome in $PATH, then at /usr/bin/chromium.
// When there is none the test skips, unless $CI is set: on CI a missing
// browser is a failure, not a reason to skip (.ci/run installs chromium).
// Each Browser has a fresh profile in the test's temporary directory and
// ends with the test. As root, chromium runs with --no-sandbox (chromedp
// adds it when the process runs as uid 0).
//
// One Browser may serve several subtests: the methods take the (sub)test
// they work for and call its Fatal on a browser failure, so they must run
// on that test's goroutine.
//
// This is a test-helper package: only _test.go files may import it (the
// import graph test enforces this).
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// EnvChromium names the variable that, when set, is the path of the
// browser binary to use.
const EnvChromium = "TLSRPT_TEST_CHROMIUM"

// Options configures New. The zero value is a 1280×800 window, 30 s per
// action and screenshots in the test's temporary directory.
type Options struct {
	// Width and Height are the window's size in CSS pixels; 0 means
	// 1280 and 800.
	Width, Height int
	// Timeout bounds each method's work in the browser (a navigation
	// with its load, a query); 0 means 30 s.
	Timeout time.Duration
	// ScreenshotDir is where Screenshot writes its files; "" means a
	// directory of tb.TempDir().
	ScreenshotDir string
}

// Browser is a headless chromium with one tab, for one test and its
// subtests.
type Browser struct {
	ctx  context.Context
	opts Options

	mu   sync.Mutex
	msgs []Message
}

// Message is what the page wrote to its console, an uncaught exception or
// an entry of the browser's log (a failed resource load, a CSP violation).
type Message struct {
	// Kind is "console" (a call of the console API), "exception" (thrown
	// and not caught, or an unhandled promise rejection) or "log" (the
	// browser's log).
	Kind string
	// Level is the console call ("log", "warning", "error", "assert", …)
	// or the log level ("verbose", "info", "warning", "error"); "error"
	// for exceptions.
	Level string
	// Text is the message: the console call's arguments joined by spaces,
	// the exception's text and description, or the log entry's text.
	Text string
	// URL and Line say where it came from, when the browser says; Line
	// starts at 1 (0 when unknown).
	URL  string
	Line int64
}

// IsError reports whether m makes a page broken: an exception, a
// console.error or failed console.assert, or a log entry of level error
// (a resource that failed to load), except the one about /favicon.ico,
// which the browser asks for by itself.
func (m Message) IsError() bool {
	if m.Kind == "log" && strings.HasSuffix(m.URL, "/favicon.ico") {
		return false
	}
	return m.Kind == "exception" || m.Level == "error" || m.Level == "assert"
}

// String formats m as "kind level: text (url:line)".
func (m Message) String() string {
	s := m.Kind + " " + m.Level + ": " + m.Text
	if m.URL != "" {
		s += fmt.Sprintf(" (%s:%d)", m.URL, m.Line)
	}
	return s
}

// Path returns the browser binary New uses, or an error when there is
// none (see the package documentation for where it looks).
func Path() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	return "", errors.New("browsertest: no chromium in $" + EnvChromium + ", $PATH or /usr/bin/chromium")
}

// New starts a headless browser for tb, with a fresh profile, and stops it
// when tb ends. Without a browser it skips tb, or fails it when $CI is
// set.
func New(tb testing.TB, opts Options) *Browser {
	tb.Helper()
	path, err := Path()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%v (CI is set: install Debian's chromium package, as .ci/run does)", err)
		} else {
			tb.Skipf("%v: install Debian's chromium package to run this test", err)
		}
		return nil
	}
	if opts.Width <= 0 {
		opts.Width = 1280
	}
	if opts.Height <= 0 {
		opts.Height = 800
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.ScreenshotDir == "" {
		opts.ScreenshotDir = filepath.Join(tb.TempDir(), "screenshots")
	}
	alloc := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(filepath.Join(tb.TempDir(), "profile")),
		chromedp.WindowSize(opts.Width, opts.Height),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), alloc...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: ctx, opts: opts}
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser; its life is ctx's, not the
	// start's timeout (see chromedp.NewContext).
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("browsertest: starting %s: %v", path, err)
	}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		tb.Fatalf("browsertest: listening to the console: %v", err)
	}
	return b
}

// record keeps the console events; it runs on chromedp's reading
// goroutine, so it only converts and appends.
func (b *Browser) record(ev any) {
	var m Message
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		parts := make([]string, len(ev.Args))
		for i, a := range ev.Args {
			parts[i] = objectText(a)
		}
		m = Message{Kind: "console", Level: string(ev.Type), Text: strings.Join(parts, " ")}
		if st := ev.StackTrace; st != nil && len(st.CallFrames) > 0 {
			m.URL, m.Line = st.CallFrames[0].URL, st.CallFrames[0].LineNumber+1
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		m = Message{Kind: "exception", Level: "error", Text: d.Text, URL: d.URL, Line: d.LineNumber + 1}
		if d.Exception != nil {
			desc, _, _ := strings.Cut(objectText(d.Exception), "\n    at ")
			m.Text = strings.TrimSpace(d.Text + " " + desc)
		}
	case *log.EventEntryAdded:
		e := ev.Entry
		m = Message{Kind: "log", Level: string(e.Level), Text: e.Text, URL: e.URL, Line: e.LineNumber}
		if e.LineNumber > 0 {
			m.Line = e.LineNumber + 1
		}
	default:
		return
	}
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.mu.Unlock()
}

// objectText is the console's rendering of a remote object: a string as
// it is, another primitive as JSON, an object by its description.
func objectText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if len(o.Value) > 0 {
		var s string
		if err := json.Unmarshal(o.Value, &s); err == nil {
			return s
		}
		return string(o.Value)
	}
	if o.UnserializableValue != "" {
		return string(o.UnserializableValue)
	}
	if o.Description != "" {
		return o.Description
	}
	return string(o.Type)
}

// Context returns the chromedp context of the browser's tab, for actions
// the methods do not cover: chromedp.Do(b.Context(), chromedp.Click("a")).
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs chromedp actions on the tab with the Options' timeout, and fails
// the test if one fails.
func (b *Browser) Do(tb testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
}

// Navigate loads url in the tab and waits for its load event.
func (b *Browser) Navigate(tb testing.TB, url string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		tb.Fatalf("browsertest: navigating to %s: %v", url, err)
	}
}

// Text returns the visible text (innerText) of the first element matching
// the CSS selector, waiting for one to be present.
func (b *Browser) Text(tb testing.TB, selector string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.Timeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		tb.Fatalf("browsertest: text of %q: %v", selector, err)
	}
	return s
}

// Texts returns the visible text (innerText) of every element matching
// the CSS selector, in document order, without waiting: none is an empty
// slice.
func (b *Browser) Texts(tb testing.TB, selector string) []string {
	tb.Helper()
	sel, err := json.Marshal(selector)
	if err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	return Eval[[]string](tb, b, "Array.from(document.querySelectorAll("+string(sel)+"), e => e.innerText)")
}

// Eval evaluates the JavaScript expression in the page and returns its
// value decoded as T (awaiting a promise), failing the test on an
// exception.
func Eval[T any](tb testing.TB, b *Browser, expression string) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("browsertest: evaluating %s: %v", expression, err)
	}
	return v
}

// Screenshot writes a PNG of the whole page, beyond the window's height,
// to name.png in the Options' ScreenshotDir and returns its path.
func (b *Browser) Screenshot(tb testing.TB, name string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(b.opts.ScreenshotDir, 0o755); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	path := filepath.Join(b.opts.ScreenshotDir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	return path
}

// Messages returns everything recorded since New, in the order the browser
// sent it.
func (b *Browser) Messages() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Message(nil), b.msgs...)
}

// Errors returns the recorded messages for which IsError is true.
func (b *Browser) Errors() []Message {
	var out []Message
	for _, m := range b.Messages() {
		if m.IsError() {
			out = append(out, m)
		}
	}
	return out
}

// Clear forgets the messages recorded so far.
func (b *Browser) Clear() {
	b.mu.Lock()
	b.msgs = nil
	b.mu.Unlock()
}

// CheckNoErrors fails tb (without stopping it) once per error recorded
// since New or the last Clear or CheckNoErrors, and forgets the messages.
func (b *Browser) CheckNoErrors(tb testing.TB) {
	tb.Helper()
	b.mu.Lock()
	msgs := b.msgs
	b.msgs = nil
	b.mu.Unlock()
	for _, m := range msgs {
		if m.IsError() {
			tb.Errorf("browser: %s", m)
		}
	}
}
