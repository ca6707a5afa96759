package inflate

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// samples are the uncompressed inputs of the round-trip tests: the shapes
// that exercise each copy path and table size.
func samples() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 70<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	skewed := make([]byte, 200<<10) // long codes: a few frequent bytes, many rare ones
	for i := range skewed {
		if rng.IntN(100) < 97 {
			skewed[i] = "etaoin "[rng.IntN(7)]
		} else {
			skewed[i] = byte(rng.Uint32())
		}
	}
	var report strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&report, `{"result-type":"certificate-expired","sending-mta-ip":"198.51.100.%d","receiving-mx-hostname":"mx%d.example.com","failed-session-count":%d},`, i%250, i%7, i%97)
	}
	patterns := make([]byte, 0, 64<<10)
	for d := 1; d <= 20; d++ { // every short distance, overlapping copies
		unit := random[:d]
		for range 300 / d {
			patterns = append(patterns, unit...)
		}
		patterns = append(patterns, byte(d))
	}
	return map[string][]byte{
		"empty":    nil,
		"one byte": {'x'},
		"text":     []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 50)),
		"random":   random,
		"skewed":   skewed,
		"zeros":    make([]byte, 300<<10),
		"report":   []byte(report.String()),
		"patterns": patterns,
	}
}

var levels = []int{gzip.NoCompression, gzip.BestSpeed, gzip.DefaultCompression, gzip.BestCompression, gzip.HuffmanOnly}

func gz(t testing.TB, data []byte, level int, hdr gzip.Header) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	zw.Header = hdr
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stdlib decompresses src with compress/gzip, reading at most limit+1
// bytes.
func stdlib(src []byte, limit int) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, int64(limit)+1))
}

func TestAppendGzipRoundTrip(t *testing.T) {
	var d Decompressor // reused across every case: no state may leak
	for name, data := range samples() {
		for _, level := range levels {
			t.Run(fmt.Sprintf("%s/level%d", name, level), func(t *testing.T) {
				z := gz(t, data, level, gzip.Header{})
				got, err := d.AppendGzip(nil, z, len(data))
				if err != nil {
					t.Fatalf("AppendGzip: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("got %d bytes, want %d (first difference at %d)", len(got), len(data), firstDiff(got, data))
				}
				// After a prefix, into a buffer with room.
				prefix := []byte("prefix:")
				got, err = d.AppendGzip(append(make([]byte, 0, 4<<10), prefix...), z, len(data))
				if err != nil || !bytes.Equal(got, append(prefix, data...)) {
					t.Fatalf("after a prefix: err %v, equal %v", err, bytes.Equal(got, append(prefix, data...)))
				}
			})
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestAppendGzipHeaderAndMembers(t *testing.T) {
	text := []byte("hello, gzip header fields\n")
	full := gz(t, text, gzip.BestCompression, gzip.Header{Name: "report.json", Comment: "a comment", Extra: []byte("XYZ\x00\x01")})
	multi := append(append(gz(t, text, gzip.BestSpeed, gzip.Header{}), gz(t, nil, 6, gzip.Header{})...), gz(t, text, 9, gzip.Header{})...)
	name511 := gz(t, text, 6, gzip.Header{Name: strings.Repeat("n", maxHeaderString)})
	withHCRC := hcrc(gz(t, text, 6, gzip.Header{Name: "x"}), false)
	badHCRC := hcrc(gz(t, text, 6, gzip.Header{Name: "x"}), true)
	long := gz(t, text, 6, gzip.Header{Name: "x"})
	long = append(append(append([]byte{}, long[:10]...), strings.Repeat("n", maxHeaderString+1)...), long[10:]...) // a 512-byte name compress/gzip refuses
	tests := []struct {
		name  string
		in    []byte
		want  []byte
		wantE bool
	}{
		{name: "name, comment, extra", in: full, want: text},
		{name: "three members, one empty", in: multi, want: bytes.Repeat(text, 2)},
		{name: "511-byte name", in: name511, want: text},
		{name: "header CRC", in: withHCRC, want: text},
		{name: "wrong header CRC", in: badHCRC, wantE: true},
		{name: "512-byte name", in: long, wantE: true},
	}
	var d Decompressor
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref, refErr := stdlib(tc.in, 1<<20)
			if (refErr != nil) != tc.wantE {
				t.Fatalf("compress/gzip: err %v, want error %v (the fixture is wrong)", refErr, tc.wantE)
			}
			got, err := d.AppendGzip(nil, tc.in, 1<<20)
			if tc.wantE {
				var ce *CorruptError
				if !errors.As(err, &ce) {
					t.Fatalf("err %v, want a *CorruptError", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) || !bytes.Equal(ref, tc.want) {
				t.Fatalf("got %q, %v; compress/gzip %q; want %q", got, err, ref, tc.want)
			}
		})
	}
}

// hcrc sets FHCRC on the single-member gzip file z whose header has a
// file name, inserting the header CRC-16 (RFC 1952 §2.3.1), wrong if bad.
func hcrc(z []byte, bad bool) []byte {
	end := 10 + bytes.IndexByte(z[10:], 0) + 1
	h := append([]byte{}, z[:end]...)
	h[3] |= flagHCRC
	sum := uint16(crc32.ChecksumIEEE(h))
	if bad {
		sum++
	}
	out := binary.LittleEndian.AppendUint16(h, sum)
	return append(out, z[end:]...)
}

func TestAppendGzipLimit(t *testing.T) {
	var d Decompressor
	for name, data := range samples() {
		if len(data) == 0 {
			continue
		}
		for _, level := range []int{gzip.NoCompression, gzip.DefaultCompression} {
			z := gz(t, data, level, gzip.Header{})
			if _, err := d.AppendGzip(nil, z, len(data)); err != nil {
				t.Errorf("%s/%d: at the limit: %v", name, level, err)
			}
			got, err := d.AppendGzip(nil, z, len(data)-1)
			if !errors.Is(err, ErrLimit) {
				t.Errorf("%s/%d: one byte over the limit: err %v, want ErrLimit", name, level, err)
			}
			if cap(got) > len(data)-1+slack {
				t.Errorf("%s/%d: buffer grew to %d bytes, limit %d", name, level, cap(got), len(data)-1)
			}
		}
	}
	// A bomb whose trailer claims little: memory stays near the limit.
	bomb := gz(t, make([]byte, 50<<20), gzip.BestCompression, gzip.Header{})
	binary.LittleEndian.PutUint32(bomb[len(bomb)-4:], 10)
	got, err := d.AppendGzip(nil, bomb, 1<<20)
	if !errors.Is(err, ErrLimit) || cap(got) > 1<<20+slack {
		t.Fatalf("bomb: err %v, buffer %d bytes", err, cap(got))
	}
}

// TestAppendGzipCorrupt checks damaged files: each is an error (never a
// panic) that compress/gzip also reports, so nothing is accepted that the
// fallback would reject.
func TestAppendGzipCorrupt(t *testing.T) {
	text := []byte(strings.Repeat("abcdefghij0123456789", 40))
	z := gz(t, text, gzip.DefaultCompression, gzip.Header{})
	stored := gz(t, text, gzip.NoCompression, gzip.Header{})
	flip := func(b []byte, i int, x byte) []byte {
		c := append([]byte{}, b...)
		c[i] ^= x
		return c
	}
	tests := map[string][]byte{
		"empty":                 nil,
		"magic":                 flip(z, 0, 1),
		"method":                flip(z, 2, 1),
		"crc":                   flip(z, len(z)-8, 1),
		"isize":                 flip(z, len(z)-1, 1),
		"trailing garbage":      append(append([]byte{}, z...), "x"...),
		"trailing zeros":        append(append([]byte{}, z...), make([]byte, 10)...),
		"truncated member":      append(append([]byte{}, z...), z[:15]...),
		"stored length":         flip(stored, 11, 1),
		"reserved block type":   append(append([]byte{}, z[:10]...), 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0),
		"fixed symbol 286":      rawGzip(fixedBlock(bitsOf(0b11000110, 8, true))),
		"fixed distance 30":     rawGzip(fixedBlock(lit('a'), bitsOf(0b0000001, 7, true), bitsOf(30, 5, true))),
		"distance too far":      rawGzip(fixedBlock(lit('a'), bitsOf(0b0000001, 7, true), bitsOf(1, 5, true))),
		"over-subscribed lens":  rawGzip(dynamicBlock(t, []uint8{1, 1, 1}, nil, nil)),
		"repeat without length": rawGzip(dynamicHeaderRepeatFirst()),
	}
	for i := 0; i < len(z); i++ {
		tests[fmt.Sprintf("truncated to %d bytes", i)] = z[:i]
	}
	var d Decompressor
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := stdlib(in, 1<<20); err == nil {
				t.Fatalf("compress/gzip accepts the fixture")
			}
			_, err := d.AppendGzip(nil, in, 1<<20)
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("err %v, want a *CorruptError", err)
			}
			if ce.Offset < 0 || ce.Offset > len(in) {
				t.Fatalf("offset %d outside the input (%d bytes)", ce.Offset, len(in))
			}
		})
	}
}

// TestAppendGzipEdgeCodes covers valid streams compress/gzip's writer
// does not produce.
func TestAppendGzipEdgeCodes(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		// zlib and compress/flate accept a distance code with one code of
		// length 1 (an incomplete code).
		{name: "single distance code", in: rawGzip(dynamicBlock(t, litlenLens('a', 'b'), []uint8{1}, syms(0, 'a', 1, 'b', 257, 0, 256))), want: "abbbb"},
		{name: "empty distance code", in: rawGzip(dynamicBlock(t, litlenLens('a', 'b'), []uint8{0}, syms(0, 'a', 1, 'b', 256))), want: "ab"},
		// Length code 284 with all extra bits set is 258, as long as 285.
		{name: "length 284+31", in: rawGzip(fixedBlock(lit('z'), bitsOf(0b11000100, 8, true), bitsOf(31, 5, false), bitsOf(0, 5, true))), want: strings.Repeat("z", 259)},
		{name: "fixed then dynamic then fixed", in: rawGzip(append(append(fixedBlockNotFinal(lit('p')), dynamicBlockNotFinal(t, litlenLens('a', 'b'), []uint8{0}, syms(0, 'a', 256))...), fixedBlock(lit('q'))...)), want: "paq"},
	}
	var d Decompressor
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref, err := stdlib(tc.in, 1<<20)
			if err != nil || string(ref) != tc.want {
				t.Fatalf("compress/gzip: %q, %v; the fixture is wrong", ref, err)
			}
			got, err := d.AppendGzip(nil, tc.in, 1<<20)
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// bitWriter writes a DEFLATE stream by hand (RFC 1951 §3.1.1: fields least
// significant bit first, Huffman codes most significant bit first).
type bitWriter struct {
	out []byte
	n   uint // bits used in the last byte
}

func (w *bitWriter) bits(v uint32, n uint) {
	for i := range n {
		if w.n == 0 {
			w.out = append(w.out, 0)
		}
		w.out[len(w.out)-1] |= byte(v>>i&1) << w.n
		w.n = (w.n + 1) % 8
	}
}

// code writes a Huffman code of n bits, most significant first.
func (w *bitWriter) code(c uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(c>>uint(i)&1, 1)
	}
}

type field struct {
	v    uint32
	n    uint
	code bool // a Huffman code: most significant bit first
}

func bitsOf(v uint32, n uint, code bool) field { return field{v, n, code} }

// lit is a literal byte below 144 in the fixed code (8 bits, 0x30+b).
func lit(b byte) field { return field{0x30 + uint32(b), 8, true} }

func write(w *bitWriter, fs []field) {
	for _, f := range fs {
		if f.code {
			w.code(f.v, f.n)
		} else {
			w.bits(f.v, f.n)
		}
	}
}

func fixedBlock(fs ...field) []byte {
	var w bitWriter
	w.bits(1, 1)
	w.bits(1, 2)
	write(&w, fs)
	w.code(0, 7) // end of block
	return w.out
}

func fixedBlockNotFinal(fs ...field) []byte {
	// A non-final block must end on a byte boundary to be concatenated
	// here: pad with an empty stored block's header bits is not possible,
	// so the caller's next block starts in a new byte only when this one
	// fills its last byte; a stored empty block (BFINAL 0) realigns.
	var w bitWriter
	w.bits(0, 1)
	w.bits(1, 2)
	write(&w, fs)
	w.code(0, 7)
	w.bits(0, 1)
	w.bits(0, 2) // stored, not final
	w.n = 0
	w.out = append(w.out, 0, 0, 0xff, 0xff)
	return w.out
}

// litlenLens returns literal/length code lengths giving a and b, the end
// of block and length code 257 (3 bytes) two bits each.
func litlenLens(a, b byte) []uint8 {
	l := make([]uint8, 258)
	l[a], l[b], l[256], l[257] = 2, 2, 2, 2
	return l
}

// syms lists symbols of the dynamic code built from litlenLens/distance
// lengths: the canonical codes of four 2-bit symbols a < b < 256 < 257
// are 00, 01, 10, 11; a distance code of one 1-bit symbol is 0.
func syms(xs ...int) []field {
	var fs []field
	for i := 0; i < len(xs); i++ {
		switch xs[i] {
		case 256:
			fs = append(fs, field{2, 2, true})
		case 257: // length 3, then a distance symbol index given next
			fs = append(fs, field{3, 2, true})
			i++
			fs = append(fs, field{uint32(xs[i]), 1, true})
		default:
			// xs[i] is the code index (0 for a, 1 for b), xs[i+1] the byte.
			fs = append(fs, field{uint32(xs[i]), 2, true})
			i++
		}
	}
	return fs
}

// dynamicBlock writes a final dynamic block with the given code lengths
// (every code length code 4 bits long: 16 of the 19 are used, the rest
// absent... simpler: lengths sent as literal code length symbols 0–15,
// each coded with 4 bits, which is a complete code over 16 symbols).
func dynamicBlock(t testing.TB, litlen, dist []uint8, fs []field) []byte {
	w := dynamicWriter(t, true, litlen, dist)
	write(w, fs)
	return w.out
}

func dynamicBlockNotFinal(t testing.TB, litlen, dist []uint8, fs []field) []byte {
	w := dynamicWriter(t, false, litlen, dist)
	write(w, fs)
	w.bits(0, 1)
	w.bits(0, 2) // stored, not final: realign
	w.n = 0
	w.out = append(w.out, 0, 0, 0xff, 0xff)
	return w.out
}

func dynamicWriter(t testing.TB, final bool, litlen, dist []uint8) *bitWriter {
	t.Helper()
	if len(litlen) < 257 {
		litlen = append(litlen, make([]uint8, 257-len(litlen))...)
	}
	if len(dist) == 0 {
		dist = []uint8{0}
	}
	var w bitWriter
	if final {
		w.bits(1, 1)
	} else {
		w.bits(0, 1)
	}
	w.bits(2, 2)
	w.bits(uint32(len(litlen)-257), 5)
	w.bits(uint32(len(dist)-1), 5)
	w.bits(19-4, 4)
	// Code length code: symbols 0–15 with 4 bits, 16–18 absent.
	for _, s := range codeOrder {
		if s < 16 {
			w.bits(4, 3)
		} else {
			w.bits(0, 3)
		}
	}
	for _, l := range append(append([]uint8{}, litlen...), dist...) {
		w.code(uint32(l), 4) // canonical code of symbol l among 16 4-bit codes is l
	}
	return &w
}

// dynamicHeaderRepeatFirst is a dynamic block whose first code length is
// the repeat code 16.
func dynamicHeaderRepeatFirst() []byte {
	var w bitWriter
	w.bits(1, 1)
	w.bits(2, 2)
	w.bits(0, 5)
	w.bits(0, 5)
	w.bits(19-4, 4)
	for _, s := range codeOrder { // 16 symbols of 4 bits: 0–14 and 16
		if s < 15 || s == 16 {
			w.bits(4, 3)
		} else {
			w.bits(0, 3)
		}
	}
	w.code(15, 4) // the 16th code: symbol 16
	w.bits(0, 2)
	return append(w.out, 0, 0, 0, 0)
}

// rawGzip wraps a DEFLATE stream in a gzip member whose trailer matches
// what compress/flate decompresses from it (or zeros when it fails).
func rawGzip(deflate []byte) []byte {
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}
	out = append(out, deflate...)
	data, _ := io.ReadAll(flate.NewReader(bytes.NewReader(deflate)))
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(data))
	return binary.LittleEndian.AppendUint32(out, uint32(len(data)))
}

// TestInflateEndMatchesFlate checks that the stream end found by inflate
// is where compress/flate stops reading, for streams followed by more
// bytes.
func TestInflateEndMatchesFlate(t *testing.T) {
	var d Decompressor
	for name, data := range samples() {
		for _, level := range levels {
			var b bytes.Buffer
			fw, _ := flate.NewWriter(&b, level)
			fw.Write(data)
			fw.Close()
			stream := append(b.Bytes(), "trailing"...)
			br := bytes.NewReader(stream)
			if _, err := io.ReadAll(flate.NewReader(br)); err != nil {
				t.Fatal(err)
			}
			r := bitReader{src: stream}
			buf, op, err := d.inflate(&r, make([]byte, len(data)+slack), 0, len(data))
			if err != nil || !bytes.Equal(buf[:op], data) {
				t.Fatalf("%s/%d: err %v", name, level, err)
			}
			if got, want := r.pos(), len(stream)-br.Len(); got != want {
				t.Errorf("%s/%d: stream ends at %d, compress/flate read %d bytes", name, level, got, want)
			}
		}
	}
}
