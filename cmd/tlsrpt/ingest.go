package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/ingest"
	"github.com/go-tlsrpt/tlsrpt/store"
)

func init() {
	register(&verb{name: "ingest", summary: "read reports from mail or files into the store, skipping those already stored", run: runIngest})
}

const ingestHelp = `Usage: tlsrpt ingest [flags] SOURCE...

Read every message of each SOURCE as "tlsrpt read" does and store every TLS
report found, with the message as received, its diagnostics, its trust
verdict and where it came from. A report already in the store (the same
report, by the store's duplicate rules) is not stored again, so running
ingest twice over the same mail stores nothing the second time. Nothing in
a SOURCE is changed or marked.

SOURCE is what "tlsrpt read" takes (see tlsrpt read -h): a FILE, a DIR (a
Maildir or plain files), an mbox file, imap://user@host/Mailbox or
imaps://… (the password from $TLSRPT_IMAP_PASSWORD or the file named by
$TLSRPT_IMAP_PASSWORD_FILE), or - for standard input.

Untrusted reports are stored too, with their verdict (untrusted, or retry
when a DKIM key lookup failed for now); the views and export can filter on
it (--trust trusted).

At the end one line counts the run:
  N messages: S stored, D duplicate, X not a report, U untrusted, L too large, M malformed, R unreadable
stored and duplicate count reports (a message may carry several);
untrusted counts the reports stored by this run whose verdict is not
trusted; the others count messages. On a terminal, standard error shows
the number of messages read so far.

Flags:
  --db DSN              the store: sqlite:PATH (created if missing) or
                        postgres://… (postgresql:// too); default
                        sqlite:$XDG_DATA_HOME/tlsrpt/tlsrpt.db, or
                        ~/.local/share/tlsrpt/tlsrpt.db without XDG_DATA_HOME
  --trust-authserv ID   believe the Authentication-Results fields of
                        authserv-id ID on top of the header (repeatable)
  --no-dkim             do not verify DKIM signatures (no DNS queries)
  -h, --help            this help

Exit status: 0 everything read and stored, nothing untrusted or malformed;
1 some input untrusted, malformed or too large; 2 usage error; 3 a temporary
failure (a DKIM key lookup failed for now, a message or source could not be
read, the store failed): retry later. 3 wins over 1.

Example:
  TLSRPT_IMAP_PASSWORD_FILE=~/.imap-pass tlsrpt ingest --db sqlite:reports.db \
      --trust-authserv mx.example.net imaps://reports@mail.example.net/INBOX
  tlsrpt ingest --db sqlite:reports.db --no-dkim ~/Maildir/.TLS-Reports old.mbox
`

// ingestCounts are the counts of an ingest run.
type ingestCounts struct {
	ingest.Stats
	stored, duplicate, untrustedStored int
}

// put stores the reports of r with raw, the message as received, and
// counts each as stored (and untrusted) or duplicate.
func (c *ingestCounts) put(ctx context.Context, st *store.Store, r *ingest.Result, raw []byte, source string, received time.Time) error {
	for i, rep := range r.Reports {
		res, err := st.Put(ctx, store.Entry{
			Report: rep.Report, Raw: raw, Diagnostics: reportDiagnostics(r, i),
			Trust: storeTrust(rep.Trust), Source: source, Received: received,
		})
		if err != nil {
			return err
		}
		if !res.Stored() {
			c.duplicate++
			continue
		}
		c.stored++
		if rep.Trust.Verdict != ingest.VerdictTrusted {
			c.untrustedStored++
		}
	}
	return nil
}

// line is the counts line of ingest (see ingestHelp).
func (c *ingestCounts) line() string {
	return fmt.Sprintf("%d messages: %d stored, %d duplicate, %d not a report, %d untrusted, %d too large, %d malformed, %d unreadable",
		c.Messages, c.stored, c.duplicate, c.NotReport, c.untrustedStored, c.TooLarge, c.Malformed, c.Unreadable)
}

// rawSource keeps the bytes of the last item of a Source, so that the
// callback of Run can store the message as received. Run reads one item
// and hands over its Result before it reads the next.
type rawSource struct {
	ingest.Source
	id   string
	data []byte
}

func (s *rawSource) Next(ctx context.Context) (*ingest.Item, error) {
	it, err := s.Source.Next(ctx)
	s.id, s.data = "", nil
	if it != nil {
		s.id, s.data = it.ID, it.Data
	}
	return it, err
}

// raw returns the bytes of the item id, nil when they are not kept.
func (s *rawSource) raw(id string) []byte {
	if id != s.id {
		return nil
	}
	return s.data
}

func (s *rawSource) Close() error {
	if c, ok := s.Source.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// sourceLabel is the Entry.Source of an argument's messages: the file
// path, "maildir:DIR", "mbox:FILE" or the redacted IMAP URL; the message
// id is added after "#" for sources of several messages.
func sourceLabel(arg string, src ingest.Source, id string) string {
	switch src.(type) {
	case *ingest.Maildir:
		return "maildir:" + arg + "#" + id
	case *closingMbox, *ingest.Mbox:
		return "mbox:" + arg + id // the id is "#n"
	case *ingest.Files, *oneInput:
		return id
	}
	if u, err := url.Parse(arg); err == nil && (u.Scheme == "imap" || u.Scheme == "imaps") {
		return u.Redacted() + "#" + id
	}
	return arg + "#" + id
}

// storeTrust maps the verdict of ingest to the store's.
func storeTrust(t ingest.Trust) store.Trust {
	st := store.Trust{Verdict: store.Verdict(t.Verdict)}
	switch {
	case t.Selector != "":
		st.By = "dkim:d=" + t.Domain + "; s=" + t.Selector
	case t.AuthServID != "":
		st.By = "authres:" + t.AuthServID
	}
	if len(t.Reasons) > 0 {
		st.Reason = t.Reasons[0].Message
	}
	return st
}

// reportDiagnostics are the diagnostics of r that concern its report i:
// all of them when the message carries one report; otherwise those about
// the message as a whole (MIME paths "mime:…" and the codes of package
// ingest, which have no JSON path) and the decoder's with Index i.
func reportDiagnostics(r *ingest.Result, i int) []tlsrpt.Diagnostic {
	if len(r.Reports) == 1 {
		return r.Diagnostics
	}
	var out []tlsrpt.Diagnostic
	for _, d := range r.Diagnostics {
		if strings.HasPrefix(d.Path, "mime:") || strings.HasPrefix(string(d.Code), "ingest") || d.Index == i {
			out = append(out, d)
		}
	}
	return out
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// runIngest is the ingest verb.
func runIngest(ctx context.Context, e *env, args []string) int {
	var (
		db     string
		trust  stringList
		noDKIM bool
		help   bool
	)
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&db, "db", "", "")
	fs.Var(&trust, "trust-authserv", "")
	fs.BoolVar(&noDKIM, "no-dkim", false, "")
	fs.BoolVar(&help, "h", false, "")
	fs.BoolVar(&help, "help", false, "")
	sources, err := parseInterspersed(fs, args)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt ingest: %v\n\n%s", err, ingestHelp)
		return exitUsage
	}
	if help {
		fmt.Fprint(e.stdout, ingestHelp)
		return exitOK
	}
	if len(sources) == 0 {
		fmt.Fprintf(e.stderr, "tlsrpt ingest: no source\n\n%s", ingestHelp)
		return exitUsage
	}
	for _, arg := range sources {
		// Usage errors before the store is created.
		if !strings.HasPrefix(arg, "imap://") && !strings.HasPrefix(arg, "imaps://") {
			continue
		}
		err := errNoIMAP
		if openIMAP != nil {
			if _, perr := ingest.ParseIMAPURL(arg); perr != nil {
				err = fmt.Errorf("%w: %w", errBadIMAPURL, perr)
			} else {
				err = nil
			}
		}
		if err != nil {
			shown := redact(arg) // never echo a password
			fmt.Fprintf(e.stderr, "tlsrpt ingest: %s: %v\n", shown, err)
			return exitUsage
		}
	}
	st, err := openStoreMode(ctx, db, true)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt ingest: %v\n", err)
		if errors.Is(err, errNoStore) {
			return exitUsage
		}
		return exitTemporary
	}
	defer st.Close()
	now := time.Now
	if e.now != nil {
		now = e.now
	}
	rd := &ingest.Reader{TrustedAuthServIDs: trust, NoDKIM: noDKIM, Resolver: e.resolver, Now: e.now}
	progress := isTerminal(e.stderr)
	var c ingestCounts
	failed := false
	seen := 0 // messages so far, for the progress line
	for _, arg := range sources {
		src, _, err := openInput(ctx, e, arg)
		if errors.Is(err, errNoIMAP) || errors.Is(err, errBadIMAPURL) {
			shown := redact(arg) // never echo a password
			fmt.Fprintf(e.stderr, "tlsrpt ingest: %s: %v\n", shown, err)
			return exitUsage
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "tlsrpt ingest: %v\n", err)
			failed = true
			continue
		}
		rs := &rawSource{Source: src}
		stats, err := rd.Run(ctx, rs, func(r *ingest.Result) error {
			seen++
			if progress && seen%100 == 0 {
				fmt.Fprintf(e.stderr, "\r%d messages", seen)
			}
			label := sourceLabel(arg, src, r.ID)
			if err := c.put(ctx, st, r, rs.raw(r.ID), label, now()); err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
			return nil
		})
		rs.Close()
		addStats(&c.Stats, stats)
		if err != nil {
			if progress {
				fmt.Fprintln(e.stderr)
			}
			shown := redact(arg) // never echo a password
			fmt.Fprintf(e.stderr, "tlsrpt ingest: %s: %v\n", shown, err)
			failed = true
		}
	}
	if progress && seen >= 100 {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	fmt.Fprintln(e.stdout, c.line())
	switch {
	case failed || c.Retry > 0 || c.Unreadable > 0:
		return exitTemporary
	case c.Untrusted > 0 || c.Malformed > 0 || c.TooLarge > 0:
		return exitFailed
	}
	return exitOK
}
