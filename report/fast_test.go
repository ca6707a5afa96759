package report

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// decodeTokenizer decodes the JSON text data in place by the tokenizer
// path alone: the reference the one-pass decoder must match.
func decodeTokenizer(d *Decoder, data []byte) (*Report, []Warning, error) {
	s := getDecodeState(d)
	defer s.release()
	if int64(len(data)) > s.max {
		return nil, nil, tooLarge(s.max)
	}
	bb := bytes.NewBuffer(data)
	var bom int64
	if bytes.HasPrefix(data, utf8BOM) {
		bb.Next(len(utf8BOM))
		bom = int64(len(utf8BOM))
	}
	return s.decode(bb, bom, false)
}

// fastTaken reports whether the one-pass decoder decodes data itself.
func fastTaken(d *Decoder, data []byte) bool {
	s := getDecodeState(d)
	defer s.release()
	var bom int64
	if bytes.HasPrefix(data, utf8BOM) {
		data = data[len(utf8BOM):]
		bom = int64(len(utf8BOM))
	}
	_, _, ok := s.decodeFast(data, bom)
	return ok
}

// sameAsTokenizer fails t unless Decode (the one-pass decoder with its
// fallback) and the tokenizer path give the same report, warnings and
// error for data, leniently and strictly.
func sameAsTokenizer(t testing.TB, name string, data []byte, maxSize int64) {
	t.Helper()
	for _, strict := range []bool{false, true} {
		d := &Decoder{Strict: strict, MaxSize: maxSize}
		want, wantW, wantErr := decodeTokenizer(d, bytes.Clone(data))
		got, gotW, gotErr := d.Decode(bytes.NewBuffer(bytes.Clone(data)))
		if fmt.Sprintf("%T %v", gotErr, gotErr) != fmt.Sprintf("%T %v", wantErr, wantErr) {
			t.Fatalf("%s strict=%v: error %T %v, tokenizer %T %v\ninput %q", name, strict, gotErr, gotErr, wantErr, wantErr, data)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
			t.Fatalf("%s strict=%v: report differs from the tokenizer's (-want +got):\n%s\ninput %q", name, strict, diff, data)
		}
		if diff := cmp.Diff(wantW, gotW, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s strict=%v: warnings differ from the tokenizer's (-want +got):\n%s\ninput %q", name, strict, diff, data)
		}
	}
}

// fastInputs returns the fixtures, the shared corpus reports (when
// present beside the module, see internal/corpus) and the benchmark
// reports.
func fastInputs(t testing.TB) map[string][]byte {
	in := map[string][]byte{
		"strictBase":   []byte(strictBase),
		"benchTypical": []byte(benchTypical),
		"large50":      genLargeReport(50),
	}
	files, _ := filepath.Glob("testdata/*.json")
	for _, f := range files {
		in[filepath.Base(f)] = readFixture(t, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	if _, err := os.Stat(filepath.Join("..", "..", "shared", "corpus", "reports")); err == nil {
		files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "reports", "*"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.HasPrefix(data, gzipMagic) {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if data, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			in["corpus/"+filepath.Base(f)] = data
		}
	}
	return in
}

// TestFastPassMatchesTokenizer checks the one-pass decoder against the
// tokenizer path on the fixtures, the corpus, and their truncations,
// deletions and insertions of bytes that matter to JSON.
func TestFastPassMatchesTokenizer(t *testing.T) {
	inserts := []string{`"`, `\`, `,`, `:`, `{`, `}`, `[`, `]`, ` `, "\t", "0", "-", ".", "e", "x", "n", "\x00", "\x1f", "\x80", "\xff", "\xc3", `\u`, `\ud800`, "1e", "nul"}
	for name, data := range fastInputs(t) {
		sameAsTokenizer(t, name, data, 0)
		// About 30 positions per input (FuzzFastPass goes further), three
		// of the insertions at each, in turn.
		step := max(1, len(data)/31)
		for n, i := 0, 0; i < len(data); n, i = n+1, i+step {
			sameAsTokenizer(t, name+" truncated", data[:i], 0)
			del := append(bytes.Clone(data[:i]), data[i+1:]...)
			sameAsTokenizer(t, name+" deleted", del, 0)
			for k := range 3 {
				ins := inserts[(3*n+k)%len(inserts)]
				mut := append(append(bytes.Clone(data[:i]), ins...), data[i:]...)
				sameAsTokenizer(t, fmt.Sprintf("%s insert %q at %d", name, ins, i), mut, 0)
			}
		}
	}
}

// TestFastPassValues checks the one-pass decoder's own validation of
// strings, numbers and literals against the tokenizer's, in every place a
// value can stand.
func TestFastPassValues(t *testing.T) {
	values := []string{
		`""`, `"a"`, `"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u0041"`, `"\u00e9"`, `"\u00E9"`, `"\u0000"`,
		`"\ud83d\ude00"`, `"\ud83d"`, `"\ude00"`, `"\ud83d\u0041"`, `"\ude00\ude00"`, `"\ud83d\ud83d"`, `"\uDBFF\uDFFF"`, `"\ud83dx"`, `"\u12"`, `"\u12g4"`, `"\x"`, `"\'"`,
		"\"é\"", "\"\xe9\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xc0\xaf\"", "\"\xef\xbf\xbe\"", "\"a\x01b\"", "\"a\x7fb\"", "\"tab\there\"",
		`0`, `-0`, `1`, `-1`, `01`, `1.`, `.5`, `1.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-`, `+1`, `1.5e3`, `9007199254740991`, `9007199254740992`, `12345678901234567890123`, `1x`, `0x1`,
		`true`, `false`, `null`, `nul`, `nulll`, `True`, `NULL`, `truex`,
		`[]`, `[1]`, `[1,]`, `[,1]`, `[1 2]`, `{}`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{1:2}`, `[[[[]]]]`, strings.Repeat("[", 40) + strings.Repeat("]", 40),
	}
	places := []string{
		`{"organization-name":%s,"date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"a@b.example","report-id":"r","policies":[]}`,
		`{"x-unknown":%s,"organization-name":"o","date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"a@b.example","report-id":"r","policies":[]}`,
		`{"organization-name":"o","date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"a@b.example","report-id":"r","policies":[{"policy":{"policy-type":"sts","policy-domain":"example.com","x":%s},"summary":{"total-successful-session-count":%s,"total-failure-session-count":1},"failure-details":[{"result-type":"validation-failure","failed-session-count":1,"failure-reason-code":%s}]}]}`,
		`%s`,
		`{"organization-name":"o"} %s`,
	}
	for _, p := range places {
		for _, v := range values {
			in := strings.ReplaceAll(p, "%s", v)
			sameAsTokenizer(t, in, []byte(in), 0)
		}
	}
}

// TestFastPassLimits checks that the one-pass decoder gives up, and the
// tokenizer decides, at the token cap, the amplification guard, the
// warning cap and the size cap.
func TestFastPassLimits(t *testing.T) {
	base := strictBase
	big := strings.Repeat("a", maxTokenSize+1)
	inputs := map[string]string{
		"long string":           strings.Replace(base, `"organization-name":"`, `"organization-name":"`+big, 1),
		"long white space":      strings.Replace(base, `"organization-name"`, strings.Repeat(" ", maxTokenSize+1)+`"organization-name"`, 1),
		"exactly the cap":       strings.Replace(base, `"organization-name":"`, `"organization-name":"`+strings.Repeat("a", maxTokenSize-40), 1),
		"long trailing space":   base + strings.Repeat("\n", maxTokenSize+1),
		"long unknown array":    strings.Replace(base, `{"organization-name"`, `{"x":[`+strings.Repeat("1,", maxTokenSize/2)+`1],"organization-name"`, 1),
		"long detail":           strings.Replace(base, `"failure-reason-code":"`, `"failure-reason-code":"`+big, 1),
		"amplification":         `{"policies":[{"failure-details":[` + strings.Repeat(`{},`, 200000) + `{}]}]}`,
		"warnings past the cap": `{"policies":[{"failure-details":[` + strings.Repeat(`{"result-type":null},`, 3000) + `{}]}]}`,
	}
	for name, in := range inputs {
		sameAsTokenizer(t, name, []byte(in), 0)
	}
	sameAsTokenizer(t, "size cap", []byte(base), int64(len(base)-1))
	sameAsTokenizer(t, "size cap exact", []byte(base), int64(len(base)))
}

// TestFastPassTaken checks that every report of the fixtures and the
// corpus that decodes is decoded by the one-pass decoder, not by the
// fallback: the speed the README claims depends on it.
func TestFastPassTaken(t *testing.T) {
	for name, data := range fastInputs(t) {
		if _, _, err := Parse(data); err != nil {
			continue
		}
		if !fastTaken(new(Decoder), data) {
			t.Errorf("%s: decoded by the tokenizer fallback", name)
		}
	}
	if !fastTaken(new(Decoder), genLargeReport(50000)) {
		t.Errorf("50k-detail report: decoded by the tokenizer fallback")
	}
}

// FuzzFastPass checks the one-pass decoder against the tokenizer path on
// any input.
func FuzzFastPass(f *testing.F) {
	for _, data := range fastInputs(f) {
		if len(data) <= fuzzMaxSize {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsTokenizer(t, "fuzz", data, fuzzMaxSize)
	})
}

// TestSkipPlain checks the eight-byte scan against plainByte: for every
// byte in every position of a word, among plain and among special
// neighbours, and with a second byte anywhere after it, skipPlain stops
// at the first byte that is not plain, in the word (the SWAR mask) and in
// the tail (byte by byte).
func TestSkipPlain(t *testing.T) {
	fills := []byte{'a', ' ', '~', 0x7f, '"', '\\', 0x00, 0x1f, 0x80, 0xff}
	for _, fill := range fills {
		for c := 0; c < 256; c++ {
			for p := 0; p < 8; p++ {
				for _, c2 := range fills {
					for q := p + 1; q <= 12; q++ {
						var w [12]byte
						for i := range w {
							w[i] = fill
						}
						w[p] = byte(c)
						if q < len(w) {
							w[q] = c2
						}
						want := len(w)
						for i, x := range w {
							if !plainByte[x] {
								want = i
								break
							}
						}
						if got := skipPlain(w[:], 0); got != want {
							t.Fatalf("skipPlain(%q, 0) = %d, want %d", w, got, want)
						}
						// From inside the word: the tail is byte by byte.
						if want >= 5 {
							if got := skipPlain(w[:], 5); got != want {
								t.Fatalf("skipPlain(%q, 5) = %d, want %d", w, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// unpackCases are TLSA policy-string elements for the JSON-array repair:
// Microsoft's form and what is near it.
var unpackCases = []string{
	`[]`, `[ ]`, "[\n]", `["3 1 1 abc"]`, `["3 1 1 abc","2 0 1 def"]`,
	"[ \"3 1 1 abc\" ,\r\n\t\"2 0 1 def\" ]", `[""]`, `["", ""]`,
	`["a",]`, `[,"a"]`, `["a" "b"]`, `["a"]]`, `[]]`, `[["a"]]`, `["[a]"]`, `[" [a"]`,
	`["a\"b"]`, `["a\\b"]`, `["a\u0041"]`, `["ä"]`, "[\"a\x01\"]", "[\"a\x7f\"]", "[\"\xff\"]",
	`[1]`, `["a",1]`, `[null]`, `{"a":1}`, `["a"`, `[`, `]`, `["a",`, `["a"x]`,
}

// TestUnpackPlainJSONArray checks the tokenizer-free path against the
// tokenizer on the unpackCases.
func TestUnpackPlainJSONArray(t *testing.T) {
	plain := 0
	for _, in := range unpackCases {
		if samePlainUnpack(t, in) {
			plain++
		}
	}
	if plain < 8 {
		t.Errorf("only %d cases took the plain path", plain)
	}
}

// FuzzUnpackJSONArray checks the tokenizer-free path against the
// tokenizer on any element.
func FuzzUnpackJSONArray(f *testing.F) {
	for _, in := range unpackCases {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		samePlainUnpack(t, in)
	})
}

// samePlainUnpack fails t when unpackPlainJSONArray accepts the trimmed
// in and returns other strings than the tokenizer, and reports whether it
// accepted it.
func samePlainUnpack(t *testing.T, in string) bool {
	t.Helper()
	s := strings.TrimSpace(in)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	got, ok := unpackPlainJSONArray(s)
	if !ok {
		return false
	}
	want, wantOK := unpackJSONArrayTokens(s)
	if !wantOK {
		t.Fatalf("unpackPlainJSONArray(%q) = %q, the tokenizer refuses it", s, got)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("unpackPlainJSONArray(%q) (-tokenizer +plain):\n%s", s, diff)
	}
	return true
}

// TestSkipSpace checks skipSpace against a byte-by-byte scan on runs of
// JSON white space (line breaks followed by indentation of every length
// up to 20, tabs, carriage returns) ended by a token byte, a non-JSON
// space byte or the end of the input.
func TestSkipSpace(t *testing.T) {
	naive := func(b []byte, i int) int {
		for i < len(b) && isSpace[b[i]] {
			i++
		}
		return i
	}
	for _, lead := range []string{"", " ", "\n", "\r\n", "\t", ",\n"} {
		for n := 0; n <= 20; n++ {
			for _, end := range []string{"", "\"", "}", "\x0b", "\x00", "\n  x", "\t\n        \n "} {
				in := []byte(lead + "\n" + strings.Repeat(" ", n) + end)
				for start := 0; start <= len(lead); start++ {
					if got, want := skipSpace(in, start), naive(in, start); got != want {
						t.Fatalf("skipSpace(%q, %d) = %d, want %d", in, start, got, want)
					}
				}
			}
		}
	}
}
