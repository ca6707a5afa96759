package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/internal/imaptest"
)

// corpusAuthServIDs are the authserv-ids of the MX hosts that received
// the corpus mails (Fastmail, mox, an anonymised Fastmail-style host).
var corpusAuthServIDs = []string{"mx6.messagingengine.com", "komijn.test.xmox.nl", "mail.example.com"}

// corpusTrusted are the corpus mails whose topmost Authentication-Results
// of one of corpusAuthServIDs say dkim=pass for a domain aligned with the
// submitter.
var corpusTrusted = []string{
	"google-2020-fastmaildmarc.mail-tls-rpt.eml",          // mx6.messagingengine.com: dkim=pass header.d=google.com
	"google-2022-xmox.mox.eml",                            // komijn.test.xmox.nl: dkim=pass header.d=google.com
	"google-2026-anon-1.tlsrpt-digest.eml",                // mail.example.com (4th A-R field): dkim=pass header.d=google.com
	"google-2026-anon-2.tlsrpt-digest.eml",                // same
	"google-envelope-synthetic-failure.tlsrpt-digest.eml", // same (the payload was replaced after arrival: only A-R can vouch)
	"microsoft-2023-xmox.mox.eml",                         // komijn.test.xmox.nl: dkim=pass header.d=microsoft.com
	"microsoft-2026-anon.tlsrpt-digest.eml",               // mail.example.com: dkim=pass header.d=microsoft.com
}

// observed is what the corpus test compares between sources.
type observed struct {
	Fate     Fate
	Kind     Kind
	Reports  []string // report-id and verdict
	Trusted  bool
	Warnings int
}

func observe(r *Result) observed {
	s := observed{Fate: r.Fate, Kind: r.Kind, Warnings: len(r.Diagnostics)}
	for _, rep := range r.Reports {
		s.Reports = append(s.Reports, rep.Report.ReportID+" "+rep.Trust.String())
		s.Trusted = rep.Trust.Verdict == VerdictTrusted
	}
	return s
}

// TestCorpusSources reads the corpus mails from a Maildir and from an
// mbox file (both written by the test) and checks that both give the
// same fates and reports; that the cron mail is no report; and that,
// trusting the corpus MX hosts' Authentication-Results, exactly the mails
// of corpusTrusted are trusted — with DKIM off, and with DKIM on but DNS
// knowing no key (offline).
func TestCorpusSources(t *testing.T) {
	paths := corpus.Files(t, "emails", "*.eml")
	var names, msgs []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		names = append(names, filepath.Base(p))
		msgs = append(msgs, string(b))
	}
	md := writeMaildir(t, msgs, nil)
	mbox := mboxrd(msgs...)
	// The same mails in a real Dovecot mailbox, in the same order.
	imapd := imaptest.Start(t, imaptest.Config{})
	for _, m := range msgs {
		imapd.Append(t, "INBOX", []byte(m))
	}

	offline := dnstest.Start(t, dnstest.Zone{}).Resolver() // every key NXDOMAIN
	readers := map[string]*Reader{
		"no-dkim": {NoDKIM: true, TrustedAuthServIDs: corpusAuthServIDs},
		"offline": {Resolver: offline, TrustedAuthServIDs: corpusAuthServIDs},
	}
	for mode, rd := range readers {
		t.Run(mode, func(t *testing.T) {
			var fromMaildir, fromMbox []observed
			st1, err := rd.Run(context.Background(), &Maildir{Dir: md}, func(r *Result) error {
				fromMaildir = append(fromMaildir, observe(r))
				return nil
			})
			require.NoError(t, err)
			st2, err := rd.Run(context.Background(), &Mbox{R: bytes.NewReader(mbox)}, func(r *Result) error {
				fromMbox = append(fromMbox, observe(r))
				return nil
			})
			require.NoError(t, err)
			var fromIMAP []observed
			st3, err := rd.Run(context.Background(), newIMAPSource(t, imapd), func(r *Result) error {
				fromIMAP = append(fromIMAP, observe(r))
				return nil
			})
			require.NoError(t, err)
			require.NoError(t, st1.Check())
			if diff := cmp.Diff(st1, st2); diff != "" {
				t.Errorf("stats Maildir vs mbox (-maildir +mbox):\n%s", diff)
			}
			// IMAP serves the messages with CRLF line ends (RFC 3501
			// §2.3.1), so the LF-only mails lose their bare-LF warning;
			// fates, kinds, reports and verdicts are the same.
			if diff := cmp.Diff(st1, st3); diff != "" {
				t.Errorf("stats Maildir vs IMAP (-maildir +imap):\n%s", diff)
			}
			ignoreWarnings := cmpopts.IgnoreFields(observed{}, "Warnings")
			if diff := cmp.Diff(fromMaildir, fromIMAP, ignoreWarnings); diff != "" {
				t.Errorf("results Maildir vs IMAP (-maildir +imap):\n%s", diff)
			}
			if diff := cmp.Diff(fromMaildir, fromMbox); diff != "" {
				t.Errorf("results Maildir vs mbox (-maildir +mbox):\n%s", diff)
			}
			require.Len(t, fromMaildir, len(names))
			var trusted []string
			for i, s := range fromMaildir {
				if names[i] == "not-a-report-cron.tlsrpt-rs.eml" {
					if s.Fate != FateNotReport || s.Kind != KindOther {
						t.Errorf("cron mail: %s %s", s.Fate, s.Kind)
					}
					continue
				}
				if s.Fate != FateReport {
					t.Errorf("%s: fate %s", names[i], s.Fate)
				}
				if s.Trusted {
					trusted = append(trusted, names[i])
				}
			}
			want := slices.Clone(corpusTrusted)
			slices.Sort(want)
			if diff := cmp.Diff(want, trusted); diff != "" {
				t.Errorf("trusted mails (-want +got):\n%s", diff)
			}
			if st1.Messages != len(names) || st1.NotReport != 1 || st1.Trusted != len(corpusTrusted) {
				t.Errorf("stats %+v", st1)
			}
		})
	}
}

// TestCorpusNoTrustedMX checks that without trusted authserv-ids nothing
// in the corpus is trusted offline: the signatures cannot be checked
// (their keys are long rotated away) and no Authentication-Results field
// is believed.
func TestCorpusNoTrustedMX(t *testing.T) {
	paths := corpus.Files(t, "emails", "*.eml")
	rd := &Reader{Resolver: dnstest.Start(t, dnstest.Zone{}).Resolver()}
	st, err := rd.Run(context.Background(), &Files{Paths: paths}, func(r *Result) error {
		for _, rep := range r.Reports {
			if rep.Trust.Verdict != VerdictUntrusted {
				t.Errorf("%s: %s", r.ID, rep.Trust)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, st.Check())
}
