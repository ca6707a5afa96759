package mime

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkWrite(b *testing.B) {
	r, opts := testReport(), testOptions()
	var buf bytes.Buffer
	if err := Write(&buf, r, opts); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Write(io.Discard, r, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteDKIM(b *testing.B) {
	for _, k := range testKeys(b) {
		b.Run(k.name, func(b *testing.B) {
			r, opts := testReport(), testOptions()
			opts.DKIM = &DKIMOptions{Domain: "sender.example", Selector: testSelector, Signer: k.Signer}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := Write(io.Discard, r, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	if err := Write(&buf, testReport(), testOptions()); err != nil {
		b.Fatal(err)
	}
	msgs := map[string][]byte{
		"written":                  buf.Bytes(),
		"missing-closing-boundary": readFixture(b, "missing-closing-boundary"),
		"sniffed":                  readFixture(b, "sniffed"),
	}
	for name, msg := range msgs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Parse(bytes.NewReader(msg)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
