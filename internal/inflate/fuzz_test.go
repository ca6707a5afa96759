package inflate

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
	"testing"
)

// fuzzLimit caps the output in the fuzz targets.
const fuzzLimit = 1 << 20

// FuzzGzip checks AppendGzip against compress/gzip: whatever it accepts,
// compress/gzip accepts with the same output, and it never panics or
// exceeds its limit.
func FuzzGzip(f *testing.F) {
	for _, data := range samples() {
		if len(data) > 8<<10 {
			data = data[:8<<10]
		}
		for _, level := range levels {
			f.Add(gz(f, data, level, gzip.Header{}))
		}
	}
	f.Add(gz(f, []byte("x"), 6, gzip.Header{Name: "n", Comment: "c", Extra: []byte("e")}))
	f.Fuzz(func(t *testing.T, in []byte) {
		var d Decompressor
		got, err := d.AppendGzip(nil, in, fuzzLimit)
		if cap(got) > fuzzLimit+slack {
			t.Fatalf("buffer of %d bytes for a limit of %d", cap(got), fuzzLimit)
		}
		if err != nil {
			var ce *CorruptError
			if !errors.Is(err, ErrLimit) && !errors.As(err, &ce) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		want, refErr := stdlib(in, fuzzLimit)
		if refErr != nil {
			t.Fatalf("accepted what compress/gzip rejects: %v", refErr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("output differs from compress/gzip at byte %d", firstDiff(got, want))
		}
	})
}

// FuzzDeflate checks the DEFLATE decoder alone against compress/flate
// (no checksum hides a wrong output here): same output, same end of
// stream.
func FuzzDeflate(f *testing.F) {
	for _, data := range samples() {
		if len(data) > 8<<10 {
			data = data[:8<<10]
		}
		for _, level := range levels {
			var b bytes.Buffer
			fw, _ := flate.NewWriter(&b, level)
			fw.Write(data)
			fw.Close()
			f.Add(b.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var d Decompressor
		r := bitReader{src: in}
		buf, op, err := d.inflate(&r, nil, 0, fuzzLimit)
		if len(buf) > fuzzLimit+slack {
			t.Fatalf("buffer of %d bytes for a limit of %d", len(buf), fuzzLimit)
		}
		if err != nil || op > fuzzLimit {
			return
		}
		br := bytes.NewReader(in)
		want, refErr := io.ReadAll(io.LimitReader(flate.NewReader(br), fuzzLimit+1))
		if refErr != nil {
			t.Fatalf("accepted what compress/flate rejects: %v", refErr)
		}
		if !bytes.Equal(buf[:op], want) {
			t.Fatalf("output differs from compress/flate at byte %d (%d vs %d bytes)", firstDiff(buf[:op], want), op, len(want))
		}
		if got, want := r.pos(), len(in)-br.Len(); got != want {
			t.Fatalf("stream ends at %d, compress/flate read %d bytes", got, want)
		}
	})
}

// FuzzRoundTrip compresses arbitrary data with compress/gzip at every
// level and checks that AppendGzip returns it: valid streams of every
// shape the fuzzer's data leads the compressor to.
func FuzzRoundTrip(f *testing.F) {
	for _, data := range samples() {
		if len(data) > 8<<10 {
			data = data[:8<<10]
		}
		f.Add(data, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, level uint8) {
		l := levels[int(level)%len(levels)]
		z := gz(t, data, l, gzip.Header{})
		var d Decompressor
		got, err := d.AppendGzip(nil, z, len(data))
		if err != nil {
			t.Fatalf("level %d: %v", l, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("level %d: output differs at byte %d", l, firstDiff(got, data))
		}
	})
}
