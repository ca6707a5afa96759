package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/check"
	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

func init() {
	register(&verb{name: "check", summary: "check a domain's TLS-RPT and MTA-STS setup and its MX hosts' STARTTLS, certificates and DANE", run: runCheck})
}

const checkHelp = `Usage: tlsrpt check [--json] [--resolver HOST:PORT] [--timeout DURATION] [--no-mx] [--probe] DOMAIN...

Check what a mail domain publishes for SMTP TLS Reporting (RFC 8460) and
MTA-STS (RFC 8461), and how its MX hosts do TLS, the way sending MTAs see
it:

  TLS-RPT   the TXT records at _smtp._tls.DOMAIN, the record senders select
            and parse (strictly), advice on the whole set, records published
            where senders never look (the apex, _smtp_tls.DOMAIN, an MX
            host's own name, ...), and with --probe whether each rua
            destination can receive
  MTA-STS   the _mta-sts.DOMAIN record, the policy fetched exactly as
            senders fetch it (also when the record is broken), its advice,
            and whether its mx patterns cover every MX host
  MX hosts  an SMTP session on port 25: EHLO, STARTTLS, the TLS version, the
            certificate (valid for the MX name, dates and days left, chain
            to the system roots, or those of SSL_CERT_FILE), and DANE: the
            TLSA records at _25._tcp.MX, whether the resolver authenticated
            them (AD bit), and whether one matches the certificate

Every problem a sender would report names the RFC 8460 result type and
reason code it would report, with the result type's advice.

Flags:
  --json                one JSON object per domain (JSON Lines; the schema
                        is below)
  --resolver HOST:PORT  send every DNS query to this server (port 53 if
                        left out), TLSA queries included; use a validating
                        resolver you trust for DANE. Default: the system's
                        resolver, and the first nameserver of
                        /etc/resolv.conf for TLSA queries
  --timeout DURATION    bound for each DNS query, SMTP session, policy fetch
                        and probe (default 30s)
  --no-mx               do not connect to the MX hosts (no SMTP, certificate
                        or DANE checks; their MX records are still used)
  --probe               also check that each rua destination can receive: a
                        mailto: domain has MX records or an address, an
                        https: host answers HEAD over verified TLS (HEAD,
                        not POST: a POST would hand the receiver something
                        that is not a report)
  -h, --help            this help

Output: per domain, a verdict line (ok, problems or incomplete, with the
counts), then TLS-RPT, MTA-STS and one paragraph per MX host. A finding is
"error", "warning", "info" or "could not check", located in a TXT string
(#index, byte offset) or a policy line where it applies, with its fix, the
result type senders report and its advice.

JSON (--json), one object per domain:
  domain      string  the domain, A-label
  verdict     string  ok | problems | incomplete
  errors, warnings, unchecked
              number  counts of the findings
  findings    array   about the domain as a whole (finding objects)
  tlsrpt      object  name, txt (array of the TXT strings as published),
                      record (canonical form; omitempty), rua (array of
                      {uri, scheme, usable, destination, probe}), findings
  mta-sts     object  name, txt, id (omitempty), policy-url, fetched (bool),
                      policy (the file as served; omitempty), mode, max-age
                      (omitempty), mx (patterns), findings
  mx          array   per MX host: host, preference, implicit (omitempty),
                      sts-pattern (omitempty), addresses, checked, address,
                      starttls, tls-version, certificate {subject, issuer,
                      dns-names, not-before, not-after, days-left,
                      valid-for-host, trusted, tlsa-3-1-1} and dane {name,
                      tlsa, authenticated, match} (omitempty), findings
A finding is {severity, code, message, fix, path, index, offset,
result-type, reason-code, advice, temporary}; all but severity, code and
message are left out when empty.

Exit status: 0 no errors (warnings and advice may be printed); 1 errors
found in some domain (a domain with neither TLS-RPT nor MTA-STS counts);
2 usage error; 3 something could not be checked (a DNS query failed, port
25 could not be reached): retry later. 3 wins over 1.

Examples:
  tlsrpt check example.com
  tlsrpt check --probe --resolver 127.0.0.1:53 example.com example.net
  tlsrpt check --json --no-mx example.com example.net | jq -r 'select(.verdict != "ok") | .domain'
`

// checkOptions are the flags of check.
type checkOptions struct {
	json      bool
	resolver  string
	timeout   time.Duration
	noMX      bool
	probe     bool
	connectTo stringList // hidden, for tests: HOST:PORT=ADDR:PORT
	now       string     // hidden, for tests: RFC 3339 clock for certificates
	domains   []string
}

func parseCheckFlags(e *env, args []string) (*checkOptions, int) {
	o := &checkOptions{}
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.json, "json", false, "")
	fs.StringVar(&o.resolver, "resolver", "", "")
	fs.DurationVar(&o.timeout, "timeout", check.DefaultTimeout, "")
	fs.BoolVar(&o.noMX, "no-mx", false, "")
	fs.BoolVar(&o.probe, "probe", false, "")
	fs.Var(&o.connectTo, "connect-to", "")
	fs.StringVar(&o.now, "now", "", "")
	help := false
	fs.BoolVar(&help, "h", false, "")
	fs.BoolVar(&help, "help", false, "")
	usageErr := func(format string, a ...any) (*checkOptions, int) {
		fmt.Fprintf(e.stderr, "tlsrpt check: "+format+"\n\n%s", append(a, checkHelp)...)
		return nil, exitUsage
	}
	rest, err := parseInterspersed(fs, args)
	switch {
	case err != nil:
		return usageErr("%v", err)
	case help:
		fmt.Fprint(e.stdout, checkHelp)
		return nil, exitOK
	case len(rest) == 0:
		return usageErr("no domain")
	case o.timeout <= 0:
		return usageErr("--timeout must be positive")
	}
	for _, d := range rest {
		a, err := domain.ToASCII(strings.TrimSuffix(d, "."))
		if err != nil || !strings.Contains(a, ".") {
			return usageErr("not a domain name: %q", d)
		}
		o.domains = append(o.domains, a)
	}
	return o, exitOK
}

// runCheck is the check verb.
func runCheck(ctx context.Context, e *env, args []string) int {
	o, code := parseCheckFlags(e, args)
	if o == nil {
		return code
	}
	cfg, err := o.config()
	if err != nil {
		fmt.Fprintf(e.stderr, "tlsrpt check: %v\n\n%s", err, checkHelp)
		return exitUsage
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	var results []*check.Result
	for i, d := range o.domains {
		r := cfg.Check(ctx, d)
		results = append(results, r)
		if o.json {
			enc := json.NewEncoder(out)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(r); err != nil {
				fmt.Fprintf(e.stderr, "tlsrpt check: %v\n", err)
				return exitTemporary
			}
		} else {
			if i > 0 {
				fmt.Fprintln(out)
			}
			writeCheckText(out, r)
		}
		out.Flush()
	}
	if !o.json && len(results) > 1 {
		counts := map[check.Verdict]int{}
		for _, r := range results {
			counts[r.Verdict]++
		}
		fmt.Fprintf(out, "\n%d domains: %d ok, %d with problems, %d incomplete\n", len(results),
			counts[check.VerdictOK], counts[check.VerdictProblems], counts[check.VerdictIncomplete])
	}
	code = exitOK
	for _, r := range results {
		switch r.Verdict {
		case check.VerdictIncomplete:
			code = exitTemporary
		case check.VerdictProblems:
			if code == exitOK {
				code = exitFailed
			}
		}
	}
	return code
}

// config makes the check.Config of the flags.
func (o *checkOptions) config() (*check.Config, error) {
	cfg := &check.Config{Timeout: o.timeout, NoMX: o.noMX, Probe: o.probe}
	dnsAddr := systemNameserver()
	if o.resolver != "" {
		addr, err := resolverAddr(o.resolver)
		if err != nil {
			return nil, err
		}
		dnsAddr = addr
		cfg.Resolver = &net.Resolver{
			PreferGo: true,
			Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			},
		}
	}
	cfg.DNS = &policy.DNSClient{Addr: dnsAddr, Timeout: o.timeout}
	for _, m := range o.connectTo {
		from, to, ok := strings.Cut(m, "=")
		if !ok {
			return nil, fmt.Errorf("--connect-to %q: want HOST:PORT=ADDR:PORT", m)
		}
		if cfg.ConnectTo == nil {
			cfg.ConnectTo = map[string]string{}
		}
		cfg.ConnectTo[strings.ToLower(from)] = to
	}
	if o.now != "" {
		t, err := time.Parse(time.RFC3339, o.now)
		if err != nil {
			return nil, fmt.Errorf("--now: %v", err)
		}
		cfg.Now = func() time.Time { return t }
	}
	return cfg, nil
}

// resolverAddr checks a --resolver value and adds port 53 when it has no
// port.
func resolverAddr(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = strings.Trim(s, "[]"), "53"
	}
	if host == "" {
		return "", fmt.Errorf("--resolver %q: want HOST:PORT", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("--resolver %q: bad port", s)
	}
	return net.JoinHostPort(host, port), nil
}

// systemNameserver is the first nameserver of /etc/resolv.conf, for the
// TLSA queries that *net.Resolver cannot make; 127.0.0.1:53 without one.
func systemNameserver() string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return "127.0.0.1:53"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			host, _, _ := strings.Cut(f[1], "%") // drop an IPv6 zone
			return net.JoinHostPort(host, "53")
		}
	}
	return "127.0.0.1:53"
}

// writeCheckText prints one domain's result for people.
func writeCheckText(w io.Writer, r *check.Result) {
	fmt.Fprintf(w, "%s: %s\n", r.Domain, verdictText(r))
	writeFindings(w, "  ", r.Findings)

	t := &r.TLSRPT
	fmt.Fprintf(w, "  TLS-RPT %s\n", t.Name)
	for i, s := range t.TXT {
		fmt.Fprintf(w, "    TXT #%d %s\n", i, strconv.Quote(s))
	}
	if t.Record != "" {
		fmt.Fprintf(w, "    senders use: %s\n", t.Record)
	}
	for _, u := range t.RUA {
		what := "senders skip it (" + u.Scheme + ": is not a scheme reports are sent to)"
		switch {
		case u.Usable && u.Scheme == "mailto":
			what = "reports are mailed to " + u.Destination
		case u.Usable:
			what = "reports are POSTed to " + u.Destination
		}
		if u.Probe != "" {
			what += "; probe: " + u.Probe
		}
		fmt.Fprintf(w, "    rua %s: %s\n", oneLine(u.URI), oneLine(what))
	}
	writeFindings(w, "    ", t.Findings)

	s := &r.MTASTS
	fmt.Fprintf(w, "  MTA-STS %s\n", s.Name)
	for i, x := range s.TXT {
		fmt.Fprintf(w, "    TXT #%d %s\n", i, strconv.Quote(x))
	}
	if s.ID != "" {
		fmt.Fprintf(w, "    senders use: policy id %s\n", s.ID)
	}
	switch {
	case s.Fetched:
		age := ""
		if s.MaxAge != nil {
			age = fmt.Sprintf(", max_age %d (%s)", *s.MaxAge, days(*s.MaxAge))
		}
		fmt.Fprintf(w, "    policy %s: mode %s%s, mx %s\n", s.PolicyURL, s.Mode, age, strings.Join(s.MX, ", "))
	case s.Policy != "":
		fmt.Fprintf(w, "    policy %s: served, not usable\n", s.PolicyURL)
		for i, line := range strings.Split(strings.TrimSuffix(s.Policy, "\n"), "\n") {
			fmt.Fprintf(w, "      line %d %s\n", i+1, strconv.Quote(line))
		}
	}
	writeFindings(w, "    ", s.Findings)

	for _, h := range r.MX {
		line := fmt.Sprintf("  MX %s (preference %d", h.Host, h.Preference)
		if h.Implicit {
			line += ", implicit: the domain has no MX records"
		}
		line += ")"
		if h.STSPattern != "" {
			line += ", mta-sts pattern " + h.STSPattern
		}
		fmt.Fprintln(w, line)
		if len(h.Addresses) > 0 {
			fmt.Fprintf(w, "    addresses %s\n", strings.Join(h.Addresses, ", "))
		}
		if h.STARTTLS {
			fmt.Fprintf(w, "    STARTTLS with %s: %s\n", h.Address, h.TLSVersion)
		}
		if c := h.Certificate; c != nil {
			fmt.Fprintf(w, "    certificate %s, issued by %s\n", oneLine(c.Subject), oneLine(c.Issuer))
			left := fmt.Sprintf("%d days left", c.DaysLeft)
			if c.DaysLeft < 0 {
				left = "expired"
			}
			fmt.Fprintf(w, "      names %s; valid %s to %s (%s)\n", oneLine(strings.Join(c.DNSNames, ", ")),
				c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), left)
			fmt.Fprintf(w, "      valid for %s: %s; chains to a trusted root: %s\n", h.Host, yesNo(c.ValidForHost), yesNo(c.Trusted))
		}
		if d := h.DANE; d != nil {
			auth := "not authenticated (no AD bit)"
			if d.Authenticated {
				auth = "DNSSEC-authenticated"
			}
			fmt.Fprintf(w, "    DANE %s: %d TLSA %s, %s\n", d.Name, len(d.TLSA), plural(len(d.TLSA), "record"), auth)
			for _, t := range d.TLSA {
				mark := ""
				if t == d.Match {
					mark = " (matches)"
				}
				fmt.Fprintf(w, "      %s%s\n", t, mark)
			}
		}
		writeFindings(w, "    ", h.Findings)
	}
}

// verdictText is the verdict with the counts that are not zero.
func verdictText(r *check.Result) string {
	var parts []string
	add := func(n int, unit string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, unit)))
		}
	}
	add(r.Errors, "error")
	add(r.Warnings, "warning")
	add(r.Unchecked, "check not made")
	v := string(r.Verdict)
	switch r.Verdict {
	case check.VerdictProblems:
		v = "problems found"
	case check.VerdictIncomplete:
		v = "incomplete, retry later"
	}
	if len(parts) == 0 {
		return v
	}
	return v + " (" + strings.Join(parts, ", ") + ")"
}

// writeFindings prints findings, one paragraph each.
func writeFindings(w io.Writer, indent string, fs []check.Finding) {
	for _, f := range fs {
		label := string(f.Severity)
		if f.Temporary {
			label = "could not check"
		}
		switch {
		case f.Path != "":
			label += " " + f.Path
		case f.InTXT:
			label += fmt.Sprintf(" TXT #%d offset %d", f.Index, f.Offset)
		}
		fmt.Fprintf(w, "%s%s: %s [%s]\n", indent, label, oneLine(f.Message), f.Code)
		if f.Fix != "" {
			fmt.Fprintf(w, "%s  fix: %s\n", indent, oneLine(f.Fix))
		}
		if f.ResultType != "" {
			fmt.Fprintf(w, "%s  senders report %s (%s): %s\n", indent, f.ResultType, oneLine(f.ReasonCode), f.Advice)
		}
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func plural(n int, unit string) string {
	if n == 1 {
		return unit
	}
	return unit + "s"
}

// days says a number of seconds in days.
func days(secs int) string {
	d := float64(secs) / 86400
	if d == float64(int(d)) {
		return fmt.Sprintf("%d %s", int(d), plural(int(d), "day"))
	}
	return fmt.Sprintf("%.1f days", d)
}
