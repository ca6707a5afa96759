package dnsrecord

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lintCodes is a table of inputs and the codes Lint must report, in
// order of offset.
var lintCodes = []struct {
	name string
	in   string
	want []Code
}{
	{name: "clean", in: "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", want: nil},
	{name: "clean two", in: "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://r.example/tlsrpt;", want: nil},
	{name: "empty", in: "", want: []Code{CodeEmpty}},
	{name: "blank", in: "  ", want: []Code{CodeEmpty}},
	{name: "bare address", in: "v=TLSRPTv1; rua=reports@example.com", want: []Code{CodeMissingMailto}},
	{name: "bare address second", in: "v=TLSRPTv1; rua=mailto:postmaster@domain.com,however@domain.com", want: []Code{CodeMissingMailto}},
	{name: "http", in: "v=TLSRPTv1; rua=http://r.example/x", want: []Code{CodeHTTP, CodeNoSupportedURI}},
	{name: "http beside mailto", in: "v=TLSRPTv1; rua=http://r.example/x,mailto:a@example.com", want: []Code{CodeHTTP}},
	{name: "other scheme", in: "v=TLSRPTv1; rua=ftp://r.example/,mailto:a@example.com", want: []Code{CodeUnsupportedScheme}},
	{name: "size suffix", in: "v=TLSRPTv1; rua=mailto:a@example.com!10m", want: []Code{CodeSizeSuffix}},
	{name: "size suffix upper", in: "v=TLSRPTv1; rua=mailto:a@example.com!5M,mailto:b@example.com", want: []Code{CodeSizeSuffix}},
	{name: "unencoded bang", in: "v=TLSRPTv1; rua=mailto:a!b@example.com", want: []Code{CodeUnencoded}},
	{name: "unencoded comma", in: "v=TLSRPTv1; rua=https://r.example/a,b", want: []Code{CodeUnencoded}},
	{name: "unencoded semicolon", in: "v=TLSRPTv1; rua=https://r.example/a;b", want: []Code{CodeUnencoded}},
	{name: "trailing whitespace", in: "v=TLSRPTv1; rua=mailto:a@example.com ", want: []Code{CodeTrailingWhitespace}},
	{name: "trailing whitespace mox", in: "v=TLSRPTv1; rua=mailto:tlsrpt@mox.example , \t\t https://mox.example/tlsrpt  ", want: []Code{CodeTrailingWhitespace}},
	{name: "trailing ; and whitespace is fine", in: "v=TLSRPTv1; rua=mailto:a@example.com; ", want: nil},
	{name: "RUA upper", in: "v=TLSRPTv1; RUA=mailto:a@example.com", want: []Code{CodeRUACase}},
	{name: "RUA upper beside rua", in: "v=TLSRPTv1; rua=mailto:a@example.com; Rua=mailto:b@example.com", want: []Code{CodeRUACase}},
	{name: "two RUA beside rua", in: "v=TLSRPTv1; RUA=mailto:b@example.com; rua=mailto:a@example.com; Rua=mailto:c@example.com",
		want: []Code{CodeRUACase, CodeRUACase}},
	{name: "V upper", in: "V=TLSRPTv1; rua=mailto:a@example.com", want: []Code{CodeVersionCase}},
	{name: "version lower", in: "v=tlsrptv1; rua=mailto:a@example.com", want: []Code{CodeVersionCase}},
	{name: "version spaced", in: "v = TLSRPTv1; rua=mailto:a@example.com", want: []Code{CodeVersionWhitespace}},
	{name: "version 2", in: "v=TLSRPTv2; rua=mailto:a@example.com", want: []Code{CodeUnknownVersion}},
	{name: "version without number", in: "v=TLSRPT;rua=mailto:test@hello.com", want: []Code{CodeUnknownVersion}},
	{name: "version runs on", in: "v=TLSRPTv1=TLSRPTv1", want: []Code{CodeInvalidField}},
	{name: "no version", in: "rua=mailto:a@example.com", want: []Code{CodeMissingVersion}},
	{name: "no delimiter", in: "v=TLSRPTv1 rua=mailto:a@example.com", want: []Code{CodeMissingDelimiter}},
	{name: "zone escape", in: `v=TLSRPTv1\; rua=mailto:a@example.com`, want: []Code{CodeZoneEscape}},
	{name: "leading space", in: " v=TLSRPTv1; rua=mailto:a@example.com", want: []Code{CodeLeadingWhitespace}},
	{name: "quoted", in: `"v=TLSRPTv1; rua=mailto:a@example.com"`, want: []Code{CodeQuoted}},
	{name: "braces", in: "{v=TLSRPTv1;rua=mailto:sts-reports@google.com}", want: []Code{CodeQuoted}},
	{name: "U-label domain", in: "v=TLSRPTv1; rua=mailto:a@bücher.example", want: []Code{CodeIDN}},
	{name: "U-label https host", in: "v=TLSRPTv1; rua=https://bücher.example:8443/r", want: []Code{CodeIDN}},
	{name: "non-ASCII local part", in: "v=TLSRPTv1; rua=mailto:jörg@example.com", want: []Code{CodeNonASCII}},
	{name: "non-ASCII extension", in: "v=TLSRPTv1; rua=mailto:a@example.com; x=é", want: []Code{CodeInvalidField, CodeNonASCII}},
	{name: "percent-encoded U-label", in: "v=TLSRPTv1; rua=mailto:a@b%C3%BCcher.example", want: []Code{CodeIDN}},
	{name: "mailto query", in: "v=TLSRPTv1; rua=mailto:a@example.com?subject=tlsrpt", want: []Code{CodeMailtoQuery}},
	{name: "mailto without @", in: "v=TLSRPTv1; rua=mailto:postmaster", want: []Code{CodeInvalidMailto}},
	{name: "mailto encoded comma", in: "v=TLSRPTv1; rua=mailto:a%2Cb@example.com", want: []Code{CodeMailtoComma}},
	{name: "https without host", in: "v=TLSRPTv1; rua=https:/r", want: []Code{CodeInvalidHTTPS}},
	{name: "duplicate", in: "v=TLSRPTv1;rua=mailto:tlsrpt@example.com, mailto:tlsrpt@EXAMPLE.com", want: []Code{CodeDuplicateURI}},
	{name: "too many", in: "v=TLSRPTv1; rua=mailto:a@x.example,mailto:b@x.example,https://r.x.example/", want: []Code{CodeTooManyURIs}},
	{name: "spf", in: "v=spf1 -all", want: []Code{CodeSPFRecord}},
	{name: "dmarc", in: "v=DMARC1; p=none; rua=mailto:d@example.com", want: []Code{CodeDMARCRecord}},
	{name: "mta-sts", in: "v=STSv1; id=20240101", want: []Code{CodeMTASTSRecord}},
	{name: "not tlsrpt", in: "not a tlsrpt record", want: []Code{CodeNotTLSRPT}},
	{name: "no rua", in: "v=TLSRPTv1; ext=1", want: []Code{CodeUnknownField, CodeMissingRUA}},
	{name: "only version", in: "v=TLSRPTv1", want: []Code{CodeMissingRUA}},
	{name: "two rua fields", in: "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", want: []Code{CodeMultipleRUA}},
	{name: "repeated version", in: "v=TLSRPTv1; v=TLSRPTv1; rua=mailto:a@example.com", want: []Code{CodeRepeatedVersion}},
	{name: "DMARC tag", in: "v=TLSRPTv1; ruf=mailto:a@example.com; rua=mailto:a@example.com", want: []Code{CodeUnknownField}},
	{name: "double delimiter", in: "v=TLSRPTv1; rua=mailto:a@example.com;;", want: []Code{CodeEmptyField}},
	{name: "empty uri", in: "v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com", want: []Code{CodeEmptyURI}},
	{name: "trailing comma", in: "v=TLSRPTv1; rua=mailto:a@example.com,", want: []Code{CodeEmptyURI}},
	{name: "space after rua=", in: "v=TLSRPTv1; rua= mailto:a@example.com", want: []Code{CodeFieldWhitespace}},
	{name: "missing ; between fields", in: "v=TLSRPTv1; rua=mailto:a@example.com ext=1", want: []Code{CodeMissingDelimiter}},
	{name: "junk after URI", in: "v=TLSRPTv1; rua=mailto:x@x.example other", want: []Code{CodeInvalidURI}},
	{name: "bad URI", in: "v=TLSRPTv1; rua=http://bad/%", want: []Code{CodeInvalidURI}},
	{name: "no scheme", in: "v=TLSRPTv1; rua=noscheme", want: []Code{CodeInvalidURI}},
	{name: "field without =", in: "v=TLSRPTv1; rua=mailto:a@example.com; junk", want: []Code{CodeInvalidField}},
	{name: "bad extension name", in: "v=TLSRPTv1; rua=mailto:a@example.com; -x=1", want: []Code{CodeInvalidField}},
	{name: "CR LF", in: "v=TLSRPTv1; rua=mailto:a@example.com\r\n", want: []Code{CodeControl}},
	{name: "long string", in: "v=TLSRPTv1; rua=https://r.example/" + strings.Repeat("a", 250), want: []Code{CodeLongString}},
}

func TestLintCodes(t *testing.T) {
	for _, tt := range lintCodes {
		t.Run(tt.name, func(t *testing.T) {
			fs := Lint(tt.in)
			var got []Code
			for _, f := range fs {
				got = append(got, f.Code)
				if f.Message == "" || f.Fix == "" {
					t.Errorf("finding without message or fix: %v", f)
				}
				if f.Offset < 0 || f.Offset > len(tt.in) {
					t.Errorf("offset %d outside the text: %v", f.Offset, f)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lint(%q) codes (-want +got):\n%s\nfindings: %v", tt.in, diff, fs)
			}
		})
	}
}

// TestLintAgreesWithParse checks, before the defensive reconciliation in
// Lint, that the heuristics report an error exactly when Parse fails.
func TestLintAgreesWithParse(t *testing.T) {
	var inputs []string
	for _, tt := range validRecords {
		inputs = append(inputs, tt.in)
	}
	for _, tt := range invalidRecords {
		inputs = append(inputs, tt.in)
	}
	for _, tt := range lintCodes {
		inputs = append(inputs, tt.in)
	}
	for _, in := range inputs {
		_, err := Parse(in)
		if got := hasErrorFinding(lint(in)); got != (err != nil) {
			t.Errorf("lint(%q) error finding = %v, Parse error = %v", in, got, err)
		}
		if got := hasErrorFinding(Lint(in)); got != (err != nil) {
			t.Errorf("Lint(%q) error finding = %v, Parse error = %v", in, got, err)
		}
	}
}

func TestLintFixesParse(t *testing.T) {
	// Where a Fix quotes a replacement URI, the replacement is valid.
	for _, tt := range []struct{ in, fix string }{
		{"v=TLSRPTv1; rua=reports@example.com", `write "mailto:reports@example.com"`},
		{"v=TLSRPTv1; rua=mailto:a@bücher.example", `write "mailto:a@xn--bcher-kva.example"`},
		{"v=TLSRPTv1; rua=https://bücher.example:8443/r", `write "https://xn--bcher-kva.example:8443/r"`},
		{"v=TLSRPTv1; rua=http://r.example/x", `write "https://r.example/x"`},
	} {
		fs := Lint(tt.in)
		if len(fs) == 0 || fs[0].Fix != tt.fix {
			t.Errorf("Lint(%q) = %v, want first fix %q", tt.in, fs, tt.fix)
		}
	}
}

// TestCodeTypes asserts that every exported constant is typed.
func TestCodeTypes(t *testing.T) {
	codes := []any{CodeEmpty, CodeSyntax, CodeTooManyURIs, CodeIDN}
	for _, c := range codes {
		if reflect.TypeOf(c) != reflect.TypeOf(Code("")) {
			t.Errorf("%v has type %T", c, c)
		}
	}
	for _, s := range []any{SeverityError, SeverityWarning, SeverityInfo} {
		if reflect.TypeOf(s) != reflect.TypeOf(Severity("")) {
			t.Errorf("%v has type %T", s, s)
		}
	}
}
