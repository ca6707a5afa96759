package main

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/output.golden")

// TestRun runs the quickstart end to end on loopback: both deliveries
// succeed, the mail's DKIM signature verifies, each failure family shows
// up, and the output is the same on every run (it is the README's first
// command, so it is also kept as a golden file).
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var first, second bytes.Buffer
	if err := run(ctx, &first); err != nil {
		t.Fatalf("run: %v\noutput so far:\n%s", err, first.String())
	}
	out := first.String()
	for _, want := range []string{
		"to mailto:tlsrpt@example.com: accepted",
		"to https://reports.example.net/v1/tlsrpt: accepted",
		"over STARTTLS, DKIM pass (d=mail.example)",
		"by HTTPS POST as application/tlsrpt+gzip",
		"[tls-negotiation]", "[mta-sts]", "[dane]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "  warning ") || strings.Contains(out, "ignored a mail") {
		t.Errorf("a report from this SDK needed repairs or was ignored:\n%s", out)
	}

	if err := run(ctx, &second); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if diff := cmp.Diff(out, second.String()); diff != "" {
		t.Errorf("output differs between runs (-first +second):\n%s", diff)
	}

	golden.Check(t, filepath.Join("testdata", "output.golden"), out, *update)
}
