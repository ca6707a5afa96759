package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lintCode is a Finding without its message, for comparison.
type lintCode struct {
	Code     Code
	Severity Severity
	Line     int
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
			want: []lintCode{{CodeModeTesting, SeverityWarning, 2}}},
		{name: "enforce short max_age", text: "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 3600\n",
			want: []lintCode{{CodeMaxAgeShort, SeverityWarning, 4}}},
		{name: "enforce one day", text: "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: mx1.example.com\n",
			want: []lintCode{{CodeMaxAgeBelowWeek, SeverityInfo, 3}}, reason: "Google-style order; weeks expected"},
		{name: "testing short max_age is fine", text: "version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 60\n",
			want: []lintCode{{CodeModeTesting, SeverityWarning, 2}}},
		{name: "none with mx", text: "version: STSv1\nmode: none\nmx: mx1.example.com\nmax_age: 86400\n", mx: []string{"other.example"},
			want: []lintCode{{CodeModeNone, SeverityInfo, 2}, {CodeModeNoneMX, SeverityInfo, 3}}, reason: "no MX comparison under none"},
		{name: "none without mx", text: "version: STSv1\nmode: none\nmax_age: 86400\n",
			want: []lintCode{{CodeModeNone, SeverityInfo, 2}}},
		{name: "mx not covered enforce", text: good, mx: []string{"mx1.example.com", "mx2.example.com"},
			want: []lintCode{{CodeMXNotCovered, SeverityError, 0}, {CodeMXPatternUnused, SeverityWarning, 4}}},
		{name: "mx not covered testing", text: "version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 86400\n", mx: []string{"mx2.example.com"},
			want: []lintCode{{CodeMXNotCovered, SeverityWarning, 0}, {CodeModeTesting, SeverityWarning, 2}, {CodeMXPatternUnused, SeverityWarning, 3}}},
		{name: "wildcard does not cover apex", text: "version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 1209600\n", mx: []string{"example.com", "a.example.com"},
			want: []lintCode{{CodeMXNotCovered, SeverityError, 0}}, hint: "does not match example.com itself"},
		{name: "wildcard one label", text: "version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 1209600\n", mx: []string{"a.b.example.com"},
			want: []lintCode{{CodeMXNotCovered, SeverityError, 0}, {CodeMXPatternUnused, SeverityWarning, 3}}, hint: "exactly one label"},
		{name: "invalid mx host", text: good, mx: []string{"mx1.example.com", "a..b", "x.mail.example.com"},
			want: []lintCode{{CodeMXHostInvalid, SeverityWarning, 0}}},
		{name: "typo host", reason: "test.maillfow.ovh-style typo in a real policy", text: "version: STSv1\nmode: testing\nmax_age: 86401\nmx: postfix1.mailflow.example\nmx: maillfow.example\n",
			mx:   []string{"postfix1.mailflow.example", "mailflow.example"},
			want: []lintCode{{CodeMXNotCovered, SeverityWarning, 0}, {CodeModeTesting, SeverityWarning, 2}, {CodeMXPatternUnused, SeverityWarning, 5}}},
		{name: "blank lines", text: "version: STSv1\n\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\n\n",
			want: []lintCode{{CodeSyntax, SeverityError, 2}, {CodeBlankLine, SeverityError, 2}, {CodeBlankLine, SeverityError, 6}}},
		{name: "bom", text: "\ufeffversion: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeSyntax, SeverityError, 1}, {CodeBOM, SeverityError, 1}}},
		{name: "key case", text: "Version: STSv1\nMode: enforce\nMX: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeSyntax, SeverityError, 0}, {CodeKeyCase, SeverityError, 1}, {CodeKeyCase, SeverityError, 2}, {CodeKeyCase, SeverityError, 3}}},
		{name: "key typos", text: "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax-age: 1209600\n",
			want: []lintCode{{CodeSyntax, SeverityError, 0}, {CodeKeyTypo, SeverityError, 4}}, hint: `did you mean "max_age"`},
		{name: "leading whitespace and no colon", text: "version: STSv1\n  mode: enforce\nmx mx1.example.com\nmx: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeSyntax, SeverityError, 2}, {CodeLeadingSpace, SeverityError, 2}, {CodeNoColon, SeverityError, 3}}},
		{name: "unknown key", text: "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\nnote: hi\n",
			want: []lintCode{{CodeUnknownKey, SeverityInfo, 5}}},
		{name: "duplicates", text: "version: STSv1\nmode: testing\nmode: enforce\nmx: mx1.example.com\nmx: MX1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeModeTesting, SeverityWarning, 2}, {CodeDuplicateKey, SeverityWarning, 3}, {CodeDuplicateMX, SeverityInfo, 5}}},
		{name: "trailing dot", text: "version: STSv1\nmode: enforce\nmx: mx1.example.com.\nmax_age: 1209600\n", mx: []string{"mx1.example.com"},
			want: []lintCode{{CodeSyntax, SeverityError, 3}, {CodeMXTrailingDot, SeverityError, 3}}},
		{name: "ip address", text: "version: STSv1\nmode: enforce\nmx: 192.0.2.25\nmx: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeMXIPAddress, SeverityError, 3}}, reason: "grammatically a Domain, so the strict parser accepts it"},
		{name: "ipv6 address", text: "version: STSv1\nmode: enforce\nmx: 2001:db8::25\nmx: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeSyntax, SeverityError, 3}, {CodeMXIPAddress, SeverityError, 3}}},
		{name: "missing fields", text: "version: STSv1\nmode: testing\n",
			want: []lintCode{{CodeSyntax, SeverityError, 0}, {CodeMissingField, SeverityError, 0}, {CodeMissingField, SeverityError, 0}, {CodeModeTesting, SeverityWarning, 2}}},
		{name: "bad values", text: "version: STSv2\nmode: Enforce\nmx: mail.*.example.com\nmx: mx.göpher.example\nmax_age: 1w\n",
			want: []lintCode{{CodeSyntax, SeverityError, 1}, {CodeVersionInvalid, SeverityError, 1}, {CodeModeInvalid, SeverityError, 2}, {CodeMXInvalid, SeverityError, 3}, {CodeMXInvalid, SeverityError, 4}, {CodeMaxAgeInvalid, SeverityError, 5}},
			hint: "must be lower case"},
		{name: "txt record pasted", text: "v=STSv1; id=20240101\nversion: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\n",
			want: []lintCode{{CodeSyntax, SeverityError, 1}, {CodeNoColon, SeverityError, 1}}, hint: "_mta-sts TXT record"},
		{name: "too large", text: strings.Repeat("x", MaxSTSPolicySize+1),
			want: []lintCode{{CodeTooLarge, SeverityError, 0}}},
		{name: "empty", text: "", want: []lintCode{{CodeNotPolicy, SeverityError, 0}, {CodeSyntax, SeverityError, 1}, {CodeBlankLine, SeverityError, 1}}},
		{name: "html", text: "<html>\n<body>Not Found</body>\n</html>\n",
			want: []lintCode{{CodeNotPolicy, SeverityError, 0}, {CodeSyntax, SeverityError, 1}, {CodeNoColon, SeverityError, 1}, {CodeNoColon, SeverityError, 2}, {CodeNoColon, SeverityError, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := LintSTSPolicy(tt.text, tt.mx)
			var got []lintCode
			for _, f := range findings {
				got = append(got, lintCode{f.Code, f.Severity, f.Line})
				if f.Message == "" {
					t.Errorf("finding %s has no message", f.Code)
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

func TestFindingString(t *testing.T) {
	fs := LintSTSPolicy("version: STSv1\nmode: enforce\nmx: mx1.example.com.\nmax_age: 1209600\n", nil)
	var got []string
	for _, f := range fs {
		got = append(got, f.String())
	}
	want := []string{
		`error line 3 syntax: senders treat this policy as invalid and ignore it: mta-sts policy line 3 column 5: mx "mx1.example.com.": trailing dot in host name`,
		`error line 3 mx-trailing-dot: mx patterns are written without a trailing dot: mx1.example.com (fix: mx: mx1.example.com)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
