// Package corpus locates the shared real-world corpus for tests.
//
// The corpus (reports, report mails and record strings other people
// published) is not part of this repository: it lives in ../shared/corpus
// beside the module root on the project's machines and CI. Tests that replay
// it call Dir or Files, which skip the test cleanly on a user's clone where
// the folder is absent.
package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the directory sub (for instance "reports", "emails" or
// "records"; "" for the corpus root) of ../shared/corpus beside the
// directory holding go.mod, searched upwards from the working directory.
// It calls tb.Skip when the folder does not exist.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("corpus: no go.mod above the working directory")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus", sub)
	if _, err := os.Stat(c); err != nil {
		tb.Skipf("corpus: %s not present (it lives beside the module on the project's machines)", c)
	}
	return c
}

// Files returns the paths of the files in Dir(tb, sub) whose names match
// pattern (filepath.Match syntax, for instance "*.eml"), in lexical order.
// It calls tb.Skip when the folder does not exist, as Dir does, and
// tb.Fatal when it exists but nothing in it matches: a corpus emptied by
// mistake must not pass as a test that checked nothing.
func Files(tb testing.TB, sub, pattern string) []string {
	tb.Helper()
	dir := Dir(tb, sub)
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		tb.Fatalf("corpus: %v", err)
	}
	if len(files) == 0 {
		tb.Fatalf("corpus: no file matches %s in %s", pattern, dir)
	}
	return files
}
