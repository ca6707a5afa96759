// Mta shows the emitting side of SMTP TLS Reporting (RFC 8460) as an MTA
// embeds it: it records outbound TLS sessions with aggregate, builds
// the day's reports (one per policy domain), prints them as JSON and, with
// -out, writes each as the report mail of RFC 8460 §5.3 (.eml).
//
// Without -in it records a small built-in scenario (scenario.csv in this
// directory): sessions under an MTA-STS policy, a DANE policy and no
// policy, with a failure of each kind. From the repository root:
//
//	go run ./examples/mta
//	go run ./examples/mta -in sessions.csv -day 2026-11-24 -org "Example Mail" -contact tlsrpt@mail.example -out /tmp/reports
//
// Flags:
//
//	-in FILE        sessions to record, CSV or JSON lines (default: the built-in scenario)
//	-day YYYY-MM-DD the UTC day to report (default: every day in the input)
//	-org NAME       organization-name of the reports
//	-contact ADDR   contact-info of the reports (an e-mail address)
//	-out DIR        also write each report mail to DIR/<day>_<policy-domain>.eml
//	-dkim-key FILE  sign the mails with this PKCS #8 PEM key (Ed25519 or RSA),
//	                domain: the contact's, selector: -dkim-selector (default tlsrpt)
//
// The input has one line per group of sessions. A CSV file starts with a
// header naming its columns; JSON lines use the same names as members:
//
//	time                  when (RFC 3339); selects the UTC day
//	count                 how many sessions (default 1)
//	policy-type           sts, tlsa or no-policy-found
//	policy-domain         the policy domain (the MX host for tlsa)
//	policy-string         the policy lines or TLSA records; in CSV separated by "|"
//	mx-host               the MTA-STS mx patterns; in CSV separated by "|"
//	result-type           empty for a successful session, else why it failed
//	receiving-mx-hostname, receiving-ip, sending-mta-ip, failure-reason-code
//	                      the failure's details (RFC 8460 §4.4)
//
// The mails are addressed to tlsrpt@<policy-domain>; a real MTA takes the
// addresses from the policy domain's TLS-RPT record (dnsrecord.Lookup) and
// hands the report to submit.Deliverer, which also POSTs to https
// destinations and says when to retry.
package main

import (
	"crypto"
	"crypto/x509"
	_ "embed"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/report"
)

//go:embed scenario.csv
var scenario []byte

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mta:", err)
		}
		os.Exit(2)
	}
}

// run parses the flags in args, records the sessions and writes the reports
// to stdout (and -out).
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mta", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "sessions to record, CSV or JSON lines (default: the built-in scenario)")
	dayFlag := fs.String("day", "", "UTC day to report, YYYY-MM-DD (default: every day in the input)")
	org := fs.String("org", "Example Mail", "organization-name of the reports")
	contact := fs.String("contact", "tlsrpt@mail.example", "contact-info of the reports")
	out := fs.String("out", "", "directory to write the report mails (.eml) to")
	keyFile := fs.String("dkim-key", "", "PKCS #8 PEM private key to DKIM-sign the mails with")
	selector := fs.String("dkim-selector", "tlsrpt", "DKIM selector of -dkim-key")
	if err := fs.Parse(args); err != nil {
		return err
	}

	data, name := scenario, "scenario.csv"
	if *in != "" {
		var err error
		if data, err = os.ReadFile(*in); err != nil {
			return err
		}
		name = *in
	}
	agg := aggregate.New(aggregate.Config{OrganizationName: *org, ContactInfo: *contact})
	if err := recordSessions(agg, name, data); err != nil {
		return err
	}

	days := agg.Days()
	if *dayFlag != "" {
		d, err := time.Parse(time.DateOnly, *dayFlag)
		if err != nil {
			return fmt.Errorf("-day: %w", err)
		}
		days = []time.Time{d}
	}
	var dkim *mime.DKIMOptions
	if *keyFile != "" {
		signer, err := readKey(*keyFile)
		if err != nil {
			return err
		}
		domain, err := report.ContactDomain(*contact)
		if err != nil {
			return err
		}
		dkim = &mime.DKIMOptions{Domain: domain, Selector: *selector, Signer: signer}
	}

	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
	}
	for _, day := range days {
		reports, err := agg.Reports(day)
		if err != nil {
			return err
		}
		for _, rep := range reports {
			// Validate catches what a producer must not send (RFC 8460 §4.4).
			if err := rep.Validate(); err != nil {
				return fmt.Errorf("report %s: %w", rep.ReportID, err)
			}
			js, err := json.MarshalIndent(rep, "", "  ") // canonical RFC 8460 JSON
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\n", js)
			if *out == "" {
				continue
			}
			domain := rep.Policies[0].Policy.Domain
			file := filepath.Join(*out, day.Format(time.DateOnly)+"_"+domain+".eml")
			if err := writeMail(file, rep, domain, dkim); err != nil {
				return err
			}
			fmt.Fprintln(stderr, "wrote", file)
		}
	}
	return nil
}

// readKey reads a PKCS #8 PEM private key usable for DKIM.
func readKey(file string) (crypto.Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", file)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: %T cannot sign", file, key)
	}
	return signer, nil
}
