// Operator checks what a mail domain publishes for SMTP TLS Reporting
// (RFC 8460) and MTA-STS (RFC 8461), the way a postmaster would before and
// after changing DNS: it looks up the TLS-RPT record at _smtp._tls.<domain>
// and the MTA-STS record at _mta-sts.<domain> with the system resolver,
// prints how each parses and the advice of dnsrecord.Lint, and with -fetch
// also fetches the MTA-STS policy and checks it with policy.LintSTSPolicy
// against the domain's MX hosts. From the repository root:
//
//	go run ./examples/operator example.com
//	go run ./examples/operator -fetch example.com
//
// Offline, it checks a record text or a policy file before publishing it:
//
//	go run ./examples/operator -record 'v=TLSRPTv1; rua=mailto:tlsrpt@example.com'
//	go run ./examples/operator -sts-policy mta-sts.txt -mx mx1.example.com,mx2.example.com
//
// The policy is fetched as RFC 8461 §3.3 says a sender does: from
// https://mta-sts.<domain>/.well-known/mta-sts.txt, with a verified
// certificate, without following redirects, within one minute and reading
// at most 64 KiB. The exit status is 1 when something is invalid (a record
// or policy that senders reject, an MX host the policy does not cover, a
// failed lookup or fetch) and 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
)

// errInvalid means a check found an error; the details were printed.
var errInvalid = errors.New("invalid")

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := &checker{resolver: net.DefaultResolver, client: policyClient()}
	err := c.run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, errInvalid):
		os.Exit(1)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "operator:", err)
		os.Exit(2)
	}
}

// checker runs the checks and remembers whether any found an error.
type checker struct {
	resolver tlsrpt.Resolver // *net.Resolver in main
	client   *http.Client    // fetches MTA-STS policies
	out      io.Writer
	invalid  bool
}

// policyClient returns the HTTP client for MTA-STS policies (RFC 8461
// §3.3): certificates verified, no redirects, a one-minute timeout.
func policyClient() *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a 3xx is then an error status
		},
	}
}

// run parses the flags in args and runs the checks they ask for.
func (c *checker) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("operator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	record := fs.String("record", "", "check this TLS-RPT record text offline instead of looking one up")
	stsPolicy := fs.String("sts-policy", "", "check this MTA-STS policy file offline")
	mx := fs.String("mx", "", "comma-separated MX hosts to check -sts-policy against")
	fetch := fs.Bool("fetch", false, "also fetch and check the domain's MTA-STS policy over HTTPS")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: operator [-fetch] domain ...\n       operator -record TXT\n       operator -sts-policy FILE [-mx host,...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.out, c.invalid = stdout, false
	offline := *record != "" || *stsPolicy != ""
	if offline == (fs.NArg() > 0) || *mx != "" && *stsPolicy == "" {
		fs.Usage()
		return flag.ErrHelp
	}

	if *record != "" && !c.checkTLSRPT([]string{*record}) {
		c.invalid = true
	}
	if *stsPolicy != "" {
		text, err := readPolicyFile(*stsPolicy)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "MTA-STS policy %s\n", *stsPolicy)
		var hosts []string
		if *mx != "" {
			hosts = strings.Split(*mx, ",")
		}
		c.checkSTSPolicy(text, hosts)
	}
	for _, domain := range fs.Args() {
		c.checkDomain(ctx, domain, *fetch)
	}
	if c.invalid {
		return errInvalid
	}
	return nil
}
