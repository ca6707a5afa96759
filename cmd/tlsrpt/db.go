package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	// Driver "pgx": PostgreSQL.
	_ "github.com/jackc/pgx/v5/stdlib"
	// Driver "sqlite": modernc.org/sqlite, pure Go.
	_ "modernc.org/sqlite"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// dbHelp documents --db and the filters, shared by the store verbs.
const dbHelp = `  --db DSN              the store: sqlite:PATH or postgres://… (postgresql://
                        too); default sqlite:$XDG_DATA_HOME/tlsrpt/tlsrpt.db,
                        or ~/.local/share/tlsrpt/tlsrpt.db without
                        XDG_DATA_HOME
  --since DATE          first day of the window (YYYY-MM-DD, UTC, or RFC 3339)
  --until DATE          end of the window, exclusive; default: the end of
                        today (UTC)
  --days N              the window's length when --since is not given
  --domain D            policy-domain
  --reporter ORG        organization-name, exactly
  --policy-type T       sts, tlsa or no-policy-found
  --mode M              sts mode: enforce, testing or none
  --result-type T       failure details of this result type
  --family F            failure details of a family: tls-negotiation,
                        mta-sts, dane, unknown
  --mx HOST             failure details of this receiving MX host
  --ip ADDR             failure details of this sending MTA IP
  --trust V             reports of this trust verdict (trusted, untrusted)
  --json                one JSON object instead of tables
  -h, --help            this help

Reports are counted on the UTC day their date range starts; a report
covering more than 24 hours counts whole on its first day ("multi-day").
`

// storeFlags are the flags of the verbs that read the store.
type storeFlags struct {
	fs                     *flag.FlagSet
	json, help             bool
	db, since, until       string
	days                   int
	domain, reporter       string
	policyType, mode       string
	resultType, family, mx string
	ip, trust              string
	// windowOnly makes storeVerb refuse the filter flags: the verb
	// applies only the window.
	windowOnly bool
}

func newStoreFlags(name string, days int) *storeFlags {
	o := &storeFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError), days: days}
	fs := o.fs
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.json, "json", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	fs.BoolVar(&o.help, "help", false, "")
	fs.StringVar(&o.db, "db", "", "")
	fs.StringVar(&o.since, "since", "", "")
	fs.StringVar(&o.until, "until", "", "")
	fs.IntVar(&o.days, "days", days, "")
	fs.StringVar(&o.domain, "domain", "", "")
	fs.StringVar(&o.reporter, "reporter", "", "")
	fs.StringVar(&o.policyType, "policy-type", "", "")
	fs.StringVar(&o.mode, "mode", "", "")
	fs.StringVar(&o.resultType, "result-type", "", "")
	fs.StringVar(&o.family, "family", "", "")
	fs.StringVar(&o.mx, "mx", "", "")
	fs.StringVar(&o.ip, "ip", "", "")
	fs.StringVar(&o.trust, "trust", "", "")
	return o
}

// parse parses args, flags and positional arguments in any order.
func (o *storeFlags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := o.fs.Parse(args); err != nil {
			return nil, err
		}
		rest := o.fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseDay reads YYYY-MM-DD (UTC midnight) or RFC 3339.
func parseDay(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date %q: want YYYY-MM-DD or RFC 3339", s)
	}
	return t.UTC(), nil
}

// filter turns the flags into a ViewFilter with a bounded window.
func (o *storeFlags) filter(e *env) (store.ViewFilter, error) {
	var f store.ViewFilter
	now := time.Now
	if e.now != nil {
		now = e.now
	}
	f.Until = now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	if o.until != "" {
		t, err := parseDay(o.until)
		if err != nil {
			return f, err
		}
		f.Until = t
	}
	if o.days <= 0 {
		return f, errors.New("--days must be positive")
	}
	f.Since = f.Until.AddDate(0, 0, -o.days)
	if o.since != "" {
		t, err := parseDay(o.since)
		if err != nil {
			return f, err
		}
		f.Since = t
	}
	if !f.Until.After(f.Since) {
		return f, errors.New("--until must be after --since")
	}
	f.Domain, f.Reporter = o.domain, o.reporter
	f.Trust = store.Verdict(o.trust)
	f.PolicyType, f.Mode = policy.Type(o.policyType), o.mode
	f.ResultType, f.Category, f.MX = report.ResultType(o.resultType), report.Category(o.family), o.mx
	if o.ip != "" {
		a, err := netip.ParseAddr(o.ip)
		if err != nil {
			return f, fmt.Errorf("bad --ip: %v", err)
		}
		f.SendingIP = a
	}
	return f, nil
}

// defaultDBPath is the SQLite file used without --db.
func defaultDBPath() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "tlsrpt", "tlsrpt.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share", "tlsrpt", "tlsrpt.db"), nil
}

// errNoStore marks a SQLite store file that does not exist.
var errNoStore = errors.New("no store")

// openStore opens the store named by --db (see dbHelp). A SQLite file
// must exist: the read-only verbs do not create an empty store.
func openStore(ctx context.Context, dsn string) (*store.Store, error) {
	return openStoreMode(ctx, dsn, false)
}

// openStoreMode is openStore; with create, a missing SQLite file (and
// its directory) is created.
func openStoreMode(ctx context.Context, dsn string, create bool) (*store.Store, error) {
	db, err := openDB(dsn, create)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}

// openDB opens the database named by --db (see openStoreMode).
func openDB(dsn string, create bool) (*sql.DB, error) {
	if dsn == "" {
		p, err := defaultDBPath()
		if err != nil {
			return nil, err
		}
		dsn = "sqlite:" + p
	}
	var db *sql.DB
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if create {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, err
			}
		} else if _, serr := os.Stat(path); serr != nil {
			return nil, fmt.Errorf("%w at %s", errNoStore, path)
		}
		db, err = sql.Open("sqlite", store.SQLiteDSN(path))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = sql.Open("pgx", dsn)
	default:
		return nil, fmt.Errorf("%w: --db %q: want sqlite:PATH or postgres://…", errNoStore, dsn)
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}

// storeVerb runs the common part of a store verb: flags, store, filter.
// It returns nil and the exit code when the verb should stop.
// isFilterFlag reports whether name is a flag of newStoreFlags that
// narrows the rows beyond the window.
func isFilterFlag(name string) bool {
	switch name {
	case "domain", "reporter", "policy-type", "mode", "result-type", "family", "mx", "ip", "trust":
		return true
	}
	return false
}

func storeVerb(ctx context.Context, e *env, o *storeFlags, help string, args []string) (*store.Store, store.ViewFilter, []string, int) {
	name := o.fs.Name()
	pos, err := o.parse(args)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt %s: %v\n\n%s", name, err, help)
		return nil, store.ViewFilter{}, nil, exitUsage
	}
	if o.help {
		fmt.Fprint(e.stdout, help)
		return nil, store.ViewFilter{}, nil, exitOK
	}
	if o.windowOnly {
		var refused []string
		o.fs.Visit(func(fl *flag.Flag) {
			if isFilterFlag(fl.Name) {
				refused = append(refused, "--"+fl.Name)
			}
		})
		if len(refused) > 0 {
			fmt.Fprintf(e.stderr, "tlsrpt %s: %s does not apply: only --db, the window and --json do\n\n%s", name, strings.Join(refused, ", "), help)
			return nil, store.ViewFilter{}, nil, exitUsage
		}
	}
	f, err := o.filter(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt %s: %v\n", name, err)
		return nil, f, nil, exitUsage
	}
	st, err := openStore(ctx, o.db)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt %s: %v\n", name, err)
		if errors.Is(err, errNoStore) {
			return nil, f, nil, exitUsage
		}
		return nil, f, nil, exitTemporary
	}
	return st, f, pos, exitOK
}

// writeJSONValue writes v as one indented JSON object.
func writeJSONValue(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")) }
func (t *table) flush()              { t.tw.Flush() }

// rate formats a failure rate in percent.
func rate(failed, sessions int64) string {
	if sessions == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(failed)/float64(sessions))
}

func itoa(n int64) string { return fmt.Sprint(n) }
