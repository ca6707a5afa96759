package policy

import (
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"

	"github.com/google/go-cmp/cmp"
)

// recCode is a Diagnostic of LintSTSRecord without its texts, for
// comparison.
type recCode struct {
	Code     tlsrpt.Code
	Severity tlsrpt.Severity
	Record   int // Index
	Offset   int
}

// lintRecordTests is shared with the fuzz seed corpus.
var lintRecordTests = []struct {
	name string
	txts []string
	want []recCode
	hint string // a substring of one message or fix
}{
	{name: "clean", txts: []string{"v=STSv1; id=20240101T000000"}},
	{name: "clean beside spf", txts: []string{"v=spf1 -all", "v=STSv1;id=1;"},
		want: []recCode{{CodeRecordOther, tlsrpt.SeverityInfo, 0, 0}}},
	{name: "nothing published", txts: nil,
		want: []recCode{{CodeRecordNone, tlsrpt.SeverityError, 0, 0}}},
	{name: "only spf", txts: []string{"v=spf1 -all"},
		want: []recCode{{CodeRecordNone, tlsrpt.SeverityError, 0, 0}, {CodeRecordOther, tlsrpt.SeverityInfo, 0, 0}}},
	{name: "two records", txts: []string{"v=STSv1; id=1", "v=STSv1; id=2"},
		want: []recCode{{CodeRecordMultiple, tlsrpt.SeverityError, 0, 0}, {CodeRecordMultiple, tlsrpt.SeverityError, 1, 0}}},
	{name: "version case", txts: []string{"V=STSv1; id=1"},
		want: []recCode{{CodeRecordNone, tlsrpt.SeverityError, 0, 0}, {CodeRecordVersion, tlsrpt.SeverityError, 0, 0}}},
	{name: "version lower case", txts: []string{"v=stsv1; id=1"},
		want: []recCode{{CodeRecordNone, tlsrpt.SeverityError, 0, 0}, {CodeRecordVersion, tlsrpt.SeverityError, 0, 0}}},
	{name: "version whitespace", txts: []string{"v = STSv1; id=1"},
		want: []recCode{{CodeRecordNone, tlsrpt.SeverityError, 0, 0}, {CodeRecordVersion, tlsrpt.SeverityError, 0, 0}}},
	{name: "leading space", txts: []string{" v=STSv1; id=1"},
		want: []recCode{{CodeRecordNone, tlsrpt.SeverityError, 0, 0}, {CodeRecordVersion, tlsrpt.SeverityError, 0, 0}}},
	{name: "quoted", txts: []string{`"v=STSv1; id=1"`},
		want: []recCode{{CodeRecordNone, tlsrpt.SeverityError, 0, 0}, {CodeRecordVersion, tlsrpt.SeverityError, 0, 0}}},
	{name: "near miss beside a valid record", txts: []string{"v=STSv1; id=1", "V=STSv1; id=2"},
		want: []recCode{{CodeRecordVersion, tlsrpt.SeverityWarning, 1, 0}}},
	{name: "other version", txts: []string{"v=STSv2; id=1"},
		want: []recCode{{CodeRecordNone, tlsrpt.SeverityError, 0, 0}, {CodeRecordVersion, tlsrpt.SeverityError, 0, 0}}, hint: "only version is STSv1"},
	{name: "version not first", txts: []string{"id=1; v=STSv1"},
		want: []recCode{{CodeRecordNone, tlsrpt.SeverityError, 0, 0}, {CodeRecordVersion, tlsrpt.SeverityError, 0, 6}}, hint: "first field"},
	{name: "tls-rpt record here", txts: []string{"v=TLSRPTv1; rua=mailto:a@example.com"},
		want: []recCode{{CodeRecordNone, tlsrpt.SeverityError, 0, 0}, {CodeRecordTLSRPT, tlsrpt.SeverityWarning, 0, 0}}},
	{name: "id with dashes", txts: []string{"v=STSv1; id=2024-01-01"},
		want: []recCode{{CodeRecordIDInvalid, tlsrpt.SeverityError, 0, 12}, {CodeRecordSyntax, tlsrpt.SeverityError, 0, 16}}, hint: "id=20240101"},
	{name: "id timestamp", txts: []string{"v=STSv1; id=2024-01-01T00:00:00Z"},
		want: []recCode{{CodeRecordIDInvalid, tlsrpt.SeverityError, 0, 12}, {CodeRecordSyntax, tlsrpt.SeverityError, 0, 16}}, hint: "id=20240101T000000Z"},
	{name: "id too long", txts: []string{"v=STSv1; id=" + strings.Repeat("7", 33)},
		want: []recCode{{CodeRecordIDLong, tlsrpt.SeverityError, 0, 12}, {CodeRecordSyntax, tlsrpt.SeverityError, 0, 44}}},
	{name: "empty id", txts: []string{"v=STSv1; id="},
		want: []recCode{{CodeRecordSyntax, tlsrpt.SeverityError, 0, 12}, {CodeRecordIDInvalid, tlsrpt.SeverityError, 0, 12}}},
	{name: "no id", txts: []string{"v=STSv1;"},
		want: []recCode{{CodeRecordSyntax, tlsrpt.SeverityError, 0, 8}, {CodeRecordIDMissing, tlsrpt.SeverityError, 0, 8}}},
	{name: "ID upper case", txts: []string{"v=STSv1; ID=1"},
		want: []recCode{{CodeRecordIDCase, tlsrpt.SeverityError, 0, 9}, {CodeRecordSyntax, tlsrpt.SeverityError, 0, 13}}},
	{name: "ID beside id", txts: []string{"v=STSv1; id=1; ID=2"},
		want: []recCode{{CodeRecordIDCase, tlsrpt.SeverityWarning, 0, 15}}},
	{name: "duplicate id", txts: []string{"v=STSv1; id=1; id=2"},
		want: []recCode{{CodeRecordDuplicateID, tlsrpt.SeverityWarning, 0, 15}}},
	{name: "trailing space", txts: []string{"v=STSv1; id=1 "},
		want: []recCode{{CodeRecordSyntax, tlsrpt.SeverityError, 0, 13}, {CodeRecordWhitespace, tlsrpt.SeverityError, 0, 13}}},
	{name: "trailing space after ;", txts: []string{"v=STSv1; id=1; "}},
	{name: "space around =", txts: []string{"v=STSv1; id = 1"},
		want: []recCode{{CodeRecordSyntax, tlsrpt.SeverityError, 0, 11}, {CodeRecordWhitespace, tlsrpt.SeverityError, 0, 11}}, hint: "id=1"},
	{name: "extension", txts: []string{"v=STSv1; id=1; x.y=z"},
		want: []recCode{{CodeRecordExtension, tlsrpt.SeverityInfo, 0, 15}}},
	{name: "second version field", txts: []string{"v=STSv1; v=STSv1; id=1"},
		want: []recCode{{CodeRecordExtension, tlsrpt.SeverityInfo, 0, 9}}},
	{name: "double delimiter", txts: []string{"v=STSv1;; id=1"},
		want: []recCode{{CodeRecordSyntax, tlsrpt.SeverityError, 0, 8}}},
	{name: "non-ASCII", txts: []string{"v=STSv1; id=1; x=\xff"},
		want: []recCode{{CodeRecordExtension, tlsrpt.SeverityInfo, 0, 15}, {CodeRecordSyntax, tlsrpt.SeverityError, 0, 17}}},
}

func TestLintSTSRecord(t *testing.T) {
	for _, tt := range lintRecordTests {
		t.Run(tt.name, func(t *testing.T) {
			got := LintSTSRecord(tt.txts...)
			var codes []recCode
			hint := tt.hint == ""
			for _, f := range got {
				codes = append(codes, recCode{f.Code, f.Severity, f.Index, f.Offset})
				if f.Message == "" || f.Path != "" {
					t.Errorf("%s: empty message", f.Code)
				}
				if strings.Contains(f.Message, tt.hint) || strings.Contains(f.Fix, tt.hint) {
					hint = true
				}
			}
			if diff := cmp.Diff(tt.want, codes); diff != "" {
				t.Errorf("LintSTSRecord(%q) (-want +got):\n%s", tt.txts, diff)
			}
			if !hint {
				t.Errorf("no message or fix contains %q: %v", tt.hint, got)
			}
		})
	}
}

// TestLintSTSRecordAgreesWithSelect checks the documented invariant: an
// error finding exactly when SelectSTSRecord fails.
func TestLintSTSRecordAgreesWithSelect(t *testing.T) {
	check := func(txts []string) {
		t.Helper()
		_, err := SelectSTSRecord(txts)
		if got := hasRecordError(LintSTSRecord(txts...)); got != (err != nil) {
			t.Errorf("LintSTSRecord(%q) has error = %v, SelectSTSRecord error = %v", txts, got, err)
		}
	}
	for _, tt := range lintRecordTests {
		check(tt.txts)
	}
	for _, tt := range stsRecordTests {
		check([]string{tt.in})
	}
}

func hasRecordError(fs []tlsrpt.Diagnostic) bool {
	for _, f := range fs {
		if f.Severity == tlsrpt.SeverityError {
			return true
		}
	}
	return false
}

func TestLintSTSRecordString(t *testing.T) {
	got := LintSTSRecord("v=spf1 -all", "v=STSv1; id=1 ")[2].String()
	want := `error #1 at offset 13: whitespace at the end of the record is allowed only after ";" [record-whitespace] (fix: remove the whitespace at the end)`
	if got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
