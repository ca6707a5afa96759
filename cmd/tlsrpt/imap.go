package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

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

// redact returns a command-line argument for messages and labels: an IMAP
// URL without its password (url.URL.Redacted), a path as given. An
// argument that looks like a URL but does not parse is not echoed, since
// it may hold a password.
func redact(arg string) string {
	u, err := url.Parse(arg)
	switch {
	case err == nil:
		return u.Redacted()
	case strings.Contains(arg, "://"):
		return "(unparsable URL)"
	}
	return arg
}
