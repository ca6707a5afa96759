package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/go-tlsrpt/tlsrpt/store"
)

func init() {
	register(&verb{name: "reports", summary: "list the stored reports of a window, each with its policies and failure details", run: runReports})
}

const reportsHelp = `Usage: tlsrpt reports [flags]

List the stored reports of a window (default: the last 7 UTC days, today
included), the latest first: per report the reporter (organization-name),
the date range, the report-id, contact and trust; per policy its type,
domain, mode and successful and failed session counts; per failure detail
its result type, receiving MX host name, receiving IP, sending MTA IP and
failed session count.

The filters select reports with a matching policy, and list those
policies. Filters on failure details (--result-type, --family, --mx, --ip)
list only reports with a matching failure detail, and only those details.

Flags:
  --limit N             list at most N reports (default 50; 0: all)
  --offset N            skip the first N reports
` + dbHelp + `
--json writes store.ReportList as one JSON object (go doc
github.com/go-tlsrpt/tlsrpt/store.ReportList).

Example:
  tlsrpt reports --db sqlite:reports.db --domain example.com --result-type certificate-expired

Exit status: 0 ok; 2 usage error or no store; 3 the store failed.
`

func runReports(ctx context.Context, e *env, args []string) int {
	o := newStoreFlags("reports", 7)
	var limit, offset int
	o.fs.IntVar(&limit, "limit", 50, "")
	o.fs.IntVar(&offset, "offset", 0, "")
	st, f, pos, code := storeVerb(ctx, e, o, reportsHelp, args)
	if st == nil {
		return code
	}
	defer st.Close()
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "tlsrpt reports: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	if limit < 0 || offset < 0 {
		fmt.Fprintf(e.stderr, "tlsrpt reports: --limit and --offset must not be negative\n")
		return exitUsage
	}
	if limit == 0 {
		limit = -1
	}
	list, err := st.ListReports(ctx, f, store.Page{Limit: limit, Offset: offset})
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt reports: %v\n", err)
		return exitTemporary
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if o.json {
		writeJSONValue(out, list)
		return exitOK
	}
	writeReports(out, f, list)
	return exitOK
}

func writeReports(w io.Writer, f store.ViewFilter, l *store.ReportList) {
	fmt.Fprintf(w, "Window %s .. %s (UTC; reports selected by the day they start), the latest first\n",
		f.Since.UTC().Format(time.DateOnly), f.Until.UTC().Format(time.DateOnly))
	if len(l.Reports) == 0 {
		fmt.Fprintf(w, "No report listed (%d selected)\n", l.Total)
		return
	}
	fmt.Fprintf(w, "Reports %d-%d of %d\n", l.Offset+1, l.Offset+len(l.Reports), l.Total)
	for _, r := range l.Reports {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "Report %d from %s, %s .. %s\n", r.Key, r.OrganizationName,
			r.Start.UTC().Format(time.RFC3339), r.End.UTC().Format(time.RFC3339))
		trust := string(r.Trust)
		if trust == "" {
			trust = "not judged"
		}
		fmt.Fprintf(w, "  report-id %s, contact %s, trust %s, successful %d, failed %d\n",
			orDash(r.ReportID), orDash(r.ContactInfo), trust, r.Successful, r.Failed)
		t := newTable(w, "  POLICY", "DOMAIN", "MODE", "SUCCESSFUL", "FAILED", "RESULT TYPE", "RECEIVING MX", "RECEIVING IP", "SENDING IP")
		for _, p := range r.Policies {
			t.row("  "+string(p.Type), orDash(p.Domain), orDash(p.Mode), itoa(p.Successful), itoa(p.Failed), "-", "-", "-", "-")
			for _, fd := range p.Failures {
				t.row("", "", "", "", itoa(fd.Failed), string(fd.ResultType), orDash(fd.ReceivingMXHostname), addrOrDash(fd.ReceivingIP), addrOrDash(fd.SendingMTAIP))
			}
		}
		t.flush()
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func addrOrDash(a netip.Addr) string {
	if !a.IsValid() {
		return "-"
	}
	return a.String()
}
