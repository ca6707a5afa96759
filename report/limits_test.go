package report

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/go-tlsrpt/tlsrpt"
)

// TestTokenCapIndependentOfReader checks that the 1 MiB cap on one JSON
// token or run of white space holds whatever reader the input comes in:
// a *bytes.Buffer (decoded in place), a *bytes.Reader, a plain io.Reader
// delivering a byte at a time, and Parse.
func TestTokenCapIndependentOfReader(t *testing.T) {
	const big = maxTokenSize + 1<<10
	const small = maxTokenSize / 2
	base := strictBase // a valid report
	tests := []struct {
		name     string
		data     string
		tooLarge bool
	}{
		{"long organization-name", strings.Replace(base, `"organization-name":"`, `"organization-name":"`+strings.Repeat("a", big), 1), true},
		{"long white space", strings.Replace(base, `"organization-name"`, strings.Repeat(" ", big)+`"organization-name"`, 1), true},
		{"long unknown member", strings.Replace(base, `{"organization-name"`, `{"x-note":"`+strings.Repeat("b", big)+`","organization-name"`, 1), true},
		{"long failure-details element", strings.Replace(base, `"failure-reason-code":"`, `"failure-reason-code":"`+strings.Repeat("c", big), 1), true},
		{"long trailing white space", base + strings.Repeat("\t", big), true},
		{"unknown member, long array of small values", strings.Replace(base, `{"organization-name"`, `{"x-note":[`+strings.Repeat("1,", big/2)+`1],"organization-name"`, 1), true},
		{"half-cap organization-name", strings.Replace(base, `"organization-name":"`, `"organization-name":"`+strings.Repeat("a", small), 1), false},
		{"half-cap white space", strings.Replace(base, `"organization-name"`, strings.Repeat("\n", small)+`"organization-name"`, 1), false},
	}
	readers := []struct {
		name string
		wrap func(string) io.Reader
	}{
		{"bytes.Buffer", func(s string) io.Reader { return bytes.NewBufferString(s) }},
		{"bytes.Reader", func(s string) io.Reader { return bytes.NewReader([]byte(s)) }},
		{"one byte at a time", func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) }},
	}
	if raceEnabled {
		// While a token is incomplete, jsontext moves the buffered bytes
		// to the front of its buffer in place before every read: free
		// without the race detector, a check of the whole buffer with it,
		// so one-byte reads of a 1 MiB token take minutes each and the
		// test exceeds go test's 10-minute timeout. Reads of half of what
		// is asked are still short, but few.
		readers[2].name = "half of each read (race detector)"
		readers[2].wrap = func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) }
	}
	for _, tt := range tests {
		if tt.data == base {
			t.Fatalf("%s: the fixture did not change the base report", tt.name)
		}
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range readers {
				_, _, err := new(Decoder).Decode(r.wrap(tt.data))
				if got := errors.Is(err, ErrTooLarge); got != tt.tooLarge {
					t.Errorf("%s: errors.Is(%v, ErrTooLarge) = %v, want %v", r.name, err, got, tt.tooLarge)
				}
				if !tt.tooLarge && err != nil {
					t.Errorf("%s: %v", r.name, err)
				}
			}
			_, _, err := Parse([]byte(tt.data))
			if got := errors.Is(err, ErrTooLarge); got != tt.tooLarge {
				t.Errorf("Parse: errors.Is(%v, ErrTooLarge) = %v, want %v", err, got, tt.tooLarge)
			}
		})
	}
}

// TestCapsMatchTLSRPTErrTooLarge checks that every cap of the decoder
// fails with an error matching tlsrpt.ErrTooLarge, the value every cap in
// the module matches (ErrTooLarge is that value).
func TestCapsMatchTLSRPTErrTooLarge(t *testing.T) {
	if ErrTooLarge != tlsrpt.ErrTooLarge {
		t.Fatalf("report.ErrTooLarge = %v, want the value tlsrpt.ErrTooLarge", ErrTooLarge)
	}
	emptyMember := gzipped(t, nil, gzip.Header{})
	tests := []struct {
		name string
		cap  string
		dec  *Decoder
		in   func() io.Reader
	}{
		{"JSON over MaxSize", "Decoder.MaxSize", &Decoder{MaxSize: 100},
			func() io.Reader { return bytes.NewBufferString(strictBase) }},
		{"JSON over MaxSize, from a reader", "Decoder.MaxSize", &Decoder{MaxSize: 100},
			func() io.Reader { return strings.NewReader(strictBase) }},
		{"JSON over MaxSize, strict", "Decoder.MaxSize", &Decoder{MaxSize: 100, Strict: true},
			func() io.Reader { return strings.NewReader(strictBase) }},
		{"gzip inflating over MaxSize", "Decoder.MaxSize", &Decoder{MaxSize: 100},
			func() io.Reader { return bytes.NewReader(gzipped(t, []byte(strictBase), gzip.Header{})) }},
		{"empty gzip members over the compressed cap", "Decoder.MaxSize (compressed, with slack)", &Decoder{MaxSize: 1 << 10},
			func() io.Reader { return bytes.NewReader(bytes.Repeat(emptyMember, (80<<10)/len(emptyMember))) }},
		{"JSON over the default", "the default Decoder.MaxSize (20 MiB)", &Decoder{},
			func() io.Reader { return bytes.NewBufferString(strictBase + strings.Repeat(" ", defaultMaxSize)) }},
		{"one token over 1 MiB", "maxTokenSize", &Decoder{},
			func() io.Reader {
				return strings.NewReader(strings.Replace(strictBase, `"organization-name":"`, `"organization-name":"`+strings.Repeat("a", maxTokenSize+1), 1))
			}},
		{"failure details decoding to over 4 times the input", "maxAmplification", &Decoder{},
			func() io.Reader {
				return strings.NewReader(`{"policies":[{"failure-details":[` + strings.Repeat(`{},`, 100000) + `{}]}]}`)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.dec.Decode(tt.in())
			if !errors.Is(err, tlsrpt.ErrTooLarge) {
				t.Errorf("%s: Decode error = %v, want one matching tlsrpt.ErrTooLarge", tt.cap, err)
			}
		})
	}
}
