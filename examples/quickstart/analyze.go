package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"

	"github.com/go-tlsrpt/tlsrpt/ingest"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// postbox keeps the reports POSTed to the analyzer's https rua endpoint.
type postbox struct {
	mu       sync.Mutex
	received []*ingest.Received
}

// receiver returns the analyzer's https rua endpoint (RFC 8460 §5.4).
func (p *postbox) receiver() http.Handler {
	return &ingest.Receiver{
		// Handle stores the report; an error would make the sender retry.
		Handle: func(_ context.Context, r *ingest.Received) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.received = append(p.received, r)
			return nil
		},
	}
}

func (p *postbox) all() []*ingest.Received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.received)
}

// analyze plays the analyzer: it reads the report mails that reached its
// MX host and the reports POSTed to its endpoint, and summarises each.
func analyze(ctx context.Context, w io.Writer, world *world) error {
	// RFC 8460 §3: ignore mailed reports without a valid DKIM signature by
	// the reporting domain. The Reader verifies it for each report.
	rd := &ingest.Reader{Resolver: world.dns}
	for _, m := range world.inbox.all() {
		res := rd.Read(ctx, bytes.NewReader(m.data))
		if res.Fate != ingest.FateReport {
			return fmt.Errorf("mail to %s: %s: %v", m.to, res.Fate, res.Err)
		}
		via := "by mail to " + m.to
		if m.tls {
			via += " over STARTTLS"
		}
		for _, r := range res.Reports {
			if r.Trust.Verdict != ingest.VerdictTrusted {
				fmt.Fprintf(w, "ignored a mail %s: no valid DKIM signature of submitter %s\n", via, res.Mail.Submitter)
				continue
			}
			summarize(w, r.Report, via+", DKIM pass (d="+r.Trust.Domain+")", res.Diagnostics)
		}
	}
	for _, r := range world.posts.all() {
		summarize(w, r.Report, "by HTTPS POST as "+r.ContentType, r.Warnings)
	}
	return nil
}

// summarize prints one report for people: per policy domain the sessions,
// the failure rate and the failures by result type with their meaning.
func summarize(w io.Writer, r *report.Report, via string, warnings []report.Warning) {
	var ok, failed int64
	byType := map[report.ResultType]int64{}
	domain := ""
	for _, p := range r.Policies {
		domain = p.Policy.Domain
		ok += p.Summary.TotalSuccessfulSessionCount
		failed += p.Summary.TotalFailureSessionCount
		for _, f := range p.FailureDetails {
			byType[f.ResultType] += f.FailedSessionCount
		}
	}
	fmt.Fprintf(w, "%s: report from %s for %s, arrived %s\n",
		domain, r.OrganizationName, r.DateRange.Start.Format("2006-01-02"), via)
	rate := 0.0
	if ok+failed > 0 {
		rate = 100 * float64(failed) / float64(ok+failed)
	}
	fmt.Fprintf(w, "  %d sessions, %d failed (%.1f%%)\n", ok+failed, failed, rate)
	types := slices.Collect(maps.Keys(byType))
	slices.SortFunc(types, func(a, b report.ResultType) int {
		return cmp.Or(cmp.Compare(byType[b], byType[a]), cmp.Compare(a, b))
	})
	for _, t := range types {
		fmt.Fprintf(w, "  %d × %s [%s]: %s\n", byType[t], t, t.Category(), t.Description())
		fmt.Fprintf(w, "      advice: %s\n", t.Advice())
	}
	for _, wr := range warnings {
		fmt.Fprintf(w, "  warning %s %s: %s\n", wr.Path, wr.Code, wr.Message)
	}
}
