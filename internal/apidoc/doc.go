// Package apidoc holds the tests that enforce the module's documentation
// standard (CONTRIBUTING.md, "Tests" and "Changes to the public API") on
// its public packages: every package except internal/…, cmd/…, examples/…
// and the bench module. It reads the source with go/parser and has no code
// of its own.
//
// TestAPIDoc fails, naming file:line, for
//
//   - an exported type, function, method of an exported type, constant or
//     variable without a doc comment; a constant or variable may be
//     documented by the comment of its block (as go/doc shows a documented
//     block whole, such as a list of tlsrpt.Code values) or, inside a
//     block, by a line comment;
//   - a doc comment of a type, function, method, struct field or interface
//     method that does not start with its name (all but functions and
//     methods may put "A", "An" or "The" first; the doc of fields declared
//     together, as in "Fetched, Expires time.Time", may start with any of
//     their names; a "Deprecated:" note is accepted);
//   - an exported field of an exported struct type (anonymous struct types
//     within included) without a doc or line comment, unless the doc
//     comment of the run of fields it follows, with no blank line
//     between, names it ("Since and Until bound the window");
//   - an exported method of an exported interface without a doc or line
//     comment that the interface's doc comment does not name (as io.Reader
//     documents Read);
//   - a package without a package comment, or whose comment does not
//     start with "Package <name>";
//   - a library package (the root tlsrpt, dnsrecord, policy, report, mime,
//     aggregate, submit, ingest, store) without an Example function, and
//     an Example function anywhere in the module (bench excepted) without
//     an output comment ("Output:"): go test compiles such an Example but
//     never runs it.
//
// TestExportedCounts logs the number of exported names and Examples of
// each library package.
package apidoc
