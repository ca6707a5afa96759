// Quickstart runs the whole SMTP TLS Reporting job (RFC 8460) on loopback,
// with nothing to configure and no outside network:
//
//  1. An MTA, mail.example, records a day of outbound TLS sessions with
//     aggregate: mostly successes, and failures of each family (TLS
//     negotiation, MTA-STS, DANE), classified with aggregate.ClassifyTLSError.
//  2. After the day it builds one report per policy domain, looks up each
//     domain's TLS-RPT record with dnsrecord.Lookup and delivers the report
//     with submit.Deliverer: as a DKIM-signed mail over SMTP with STARTTLS
//     to the domain's MX host, and as an HTTPS POST to an ingest.Receiver
//     (RFC 8460 §5.3, §5.4).
//  3. The analyzer side reads what arrived with ingest.Reader: it finds
//     the report in the mail and checks its DKIM signature (RFC 8460 §3:
//     reports without a valid signature of the reporting domain are
//     ignored), and prints a summary per policy domain with the meaning of
//     each failure's result type.
//
// The DNS is a map answered in-process, the SMTP server is
// github.com/emersion/go-smtp on 127.0.0.1, the HTTPS server is net/http on
// 127.0.0.1, and one certificate generated at start serves both, as does
// an Ed25519 DKIM key. The day (2026-11-24) and the session counts are fixed,
// so the output is the same on every run. From the repository root:
//
//	go run ./examples/quickstart
//
// The other examples cover each side on its own: examples/mta (emitting),
// examples/analyzer (reading report files) and examples/operator (checking
// a domain's records).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run starts the loopback world, plays the MTA, then the analyzer, and
// writes what happens to w.
func run(ctx context.Context, w io.Writer) error {
	world, err := startWorld()
	if err != nil {
		return err
	}
	defer world.close()

	if err := sendReports(ctx, w, world); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return analyze(ctx, w, world)
}
