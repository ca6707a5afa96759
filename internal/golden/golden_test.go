package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Errorf and Fatal instead of
// failing the test; Fatal stops only the goroutine that calls it.
type recorder struct {
	*testing.T
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatal(args ...any) { r.fatal = true; runtime.Goexit() }

func (r *recorder) Fatalf(format string, args ...any) { r.fatal = true; runtime.Goexit() }

// run calls Check with a recorder in its own goroutine.
func run(t *testing.T, path, got string, update bool) (*recorder, string) {
	r := &recorder{T: t}
	var want string
	done := make(chan struct{})
	go func() {
		defer close(done)
		want = Check(r, path, got, update)
	}()
	<-done
	return r, want
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "out.golden")

	// No golden file yet: fatal.
	if r, _ := run(t, path, "a\n", false); !r.fatal {
		t.Error("missing golden file did not fail")
	}
	// -update writes it (and its directory); the check passes.
	if r, want := run(t, path, "a\nb\n", true); r.fatal || len(r.errors) != 0 || want != "a\nb\n" {
		t.Errorf("update: fatal %v, errors %q, want %q", r.fatal, r.errors, want)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a\nb\n" {
		t.Errorf("golden file %q, %v", b, err)
	}
	// The same output passes.
	if r, _ := run(t, path, "a\nb\n", false); r.fatal || len(r.errors) != 0 {
		t.Errorf("same output: fatal %v, errors %q", r.fatal, r.errors)
	}
	// Other output fails with a diff naming the file, and leaves it.
	r, want := run(t, path, "a\nc\n", false)
	if r.fatal || len(r.errors) != 1 {
		t.Fatalf("other output: fatal %v, errors %q", r.fatal, r.errors)
	}
	if !strings.Contains(r.errors[0], path) || !strings.Contains(r.errors[0], "-want +got") || want != "a\nb\n" {
		t.Errorf("error %q, want %q", r.errors[0], want)
	}
	if b, _ := os.ReadFile(path); string(b) != "a\nb\n" {
		t.Errorf("a failed check changed the golden file to %q", b)
	}
}
