package report

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docTableRow matches a row of the code table in doc.go that names a code:
// a tab, the code, then at least two spaces. Continuation rows start with
// spaces and do not match.
var docTableRow = regexp.MustCompile(`^//\t([a-z0-9-]+)  +\S`)

// TestDocCodeTable checks that the table of codes in doc.go lists exactly
// the exported Code* constants, in declaration order, so the manual cannot
// drift from the code.
func TestDocCodeTable(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var inTable bool
	var table []string
	for _, line := range strings.Split(string(doc), "\n") {
		if !inTable {
			inTable = strings.HasPrefix(line, "//\tcode ") && strings.Contains(line, "repair")
			continue
		}
		if !strings.HasPrefix(line, "//\t") {
			break
		}
		if m := docTableRow.FindStringSubmatch(line); m != nil {
			table = append(table, m[1])
		}
	}
	if len(table) == 0 {
		t.Fatal("no code table found in doc.go")
	}

	// The constants, read from the source so that a new one cannot be
	// forgotten here either.
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var consts []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Code") || !id.IsExported() || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Errorf("%s: %s is not a string literal", name, id.Name)
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					consts = append(consts, v)
				}
			}
		}
	}
	if diff := cmp.Diff(consts, table); diff != "" {
		t.Errorf("doc.go code table does not match the Code* constants (-constants +table):\n%s", diff)
	}
}
