package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
)

// Exit codes, the same for every verb.
const (
	exitOK        = 0 // nothing wrong: everything read and trusted, every check passed
	exitFailed    = 1 // problems found: input untrusted or malformed, a setup with errors
	exitUsage     = 2 // bad arguments, unknown verb, unavailable feature
	exitTemporary = 3 // a temporary failure: something could not be read or checked; retry later
)

// env is what a verb may use of the outside world; tests replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// resolver answers DNS queries; nil means net.DefaultResolver.
	resolver tlsrpt.Resolver
	// now is the clock; nil means time.Now.
	now func() time.Time
}

// verb is one subcommand of the tool. A verb lives in its own file and
// registers itself from an init function with register.
type verb struct {
	// name is the word on the command line, like "read".
	name string
	// summary is one line for the verb list.
	summary string
	// run runs the verb with its arguments (the verb's name removed) and
	// returns the exit code.
	run func(ctx context.Context, e *env, args []string) int
}

// verbs are the registered verbs by name.
var verbs = map[string]*verb{}

// register adds v to the verbs; it is called from init functions.
func register(v *verb) {
	if _, dup := verbs[v.name]; dup {
		panic("tlsrpt: verb " + v.name + " registered twice")
	}
	verbs[v.name] = v
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches args to their verb and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			if v, ok := verbs[args[1]]; ok {
				return v.run(ctx, e, []string{"-h"})
			}
		}
		usage(e.stdout)
		return exitOK
	}
	v, ok := verbs[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "tlsrpt: unknown verb %q\n\n", args[0])
		usage(e.stderr)
		return exitUsage
	}
	return v.run(ctx, e, args[1:])
}

// parseInterspersed parses args with fs, taking flags and arguments in
// any order ("--" ends the flags), and returns the arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var out []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return out, nil
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(out, rest...), nil
		}
		out = append(out, rest[0])
		args = rest[1:]
	}
}

// usage prints the verb list.
func usage(w io.Writer) {
	fmt.Fprint(w, "Usage: tlsrpt VERB [flags] [arguments]\n\n"+
		"tlsrpt works with SMTP TLS Reporting (RFC 8460).\n\nVerbs:\n")
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	slices.Sort(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %s%s  %s\n", n, strings.Repeat(" ", width-len(n)), verbs[n].summary)
	}
	fmt.Fprint(w, "\nRun \"tlsrpt VERB -h\" for a verb's flags.\n"+
		"Exit status: 0 ok, 1 problems found (untrusted or malformed input, errors in a\n"+
		"domain's setup), 2 usage error, 3 temporary failure (retry later).\n")
}
