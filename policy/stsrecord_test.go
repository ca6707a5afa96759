package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt"
)

var stsRecordTests = []struct {
	name       string
	in         string
	want       *STSRecord
	wantErr    error // sentinel, or nil with wantOffset >= 0 for a CodeRecordSyntax *tlsrpt.Diagnostic
	wantOffset int
	reason     string
}{
	{name: "rfc example", in: "v=STSv1; id=20160831085700Z;", want: &STSRecord{ID: "20160831085700Z"}},
	{name: "no spaces", in: "v=STSv1;id=abc", want: &STSRecord{ID: "abc"}},
	{name: "trailing delimiter with space", in: "v=STSv1; id=abc; ", want: &STSRecord{ID: "abc"}, reason: "*WSP after ';' belongs to the delimiter"},
	{name: "space before semicolon", in: "v=STSv1 ;id=abc", want: &STSRecord{ID: "abc"}, reason: "sts-field-delim = *WSP \";\" *WSP (EID 6285)"},
	{name: "tabs", in: "v=STSv1\t;\tid=abc", want: &STSRecord{ID: "abc"}},
	{name: "id 32 chars", in: "v=STSv1; id=" + strings.Repeat("a", 32), want: &STSRecord{ID: strings.Repeat("a", 32)}},
	{name: "extension", in: "v=STSv1; id=1; x-ext=a,b/c:d", want: &STSRecord{ID: "1", Extensions: []tlsrpt.Extension{{Name: "x-ext", Value: "a,b/c:d"}}}},
	{name: "extension before id", in: "v=STSv1; a=1; id=2", want: &STSRecord{ID: "2", Extensions: []tlsrpt.Extension{{Name: "a", Value: "1"}}}},
	{name: "duplicate id first wins", in: "v=STSv1; id=first; id=second", want: &STSRecord{ID: "first"}},
	{name: "duplicate extension first wins", in: "v=STSv1; id=1; a=1; a=2", want: &STSRecord{ID: "1", Extensions: []tlsrpt.Extension{{Name: "a", Value: "1"}}}},
	{name: "upper-case ID is an extension", in: "v=STSv1; ID=1; id=2", want: &STSRecord{ID: "2", Extensions: []tlsrpt.Extension{{Name: "ID", Value: "1"}}}},

	{name: "not sts", in: "v=spf1 -all", wantErr: ErrNotSTSRecord},
	{name: "tlsrpt", in: "v=TLSRPTv1; rua=mailto:a@example.com", wantErr: ErrNotSTSRecord},
	{name: "lower-case version", in: "v=stsv1; id=1", wantErr: ErrNotSTSRecord},
	{name: "version prefix", in: "v=STSv10; id=1", wantErr: ErrNotSTSRecord},
	{name: "leading space", in: " v=STSv1; id=1", wantErr: ErrNotSTSRecord},
	{name: "empty", in: "", wantErr: ErrNotSTSRecord},
	{name: "version only", in: "v=STSv1", wantOffset: 7},
	{name: "version and delimiter", in: "v=STSv1;", wantOffset: 8},
	{name: "missing id", in: "v=STSv1; a=1", wantOffset: 12},
	{name: "empty id", in: "v=STSv1; id=", wantOffset: 12},
	{name: "id too long", in: "v=STSv1; id=" + strings.Repeat("a", 33), wantOffset: 44},
	{name: "id punctuation", in: "v=STSv1; id=2024-01-01", wantOffset: 16, reason: "id is ALPHA / DIGIT only"},
	{name: "trailing space", in: "v=STSv1; id=abc ", wantOffset: 15},
	{name: "double semicolon", in: "v=STSv1; id=abc;;", wantOffset: 16},
	{name: "missing semicolon", in: "v=STSv1 id=abc", wantOffset: 8},
	{name: "comma delimiter", in: "v=STSv1, id=abc", wantErr: ErrNotSTSRecord},
	{name: "space in extension", in: "v=STSv1; id=1; a=b c", wantOffset: 19},
	{name: "empty extension value", in: "v=STSv1; id=1; a=", wantOffset: 17},
	{name: "bad field name", in: "v=STSv1; id=1; _a=1", wantOffset: 15},
	{name: "field without =", in: "v=STSv1; id", wantOffset: 11},
	{name: "field name too long", in: "v=STSv1; id=1; " + strings.Repeat("n", 33) + "=1", wantOffset: 47},
	{name: "quotes left in", in: "v=STSv1; id=\"abc\"", wantOffset: 12, reason: "zone-file quotes copied into the record"},
}

func TestParseSTSRecord(t *testing.T) {
	for _, tt := range stsRecordTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSTSRecord(tt.in)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseSTSRecord(%q) error = %v, want %v", tt.in, err, tt.wantErr)
				}
				return
			case tt.want == nil:
				var d *tlsrpt.Diagnostic
				if !errors.As(err, &d) || d.Code != CodeRecordSyntax || d.Severity != tlsrpt.SeverityError || d.Path != "" || d.Message == "" {
					t.Fatalf("ParseSTSRecord(%q) error = %#v, want a *tlsrpt.Diagnostic with CodeRecordSyntax", tt.in, err)
				}
				if d.Offset != tt.wantOffset {
					t.Fatalf("ParseSTSRecord(%q) offset = %d (%s), want %d", tt.in, d.Offset, d.Message, tt.wantOffset)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSTSRecord(%q) error = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSTSRecord(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			again, err := ParseSTSRecord(got.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestSTSRecordString(t *testing.T) {
	r := &STSRecord{ID: "20240101T000000", Extensions: []tlsrpt.Extension{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}}}
	if got, want := r.String(), "v=STSv1; id=20240101T000000; a=1; b=2"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestSTSRecordValidate(t *testing.T) {
	tests := []struct {
		name  string
		rec   STSRecord
		valid bool
	}{
		{name: "ok", rec: STSRecord{ID: "a1", Extensions: []tlsrpt.Extension{{Name: "x", Value: "y"}}}, valid: true},
		{name: "empty id", rec: STSRecord{}},
		{name: "id punctuation", rec: STSRecord{ID: "a-1"}},
		{name: "id injection", rec: STSRecord{ID: "a; x=y"}},
		{name: "extension named id", rec: STSRecord{ID: "a", Extensions: []tlsrpt.Extension{{Name: "id", Value: "b"}}}},
		{name: "extension repeated", rec: STSRecord{ID: "a", Extensions: []tlsrpt.Extension{{Name: "x", Value: "1"}, {Name: "x", Value: "2"}}}},
		{name: "extension value with space", rec: STSRecord{ID: "a", Extensions: []tlsrpt.Extension{{Name: "x", Value: "1 2"}}}},
		{name: "extension value injection", rec: STSRecord{ID: "a", Extensions: []tlsrpt.Extension{{Name: "x", Value: "1;y=2"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rec.Validate()
			if tt.valid != (err == nil) {
				t.Fatalf("Validate() = %v, want valid %v", err, tt.valid)
			}
			var d *tlsrpt.Diagnostic
			if err != nil && (!errors.As(err, &d) || d.Code != CodeRecordSyntax) {
				t.Fatalf("Validate() = %#v, want a *tlsrpt.Diagnostic with CodeRecordSyntax", err)
			}
		})
	}
}

func TestSelectSTSRecord(t *testing.T) {
	tests := []struct {
		name    string
		txts    []string
		wantID  string
		wantErr error
		syntax  bool
	}{
		{name: "one", txts: []string{"v=spf1 -all", "v=STSv1; id=1"}, wantID: "1"},
		{name: "none", txts: []string{"v=spf1 -all"}, wantErr: ErrNoSTSRecord},
		{name: "empty", txts: nil, wantErr: ErrNoSTSRecord},
		{name: "two", txts: []string{"v=STSv1; id=1", "v=STSv1; id=2"}, wantErr: ErrMultipleSTSRecords},
		{name: "one invalid", txts: []string{"v=STSv1; id=-"}, syntax: true},
		{name: "version prefix only", txts: []string{"v=STSv10; id=1"}, wantErr: ErrNoSTSRecord},
		{name: "other version ignored", txts: []string{"v=STSv10; id=1", "v=STSv1 ; id=2"}, wantID: "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := SelectSTSRecord(tt.txts)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
			case tt.syntax:
				var d *tlsrpt.Diagnostic
				if !errors.As(err, &d) || d.Code != CodeRecordSyntax {
					t.Fatalf("error = %v, want a *tlsrpt.Diagnostic with CodeRecordSyntax", err)
				}
			default:
				if err != nil || rec.ID != tt.wantID {
					t.Fatalf("got %v, %v; want id %q", rec, err, tt.wantID)
				}
			}
		})
	}
}
