package dnsrecord

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestLintGolden pins the full text of every finding (messages and
// fixes) for the inputs of lintCodes, in testdata/lint.golden.
func TestLintGolden(t *testing.T) {
	var b strings.Builder
	for _, tt := range lintCodes {
		b.WriteString(strconv.Quote(tt.in))
		b.WriteByte('\n')
		for _, f := range Lint(tt.in) {
			b.WriteString("\t")
			b.WriteString(f.String())
			b.WriteByte('\n')
		}
	}
	got := b.String()
	path := filepath.Join("testdata", "lint.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestLintGolden -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("Lint output differs from %s (-want +got):\n%s", path, diff)
	}
}
