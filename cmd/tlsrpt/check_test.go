package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/checktest"
	"github.com/go-tlsrpt/tlsrpt/internal/dbtest"
)

// TestMain runs the command itself instead of the tests when
// TLSRPT_TEST_MAIN is 1: the check tests run it in a child process, so
// that SSL_CERT_FILE chooses the roots as it does for users.
func TestMain(m *testing.M) {
	if os.Getenv("TLSRPT_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(dbtest.Main(m))
}

// child runs the test binary as the command with args, trusting only the
// roots in rootsPEM, and returns its exit code and outputs.
func child(t *testing.T, rootsPEM []byte, args ...string) (int, string, string) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	roots := filepath.Join(dir, "roots.pem")
	require.NoError(t, os.WriteFile(roots, rootsPEM, 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), "TLSRPT_TEST_MAIN=1", "SSL_CERT_FILE="+roots, "SSL_CERT_DIR="+dir)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, stdout.String(), stderr.String()
}

// checkArgs are the arguments that point check at the world.
func checkArgs(w *checktest.World, args ...string) []string {
	out := append([]string{"check", "--resolver", w.DNS.Addr(), "--now", checktest.Now.Format(time.RFC3339), "--timeout", "20s"}, w.Args()...)
	return append(out, args...)
}

// loopbackPort hides the port numbers of the loopback servers, which
// differ on every run.
var loopbackPort = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

func TestCheckGolden(t *testing.T) {
	w := checktest.Standard(t)
	var domains []string
	for _, d := range checktest.Domains {
		domains = append(domains, d.Name)
	}
	code, stdout, stderr := child(t, w.RootsPEM, checkArgs(w, append([]string{"--probe"}, domains...)...)...)
	golden(t, "check.golden", loopbackPort.ReplaceAllString(stdout, "127.0.0.1:PORT"))
	if code != exitTemporary || stderr != "" {
		t.Errorf("exit %d (want %d: servfail.test could not be checked), stderr %q", code, exitTemporary, stderr)
	}

	code, stdout, stderr = child(t, w.RootsPEM, checkArgs(w, append([]string{"--probe", "--json"}, domains...)...)...)
	golden(t, "check-json.golden", loopbackPort.ReplaceAllString(stdout, "127.0.0.1:PORT"))
	if code != exitTemporary || stderr != "" {
		t.Errorf("--json: exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(domains) {
		t.Fatalf("--json wrote %d lines for %d domains", len(lines), len(domains))
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for _, k := range []string{"domain", "verdict", "errors", "warnings", "unchecked", "findings", "tlsrpt", "mta-sts", "mx"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d (%s) lacks %q", i+1, m["domain"], k)
			}
		}
	}
}

func TestCheckExitCodes(t *testing.T) {
	w := checktest.Standard(t)
	tests := []struct {
		name   string
		args   []string
		want   int
		output []string // each in stdout
	}{
		{"good", []string{"--probe", "good.test"}, exitOK, []string{"good.test: ok\n"}},
		{"certificate expires soon is a warning", []string{"soon.test"}, exitOK, []string{"[certificate-expires-soon]"}},
		{"expired", []string{"expired.test"}, exitFailed, []string{"senders report certificate-expired (certificate-expired)"}},
		{"self-signed", []string{"selfsigned.test"}, exitFailed, []string{"senders report certificate-not-trusted (self-signed-certificate)"}},
		{"wrong name", []string{"wrongname.test"}, exitFailed, []string{"senders report certificate-host-mismatch (hostname-mismatch)"}},
		{"no STARTTLS", []string{"plain.test"}, exitFailed, []string{"senders report starttls-not-supported (starttls-not-offered)"}},
		{"TLSA mismatch", []string{"tlsabad.test"}, exitFailed, []string{"senders report tlsa-invalid (tlsa-mismatch)", "DNSSEC-authenticated"}},
		{"record at the apex", []string{"apex.test"}, exitFailed, []string{"a TLS-RPT record is published at apex.test", "[nothing-published]"}},
		{"records at misspelt names", []string{"typo.test"}, exitFailed, []string{"published at _smtp_tls.typo.test", "published at _smtp._tls.typo.test.typo.test"}},
		{"nothing published", []string{"none.test"}, exitFailed, []string{"[nothing-published]"}},
		{"http: rua only", []string{"httponly.test"}, exitFailed, []string{"error TXT #0 offset 51: no rua URI uses mailto: or https:"}},
		{"bad _mta-sts id, policy still fetched", []string{"badid.test"}, exitFailed, []string{"[record-id-invalid]", "policy https://mta-sts.badid.test/.well-known/mta-sts.txt: mode enforce"}},
		{"trailing blank line in the policy", []string{"blank.test"}, exitOK, []string{"warning line 5", "empty line at the end"}},
		{"policy 404", []string{"gone.test"}, exitFailed, []string{"senders report sts-policy-fetch-error (http-status-404)"}},
		{"policy host certificate", []string{"webpki.test"}, exitFailed, []string{"senders report sts-webpki-invalid (hostname-mismatch)"}},
		{"MX not covered", []string{"uncovered.test"}, exitFailed, []string{"[mx-not-covered]", "[max-age-below-week]"}},
		{"policy without record", []string{"orphan.test"}, exitOK, []string{"[policy-without-record]"}},
		{"mailto domain without mail, no probe", []string{"norua.test"}, exitOK, nil},
		{"mailto domain without mail, probe", []string{"--probe", "norua.test"}, exitFailed, []string{"[rua-no-mail]"}},
		{"https: rua without address or with a bad certificate", []string{"--probe", "ruabad.test"}, exitFailed, []string{"[rua-unreachable]", "[rua-certificate]"}},
		{"MX without address", []string{"noaddr.test"}, exitFailed, []string{"[mx-no-address]", "published at mx.noaddr.test"}},
		{"SERVFAIL", []string{"servfail.test"}, exitTemporary, []string{"could not check: the TXT lookup of _smtp._tls.servfail.test failed: server misbehaving [dns-failure]"}},
		{"temporary wins over problems", []string{"expired.test", "servfail.test"}, exitTemporary, []string{"2 domains: 0 ok, 1 with problems, 1 incomplete"}},
		{"no-mx skips the certificate", []string{"--no-mx", "expired.test"}, exitOK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := child(t, w.RootsPEM, checkArgs(w, tt.args...)...)
			if code != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			for _, s := range tt.output {
				if !strings.Contains(stdout, s) {
					t.Errorf("output lacks %q:\n%s", s, stdout)
				}
			}
		})
	}
}

// TestCheckRoots runs check with no root the world's certificates chain
// to: SSL_CERT_FILE is where the roots come from.
func TestCheckRoots(t *testing.T) {
	w := checktest.Standard(t)
	code, stdout, _ := child(t, nil, checkArgs(w, "good.test")...)
	for _, s := range []string{
		"senders report sts-webpki-invalid (unknown-authority)",
		"chains to a trusted root: no",
		"senders report certificate-not-trusted (unknown-authority)",
	} {
		if !strings.Contains(stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, stdout)
		}
	}
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
}

func TestCheckUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no domain", []string{"check"}, exitUsage},
		{"not a domain", []string{"check", "exa mple.com"}, exitUsage},
		{"single label", []string{"check", "localhost"}, exitUsage},
		{"unknown flag", []string{"check", "--frobnicate", "example.com"}, exitUsage},
		{"bad resolver", []string{"check", "--resolver", ":53", "example.com"}, exitUsage},
		{"bad timeout", []string{"check", "--timeout", "0s", "example.com"}, exitUsage},
		{"bad connect-to", []string{"check", "--connect-to", "mx.example.com:25", "example.com"}, exitUsage},
		{"help", []string{"check", "-h"}, exitOK},
		{"help after domain", []string{"check", "example.com", "--help"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runTool(t, nil, "", tt.args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.want, stdout, stderr)
			}
		})
	}
}

// TestVerbHelp checks that every verb has a help with an example, on
// standard output, exit status 0.
func TestVerbHelp(t *testing.T) {
	for name := range verbs {
		for _, args := range [][]string{{name, "-h"}, {name, "--help"}, {"help", name}} {
			code, stdout, stderr := runTool(t, nil, "", args...)
			if code != exitOK || stderr != "" {
				t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
			}
			if !strings.Contains(stdout, "Usage: tlsrpt "+name) || !strings.Contains(stdout, "Example") {
				t.Errorf("%v: help without usage line or example:\n%s", args, stdout)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runTool(t, nil, "", "version")
	if code != exitOK || !regexp.MustCompile(`^tlsrpt \S+( \([0-9a-f]+(, modified)?\))? go1\.\S+ \w+/\w+\n$`).MatchString(stdout) {
		t.Errorf("exit %d, output %q", code, stdout)
	}
	if code, _, _ := runTool(t, nil, "", "version", "extra"); code != exitUsage {
		t.Errorf("version extra: exit %d, want %d", code, exitUsage)
	}
}

// TestInstall builds the command as "go install" does and runs it.
func TestInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	exe := filepath.Join(t.TempDir(), "tlsrpt")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, goBin, "build", "-o", exe, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"version"}, {"-h"}, {"check", "-h"}, {"read", "-h"}} {
		out, err := exec.CommandContext(ctx, exe, args...).CombinedOutput()
		if err != nil {
			t.Errorf("tlsrpt %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[0] == "version" && !strings.HasPrefix(string(out), "tlsrpt ") {
			t.Errorf("tlsrpt version: %q", out)
		}
	}
}
