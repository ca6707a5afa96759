package dnsrecord

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// uris builds the expected RUA list.
func uris(ss ...string) []URI {
	out := make([]URI, len(ss))
	for i, s := range ss {
		out[i] = URI{s: s}
	}
	return out
}

// equateURI compares URIs with ==, as the documentation says to: cmp
// does not look into their unexported field.
var equateURI = cmpopts.EquateComparable(URI{})

// validRecords are records Parse must accept, with the record it must
// return. The reasons cite the RFC 8460 §3 ABNF and its examples.
var validRecords = []struct {
	name   string
	reason string
	in     string
	want   *Record
}{
	{name: "mailto", reason: "RFC 8460 §3.1.1 example",
		in: "v=TLSRPTv1;rua=mailto:reports@example.com", want: &Record{RUA: uris("mailto:reports@example.com")}},
	{name: "https", reason: "RFC 8460 §3.1.2 example",
		in: "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", want: &Record{RUA: uris("https://reporting.example.com/v1/tlsrpt")}},
	{name: "trailing delimiter", reason: "RFC 8460 §3 tlsrpt-record: one optional field-delim",
		in: "v=TLSRPTv1; rua=mailto:a@example.com;", want: &Record{RUA: uris("mailto:a@example.com")}},
	{name: "trailing delimiter and WSP", reason: "RFC 8460 §3 field-delim = *WSP \";\" *WSP",
		in: "v=TLSRPTv1; rua=mailto:a@example.com; ", want: &Record{RUA: uris("mailto:a@example.com")}},
	{name: "trailing delimiter with WSP on both sides",
		in: "v=TLSRPTv1; rua=mailto:a@example.com \t;\t ", want: &Record{RUA: uris("mailto:a@example.com")}},
	{name: "WSP around delimiters and commas", reason: "RFC 8460 §3: *WSP around \";\" and \",\"",
		in:   "v=TLSRPTv1 ;\trua=mailto:a@example.com , https://r.example/x",
		want: &Record{RUA: uris("mailto:a@example.com", "https://r.example/x")}},
	{name: "joined multi-string", reason: "RFC 8460 §3: strings concatenated without space",
		in: "v=TLSRPTv1; rua=mailto:a" + "@example.com", want: &Record{RUA: uris("mailto:a@example.com")}},
	{name: "extensions before and after rua", reason: "RFC 8460 §3 tlsrpt-extension",
		in:   "v=TLSRPTv1; foo=bar; rua=mailto:a@example.com; x.y_z-1=ab:cd",
		want: &Record{RUA: uris("mailto:a@example.com"), Extensions: []Extension{{Name: "foo", Value: "bar"}, {Name: "x.y_z-1", Value: "ab:cd"}}}},
	{name: "two rua fields merge", reason: "RFC 8460 §3 ABNF: grammatical; union in order",
		in:   "v=TLSRPTv1; rua=mailto:a@example.com; rua=https://r.example/",
		want: &Record{RUA: uris("mailto:a@example.com", "https://r.example/")}},
	{name: "encoded comma", reason: "RFC 8460 §3 tlsrpt-uri: percent-encoded",
		in: "v=TLSRPTv1; rua=mailto:a%2Cb@example.com", want: &Record{RUA: uris("mailto:a%2Cb@example.com")}},
	{name: "encoded bang", reason: "RFC 8460 §3 tlsrpt-uri: percent-encoded",
		in: "v=TLSRPTv1; rua=mailto:a%21b@example.com", want: &Record{RUA: uris("mailto:a%21b@example.com")}},
	{name: "encoded semicolon", reason: "RFC 8460 §3 tlsrpt-uri: percent-encoded",
		in: "v=TLSRPTv1; rua=https://r.example/a%3bb", want: &Record{RUA: uris("https://r.example/a%3bb")}},
	{name: "unsupported scheme kept", reason: "RFC 8460 §3: http is grammatical, skipped by senders",
		in:   "v=TLSRPTv1; rua=http://r.example/,mailto:a@example.com",
		want: &Record{RUA: uris("http://r.example/", "mailto:a@example.com")}},
	{name: "repeated version is an extension", reason: "RFC 8460 §3: tlsrpt-extension matches v=…",
		in:   "v=TLSRPTv1; v=TLSRPTv1; rua=mailto:a@example.com",
		want: &Record{RUA: uris("mailto:a@example.com"), Extensions: []Extension{{Name: "v", Value: "TLSRPTv1"}}}},
	{name: "RUA upper case is an extension", reason: "RFC 8460 §3 %s\"rua=\" is case-sensitive; record still has a rua",
		in:   "v=TLSRPTv1; RUA=mailto:b@example.com; rua=mailto:a@example.com",
		want: &Record{RUA: uris("mailto:a@example.com"), Extensions: []Extension{{Name: "RUA", Value: "mailto:b@example.com"}}}},
	{name: "three URIs",
		in:   "v=TLSRPTv1;rua=mailto:a@example.com,mailto:b@example.com,https://r.example:12345/tlsrpt;",
		want: &Record{RUA: uris("mailto:a@example.com", "mailto:b@example.com", "https://r.example:12345/tlsrpt")}},
	{name: "many URIs and extensions", reason: "exceeds the inline block",
		in: "v=TLSRPTv1; a=1; rua=mailto:a@x.example,mailto:b@x.example,mailto:c@x.example; b=2; c=3",
		want: &Record{RUA: uris("mailto:a@x.example", "mailto:b@x.example", "mailto:c@x.example"),
			Extensions: []Extension{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}, {Name: "c", Value: "3"}}}},
	{name: "ext name of 32 chars",
		in:   "v=TLSRPTv1; rua=mailto:a@example.com; a1234567890123456789012345678901=1",
		want: &Record{RUA: uris("mailto:a@example.com"), Extensions: []Extension{{Name: "a1234567890123456789012345678901", Value: "1"}}}},
	{name: "ext value with all allowed punctuation",
		in:   "v=TLSRPTv1; rua=mailto:a@example.com; x=!\"#$%&'()*+,-./:<>?@[\\]^_`{|}~",
		want: &Record{RUA: uris("mailto:a@example.com"), Extensions: []Extension{{Name: "x", Value: "!\"#$%&'()*+,-./:<>?@[\\]^_`{|}~"}}}},
	{name: "https with query, fragment, userinfo, IPv6",
		in:   "v=TLSRPTv1; rua=https://u:p@[2001:db8::1]:8443/a/b?x=1&y=%2C#f?/",
		want: &Record{RUA: uris("https://u:p@[2001:db8::1]:8443/a/b?x=1&y=%2C#f?/")}},
	{name: "IPv4 host and upper-case scheme",
		in: "v=TLSRPTv1; rua=HTTPS://192.0.2.1/r", want: &Record{RUA: uris("HTTPS://192.0.2.1/r")}},
	{name: "IPvFuture literal",
		in: "v=TLSRPTv1; rua=https://[v1.fe:x]/", want: &Record{RUA: uris("https://[v1.fe:x]/")}},
	{name: "mailto with hfields",
		in: "v=TLSRPTv1; rua=mailto:a@example.com?subject=tlsrpt", want: &Record{RUA: uris("mailto:a@example.com?subject=tlsrpt")}},
	{name: "mailto to IDN A-label",
		in: "v=TLSRPTv1; rua=mailto:tlsreports@xn--74h.example", want: &Record{RUA: uris("mailto:tlsreports@xn--74h.example")}},
	{name: "two rua fields, second after WSP delimiter", reason: "corpus 'unknown' row (mox test vector): valid per ABNF, merged",
		in:   "v=TLSRPTv1 ; rua=mailto:x@x.example; rua=mailto:y@x.example",
		want: &Record{RUA: uris("mailto:x@x.example", "mailto:y@x.example")}},
}

// invalidRecords are texts Parse must reject by the RFC 8460 §3 ABNF read
// strictly. offset is the *SyntaxError offset; notTLSRPT means
// ErrNotTLSRPT.
var invalidRecords = []struct {
	name      string
	reason    string
	in        string
	notTLSRPT bool
	offset    int
}{
	{name: "V upper", reason: "RFC 8460 §3 tlsrpt-version is case-sensitive and first", in: "V=TLSRPTv1; rua=mailto:a@example.com", notTLSRPT: true},
	{name: "version lower case", reason: "RFC 8460 §3 tlsrpt-version is case-sensitive and first", in: "v=tlsrptv1; rua=mailto:a@example.com", notTLSRPT: true},
	{name: "spaces around =", reason: "RFC 8460 §3 tlsrpt-version is case-sensitive and first", in: "v = TLSRPTv1; rua=mailto:a@example.com", notTLSRPT: true},
	{name: "leading space", reason: "RFC 8460 §3 tlsrpt-version is case-sensitive and first", in: " v=TLSRPTv1; rua=mailto:a@example.com", notTLSRPT: true},
	{name: "empty", in: "", notTLSRPT: true},
	{name: "other version v10", in: "v=TLSRPTv10; rua=mailto:a@example.com", notTLSRPT: true},
	{name: "other version v2", in: "v=TLSRPTv2; rua=mailto:a@example.com", notTLSRPT: true},
	{name: "version runs on", in: "v=TLSRPTv1=TLSRPTv1", notTLSRPT: true},
	{name: "zone-file escape reached the parser", in: `v=TLSRPTv1\; rua=mailto:a@example.com`, notTLSRPT: true},
	{name: "spf", reason: "RFC 8460 §3: not a TLS-RPT record", in: "v=spf1 -all", notTLSRPT: true},
	{name: "no fields", reason: "RFC 8460 §3: 1*(field-delim tlsrpt-field)", in: "v=TLSRPTv1", offset: 10},
	{name: "only delimiter", reason: "RFC 8460 §3: 1*(field-delim tlsrpt-field)", in: "v=TLSRPTv1;", offset: 11},
	{name: "only delimiter and WSP", in: "v=TLSRPTv1 ; ", offset: 13},
	{name: "RUA upper case only", reason: "RFC 8460 §3: an extension, and rua is required", in: "v=TLSRPTv1; RUA=mailto:a@example.com", offset: 36},
	{name: "only extension", in: "v=TLSRPTv1; ext=1", offset: 17},
	{name: "space after rua=", reason: "RFC 8460 §3 tlsrpt-uri: an absolute URI", in: "v=TLSRPTv1; rua= mailto:a@example.com", offset: 16},
	{name: "not a URI", reason: "RFC 8460 §3 tlsrpt-uri: an absolute URI", in: "v=TLSRPTv1; rua=foo", offset: 19},
	{name: "empty rua", in: "v=TLSRPTv1; rua=", offset: 16},
	{name: "empty list element", reason: "RFC 8460 §3 tlsrpt-rua: no empty URI", in: "v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com", offset: 37},
	{name: "trailing comma", reason: "RFC 8460 §3 tlsrpt-rua: no empty URI", in: "v=TLSRPTv1; rua=mailto:a@example.com,", offset: 37},
	{name: "trailing comma and WSP", in: "v=TLSRPTv1; rua=mailto:a@example.com , ", offset: 39},
	{name: "double trailing delimiter", reason: "RFC 8460 §3: one optional trailing field-delim", in: "v=TLSRPTv1; rua=mailto:a@example.com; ;", offset: 38},
	{name: "double delimiter", in: "v=TLSRPTv1; rua=mailto:a@example.com;;", offset: 37},
	{name: "empty field in the middle", in: "v=TLSRPTv1;; rua=mailto:a@example.com", offset: 11},
	{name: "trailing WSP", reason: "RFC 8460 §3: WSP only inside field-delim", in: "v=TLSRPTv1; rua=mailto:a@example.com ", offset: 36},
	{name: "trailing WSP after version", in: "v=TLSRPTv1 ", offset: 10},
	{name: "unencoded bang size suffix", reason: "RFC 8460 §3 tlsrpt-uri: \"!\" must be encoded", in: "v=TLSRPTv1; rua=mailto:a@example.com!10m", offset: 36},
	{name: "empty ext value", reason: "RFC 8460 §3 tlsrpt-extension", in: "v=TLSRPTv1; rua=mailto:a@example.com; foo=", offset: 42},
	{name: "empty ext value before ;", in: "v=TLSRPTv1; foo=; rua=mailto:a@example.com", offset: 16},
	{name: "space in ext value", reason: "RFC 8460 §3 tlsrpt-extension", in: "v=TLSRPTv1; rua=mailto:a@example.com; foo=a b", offset: 44},
	{name: "space before =", in: "v=TLSRPTv1; rua=mailto:a@example.com; foo =a", offset: 41},
	{name: "space after =", in: "v=TLSRPTv1; rua=mailto:a@example.com; foo= a", offset: 42},
	{name: "ext name of 33 chars", reason: "RFC 8460 §3 tlsrpt-extension", in: "v=TLSRPTv1; rua=mailto:a@example.com; a12345678901234567890123456789012=1", offset: 70},
	{name: "ext name starting with -", reason: "RFC 8460 §3 tlsrpt-extension", in: "v=TLSRPTv1; rua=mailto:a@example.com; -a=1", offset: 38},
	{name: "ext name starting with _", in: "v=TLSRPTv1; rua=mailto:a@example.com; _a=1", offset: 38},
	{name: "ext name with %", in: "v=TLSRPTv1; rua=mailto:x@x.example; 1%=a", offset: 37},
	{name: "ext value with =", in: "v=TLSRPTv1; rua=mailto:x@x.example; test==", offset: 41},
	{name: "ext without =", in: "v=TLSRPTv1; rua=mailto:x@x.example; test", offset: 40},
	{name: "non-ASCII in URI", reason: "RFC 8460 §3: printable ASCII only", in: "v=TLSRPTv1; rua=mailto:a@bücher.example", offset: 26},
	{name: "non-ASCII in ext value", reason: "RFC 8460 §3: printable ASCII only", in: "v=TLSRPTv1; rua=mailto:a@example.com; x=é", offset: 40},
	{name: "CR LF", reason: "RFC 8460 §3: printable ASCII only", in: "v=TLSRPTv1; rua=mailto:a@example.com\r\n", offset: 36},
	{name: "NUL in URI", in: "v=TLSRPTv1; rua=mailto:a\x00@example.com", offset: 24},
	{name: "trailing characters", in: "v=TLSRPTv1; rua=mailto:x@x.example other", offset: 35},
	{name: "missing ; after version", in: "v=TLSRPTv1 rua=mailto:a@example.com", offset: 11},
	{name: "bad percent-encoding", in: "v=TLSRPTv1; rua=http://bad/%", offset: 27},
	{name: "bad percent-encoding hex", in: "v=TLSRPTv1; rua=http://bad/%zz", offset: 27},
	{name: "bare address in list", in: "v=TLSRPTv1; rua=mailto:postmaster@domain.com,however@domain.com", offset: 52},
	{name: "URI starting with !", in: "v=TLSRPTv1; rua=!!", offset: 16},
	{name: "underscore in scheme", in: "v=TLSRPTv1; rua=not_a_valid_uri", offset: 19},
	{name: "unclosed IP literal", in: "v=TLSRPTv1; rua=https://[2001:db8::1/x", offset: 36},
	{name: "bad IP literal", in: "v=TLSRPTv1; rua=https://[192.0.2.1]/x", offset: 25},
	{name: "IP literal with zone", in: "v=TLSRPTv1; rua=https://[fe80::1%25eth0]/x", offset: 25},
	{name: "bad port", in: "v=TLSRPTv1; rua=https://r.example:44x/", offset: 36},
	{name: "junk after IP literal", in: "v=TLSRPTv1; rua=https://[::1]x/", offset: 29},
	{name: "bad char in host", in: "v=TLSRPTv1; rua=https://r.exa[mple/", offset: 29},
	{name: "bad char in userinfo", in: "v=TLSRPTv1; rua=https://a[b@r.example/", offset: 25},
	{name: "two fragments", in: "v=TLSRPTv1; rua=https://r.example/#a#b", offset: 36},
	{name: "bracket in path", in: "v=TLSRPTv1; rua=https://r.example/[x]", offset: 34},
	{name: "bad IPvFuture", in: "v=TLSRPTv1; rua=https://[vz.x]/", offset: 25},
}

func TestParseValid(t *testing.T) {
	for _, tt := range validRecords {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v (%s)", tt.in, err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got, equateURI); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tt := range invalidRecords {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error (%s)", tt.in, got, tt.reason)
			}
			if got != nil {
				t.Errorf("Parse(%q) returned a record with the error", tt.in)
			}
			if tt.notTLSRPT {
				if !errors.Is(err, ErrNotTLSRPT) {
					t.Errorf("Parse(%q) error = %v, want ErrNotTLSRPT", tt.in, err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v (%T), want *SyntaxError", tt.in, err, err)
			}
			if se.Offset != tt.offset {
				t.Errorf("Parse(%q) offset = %d, want %d (%v)", tt.in, se.Offset, tt.offset, err)
			}
			if se.Reason == "" {
				t.Errorf("Parse(%q): empty reason", tt.in)
			}
		})
	}
}

// TestParseUnknownCorpusVerdicts pins the verdicts chosen for the records
// the corpus marks "unknown" because implementations disagree: the strict
// RFC 8460 §3 ABNF decides.
func TestParseUnknownCorpusVerdicts(t *testing.T) {
	// Two rua fields: grammatical (1*(field-delim tlsrpt-field)); merged.
	r, err := Parse("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com")
	if err != nil {
		t.Fatalf("two rua fields: %v", err)
	}
	if diff := cmp.Diff(uris("mailto:a@example.com", "mailto:b@example.com"), r.RUA, equateURI); diff != "" {
		t.Errorf("two rua fields (-want +got):\n%s", diff)
	}
	// Trailing WSP after the last URI: the ABNF has no production for it.
	in := "v=TLSRPTv1; rua=mailto:tlsrpt@mox.example , \t\t https://mox.example/tlsrpt  "
	_, err = Parse(in)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != len(in)-2 {
		t.Errorf("trailing WSP: error = %v, want *SyntaxError at %d", err, len(in)-2)
	}
}

func TestParseAllocations(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
	}{
		{"v=TLSRPTv1; rua=mailto:tlsrpt@example.com", 1},
		{"v=TLSRPTv1; rua=mailto:a@example.com,https://r.example/x; ext=1", 1},
		{"v=TLSRPTv1; rua=mailto:a@example.com,mailto:b@example.com,https://r.example/x", 2},
	} {
		got := testing.AllocsPerRun(100, func() {
			if _, err := Parse(tt.in); err != nil {
				t.Fatal(err)
			}
		})
		if got > tt.want {
			t.Errorf("Parse(%q): %v allocations, want <= %v", tt.in, got, tt.want)
		}
	}
}
