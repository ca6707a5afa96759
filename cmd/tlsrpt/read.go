package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/ingest"
	"github.com/go-tlsrpt/tlsrpt/report"
)

func init() {
	register(&verb{name: "read", summary: "read reports from files, Maildirs, mbox files, IMAP or stdin: fate and trust of each message", run: runRead})
}

// openIMAP opens an imap:// or imaps:// URL, as given on the command
// line, as a Source (an io.Closer is closed after the run). It is nil in
// a build without IMAP support; IMAP support sets it from an init
// function in its own file of this package (cmd/tlsrpt/imap.go).
var openIMAP func(ctx context.Context, rawURL string) (ingest.Source, error)

const readHelp = `Usage: tlsrpt read [--json] [--trust-authserv ID]... [--no-dkim] INPUT...

Read TLS reports (RFC 8460) and tell, for every message, what became of it:
a report (trusted or untrusted, and why), not a TLS report (DMARC aggregate,
DMARC failure, DSN, other mail), too large, malformed or unreadable; then
one summary line per report and the counts of the run.

INPUT is
  FILE      a mail (.eml or a Maildir file), a .json or .json.gz report or a
            .zip archive, told apart by content; a file starting with an
            mbox "From " line is read as an mbox file (mboxrd)
  DIR       a Maildir (it has cur/, new/ and tmp/; nothing is moved), or
            else every regular file in it
  imap://user@host[:port]/Mailbox   an IMAP mailbox over STARTTLS
  imaps://user@host[:port]/Mailbox  the same over implicit TLS; unseen
            messages are read and nothing is marked. The password comes from
            $TLSRPT_IMAP_PASSWORD or the file named by
            $TLSRPT_IMAP_PASSWORD_FILE, never from the URL
  -         standard input, one input

A mailed report is trusted when a valid DKIM signature aligned with its
TLS-Report-Submitter (by organizational domain) is on the message carrying
it, or when the Authentication-Results of a trusted authserv-id (your own MX,
which verified at arrival) say dkim=pass for such a domain (RFC 8460 §3).
Reports that did not come by mail are untrusted: nothing signs them.

Flags:
  --json                one JSON object per message (JSON Lines; schema in
                        the package documentation, go doc
                        github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt); the
                        summary goes to standard error
  --trust-authserv ID   believe the Authentication-Results fields of
                        authserv-id ID on top of the header (repeatable)
  --no-dkim             do not verify DKIM signatures (no DNS queries): only
                        trusted Authentication-Results can make a report
                        trusted
  -h, --help            this help

Exit status: 0 every input read and nothing untrusted or malformed; 1 some
input untrusted, malformed or too large; 2 usage error; 3 a temporary
failure (a DKIM key lookup failed for now, a message or a source could not
be read): retry later. 3 wins over 1.

Example:
  tlsrpt read --trust-authserv mx.example.net ~/Maildir/.TLS-Reports
  tlsrpt read --json --no-dkim reports.mbox | jq -r 'select(.fate=="report") | .reports[].trust.verdict'
`

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// readOptions are the flags of read.
type readOptions struct {
	json      bool
	trust     stringList
	noDKIM    bool
	arguments []string
}

// parseReadFlags parses args, flags and inputs in any order ("--" ends
// the flags).
func parseReadFlags(e *env, args []string) (*readOptions, int) {
	o := &readOptions{}
	fs := flag.NewFlagSet("read", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.json, "json", false, "")
	fs.Var(&o.trust, "trust-authserv", "")
	fs.BoolVar(&o.noDKIM, "no-dkim", false, "")
	help := false
	fs.BoolVar(&help, "h", false, "")
	fs.BoolVar(&help, "help", false, "")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt read: %v\n\n%s", err, readHelp)
		return nil, exitUsage
	}
	if help {
		fmt.Fprint(e.stdout, readHelp)
		return nil, exitOK
	}
	o.arguments = rest
	if len(o.arguments) == 0 {
		fmt.Fprintf(e.stderr, "tlsrpt read: no input\n\n%s", readHelp)
		return nil, exitUsage
	}
	return o, exitOK
}

// runRead is the read verb.
func runRead(ctx context.Context, e *env, args []string) int {
	o, code := parseReadFlags(e, args)
	if o == nil {
		return code
	}
	rd := &ingest.Reader{TrustedAuthServIDs: o.trust, NoDKIM: o.noDKIM, Resolver: e.resolver, Now: e.now}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	var total ingest.Stats
	sourceFailed := false
	for _, arg := range o.arguments {
		src, label, err := openInput(ctx, e, arg)
		if errors.Is(err, errNoIMAP) || errors.Is(err, errBadIMAPURL) {
			out.Flush()
			shown := redact(arg) // never echo a password
			fmt.Fprintf(e.stderr, "tlsrpt read: %s: %v\n", shown, err)
			return exitUsage
		}
		if err != nil {
			out.Flush()
			fmt.Fprintf(e.stderr, "tlsrpt read: %v\n", err)
			sourceFailed = true
			continue
		}
		st, err := rd.Run(ctx, src, func(r *ingest.Result) error {
			name := label(r.ID)
			if o.json {
				return writeJSON(out, name, r)
			}
			writeText(out, name, r)
			return nil
		})
		addStats(&total, st)
		if c, ok := src.(io.Closer); ok {
			c.Close()
		}
		if err != nil {
			out.Flush()
			fmt.Fprintf(e.stderr, "tlsrpt read: %s: %v\n", arg, err)
			sourceFailed = true
		}
	}
	out.Flush()
	summary := summaryLine(total)
	if o.json {
		fmt.Fprintln(e.stderr, summary)
	} else {
		fmt.Fprintln(out, summary)
	}
	switch {
	case sourceFailed || total.Retry > 0 || total.Unreadable > 0:
		return exitTemporary
	case total.Untrusted > 0 || total.Malformed > 0 || total.TooLarge > 0:
		return exitFailed
	}
	return exitOK
}

// errBadIMAPURL marks an imap:// or imaps:// argument that is not a
// usable IMAP URL (a usage error, not a temporary failure).
var errBadIMAPURL = errors.New("not a usable IMAP URL")

// errNoIMAP is the answer to an imap:// input in a build without IMAP.
var errNoIMAP = errors.New("imap: not available in this build")

// openInput returns the Source for one argument and how to name its
// messages.
func openInput(ctx context.Context, e *env, arg string) (ingest.Source, func(id string) string, error) {
	if strings.HasPrefix(arg, "imap://") || strings.HasPrefix(arg, "imaps://") {
		if openIMAP == nil {
			return nil, nil, errNoIMAP
		}
		src, err := openIMAP(ctx, arg)
		if err != nil {
			return nil, nil, err
		}
		label := redact(arg)
		return src, func(id string) string { return label + "#" + id }, nil
	}
	if arg == "-" {
		br := bufio.NewReader(e.stdin)
		if head, _ := br.Peek(5); string(head) == "From " {
			return &ingest.Mbox{R: br}, func(id string) string { return "-" + id }, nil
		}
		return &oneInput{r: br}, func(string) string { return "-" }, nil
	}
	fi, err := os.Stat(arg)
	if err != nil {
		// The one input gets its fate (unreadable) like any other.
		return &ingest.Files{Paths: []string{arg}}, func(id string) string { return id }, nil
	}
	if fi.IsDir() {
		if ingest.IsMaildir(arg) {
			return &ingest.Maildir{Dir: arg}, func(id string) string { return filepath.Join(arg, filepath.FromSlash(id)) }, nil
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			return nil, nil, err
		}
		var paths []string
		for _, en := range entries {
			if en.Type().IsRegular() {
				paths = append(paths, filepath.Join(arg, en.Name()))
			}
		}
		slices.Sort(paths)
		return &ingest.Files{Paths: paths}, func(id string) string { return id }, nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return &ingest.Files{Paths: []string{arg}}, func(id string) string { return id }, nil
	}
	head := make([]byte, 5)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	if string(head[:n]) == "From " {
		return &closingMbox{Mbox: ingest.Mbox{R: f}, f: f}, func(id string) string { return arg + id }, nil
	}
	f.Close()
	return &ingest.Files{Paths: []string{arg}}, func(id string) string { return id }, nil
}

// closingMbox is an Mbox that closes its file.
type closingMbox struct {
	ingest.Mbox
	f *os.File
}

func (m *closingMbox) Close() error { return m.f.Close() }

// oneInput is a Source of one input read from r (standard input).
type oneInput struct {
	r    io.Reader
	done bool
}

func (o *oneInput) Next(ctx context.Context) (*ingest.Item, error) {
	if o.done {
		return nil, io.EOF
	}
	o.done = true
	const max = ingest.DefaultMaxMessageSize
	data, err := io.ReadAll(io.LimitReader(o.r, max+1))
	switch {
	case err != nil:
		return &ingest.Item{ID: "-", Size: int64(len(data)), Err: err}, nil
	case len(data) > max:
		return &ingest.Item{ID: "-", Size: int64(len(data)), Err: &tlsrpt.Diagnostic{Path: "ingest:input", Offset: max, Code: ingest.CodeMessageTooLarge,
			Severity: tlsrpt.SeverityError, Message: fmt.Sprintf("message size limit %d exceeded", max), Err: tlsrpt.ErrTooLarge}}, nil
	}
	return &ingest.Item{ID: "-", Data: data, Size: int64(len(data))}, nil
}

// addStats adds the counts of b to a.
func addStats(a *ingest.Stats, b ingest.Stats) {
	a.Messages += b.Messages
	a.Report += b.Report
	a.NotReport += b.NotReport
	a.TooLarge += b.TooLarge
	a.Malformed += b.Malformed
	a.Unreadable += b.Unreadable
	a.DMARCAggregate += b.DMARCAggregate
	a.DMARCFailure += b.DMARCFailure
	a.DSN += b.DSN
	a.Other += b.Other
	a.Trusted += b.Trusted
	a.Untrusted += b.Untrusted
	a.Retry += b.Retry
	a.Reports += b.Reports
}

// summaryLine is the counts of a run for people.
func summaryLine(s ingest.Stats) string {
	return fmt.Sprintf("%d messages: %d with reports (%d reports: %d trusted, %d untrusted, %d retry), "+
		"%d not a report (%d DMARC aggregate, %d DMARC failure, %d DSN, %d other), %d too large, %d malformed, %d unreadable",
		s.Messages, s.Report, s.Reports, s.Trusted, s.Untrusted, s.Retry,
		s.NotReport, s.DMARCAggregate, s.DMARCFailure, s.DSN, s.Other, s.TooLarge, s.Malformed, s.Unreadable)
}

// writeText prints one message's fate and reports for people.
func writeText(w io.Writer, name string, r *ingest.Result) {
	fmt.Fprintf(w, "%s: %s", name, r.Fate)
	if r.Kind != "" {
		fmt.Fprintf(w, " (%s)", r.Kind)
	}
	fmt.Fprintf(w, " [%s]", r.Format)
	if r.Err != nil {
		fmt.Fprintf(w, ": %v", r.Err)
	}
	fmt.Fprintln(w)
	if r.Mail != nil && r.Fate != ingest.FateReport && r.Mail.Subject != "" {
		fmt.Fprintf(w, "  subject: %s\n", oneLine(r.Mail.Subject))
	}
	for _, rep := range r.Reports {
		s := summarize(rep.Report)
		fmt.Fprintf(w, "  report %s from %s (%s), %s to %s: %s; %d sessions, %d failed\n",
			oneLine(s.ReportID), oneLine(s.Organization), oneLine(s.ContactInfo), s.Start, s.End,
			strings.Join(s.PolicyDomains, ", "), s.Successful+s.Failed, s.Failed)
		if rep.Trust.Verdict == ingest.VerdictTrusted {
			fmt.Fprintf(w, "    %s\n", oneLine(rep.Trust.String()))
		} else {
			fmt.Fprintf(w, "    %s:\n", rep.Trust.Verdict)
		}
		for _, d := range rep.Trust.Reasons {
			fmt.Fprintf(w, "      %s\n", oneLine(d.String()))
		}
	}
	for _, d := range r.Diagnostics {
		fmt.Fprintf(w, "  %s\n", oneLine(d.String()))
	}
}

// oneLine keeps text from a message on one output line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// reportSummary is the summary of one report.
type reportSummary struct {
	ReportID      string
	Organization  string
	ContactInfo   string
	Start, End    string
	PolicyDomains []string
	Successful    int64
	Failed        int64
}

func summarize(r *report.Report) reportSummary {
	s := reportSummary{ReportID: r.ReportID, Organization: r.OrganizationName, ContactInfo: r.ContactInfo,
		Start: timeText(r.DateRange.Start), End: timeText(r.DateRange.End), PolicyDomains: []string{}}
	for _, p := range r.Policies {
		if !slices.Contains(s.PolicyDomains, p.Policy.Domain) {
			s.PolicyDomains = append(s.PolicyDomains, p.Policy.Domain)
		}
		s.Successful += p.Summary.TotalSuccessfulSessionCount
		s.Failed += p.Summary.TotalFailureSessionCount
	}
	return s
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// The JSON Lines schema of read --json (see doc.go).
type (
	jsonMessage struct {
		Input       string           `json:"input"`
		Format      ingest.Format    `json:"format"`
		Fate        ingest.Fate      `json:"fate"`
		Kind        ingest.Kind      `json:"kind,omitempty"`
		Error       string           `json:"error,omitempty"`
		Size        int64            `json:"size"`
		Mail        *jsonMail        `json:"mail,omitempty"`
		Reports     []jsonReport     `json:"reports"`
		Diagnostics []jsonDiagnostic `json:"diagnostics"`
	}
	jsonMail struct {
		From         string `json:"from,omitempty"`
		Subject      string `json:"subject,omitempty"`
		MessageID    string `json:"message-id,omitempty"`
		Date         string `json:"date,omitempty"`
		ReportDomain string `json:"tls-report-domain,omitempty"`
		Submitter    string `json:"tls-report-submitter,omitempty"`
		ReportID     string `json:"report-id,omitempty"`
	}
	jsonReport struct {
		ReportID      string    `json:"report-id"`
		Organization  string    `json:"organization-name"`
		ContactInfo   string    `json:"contact-info"`
		Start         string    `json:"start-datetime"`
		End           string    `json:"end-datetime"`
		PolicyDomains []string  `json:"policy-domains"`
		Successful    int64     `json:"total-successful-session-count"`
		Failed        int64     `json:"total-failure-session-count"`
		Part          string    `json:"part,omitempty"`
		Filename      string    `json:"filename,omitempty"`
		Trust         jsonTrust `json:"trust"`
	}
	jsonTrust struct {
		Verdict    ingest.Verdict   `json:"verdict"`
		Domain     string           `json:"domain,omitempty"`
		Selector   string           `json:"selector,omitempty"`
		AuthServID string           `json:"authserv-id,omitempty"`
		Reasons    []jsonDiagnostic `json:"reasons"`
	}
	jsonDiagnostic struct {
		Severity tlsrpt.Severity `json:"severity"`
		Code     tlsrpt.Code     `json:"code"`
		Path     string          `json:"path,omitempty"`
		Offset   int             `json:"offset,omitempty"`
		Index    int             `json:"index,omitempty"`
		Message  string          `json:"message"`
	}
)

func jsonDiagnostics(ds []tlsrpt.Diagnostic) []jsonDiagnostic {
	out := []jsonDiagnostic{}
	for _, d := range ds {
		out = append(out, jsonDiagnostic{Severity: d.Severity, Code: d.Code, Path: d.Path, Offset: d.Offset, Index: d.Index, Message: d.Message})
	}
	return out
}

// writeJSON writes one message as a JSON line.
func writeJSON(w io.Writer, name string, r *ingest.Result) error {
	m := jsonMessage{Input: name, Format: r.Format, Fate: r.Fate, Kind: r.Kind, Size: r.Size,
		Reports: []jsonReport{}, Diagnostics: jsonDiagnostics(r.Diagnostics)}
	if r.Err != nil {
		m.Error = r.Err.Error()
	}
	if f := r.Mail; f != nil {
		m.Mail = &jsonMail{From: f.From, Subject: f.Subject, MessageID: f.MessageID, Date: timeText(f.Date),
			ReportDomain: f.ReportDomain, Submitter: f.Submitter, ReportID: f.ReportID}
	}
	for _, rep := range r.Reports {
		s := summarize(rep.Report)
		m.Reports = append(m.Reports, jsonReport{
			ReportID: s.ReportID, Organization: s.Organization, ContactInfo: s.ContactInfo, Start: s.Start, End: s.End,
			PolicyDomains: s.PolicyDomains, Successful: s.Successful, Failed: s.Failed,
			Part: rep.Path, Filename: rep.Filename,
			Trust: jsonTrust{Verdict: rep.Trust.Verdict, Domain: rep.Trust.Domain, Selector: rep.Trust.Selector,
				AuthServID: rep.Trust.AuthServID, Reasons: jsonDiagnostics(rep.Trust.Reasons)},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(m)
}
