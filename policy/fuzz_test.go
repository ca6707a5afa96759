package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseSTSPolicy checks that ParseSTSPolicy never panics, that every
// error is typed, and that a parsed policy survives String → Parse and
// Lines → Policy.STS unchanged and passes Validate. LintSTSPolicy and
// FromSTSText must not panic on the same input either.
func FuzzParseSTSPolicy(f *testing.F) {
	for _, tt := range stsPolicyTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParseSTSPolicy(text)
		_ = LintSTSPolicy(text, []string{"mx1.example.com", "a.b.example"})
		if _, ferr := FromSTSText("example.com", text); ferr != nil && !errors.Is(ferr, ErrTooLarge) {
			t.Fatalf("FromSTSText: %v", ferr)
		}
		if err != nil {
			var pe *STSPolicyError
			if !errors.As(err, &pe) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error %T %v", err, err)
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
		pol, err := FromSTS("example.com", p)
		if err != nil {
			t.Fatalf("FromSTS: %v", err)
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
			var se *SyntaxError
			if !errors.As(err, &se) && !errors.Is(err, ErrNotSTSRecord) {
				t.Fatalf("untyped error %T %v", err, err)
			}
			if se != nil && (se.Offset < 0 || se.Offset > len(txt)) {
				t.Fatalf("offset %d outside the input of length %d", se.Offset, len(txt))
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

// FuzzParseTLSA checks that the TLSA parsers never panic, that errors are
// typed with offsets inside the input, that String → ParseTLSA gives the
// same RR, and that whatever the strict parser accepts the lenient one
// accepts identically.
func FuzzParseTLSA(f *testing.F) {
	for _, tt := range tlsaTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lrr, lerr := ParseTLSALenient(s)
		rr, err := ParseTLSA(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if lerr != nil || !lrr.Equal(rr) {
			t.Fatalf("lenient parse differs: %v, %v", lrr, lerr)
		}
		again, err := ParseTLSA(rr.String())
		if err != nil || !again.Equal(rr) {
			t.Fatalf("round trip of %q: %v, %v", rr.String(), again, err)
		}
		if !strings.EqualFold(again.String(), rr.String()) {
			t.Fatalf("String not stable")
		}
	})
}

// FuzzPolicyJSON checks that UnmarshalJSON never panics and that a decoded
// policy encodes to JSON that decodes to an Equal policy with the same
// canonical encoding.
func FuzzPolicyJSON(f *testing.F) {
	f.Add(`{"policy-type":"sts","policy-string":["version: STSv1"],"policy-domain":"example.com","mx-host":"*.example.com"}`)
	f.Add(`{"policy-type":"tlsa","policy-string":["[\"3 1 1 AB\"]"],"policy-domain":"example.com"}`)
	f.Add(`{"policy-type":null,"x":[{},[]]}`)
	f.Fuzz(func(t *testing.T, data string) {
		var p Policy
		if err := p.UnmarshalJSON([]byte(data)); err != nil {
			return
		}
		_ = p.Key()
		_, _ = p.TLSARecords()
		enc, err := p.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var q Policy
		if err := q.UnmarshalJSON(enc); err != nil {
			t.Fatalf("canonical output %s does not decode: %v", enc, err)
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
			if x.Record < 0 || x.Record >= len(txts) || x.Offset < 0 || x.Offset > len(txts[x.Record]) || x.Message == "" {
				t.Fatalf("bad finding %+v for %q", x, txts)
			}
		}
		_, err := SelectSTSRecord(txts)
		if hasRecordError(fs) != (err != nil) {
			t.Fatalf("LintSTSRecord(%q) = %v, SelectSTSRecord error = %v", txts, fs, err)
		}
	})
}
