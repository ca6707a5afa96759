package mime

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWarningCodeTable checks that the warning table of the package
// documentation (doc.go) lists exactly the exported Code* constants, and
// that every code is used by the parser and produced by a fixture of
// testdata/parse.
func TestWarningCodeTable(t *testing.T) {
	fset := token.NewFileSet()
	pkgFiles := map[string]*ast.File{}
	for _, name := range []string{"doc.go", "codes.go"} {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		pkgFiles[name] = f
	}

	// The constants and their values.
	consts := map[string]string{} // value -> name
	var values []string
	for _, decl := range pkgFiles["codes.go"].Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !n.IsExported() || !strings.HasPrefix(n.Name, "Code") {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s is not a string literal", n.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				if prev, dup := consts[v]; dup {
					t.Errorf("%s and %s share the code %q", prev, n.Name, v)
				}
				consts[v] = n.Name
				values = append(values, v)
			}
		}
	}

	// The table rows of the package documentation: the lines after the
	// "code  deviation  seen from" heading, up to the first blank line.
	doc := pkgFiles["doc.go"].Doc.Text()
	_, table, ok := strings.Cut(doc, "# Warning codes")
	if !ok {
		t.Fatal("doc.go has no # Warning codes section")
	}
	var rows []string
	inTable := false
	for _, line := range strings.Split(table, "\n") {
		fields := strings.Fields(line)
		switch {
		case !inTable && len(fields) >= 2 && fields[0] == "code" && fields[1] == "deviation":
			inTable = true
		case inTable && len(fields) == 0:
			inTable = false
		case inTable:
			rows = append(rows, fields[0])
			if len(fields) < 2 {
				t.Errorf("table row %q has no description", line)
			}
		}
		if !inTable && len(rows) > 0 {
			break
		}
	}
	slices.Sort(values)
	sortedRows := slices.Clone(rows)
	slices.Sort(sortedRows)
	if diff := cmp.Diff(values, sortedRows); diff != "" {
		t.Errorf("doc.go warning table vs Code* constants (-constants +table):\n%s", diff)
	}
	if len(slices.Compact(slices.Clone(sortedRows))) != len(rows) {
		t.Errorf("doc.go warning table lists a code twice: %q", rows)
	}

	// Every code has a fixture in testdata/parse that produces it.
	fixtured := map[string]bool{}
	for _, tt := range parseTests {
		for _, c := range tt.codes {
			fixtured[string(c)] = true
		}
	}
	for v, name := range consts {
		if !fixtured[v] {
			t.Errorf("%s (%q) has no fixture in parseTests", name, v)
		}
	}

	// Every code is emitted somewhere in the package's code.
	src := ""
	for _, name := range []string{"parse.go", "entity.go", "extract.go", "facts.go"} {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && strings.HasPrefix(id.Name, "Code") {
				src += " " + id.Name + " "
			}
			return true
		})
	}
	for _, name := range consts {
		if !strings.Contains(src, " "+name+" ") {
			t.Errorf("%s is never used by the parser", name)
		}
	}
}
