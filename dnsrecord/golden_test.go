package dnsrecord

import (
	"flag"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt/internal/golden"
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
	golden.Check(t, filepath.Join("testdata", "lint.golden"), got, *update)
}
