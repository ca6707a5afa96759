package aggregate_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// TestCapsMatchTLSRPTErrTooLarge checks that every cap of the package
// fails with an error matching tlsrpt.ErrTooLarge, the value every cap in
// the module matches, and that the *tlsrpt.Diagnostic names the cap.
func TestCapsMatchTLSRPTErrTooLarge(t *testing.T) {
	if aggregate.ErrTooLarge != tlsrpt.ErrTooLarge {
		t.Fatalf("aggregate.ErrTooLarge = %v, want the value tlsrpt.ErrTooLarge", aggregate.ErrTooLarge)
	}
	src := aggregate.New(aggregate.Config{})
	p, err := policy.NoPolicyFound("example.com")
	if err != nil {
		t.Fatal(err)
	}
	id, err := src.PolicyID(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Record(aggregate.Session{Time: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), Policy: id}); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := src.WriteSnapshot(&b); err != nil {
		t.Fatal(err)
	}
	snap := b.String()
	header, _, _ := strings.Cut(snap, "\n")
	const maxLine = 1 << 20 // the longest snapshot line, newline excluded

	tests := []struct {
		name   string
		cap    string // the cap that is exceeded
		max    int64  // Config.MaxSnapshotSize
		in     string
		reason string // in the *tlsrpt.Diagnostic's Message
	}{
		{"one byte over MaxSnapshotSize", "Config.MaxSnapshotSize", int64(len(snap) - 1), snap, "more than"},
		{"MaxSnapshotSize inside the header", "Config.MaxSnapshotSize", 10, snap, "more than 10 bytes"},
		{"line over 1 MiB", "snapshot line length", 0,
			header + "\n" + strings.Repeat("x", maxLine+1) + "\n", "line longer than"},
		{"line over 1 MiB, no newline", "snapshot line length", 0,
			header + "\n" + strings.Repeat("x", maxLine+1), "line longer than"},
		{"line of exactly 1 MiB is not the line cap", "Config.MaxSnapshotSize", int64(len(header) + 1 + maxLine),
			header + "\n" + strings.Repeat("x", maxLine) + "\n", "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := aggregate.New(aggregate.Config{MaxSnapshotSize: tt.max}).MergeSnapshot(strings.NewReader(tt.in))
			if !errors.Is(err, tlsrpt.ErrTooLarge) {
				t.Fatalf("%s: MergeSnapshot = %v, want an error matching tlsrpt.ErrTooLarge", tt.cap, err)
			}
			var d *tlsrpt.Diagnostic
			if !errors.As(err, &d) || d.Code != aggregate.CodeSnapshotTooLarge || !strings.Contains(d.Message, tt.reason) {
				t.Errorf("%s: MergeSnapshot = %v, want a %s *tlsrpt.Diagnostic whose message has %q", tt.cap, err, aggregate.CodeSnapshotTooLarge, tt.reason)
			}
			if !strings.Contains(err.Error(), "snapshot too large") {
				t.Errorf("%s: error %q does not say the snapshot is too large", tt.cap, err)
			}
		})
	}
}
