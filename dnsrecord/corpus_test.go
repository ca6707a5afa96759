package dnsrecord

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
)

// unescapeTSV undoes the records.tsv escapes: \\ \t \r \n.
func unescapeTSV(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'n':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// corpusUnknownVerdicts gives the verdict of the strict ABNF for the rows
// the corpus marks "unknown" (see TestParseUnknownCorpusVerdicts).
var corpusUnknownVerdicts = map[string]bool{
	"v=TLSRPTv1; rua=mailto:tlsrpt@mox.example , \t\t https://mox.example/tlsrpt  ": false, // trailing WSP
	"v=TLSRPTv1 ; rua=mailto:x@x.example; rua=mailto:y@x.example":                   true,  // two rua fields
	"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com":                true,  // two rua fields
}

// TestCorpusRecords runs every row of corpus/records/records.tsv through
// Parse (and Lint) and checks the verdict.
func TestCorpusRecords(t *testing.T) {
	f, err := os.Open(filepath.Join(corpus.Dir(t, ""), "records", "records.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	rows, unknown := 0, 0
	for line := 1; sc.Scan(); line++ {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 3 {
			t.Fatalf("records.tsv:%d: %d columns, want 3", line, len(cols))
		}
		txt, expected, source := unescapeTSV(cols[0]), cols[1], cols[2]
		var wantValid bool
		switch expected {
		case "valid":
			wantValid = true
		case "invalid":
		case "unknown":
			v, ok := corpusUnknownVerdicts[txt]
			if !ok {
				t.Errorf("records.tsv:%d: new unknown row %q: decide its verdict", line, txt)
				continue
			}
			wantValid = v
			unknown++
		default:
			t.Fatalf("records.tsv:%d: expected column %q", line, expected)
		}
		rows++
		r, err := Parse(txt)
		var se *SyntaxError
		switch {
		case wantValid && err != nil:
			t.Errorf("records.tsv:%d: Parse(%q) = %v, want valid (%s)", line, txt, err, source)
		case !wantValid && err == nil:
			t.Errorf("records.tsv:%d: Parse(%q) = %v, want invalid (%s)", line, txt, r, source)
		case err != nil && !errors.Is(err, ErrNotTLSRPT) && !errors.As(err, &se):
			t.Errorf("records.tsv:%d: Parse(%q) error %T, want ErrNotTLSRPT or *SyntaxError", line, txt, err)
		}
		if err == nil {
			if again, err := Parse(r.String()); err != nil || !equalRecords(r, again) {
				t.Errorf("records.tsv:%d: String() = %q does not parse back: %v", line, r.String(), err)
			}
		}
		// lint before the reconciliation with Parse that Lint applies.
		if got := hasError(lint(txt)); got != (err != nil) {
			t.Errorf("records.tsv:%d: lint(%q) has error finding = %v, Parse error = %v", line, txt, got, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows == 0 || unknown != len(corpusUnknownVerdicts) {
		t.Errorf("checked %d rows, %d unknown rows; want > 0 and %d", rows, unknown, len(corpusUnknownVerdicts))
	}
}
