package mime

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// reportMail wraps payload (already compressed or not) as the report part
// of an RFC 8460 §5.3 message.
func reportMail(mediaType string, payload []byte) []byte {
	var b strings.Builder
	b.WriteString("From: a@sender.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nhuman\r\n--B\r\nContent-Type: " + mediaType +
		"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(payload)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--B--\r\n")
	return []byte(b.String())
}

// gzipBomb returns a multi-member gzip stream that inflates to n MiB of
// zeros: one member of 8 MiB repeated (RFC 1952 §2.2 allows members to be
// concatenated, and readers inflate them all).
func gzipBomb(t testing.TB, member []byte, mib int) []byte {
	t.Helper()
	return bytes.Repeat(member, mib/8)
}

// gzipZeros returns one gzip member of 8 MiB of zeros.
func gzipZeros(t testing.TB) []byte {
	t.Helper()
	var one bytes.Buffer
	zw := gzip.NewWriter(&one)
	zw.Write(make([]byte, 8<<20))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return one.Bytes()
}

func zipOf(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func nested(depth int) []byte {
	var b strings.Builder
	b.WriteString("Subject: deep\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	for i := 1; i <= depth; i++ {
		b.WriteString("--b" + strconv.Itoa(i-1) + "\r\nContent-Type: multipart/mixed; boundary=\"b" + strconv.Itoa(i) + "\"\r\n\r\n")
	}
	b.WriteString("--b" + strconv.Itoa(depth) + "\r\nContent-Type: text/plain\r\n\r\nleaf\r\n")
	return []byte(b.String())
}

// checkLimit checks that err is a limit's *tlsrpt.Diagnostic with code,
// whose Err is ErrTooLarge or wraps it.
func checkLimit(t *testing.T, err error, code tlsrpt.Code) {
	t.Helper()
	var d *tlsrpt.Diagnostic
	if !errors.As(err, &d) || d.Code != code {
		t.Fatalf("error %v is not a *tlsrpt.Diagnostic with code %q", err, code)
	}
	if d.Severity != tlsrpt.SeverityError || d.Path == "" || !strings.Contains(d.Message, " exceeded") || !errors.Is(d.Err, tlsrpt.ErrTooLarge) {
		t.Errorf("limit error %+v: want Severity error, a Path, a message \"... limit N exceeded\", Err matching ErrTooLarge", d)
	}
}

// TestParseLimits checks every Parser limit, each a *tlsrpt.Diagnostic
// whose Code names it, matching tlsrpt.ErrTooLarge, the value every cap in
// the module matches.
func TestParseLimits(t *testing.T) {
	standard := readFixture(t, "standard")
	var manyParts strings.Builder
	manyParts.WriteString("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n")
	for i := 0; i < 200; i++ {
		manyParts.WriteString("--b\r\nContent-Type: text/plain\r\n\r\npart\r\n")
	}
	manyParts.WriteString("--b--\r\n")
	member := gzipZeros(t)
	var manyMembers bytes.Buffer
	zw := zip.NewWriter(&manyMembers)
	for i := 0; i < 200; i++ {
		zw.CreateHeader(&zip.FileHeader{Name: "r" + strconv.Itoa(i) + ".json", Method: zip.Store})
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	bigJSON := `{"organization-name":"` + strings.Repeat("x", 4096) + `","policies":[]}`

	tests := []struct {
		name   string
		parser Parser
		msg    []byte
		code   tlsrpt.Code
	}{
		{"message size", Parser{MaxMessageSize: 1000}, standard, CodeLimitMessageSize},
		{"message size, default", Parser{}, bytes.Repeat([]byte("x"), defaultMaxMessageSize+1), CodeLimitMessageSize},
		{"parts", Parser{}, []byte(manyParts.String()), CodeLimitParts},
		{"parts, small cap", Parser{MaxParts: 2}, standard, CodeLimitParts},
		{"depth", Parser{}, nested(20), CodeLimitDepth},
		{"depth, small cap", Parser{MaxDepth: 2}, nested(3), CodeLimitDepth},
		{"header size", Parser{MaxHeaderSize: 100}, standard, CodeLimitHeaderSize},
		{"header size, default", Parser{}, []byte("X-Long: " + strings.Repeat("a", defaultMaxHeaderSize) + "\r\n\r\nbody"), CodeLimitHeaderSize},
		{"gzip bomb", Parser{}, reportMail("application/tlsrpt+gzip", gzipBomb(t, member, 1024)), CodeLimitReportSize},
		{"gzip bomb, sniffed", Parser{MaxReportSize: 1 << 20}, reportMail("application/x-unknown", gzipBomb(t, member, 64)), CodeLimitReportSize},
		{"zip bomb", Parser{MaxReportSize: 1 << 20}, reportMail("application/zip", zipOf(t, "r.json", make([]byte, 2<<20))), CodeLimitReportSize},
		{"zip with 200 members", Parser{}, reportMail("application/zip", manyMembers.Bytes()), CodeLimitParts},
		{"plain JSON over cap", Parser{MaxReportSize: 1024}, reportMail("application/tlsrpt+json", []byte(bigJSON)), CodeLimitReportSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := tt.parser.Parse(bytes.NewReader(tt.msg))
			elapsed := time.Since(start)
			if !errors.Is(err, tlsrpt.ErrTooLarge) {
				t.Fatalf("Parse error = %v, want one matching tlsrpt.ErrTooLarge", err)
			}
			checkLimit(t, err, tt.code)
			// Caps are enforced while reading: a 1 GiB bomb stops at the
			// cap (32 MiB by default) in well under a second without -race.
			if elapsed > 5*time.Second {
				t.Errorf("took %v", elapsed)
			}
		})
	}
}

// TestVerifyLimits checks Verify's limits: its own message size cap and
// the zero Parser's while it looks for the reports are limit errors, a
// signature beyond MaxSignatures has an error; all match
// tlsrpt.ErrTooLarge.
func TestVerifyLimits(t *testing.T) {
	k := testKeys(t)[1]
	signed := signedMessage(t, k)
	other := newSigningKey(t, "esp.example")
	twice := other.Sign(t, signed, time.Time{})
	res := lookupKeys(other, k.Key)
	var manyParts strings.Builder
	manyParts.WriteString("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n")
	for i := 0; i < defaultMaxParts+1; i++ {
		manyParts.WriteString("--b\r\nContent-Type: text/plain\r\n\r\npart\r\n")
	}
	manyParts.WriteString("--b--\r\n")

	tests := []struct {
		name string
		opts VerifyOptions
		msg  string
		code tlsrpt.Code
	}{
		{"message size", VerifyOptions{Resolver: res, MaxMessageSize: 100}, signed, CodeLimitMessageSize},
		{"message size, default", VerifyOptions{Resolver: res}, strings.Repeat("x", defaultMaxMessageSize+1), CodeLimitMessageSize},
		{"Parser depth while finding the reports", VerifyOptions{Resolver: res}, string(nested(defaultMaxDepth + 4)), CodeLimitDepth},
		{"Parser parts while finding the reports", VerifyOptions{Resolver: res}, manyParts.String(), CodeLimitParts},
		{"Parser header size while finding the reports", VerifyOptions{Resolver: res},
			"X-Long: " + strings.Repeat("a", defaultMaxHeaderSize) + "\r\n\r\nbody", CodeLimitHeaderSize},
		{"signatures", VerifyOptions{Resolver: res, MaxSignatures: 1}, twice, CodeLimitSignatures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Verify(context.Background(), strings.NewReader(tt.msg), &tt.opts)
			if tt.code == CodeLimitSignatures {
				require.NoError(t, err)
				require.Len(t, v.Signatures, 2)
				if v.Signatures[0].Err != nil || !errors.Is(v.Signatures[1].Err, tlsrpt.ErrTooLarge) {
					t.Errorf("MaxSignatures 1: errors %v, %v; want nil and one matching tlsrpt.ErrTooLarge", v.Signatures[0].Err, v.Signatures[1].Err)
				}
				checkLimit(t, v.Signatures[1].Err, tt.code)
				var d *tlsrpt.Diagnostic
				if errors.As(v.Signatures[1].Err, &d) && (d.Index != 2 || d.Path != "mime:header.DKIM-Signature") {
					t.Errorf("signature limit error at %q #%d, want mime:header.DKIM-Signature #2", d.Path, d.Index)
				}
				return
			}
			if !errors.Is(err, tlsrpt.ErrTooLarge) {
				t.Fatalf("Verify error = %v, want one matching tlsrpt.ErrTooLarge", err)
			}
			checkLimit(t, err, tt.code)
		})
	}
}

// TestLimitErrorCause checks that a limit's error matches ErrTooLarge and
// its cause: a report over the cap as plain JSON is caught by the report
// decoder or by Parse first; when the decoder hit it, its error is the Err.
func TestLimitErrorCause(t *testing.T) {
	decoderErr := fmt.Errorf("report: at offset 7: %w", report.ErrTooLarge)
	other := errors.New("disk on fire")
	tests := []struct {
		name  string
		cause error
		want  string
	}{
		{"no cause", nil, "tlsrpt: error mime:part[2]: report size limit 1 exceeded [mime-limit-report-size]: tlsrpt: input too large"},
		{"report decoder", decoderErr, "tlsrpt: error mime:part[2]: report size limit 1 exceeded [mime-limit-report-size]: report: at offset 7: tlsrpt: input too large"},
		{"unrelated cause", other, "tlsrpt: error mime:part[2]: report size limit 1 exceeded [mime-limit-report-size]: tlsrpt: input too large\ndisk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := limitError(CodeLimitReportSize, "report size", 1, "mime:part[2]", tt.cause)
			if !errors.Is(err, ErrTooLarge) || !errors.Is(err, report.ErrTooLarge) || !errors.Is(err, tlsrpt.ErrTooLarge) {
				t.Errorf("%v does not match ErrTooLarge", err)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("%v does not match its cause %v", err, tt.cause)
			}
			checkLimit(t, err, CodeLimitReportSize)
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseReaderError(t *testing.T) {
	want := errors.New("disk on fire")
	_, err := Parse(&failingReader{err: want})
	if !errors.Is(err, want) {
		t.Errorf("Parse error = %v, want %v", err, want)
	}
}

type failingReader struct{ err error }

func (r *failingReader) Read([]byte) (int, error) { return 0, r.err }

// TestParsePartCapBoundsMemory checks that the part cap is enforced while
// splitting: a body of millions of delimiter lines must not allocate a
// slice per delimiter before the cap is noticed.
func TestParsePartCapBoundsMemory(t *testing.T) {
	msg := []byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\n", (19<<20)/5))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Parse(bytes.NewReader(msg))
	runtime.ReadMemStats(&after)
	checkLimit(t, err, CodeLimitParts)
	// Reading the message costs about 2-3 times its size; one slice header
	// per delimiter would cost about 25 times.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 5*uint64(len(msg)) {
		t.Errorf("allocated %d MiB for a %d MiB message", alloc>>20, len(msg)>>20)
	}
}
