package browsertest

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pages are the test site: a clean page, one that logs an error, one that
// throws, one whose promise rejects and one taller than the window.
var pages = map[string]string{
	"/clean": `<!doctype html><title>clean</title><h1>Reports</h1>
<ul><li>example.com</li><li>example.net</li></ul>
<script>console.log("loaded", 3); console.warn("just a warning")</script>`,
	"/console-error": `<!doctype html><title>console</title><h1>x</h1>
<script>console.error("chart failed:", 42)</script>`,
	"/throws": `<!doctype html><title>throws</title><h1>x</h1>
<script>function draw() { throw new TypeError("data is undefined") } draw()</script>`,
	"/rejects": `<!doctype html><title>rejects</title><h1>x</h1>
<script>Promise.reject(new Error("fetch failed"))</script>`,
	"/tall": `<!doctype html><title>tall</title><body style="margin:0">
<div style="height:3000px;background:linear-gradient(#fff,#036)">tall</div>`,
}

func site(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowser(t *testing.T) {
	srv := site(t)
	b := New(t, Options{ScreenshotDir: t.TempDir()})

	t.Run("clean page", func(t *testing.T) {
		b.Navigate(t, srv.URL+"/clean")
		if got := b.Text(t, "h1"); got != "Reports" {
			t.Errorf("Text(h1) = %q, want Reports", got)
		}
		if diff := cmp.Diff([]string{"example.com", "example.net"}, b.Texts(t, "li")); diff != "" {
			t.Errorf("Texts(li) (-want +got):\n%s", diff)
		}
		if got := b.Texts(t, "table"); len(got) != 0 {
			t.Errorf("Texts(table) = %q, want none", got)
		}
		if errs := b.Errors(); len(errs) != 0 {
			t.Errorf("errors on a clean page: %v", errs)
		}
		var levels []string
		for _, m := range b.Messages() {
			if m.Kind == "console" {
				levels = append(levels, m.Level+":"+m.Text)
			}
		}
		if diff := cmp.Diff([]string{"log:loaded 3", "warning:just a warning"}, levels); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
		b.CheckNoErrors(t)
	})

	tests := []struct {
		path string
		want Message
	}{
		{"/console-error", Message{Kind: "console", Level: "error", Text: "chart failed: 42", Line: 2}},
		{"/throws", Message{Kind: "exception", Level: "error", Text: "Uncaught TypeError: data is undefined", Line: 2}},
		{"/rejects", Message{Kind: "exception", Level: "error", Text: "Uncaught (in promise) Error: fetch failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			b.Clear() // forget the previous page's
			b.Navigate(t, srv.URL+tt.path)
			var errs []Message
			deadline := time.Now().Add(5 * time.Second)
			for len(errs) == 0 && time.Now().Before(deadline) {
				errs = b.Errors() // a rejection is reported after the load
				time.Sleep(10 * time.Millisecond)
			}
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want one", errs)
			}
			got := errs[0]
			if !strings.HasSuffix(got.URL, tt.path) {
				t.Errorf("URL = %q, want the page's", got.URL)
			}
			got.URL = ""
			if tt.want.Line == 0 {
				got.Line = 0
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			// CheckNoErrors fails the test with it.
			ft := &fakeTB{TB: t}
			b.CheckNoErrors(ft)
			if len(ft.errors) != 1 || !strings.Contains(ft.errors[0], tt.want.Text) {
				t.Errorf("CheckNoErrors reported %q, want the error", ft.errors)
			}
			if got := b.Messages(); len(got) != 0 {
				t.Errorf("messages after CheckNoErrors: %v", got)
			}
		})
	}

	t.Run("missing resource", func(t *testing.T) {
		b.Clear()
		pages["/broken-image"] = `<!doctype html><title>img</title><img src="/nothing.png">`
		defer delete(pages, "/broken-image")
		b.Navigate(t, srv.URL+"/broken-image")
		errs := b.Errors()
		if len(errs) != 1 || errs[0].Kind != "log" || !strings.Contains(errs[0].Text, "404") || !strings.HasSuffix(errs[0].URL, "/nothing.png") {
			t.Errorf("errors = %v, want the 404 of the image", errs)
		}
		b.Clear()
	})

	t.Run("eval", func(t *testing.T) {
		b.Navigate(t, srv.URL+"/clean")
		if got := Eval[int](t, b, "document.querySelectorAll('li').length + 1"); got != 3 {
			t.Errorf("Eval = %d, want 3", got)
		}
		if got := Eval[string](t, b, "Promise.resolve(document.title)"); got != "clean" {
			t.Errorf("Eval of a promise = %q, want clean", got)
		}
		b.CheckNoErrors(t)
	})

	t.Run("screenshot", func(t *testing.T) {
		b.Navigate(t, srv.URL+"/tall")
		path := b.Screenshot(t, "tall")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("%s is not a PNG", path)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Dy(); got < 3000 {
			t.Errorf("screenshot is %d px high, want the whole 3000 px page", got)
		}
		if got := img.Bounds().Dx(); got != 1280 {
			t.Errorf("screenshot is %d px wide, want 1280", got)
		}
	})
}

// fakeTB records Errorf, Fatalf and Skipf calls (without stopping).
type fakeTB struct {
	testing.TB
	errors, fatals, skips []string
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.skips = append(f.skips, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func TestIsError(t *testing.T) {
	tests := []struct {
		m    Message
		want bool
	}{
		{Message{Kind: "console", Level: "log"}, false},
		{Message{Kind: "console", Level: "warning"}, false},
		{Message{Kind: "console", Level: "error"}, true},
		{Message{Kind: "console", Level: "assert"}, true},
		{Message{Kind: "exception", Level: "error"}, true},
		{Message{Kind: "log", Level: "warning"}, false},
		{Message{Kind: "log", Level: "error", URL: "http://127.0.0.1/app.js"}, true},
		{Message{Kind: "log", Level: "error", URL: "http://127.0.0.1/favicon.ico"}, false},
	}
	for _, tt := range tests {
		if got := tt.m.IsError(); got != tt.want {
			t.Errorf("%v.IsError() = %v, want %v", tt.m, got, tt.want)
		}
	}
}

func TestNoBrowser(t *testing.T) {
	t.Setenv(EnvChromium, "/nonexistent/chromium")
	if p, err := Path(); err == nil {
		t.Errorf("Path() = %q with a missing $%s, want an error", p, EnvChromium)
	}
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		ft := &fakeTB{TB: t}
		if b := New(ft, Options{}); b != nil {
			t.Errorf("CI=%q: New returned a browser without one", ci)
		}
		got, other := ft.skips, ft.fatals
		if ci != "" {
			got, other = ft.fatals, ft.skips
		}
		if len(got) != 1 || !strings.Contains(got[0], "chromium") || len(other) != 0 {
			t.Errorf("CI=%q: skips %q, fatals %q; want one %s naming chromium", ci, ft.skips, ft.fatals, map[bool]string{true: "fatal", false: "skip"}[ci != ""])
		}
	}
}
