// Package golden compares a test's output with a golden file under
// testdata, and rewrites the file when the test runs with -update.
//
// It is a test-helper package: only _test.go files import it
// (internal/importgraph enforces that). It defines no flag of its own:
// each test package keeps its own
//
//	var update = flag.Bool("update", false, "rewrite the golden files")
//
// and passes *update, so a package's -update keeps meaning what its own
// tests say it means.
package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Check compares got with the golden file at path and reports a
// difference with tb.Errorf as a cmp.Diff "(-want +got)". With update it
// first writes got to path, creating the file's directory when needed, so
// the comparison then passes. A golden file that cannot be read is
// tb.Fatal, with a hint to run -update. Check returns the golden file's
// content.
func Check(tb testing.TB, path, got string, update bool) string {
	tb.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		tb.Errorf("%s differs (-want +got); run go test -update if intended:\n%s", path, diff)
	}
	return string(want)
}
