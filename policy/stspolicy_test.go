package policy

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt"
)

// stsErr is the *tlsrpt.Diagnostic ParseSTSPolicy should return: Path
// "line N" and Offset at column col of that line, or, for line 0, Path ""
// and Offset len(text); the Code; a Message containing key and msg.
type stsErr struct {
	line, col int
	key       string
	code      tlsrpt.Code
	msg       string
}

// check reports how d, the error for text, differs from e, or "".
func (e *stsErr) check(text string, d *tlsrpt.Diagnostic) string {
	want := tlsrpt.Diagnostic{Offset: len(text), Code: e.code, Severity: tlsrpt.SeverityError, Message: d.Message}
	if e.line > 0 {
		start := 0
		for range e.line - 1 {
			start += strings.IndexByte(text[start:], '\n') + 1
		}
		want.Path, want.Offset = "line "+strconv.Itoa(e.line), start+e.col-1
	}
	if diff := cmp.Diff(want, *d); diff != "" {
		return diff
	}
	if !strings.Contains(d.Message, e.msg) || !strings.Contains(d.Message, e.key) {
		return "message " + strconv.Quote(d.Message) + " lacks " + strconv.Quote(e.msg) + " or " + strconv.Quote(e.key)
	}
	return ""
}

// stsPolicyTests is shared with the fuzz seed corpus.
var stsPolicyTests = []struct {
	name    string
	reason  string
	in      string
	want    *STSPolicy
	wantErr *stsErr
}{
	{
		name:   "rfc example",
		reason: "RFC 8461 §3.2 example, CRLF",
		in:     "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n",
		want:   &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 604800, MX: []string{"mail.example.com", "*.example.net", "backupmx.example.com"}},
	},
	{
		name:   "lf and max_age first",
		reason: "Google's order: max_age before mx; LF terminators (EID 6253)",
		in:     "version: STSv1\nmode: enforce\nmax_age: 10368000\nmx: carp-20.krvtz.example\n",
		want:   &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 10368000, MX: []string{"carp-20.krvtz.example"}},
	},
	{
		name:   "c1 control in an extension value",
		reason: "RFC 8461 §3.2 sts-policy-vchar includes RFC 3629 UTF8-2, so U+0085 is valid",
		in:     "version: STSv1\nmode: none\nmax_age: 0\nx: a\u0085b \u00e9\U0001F600",
		want:   &STSPolicy{Mode: ModeNone, Extensions: []tlsrpt.Extension{{Name: "x", Value: "a\u0085b \u00e9\U0001F600"}}},
	},
	{
		name: "no final terminator",
		in:   "version: STSv1\nmode: testing\nmx: mx.domeneshop.example\nmax_age: 86400",
		want: &STSPolicy{Mode: ModeTesting, MaxAgeSeconds: 86400, MX: []string{"mx.domeneshop.example"}},
	},
	{
		name: "mixed terminators",
		in:   "version: STSv1\r\nmode: testing\nmx: a.example\r\nmax_age: 1",
		want: &STSPolicy{Mode: ModeTesting, MaxAgeSeconds: 1, MX: []string{"a.example"}},
	},
	{
		name:   "no space after colon and trailing whitespace",
		reason: "field-delim is \":\" *WSP; a field may be followed by *WSP",
		in:     "version:STSv1\t\nmode:\tenforce \nmx:   a.example  \nmax_age:0",
		want:   &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 0, MX: []string{"a.example"}},
	},
	{
		name:   "mode none without mx",
		reason: "mx required only unless mode is none",
		in:     "version: STSv1\nmode: none\nmax_age: 86400\n",
		want:   &STSPolicy{Mode: ModeNone, MaxAgeSeconds: 86400},
	},
	{
		name: "mode none with mx",
		in:   "version: STSv1\nmode: none\nmx: a.example\nmax_age: 86400\n",
		want: &STSPolicy{Mode: ModeNone, MaxAgeSeconds: 86400, MX: []string{"a.example"}},
	},
	{
		name:   "extensions and unknown keys",
		reason: "unknown keys ignored but kept; UTF-8 and inner spaces allowed in extension values",
		in:     "version: STSv1\nmode: enforce\nx-note: zürich office  only\nmx: a.example\nmax_age: 3600\nfoo.bar_baz-1: 1\n",
		want: &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 3600, MX: []string{"a.example"},
			Extensions: []tlsrpt.Extension{{Name: "x-note", Value: "zürich office  only"}, {Name: "foo.bar_baz-1", Value: "1"}}},
	},
	{
		name:   "duplicates first wins",
		reason: "RFC 8461 §3.2: for non-mx fields the first occurrence is used; later values need only be well-formed",
		in:     "version: STSv1\nmode: testing\nmode: enforce\nmax_age: 60\nmax_age: bogus\nversion: STSv2\nx: 1\nx: 2\nmx: a.example\nmx: a.example\n",
		want: &STSPolicy{Mode: ModeTesting, MaxAgeSeconds: 60, MX: []string{"a.example", "a.example"},
			Extensions: []tlsrpt.Extension{{Name: "x", Value: "1"}}},
	},
	{
		name:   "mx lower-cased",
		reason: "DNS names are case-insensitive; canonical form is lower case",
		in:     "version: STSv1\nmode: enforce\nmx: MAIL.Example.COM\nmx: *.EXAMPLE.net\nmax_age: 86400\n",
		want:   &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 86400, MX: []string{"mail.example.com", "*.example.net"}},
	},
	{
		name: "mx a-label",
		in:   "version: STSv1\nmode: enforce\nmx: mx.xn--gpher-jua.test\nmax_age: 86400\n",
		want: &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 86400, MX: []string{"mx.xn--gpher-jua.test"}},
	},
	{
		name: "max_age maximum",
		in:   "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n",
		want: &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 31557600, MX: []string{"a.example"}},
	},
	{
		name:   "max_age leading zeros",
		reason: "1*10DIGIT allows them",
		in:     "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 0000086400\n",
		want:   &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 86400, MX: []string{"a.example"}},
	},
	{
		name:   "version not first",
		reason: "the grammar does not order fields",
		in:     "mode: enforce\nmx: a.example\nmax_age: 5\nversion: STSv1\n",
		want:   &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 5, MX: []string{"a.example"}},
	},

	// Errors.
	{name: "empty", in: "", wantErr: &stsErr{line: 1, col: 1, code: CodeBlankLine, msg: "empty line"}},
	{name: "blank line in the middle", in: "version: STSv1\n\nmode: enforce\n", wantErr: &stsErr{line: 2, col: 1, code: CodeBlankLine, msg: "empty line"}},
	{name: "two final terminators", in: "version: STSv1\nmode: none\nmax_age: 1\n\n", want: &STSPolicy{Mode: ModeNone, MaxAgeSeconds: 1},
		reason: "empty lines at the very end are skipped, as senders skip them"},
	{name: "trailing white-space lines", in: "version: STSv1\r\nmode: none\r\nmax_age: 1\r\n\r\n \t\r\n", want: &STSPolicy{Mode: ModeNone, MaxAgeSeconds: 1}},
	{name: "blank line before a field", in: "version: STSv1\r\n\r\nmode: none\r\nmax_age: 1\r\n", wantErr: &stsErr{line: 2, col: 1, code: CodeBlankLine, msg: "empty line"}},
	{name: "leading space", in: "version: STSv1\n mode: enforce\n", wantErr: &stsErr{line: 2, col: 1, code: CodeLeadingSpace, msg: "whitespace before the field name"}},
	{name: "space before colon", in: "version : STSv1\n", wantErr: &stsErr{line: 1, col: 8, key: "version", code: CodeSyntax, msg: "whitespace before ':'"}},
	{name: "no colon", in: "version STSv1\n", wantErr: &stsErr{line: 1, col: 8, key: "version", code: CodeNoColon, msg: "whitespace before ':'"}},
	{name: "no colon at all", in: "version\n", wantErr: &stsErr{line: 1, col: 8, key: "version", code: CodeNoColon, msg: "missing ':'"}},
	{name: "equals instead of colon", in: "version=STSv1\n", wantErr: &stsErr{line: 1, col: 8, key: "version", code: CodeNoColon, msg: "expected ':'"}},
	{name: "empty value", in: "version: STSv1\nmode:   \n", wantErr: &stsErr{line: 2, col: 9, key: "mode", code: CodeSyntax, msg: "empty value"}},
	{name: "name starts with underscore", in: "_x: 1\n", wantErr: &stsErr{line: 1, col: 1, key: "_x", code: CodeSyntax, msg: "must begin with a letter or digit"}},
	{name: "name too long", in: strings.Repeat("a", 33) + ": 1\n", wantErr: &stsErr{line: 1, col: 33, key: strings.Repeat("a", 32), code: CodeSyntax, msg: "longer than 32"}},
	{name: "bom", in: "\ufeffversion: STSv1\n", wantErr: &stsErr{line: 1, col: 1, code: CodeBOM, msg: "byte order mark"}},
	{name: "control char in value", in: "version: STSv1\nx: a\x01b\n", wantErr: &stsErr{line: 2, col: 5, key: "x", code: CodeSyntax, msg: "control character"}},
	{name: "tab inside value", in: "version: STSv1\nx: a\tb\n", wantErr: &stsErr{line: 2, col: 5, key: "x", code: CodeSyntax, msg: "control character"}},
	{name: "bare cr at end", in: "version: STSv1\nmode: enforce\r", wantErr: &stsErr{line: 2, col: 14, key: "mode", code: CodeSyntax, msg: "control character"}},
	{name: "invalid utf-8", in: "version: STSv1\nx: \xff\n", wantErr: &stsErr{line: 2, col: 4, key: "x", code: CodeSyntax, msg: "invalid UTF-8"}},
	{name: "utf-8 surrogate", reason: "RFC 3629 UTF8-3 excludes ED A0..BF", in: "version: STSv1\nx: a\xed\xa0\x80\n", wantErr: &stsErr{line: 2, col: 5, key: "x", code: CodeSyntax, msg: "invalid UTF-8"}},
	{name: "overlong utf-8", reason: "RFC 3629 UTF8-2 starts at C2", in: "version: STSv1\nx: \xc0\xaf\n", wantErr: &stsErr{line: 2, col: 4, key: "x", code: CodeSyntax, msg: "invalid UTF-8"}},
	{name: "wrong version", in: "version: STSv2\n", wantErr: &stsErr{line: 1, col: 10, key: "version", code: CodeVersionInvalid, msg: "want STSv1"}},
	{name: "version case", in: "version: stsv1\n", wantErr: &stsErr{line: 1, col: 10, key: "version", code: CodeVersionInvalid, msg: "want STSv1"}},
	{name: "mode unknown", in: "version: STSv1\nmode: reject\n", wantErr: &stsErr{line: 2, col: 7, key: "mode", code: CodeModeInvalid, msg: "want enforce, testing or none"}},
	{name: "mode case", in: "version: STSv1\nmode: Enforce\n", wantErr: &stsErr{line: 2, col: 7, key: "mode", code: CodeModeInvalid, msg: "must be lower case"}},
	{name: "key case", reason: "keys are case-sensitive: Mode is an extension, so mode is missing", in: "version: STSv1\nMode: enforce\nmx: a.example\nmax_age: 1\n", wantErr: &stsErr{key: "mode", code: CodeMissingField, msg: "missing mode"}},
	{name: "max_age negative", in: "version: STSv1\nmode: enforce\nmax_age: -1\n", wantErr: &stsErr{line: 3, col: 10, key: "max_age", code: CodeMaxAgeInvalid, msg: "not a non-negative integer"}},
	{name: "max_age too large", in: "version: STSv1\nmode: enforce\nmax_age: 31557601\n", wantErr: &stsErr{line: 3, col: 10, key: "max_age", code: CodeMaxAgeInvalid, msg: "exceeds the maximum"}},
	{name: "max_age 11 digits", in: "version: STSv1\nmode: enforce\nmax_age: 00000086400\n", wantErr: &stsErr{line: 3, col: 10, key: "max_age", code: CodeMaxAgeInvalid, msg: "more than 10 digits"}},
	{name: "max_age units", in: "version: STSv1\nmode: enforce\nmax_age: 1d\n", wantErr: &stsErr{line: 3, col: 10, key: "max_age", code: CodeMaxAgeInvalid, msg: "not a non-negative integer"}},
	{name: "mx trailing dot", in: "version: STSv1\nmode: enforce\nmx: mail.example.com.\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXTrailingDot, msg: "trailing dot"}},
	{name: "mx wildcard in middle", in: "version: STSv1\nmode: enforce\nmx: mail.*.example.com\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "whole left-most label"}},
	{name: "mx partial wildcard", in: "version: STSv1\nmode: enforce\nmx: mx*.example.com\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "whole left-most label"}},
	{name: "mx bare wildcard", in: "version: STSv1\nmode: enforce\nmx: *\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "whole left-most label"}},
	{name: "mx double wildcard", in: "version: STSv1\nmode: enforce\nmx: *.*.example.com\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "whole left-most label"}},
	{name: "mx u-label", in: "version: STSv1\nmode: enforce\nmx: mx.göpher.test\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "A-label"}},
	{name: "mx bad a-label", in: "version: STSv1\nmode: enforce\nmx: xn--a.example\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "invalid A-label"}},
	{name: "mx empty label", in: "version: STSv1\nmode: enforce\nmx: a..example\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "empty label"}},
	{name: "mx hyphen", in: "version: STSv1\nmode: enforce\nmx: -a.example\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "hyphen"}},
	{name: "mx underscore", in: "version: STSv1\nmode: enforce\nmx: a_b.example\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "invalid character"}},
	{name: "mx long label", in: "version: STSv1\nmode: enforce\nmx: " + strings.Repeat("a", 64) + ".example\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "longer than 63"}},
	{name: "mx with port", in: "version: STSv1\nmode: enforce\nmx: a.example:25\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "invalid character ':'"}},
	{name: "mx list on one line", in: "version: STSv1\nmode: enforce\nmx: a.example, b.example\n", wantErr: &stsErr{line: 3, col: 5, key: "mx", code: CodeMXInvalid, msg: "invalid character ','"}},
	{name: "missing version", in: "mode: enforce\nmx: a.example\nmax_age: 1\n", wantErr: &stsErr{key: "version", code: CodeMissingField, msg: "missing version"}},
	{name: "missing mode", in: "version: STSv1\nmx: a.example\nmax_age: 1\n", wantErr: &stsErr{key: "mode", code: CodeMissingField, msg: "missing mode"}},
	{name: "missing max_age", in: "version: STSv1\nmode: enforce\nmx: a.example\n", wantErr: &stsErr{key: "max_age", code: CodeMissingField, msg: "missing max_age"}},
	{name: "missing mx", in: "version: STSv1\nmode: testing\nmax_age: 1\n", wantErr: &stsErr{key: "mx", code: CodeMissingField, msg: "missing mx"}},
	{name: "html error page", reason: "a web server's error page served instead of the policy", in: "<html><body>404</body></html>\n", wantErr: &stsErr{line: 1, col: 1, code: CodeSyntax, msg: "expected a field name, found '<'"}},
}

func TestParseSTSPolicy(t *testing.T) {
	for _, tt := range stsPolicyTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSTSPolicy(tt.in)
			if tt.wantErr != nil {
				var d *tlsrpt.Diagnostic
				if !errors.As(err, &d) {
					t.Fatalf("ParseSTSPolicy(%q) error = %v, want *tlsrpt.Diagnostic", tt.in, err)
				}
				if diff := tt.wantErr.check(tt.in, d); diff != "" {
					t.Fatalf("ParseSTSPolicy(%q) error = %v:\n%s", tt.in, err, diff)
				}
				if !strings.HasPrefix(err.Error(), "tlsrpt: error ") {
					t.Errorf("error %q lacks the prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSTSPolicy(%q) error = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSTSPolicy(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			again, err := ParseSTSPolicy(got.String())
			if err != nil {
				t.Fatalf("ParseSTSPolicy(String()) error = %v\n%s", err, got.String())
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() = %v for a parsed policy", err)
			}
		})
	}
}

func TestParseSTSPolicySize(t *testing.T) {
	head := "version: STSv1\nmode: none\nmax_age: 1\nx: "
	exact := head + strings.Repeat("a", maxSTSPolicySize-len(head))
	if _, err := ParseSTSPolicy(exact); err != nil {
		t.Fatalf("policy of exactly maxSTSPolicySize: %v", err)
	}
	if _, err := ParseSTSPolicy(exact + "a"); !errors.Is(err, tlsrpt.ErrTooLarge) {
		t.Fatalf("policy of maxSTSPolicySize+1: error = %v, want tlsrpt.ErrTooLarge", err)
	}
	if _, err := ReadSTSPolicy(strings.NewReader(exact)); err != nil {
		t.Fatalf("ReadSTSPolicy exact: %v", err)
	}
	// An endless body: ReadSTSPolicy must stop at the cap.
	endless := iotest.OneByteReader(strings.NewReader(exact + strings.Repeat("b", 1<<20)))
	if _, err := ReadSTSPolicy(endless); !errors.Is(err, tlsrpt.ErrTooLarge) {
		t.Fatalf("ReadSTSPolicy oversized: error = %v, want tlsrpt.ErrTooLarge", err)
	}
	if _, err := ReadSTSPolicy(iotest.ErrReader(errors.New("boom"))); err == nil || err.Error() != "boom" {
		t.Fatalf("ReadSTSPolicy read error = %v, want boom", err)
	}
}

func TestSTSPolicyString(t *testing.T) {
	p := &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 604800, MX: []string{"mail.example.com", "*.example.net"},
		Extensions: []tlsrpt.Extension{{Name: "x-a", Value: "b c"}}}
	want := "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\nx-a: b c\r\n"
	if got := p.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	wantLines := []string{"version: STSv1", "mode: enforce", "mx: mail.example.com", "mx: *.example.net", "max_age: 604800", "x-a: b c"}
	pol, err := FromSTSText("example.com", p.String())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantLines, pol.Strings); diff != "" {
		t.Errorf("FromSTSText(String()).Strings mismatch (-want +got):\n%s", diff)
	}
}

func TestSTSPolicyValidate(t *testing.T) {
	ok := func() *STSPolicy {
		return &STSPolicy{Mode: ModeEnforce, MaxAgeSeconds: 86400, MX: []string{"a.example"}}
	}
	tests := []struct {
		name     string
		mutate   func(p *STSPolicy)
		wantPath string // "" = valid
		wantCode tlsrpt.Code
	}{
		{name: "valid", mutate: func(*STSPolicy) {}},
		{name: "none without mx", mutate: func(p *STSPolicy) { p.Mode, p.MX = ModeNone, nil }},
		{name: "upper-case mx accepted", mutate: func(p *STSPolicy) { p.MX = []string{"A.Example"} }},
		{name: "zero mode", mutate: func(p *STSPolicy) { p.Mode = "" }, wantPath: "mode", wantCode: CodeModeInvalid},
		{name: "bad mode", mutate: func(p *STSPolicy) { p.Mode = "ENFORCE" }, wantPath: "mode", wantCode: CodeModeInvalid},
		{name: "negative max_age", mutate: func(p *STSPolicy) { p.MaxAgeSeconds = -1 }, wantPath: "max_age", wantCode: CodeMaxAgeInvalid},
		{name: "max_age too large", mutate: func(p *STSPolicy) { p.MaxAgeSeconds = maxSTSMaxAge + 1 }, wantPath: "max_age", wantCode: CodeMaxAgeInvalid},
		{name: "no mx", mutate: func(p *STSPolicy) { p.MX = nil }, wantPath: "mx", wantCode: CodeMissingField},
		{name: "bad mx", mutate: func(p *STSPolicy) { p.MX = []string{"a.*.example"} }, wantPath: "mx[0]", wantCode: CodeMXInvalid},
		{name: "extension reuses mode", mutate: func(p *STSPolicy) { p.Extensions = []tlsrpt.Extension{{Name: "mode", Value: "x"}} }, wantPath: "extensions[0]", wantCode: CodeSyntax},
		{name: "extension repeated", mutate: func(p *STSPolicy) {
			p.Extensions = []tlsrpt.Extension{{Name: "x", Value: "1"}, {Name: "x", Value: "2"}}
		}, wantPath: "extensions[1]", wantCode: CodeSyntax},
		{name: "extension bad name", mutate: func(p *STSPolicy) { p.Extensions = []tlsrpt.Extension{{Name: "a b", Value: "1"}} }, wantPath: "extensions[0]", wantCode: CodeSyntax},
		{name: "extension newline", mutate: func(p *STSPolicy) { p.Extensions = []tlsrpt.Extension{{Name: "x", Value: "1\nmode: none"}} }, wantPath: "extensions[0]", wantCode: CodeSyntax},
		{name: "extension trailing space", mutate: func(p *STSPolicy) { p.Extensions = []tlsrpt.Extension{{Name: "x", Value: "1 "}} }, wantPath: "extensions[0]", wantCode: CodeSyntax},
		{name: "extension empty value", mutate: func(p *STSPolicy) { p.Extensions = []tlsrpt.Extension{{Name: "x", Value: ""}} }, wantPath: "extensions[0]", wantCode: CodeSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok()
			tt.mutate(p)
			err := p.Validate()
			if tt.wantPath == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var d *tlsrpt.Diagnostic
			if !errors.As(err, &d) || d.Path != tt.wantPath || d.Code != tt.wantCode || d.Offset != 0 || d.Severity != tlsrpt.SeverityError {
				t.Fatalf("Validate() = %#v, want a *tlsrpt.Diagnostic with Path %q and Code %q", err, tt.wantPath, tt.wantCode)
			}
		})
	}
}

// TestParseSTSPolicyManyFields parses, validates and lints a 64 KiB policy
// made of short extension lines, the worst case for duplicate detection.
func TestParseSTSPolicyManyFields(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: STSv1\nmode: none\nmax_age: 1\n")
	for i := 0; b.Len() < maxSTSPolicySize-16; i++ {
		b.WriteString("x")
		b.WriteString(strings.Repeat("y", i%7))
		b.WriteString(strconv.Itoa(i))
		b.WriteString(": 1\n")
	}
	p, err := ParseSTSPolicy(b.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Extensions) < 5000 {
		t.Fatalf("only %d extensions", len(p.Extensions))
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := len(LintSTSPolicy(b.String(), nil)); got != len(p.Extensions)+1 {
		t.Errorf("LintSTSPolicy gave %d findings, want one unknown-key per extension plus mode-none", got)
	}
}
