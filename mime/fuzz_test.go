package mime

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is one of the
// documented kinds, that a success carries at least one report, and that
// the limits hold.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(readFixture(f, tt.name))
	}
	var b bytes.Buffer
	if err := Write(&b, testReport(), testOptions()); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add(nested(12))
	f.Add([]byte("Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n--x"))
	if files, _ := filepath.Glob(filepath.Join("testdata", "parse", "*.eml")); len(files) != len(parseTests) {
		f.Fatalf("%d fixtures in testdata/parse but %d in parseTests", len(files), len(parseTests))
	}

	p := Parser{MaxMessageSize: 256 << 10, MaxParts: 32, MaxDepth: 6, MaxHeaderSize: 16 << 10, MaxReportSize: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := p.Parse(bytes.NewReader(data))
		if int64(len(data)) > p.MaxMessageSize && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("message of %d bytes over the cap: err = %v", len(data), err)
		}
		if err != nil {
			var pe *PartError
			var le *LimitError
			if !errors.Is(err, ErrNoReport) && !errors.As(err, &pe) && !errors.As(err, &le) {
				t.Fatalf("undocumented error %T: %v", err, err)
			}
			if m != nil {
				t.Fatal("message returned with an error")
			}
			return
		}
		if len(m.Reports) == 0 || len(m.Reports) != len(m.Attachments) {
			t.Fatalf("%d reports, %d attachments", len(m.Reports), len(m.Attachments))
		}
		for _, r := range m.Reports {
			if r == nil {
				t.Fatal("nil report")
			}
		}
	})
}
