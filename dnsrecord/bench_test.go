package dnsrecord

import "testing"

// benchRecords are typical published records.
var benchRecords = []struct{ name, txt string }{
	{"mailto", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"},
	{"https", "v=TLSRPTv1; rua=https://tlsrpt.example.com/v1/report"},
	{"two-uris", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://tlsrpt.example.com/v1/report"},
	{"extension", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com; ext=value"},
}

func BenchmarkParse(b *testing.B) {
	for _, bb := range benchRecords {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.txt)))
			for i := 0; i < b.N; i++ {
				if _, err := Parse(bb.txt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRecordString(b *testing.B) {
	r, err := Parse(benchRecords[2].txt)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = r.String()
	}
}

func BenchmarkLint(b *testing.B) {
	for _, bb := range []struct{ name, txt string }{
		{"clean", benchRecords[2].txt},
		{"mistakes", "V=TLSRPTv1; RUA=reports@example.com,http://r.example/x!10m "},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.txt)))
			for i := 0; i < b.N; i++ {
				Lint(bb.txt)
			}
		})
	}
}

func BenchmarkURIDomain(b *testing.B) {
	u := URI{s: "mailto:tlsrpt@example.com"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := u.Domain(); err != nil {
			b.Fatal(err)
		}
	}
}
