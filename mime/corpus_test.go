package mime

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/corpus"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// corpusCodes are the mime warning codes each corpus mail is known to
// produce; a change is a regression (or an improvement to record here).
var corpusCodes = map[string][]tlsrpt.Code{
	"google-2020-fastmaildmarc.mail-tls-rpt.eml":          {CodeBareLF},
	"google-2022-xmox.mox.eml":                            nil,
	"google-2024-cardinalhealth.parsedmarc.eml":           {CodeBareLF},
	"google-2024-krvtz-1.tlsrpt-rs.eml":                   {CodeBareLF},
	"google-2024-krvtz-2.tlsrpt-rs.eml":                   nil,
	"google-2026-anon-1.tlsrpt-digest.eml":                {CodeBareLF},
	"google-2026-anon-2.tlsrpt-digest.eml":                {CodeBareLF},
	"google-envelope-synthetic-failure.tlsrpt-digest.eml": {CodeBareLF, CodeFilenameMismatch},
	"mailru-2023-krvtz.tlsrpt-rs.eml":                     {CodeMissingClosingBoundary, CodeSubmitterMismatch},
	"microsoft-2023-xmox.mox.eml":                         {CodeSubject},
	"microsoft-2024-krvtz-tlsa.tlsrpt-rs.eml":             {CodeBareLF, CodeHTMLPart, CodeSubject},
	"microsoft-2026-anon.tlsrpt-digest.eml":               {CodeBareLF, CodeHTMLPart, CodeSubject},
	"rfc8460-example-gzip.stalwart.eml": {CodeBareLF, CodeDate, CodeFilenameMismatch,
		CodeReportDomainMismatch, CodeSubmitterMismatch},
	"rfc8460-example-plainjson.stalwart.eml": {CodeBareLF, CodeDate, CodeFilenameMismatch,
		CodeMediaType, CodeReportDomainMismatch, CodeSubmitterMismatch},
}

// TestCorpusEmails runs every real report mail of the shared corpus
// through Parse: each yields its report (equal to the corpus copy of the
// attachment, where there is one), the not-a-report mail yields
// ErrNoReport.
func TestCorpusEmails(t *testing.T) {
	files := corpus.Files(t, "emails", "*.eml")
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := Parse(f)
			if strings.HasPrefix(name, "not-a-report") {
				if !errors.Is(err, ErrNoReport) {
					t.Fatalf("Parse = %v, want ErrNoReport", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(m.Reports) != 1 {
				t.Fatalf("got %d reports, want 1", len(m.Reports))
			}
			for _, w := range m.Warnings {
				t.Logf("warning %s %s: %s", w.Path, w.Code, w.Message)
			}
			if want, ok := corpusCodes[name]; ok {
				if diff := cmp.Diff(want, codes(m.Warnings)); diff != "" {
					t.Errorf("warning codes (-want +got):\n%s", diff)
				}
			}
			t.Logf("domain=%q submitter=%q report-id=%q filename=%q date=%v", m.ReportDomain, m.Submitter, m.ReportID, m.Attachments[0].Filename, m.Date)
			if m.ReportDomain == "" || m.Submitter == "" || m.Subject == "" || m.From == "" {
				t.Errorf("header facts missing: %+v", m)
			}
			// None of these reports was forwarded: the mail itself
			// carries it, and its own signatures are the ones to check.
			mail, err := os.ReadFile(path)
			require.NoError(t, err)
			v, err := Verify(context.Background(), bytes.NewReader(mail), &VerifyOptions{
				Resolver: txtFunc(func(context.Context, string) ([]string, error) { return nil, errors.New("offline") }),
			})
			require.NoError(t, err)
			if v.Carrier != "mime:message" {
				t.Errorf("Verify checked %q, want the mail itself", v.Carrier)
			}
			// Class B corpus reports are the attachments of these mails.
			gz := filepath.Join(filepath.Dir(path), "..", "reports", strings.TrimSuffix(name, ".eml")+".json.gz")
			data, err := os.ReadFile(gz)
			if err != nil {
				return
			}
			want, _, err := report.Parse(data)
			if err != nil {
				t.Fatalf("corpus report %s: %v", gz, err)
			}
			if diff := cmp.Diff(want, m.Reports[0], cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("report differs from %s (-want +got):\n%s", filepath.Base(gz), diff)
			}
		})
	}
}
