package apidoc

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

const module = "github.com/go-tlsrpt/tlsrpt"

// libraries are the module's library packages (directories relative to the
// module root; "." is the root package tlsrpt). Each must have at least one
// Example.
var libraries = []string{".", "dnsrecord", "policy", "report", "mime", "aggregate", "submit", "ingest", "store"}

// skippedTopDirs are directories under the module root that hold no
// library API: bench is a module of its own, examples and cmd are
// programs. Their Example functions are still checked for "// Output:".
var skippedTopDirs = map[string]bool{"bench": true, "examples": true, "cmd": true}

// A violation is one breach of the documentation standard.
type violation struct {
	pos  token.Position // Filename relative to the module root
	name string         // "Type", "Func", "Type.Method", "Type.Field", "package", "ExampleX"
	msg  string
}

func (v violation) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", v.pos.Filename, v.pos.Line, v.name, v.msg)
}

// pkg is one directory's parsed package.
type pkg struct {
	dir   string // relative to the module root, "." for the root
	name  string // package name of the non-test files
	files []*ast.File
	tests []*ast.File // _test.go files, both the package and its _test package
}

// moduleRoot walks up from the working directory to the go.mod of module.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			sc := bufio.NewScanner(f)
			found := false
			for sc.Scan() {
				if strings.TrimSpace(sc.Text()) == "module "+module {
					found = true
					break
				}
			}
			f.Close()
			if found {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of %s above the working directory", module)
		}
		dir = parent
	}
}

// loadPackages parses every directory of the module holding .go files,
// except bench/ (its own module), testdata and hidden directories. The
// returned fset positions use file names relative to root.
func loadPackages(t *testing.T, root string) (*token.FileSet, []*pkg) {
	t.Helper()
	fset := token.NewFileSet()
	var pkgs []*pkg
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		base := d.Name()
		if rel != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata" || rel == "bench") {
			return filepath.SkipDir
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		p := &pkg{dir: rel}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
				continue
			}
			src, err := os.ReadFile(filepath.Join(path, e.Name()))
			if err != nil {
				return err
			}
			name := e.Name()
			if rel != "." {
				name = rel + "/" + name
			}
			f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
			if err != nil {
				return err
			}
			if strings.HasSuffix(e.Name(), "_test.go") {
				p.tests = append(p.tests, f)
				continue
			}
			p.files = append(p.files, f)
			p.name = f.Name.Name
		}
		if len(p.files) > 0 || len(p.tests) > 0 {
			pkgs = append(pkgs, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fset, pkgs
}

// isAPI reports whether the package at dir is part of the public API:
// not internal, not under a skipped top directory, not a command.
func (p *pkg) isAPI() bool {
	if len(p.files) == 0 || p.name == "main" {
		return false
	}
	for _, elem := range strings.Split(p.dir, "/") {
		if elem == "internal" {
			return false
		}
	}
	top, _, _ := strings.Cut(p.dir, "/")
	return !skippedTopDirs[top]
}

func isLibrary(dir string) bool {
	for _, l := range libraries {
		if l == dir {
			return true
		}
	}
	return false
}

// recvTypeName returns the name of a method receiver's base type.
func recvTypeName(expr ast.Expr) string {
	for {
		switch e := expr.(type) {
		case *ast.StarExpr:
			expr = e.X
		case *ast.ParenExpr:
			expr = e.X
		case *ast.IndexExpr:
			expr = e.X
		case *ast.IndexListExpr:
			expr = e.X
		case *ast.Ident:
			return e.Name
		default:
			return ""
		}
	}
}

// embeddedName returns the field name of an embedded field's type.
func embeddedName(expr ast.Expr) string {
	switch e := expr.(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name
	default:
		return recvTypeName(expr)
	}
}

// docText returns the text of a doc comment without comment markers and
// directives, trimmed; "" when there is none.
func docText(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return strings.TrimSpace(g.Text())
}

// startsWithName reports whether doc starts with name as a whole word
// (optionally after "A", "An" or "The" when articles is set), or is a
// deprecation note.
func startsWithName(text, name string, articles bool) bool {
	if strings.HasPrefix(text, "Deprecated:") {
		return true
	}
	if articles {
		for _, a := range []string{"A ", "An ", "The "} {
			if rest, ok := strings.CutPrefix(text, a); ok && startsWithName(strings.TrimLeft(rest, " "), name, false) {
				return true
			}
		}
	}
	rest, ok := strings.CutPrefix(text, name)
	if !ok {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return rest == "" || !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
}

// startsWithAny reports whether text starts with one of names, as
// startsWithName with articles allowed (a field's doc may name the fields
// it documents together: "Since and Until bound the window").
func startsWithAny(text string, names []string) bool {
	for _, name := range names {
		if startsWithName(text, name, true) {
			return true
		}
	}
	return false
}

// checkDoc reports a missing doc comment, or one that does not start with
// name.
func checkDoc(out *[]violation, fset *token.FileSet, pos token.Pos, key, name, kind string, g *ast.CommentGroup, articles bool) {
	text := docText(g)
	p := fset.Position(pos)
	switch {
	case text == "":
		*out = append(*out, violation{p, key, fmt.Sprintf("exported %s has no doc comment", kind)})
	case !startsWithName(text, name, articles):
		first, _, _ := strings.Cut(text, "\n")
		*out = append(*out, violation{p, key, fmt.Sprintf("doc comment of %s does not start with %q: %q", kind, name, first)})
	}
}

// mentions reports whether text names name as a whole word.
func mentions(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		j += i
		before, _ := utf8.DecodeLastRuneInString(text[:j])
		after, _ := utf8.DecodeRuneInString(text[j+len(name):])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		i = j + len(name)
	}
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// checkFields reports the exported fields, at any depth of anonymous
// struct types, of the exported type typeName that have neither a doc
// comment nor a line comment. A field without its own comment is also
// documented when it is in a run of fields (no blank line between them)
// whose first field's doc comment names it, as in
//
//	// Since and Until bound the window.
//	Since time.Time
//	Until time.Time
func checkFields(out *[]violation, fset *token.FileSet, typeName string, typ ast.Expr) {
	ast.Inspect(typ, func(n ast.Node) bool {
		st, ok := n.(*ast.StructType)
		if !ok {
			return true
		}
		runDoc, prevEnd := "", 0 // the doc of the current run of fields, the line its last field ends
		for _, f := range st.Fields.List {
			start := fset.Position(f.Pos()).Line
			if f.Doc != nil {
				start = fset.Position(f.Doc.Pos()).Line
			}
			own := docText(f.Doc)
			switch {
			case own != "":
				runDoc = own
			case start > prevEnd+1:
				runDoc = "" // a blank line ends the run
			}
			prevEnd = fset.Position(f.End()).Line
			names := make([]string, 0, len(f.Names))
			for _, id := range f.Names {
				names = append(names, id.Name)
			}
			if len(f.Names) == 0 {
				names = append(names, embeddedName(f.Type))
			}
			if own != "" && ast.IsExported(names[0]) && !startsWithAny(own, names) {
				first, _, _ := strings.Cut(own, "\n")
				*out = append(*out, violation{fset.Position(f.Pos()), typeName + "." + names[0], fmt.Sprintf("doc comment of struct field does not start with %q: %q", strings.Join(names, `" or "`), first)})
			}
			documented := own != "" || docText(f.Comment) != ""
			for _, name := range names {
				if ast.IsExported(name) && !documented && !mentions(runDoc, name) {
					*out = append(*out, violation{fset.Position(f.Pos()), typeName + "." + name, "exported struct field has no doc or line comment (nor is it named by the doc comment of the fields it follows)"})
				}
			}
		}
		return true
	})
}

// checkInterface reports the exported methods of the exported interface
// typeName that have no doc or line comment and that the interface's doc
// comment typeDoc does not name (as io.Reader's documents Read).
func checkInterface(out *[]violation, fset *token.FileSet, typeName, typeDoc string, typ ast.Expr) {
	it, ok := typ.(*ast.InterfaceType)
	if !ok {
		return
	}
	for _, m := range it.Methods.List {
		if _, ok := m.Type.(*ast.FuncType); !ok || len(m.Names) == 0 {
			continue // an embedded interface or a type constraint
		}
		names := make([]string, 0, len(m.Names))
		for _, id := range m.Names {
			names = append(names, id.Name)
		}
		if own := docText(m.Doc); own != "" {
			if ast.IsExported(names[0]) && !startsWithAny(own, names) {
				first, _, _ := strings.Cut(own, "\n")
				*out = append(*out, violation{fset.Position(m.Pos()), typeName + "." + names[0], fmt.Sprintf("doc comment of interface method does not start with %q: %q", names[0], first)})
			}
			continue
		}
		if docText(m.Comment) != "" {
			continue
		}
		for _, id := range m.Names {
			if id.IsExported() && !mentions(typeDoc, id.Name) {
				*out = append(*out, violation{fset.Position(id.Pos()), typeName + "." + id.Name, "exported interface method has no doc or line comment, nor does the interface's doc name it"})
			}
		}
	}
}

// checkValues reports exported constants or variables of d without a doc
// comment: the group's (go/doc shows a documented block as a whole), the
// spec's, or, inside a parenthesized block, a line comment on the spec.
func checkValues(out *[]violation, fset *token.FileSet, d *ast.GenDecl) {
	if docText(d.Doc) != "" {
		return
	}
	kind := "constant"
	if d.Tok == token.VAR {
		kind = "variable"
	}
	for _, s := range d.Specs {
		vs := s.(*ast.ValueSpec)
		if docText(vs.Doc) != "" || (d.Lparen.IsValid() && docText(vs.Comment) != "") {
			continue
		}
		for _, id := range vs.Names {
			if ast.IsExported(id.Name) {
				*out = append(*out, violation{fset.Position(id.Pos()), id.Name, "exported " + kind + " has no doc comment (on it or on its block)"})
			}
		}
	}
}

// checkPackage returns the violations of checks 1 to 4 in p's non-test
// files.
func checkPackage(fset *token.FileSet, p *pkg) []violation {
	var out []violation
	hasPkgDoc := false
	for _, f := range p.files {
		if f.Doc == nil {
			continue
		}
		hasPkgDoc = true
		text := docText(f.Doc)
		want := "Package " + p.name
		if rest, ok := strings.CutPrefix(text, want); !ok || (rest != "" && !strings.ContainsAny(rest[:1], " \n")) {
			first, _, _ := strings.Cut(text, "\n")
			out = append(out, violation{fset.Position(f.Doc.Pos()), "package", fmt.Sprintf("package comment does not start with %q: %q", want, first)})
		}
	}
	if !hasPkgDoc {
		out = append(out, violation{fset.Position(p.files[0].Package), "package", "package " + p.name + " has no package comment"})
	}
	for _, f := range p.files {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					checkDoc(&out, fset, d.Name.Pos(), d.Name.Name, d.Name.Name, "function", d.Doc, false)
					continue
				}
				recv := recvTypeName(d.Recv.List[0].Type)
				if !ast.IsExported(recv) {
					continue
				}
				checkDoc(&out, fset, d.Name.Pos(), recv+"."+d.Name.Name, d.Name.Name, "method", d.Doc, false)
			case *ast.GenDecl:
				switch d.Tok {
				case token.TYPE:
					for _, s := range d.Specs {
						ts := s.(*ast.TypeSpec)
						if !ts.Name.IsExported() {
							continue
						}
						g := ts.Doc
						if g == nil && len(d.Specs) == 1 {
							g = d.Doc
						}
						checkDoc(&out, fset, ts.Name.Pos(), ts.Name.Name, ts.Name.Name, "type", g, true)
						checkFields(&out, fset, ts.Name.Name, ts.Type)
						checkInterface(&out, fset, ts.Name.Name, docText(g), ts.Type)
					}
				case token.CONST, token.VAR:
					checkValues(&out, fset, d)
				}
			}
		}
	}
	return out
}

// checkExamples returns the violations of check 5 in p's test files: no
// Example in a library package, an Example without an output comment.
func checkExamples(fset *token.FileSet, p *pkg) []violation {
	var out []violation
	examples := doc.Examples(p.tests...)
	if isLibrary(p.dir) && len(examples) == 0 {
		pos := token.Position{Filename: p.dir + "/", Line: 1}
		if len(p.files) > 0 {
			pos = fset.Position(p.files[0].Package)
		}
		out = append(out, violation{pos, "package", "library package " + p.name + " has no Example function in its _test.go files"})
	}
	for _, ex := range examples {
		if ex.Output != "" || ex.EmptyOutput {
			continue
		}
		name := "Example"
		if ex.Name != "" {
			name += "_" + ex.Name
			if r, _ := utf8.DecodeRuneInString(ex.Name); unicode.IsUpper(r) {
				name = "Example" + ex.Name
			}
		}
		// Find the declaration for its position and exact name.
		pos := fset.Position(ex.Code.Pos())
		for _, f := range p.tests {
			for _, decl := range f.Decls {
				if fd, ok := decl.(*ast.FuncDecl); ok && fd.Body == ex.Code {
					pos, name = fset.Position(fd.Name.Pos()), fd.Name.Name
				}
			}
		}
		out = append(out, violation{pos, name, "Example has no \"// Output:\" comment, so go test compiles but never runs it; make it runnable (no network: use a loopback server or a fake) or remove it"})
	}
	return out
}

// TestAPIDoc enforces the documentation standard: checks 1-4 on every
// public package, check 5 (Examples) on every package of the module.
func TestAPIDoc(t *testing.T) {
	root := moduleRoot(t)
	fset, pkgs := loadPackages(t, root)
	seen := map[string]bool{}
	var all []violation
	for _, p := range pkgs {
		seen[p.dir] = true
		if p.isAPI() {
			all = append(all, checkPackage(fset, p)...)
		}
		all = append(all, checkExamples(fset, p)...)
	}
	for _, l := range libraries {
		if !seen[l] {
			t.Errorf("library package %s not found under %s", l, root)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].pos.Filename != all[j].pos.Filename {
			return all[i].pos.Filename < all[j].pos.Filename
		}
		return all[i].pos.Line < all[j].pos.Line
	})
	for _, v := range all {
		t.Error(v)
	}
}

// TestCheckers feeds each check a small source and counts what it finds,
// so that a checker that stopped finding anything fails here.
func TestCheckers(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		test   string // a _test.go file of the package, for check 5
		dir    string
		want   []string // violation keys
		reason string
	}{
		{
			name: "documented",
			src: `// Package p is fine.
package p

// T is a type.
type T struct {
	// A is a field.
	A int
	B int // B is a field with a line comment.
	c int
}

// An U is a type with an article.
type U int

// F does things.
func F() {}

// M does things.
func (T) M() {}

func (t *T) m() {}

// Codes, documented as a group.
const (
	C1 = 1
	C2 = 2
)

const (
	D1 = 1 // D1 has a line comment.
	// D2 has a doc.
	D2 = 2
)

// V is a variable.
var V = 1

type hidden struct{ X int }

// X is exported on an unexported type.
func (hidden) X() {}

// Deprecated: use F.
func Old() {}
`,
			want:   nil,
			reason: "every exported name is documented the accepted ways",
		},
		{
			name: "undocumented",
			src: `// Package p has problems.
package p

type T struct {
	A int
	Embedded
	S struct {
		Inner int
	}
}

// Embedded is embedded.
type Embedded struct{}

// F is a type whose doc is copied from elsewhere.
type Wrong int

func F() {}

// does things.
func G() {}

// Fx is not F.
func (T) F() {}

func (*T) M() {}

const C = 1

const (
	D1 = 1
	d2 = 2
)

var V, W = 1, 2

// A Wrongly named function.
func Art() {}
`,
			want:   []string{"T", "T.A", "T.Embedded", "T.S", "T.Inner", "Wrong", "F", "G", "T.F", "T.M", "C", "D1", "V", "W", "Art"},
			reason: "each kind of missing or misnamed doc comment is found; articles are for types only",
		},
		{
			name: "runs of fields and interface methods",
			src: `// Package p is fine.
package p

// T is a type.
type T struct {
	// Since and Until bound the window.
	Since int
	Until int
	Other int

	// Mode is a mode.
	Mode  string
	Count int
	// Total is a count.
	Total int
	Sum   int

	// the limit.
	Limit int
	// The Cap is a cap.
	Cap int
}

// R reads; Read returns what it read.
type R interface {
	Read() int
	Close() error
	// Reset resets.
	Reset()
	Flush() // Flush flushes.
	// closes twice.
	CloseAll() error
	unexported()
}
`,
			want:   []string{"T.Other", "T.Count", "T.Sum", "T.Limit", "R.Close", "R.CloseAll"},
			reason: "a field without a comment is documented only by the doc of its run that names it; an interface method by its own comment or the interface's doc naming it; their doc comments start with their names",
		},
		{
			name:   "no package comment",
			src:    "package p\n\n// F does things.\nfunc F() {}\n",
			want:   []string{"package"},
			reason: "a package needs a package comment",
		},
		{
			name:   "wrong package comment",
			src:    "// Package px is misnamed.\npackage p\n",
			want:   []string{"package"},
			reason: "the package comment starts with Package <name>",
		},
		{
			name: "examples",
			src:  "// Package p is fine.\npackage p\n",
			test: `package p_test

import "fmt"

func Example() {
	fmt.Println("hi")
	// Output: hi
}

func ExampleF() {
	fmt.Println("needs the network")
}

func ExampleT_M() {
	// Output:
}

func Example_unordered() {
	fmt.Println("a")
	// Unordered output: a
}
`,
			dir:    "policy",
			want:   []string{"ExampleF"},
			reason: "an Example without an output comment is never run",
		},
		{
			name:   "library without examples",
			src:    "// Package p is fine.\npackage p\n",
			dir:    "policy",
			want:   []string{"package"},
			reason: "a library package needs an Example",
		},
		{
			name:   "non-library without examples",
			src:    "// Package p is fine.\npackage p\n",
			dir:    "extra",
			want:   nil,
			reason: "only library packages need an Example",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "p.go", tt.src, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			dir := tt.dir
			if dir == "" {
				dir = "p"
			}
			p := &pkg{dir: dir, name: f.Name.Name, files: []*ast.File{f}}
			if tt.test != "" {
				tf, err := parser.ParseFile(fset, "p_test.go", tt.test, parser.ParseComments)
				if err != nil {
					t.Fatal(err)
				}
				p.tests = append(p.tests, tf)
			}
			var got []string
			for _, v := range append(checkPackage(fset, p), checkExamples(fset, p)...) {
				got = append(got, v.name)
			}
			sort.Strings(got)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: got violations %q, want %q", tt.reason, got, want)
			}
		})
	}
}

// isCodeType reports whether typ is the diagnostic code type (Code in the
// root package, tlsrpt.Code elsewhere).
func isCodeType(typ ast.Expr) bool {
	switch e := typ.(type) {
	case *ast.Ident:
		return e.Name == "Code"
	case *ast.SelectorExpr:
		id, ok := e.X.(*ast.Ident)
		return ok && id.Name == "tlsrpt" && e.Sel.Name == "Code"
	}
	return false
}

// countExported counts p's exported names in non-test files: types,
// functions, methods on exported types, constants other than diagnostic
// codes (tlsrpt.Code), and variables.
func countExported(p *pkg) int {
	n := 0
	for _, f := range p.files {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil || ast.IsExported(recvTypeName(d.Recv.List[0].Type)) {
					n++
				}
			case *ast.GenDecl:
				var typ ast.Expr // a const spec without type or values repeats the previous one's
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							n++
						}
					case *ast.ValueSpec:
						if s.Type != nil || len(s.Values) > 0 {
							typ = s.Type
						}
						if d.Tok == token.CONST && typ != nil && isCodeType(typ) {
							continue
						}
						for _, id := range s.Names {
							if id.IsExported() {
								n++
							}
						}
					}
				}
			}
		}
	}
	return n
}

// TestExportedCounts logs how many exported names (see countExported)
// and Examples each library package has, to follow the size of the API
// from one release to the next. It asserts no numbers: the API grows.
func TestExportedCounts(t *testing.T) {
	_, pkgs := loadPackages(t, moduleRoot(t))
	byDir := map[string]*pkg{}
	for _, p := range pkgs {
		byDir[p.dir] = p
	}
	total := 0
	for _, dir := range libraries {
		p := byDir[dir]
		if p == nil {
			t.Errorf("library package %s not found", dir)
			continue
		}
		n := countExported(p)
		if n == 0 {
			t.Errorf("library package %s: no exported names found", dir)
		}
		total += n
		t.Logf("%-10s %-10s %4d exported names, %3d Examples", dir, p.name, n, len(doc.Examples(p.tests...)))
	}
	t.Logf("%-21s %4d", "total", total)
}
