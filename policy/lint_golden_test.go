package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt/internal/golden"
)

// TestLintGolden parses and lints every policy file in testdata/sts (each
// reproduces a shape seen in real policies or a common operator mistake)
// and compares the outcome with its .golden file; name.mx, when present,
// lists the domain's MX hosts one per line. go test -update rewrites the
// golden files.
func TestLintGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "sts", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, file := range files {
		base := strings.TrimSuffix(file, ".txt")
		t.Run(filepath.Base(base), func(t *testing.T) {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var mx []string
			if data, err := os.ReadFile(base + ".mx"); err == nil {
				mx = strings.Fields(string(data))
			}
			var b strings.Builder
			if p, err := ParseSTSPolicy(string(text)); err != nil {
				b.WriteString("parse: " + err.Error() + "\n")
			} else {
				b.WriteString("parse: ok\n" + strings.ReplaceAll(p.String(), "\r\n", "\n"))
			}
			b.WriteString("lint:\n")
			for _, f := range LintSTSPolicy(string(text), mx) {
				b.WriteString(f.String() + "\n")
			}
			golden.Check(t, base+".golden", b.String(), *update)
		})
	}
}
