package policy

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"
)

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestCapsMatchTLSRPTErrTooLarge checks that the package's one size cap,
// maxSTSPolicySize (RFC 8461 §3.3), fails with an error matching
// tlsrpt.ErrTooLarge in every function that enforces it, exactly one byte
// past the cap, and that ReadSTSPolicy stops reading there.
func TestCapsMatchTLSRPTErrTooLarge(t *testing.T) {
	head := "version: STSv1\nmode: none\nmax_age: 1\nx: "
	exact := head + strings.Repeat("a", maxSTSPolicySize-len(head))
	over := exact + "a"
	tests := []struct {
		name string
		cap  string
		call func(t *testing.T, text string) error
	}{
		{"ParseSTSPolicy", "maxSTSPolicySize", func(_ *testing.T, text string) error { _, err := ParseSTSPolicy(text); return err }},
		{"FromSTSText", "maxSTSPolicySize", func(_ *testing.T, text string) error { _, err := FromSTSText("example.com", text); return err }},
		{"ReadSTSPolicy", "maxSTSPolicySize", func(t *testing.T, text string) error {
			if len(text) > maxSTSPolicySize {
				text += strings.Repeat("b", 1<<20) // a body that goes on
			}
			cr := &countingReader{r: strings.NewReader(text)}
			_, err := ReadSTSPolicy(cr)
			if cr.n > maxSTSPolicySize+1 {
				t.Errorf("ReadSTSPolicy read %d bytes, want at most maxSTSPolicySize+1", cr.n)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(t, exact); err != nil {
				t.Errorf("%s of exactly %s bytes: %v", tt.name, tt.cap, err)
			}
			if err := tt.call(t, over); !errors.Is(err, tlsrpt.ErrTooLarge) {
				t.Errorf("%s one byte over %s: error = %v, want one matching tlsrpt.ErrTooLarge", tt.name, tt.cap, err)
			}
		})
	}
}
