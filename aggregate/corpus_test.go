package aggregate_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
	"github.com/go-tlsrpt/tlsrpt/internal/golden"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// maxReplay caps the sessions replayed per count, to keep the test fast.
const maxReplay = 500

// TestCorpusReplay replays every real-world report of the corpus as if
// this MTA had seen its sessions: each policy is registered, each
// failure detail recorded failed-session-count times and each success
// counted. The outcome per file (reports produced, or which policy or
// detail a producer could not send as it stands) is compared with
// testdata/corpus.golden; every report produced must pass Validate and
// the strict decoder, and keep the replayed counts.
func TestCorpusReplay(t *testing.T) {
	files := corpus.Files(t, "reports", "*.json*")
	var out strings.Builder
	for _, f := range files {
		name := filepath.Base(f)
		fmt.Fprintf(&out, "%s: %s\n", name, replay(t, f))
	}
	golden.Check(t, filepath.Join("testdata", "corpus.golden"), out.String(), *update)
}

// replay records the sessions of the report in file and returns a one-line
// outcome.
func replay(t *testing.T, file string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	in, _, err := new(report.Decoder).Decode(bytes.NewReader(data))
	if err != nil {
		return "not decoded (lenient)"
	}
	day := in.DateRange.Start.UTC().Add(time.Hour)
	a := aggregate.New(testConfig)
	var problems []string
	var wantOK, wantDetailSessions int64
	for i, pr := range in.Policies {
		id, err := a.PolicyID(pr.Policy)
		if err != nil {
			if !errors.Is(err, aggregate.ErrInvalidPolicy) {
				t.Errorf("%s: PolicyID: %v", file, err)
			}
			problems = append(problems, fmt.Sprintf("policies[%d] refused (%v)", i, err))
			continue
		}
		for range min(pr.Summary.TotalSuccessfulSessionCount, maxReplay) {
			if err := a.Record(aggregate.Session{Time: day, Policy: id}); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			wantOK++
		}
		for j, fd := range pr.FailureDetails {
			n := min(fd.FailedSessionCount, maxReplay)
			var err error
			for range n {
				if err = a.Record(aggregate.Session{Time: day, Policy: id, Failures: failuresOf(fd)}); err != nil {
					break
				}
				wantDetailSessions++
			}
			if err != nil {
				if !errors.Is(err, aggregate.ErrInvalidDetail) {
					t.Errorf("%s: Record: %v", file, err)
				}
				problems = append(problems, fmt.Sprintf("policies[%d].failure-details[%d] refused (%v)", i, j, err))
			}
		}
	}
	rs, err := a.Reports(day)
	if err != nil {
		t.Fatalf("%s: Reports: %v", file, err)
	}
	details := 0
	var gotOK, gotFailed, gotDetailSessions int64
	for _, r := range rs {
		checkReport(t, r)
		for _, p := range r.Policies {
			gotOK += p.Summary.TotalSuccessfulSessionCount
			gotFailed += p.Summary.TotalFailureSessionCount
			for _, fd := range p.FailureDetails {
				details++
				gotDetailSessions += fd.FailedSessionCount
			}
		}
	}
	// Each replayed failed session has one detail, so all three agree.
	if gotOK != wantOK || gotFailed != wantDetailSessions || gotDetailSessions != wantDetailSessions {
		t.Errorf("%s: reports count %d successful, %d failed, %d in details; replayed %d successful, %d failed",
			file, gotOK, gotFailed, gotDetailSessions, wantOK, wantDetailSessions)
	}
	outcome := fmt.Sprintf("%d report(s), %d failure detail(s)", len(rs), details)
	if len(problems) > 0 {
		slices.Sort(problems)
		outcome += "; " + strings.Join(problems, ", ")
	}
	return outcome
}
