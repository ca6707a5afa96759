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

// TestLintGolden pins the full text of every diagnostic (messages and
// fixes) for the inputs of lintCodes and lintSets, in testdata/lint.golden.
func TestLintGolden(t *testing.T) {
	var b strings.Builder
	write := func(txts []string) {
		for i, txt := range txts {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Quote(txt))
		}
		b.WriteByte('\n')
		for _, d := range Lint(txts...) {
			b.WriteString("\t")
			b.WriteString(d.String())
			b.WriteByte('\n')
		}
	}
	for _, tt := range lintCodes {
		write([]string{tt.in})
	}
	for _, tt := range lintSets {
		b.WriteString("set " + tt.name + ": ")
		write(tt.txts)
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
