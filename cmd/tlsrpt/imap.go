package main

import (
	"context"
	"fmt"
	"os"

	"github.com/go-tlsrpt/tlsrpt/ingest"
)

// The password of an imap:// or imaps:// input never comes from the
// command line (it would show in ps and shell history): it is read from
// the environment variable TLSRPT_IMAP_PASSWORD or from the file named by
// TLSRPT_IMAP_PASSWORD_FILE.
const (
	envIMAPPassword     = "TLSRPT_IMAP_PASSWORD"
	envIMAPPasswordFile = "TLSRPT_IMAP_PASSWORD_FILE"
)

func init() {
	openIMAP = func(_ context.Context, rawURL string) (ingest.Source, error) {
		src, err := ingest.ParseIMAPURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errBadIMAPURL, err)
		}
		src.Password = os.Getenv(envIMAPPassword)
		src.PasswordFile = os.Getenv(envIMAPPasswordFile)
		return src, nil
	}
}
