package report

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestResultTypeConstantsAreTyped fails to compile, or fails at run time,
// when a constant loses its ResultType type (an untyped constant in a const
// block is a plain string).
func TestResultTypeConstantsAreTyped(t *testing.T) {
	consts := []any{
		ResultSTARTTLSNotSupported,
		ResultCertificateHostMismatch,
		ResultCertificateExpired,
		ResultCertificateNotTrusted,
		ResultValidationFailure,
		ResultTLSAInvalid,
		ResultDNSSECInvalid,
		ResultDANERequired,
		ResultSTSPolicyFetchError,
		ResultSTSPolicyInvalid,
		ResultSTSWebPKIInvalid,
	}
	want := reflect.TypeOf(ResultType(""))
	for _, c := range consts {
		if got := reflect.TypeOf(c); got != want {
			t.Errorf("constant %v has type %v, want %v", c, got, want)
		}
	}
	cats := []any{CategoryNegotiation, CategorySTS, CategoryDANE, CategoryUnknown}
	wantCat := reflect.TypeOf(Category(""))
	for _, c := range cats {
		if got := reflect.TypeOf(c); got != wantCat {
			t.Errorf("constant %v has type %v, want %v", c, got, wantCat)
		}
	}
}

func TestResultTypesRegistryOrder(t *testing.T) {
	// The order of the IANA "STARTTLS Validation Result Types" registry.
	want := []ResultType{
		"starttls-not-supported",
		"certificate-host-mismatch",
		"certificate-expired",
		"tlsa-invalid",
		"dnssec-invalid",
		"dane-required",
		"certificate-not-trusted",
		"sts-policy-invalid",
		"sts-webpki-invalid",
		"validation-failure",
		"sts-policy-fetch-error",
	}
	got := ResultTypes()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("ResultTypes() mismatch (-want +got):\n%s", diff)
	}
	got[0] = "changed"
	if again := ResultTypes(); again[0] != ResultSTARTTLSNotSupported {
		t.Errorf("ResultTypes shares its slice: a caller's change shows up as %q", again[0])
	}
}

func TestResultTypeCategory(t *testing.T) {
	tests := []struct {
		rt   ResultType
		want Category
	}{
		{ResultSTARTTLSNotSupported, CategoryNegotiation},
		{ResultCertificateHostMismatch, CategoryNegotiation},
		{ResultCertificateExpired, CategoryNegotiation},
		{ResultCertificateNotTrusted, CategoryNegotiation},
		{ResultValidationFailure, CategoryNegotiation}, // also §4.3.3; documented choice
		{ResultTLSAInvalid, CategoryDANE},
		{ResultDNSSECInvalid, CategoryDANE},
		{ResultDANERequired, CategoryDANE},
		{ResultSTSPolicyFetchError, CategorySTS},
		{ResultSTSPolicyInvalid, CategorySTS},
		{ResultSTSWebPKIInvalid, CategorySTS},
		{"", CategoryUnknown},
		{"Certificate-Expired", CategoryUnknown},
		{"smtp-tls-downgrade", CategoryUnknown},
	}
	for _, tt := range tests {
		t.Run(string(tt.rt), func(t *testing.T) {
			if got := tt.rt.Category(); got != tt.want {
				t.Errorf("%q.Category() = %q, want %q", tt.rt, got, tt.want)
			}
		})
	}
}

func TestResultTypeMeaning(t *testing.T) {
	seenDesc := map[string]ResultType{}
	seenAdvice := map[string]ResultType{}
	for _, rt := range ResultTypes() {
		t.Run(string(rt), func(t *testing.T) {
			if rt.Category() == CategoryUnknown || rt.Category() == "" {
				t.Errorf("registered %q has category %q", rt, rt.Category())
			}
			desc, advice := rt.Description(), rt.Advice()
			for _, s := range []struct{ name, text string }{{"Description", desc}, {"Advice", advice}} {
				if s.text == "" {
					t.Fatalf("%s is empty", s.name)
				}
				if !strings.HasSuffix(s.text, ".") || strings.ToUpper(s.text[:1]) != s.text[:1] {
					t.Errorf("%s %q is not a capitalised sentence ending with a period", s.name, s.text)
				}
				if strings.ContainsAny(s.text, "\n\t") {
					t.Errorf("%s %q has a line break or tab", s.name, s.text)
				}
			}
			if n := strings.Count(desc, ". "); n > 0 {
				t.Errorf("Description should be one sentence, got %q", desc)
			}
			if n := strings.Count(advice, ". "); n > 1 {
				t.Errorf("Advice should be one or two sentences, got %q", advice)
			}
			if prev, ok := seenDesc[desc]; ok {
				t.Errorf("Description shared with %q", prev)
			}
			if prev, ok := seenAdvice[advice]; ok {
				t.Errorf("Advice shared with %q", prev)
			}
			seenDesc[desc], seenAdvice[advice] = rt, rt
		})
	}
}

func TestResultTypeMeaningUnknown(t *testing.T) {
	known := map[string]bool{}
	for _, rt := range ResultTypes() {
		known[rt.Description()] = true
		known[rt.Advice()] = true
	}
	for _, rt := range []ResultType{"", "STARTTLS-NOT-SUPPORTED", "future-type", " certificate-expired"} {
		t.Run(string(rt), func(t *testing.T) {
			if c := rt.Category(); c != CategoryUnknown {
				t.Fatalf("%q has category %q, want unknown", rt, c)
			}
			if d := rt.Description(); d == "" || known[d] {
				t.Errorf("Description = %q, want a non-empty text of its own", d)
			}
			if a := rt.Advice(); a == "" || known[a] || !strings.Contains(a, "registry") {
				t.Errorf("Advice = %q, want a pointer to the registry", a)
			}
		})
	}
}
