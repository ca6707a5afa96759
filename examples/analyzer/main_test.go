package main

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestRunGolden runs the analyzer over every fixture, leniently and
// strictly, and compares stdout and stderr with golden files.
func TestRunGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "reports", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, mode := range []string{"lenient", "strict"} {
		t.Run(mode, func(t *testing.T) {
			args := files
			if mode == "strict" {
				args = append([]string{"-strict"}, files...)
			}
			var stdout, stderr bytes.Buffer
			err := run(args, &stdout, &stderr)
			if !errors.Is(err, errFailed) {
				t.Errorf("run = %v, want errFailed (truncated.json and not-a-report.eml cannot be parsed)", err)
			}
			got := stdout.String() + "--- stderr\n" + stderr.String()
			golden.Check(t, filepath.Join("testdata", mode+".golden"), got, *update)
		})
	}
}

func TestRun(t *testing.T) {
	dir := filepath.Join("testdata", "reports")
	tests := []struct {
		name       string
		args       []string
		wantErr    error
		wantOut    []string // substrings of stdout
		wantStderr []string
	}{
		{
			name:    "clean files parse in both modes",
			args:    []string{"-strict", filepath.Join(dir, "report.json"), filepath.Join(dir, "report.json.gz"), filepath.Join(dir, "mail.eml")},
			wantOut: []string{"9 × certificate-expired [tls-negotiation] mx2.example.com 198.51.100.2", "submitter reporter.example, report domain example.com"},
		},
		{
			name:    "lenient repairs are warnings",
			args:    []string{filepath.Join(dir, "quirks.json"), filepath.Join(dir, "exported-lf.eml")},
			wantOut: []string{"warning date-range.start-datetime date-time-no-zone", "warning mime:message mime-bare-lf", "6 × tlsa-invalid [dane]"},
		},
		{
			name:       "strict rejects them",
			args:       []string{"-strict", filepath.Join(dir, "quirks.json"), filepath.Join(dir, "exported-lf.eml")},
			wantErr:    errFailed,
			wantStderr: []string{"quirks.json: tlsrpt: error date-range.start-datetime", "exported-lf.eml: strict:"},
		},
		{
			name:       "one bad file fails the run, the others are still read",
			args:       []string{filepath.Join(dir, "not-a-report.eml"), filepath.Join(dir, "report.json")},
			wantErr:    errFailed,
			wantOut:    []string{"report.json:"},
			wantStderr: []string{"not-a-report.eml: mime: message contains no TLS report"},
		},
		{
			name:       "missing file",
			args:       []string{filepath.Join(dir, "none.json")},
			wantErr:    errFailed,
			wantStderr: []string{"none.json: open"},
		},
		{name: "no arguments", wantErr: errUsage, wantStderr: []string{"usage: analyzer"}},
		{name: "help", args: []string{"-h"}, wantErr: flag.ErrHelp, wantStderr: []string{"usage: analyzer"}},
		{name: "unknown flag", args: []string{"-x"}, wantErr: errors.New("any")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("run: %v\n%s", err, stderr.String())
			case tt.wantErr != nil && err == nil:
				t.Fatalf("run succeeded, want %v", tt.wantErr)
			case tt.wantErr != nil && tt.wantErr.Error() != "any" && !errors.Is(err, tt.wantErr):
				t.Fatalf("run = %v, want %v", err, tt.wantErr)
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
		})
	}
}
