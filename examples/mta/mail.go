package main

import (
	"bytes"
	"os"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// writeMail writes rep as an RFC 8460 §5.3 report mail to file.
func writeMail(file string, rep *report.Report, domain string, dkim *mime.DKIMOptions) error {
	var buf bytes.Buffer
	err := mime.Write(&buf, rep, &mime.WriteOptions{
		From: "TLS reports <" + strings.TrimPrefix(rep.ContactInfo, "mailto:") + ">",
		To:   []string{"tlsrpt@" + domain},
		Date: rep.DateRange.End.Add(time.Hour).Truncate(time.Hour), // after the day, as RFC 8460 §4.1 asks
		DKIM: dkim,                                                 // RFC 8460 §3: report mail MUST be DKIM-signed; without -dkim-key an MTA signs it later
	})
	if err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o644)
}
