package dnsrecord

import (
	"reflect"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"

	"github.com/google/go-cmp/cmp"
)

// lintCodes is a table of inputs and the codes Lint must report, in
// order of offset.
var lintCodes = []struct {
	name string
	in   string
	want []tlsrpt.Code
}{
	{name: "clean", in: "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", want: nil},
	{name: "clean two", in: "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://r.example/tlsrpt;", want: nil},
	{name: "empty", in: "", want: []tlsrpt.Code{CodeEmpty}},
	{name: "blank", in: "  ", want: []tlsrpt.Code{CodeEmpty}},
	{name: "bare address", in: "v=TLSRPTv1; rua=reports@example.com", want: []tlsrpt.Code{CodeMissingMailto}},
	{name: "bare address second", in: "v=TLSRPTv1; rua=mailto:postmaster@domain.com,however@domain.com", want: []tlsrpt.Code{CodeMissingMailto}},
	{name: "http", in: "v=TLSRPTv1; rua=http://r.example/x", want: []tlsrpt.Code{CodeHTTP, CodeNoSupportedURI}},
	{name: "http beside mailto", in: "v=TLSRPTv1; rua=http://r.example/x,mailto:a@example.com", want: []tlsrpt.Code{CodeHTTP}},
	{name: "other scheme", in: "v=TLSRPTv1; rua=ftp://r.example/,mailto:a@example.com", want: []tlsrpt.Code{CodeUnsupportedScheme}},
	{name: "size suffix", in: "v=TLSRPTv1; rua=mailto:a@example.com!10m", want: []tlsrpt.Code{CodeSizeSuffix}},
	{name: "size suffix upper", in: "v=TLSRPTv1; rua=mailto:a@example.com!5M,mailto:b@example.com", want: []tlsrpt.Code{CodeSizeSuffix}},
	{name: "unencoded bang", in: "v=TLSRPTv1; rua=mailto:a!b@example.com", want: []tlsrpt.Code{CodeUnencoded}},
	{name: "unencoded comma", in: "v=TLSRPTv1; rua=https://r.example/a,b", want: []tlsrpt.Code{CodeUnencoded}},
	{name: "unencoded semicolon", in: "v=TLSRPTv1; rua=https://r.example/a;b", want: []tlsrpt.Code{CodeUnencoded}},
	{name: "trailing whitespace", in: "v=TLSRPTv1; rua=mailto:a@example.com ", want: []tlsrpt.Code{CodeTrailingWhitespace}},
	{name: "trailing whitespace mox", in: "v=TLSRPTv1; rua=mailto:tlsrpt@mox.example , \t\t https://mox.example/tlsrpt  ", want: []tlsrpt.Code{CodeTrailingWhitespace}},
	{name: "trailing ; and whitespace is fine", in: "v=TLSRPTv1; rua=mailto:a@example.com; ", want: nil},
	{name: "RUA upper", in: "v=TLSRPTv1; RUA=mailto:a@example.com", want: []tlsrpt.Code{CodeRUACase}},
	{name: "RUA upper beside rua", in: "v=TLSRPTv1; rua=mailto:a@example.com; Rua=mailto:b@example.com", want: []tlsrpt.Code{CodeRUACase}},
	{name: "two RUA beside rua", in: "v=TLSRPTv1; RUA=mailto:b@example.com; rua=mailto:a@example.com; Rua=mailto:c@example.com",
		want: []tlsrpt.Code{CodeRUACase, CodeRUACase}},
	{name: "V upper", in: "V=TLSRPTv1; rua=mailto:a@example.com", want: []tlsrpt.Code{CodeVersionCase}},
	{name: "version lower", in: "v=tlsrptv1; rua=mailto:a@example.com", want: []tlsrpt.Code{CodeVersionCase}},
	{name: "version spaced", in: "v = TLSRPTv1; rua=mailto:a@example.com", want: []tlsrpt.Code{CodeVersionWhitespace}},
	{name: "version 2", in: "v=TLSRPTv2; rua=mailto:a@example.com", want: []tlsrpt.Code{CodeUnknownVersion}},
	{name: "version without number", in: "v=TLSRPT;rua=mailto:test@hello.com", want: []tlsrpt.Code{CodeUnknownVersion}},
	{name: "version runs on", in: "v=TLSRPTv1=TLSRPTv1", want: []tlsrpt.Code{CodeInvalidField}},
	{name: "no version", in: "rua=mailto:a@example.com", want: []tlsrpt.Code{CodeMissingVersion}},
	{name: "no delimiter", in: "v=TLSRPTv1 rua=mailto:a@example.com", want: []tlsrpt.Code{CodeMissingDelimiter}},
	{name: "zone escape", in: `v=TLSRPTv1\; rua=mailto:a@example.com`, want: []tlsrpt.Code{CodeZoneEscape}},
	{name: "leading space", in: " v=TLSRPTv1; rua=mailto:a@example.com", want: []tlsrpt.Code{CodeLeadingWhitespace}},
	{name: "quoted", in: `"v=TLSRPTv1; rua=mailto:a@example.com"`, want: []tlsrpt.Code{CodeQuoted}},
	{name: "braces", in: "{v=TLSRPTv1;rua=mailto:sts-reports@google.com}", want: []tlsrpt.Code{CodeQuoted}},
	{name: "U-label domain", in: "v=TLSRPTv1; rua=mailto:a@bücher.example", want: []tlsrpt.Code{CodeIDN}},
	{name: "U-label https host", in: "v=TLSRPTv1; rua=https://bücher.example:8443/r", want: []tlsrpt.Code{CodeIDN}},
	{name: "non-ASCII local part", in: "v=TLSRPTv1; rua=mailto:jörg@example.com", want: []tlsrpt.Code{CodeNonASCII}},
	{name: "non-ASCII extension", in: "v=TLSRPTv1; rua=mailto:a@example.com; x=é", want: []tlsrpt.Code{CodeInvalidField, CodeNonASCII}},
	{name: "percent-encoded U-label", in: "v=TLSRPTv1; rua=mailto:a@b%C3%BCcher.example", want: []tlsrpt.Code{CodeIDN}},
	{name: "mailto query", in: "v=TLSRPTv1; rua=mailto:a@example.com?subject=tlsrpt", want: []tlsrpt.Code{CodeMailtoQuery}},
	{name: "mailto without @", in: "v=TLSRPTv1; rua=mailto:postmaster", want: []tlsrpt.Code{CodeInvalidMailto}},
	{name: "mailto encoded comma", in: "v=TLSRPTv1; rua=mailto:a%2Cb@example.com", want: []tlsrpt.Code{CodeMailtoComma}},
	{name: "https without host", in: "v=TLSRPTv1; rua=https:/r", want: []tlsrpt.Code{CodeInvalidHTTPS}},
	{name: "duplicate", in: "v=TLSRPTv1;rua=mailto:tlsrpt@example.com, mailto:tlsrpt@EXAMPLE.com", want: []tlsrpt.Code{CodeDuplicateURI}},
	{name: "too many", in: "v=TLSRPTv1; rua=mailto:a@x.example,mailto:b@x.example,https://r.x.example/", want: []tlsrpt.Code{CodeTooManyURIs}},
	{name: "spf", in: "v=spf1 -all", want: []tlsrpt.Code{CodeSPFRecord}},
	{name: "dmarc", in: "v=DMARC1; p=none; rua=mailto:d@example.com", want: []tlsrpt.Code{CodeDMARCRecord}},
	{name: "mta-sts", in: "v=STSv1; id=20240101", want: []tlsrpt.Code{CodeMTASTSRecord}},
	{name: "not tlsrpt", in: "not a tlsrpt record", want: []tlsrpt.Code{CodeNotTLSRPT}},
	{name: "no rua", in: "v=TLSRPTv1; ext=1", want: []tlsrpt.Code{CodeUnknownField, CodeMissingRUA}},
	{name: "only version", in: "v=TLSRPTv1", want: []tlsrpt.Code{CodeMissingRUA}},
	{name: "two rua fields", in: "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", want: []tlsrpt.Code{CodeMultipleRUA}},
	{name: "repeated version", in: "v=TLSRPTv1; v=TLSRPTv1; rua=mailto:a@example.com", want: []tlsrpt.Code{CodeRepeatedVersion}},
	{name: "DMARC tag", in: "v=TLSRPTv1; ruf=mailto:a@example.com; rua=mailto:a@example.com", want: []tlsrpt.Code{CodeUnknownField}},
	{name: "double delimiter", in: "v=TLSRPTv1; rua=mailto:a@example.com;;", want: []tlsrpt.Code{CodeEmptyField}},
	{name: "empty uri", in: "v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com", want: []tlsrpt.Code{CodeEmptyURI}},
	{name: "trailing comma", in: "v=TLSRPTv1; rua=mailto:a@example.com,", want: []tlsrpt.Code{CodeEmptyURI}},
	{name: "space after rua=", in: "v=TLSRPTv1; rua= mailto:a@example.com", want: []tlsrpt.Code{CodeFieldWhitespace}},
	{name: "missing ; between fields", in: "v=TLSRPTv1; rua=mailto:a@example.com ext=1", want: []tlsrpt.Code{CodeMissingDelimiter}},
	{name: "junk after URI", in: "v=TLSRPTv1; rua=mailto:x@x.example other", want: []tlsrpt.Code{CodeInvalidURI}},
	{name: "bad URI", in: "v=TLSRPTv1; rua=http://bad/%", want: []tlsrpt.Code{CodeInvalidURI}},
	{name: "no scheme", in: "v=TLSRPTv1; rua=noscheme", want: []tlsrpt.Code{CodeInvalidURI}},
	{name: "field without =", in: "v=TLSRPTv1; rua=mailto:a@example.com; junk", want: []tlsrpt.Code{CodeInvalidField}},
	{name: "bad extension name", in: "v=TLSRPTv1; rua=mailto:a@example.com; -x=1", want: []tlsrpt.Code{CodeInvalidField}},
	{name: "CR LF", in: "v=TLSRPTv1; rua=mailto:a@example.com\r\n", want: []tlsrpt.Code{CodeControl}},
	{name: "long string", in: "v=TLSRPTv1; rua=https://r.example/" + strings.Repeat("a", 250), want: []tlsrpt.Code{CodeLongString}},
}

func TestLintCodes(t *testing.T) {
	for _, tt := range lintCodes {
		t.Run(tt.name, func(t *testing.T) {
			fs := Lint(tt.in)
			var got []tlsrpt.Code
			for _, f := range fs {
				got = append(got, f.Code)
				if f.Message == "" || f.Fix == "" {
					t.Errorf("finding without message or fix: %v", f)
				}
				if f.Offset < 0 || f.Offset > len(tt.in) || f.Index != 0 || f.Path != "" {
					t.Errorf("offset %d outside the text, or index or path set: %v", f.Offset, f)
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
		if got := hasError(lint(in)); got != (err != nil) {
			t.Errorf("lint(%q) error finding = %v, Parse error = %v", in, got, err)
		}
		if got := hasError(Lint(in)); got != (err != nil) {
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

// TestCodeTypes asserts that every exported code constant is typed.
func TestCodeTypes(t *testing.T) {
	codes := []any{CodeEmpty, CodeSyntax, CodeTooManyURIs, CodeIDN, CodeNoRecord, CodeMultipleRecords, CodeIgnoredRecord}
	for _, c := range codes {
		if reflect.TypeOf(c) != reflect.TypeOf(tlsrpt.Code("")) {
			t.Errorf("%v has type %T", c, c)
		}
	}
}

// setDiag is a Diagnostic of Lint without its texts, for comparison.
type setDiag struct {
	Index    int
	Code     tlsrpt.Code
	Severity tlsrpt.Severity
}

// lintSets is a table of TXT sets, the diagnostics Lint must return for
// them, and whether Select must fail. It seeds FuzzLint.
var lintSets = []struct {
	name    string
	txts    []string
	want    []setDiag
	invalid bool // Select(txts, nil) fails
	reason  string
}{
	{name: "nothing published", txts: nil, want: []setDiag{{0, CodeNoRecord, tlsrpt.SeverityError}}, invalid: true},
	{name: "one valid", txts: []string{"v=TLSRPTv1; rua=mailto:a@example.com"}},
	{name: "spf beside valid", txts: []string{"v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com"},
		want: []setDiag{{0, CodeSPFRecord, tlsrpt.SeverityInfo}}, reason: "harmless: senders ignore it"},
	{name: "valid beside verification token", txts: []string{"v=TLSRPTv1; rua=mailto:a@example.com", "google-site-verification=abc\r\n"},
		want: []setDiag{{1, CodeNotTLSRPT, tlsrpt.SeverityInfo}}, reason: "only the classification, not the byte-level advice"},
	{name: "empty string beside valid", txts: []string{"", "v=TLSRPTv1; rua=mailto:a@example.com"},
		want: []setDiag{{0, CodeEmpty, tlsrpt.SeverityInfo}}},
	{name: "dmarc and mta-sts beside valid", txts: []string{"v=DMARC1; p=none", "v=STSv1; id=1", "v=TLSRPTv1; rua=mailto:a@example.com"},
		want: []setDiag{{0, CodeDMARCRecord, tlsrpt.SeverityInfo}, {1, CodeMTASTSRecord, tlsrpt.SeverityInfo}}},
	{name: "spf alone", txts: []string{"v=spf1 -all"}, want: []setDiag{{0, CodeSPFRecord, tlsrpt.SeverityError}}, invalid: true,
		reason: "a single string is judged as before"},
	{name: "spf and token, no record", txts: []string{"v=spf1 -all", "token"},
		want: []setDiag{{0, CodeSPFRecord, tlsrpt.SeverityError}, {1, CodeNotTLSRPT, tlsrpt.SeverityError}}, invalid: true},
	{name: "spf and near miss, no record", txts: []string{"v=spf1 -all", "V=TLSRPTv1; rua=mailto:a@example.com"},
		want: []setDiag{{0, CodeSPFRecord, tlsrpt.SeverityInfo}, {1, CodeVersionCase, tlsrpt.SeverityError}}, invalid: true,
		reason: "the near miss is why there is no record"},
	{name: "two records", txts: []string{"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"},
		want:    []setDiag{{0, CodeMultipleRecords, tlsrpt.SeverityError}, {1, CodeMultipleRecords, tlsrpt.SeverityError}},
		invalid: true},
	{name: "loose prefix counts", txts: []string{"v=TLSRPTv1 ; rua=mailto:a@example.com", "v=TLSRPTv1;rua=mailto:b@example.com"},
		want:    []setDiag{{0, CodeMultipleRecords, tlsrpt.SeverityError}, {1, CodeMultipleRecords, tlsrpt.SeverityError}},
		invalid: true, reason: "Lint applies the zero LookupOptions"},
	{name: "two records, one invalid", txts: []string{"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=b@example.com"},
		want: []setDiag{{0, CodeMultipleRecords, tlsrpt.SeverityError}, {1, CodeMultipleRecords, tlsrpt.SeverityError},
			{1, CodeMissingMailto, tlsrpt.SeverityError}}, invalid: true},
	{name: "the record is invalid beside spf", txts: []string{"v=spf1 -all", "v=TLSRPTv1; rua=a@example.com"},
		want: []setDiag{{0, CodeSPFRecord, tlsrpt.SeverityInfo}, {1, CodeMissingMailto, tlsrpt.SeverityError}}, invalid: true},
	{name: "near miss beside valid", txts: []string{"v=TLSRPTv1; rua=mailto:a@example.com", "V=TLSRPTv1; rua=mailto:b@example.com"},
		want: []setDiag{{1, CodeIgnoredRecord, tlsrpt.SeverityWarning}, {1, CodeVersionCase, tlsrpt.SeverityWarning}}},
	{name: "near miss beside two records", txts: []string{"rua=mailto:c@example.com", "v=TLSRPTv1;rua=mailto:a@example.com", "v=TLSRPTv1;rua=mailto:b@example.com"},
		want: []setDiag{{0, CodeIgnoredRecord, tlsrpt.SeverityWarning}, {0, CodeMissingVersion, tlsrpt.SeverityWarning},
			{1, CodeMultipleRecords, tlsrpt.SeverityError}, {2, CodeMultipleRecords, tlsrpt.SeverityError}}, invalid: true},
	{name: "warnings of the record kept", txts: []string{"v=spf1 -all", "v=TLSRPTv1; rua=http://r.example/x"},
		want: []setDiag{{0, CodeSPFRecord, tlsrpt.SeverityInfo}, {1, CodeHTTP, tlsrpt.SeverityWarning}, {1, CodeNoSupportedURI, tlsrpt.SeverityWarning}}},
}

func TestLintSets(t *testing.T) {
	for _, tt := range lintSets {
		t.Run(tt.name, func(t *testing.T) {
			ds := Lint(tt.txts...)
			var got []setDiag
			for _, d := range ds {
				got = append(got, setDiag{d.Index, d.Code, d.Severity})
				if d.Message == "" || d.Fix == "" || d.Path != "" {
					t.Errorf("diagnostic without message or fix, or with a path: %v", d)
				}
				if len(tt.txts) > 0 && (d.Offset < 0 || d.Offset > len(tt.txts[d.Index])) {
					t.Errorf("offset outside string #%d: %v", d.Index, d)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lint(%q) (-want +got):\n%s\n%v", tt.txts, diff, ds)
			}
			_, err := Select(tt.txts, nil)
			if (err != nil) != tt.invalid {
				t.Errorf("Select(%q) = %v, want invalid %v", tt.txts, err, tt.invalid)
			}
			if hasError(ds) != tt.invalid {
				t.Errorf("Lint(%q) has error = %v, Select error = %v", tt.txts, hasError(ds), err)
			}
		})
	}
}

// TestLintSingleIsParse checks that Lint of one string has an error
// exactly when Parse and Select reject it, as the documentation says.
func TestLintSingleIsParse(t *testing.T) {
	for _, tt := range lintCodes {
		_, perr := Parse(tt.in)
		_, serr := Select([]string{tt.in}, nil)
		if (perr != nil) != (serr != nil) || hasError(Lint(tt.in)) != (perr != nil) {
			t.Errorf("%q: Parse error %v, Select error %v, Lint %v", tt.in, perr, serr, Lint(tt.in))
		}
	}
}
