package policy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"

	"github.com/google/go-cmp/cmp"
)

// Certificate association data shaped like the DANE-TA SHA2-256 digests
// Microsoft publishes (upper-case hex in its reports); written for these tests.
const (
	hexA = "025490860B498AB73C6A12F27A49AD5FE230FAFE3AC8F6112C9B7D0AAD46941D"
	hexB = "0b9fa5a59eed715c26c1020c711b4f6ec42d58b0015e14337a39dad301c5afc3"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	rr, _, err := ParseTLSA("0 0 0 " + s)
	if err != nil {
		t.Fatal(err)
	}
	return rr.Data
}

// tlsaTests is shared with the fuzz seed corpus. A string in the RFC 8460
// §4.5 form parses without Diagnostics (want); a zone-file form parses with
// Diagnostics, the first at wantOffset (repaired); anything else is a
// CodeTLSASyntax *tlsrpt.Diagnostic at wantOffset (repaired "error").
var tlsaTests = []struct {
	name       string
	in         string
	want       string // canonical String() when the input is in RFC 8460 §4.5 form; "" otherwise
	wantOffset int
	lenient    string // when want is "": "error" for a CodeTLSASyntax error, else the canonical String() after the repairs
	reason     string
}{
	{name: "dane-ee spki sha256", in: "3 1 1 " + strings.ToLower(hexA), want: "3 1 1 " + strings.ToLower(hexA)},
	{name: "upper-case hex", in: "2 1 1 " + hexA, want: "2 1 1 " + strings.ToLower(hexA), reason: "Microsoft writes upper case; output is lower case"},
	{name: "mixed-case hex", in: "3 0 1 aBcD", want: "3 0 1 abcd"},
	{name: "full cert", in: "3 0 0 3082", want: "3 0 0 3082"},
	{name: "private values", in: "255 255 255 00", want: "255 255 255 00"},
	{name: "leading zeros", in: "03 001 1 ab", want: "3 1 1 ab", reason: "unsigned decimal; canonical output drops them"},

	{name: "256", in: "256 1 1 ab", wantOffset: 0, lenient: "error"},
	{name: "four digits", in: "3 1 0001 ab", wantOffset: 4, lenient: "error"},
	{name: "negative", in: "-3 1 1 ab", wantOffset: 0, lenient: "error"},
	{name: "mnemonic usage", in: "DANE-EE 1 1 ab", wantOffset: 0, lenient: "error", reason: "RFC 7218 mnemonics are not presentation form"},
	{name: "mnemonic selector", in: "3 SPKI 1 ab", wantOffset: 2, lenient: "error"},
	{name: "mnemonic matching", in: "3 1 SHA2-256 ab", wantOffset: 4, lenient: "error"},
	{name: "hex with space", in: "3 1 1 abcd ef01", wantOffset: 10, lenient: "3 1 1 abcdef01", reason: "RFC 8460 §4.5: no internal spaces"},
	{name: "hex wrapped", in: "3 1 1 abcd\nef01", wantOffset: 10, lenient: "3 1 1 abcdef01", reason: "RFC 8460 §4.5 example wraps the hex (formatting artifact)"},
	{name: "parentheses", in: "3 1 1 ( abcd ef01 )", wantOffset: 6, lenient: "3 1 1 abcdef01"},
	{name: "two spaces", in: "3  1 1 ab", wantOffset: 2, lenient: "3 1 1 ab"},
	{name: "tab separator", in: "3\t1 1 ab", wantOffset: 1, lenient: "3 1 1 ab"},
	{name: "leading space", in: " 3 1 1 ab", wantOffset: 0, lenient: "3 1 1 ab"},
	{name: "trailing space", in: "3 1 1 ab ", wantOffset: 8, lenient: "3 1 1 ab"},
	{name: "odd hex", in: "3 1 1 abc", wantOffset: 9, lenient: "error"},
	{name: "non-hex", in: "3 1 1 abzz", wantOffset: 8, lenient: "error"},
	{name: "missing data", in: "3 1 1", wantOffset: 5, lenient: "error"},
	{name: "empty data", in: "3 1 1 ", wantOffset: 6, lenient: "error"},
	{name: "missing field", in: "3 1", wantOffset: 3, lenient: "error"},
	{name: "empty", in: "", wantOffset: 0, lenient: "error"},
	{name: "json array", in: `["3 1 1 ab"]`, wantOffset: 0, lenient: "error", reason: "Microsoft's double encoding is unwrapped by Policy.TLSARecords, not here"},
	{name: "semicolon list", in: "3 1 1 ab; 3 1 1 cd", wantOffset: 8, lenient: "error"},
}

func TestParseTLSA(t *testing.T) {
	for _, tt := range tlsaTests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds, err := ParseTLSA(tt.in)
			switch {
			case tt.want == "" && tt.lenient == "":
				t.Fatal("test case needs an expectation")
			case tt.want != "":
				if err != nil || len(ds) > 0 {
					t.Fatalf("ParseTLSA(%q) = %v, %v; want no error and no diagnostics", tt.in, ds, err)
				}
				if got.String() != tt.want {
					t.Errorf("ParseTLSA(%q).String() = %q, want %q", tt.in, got.String(), tt.want)
				}
			case tt.lenient == "error":
				var d *tlsrpt.Diagnostic
				if !errors.As(err, &d) || len(ds) > 0 || d.Code != CodeTLSASyntax || d.Severity != tlsrpt.SeverityError || d.Message == "" {
					t.Fatalf("ParseTLSA(%q) = %v, %#v; want a *tlsrpt.Diagnostic with CodeTLSASyntax", tt.in, ds, err)
				}
				if d.Offset != tt.wantOffset {
					t.Errorf("ParseTLSA(%q) offset = %d (%s), want %d", tt.in, d.Offset, d.Message, tt.wantOffset)
				}
				return
			default:
				if err != nil || len(ds) == 0 {
					t.Fatalf("ParseTLSA(%q) = %v, %v; want repairs", tt.in, ds, err)
				}
				if got.String() != tt.lenient {
					t.Errorf("ParseTLSA(%q).String() = %q, want %q", tt.in, got.String(), tt.lenient)
				}
				if ds[0].Offset != tt.wantOffset {
					t.Errorf("ParseTLSA(%q) first repair at %d (%v), want %d", tt.in, ds[0].Offset, ds[0], tt.wantOffset)
				}
				for _, d := range ds {
					if d.Code != CodeTLSAStringFormat || d.Severity != tlsrpt.SeverityWarning || d.Message == "" ||
						d.Fix != "write "+strconv.Quote(tt.lenient) || d.Offset < 0 || d.Offset > len(tt.in) {
						t.Errorf("ParseTLSA(%q): bad diagnostic %+v", tt.in, d)
					}
				}
			}
			again, ds, err := ParseTLSA(got.String())
			if err != nil || len(ds) > 0 || again.String() != got.String() {
				t.Errorf("round trip: %v, %v, %v", again, ds, err)
			}
		})
	}
}

func TestTLSAFields(t *testing.T) {
	rr, _, err := ParseTLSA("3 1 1 " + hexA)
	if err != nil {
		t.Fatal(err)
	}
	want := TLSA{Usage: UsageDANEEE, Selector: SelectorSPKI, MatchingType: MatchingSHA256, Data: mustHex(t, hexA)}
	if diff := cmp.Diff(want, rr); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if len(rr.Data) != 32 {
		t.Errorf("len(Data) = %d, want 32", len(rr.Data))
	}
	// The fields print in decimal, as in the presentation form.
	if got := fmt.Sprint(rr.Usage, rr.Selector, rr.MatchingType); got != "3 1 1" {
		t.Errorf("fields print as %q, want \"3 1 1\"", got)
	}
}

// TestTLSAMnemonics checks the RFC 7218 mnemonics ParseTLSA names in its
// error, with the number to write instead.
func TestTLSAMnemonics(t *testing.T) {
	tests := []struct {
		field int
		name  string
		want  int
	}{
		{0, "PKIX-TA", int(UsagePKIXTA)}, {0, "PKIX-EE", int(UsagePKIXEE)}, {0, "DANE-TA", int(UsageDANETA)},
		{0, "dane-ee", int(UsageDANEEE)}, {0, "PrivCert", 255},
		{1, "Cert", int(SelectorCert)}, {1, "SPKI", int(SelectorSPKI)}, {1, "PrivSel", 255},
		{2, "Full", int(MatchingFull)}, {2, "SHA2-256", int(MatchingSHA256)}, {2, "SHA2-512", int(MatchingSHA512)}, {2, "PrivMatch", 255},
	}
	for _, tt := range tests {
		if got, ok := tlsaMnemonic(tt.field, tt.name); !ok || got != tt.want {
			t.Errorf("tlsaMnemonic(%d, %q) = %d, %v; want %d", tt.field, tt.name, got, ok, tt.want)
		}
		fields := []string{"3", "1", "1", "ab"}
		fields[tt.field] = tt.name
		_, _, err := ParseTLSA(strings.Join(fields, " "))
		var d *tlsrpt.Diagnostic
		if !errors.As(err, &d) || !strings.HasSuffix(d.Message, "; write "+strconv.Itoa(tt.want)) {
			t.Errorf("ParseTLSA with %q: %v, want the number %d named", tt.name, err, tt.want)
		}
	}
	for f, name := range []string{"DANE-XX", "SPKI2", "SHA1"} {
		if _, ok := tlsaMnemonic(f, name); ok {
			t.Errorf("tlsaMnemonic(%d, %q) accepted an unknown name", f, name)
		}
	}
}

// TestConstantTypes asserts every constant is typed (STYLE: wire values).
func TestConstantTypes(t *testing.T) {
	got := fmt.Sprintf("%T %T %T %T %T %T %T %T %T %T %T %T %T %T %T %T %T %T %T %T",
		UsagePKIXTA, UsagePKIXEE, UsageDANETA, UsageDANEEE, SelectorCert, SelectorSPKI,
		MatchingFull, MatchingSHA256, MatchingSHA512, ModeEnforce, ModeTesting, ModeNone,
		TypeTLSA, TypeSTS, TypeNoPolicyFound, CodeTLSAStringFormat, CodeSyntax, CodeRecordSyntax, CodeTLSASyntax, CodeInvalidDomain)
	want := "policy.Usage policy.Usage policy.Usage policy.Usage policy.Selector policy.Selector " +
		"policy.MatchingType policy.MatchingType policy.MatchingType policy.Mode policy.Mode policy.Mode " +
		"policy.Type policy.Type policy.Type tlsrpt.Code tlsrpt.Code tlsrpt.Code tlsrpt.Code tlsrpt.Code"
	if got != want {
		t.Errorf("constant types:\n got %s\nwant %s", got, want)
	}
}
