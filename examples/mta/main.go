// Mta shows the emitting side of SMTP TLS Reporting (RFC 8460) as a
// fleet of MTAs embeds it, on loopback, with no outside network:
//
//  1. Three MTA nodes send a day of mail to nine recipient domains. Every
//     session is a real SMTP session with STARTTLS to a go-smtp server on
//     127.0.0.1, under the recipient's policy: MTA-STS fetched over HTTPS
//     (policy.STSCache) and enforced with the Web PKI, DANE TLSA records
//     looked up with the AD bit (policy.LookupTLSA) and matched
//     (policy.MatchTLSA), or no policy (opportunistic TLS). The MX hosts
//     present good, expired, self-signed and wrong-name certificates, or
//     offer no STARTTLS; one policy URL answers 404 and one policy host
//     has a self-signed certificate. Each session is classified with
//     aggregate.ClassifyTLSError and recorded in the node's Aggregator.
//  2. Each node's Aggregator flushes to one shared store (package store on
//     a SQLite file; a fleet would share PostgreSQL) through an
//     aggregate.Flusher. Node node-2 is killed mid-day, after a flush,
//     losing only the sessions it recorded since; it restarts with the
//     same node id and continues its batch numbering.
//  3. After the day the reports are built from the store and claimed, so
//     that exactly one node hands each one over: node-2 claims them and
//     dies before handing over; once its claims expire node-3 takes them
//     over and puts them on the store's delivery queue.
//  4. A submit.Worker on every node drains the queue: it looks up each
//     policy domain's TLS-RPT record and delivers over HTTPS to an
//     ingest.Receiver and by DKIM-signed mail over SMTP, retrying the
//     endpoint that answers 503 at first (RFC 8460 §5.5).
//
// The store is a SQLite file in a temporary directory, removed at the end,
// or the file -db names (kept). The day is 2026-11-24; session counts and
// the clock of claims and deliveries are fixed, so the output is the same
// on every run. From the repository root:
//
//	go run ./examples/mta
//	go run ./examples/mta -db /tmp/mta.db
//
// examples/quickstart shows one MTA and the analyzer side in one program.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver store.SQLiteDSN names

	"github.com/go-tlsrpt/tlsrpt/store"
)

func main() {
	fs := flag.NewFlagSet("mta", flag.ContinueOnError)
	dbFile := fs.String("db", "", "SQLite file of the shared store, kept after the run (default: a temporary file)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := *dbFile
	if path == "" {
		dir, err := os.MkdirTemp("", "tlsrpt-mta-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "mta:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "mta.db")
	}
	if _, err := run(ctx, os.Stdout, path); err != nil {
		fmt.Fprintln(os.Stderr, "mta:", err)
		cancel()
		os.Exit(1)
	}
}

// openStore opens the shared store on the SQLite file path.
func openStore(ctx context.Context, path string) (*store.Store, *sql.DB, error) {
	db, err := sql.Open("sqlite", store.SQLiteDSN(path))
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return st, db, nil
}

// run plays the scenario against the SQLite store at path, writes what
// happens to w and returns it.
func run(ctx context.Context, w io.Writer, path string) (*outcome, error) {
	st, db, err := openStore(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	defer st.Close()
	return runOn(ctx, w, st)
}

// runOn plays the scenario in a new loopback world against st.
func runOn(ctx context.Context, w io.Writer, st durable) (*outcome, error) {
	world, err := startWorld()
	if err != nil {
		return nil, err
	}
	defer world.close()
	return playDay(ctx, w, world, st)
}
