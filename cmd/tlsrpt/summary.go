package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/go-tlsrpt/tlsrpt/store"
)

func init() {
	register(&verb{name: "summary", summary: "sessions and failure rates per domain and day from the store, with breakdowns and trend", run: runSummary})
}

const summaryHelp = `Usage: tlsrpt summary [flags]

Summarize the stored reports of a window (default: the last 7 UTC days,
today included): totals and failure rate, the previous window of the same
length for a trend, per day and policy domain, then breakdowns by result
type, family, reporter, policy (type/mode), and the most failing receiving
MX hosts and sending IPs (10 each).

Filters on failure details (--result-type, --family, --mx, --ip) narrow
the failed counts; successful sessions, which have no result type or MX
in a report, stay those of the selected policies.

Flags:
` + dbHelp + `
--json writes store.Summary as one JSON object (go doc
github.com/go-tlsrpt/tlsrpt/store.Summary).

Example:
  tlsrpt summary --db sqlite:reports.db --domain example.com --days 30

Exit status: 0 ok; 2 usage error or no store; 3 the store failed.
`

func runSummary(ctx context.Context, e *env, args []string) int {
	o := newStoreFlags("summary", 7)
	st, f, pos, code := storeVerb(ctx, e, o, summaryHelp, args)
	if st == nil {
		return code
	}
	defer st.Close()
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "tlsrpt summary: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	sum, err := st.Summarize(ctx, f)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt summary: %v\n", err)
		return exitTemporary
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if o.json {
		writeJSONValue(out, sum)
		return exitOK
	}
	writeSummary(out, sum)
	return exitOK
}

func writeSummary(w io.Writer, s *store.Summary) {
	fmt.Fprintf(w, "Window %s .. %s (UTC; reports counted on the day they start)\n",
		s.Since.UTC().Format(time.DateOnly), s.Until.UTC().Format(time.DateOnly))
	fmt.Fprintf(w, "Reports %d, sessions %d, successful %d, failed %d, failure rate %s\n",
		s.Total.Reports, s.Total.Sessions(), s.Total.Successful, s.Total.Failed, rate(s.Total.Failed, s.Total.Sessions()))
	if p := s.Previous; p != nil {
		trend := "-"
		if p.Sessions() > 0 && s.Total.Sessions() > 0 {
			trend = fmt.Sprintf("%+.2f pp", 100*(s.Total.FailureRate()-p.FailureRate()))
		}
		fmt.Fprintf(w, "Previous window: reports %d, sessions %d, failed %d, failure rate %s; trend %s\n",
			p.Reports, p.Sessions(), p.Failed, rate(p.Failed, p.Sessions()), trend)
	}
	if len(s.Days) > 0 {
		fmt.Fprintln(w)
		t := newTable(w, "DAY", "DOMAIN", "REPORTS", "SUCCESSFUL", "FAILED", "RATE", "MULTI-DAY")
		for _, d := range s.Days {
			t.row(d.Day, d.Domain, itoa(d.Reports), itoa(d.Successful), itoa(d.Failed), rate(d.Failed, d.Sessions()), itoa(d.MultiDay))
		}
		t.flush()
	}
	failures := func(title string, cs []store.Count) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintln(w)
		t := newTable(w, title, "REPORTS", "FAILED")
		for _, c := range cs {
			key := c.Key
			if key == "" {
				key = "(none)"
			}
			t.row(key, itoa(c.Reports), itoa(c.Failed))
		}
		t.flush()
	}
	sessions := func(title string, cs []store.Count) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintln(w)
		t := newTable(w, title, "REPORTS", "SUCCESSFUL", "FAILED", "RATE")
		for _, c := range cs {
			t.row(c.Key, itoa(c.Reports), itoa(c.Successful), itoa(c.Failed), rate(c.Failed, c.Sessions()))
		}
		t.flush()
	}
	failures("RESULT TYPE", s.ByResultType)
	failures("FAMILY", s.ByCategory)
	sessions("REPORTER", s.ByReporter)
	sessions("POLICY", s.ByPolicy)
	failures("RECEIVING MX", s.ByMX)
	failures("SENDING IP", s.BySendingIP)
}
