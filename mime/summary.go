package mime

import (
	"bytes"
	"mime/quotedprintable"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// summaryText returns the human-readable first part of a report message
// (RFC 6522 §3: a description for people), with LF line ends.
func summaryText(r *report.Report, policyDomain, submitter, filename, mediaType string) string {
	var ok, failed int64
	byType := map[report.ResultType]int64{}
	var types []report.ResultType
	for _, p := range r.Policies {
		ok += p.Summary.TotalSuccessfulSessionCount
		failed += p.Summary.TotalFailureSessionCount
		for _, fd := range p.FailureDetails {
			if _, seen := byType[fd.ResultType]; !seen {
				types = append(types, fd.ResultType)
			}
			byType[fd.ResultType] += fd.FailedSessionCount
		}
	}
	slices.Sort(types)

	var b strings.Builder
	b.WriteString("This is an SMTP TLS report (RFC 8460) for " + policyDomain + ".\n\n")
	b.WriteString("Reporting organization: " + printable(r.OrganizationName) + "\n")
	b.WriteString("Submitter: " + submitter + "\n")
	b.WriteString("Contact: " + printable(r.ContactInfo) + "\n")
	b.WriteString("Report-ID: " + printable(r.ReportID) + "\n")
	b.WriteString("Period: " + r.DateRange.Start.UTC().Format(time.RFC3339) + " to " +
		r.DateRange.End.UTC().Format(time.RFC3339) + "\n")
	b.WriteString("Policies: " + strconv.Itoa(len(r.Policies)) + "\n")
	b.WriteString("Sessions: " + strconv.FormatInt(ok, 10) + " successful, " +
		strconv.FormatInt(failed, 10) + " failed\n")
	if len(types) > 0 {
		b.WriteString("\nFailed sessions by result type:\n")
		for _, t := range types {
			b.WriteString("  " + printable(string(t)) + ": " + strconv.FormatInt(byType[t], 10) + "\n")
		}
	}
	b.WriteString("\nThe report is attached as " + mediaType + ":\n" + filename + "\n")
	return b.String()
}

// printable replaces control characters by U+FFFD so report text cannot
// break the summary's lines; the attached JSON keeps the exact value.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// encodeSummary converts text (LF line ends) to CRLF and returns it with its
// Content-Transfer-Encoding: 7bit when it is ASCII with short lines,
// quoted-printable otherwise (RFC 2045 §6.7).
func encodeSummary(text string) ([]byte, string) {
	need := false
	for _, line := range strings.Split(text, "\n") {
		if len(line) > lineLimit || !isASCII(line) {
			need = true
			break
		}
	}
	if !need {
		return []byte(strings.ReplaceAll(text, "\n", "\r\n")), "7bit"
	}
	var b bytes.Buffer
	qw := quotedprintable.NewWriter(&b)
	qw.Write([]byte(text)) // LF becomes CRLF in text mode
	qw.Close()
	return b.Bytes(), "quoted-printable"
}
