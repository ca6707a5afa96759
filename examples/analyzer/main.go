// Analyzer shows the ingesting side of SMTP TLS Reporting (RFC 8460): it
// reads report files as real senders send them and prints, per file, what
// the report says and what had to be repaired to read it.
//
// Each argument is a report mail (.eml, read with mime.Parse: the report is
// found by media type, filename or content, through forwards and nested
// multiparts) or a report (.json, or gzip-compressed .json.gz, read with
// report.Decoder). From the repository root:
//
//	go run ./examples/analyzer examples/analyzer/testdata/reports/*
//	go run ./examples/analyzer -strict report.json.gz
//
// By default the decoders are lenient: every deviation from RFC 8460 that
// they repaired is printed as a warning with its JSON path (or MIME part)
// and a stable code. With -strict a deviation makes the file fail instead
// (for a mail: any warning). The exit status is 1 when a file could not
// be read or parsed, 2 for bad flags.
//
// Mailed reports must also carry a valid DKIM signature of the reporting
// domain (RFC 8460 §3); mime.Verify checks it, see examples/quickstart.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// errFailed means some files could not be parsed; each was reported.
var errFailed = errors.New("some files could not be parsed")

// errUsage means the command line named no file; the usage was printed.
var errUsage = errors.New("no file named")

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp): // -h: the usage was asked for
	case errors.Is(err, errUsage):
		os.Exit(2)
	case errors.Is(err, errFailed):
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "analyzer:", err)
		os.Exit(2)
	}
}

// run summarises each file named in args to stdout; problems with a file
// go to stderr and make it return errFailed after the last file.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("analyzer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := fs.Bool("strict", false, "fail on any deviation from RFC 8460 instead of repairing it")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: analyzer [-strict] file.eml|file.json|file.json.gz ...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	failed := false
	for _, name := range fs.Args() {
		if err := analyzeFile(stdout, name, *strict); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			failed = true
		}
	}
	if failed {
		return errFailed
	}
	return nil
}
