package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirFindsCorpusOrSkips(t *testing.T) {
	dir := Dir(t, "reports")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("Dir returned %q that does not exist: %v", dir, err)
	}
	if filepath.Base(dir) != "reports" {
		t.Errorf("Dir(reports) = %q", dir)
	}
}

func TestDirSkipsMissingFolder(t *testing.T) {
	ok := t.Run("missing", func(t *testing.T) {
		Dir(t, "no-such-folder-in-the-corpus")
		t.Fatal("Dir did not skip for a missing folder")
	})
	if !ok {
		t.Error("subtest failed instead of skipping")
	}
}
