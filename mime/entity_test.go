package mime

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt"
)

func TestLenientMediaType(t *testing.T) {
	tests := []struct {
		in     string
		mt     string
		params map[string]string
	}{
		{`multipart/report; report-type=tlsrpt; boundary=----=_NextPart_000_0001`, "multipart/report",
			map[string]string{"report-type": "tlsrpt", "boundary": "----=_NextPart_000_0001"}},
		{`Application/TLSRPT+GZIP; name="a;b.json.gz"; `, "application/tlsrpt+gzip", map[string]string{"name": "a;b.json.gz"}},
		{`attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.json; x=1`, "attachment", map[string]string{"filename": "résumé.json", "x": "1"}},
		{`attachment; filename*1="b.json"; filename*0*=utf-8''a%21`, "attachment", map[string]string{"filename": "a!b.json"}},
		{`attachment; filename="a\"b"; filename=second`, "attachment", map[string]string{"filename": `a"b`}},
		{`text/plain; junk; =x`, "text/plain", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			mt, params := lenientMediaType(tt.in)
			if mt != tt.mt {
				t.Errorf("media type %q, want %q", mt, tt.mt)
			}
			if diff := cmp.Diff(tt.params, params, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitMultipart(t *testing.T) {
	tests := []struct {
		name          string
		body          string
		parts         []string
		found, closed bool
	}{
		{"crlf", "pre\r\n--b\r\none\r\n--b\r\ntwo\r\n--b--\r\nepilogue", []string{"one", "two"}, true, true},
		{"lf", "--b\none\n--b\ntwo\n--b--\n", []string{"one", "two"}, true, true},
		{"transport padding", "--b  \r\none\r\n--b-- \t\r\n", []string{"one"}, true, true},
		{"no close", "--b\r\none\r\n--b\r\ntwo\r\n", []string{"one", "two\r\n"}, true, false},
		{"no close, trailing delimiter (Mail.ru)", "--b\r\none\r\n--b\r\n\r\n", []string{"one"}, true, false},
		{"boundary as prefix of a longer line is no delimiter", "--b\r\none\r\n--bc\r\n--b--", []string{"one\r\n--bc"}, true, true},
		{"boundary not at line start", "--b\r\nx--b\r\n--b--", []string{"x--b"}, true, true},
		{"delimiter at end without line break", "--b\r\none\r\n--b", []string{"one"}, true, false},
		{"no delimiter", "just text", nil, false, false},
		{"empty part", "--b\r\n\r\n--b--", []string{""}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, found, closed := splitMultipart([]byte(tt.body), "b", 100)
			var got []string
			for _, p := range parts {
				got = append(got, string(p))
			}
			if diff := cmp.Diff(tt.parts, got); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
			if found != tt.found || closed != tt.closed {
				t.Errorf("found, closed = %v, %v; want %v, %v", found, closed, tt.found, tt.closed)
			}
		})
	}
}

func TestDecodeBase64(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		codes []tlsrpt.Code
	}{
		{"padded lines", "aGVs\r\nbG8=\r\n", "hello", nil},
		{"no padding", "aGVsbG8", "hello", []tlsrpt.Code{CodeBase64Padding}},
		{"spaces and tabs", " aGV sbG8=\t", "hello", []tlsrpt.Code{CodeBase64Garbage}},
		{"url-safe and junk", "aGVs*bG8=", "hello", []tlsrpt.Code{CodeBase64Garbage}},
		{"dangling sextet", "aGVsbG8=Q", "hello", []tlsrpt.Code{CodeBase64Garbage, CodeBase64Padding}},
		{"concatenated chunks", "aGk=\r\nYQ==", "hia", []tlsrpt.Code{CodeBase64Garbage}},
		{"empty", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &state{}
			got := s.decodeBase64([]byte(tt.in), "p")
			if string(got) != tt.want {
				t.Errorf("decoded %q, want %q", got, tt.want)
			}
			if diff := cmp.Diff(tt.codes, codes(s.warnings)); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteField(t *testing.T) {
	tests := []struct {
		name, value string
		want        string
	}{
		{"short", "a b", "Short: a b\r\n"},
		{"long", strings.Repeat("word ", 20) + "end",
			"Long: word word word word word word word word word word word word word word\r\n word word word word word word end\r\n"},
		{"token over the limit stays whole", "x " + strings.Repeat("y", 90), "Token: x\r\n " + strings.Repeat("y", 90) + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			name := strings.SplitN(tt.want, ":", 2)[0]
			writeField(&b, name, tt.value)
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			unfolded := strings.TrimSuffix(strings.ReplaceAll(b.String(), "\r\n ", " "), "\r\n")
			if unfolded != name+": "+tt.value {
				t.Errorf("unfolding gives %q", unfolded)
			}
		})
	}
}

func TestHeaderDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.net", "example.net"},
		{" (policy domain) Example.NET. ", "example.net"},
		{"example.net (a (nested) comment)", "example.net"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"not a domain", "not a domain"},
	}
	for _, tt := range tests {
		if got := headerDomain(tt.in); got != tt.want {
			t.Errorf("headerDomain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeQP(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"plain text\r\n", "plain text\r\n", false},
		{"a=3Db=3d\r\n", "a=b=\r\n", false},
		{"soft=\r\nbreak=\nand end=", "softbreakand end", false},
		{"soft= \t\r\nbreak", "softbreak", false},
		{"trailing  \t\r\nspace \nend  ", "trailing\r\nspace\nend", false},
		{"caf=C3=A9", "café", false},
		{`{"org":"A =ZZ B"}`, `{"org":"A =ZZ B"}`, true},
		{"=4", "=4", true},
		{"form\ffeed =3D", "form\ffeed =", true},
		{"raw 8bit é", "raw 8bit é", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, bad := decodeQP([]byte(tt.in))
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("decodeQP (-want +got):\n%s", diff)
			}
			if (bad != "") != tt.bad {
				t.Errorf("bad = %q, want malformed %v", bad, tt.bad)
			}
		})
	}
}
