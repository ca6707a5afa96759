package report

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func gzipped(t testing.TB, data []byte, hdr gzip.Header) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Header = hdr
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGzip(t *testing.T) {
	plain := readFixture(t, "quirk-datetime-no-zone")
	want, wantW, err := Parse(plain)
	if err != nil {
		t.Fatal(err)
	}
	// RFC 1952 header variety seen in the wild: Google (mtime 0, OS 0),
	// Go writers (OS 255), re-compressed files with a name and mtime.
	named := gzipped(t, plain, gzip.Header{Name: "rpt01.json.1", ModTime: time.Unix(1494370470, 0), OS: 3, Comment: "c"})
	half := len(plain) / 2
	multi := append(gzipped(t, plain[:half], gzip.Header{OS: 0}), gzipped(t, plain[half:], gzip.Header{OS: 255})...)
	bom := gzipped(t, append([]byte("\ufeff"), plain...), gzip.Header{})
	// Microsoft: XFL=4 (fastest compression), as Go's BestSpeed writes;
	// XFL=2 for the slowest.
	level := func(l int) []byte {
		var b bytes.Buffer
		zw, err := gzip.NewWriterLevel(&b, l)
		if err != nil {
			t.Fatal(err)
		}
		zw.OS = 0
		if _, err := zw.Write(plain); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	fast, best := level(gzip.BestSpeed), level(gzip.BestCompression)
	if fast[8] != 4 || best[8] != 2 {
		t.Fatalf("XFL %d and %d, want 4 and 2", fast[8], best[8])
	}
	stored := level(gzip.NoCompression)
	tests := []struct {
		name  string
		in    []byte
		extra []ww // warnings before the fixture's own
	}{
		{name: "google-like", in: gzipped(t, plain, gzip.Header{OS: 0})},
		{name: "named", in: named},
		{name: "multi-member", in: multi},
		{name: "bom inside gzip", in: bom, extra: []ww{{"", CodeBOM}}},
		{name: "xfl=4", in: fast},
		{name: "xfl=2", in: best},
		{name: "stored blocks", in: stored},
	}
	for _, tt := range tests {
		for _, via := range []string{"Parse", "Decode"} {
			t.Run(tt.name+"/"+via, func(t *testing.T) {
				var got *Report
				var gotW []Warning
				var err error
				if via == "Parse" {
					got, gotW, err = Parse(tt.in)
				} else {
					got, gotW, err = new(Decoder).Decode(iotestOneByte{bytes.NewReader(tt.in)})
				}
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				var codes []ww
				for _, w := range gotW {
					codes = append(codes, ww{w.Path, w.Code})
				}
				wantCodes := append([]ww(nil), tt.extra...)
				for _, w := range wantW {
					wantCodes = append(wantCodes, ww{w.Path, w.Code})
				}
				if diff := cmp.Diff(wantCodes, codes, cmp.AllowUnexported(ww{})); diff != "" {
					t.Errorf("warnings (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestGzipErrors(t *testing.T) {
	plain := readFixture(t, "quirk-crlf")
	gz := gzipped(t, plain, gzip.Header{})
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-6] ^= 0xff
	// Truncation anywhere, including inside the 8-byte trailer after the
	// complete JSON text, is an error wrapping io.ErrUnexpectedEOF.
	for n := 2; n < len(gz); n++ {
		_, _, err := Parse(gz[:n])
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d of %d: got %v, want io.ErrUnexpectedEOF", n, len(gz), err)
		}
	}
	if _, _, err := Parse(badCRC); !errors.Is(err, gzip.ErrChecksum) {
		t.Errorf("bad CRC: got %v", err)
	}
	if _, _, err := Parse(append(bytes.Clone(gz), "garbage after the member"...)); !errors.Is(err, gzip.ErrHeader) {
		t.Errorf("garbage after the member: got %v", err)
	}
	// gzip of something that is not JSON is a syntax error.
	var se *SyntaxError
	if _, _, err := Parse(gzipped(t, []byte("<html>"), gzip.Header{})); !errors.As(err, &se) || se.Offset != 0 {
		t.Errorf("gzip of HTML: got %v", err)
	}
}

func TestMaxSize(t *testing.T) {
	data := readFixture(t, "quirk-crlf")
	n := int64(len(data))
	for _, tt := range []struct {
		name string
		max  int64
		ok   bool
	}{
		{"exact", n, true},
		{"one short", n - 1, false},
		{"tiny", 10, false},
	} {
		for _, gz := range []bool{false, true} {
			in := data
			if gz {
				in = gzipped(t, data, gzip.Header{})
			}
			for _, via := range []string{"buffer", "reader"} {
				var r io.Reader = bytes.NewReader(in)
				if via == "buffer" {
					r = bytes.NewBuffer(in)
				}
				_, _, err := (&Decoder{MaxSize: tt.max}).Decode(r)
				if tt.ok && err != nil {
					t.Errorf("%s gz=%v %s: %v", tt.name, gz, via, err)
				}
				if !tt.ok && !errors.Is(err, ErrTooLarge) {
					t.Errorf("%s gz=%v %s: got %v, want ErrTooLarge", tt.name, gz, via, err)
				}
			}
		}
	}
}

// bombReader streams gzip that inflates to prefix followed by fill
// repeated to about total bytes: a member holding prefix, then the same
// member holding 1 MiB of fill again and again (RFC 1952 §2.2: the
// members' data is concatenated), so that the stream costs nothing to
// make, however far a decoder reads.
func bombReader(prefix, fill string, total int64) io.ReadCloser {
	pr, pw := io.Pipe()
	member := func(data []byte) []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(data)
		zw.Close()
		return b.Bytes()
	}
	head := member([]byte(prefix))
	chunk := bytes.Repeat([]byte(fill), (1<<20)/len(fill))
	body := member(chunk)
	go func() {
		if _, err := pw.Write(head); err != nil {
			return
		}
		for n := int64(0); n < total; n += int64(len(chunk)) {
			if _, err := pw.Write(body); err != nil {
				return
			}
		}
		pw.Close()
	}()
	return pr
}

// TestGzipBomb decodes 1 GiB gzip bombs streamed from a goroutine: each
// must fail quickly and in a few MiB.
func TestGzipBomb(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		fill   string
		max    int64
		err    error // wanted in the chain
		heap   uint64
	}{
		// Valid tokens the decoder skips (unknown members): only the
		// decompressed-size cap stops them, after MaxSize bytes.
		{name: "unknown members to the cap", prefix: `{"organization-name":"x"`, fill: `,"x":0`, max: 4 << 20, err: ErrTooLarge, heap: 4 << 20},
		// White space and one endless string are buffered by the tokenizer
		// as one token: the token cap stops them after 1 MiB.
		{name: "spaces", prefix: `{"organization-name":"x",`, fill: " ", err: errTokenTooLarge, heap: 6 << 20},
		{name: "endless string", prefix: `{"organization-name":"`, fill: "a", err: errTokenTooLarge, heap: 6 << 20},
		// Tiny elements that decode large: the amplification guard.
		{name: "empty failure details", prefix: `{"policies":[{"failure-details":[`, fill: `{},`, err: errAmplification, heap: 4 << 20},
		// Zeros are not JSON: a syntax error at once.
		{name: "zeros", fill: "\x00", heap: 2 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bombReader(tt.prefix, tt.fill, 1<<30)
			defer r.Close()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, _, err := (&Decoder{MaxSize: tt.max}).Decode(r)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) {
				t.Fatalf("got %v, want %v", err, tt.err)
			}
			if tt.err != nil && !errors.Is(err, ErrTooLarge) {
				t.Errorf("%v does not wrap ErrTooLarge", err)
			}
			// TotalAlloc includes the compressing goroutine's ~1 MiB.
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > tt.heap+2<<20 {
				t.Errorf("allocated %d KiB", alloc>>10)
			}
			if elapsed > 10*time.Second { // generous for -race on a busy machine
				t.Errorf("took %v", elapsed)
			}
			t.Logf("%v after %v, %d KiB allocated", err, elapsed, alloc>>10)
		})
	}
}

// TestEndlessEmptyMembers: a stream of empty gzip members inflates to
// nothing; the compressed-size cap stops it.
func TestEndlessEmptyMembers(t *testing.T) {
	empty := gzipped(t, nil, gzip.Header{})
	pr, pw := io.Pipe()
	go func() {
		for {
			if _, err := pw.Write(empty); err != nil {
				return
			}
		}
	}()
	defer pr.Close()
	_, _, err := (&Decoder{MaxSize: 1 << 16}).Decode(pr)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
}
