package corpus

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
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

func TestFilesMatchesPattern(t *testing.T) {
	files := Files(t, "emails", "*.eml")
	if !sort.StringsAreSorted(files) {
		t.Errorf("Files is not in lexical order: %v", files)
	}
	dir := Dir(t, "emails")
	for _, f := range files {
		if filepath.Dir(f) != dir || !strings.HasSuffix(f, ".eml") {
			t.Errorf("Files(emails, *.eml) returned %q", f)
		}
	}
	all := Files(t, "emails", "*")
	if len(all) < len(files) {
		t.Errorf("* matched %d files, *.eml %d", len(all), len(files))
	}
}

// TestFilesFailsOnNoMatch runs Files in a subtest that must fail (not
// skip) when the folder is there but nothing matches.
func TestFilesFailsOnNoMatch(t *testing.T) {
	Dir(t, "emails") // skip where the corpus is absent
	ft := &fatalRecorder{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Files(ft, "emails", "*.no-such-extension")
	}()
	<-done
	if !ft.failed {
		t.Error("Files did not fail for a pattern that matches nothing")
	}
	if ft.skipped {
		t.Error("Files skipped for a pattern that matches nothing")
	}
}

// fatalRecorder is a testing.TB whose Fatal and Skip stop only the
// goroutine that calls them and record which was called.
type fatalRecorder struct {
	*testing.T
	failed, skipped bool
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.failed = true
	runtime.Goexit()
}

func (f *fatalRecorder) Skipf(format string, args ...any) {
	f.skipped = true
	runtime.Goexit()
}

func (f *fatalRecorder) Skip(args ...any) {
	f.skipped = true
	runtime.Goexit()
}

func (f *fatalRecorder) Fatal(args ...any) {
	f.failed = true
	runtime.Goexit()
}
