package mime

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt"
)

// codeConsts returns the exported Code* constants declared in the file
// name of the package: value -> constant name, and the values in order.
func codeConsts(t *testing.T, fset *token.FileSet, name string) (map[string]string, []string) {
	t.Helper()
	f, err := parser.ParseFile(fset, name, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{} // value -> name
	var values []string
	for _, decl := range f.Decls {
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
	return consts, values
}

// docTable returns the first column of the table in the section heading
// of the package documentation (doc.go): the rows after the line whose
// first two words are col1 and col2, up to the first blank line.
func docTable(t *testing.T, fset *token.FileSet, heading, col1, col2 string) []string {
	t.Helper()
	f, err := parser.ParseFile(fset, "doc.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(f.Doc.Text(), heading)
	if !ok {
		t.Fatalf("doc.go has no %s section", heading)
	}
	var rows []string
	inTable := false
	for _, line := range strings.Split(table, "\n") {
		fields := strings.Fields(line)
		switch {
		case !inTable && len(fields) >= 2 && fields[0] == col1 && fields[1] == col2:
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
	return rows
}

// checkTable compares the constants' values with a table's rows.
func checkTable(t *testing.T, what string, values, rows []string) {
	t.Helper()
	values = slices.Clone(values)
	slices.Sort(values)
	sortedRows := slices.Clone(rows)
	slices.Sort(sortedRows)
	if diff := cmp.Diff(values, sortedRows); diff != "" {
		t.Errorf("doc.go %s table vs Code* constants (-constants +table):\n%s", what, diff)
	}
	if len(slices.Compact(slices.Clone(sortedRows))) != len(rows) {
		t.Errorf("doc.go %s table lists a code twice: %q", what, rows)
	}
}

// identsIn returns the Code* identifiers used in the named files of the
// package, each surrounded by spaces.
func identsIn(t *testing.T, fset *token.FileSet, names ...string) string {
	t.Helper()
	src := ""
	for _, name := range names {
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
	return src
}

// TestWarningCodeTable checks that the warning table of the package
// documentation (doc.go) lists exactly the exported Code* constants of
// codes.go, and that every code is used by the parser and produced by a
// fixture of testdata/parse.
func TestWarningCodeTable(t *testing.T) {
	fset := token.NewFileSet()
	consts, values := codeConsts(t, fset, "codes.go")
	rows := docTable(t, fset, "# Warning codes", "code", "deviation")
	checkTable(t, "warning", values, rows)

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
	src := identsIn(t, fset, "parse.go", "entity.go", "extract.go", "facts.go")
	for _, name := range consts {
		if !strings.Contains(src, " "+name+" ") {
			t.Errorf("%s is never used by the parser", name)
		}
	}
}

// TestErrorCodeTable checks that the error code table of the package
// documentation (doc.go) lists exactly the exported Code* constants of
// errors.go, that no error code is also a warning code, and that every
// error code is returned by the package's code and checked by the limits,
// parse or write tests.
func TestErrorCodeTable(t *testing.T) {
	fset := token.NewFileSet()
	consts, values := codeConsts(t, fset, "errors.go")
	if len(consts) == 0 {
		t.Fatal("errors.go declares no Code* constants")
	}
	rows := docTable(t, fset, "# Error codes", "code", "refused")
	checkTable(t, "error code", values, rows)

	warnings, _ := codeConsts(t, fset, "codes.go")
	for v, name := range consts {
		if w, dup := warnings[v]; dup {
			t.Errorf("error code %s and warning code %s share %q", name, w, v)
		}
	}

	src := identsIn(t, fset, "errors.go", "parse.go", "entity.go", "extract.go", "verify.go", "write.go", "dkim.go")
	tests := identsIn(t, fset, "limits_test.go", "parse_test.go", "write_test.go")
	for _, name := range consts {
		if strings.Count(src, " "+name+" ") < 2 { // its declaration and a use
			t.Errorf("%s is never returned", name)
		}
		if !strings.Contains(tests, " "+name+" ") {
			t.Errorf("%s is not checked by limits_test.go, parse_test.go or write_test.go", name)
		}
	}
}

// asCode returns the first *tlsrpt.Diagnostic in err's tree with the code.
func asCode(err error, code tlsrpt.Code) (*tlsrpt.Diagnostic, bool) {
	for err != nil {
		var d *tlsrpt.Diagnostic
		if !errors.As(err, &d) {
			return nil, false
		}
		if d.Code == code {
			return d, true
		}
		err = d.Err
	}
	return nil, false
}
