package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func init() {
	register(&verb{name: "version", summary: "print the version of tlsrpt and of the Go toolchain that built it", run: runVersion})
}

const versionHelp = `Usage: tlsrpt version

Print the module version of this build of tlsrpt (a tag such as v1.2.0
when installed with "go install …@version", "(devel)" when built from a
checkout), the source revision when the build recorded one, and the Go
version, operating system and architecture it was built for.

Exit status: 0, or 2 for a usage error.

Example:
  tlsrpt version
`

// runVersion is the version verb.
func runVersion(_ context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	help := false
	fs.BoolVar(&help, "h", false, "")
	fs.BoolVar(&help, "help", false, "")
	rest, err := parseInterspersed(fs, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	switch {
	case err != nil:
		fmt.Fprintf(e.stderr, "tlsrpt version: %v\n\n%s", err, versionHelp)
		return exitUsage
	case help:
		fmt.Fprint(e.stdout, versionHelp)
		return exitOK
	}
	fmt.Fprintln(e.stdout, versionLine())
	return exitOK
}

// versionLine is "tlsrpt <module version>[ (<revision>[, modified])]
// <go version> <os>/<arch>", from the build information the Go toolchain
// embeds in the binary.
func versionLine() string {
	version, goVersion, rev, modified := "(unknown)", runtime.Version(), "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		if version == "" {
			version = "(devel)"
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	line := "tlsrpt " + version
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if modified {
			rev += ", modified"
		}
		line += " (" + rev + ")"
	}
	return line + " " + goVersion + " " + runtime.GOOS + "/" + runtime.GOARCH
}
