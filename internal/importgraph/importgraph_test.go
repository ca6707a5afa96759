package importgraph

import (
	"fmt"
	"go/build"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/go-tlsrpt/tlsrpt"

// allowedSiblings lists, for each package of the module (path relative to
// the module root), the module packages its non-test files may import.
// Packages under internal/ may be imported by anyone and import only the
// standard library and golang.org/x/net (checked separately).
// The root package "." holds the shared vocabulary and is a leaf.
var allowedSiblings = map[string][]string{
	".":         {},
	"dnsrecord": {"."},
	"policy":    {"."},
	"report":    {".", "policy"},
	"aggregate": {".", "report", "policy"},
	"mime":      {".", "report", "policy"},
	"submit":    {".", "report", "mime", "dnsrecord", "policy"},
	"store":     {".", "report", "policy"},
	"ingest":    {".", "report", "mime", "policy"},
}

// allowedThirdParty lists the import path prefixes outside the standard
// library and the module that library code may use (the README's
// "Dependencies"). Tests may also use go-cmp and testify.
var allowedThirdParty = []string{
	"golang.org/x/net/",
	"golang.org/x/text/",
	"github.com/go-json-experiment/json/",
	"github.com/emersion/go-msgauth/",
	"github.com/emersion/go-smtp",
	"github.com/emersion/go-sasl",
	"github.com/emersion/go-imap/v2/",
}

// pureStdlib lists, for packages that must do no network or TLS work
// (report is model and codec only: "no TLS, no SMTP, no I/O beyond
// io.Reader/io.Writer"), the standard library imports their non-test
// files may not use.
var pureStdlib = map[string][]string{
	"report": {"crypto/tls", "crypto/x509", "net", "net/http", "net/smtp", "syscall", "os"},
}

// cmdOnlyThirdParty lists the dependencies only the command (cmd/…) may
// use: SQL drivers and the metrics client (a library that imports
// aggregate does not compile a database engine it did not ask for).
// prometheus/common and client_model come with client_golang; the
// metrics tests parse the exposition format with them.
var cmdOnlyThirdParty = []string{
	"modernc.org/sqlite",
	"github.com/jackc/pgx/v5/",
	"github.com/prometheus/client_golang/",
	"github.com/prometheus/common/",
	"github.com/prometheus/client_model/",
}

// testOnlyThirdParty may be imported by tests (and by the test-helper
// packages below), never by library code: the SQL drivers are linked by
// whoever runs the store (cmd/, examples, tests), so that a library user
// does not compile a database engine it did not ask for.
var testOnlyThirdParty = []string{
	"github.com/google/go-cmp/",
	"github.com/stretchr/testify/",
	"modernc.org/sqlite",
	"github.com/jackc/pgx/v5",
	"github.com/chromedp/chromedp",
	"github.com/chromedp/cdproto/",
}

// testHelpers are internal packages made for tests: they may import
// testOnlyThirdParty in their non-test files, and only test files may
// import them. internal/browsertest drives chromium through chromedp for
// the dashboard's tests.
var testHelpers = map[string]bool{
	"internal/dbtest":      true,
	"internal/browsertest": true,
}

func TestImportGraph(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		if path != root {
			// A directory with its own go.mod (bench/) is another module,
			// outside this one's graph, as it is for go vet ./... and
			// go test ./....
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			t.Errorf("%s: %v", path, err)
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		for _, p := range problems(rel, pkg) {
			t.Error(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for want := range allowedSiblings {
		if !seen[want] {
			t.Logf("package %s not present yet", want)
		}
	}
}

// problems returns every import of pkg (at rel) that breaks the graph.
func problems(rel string, pkg *build.Package) []string {
	var out []string
	errorf := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	isExample := rel == "examples" || strings.HasPrefix(rel, "examples/")
	isInternal := strings.HasPrefix(rel, "internal/")
	// The command may import any package of the module; nothing but the
	// command imports the command's packages.
	isCmd := rel == "cmd" || strings.HasPrefix(rel, "cmd/")
	allowed, known := allowedSiblings[rel]
	if !known && !isExample && !isInternal && !isCmd {
		errorf("package %s is not in the design's package graph; add it to allowedSiblings on purpose", rel)
	}
	check := func(imports []string, test bool) {
		for _, imp := range imports {
			switch {
			case imp == module || strings.HasPrefix(imp, module+"/"):
				target := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
				if target == "" {
					target = "."
				}
				if strings.HasPrefix(target, "examples") {
					errorf("%s imports %s: nothing may import the examples", rel, imp)
					continue
				}
				if target == "cmd" || strings.HasPrefix(target, "cmd/") {
					// The command's own packages (cmd/tlsrpt/internal/…)
					// are for the command alone.
					if !isCmd {
						errorf("%s imports %s: nothing outside the command may import it", rel, imp)
					}
					continue
				}
				if testHelpers[target] && !test && !isExample && !testHelpers[rel] {
					errorf("%s imports %s: test-helper packages are for _test.go files only", rel, imp)
					continue
				}
				if isExample || isCmd || strings.HasPrefix(target, "internal/") {
					continue
				}
				if test && target == rel {
					continue // external test package of the same package
				}
				if isInternal {
					errorf("%s imports %s: internal packages import no public package", rel, imp)
					continue
				}
				if !contains(allowed, target) && !(test && testMayImport(rel, target)) {
					errorf("%s imports %s: not allowed by the package graph (allowed: %v)", rel, imp, allowed)
				}
			case isStdlib(imp):
				if !test && contains(pureStdlib[rel], imp) {
					errorf("%s imports %s: the package does no network, TLS or file I/O", rel, imp)
				}
			default:
				if isExample {
					continue
				}
				testOnly := (test || testHelpers[rel]) && hasPrefix(testOnlyThirdParty, imp)
				ok := hasPrefix(allowedThirdParty, imp) || testOnly || (isCmd && hasPrefix(cmdOnlyThirdParty, imp))
				if isInternal && !strings.HasPrefix(imp, "golang.org/x/net/") && !testOnly {
					ok = false
				}
				if !ok {
					errorf("%s imports %s: dependency not in the README's list (add it there with its reason)", rel, imp)
				}
			}
		}
	}
	check(pkg.Imports, false)
	check(pkg.TestImports, true)
	check(pkg.XTestImports, true)
	return out
}

// testMayImport allows tests to use packages further down the graph (for
// instance report's tests may build a policy), but never upward.
func testMayImport(rel, target string) bool {
	return contains(allowedSiblings[rel], target)
}

func isStdlib(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func contains(list []string, s string) bool {
	i := sort.SearchStrings(sorted(list), s)
	l := sorted(list)
	return i < len(l) && l[i] == s
}

func sorted(list []string) []string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return out
}

func hasPrefix(prefixes []string, s string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) || s == strings.TrimSuffix(p, "/") {
			return true
		}
	}
	return false
}

func TestProblemsCatchesUpwardImports(t *testing.T) {
	tests := []struct {
		name, rel string
		pkg       build.Package
		want      int
	}{
		{name: "report imports submit", rel: "report", pkg: build.Package{Imports: []string{module + "/submit"}}, want: 1},
		{name: "policy imports report", rel: "policy", pkg: build.Package{Imports: []string{module + "/report"}}, want: 1},
		{name: "report test imports mime", rel: "report", pkg: build.Package{XTestImports: []string{module + "/mime"}}, want: 1},
		{name: "library imports testify", rel: "mime", pkg: build.Package{Imports: []string{"github.com/stretchr/testify/require"}}, want: 1},
		{name: "internal imports x/text", rel: "internal/domain", pkg: build.Package{Imports: []string{"golang.org/x/text/cases"}}, want: 1},
		{name: "unknown package", rel: "util", pkg: build.Package{}, want: 1},
		{name: "report imports crypto/tls", rel: "report", pkg: build.Package{Imports: []string{"crypto/tls"}}, want: 1},
		{name: "report test imports net/http", rel: "report", pkg: build.Package{TestImports: []string{"net/http"}}, want: 0},
		{name: "root imports policy", rel: ".", pkg: build.Package{Imports: []string{module + "/policy"}}, want: 1},
		{name: "policy imports root", rel: "policy", pkg: build.Package{Imports: []string{module}}, want: 0},
		{name: "submit imports mime", rel: "submit", pkg: build.Package{Imports: []string{module + "/mime", "net/http"}}, want: 0},
		{name: "test uses testify", rel: "mime", pkg: build.Package{TestImports: []string{"github.com/stretchr/testify/require"}}, want: 0},
		{name: "library imports sqlite", rel: "store", pkg: build.Package{Imports: []string{"modernc.org/sqlite"}}, want: 1},
		{name: "library imports pgx", rel: "store", pkg: build.Package{Imports: []string{"github.com/jackc/pgx/v5/stdlib"}}, want: 1},
		{name: "store test uses sqlite and dbtest", rel: "store", pkg: build.Package{TestImports: []string{"modernc.org/sqlite", module + "/internal/dbtest"}}, want: 0},
		{name: "library imports dbtest", rel: "store", pkg: build.Package{Imports: []string{module + "/internal/dbtest"}}, want: 1},
		{name: "dbtest links the drivers", rel: "internal/dbtest", pkg: build.Package{Imports: []string{"modernc.org/sqlite", "github.com/jackc/pgx/v5/stdlib"}}, want: 0},
		{name: "other internal links a driver", rel: "internal/corpus", pkg: build.Package{Imports: []string{"modernc.org/sqlite"}}, want: 1},
		{name: "store imports report", rel: "store", pkg: build.Package{Imports: []string{module + "/report", module + "/policy", module}}, want: 0},
		{name: "report imports store", rel: "report", pkg: build.Package{Imports: []string{module + "/store"}}, want: 1},
		{name: "example imports anything", rel: "examples/quickstart", pkg: build.Package{Imports: []string{module + "/submit", "example.org/x"}}, want: 0},
		{name: "ingest imports mime", rel: "ingest", pkg: build.Package{Imports: []string{module + "/mime", module + "/report", "github.com/emersion/go-msgauth/authres"}}, want: 0},
		{name: "ingest imports submit", rel: "ingest", pkg: build.Package{Imports: []string{module + "/submit"}}, want: 1},
		{name: "cmd imports any package", rel: "cmd/tlsrpt", pkg: build.Package{Imports: []string{module + "/ingest", module + "/submit", module + "/dnsrecord", "modernc.org/sqlite"}}, want: 0},
		{name: "cmd imports an unlisted dependency", rel: "cmd/tlsrpt", pkg: build.Package{Imports: []string{"example.org/x"}}, want: 1},
		{name: "library imports cmd", rel: "ingest", pkg: build.Package{Imports: []string{module + "/cmd/tlsrpt"}}, want: 1},
		{name: "library test imports cmd", rel: "mime", pkg: build.Package{XTestImports: []string{module + "/cmd/tlsrpt"}}, want: 1},
		{name: "cmd uses the metrics client", rel: "cmd/tlsrpt/internal/metrics", pkg: build.Package{Imports: []string{"github.com/prometheus/client_golang/prometheus"}, TestImports: []string{"github.com/prometheus/common/expfmt"}}, want: 0},
		{name: "library uses the metrics client", rel: "store", pkg: build.Package{Imports: []string{"github.com/prometheus/client_golang/prometheus"}}, want: 1},
		{name: "browsertest drives chromedp", rel: "internal/browsertest", pkg: build.Package{Imports: []string{"github.com/chromedp/chromedp", "github.com/chromedp/cdproto/runtime"}}, want: 0},
		{name: "dashboard test uses browsertest", rel: "cmd/tlsrpt/internal/web", pkg: build.Package{TestImports: []string{module + "/internal/browsertest", "github.com/chromedp/chromedp"}}, want: 0},
		{name: "command imports browsertest", rel: "cmd/tlsrpt/internal/web", pkg: build.Package{Imports: []string{module + "/internal/browsertest"}}, want: 1},
		{name: "command imports chromedp", rel: "cmd/tlsrpt", pkg: build.Package{Imports: []string{"github.com/chromedp/chromedp"}}, want: 1},
		{name: "other internal drives chromedp", rel: "internal/corpus", pkg: build.Package{Imports: []string{"github.com/chromedp/chromedp"}}, want: 1},
		{name: "internal imports cmd", rel: "internal/corpus", pkg: build.Package{Imports: []string{module + "/cmd/tlsrpt"}}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := problems(tt.rel, &tt.pkg); len(got) != tt.want {
				t.Errorf("problems(%s) = %q, want %d", tt.rel, got, tt.want)
			}
		})
	}
}
