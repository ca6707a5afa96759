package main

import (
	"bufio"
	"context"
	"fmt"
	"time"

	"github.com/go-tlsrpt/tlsrpt/store"
)

func init() {
	register(&verb{name: "alerts", summary: "failure-rate rises, new result types and silent reporters, from the store", run: runAlerts})
}

const alertsHelp = `Usage: tlsrpt alerts [flags]

Compare a window (default: the last 7 UTC days, today included) with the
window of the same length before it, per policy domain, and print:

  alert-failure-rate-rise (error)   the failure rate is above both twice
                                    the previous window's and the previous
                                    plus 5 percentage points, on at least
                                    --min-sessions sessions
  alert-new-result-type (warning)   a result type the previous window had
                                    not
  alert-reporter-stopped (warning)  a reporter of the previous window sent
                                    nothing in this one

Run it from cron and mail its output: the exit status says whether there
is anything to read.

Flags:
  --min-sessions N      sessions a domain needs for the rate alert (default 100)
  --factor X            rate multiplier (default 2)
  --margin PP           rate margin in percentage points (default 5)
` + dbHelp + `
--json writes the findings as a JSON array of objects with path (the
policy domain), code, severity, message and fix.

Example (from cron; exit status 1 when something needs a look):
  tlsrpt alerts --db sqlite:reports.db --days 1 --json

Exit status: 0 no finding; 1 findings; 2 usage error or no store; 3 the
store failed.
`

func runAlerts(ctx context.Context, e *env, args []string) int {
	o := newStoreFlags("alerts", 7)
	var cfg store.AlertConfig
	o.fs.Int64Var(&cfg.MinSessions, "min-sessions", 0, "")
	o.fs.Float64Var(&cfg.Factor, "factor", 0, "")
	o.fs.Float64Var(&cfg.MarginPoints, "margin", 0, "")
	st, f, pos, code := storeVerb(ctx, e, o, alertsHelp, args)
	if st == nil {
		return code
	}
	defer st.Close()
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "tlsrpt alerts: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	found, err := st.Alerts(ctx, f, cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt alerts: %v\n", err)
		return exitTemporary
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if o.json {
		type jsonFinding struct {
			Path     string `json:"path"`
			Code     string `json:"code"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
			Fix      string `json:"fix,omitempty"`
		}
		list := []jsonFinding{}
		for _, d := range found {
			list = append(list, jsonFinding{d.Path, string(d.Code), string(d.Severity), d.Message, d.Fix})
		}
		writeJSONValue(out, list)
	} else {
		fmt.Fprintf(out, "Window %s .. %s against the %d days before: %d findings\n",
			f.Since.UTC().Format(time.DateOnly), f.Until.UTC().Format(time.DateOnly), int(f.Until.Sub(f.Since).Hours()/24), len(found))
		if len(found) > 0 {
			fmt.Fprintln(out)
			t := newTable(out, "DOMAIN", "SEVERITY", "CODE", "MESSAGE")
			for _, d := range found {
				t.row(d.Path, string(d.Severity), string(d.Code), d.Message)
			}
			t.flush()
		}
	}
	if len(found) > 0 {
		return exitFailed
	}
	return exitOK
}
