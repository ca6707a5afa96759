// Package apidoc holds the tests that enforce the module's documentation
// standard on its public API (STYLE.md, "Comments" and "Tests"): every
// exported type, function, method, constant, variable and struct field of
// a library package has a doc comment, the doc comment of a type, function
// or method is a sentence starting with its name, every package has a
// comment starting "Package <name>", every library package has at least
// one Example, and every Example ends in an "// Output:" comment so that
// go test runs it. The tests read the source with go/parser; the package
// has no code of its own.
package apidoc
