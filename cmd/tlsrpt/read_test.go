package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// testReport is a report of contact-info domain d.
func testReport(d, id string) *report.Report {
	return &report.Report{
		OrganizationName: "Sender " + d,
		DateRange: report.DateRange{
			Start: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		},
		ContactInfo: "mailto:tlsrpt@" + d,
		ReportID:    id,
		Policies: []report.PolicyResult{{
			Policy:  policy.Policy{Type: policy.TypeSTS, Strings: []string{"version: STSv1", "mode: enforce", "mx: mx.example.net", "max_age: 86400"}, Domain: "example.net", MXHosts: []string{"mx.example.net"}},
			Summary: report.Summary{TotalSuccessfulSessionCount: 90, TotalFailureSessionCount: 10},
			FailureDetails: []report.FailureDetail{{
				ResultType: report.ResultCertificateExpired, SendingMTAIP: netip.MustParseAddr("192.0.2.1"),
				ReceivingMXHostname: "mx.example.net", FailedSessionCount: 10,
			}},
		}},
	}
}

// world is the DNS and keys of the fixtures.
type world struct {
	keys     map[string]ed25519.PrivateKey
	resolver tlsrpt.Resolver
}

// newWorld publishes an Ed25519 key for each domain; the keys of the
// domains in servfail answer SERVFAIL.
func newWorld(t *testing.T, domains []string, servfail ...string) *world {
	w := &world{keys: map[string]ed25519.PrivateKey{}}
	z := dnstest.Zone{TXT: map[string][][]string{}, RCode: map[string]dnsmessage.RCode{}}
	for _, d := range append(domains, servfail...) {
		pub, key, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		w.keys[d] = key
		z.TXT["tlsrpt._domainkey."+d] = [][]string{{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}}
	}
	for _, d := range servfail {
		z.RCode["tlsrpt._domainkey."+d] = dnsmessage.RCodeServerFailure
	}
	w.resolver = dnstest.Start(t, z).Resolver()
	return w
}

// mail writes a report mail from submitter d, signed by d's key when
// signed, with fixed boundary, date and ids.
func (w *world) mail(t *testing.T, d, id string, signed bool) string {
	var b bytes.Buffer
	opts := &mime.WriteOptions{From: "tlsrpt@" + d, To: []string{"tlsrpt@example.net"},
		Date: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC), MessageID: id + "@" + d, Boundary: "b0undary", UniqueID: "u1"}
	if signed {
		opts.DKIM = &mime.DKIMOptions{Domain: d, Selector: "tlsrpt", Signer: w.keys[d]}
	}
	require.NoError(t, mime.Write(&b, testReport(d, id), opts))
	return b.String()
}

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// writeFixtures writes the inputs of the golden tests into the current
// directory: a Maildir, an mbox file, a directory of files and loose
// files.
func writeFixtures(t *testing.T, w *world) {
	write := func(name, content string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(name), 0o755))
		require.NoError(t, os.WriteFile(name, []byte(content), 0o644))
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		require.NoError(t, os.MkdirAll(filepath.Join("Maildir", sub), 0o755))
	}
	write("Maildir/new/1.signed", w.mail(t, "sender.example", "r1", true))
	write("Maildir/new/2.authres", "Authentication-Results: mx.example.net; dkim=pass header.d=other.example\r\n"+
		"Received: from mail.other.example by mx.example.net; Wed, 25 Nov 2026 01:00:01 +0000\r\n"+w.mail(t, "other.example", "r2", false))
	write("Maildir/cur/3.unsigned:2,S", w.mail(t, "unsigned.example", "r3", false))
	write("Maildir/cur/4.cron:2,S", "From: root@host.example\nSubject: Cron <root@host> backup\n\nall is well\n")
	mbox := "From MAILER-DAEMON Wed Nov 25 01:00:00 2026\n" + strings.ReplaceAll(w.mail(t, "sender.example", "r4", true), "\r\n", "\n") + "\n" +
		"From MAILER-DAEMON Wed Nov 25 02:00:00 2026\nFrom: postmaster@host.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"x\"\n\n--x\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; host.example\n--x--\n\n"
	write("reports.mbox", mbox)
	js, err := json.Marshal(testReport("files.example", "r5"))
	require.NoError(t, err)
	write("files/report.json", string(js))
	write("files/report.json.gz", string(gzipped(t, js)))
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	f, err := zw.Create("dmarc.xml")
	require.NoError(t, err)
	f.Write([]byte("<?xml version=\"1.0\"?>\n<feedback><report_metadata><org_name>x</org_name></report_metadata></feedback>\n"))
	require.NoError(t, zw.Close())
	write("files/dmarc.zip", zb.String())
	write("files/garbage.bin", "\x00\x01\x02")
}

// runTool runs the tool in-process with stdin and returns its exit code
// and outputs.
func runTool(t *testing.T, w *world, stdin string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr}
	if w != nil {
		e.resolver = w.resolver
	}
	code := run(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdataDir, name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/tlsrpt -update")
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// testdataDir is the absolute testdata directory (tests chdir away).
var testdataDir, _ = filepath.Abs("testdata")

func TestReadGolden(t *testing.T) {
	w := newWorld(t, []string{"sender.example", "other.example", "unsigned.example"})
	t.Chdir(t.TempDir())
	writeFixtures(t, w)
	args := []string{"read", "--trust-authserv", "mx.example.net", "Maildir", "reports.mbox", "files", "missing.eml"}
	code, text, stderr := runTool(t, w, "", args...)
	golden(t, "read.golden", text)
	if code != exitTemporary || stderr != "" {
		t.Errorf("exit %d (want %d: missing.eml is unreadable), stderr %q", code, exitTemporary, stderr)
	}
	code, stdout, stderr := runTool(t, w, "", append([]string{"read", "--json"}, args[1:]...)...)
	golden(t, "read-json.golden", stdout)
	if code != exitTemporary || !strings.HasPrefix(stderr, "11 messages:") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	for i, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("line %d is not a JSON object: %v", i+1, err)
		}
	}
	// Flags after the inputs, and a Maildir is not changed.
	code, text2, _ := runTool(t, w, "", "read", "Maildir", "reports.mbox", "files", "missing.eml", "--trust-authserv", "mx.example.net")
	if code != exitTemporary || text2 != text {
		t.Errorf("flags after inputs: exit %d, output differs:\n%s", code, cmp.Diff(text, text2))
	}
	if entries, _ := os.ReadDir("Maildir/new"); len(entries) != 2 {
		t.Errorf("read moved messages out of new/: %d left", len(entries))
	}
}

func TestReadExitCodes(t *testing.T) {
	w := newWorld(t, []string{"sender.example"}, "flaky.example")
	t.Chdir(t.TempDir())
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(name, []byte(content), 0o644))
	}
	write("trusted.eml", w.mail(t, "sender.example", "r1", true))
	write("unsigned.eml", w.mail(t, "sender.example", "r2", false))
	write("flaky.eml", w.mail(t, "flaky.example", "r3", true))
	write("cron.eml", "Subject: cron\n\nok\n")
	write("garbage", "\x00\x01")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"trusted and not a report", []string{"read", "trusted.eml", "cron.eml"}, exitOK},
		{"untrusted", []string{"read", "trusted.eml", "unsigned.eml"}, exitFailed},
		{"malformed", []string{"read", "garbage"}, exitFailed},
		{"no-dkim makes untrusted", []string{"read", "--no-dkim", "trusted.eml"}, exitFailed},
		{"temporary DNS failure", []string{"read", "flaky.eml", "unsigned.eml"}, exitTemporary},
		{"no input", []string{"read"}, exitUsage},
		{"unknown flag", []string{"read", "--frobnicate", "x"}, exitUsage},
		{"imap", []string{"read", "imaps://user@imap.example.net/INBOX"}, exitUsage},
		{"no verb", nil, exitUsage},
		{"unknown verb", []string{"frobnicate"}, exitUsage},
		{"help", []string{"-h"}, exitOK},
		{"help verb", []string{"help", "read"}, exitOK},
		{"read help", []string{"read", "--help"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runTool(t, w, "", tt.args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.want, stdout, stderr)
			}
		})
	}
	_, _, stderr := runTool(t, w, "", "read", "imap://imap.example.net/INBOX")
	if !strings.Contains(stderr, "imap: not available in this build") {
		t.Errorf("imap stderr %q", stderr)
	}
	_, stdout, _ := runTool(t, w, "", "read", "-h")
	if !strings.Contains(stdout, "Example:") || !strings.Contains(stdout, "Exit status") {
		t.Errorf("help without an example or exit codes:\n%s", stdout)
	}
}

func TestReadStdin(t *testing.T) {
	w := newWorld(t, []string{"sender.example"})
	code, stdout, _ := runTool(t, w, w.mail(t, "sender.example", "r1", true), "read", "-")
	if code != exitOK || !strings.HasPrefix(stdout, "-: report [mail]\n") || !strings.Contains(stdout, "trusted by dkim d=sender.example s=tlsrpt") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

func TestUsageListsVerbs(t *testing.T) {
	code, stdout, _ := runTool(t, nil, "", "help")
	golden(t, "usage.golden", stdout)
	if code != exitOK {
		t.Errorf("exit %d", code)
	}
}
