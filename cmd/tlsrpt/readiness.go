package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/store"
)

func init() {
	register(&verb{name: "readiness", summary: "whether a domain's MTA-STS policy can move from testing to enforce, from the store", run: runReadiness})
}

const readinessHelp = `Usage: tlsrpt readiness [flags] DOMAIN

Tell whether DOMAIN's MTA-STS policy could move to mode enforce, from the
stored reports of a window (default: the last 30 UTC days, today
included): the sessions that would have failed under enforce (MTA-STS
failures, and TLS negotiation failures on MX hosts the policy covers), from
which reporters and MX hosts, with advice, and how many reporters, sessions
and days the evidence rests on.

Verdicts: ready; not-ready (blockers); not-enough-data (fewer than
--min-reporters reporters, --min-sessions sessions or --min-days days);
enforcing (the policy is in enforce already: the blockers are the sessions
being refused).

Flags:
  --min-reporters N     distinct reporters needed (default 3)
  --min-sessions N      sessions needed (default 1000)
  --min-days N          UTC days with reports needed (default 7)
` + dbHelp + `
Only --db, the window and --json apply (the filter flags are refused);
DOMAIN is the policy domain.
--json writes store.Readiness as one JSON object (go doc
github.com/go-tlsrpt/tlsrpt/store.Readiness).

Example:
  tlsrpt readiness --db postgres://tlsrpt@db.example.net/tlsrpt example.com

Exit status: 0 ready or enforcing; 1 not ready or not enough data; 2 usage
error or no store; 3 the store failed.
`

func runReadiness(ctx context.Context, e *env, args []string) int {
	o := newStoreFlags("readiness", 30)
	o.windowOnly = true
	var cfg store.ReadinessConfig
	o.fs.IntVar(&cfg.MinReporters, "min-reporters", 0, "")
	o.fs.Int64Var(&cfg.MinSessions, "min-sessions", 0, "")
	o.fs.IntVar(&cfg.MinDays, "min-days", 0, "")
	st, f, pos, code := storeVerb(ctx, e, o, readinessHelp, args)
	if st == nil {
		return code
	}
	defer st.Close()
	if len(pos) != 1 {
		fmt.Fprintf(e.stderr, "tlsrpt readiness: want one DOMAIN\n\n%s", readinessHelp)
		return exitUsage
	}
	r, err := st.Readiness(ctx, pos[0], f.Since, f.Until, cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt readiness: %v\n", err)
		return exitTemporary
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if o.json {
		writeJSONValue(out, r)
	} else {
		writeReadiness(out, r)
	}
	if r.Verdict == store.ReadyForEnforce || r.Verdict == store.Enforcing {
		return exitOK
	}
	return exitFailed
}

func writeReadiness(w io.Writer, r *store.Readiness) {
	mode := r.Mode
	if mode == "" {
		mode = "(no sts policy reported)"
	}
	fmt.Fprintf(w, "Domain %s, window %s .. %s, mode %s\n", r.Domain,
		r.Since.UTC().Format(time.DateOnly), r.Until.UTC().Format(time.DateOnly), mode)
	fmt.Fprintf(w, "Verdict: %s\n", r.Verdict)
	fmt.Fprintf(w, "Evidence: %d reporters (need %d), %d sessions (need %d), %d days (need %d)\n",
		r.Reporters, r.Config.MinReporters, r.Sessions, r.Config.MinSessions, r.Days, r.Config.MinDays)
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "Not enough: %s\n", strings.Join(r.Missing, ", "))
	}
	if len(r.Blockers) == 0 {
		return
	}
	what := "would fail under enforce"
	if r.Verdict == store.Enforcing {
		what = "refused"
	}
	fmt.Fprintf(w, "\n%d sessions %s:\n", r.Failed, what)
	t := newTable(w, "RESULT TYPE", "SESSIONS", "MX", "REPORTERS")
	for _, b := range r.Blockers {
		mx := strings.Join(b.MX, ",")
		if mx == "" {
			mx = "-"
		}
		t.row(string(b.ResultType), itoa(b.Sessions), mx, strings.Join(b.Reporters, ","))
	}
	t.flush()
	fmt.Fprintln(w)
	for _, b := range r.Blockers {
		fmt.Fprintf(w, "%s: %s\n", b.ResultType, b.Advice)
	}
}
