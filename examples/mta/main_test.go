package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// decodeAll decodes the reports run printed, strictly.
func decodeAll(t *testing.T, out []byte) []*report.Report {
	t.Helper()
	var reps []*report.Report
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var r report.Report
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			return reps
		} else if err != nil {
			t.Fatalf("output is not strict RFC 8460 JSON: %v\n%s", err, out)
		}
		reps = append(reps, &r)
	}
}

type summary struct {
	Domain     string
	Successful int64
	Failed     int64
	Types      []report.ResultType
}

func summarize(reps []*report.Report) []summary {
	var s []summary
	for _, r := range reps {
		for _, p := range r.Policies {
			sum := summary{Domain: p.Policy.Domain, Successful: p.Summary.TotalSuccessfulSessionCount, Failed: p.Summary.TotalFailureSessionCount}
			for _, f := range p.FailureDetails {
				sum.Types = append(sum.Types, f.ResultType)
			}
			s = append(s, sum)
		}
	}
	return s
}

func TestRun(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []summary
	}{{
		name: "built-in scenario",
		want: []summary{
			{"example.com", 840, 9, []report.ResultType{report.ResultCertificateExpired, report.ResultSTSWebPKIInvalid}},
			{"example.org", 310, 4, []report.ResultType{report.ResultSTARTTLSNotSupported}},
			{"mx.example.net", 120, 3, []report.ResultType{report.ResultTLSAInvalid}},
		},
	}, {
		name: "json lines, every day",
		args: []string{"-in", "testdata/sessions.jsonl"},
		want: []summary{
			{"example.org", 5, 0, nil},
			// 11:00+01:00 is 10:00Z, the same day; both failures are one detail.
			{"example.com", 3, 3, []report.ResultType{report.ResultCertificateHostMismatch}},
		},
	}, {
		name: "json lines, one day",
		args: []string{"-in", "testdata/sessions.jsonl", "-day", "2026-11-23"},
		want: []summary{{"example.org", 5, 0, nil}},
	}, {
		name: "csv file",
		args: []string{"-in", "scenario.csv", "-day", "2026-11-24", "-org", "Other", "-contact", "mailto:tls@other.example"},
		want: []summary{
			{"example.com", 840, 9, []report.ResultType{report.ResultCertificateExpired, report.ResultSTSWebPKIInvalid}},
			{"example.org", 310, 4, []report.ResultType{report.ResultSTARTTLSNotSupported}},
			{"mx.example.net", 120, 3, []report.ResultType{report.ResultTLSAInvalid}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(tt.args, &stdout, &stderr); err != nil {
				t.Fatalf("run: %v\n%s", err, stderr.String())
			}
			reps := decodeAll(t, stdout.Bytes())
			if diff := cmp.Diff(tt.want, summarize(reps)); diff != "" {
				t.Errorf("reports (-want +got):\n%s", diff)
			}
			for _, r := range reps {
				if err := r.Validate(); err != nil {
					t.Errorf("report %s: %v", r.ReportID, err)
				}
			}
		})
	}
}

// TestRunOut writes DKIM-signed mails and reads them back as an analyzer
// would.
func TestRunOut(t *testing.T) {
	dir := t.TempDir()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "dkim.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "mails")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-out", out, "-dkim-key", keyFile}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	files, err := filepath.Glob(filepath.Join(out, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-11-24_example.com.eml", "2026-11-24_example.org.eml", "2026-11-24_mx.example.net.eml"}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	// The receiver's view: the key record in DNS, asked through a
	// *net.Resolver.
	res := dnstest.Start(t, dnstest.Zone{TXT: map[string][][]string{
		"tlsrpt._domainkey.mail.example": {{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}},
	}}).Resolver()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := mime.Verify(context.Background(), bytes.NewReader(data), &mime.VerifyOptions{Resolver: res})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Signatures) != 1 || v.Signatures[0].Err != nil || !v.Signatures[0].Aligned {
			t.Errorf("%s: DKIM: %+v", f, v.Signatures)
		}
		m, err := mime.Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(m.Warnings) != 0 || !strings.HasPrefix(filepath.Base(f), "2026-11-24_"+m.ReportDomain+".") {
			t.Errorf("%s: domain %q, warnings %v", f, m.ReportDomain, m.Warnings)
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown column", []string{"-in", write("a.csv", "time,color\n2026-11-24T00:00:00Z,red\n")}, "color: unknown column"},
		{"bad time", []string{"-in", write("b.csv", "time\nyesterday\n")}, "line 2: time"},
		{"unknown policy type", []string{"-in", write("c.jsonl", `{"time":"2026-11-24T00:00:00Z","policy-type":"bimi","policy-domain":"example.com"}`)}, "c.jsonl:1: aggregate: invalid policy"},
		{"bad json", []string{"-in", write("d.jsonl", "{\"time\":1}\n")}, "line 1"},
		{"negative count", []string{"-in", write("e.csv", "time,count,policy-type,policy-domain\n2026-11-24T00:00:00Z,-3,no-policy-found,example.com\n")}, "e.csv:2: negative count -3"},
		{"bad day", []string{"-day", "24.11.2026"}, "-day"},
		{"missing file", []string{"-in", filepath.Join(dir, "none.csv")}, "no such file"},
		{"bad key", []string{"-dkim-key", write("k.pem", "not a key")}, "no PEM block"},
		{"unknown flag", []string{"-x"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}
