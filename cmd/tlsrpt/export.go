package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/go-tlsrpt/tlsrpt/store"
)

func init() {
	register(&verb{name: "export", summary: "write the stored reports as CSV or JSON Lines, one row per policy and failure detail", run: runExport})
}

const exportHelp = `Usage: tlsrpt export [flags]

Write the stored reports to standard output, one row per policy and per
failure detail, as CSV (a header line, then one line per row; lists joined
with "|") or JSON Lines (one object per row with the CSV's column names).
The columns follow parsedmarc's smtp_tls output; go doc
github.com/go-tlsrpt/tlsrpt/store lists them. Without filters every stored
report is written.

Flags:
  --db DSN              the store: sqlite:PATH or postgres://… (postgresql://
                        too); default sqlite:$XDG_DATA_HOME/tlsrpt/tlsrpt.db,
                        or ~/.local/share/tlsrpt/tlsrpt.db without
                        XDG_DATA_HOME
  --format F            csv (the default) or jsonl
  --since DATE          reports whose date range begins at or after DATE
                        (YYYY-MM-DD, UTC, or RFC 3339)
  --until DATE          reports whose date range begins before DATE
  --domain D            rows of policy-domain D
  --reporter ORG        reports of organization-name ORG, exactly
  --trust V             reports of this trust verdict (trusted, untrusted)
  -h, --help            this help

Exit status: 0 ok; 2 usage error or no store; 3 the store failed.

Example:
  tlsrpt export --db sqlite:reports.db --format csv --since 2026-11-01 --domain example.com > tlsrpt.csv
`

// runExport is the export verb.
func runExport(ctx context.Context, e *env, args []string) int {
	var (
		db, format, since, until string
		f                        store.Filter
		trust                    string
		help                     bool
	)
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&db, "db", "", "")
	fs.StringVar(&format, "format", "csv", "")
	fs.StringVar(&since, "since", "", "")
	fs.StringVar(&until, "until", "", "")
	fs.StringVar(&f.Domain, "domain", "", "")
	fs.StringVar(&f.Reporter, "reporter", "", "")
	fs.StringVar(&trust, "trust", "", "")
	fs.BoolVar(&help, "h", false, "")
	fs.BoolVar(&help, "help", false, "")
	rest, err := parseInterspersed(fs, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	if err == nil && format != string(store.FormatCSV) && format != string(store.FormatJSONLines) {
		err = fmt.Errorf("--format %q: want csv or jsonl", format)
	}
	for _, d := range []struct {
		s string
		t *store.Filter
		u bool
	}{{since, &f, false}, {until, &f, true}} {
		if err != nil || d.s == "" {
			continue
		}
		t, perr := parseDay(d.s)
		switch {
		case perr != nil:
			err = perr
		case d.u:
			d.t.Until = t
		default:
			d.t.Since = t
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt export: %v\n\n%s", err, exportHelp)
		return exitUsage
	}
	if help {
		fmt.Fprint(e.stdout, exportHelp)
		return exitOK
	}
	f.Trust = store.Verdict(trust)
	st, err := openStore(ctx, db)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt export: %v\n", err)
		if errors.Is(err, errNoStore) {
			return exitUsage
		}
		return exitTemporary
	}
	defer st.Close()
	if err := st.Export(ctx, e.stdout, store.Format(format), f); err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt export: %v\n", err)
		return exitTemporary
	}
	return exitOK
}
