package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

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
	rr, err := ParseTLSA("0 0 0 " + s)
	if err != nil {
		t.Fatal(err)
	}
	return rr.Data
}

var tlsaTests = []struct {
	name       string
	in         string
	want       string // canonical String(); "" for an error
	wantOffset int
	lenient    string // "" = same as strict; "error" = also fails leniently; otherwise the canonical string the lenient parser returns
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
			got, err := ParseTLSA(tt.in)
			if tt.want == "" {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("ParseTLSA(%q) error = %v, want *SyntaxError", tt.in, err)
				}
				if se.Offset != tt.wantOffset {
					t.Errorf("ParseTLSA(%q) offset = %d (%s), want %d", tt.in, se.Offset, se.Reason, tt.wantOffset)
				}
			} else {
				if err != nil {
					t.Fatalf("ParseTLSA(%q) error = %v", tt.in, err)
				}
				if got.String() != tt.want {
					t.Errorf("ParseTLSA(%q).String() = %q, want %q", tt.in, got.String(), tt.want)
				}
				again, err := ParseTLSA(got.String())
				if err != nil || !again.Equal(got) {
					t.Errorf("round trip: %v, %v", again, err)
				}
			}

			lg, lerr := ParseTLSALenient(tt.in)
			switch want := tt.lenient; {
			case want == "" && tt.want == "":
				t.Fatal("test case needs a lenient expectation")
			case want == "":
				want = tt.want
				fallthrough
			case want != "error":
				if lerr != nil || lg.String() != want {
					t.Errorf("ParseTLSALenient(%q) = %q, %v; want %q", tt.in, lg.String(), lerr, want)
				}
			default:
				var se *SyntaxError
				if !errors.As(lerr, &se) {
					t.Errorf("ParseTLSALenient(%q) error = %v, want *SyntaxError", tt.in, lerr)
				}
			}
		})
	}
}

func TestTLSAFields(t *testing.T) {
	rr, err := ParseTLSA("3 1 1 " + hexA)
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
	names := []string{rr.Usage.String(), rr.Selector.String(), rr.MatchingType.String(),
		UsagePKIXTA.String(), UsagePKIXEE.String(), UsageDANETA.String(), Usage(255).String(), Usage(7).String(),
		SelectorCert.String(), Selector(255).String(), Selector(9).String(),
		MatchingFull.String(), MatchingSHA512.String(), MatchingType(255).String(), MatchingType(3).String()}
	wantNames := []string{"DANE-EE", "SPKI", "SHA2-256", "PKIX-TA", "PKIX-EE", "DANE-TA", "PrivCert", "7",
		"Cert", "PrivSel", "9", "Full", "SHA2-512", "PrivMatch", "3"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("mnemonics mismatch (-want +got):\n%s", diff)
	}
}

// TestConstantTypes asserts every constant is typed (STYLE: wire values).
func TestConstantTypes(t *testing.T) {
	got := fmt.Sprintf("%T %T %T %T %T %T %T %T %T %T %T %T %T %T %T %T",
		UsagePKIXTA, UsagePKIXEE, UsageDANETA, UsageDANEEE, SelectorCert, SelectorSPKI,
		MatchingFull, MatchingSHA256, MatchingSHA512, ModeEnforce, ModeTesting, ModeNone,
		TypeTLSA, TypeSTS, TypeNoPolicyFound, SeverityError)
	want := "policy.Usage policy.Usage policy.Usage policy.Usage policy.Selector policy.Selector " +
		"policy.MatchingType policy.MatchingType policy.MatchingType policy.Mode policy.Mode policy.Mode " +
		"policy.Type policy.Type policy.Type policy.Severity"
	if got != want {
		t.Errorf("constant types:\n got %s\nwant %s", got, want)
	}
}
