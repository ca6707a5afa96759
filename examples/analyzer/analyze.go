package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// analyzeFile reads one file and prints its summary and warnings to w.
func analyzeFile(w io.Writer, name string, strict bool) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()

	if strings.HasSuffix(strings.ToLower(name), ".eml") {
		var p mime.Parser // the zero Parser has the documented limits
		msg, err := p.Parse(f)
		if err != nil {
			return err
		}
		if strict && len(msg.Warnings) > 0 {
			wr := msg.Warnings[0]
			return fmt.Errorf("strict: %d deviations, the first at %s: %s (%s)", len(msg.Warnings), wr.Path, wr.Message, wr.Code)
		}
		fmt.Fprintf(w, "%s: mail from %s, submitter %s, report domain %s\n", name, msg.From, msg.Submitter, msg.ReportDomain)
		for _, r := range msg.Reports {
			printReport(w, r)
		}
		printWarnings(w, msg.Warnings)
		return nil
	}

	// JSON or gzip: the Decoder sniffs the gzip magic number.
	d := report.Decoder{Strict: strict}
	r, warnings, err := d.Decode(f)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s:\n", name)
	printReport(w, r)
	printWarnings(w, warnings)
	return nil
}

// printReport prints each policy's sessions and failure rate, and each
// failure with the meaning of its result type.
func printReport(w io.Writer, r *report.Report) {
	fmt.Fprintf(w, "  report %s from %s <%s>, %s to %s\n", r.ReportID, r.OrganizationName, r.ContactInfo,
		r.DateRange.Start.Format(time.RFC3339), r.DateRange.End.Format(time.RFC3339))
	explained := map[report.ResultType]bool{}
	for _, p := range r.Policies {
		ok, failed := p.Summary.TotalSuccessfulSessionCount, p.Summary.TotalFailureSessionCount
		rate := 0.0
		if ok+failed > 0 {
			rate = 100 * float64(failed) / float64(ok+failed)
		}
		fmt.Fprintf(w, "  policy %s %s: %d sessions, %d failed (%.1f%%)\n", p.Policy.Type, p.Policy.Domain, ok+failed, failed, rate)
		for _, f := range p.FailureDetails {
			fmt.Fprintf(w, "    %d × %s [%s]", f.FailedSessionCount, f.ResultType, f.ResultType.Category())
			for _, s := range []string{f.ReceivingMXHostname, ip(f.ReceivingIP), f.FailureReasonCode} {
				if s != "" {
					fmt.Fprintf(w, " %s", s)
				}
			}
			fmt.Fprintln(w)
			if !explained[f.ResultType] {
				explained[f.ResultType] = true
				fmt.Fprintf(w, "        %s\n", f.ResultType.Description())
			}
		}
	}
}

// ip returns a's text, or "" for the zero Addr (absent in the report).
func ip(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// printWarnings prints what the lenient decoders repaired.
func printWarnings(w io.Writer, warnings []report.Warning) {
	for _, wr := range warnings {
		path := wr.Path
		if path == "" {
			path = "(report)"
		}
		fmt.Fprintf(w, "  warning %s %s: %s\n", path, wr.Code, wr.Message)
	}
}
