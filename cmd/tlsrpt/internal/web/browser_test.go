package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/demo"
	"github.com/go-tlsrpt/tlsrpt/internal/browsertest"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// EnvScreenshots names the directory where TestBrowser writes its
// screenshots; without it they go to the test's temporary directory.
const envScreenshots = "TLSRPT_TEST_SCREENSHOTS"

// browserStore is the fixture store with the demo's month of reports
// (ending on now) and, when the shared corpus is there, its reports.
func browserStore(t *testing.T) (*store.Store, int64) {
	st, hostile := fixtureStore(t)
	ctx := context.Background()
	_, err := demo.Fill(ctx, st, demo.Options{Now: now})
	require.NoError(t, err)
	dir := filepath.Join("..", "..", "..", "..", "..", "shared", "corpus", "reports")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json*"))
	if len(files) == 0 {
		t.Logf("no corpus at %s: the store holds the fixtures and the demo's reports", dir)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var dec report.Decoder
		rep, warns, err := dec.Decode(strings.NewReader(string(raw)))
		if err != nil {
			continue
		}
		_, err = st.Put(ctx, store.Entry{Report: rep, Raw: raw, Diagnostics: warns, Source: filepath.Base(f)})
		require.NoError(t, err)
	}
	return st, hostile
}

// pageNumbers reads the <data id=… value=…> elements of the page in the
// browser, with their visible text.
func pageNumbers(t *testing.T, b *browsertest.Browser) map[string][2]string {
	t.Helper()
	pairs := browsertest.Eval[[][3]string](t, b, `Array.from(document.querySelectorAll("data[id]"), e => [e.id, e.value, e.innerText])`)
	out := map[string][2]string{}
	for _, p := range pairs {
		out[p[0]] = [2]string{p[1], p[2]}
	}
	return out
}

// checkTotals compares the totals the browser shows with want.
func checkTotals(t *testing.T, b *browsertest.Browser, want store.Totals) {
	t.Helper()
	got := pageNumbers(t, b)
	for id, v := range totalsMap(want) {
		if g := got[id]; g[0] != strconv.FormatInt(v, 10) || g[1] != Num(v) {
			t.Errorf("%s: the page shows %q (value %s), the store has %d", id, g[1], g[0], v)
		}
	}
}

// checkLayout fails when the page is wider than the window (something
// did not wrap) or loaded anything from another origin.
func checkLayout(t *testing.T, b *browsertest.Browser, origin string) {
	t.Helper()
	if over := browsertest.Eval[int](t, b, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		t.Errorf("%s: the page is %d px wider than the window", browsertest.Eval[string](t, b, `location.pathname`), over)
	}
	for _, u := range browsertest.Eval[[]string](t, b, `performance.getEntriesByType("resource").map(e => e.name)`) {
		if !strings.HasPrefix(u, origin+"/") {
			t.Errorf("loaded %s from another origin", u)
		}
	}
}

// waitURL waits until the tab's URL contains want, after a form
// submission or a click.
func waitURL(t *testing.T, b *browsertest.Browser, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		href := browsertest.Eval[string](t, b, `document.readyState === "complete" ? location.href : ""`)
		if strings.Contains(href, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tab did not reach a URL with %q (at %q)", want, href)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBrowser loads every page of the dashboard in a real browser
// (Debian's chromium, headless) at a desktop and a phone width, over a
// store filled from the fixtures, the demo and the corpus: the numbers on
// screen equal the store's, a filter applied through the form narrows
// them and stays in the links, hostile report fields do not widen the
// page, nothing loads from another origin, and no page logs an error
// (a CSP violation, a failed load) or throws. Screenshots go to
// $TLSRPT_TEST_SCREENSHOTS, or the test's temporary directory.
func TestBrowser(t *testing.T) {
	st, hostile := browserStore(t)
	srv := server(t, st)
	ctx := context.Background()
	shots := os.Getenv(envScreenshots)
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			b := browsertest.New(t, browsertest.Options{Width: size.width, Height: size.height, ScreenshotDir: shots})
			shot := func(name string) {
				p := b.Screenshot(t, size.name+"-"+name)
				t.Logf("screenshot %s", p)
			}

			// Overview, default window.
			b.Navigate(t, srv.URL+"/")
			want, err := st.Summarize(ctx, store.ViewFilter{Filter: window})
			require.NoError(t, err)
			checkTotals(t, b, want.Total)
			if n := browsertest.Eval[int](t, b, `document.querySelectorAll("svg#chart-sessions g.bucket title").length`); n != 30 {
				t.Errorf("the sessions chart has %d bars with a title, want 30 days", n)
			}
			rows := b.Texts(t, "#domains tbody tr td:first-child")
			if len(rows) != len(domainRows(want.Days)) {
				t.Errorf("%d domain rows, the store has %d domains", len(rows), len(domainRows(want.Days)))
			}
			checkLayout(t, b, srv.URL)
			shot("overview")

			// A filter applied through the form.
			setReporterAndSubmit(t, b, "Google Inc.")
			waitURL(t, b, "reporter=Google+Inc.")
			f := store.ViewFilter{Filter: window}
			f.Reporter = "Google Inc."
			narrowed, err := st.Summarize(ctx, f)
			require.NoError(t, err)
			if narrowed.Total.Sessions() >= want.Total.Sessions() {
				t.Errorf("the reporter filter did not narrow: %d sessions of %d", narrowed.Total.Sessions(), want.Total.Sessions())
			}
			checkTotals(t, b, narrowed.Total)
			if chips := b.Texts(t, ".chips .chip"); len(chips) != 1 || !strings.Contains(chips[0], "Google Inc.") {
				t.Errorf("filter chips %q", chips)
			}
			shot("overview-filtered")

			// A domain link keeps the filter.
			clickFirst(t, b, `#domains a[href^="/domains/example.org"]`)
			waitURL(t, b, "/domains/example.org?")
			if href := browsertest.Eval[string](t, b, `location.search`); !strings.Contains(href, "reporter=Google+Inc.") {
				t.Errorf("the domain link lost the filter: %s", href)
			}
			f.Domain = "example.org"
			dom, err := st.Summarize(ctx, f)
			require.NoError(t, err)
			checkTotals(t, b, dom.Total)
			rd, err := st.Readiness(ctx, "example.org", window.Since, window.Until, store.ReadinessConfig{})
			require.NoError(t, err)
			if got, want := b.Text(t, "#readiness-verdict"), funcs["readinessText"].(func(store.ReadinessVerdict) string)(rd.Verdict); got != want {
				t.Errorf("readiness %q on screen, store says %q", got, want)
			}
			checkLayout(t, b, srv.URL)
			shot("domain")

			// Every policy domain's page, unfiltered.
			for _, dr := range domainRows(want.Days) {
				b.Navigate(t, srv.URL+domainPath(dr.Domain))
				f := store.ViewFilter{Filter: window}
				f.Domain = dr.Domain
				s, err := st.Summarize(ctx, f)
				require.NoError(t, err)
				checkTotals(t, b, s.Total)
				checkLayout(t, b, srv.URL)
			}
			shot("domain-hostile")

			// The reports, and the hostile report.
			b.Navigate(t, srv.URL+"/reports?days=all")
			checkLayout(t, b, srv.URL)
			shot("reports")
			b.Navigate(t, srv.URL+"/reports/"+strconv.FormatInt(hostile, 10))
			if got := b.Text(t, "#organization-name"); !strings.HasPrefix(got, `<script>alert("org")</script>WWW`) {
				t.Errorf("organization-name shows %.60q", got)
			}
			if got := pageNumbers(t, b)["report-sessions"]; got[0] != "10" {
				t.Errorf("report sessions %v, want 10", got)
			}
			if n := browsertest.Eval[int](t, b, `document.scripts.length`); n != 0 {
				t.Errorf("%d script elements on the hostile report's page", n)
			}
			checkLayout(t, b, srv.URL)
			shot("report-hostile")

			// All time, with the corpus.
			b.Navigate(t, srv.URL+"/?days=all")
			all, err := st.Summarize(ctx, store.ViewFilter{})
			require.NoError(t, err)
			checkTotals(t, b, all.Total)
			checkLayout(t, b, srv.URL)
			shot("overview-all")

			// The error page.
			b.Navigate(t, srv.URL+"/?days=zero")
			if got := b.Text(t, "h1"); got != "400 Bad Request" {
				t.Errorf("bad filter: h1 %q", got)
			}
			// The browser logs the 400 itself as a failed load.
			for _, m := range b.Messages() {
				if m.IsError() && !strings.Contains(m.Text, "400") {
					t.Errorf("browser: %s", m)
				}
			}
			b.Clear()
			b.CheckNoErrors(t)
		})
	}
}

// setReporterAndSubmit types the reporter into the filter form and
// submits it with its button, as a user does.
func setReporterAndSubmit(t *testing.T, b *browsertest.Browser, reporter string) {
	t.Helper()
	browsertest.Eval[bool](t, b, fmt.Sprintf(`(() => {
		const f = document.querySelector("form.filters");
		f.elements["reporter"].value = %s;
		f.querySelector("button[type=submit]").click();
		return true;
	})()`, strconv.Quote(reporter)))
}

// clickFirst clicks the first element matching selector.
func clickFirst(t *testing.T, b *browsertest.Browser, selector string) {
	t.Helper()
	browsertest.Eval[bool](t, b, fmt.Sprintf(`(document.querySelector(%s).click(), true)`, strconv.Quote(selector)))
}
