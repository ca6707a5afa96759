package policy

import (
	"strconv"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"

	"github.com/google/go-cmp/cmp"
)

// lintCode is a Diagnostic of LintSTSPolicy without its texts, for
// comparison; Line is read from its Path.
type lintCode struct {
	Code     tlsrpt.Code
	Severity tlsrpt.Severity
	Line     int
}

// diagLine returns the line a LintSTSPolicy Diagnostic names in its Path
// ("line N"), or 0 when its Path is empty, and checks that its Offset is
// where that line starts in text.
func diagLine(t *testing.T, text string, d tlsrpt.Diagnostic) int {
	t.Helper()
	if d.Path == "" {
		if d.Offset != 0 {
			t.Errorf("diagnostic about the whole policy has offset %d: %v", d.Offset, d)
		}
		return 0
	}
	n, err := strconv.Atoi(strings.TrimPrefix(d.Path, "line "))
	if err != nil || !strings.HasPrefix(d.Path, "line ") || n < 1 {
		t.Errorf("bad path %q", d.Path)
		return -1
	}
	start := 0
	for i := 1; i < n; i++ {
		nl := strings.IndexByte(text[start:], '\n')
		if nl < 0 {
			t.Errorf("path %q beyond the last line", d.Path)
			return n
		}
		start += nl + 1
	}
	if d.Offset != start {
		t.Errorf("%v: offset %d, want %d, the start of the line", d, d.Offset, start)
	}
	return n
}

func TestLintSTSPolicy(t *testing.T) {
	const good = "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.mail.example.com\nmax_age: 1209600\n"
	tests := []struct {
		name   string
		text   string
		mx     []string
		want   []lintCode
		hint   string // a substring one of the messages must contain
		reason string
	}{
		{name: "clean", text: good, mx: []string{"mx1.example.com.", "a.mail.example.com"}},
		{name: "clean without mx list", text: good},
		{name: "testing", text: "version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 86400\n",
			want: []lintCode{{CodeModeTesting, tlsrpt.SeverityWarning, 2}}},
		{name: "enforce short max_age", text: "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 3600\n",
			want: []lintCode{{CodeMaxAgeShort, tlsrpt.SeverityWarning, 4}}},
		{name: "enforce one day", text: "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: mx1.example.com\n",
			want: []lintCode{{CodeMaxAgeBelowWeek, tlsrpt.SeverityInfo, 3}}, reason: "Google-style order; weeks expected"},
		{name: "testing short max_age is fine", text: "version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 60\n",
			want: []lintCode{{CodeModeTesting, tlsrpt.SeverityWarning, 2}}},
		{name: "none with mx", text: "version: STSv1\nmode: none\nmx: mx1.example.com\nmax_age: 86400\n", mx: []string{"other.example"},
			want: []lintCode{{CodeModeNone, tlsrpt.SeverityInfo, 2}, {CodeModeNoneMX, tlsrpt.SeverityInfo, 3}}, reason: "no MX comparison under none"},
		{name: "none without mx", text: "version: STSv1\nmode: none\nmax_age: 86400\n",
			want: []lintCode{{CodeModeNone, tlsrpt.SeverityInfo, 2}}},
		{name: "mx not covered enforce", text: good, mx: []string{"mx1.example.com", "mx2.example.com"},
			want: []lintCode{{CodeMXNotCovered, tlsrpt.SeverityError, 0}, {CodeMXPatternUnused, tlsrpt.SeverityWarning, 4}}},
		{name: "mx not covered testing", text: "version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 86400\n", mx: []string{"mx2.example.com"},
			want: []lintCode{{CodeMXNotCovered, tlsrpt.SeverityWarning, 0}, {CodeModeTesting, tlsrpt.SeverityWarning, 2}, {CodeMXPatternUnused, tlsrpt.SeverityWarning, 3}}},
		{name: "wildcard does not cover apex", text: "version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 1209600\n", mx: []string{"example.com", "a.example.com"},
			want: []lintCode{{CodeMXNotCovered, tlsrpt.SeverityError, 0}}, hint: "does not match example.com itself"},
		{name: "wildcard one label", text: "version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 1209600\n", mx: []string{"a.b.example.com"},
			want: []lintCode{{CodeMXNotCovered, tlsrpt.SeverityError, 0}, {CodeMXPatternUnused, tlsrpt.SeverityWarning, 3}}, hint: "exactly one label"},
		{name: "invalid mx host", text: good, mx: []string{"mx1.example.com", "a..b", "x.mail.example.com"},
			want: []lintCode{{CodeMXHostInvalid, tlsrpt.SeverityWarning, 0}}},
		{name: "typo host", reason: "test.maillfow.ovh-style typo in a real policy", text: "version: STSv1\nmode: testing\nmax_age: 86401\nmx: postfix1.mailflow.example\nmx: maillfow.example\n",
			mx:   []string{"postfix1.mailflow.example", "mailflow.example"},
			want: []lintCode{{CodeMXNotCovered, tlsrpt.SeverityWarning, 0}, {CodeModeTesting, tlsrpt.SeverityWarning, 2}, {CodeMXPatternUnused, tlsrpt.SeverityWarning, 5}}},
		{name: "blank lines", text: "version: STSv1\n\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\n\n",
			want: []lintCode{{CodeSyntax, tlsrpt.SeverityError, 2}, {CodeBlankLine, tlsrpt.SeverityError, 2}, {CodeBlankLine, tlsrpt.SeverityWarning, 6}}},
		{name: "trailing blank line only", text: "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\n\n",
			want:   []lintCode{{CodeBlankLine, tlsrpt.SeverityWarning, 5}},
			reason: "senders skip empty lines at the end: a warning, and the policy parses"},
		{name: "bom", text: "\ufeffversion: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeSyntax, tlsrpt.SeverityError, 1}, {CodeBOM, tlsrpt.SeverityError, 1}}},
		{name: "bom and a later line", text: "\ufeffversion: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 86400\n",
			want:   []lintCode{{CodeSyntax, tlsrpt.SeverityError, 1}, {CodeBOM, tlsrpt.SeverityError, 1}, {CodeModeTesting, tlsrpt.SeverityWarning, 2}},
			reason: "offsets count the byte order mark"},
		{name: "key case", text: "Version: STSv1\nMode: enforce\nMX: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeSyntax, tlsrpt.SeverityError, 0}, {CodeKeyCase, tlsrpt.SeverityError, 1}, {CodeKeyCase, tlsrpt.SeverityError, 2}, {CodeKeyCase, tlsrpt.SeverityError, 3}}},
		{name: "key typos", text: "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax-age: 1209600\n",
			want: []lintCode{{CodeSyntax, tlsrpt.SeverityError, 0}, {CodeKeyTypo, tlsrpt.SeverityError, 4}}, hint: `did you mean "max_age"`},
		{name: "leading whitespace and no colon", text: "version: STSv1\n  mode: enforce\nmx mx1.example.com\nmx: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeSyntax, tlsrpt.SeverityError, 2}, {CodeLeadingSpace, tlsrpt.SeverityError, 2}, {CodeNoColon, tlsrpt.SeverityError, 3}}},
		{name: "unknown key", text: "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\nnote: hi\n",
			want: []lintCode{{CodeUnknownKey, tlsrpt.SeverityInfo, 5}}},
		{name: "duplicates", text: "version: STSv1\nmode: testing\nmode: enforce\nmx: mx1.example.com\nmx: MX1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeModeTesting, tlsrpt.SeverityWarning, 2}, {CodeDuplicateKey, tlsrpt.SeverityWarning, 3}, {CodeDuplicateMX, tlsrpt.SeverityInfo, 5}}},
		{name: "trailing dot", text: "version: STSv1\nmode: enforce\nmx: mx1.example.com.\nmax_age: 1209600\n", mx: []string{"mx1.example.com"},
			want: []lintCode{{CodeSyntax, tlsrpt.SeverityError, 3}, {CodeMXTrailingDot, tlsrpt.SeverityError, 3}}},
		{name: "ip address", text: "version: STSv1\nmode: enforce\nmx: 192.0.2.25\nmx: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeMXIPAddress, tlsrpt.SeverityError, 3}}, reason: "grammatically a Domain, so the strict parser accepts it"},
		{name: "ipv6 address", text: "version: STSv1\nmode: enforce\nmx: 2001:db8::25\nmx: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeSyntax, tlsrpt.SeverityError, 3}, {CodeMXIPAddress, tlsrpt.SeverityError, 3}}},
		{name: "missing fields", text: "version: STSv1\nmode: testing\n",
			want: []lintCode{{CodeSyntax, tlsrpt.SeverityError, 0}, {CodeMissingField, tlsrpt.SeverityError, 0}, {CodeMissingField, tlsrpt.SeverityError, 0}, {CodeModeTesting, tlsrpt.SeverityWarning, 2}}},
		{name: "bad values", text: "version: STSv2\nmode: Enforce\nmx: mail.*.example.com\nmx: mx.göpher.example\nmax_age: 1w\n",
			want: []lintCode{{CodeSyntax, tlsrpt.SeverityError, 1}, {CodeVersionInvalid, tlsrpt.SeverityError, 1}, {CodeModeInvalid, tlsrpt.SeverityError, 2}, {CodeMXInvalid, tlsrpt.SeverityError, 3}, {CodeMXInvalid, tlsrpt.SeverityError, 4}, {CodeMaxAgeInvalid, tlsrpt.SeverityError, 5}},
			hint: "must be lower case"},
		{name: "txt record pasted", text: "v=STSv1; id=20240101\nversion: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeSyntax, tlsrpt.SeverityError, 1}, {CodeNoColon, tlsrpt.SeverityError, 1}}, hint: "_mta-sts TXT record"},
		{name: "too large", text: strings.Repeat("x", maxSTSPolicySize+1),
			want: []lintCode{{CodeTooLarge, tlsrpt.SeverityError, 0}}},
		{name: "empty", text: "", want: []lintCode{{CodeNotPolicy, tlsrpt.SeverityError, 0}, {CodeSyntax, tlsrpt.SeverityError, 1}, {CodeBlankLine, tlsrpt.SeverityError, 1}}},
		{name: "html", text: "<html>\n<body>Not Found</body>\n</html>\n",
			want: []lintCode{{CodeNotPolicy, tlsrpt.SeverityError, 0}, {CodeSyntax, tlsrpt.SeverityError, 1}, {CodeNoColon, tlsrpt.SeverityError, 1}, {CodeNoColon, tlsrpt.SeverityError, 2}, {CodeNoColon, tlsrpt.SeverityError, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := LintSTSPolicy(tt.text, tt.mx)
			var got []lintCode
			for _, f := range findings {
				got = append(got, lintCode{f.Code, f.Severity, diagLine(t, tt.text, f)})
				if f.Message == "" || f.Index != 0 {
					t.Errorf("diagnostic %s has no message or an index", f.Code)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LintSTSPolicy mismatch (-want +got):\n%s\n%v", diff, findings)
			}
			if tt.hint != "" {
				found := false
				for _, f := range findings {
					found = found || strings.Contains(f.Message, tt.hint)
				}
				if !found {
					t.Errorf("no message contains %q: %v", tt.hint, findings)
				}
			}
		})
	}
}

func TestLintSTSPolicyString(t *testing.T) {
	fs := LintSTSPolicy("version: STSv1\nmode: enforce\nmx: mx1.example.com.\nmax_age: 1209600\n", nil)
	var got []string
	for _, f := range fs {
		got = append(got, f.String())
	}
	want := []string{
		`error line 3 at offset 29: senders treat this policy as invalid and ignore it: mx "mx1.example.com.": trailing dot in host name [syntax]`,
		`error line 3 at offset 29: mx patterns are written without a trailing dot: mx1.example.com [mx-trailing-dot] (fix: mx: mx1.example.com)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
