package policy

import (
	"strings"
	"testing"
)

const benchPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n"

func BenchmarkParseSTSPolicy(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPolicy)))
	for b.Loop() {
		if _, err := ParseSTSPolicy(benchPolicy); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSTSPolicyString(b *testing.B) {
	p, err := ParseSTSPolicy(benchPolicy)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.String()
	}
}

func BenchmarkParseSTSRecord(b *testing.B) {
	const rec = "v=STSv1; id=20240131T101500;"
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, err := ParseSTSRecord(rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTLSA(b *testing.B) {
	s := "3 1 1 " + hexA
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, _, err := ParseTLSA(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKey(b *testing.B) {
	sts := Policy{Type: TypeSTS, Domain: "example.com", Strings: strings.Split(strings.TrimSuffix(benchPolicy, "\r\n"), "\r\n"),
		MXHosts: []string{"mail.example.com", "*.example.net", "backupmx.example.com"}}
	tlsa := Policy{Type: TypeTLSA, Domain: "mx.example.com", Strings: []string{"3 1 1 " + hexB, "2 1 1 " + hexA, "3 1 1 " + strings.ToLower(hexA)}}
	for _, bc := range []struct {
		name string
		p    Policy
	}{{"sts", sts}, {"tlsa3", tlsa}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bc.p.Key()
			}
		})
	}
}

func BenchmarkMarshalJSON(b *testing.B) {
	p := Policy{Type: TypeSTS, Domain: "example.com", Strings: strings.Split(strings.TrimSuffix(benchPolicy, "\r\n"), "\r\n"),
		MXHosts: []string{"mail.example.com", "*.example.net", "backupmx.example.com"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
