package policy

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt"
)

// FuzzParseSTSPolicy checks that ParseSTSPolicy never panics, that every
// error is a *tlsrpt.Diagnostic inside the input (or ErrTooLarge) that
// LintSTSPolicy reports for the same line as CodeSyntax, and that a
// parsed policy survives String → Parse and FromSTSText(String()) →
// Policy.STS unchanged and passes Validate. LintSTSPolicy and FromSTSText
// must not panic on the same input either, and every LintSTSPolicy
// diagnostic points at the start of a line or at the whole.
func FuzzParseSTSPolicy(f *testing.F) {
	for _, tt := range stsPolicyTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParseSTSPolicy(text)
		lintSyntax := map[string]bool{} // the Paths of the CodeSyntax findings
		for _, d := range LintSTSPolicy(text, []string{"mx1.example.com", "a.b.example"}) {
			if d.Message == "" || d.Offset < 0 || d.Offset > len(text) || d.Path == "" && d.Offset != 0 ||
				d.Path != "" && !strings.HasPrefix(d.Path, "line ") || d.Offset > 0 && text[d.Offset-1] != '\n' {
				t.Fatalf("bad diagnostic %+v", d)
			}
			if d.Code == CodeSyntax {
				lintSyntax[d.Path] = true
			}
		}
		if _, ferr := FromSTSText("example.com", text); ferr != nil && !errors.Is(ferr, tlsrpt.ErrTooLarge) {
			t.Fatalf("FromSTSText: %v", ferr)
		}
		if err != nil {
			if errors.Is(err, tlsrpt.ErrTooLarge) {
				return
			}
			var d *tlsrpt.Diagnostic
			if !errors.As(err, &d) {
				t.Fatalf("untyped error %T %v", err, err)
			}
			if d.Severity != tlsrpt.SeverityError || d.Code == "" || d.Message == "" || d.Offset < 0 || d.Offset > len(text) ||
				d.Path == "" && (d.Code != CodeMissingField || d.Offset != len(text)) || d.Path != "" && !strings.HasPrefix(d.Path, "line ") {
				t.Fatalf("bad error %#v", d)
			}
			if !lintSyntax[d.Path] {
				t.Fatalf("LintSTSPolicy has no %s finding for %q, where ParseSTSPolicy fails: %v", CodeSyntax, d.Path, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Validate() = %v for a parsed policy", err)
		}
		again, err := ParseSTSPolicy(p.String())
		if err != nil {
			t.Fatalf("reparse of %q: %v", p.String(), err)
		}
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
		}
		pol, err := FromSTSText("example.com", p.String())
		if err != nil {
			t.Fatalf("FromSTSText: %v", err)
		}
		back, err := pol.STS()
		if err != nil {
			t.Fatalf("Policy.STS: %v", err)
		}
		if diff := cmp.Diff(p, back); diff != "" {
			t.Fatalf("Policy.STS mismatch (-want +got):\n%s", diff)
		}
		for _, m := range p.MX {
			if host := strings.Replace(m, "*", "x", 1); !p.MatchMX(host) {
				t.Fatalf("pattern %q does not match %q", m, host)
			}
		}
	})
}

// FuzzParseSTSRecord checks that ParseSTSRecord never panics, that errors
// are typed, and that Parse → String → Parse gives an equal record.
func FuzzParseSTSRecord(f *testing.F) {
	for _, tt := range stsRecordTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		r, err := ParseSTSRecord(txt)
		if err != nil {
			var d *tlsrpt.Diagnostic
			if !errors.As(err, &d) && !errors.Is(err, ErrNotSTSRecord) {
				t.Fatalf("untyped error %T %v", err, err)
			}
			if d != nil && (d.Offset < 0 || d.Offset > len(txt) || d.Code != CodeRecordSyntax || d.Severity != tlsrpt.SeverityError) {
				t.Fatalf("bad error %#v for the input of length %d", d, len(txt))
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Validate() = %v for a parsed record", err)
		}
		again, err := ParseSTSRecord(r.String())
		if err != nil {
			t.Fatalf("reparse of %q: %v", r.String(), err)
		}
		if diff := cmp.Diff(r, again); diff != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
		}
	})
}

// FuzzParseTLSA checks that ParseTLSA never panics, that errors are typed
// with offsets inside the input, that diagnostics point into the input,
// that an input without diagnostics is in the RFC 8460 §4.5 form (single
// spaces, nothing else), and that String → ParseTLSA gives the same RR
// without diagnostics.
func FuzzParseTLSA(f *testing.F) {
	for _, tt := range tlsaTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rr, ds, err := ParseTLSA(s)
		if err != nil {
			var d *tlsrpt.Diagnostic
			if !errors.As(err, &d) || d.Offset < 0 || d.Offset > len(s) || d.Code != CodeTLSASyntax || len(ds) > 0 {
				t.Fatalf("bad error %#v with %v", err, ds)
			}
			return
		}
		for _, d := range ds {
			if d.Code != CodeTLSAStringFormat || d.Offset < 0 || d.Offset >= len(s) || d.Fix != "write "+strconv.Quote(rr.String()) {
				t.Fatalf("bad diagnostic %+v for %q", d, s)
			}
		}
		if len(ds) == 0 && (strings.Count(s, " ") != 3 || strings.ContainsAny(s, "\t\r\n()")) {
			t.Fatalf("%q is not in presentation form but has no diagnostics", s)
		}
		again, ds, err := ParseTLSA(rr.String())
		if err != nil || len(ds) > 0 || again.String() != rr.String() {
			t.Fatalf("round trip of %q: %v, %v, %v", rr.String(), again, ds, err)
		}
		if !strings.EqualFold(again.String(), rr.String()) {
			t.Fatalf("String not stable")
		}
	})
}

// FuzzPolicyJSON checks that UnmarshalJSON never panics, that its errors
// are *tlsrpt.Diagnostic with a code or invalid JSON, and that a decoded
// policy encodes (MarshalJSON never fails for it) to JSON that decodes to
// an equal policy with the same canonical encoding.
func FuzzPolicyJSON(f *testing.F) {
	for _, tt := range unmarshalTests {
		f.Add(tt.in)
	}
	f.Add(`{"policy-type":"tlsa","policy-string":["[\"3 1 1 AB\"]"],"policy-domain":"example.com"}`)
	f.Add(`{"policy-type":null,"x":[{},[]]}`)
	f.Fuzz(func(t *testing.T, data string) {
		var p Policy
		if err := p.UnmarshalJSON([]byte(data)); err != nil {
			var d *tlsrpt.Diagnostic
			if errors.As(err, &d) {
				if d.Code == "" || d.Severity != tlsrpt.SeverityError || d.Offset < 0 || d.Offset > len(data) {
					t.Fatalf("bad diagnostic %+v", d)
				}
			} else if !strings.HasPrefix(err.Error(), "policy: invalid JSON: ") {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		_ = p.Key()
		_, _ = p.TLSARecords()
		enc, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of a decoded policy: %v", err)
		}
		var q Policy
		if err := q.UnmarshalJSON(enc); err != nil {
			t.Fatalf("canonical output %s does not decode: %v", enc, err)
		}
		if diff := cmp.Diff(p, q, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("decode → encode → decode changed the policy (-want +got):\n%s", diff)
		}
		enc2, _ := q.MarshalJSON()
		if string(enc) != string(enc2) {
			t.Fatalf("encoding not stable:\n%s\n%s", enc, enc2)
		}
	})
}

// FuzzLintSTSRecord checks that LintSTSRecord never panics, that offsets
// point into the linted string, and that it reports an error exactly when
// SelectSTSRecord fails. The input is split at "\n" into TXT strings.
func FuzzLintSTSRecord(f *testing.F) {
	for _, tt := range lintRecordTests {
		f.Add(strings.Join(tt.txts, "\n"))
	}
	for _, tt := range stsRecordTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		txts := strings.Split(in, "\n")
		fs := LintSTSRecord(txts...)
		for _, x := range fs {
			if x.Index < 0 || x.Index >= len(txts) || x.Offset < 0 || x.Offset > len(txts[x.Index]) || x.Message == "" {
				t.Fatalf("bad finding %+v for %q", x, txts)
			}
		}
		_, err := SelectSTSRecord(txts)
		if hasRecordError(fs) != (err != nil) {
			t.Fatalf("LintSTSRecord(%q) = %v, SelectSTSRecord error = %v", txts, fs, err)
		}
	})
}
