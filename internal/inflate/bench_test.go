package inflate

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

// benchInputs are gzip files of a small report-like text, a larger one
// and a highly repetitive one, at the default level.
func benchInputs(b *testing.B) map[string][]byte {
	s := samples()
	return map[string][]byte{
		"text2KiB":   gz(b, s["text"], gzip.DefaultCompression, gzip.Header{}),
		"report":     gz(b, s["report"], gzip.DefaultCompression, gzip.Header{}),
		"skewed":     gz(b, s["skewed"], gzip.DefaultCompression, gzip.Header{}),
		"zeros300KB": gz(b, s["zeros"], gzip.DefaultCompression, gzip.Header{}),
	}
}

// BenchmarkAppendGzip decompresses into a reused buffer, as a caller
// that pools it does.
func BenchmarkAppendGzip(b *testing.B) {
	for name, z := range benchInputs(b) {
		b.Run(name, func(b *testing.B) {
			var d Decompressor
			out, err := d.AppendGzip(nil, z, 1<<30)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			for b.Loop() {
				out, err = d.AppendGzip(out[:0], z, 1<<30)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStdlibGzip is the same with a reused compress/gzip reader.
func BenchmarkStdlibGzip(b *testing.B) {
	for name, z := range benchInputs(b) {
		b.Run(name, func(b *testing.B) {
			br := bytes.NewReader(z)
			zr, err := gzip.NewReader(br)
			if err != nil {
				b.Fatal(err)
			}
			var out bytes.Buffer
			if _, err := io.Copy(&out, zr); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(out.Len()))
			b.ReportAllocs()
			for b.Loop() {
				br.Reset(z)
				if err := zr.Reset(br); err != nil {
					b.Fatal(err)
				}
				out.Reset()
				if _, err := out.ReadFrom(zr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
