// Package corpus locates the shared real-world corpus for tests.
//
// The corpus (reports, report mails and record strings other people
// published) is not part of this repository: it lives in ../shared/corpus
// beside the module root on the project's machines and CI. Tests that replay
// it call Dir, which skips the test cleanly on a user's clone where the
// folder is absent.
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
