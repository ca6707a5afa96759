package report

import (
	"bytes"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// TestLocalValue checks that localValue splits validated JSON into the same
// values as the tokenizer.
func TestLocalValue(t *testing.T) {
	tests := []string{
		`{"a":"x\"y\\","b":[1,{"c":"]}\""}],"d":-1.5e+10,"e":true,"f":false,"g":null,"h":{}}`,
		`{ "a" : "\\\\" , "b" :[ ] , "c":"\u005d" }`,
		"{\n\t\"result-type\": \"x\",\r\n\"n\": 0}",
		`{"nested":[[[["[","{"]]]],"s":"\\\""}`,
	}
	for _, in := range tests {
		dec := jsontext.NewDecoder(bytes.NewBufferString(in))
		if _, err := dec.ReadToken(); err != nil {
			t.Fatal(err)
		}
		l := localValue{buf: []byte(in)}
		l.skipSpace()
		l.pos++ // '{'
		for dec.PeekKind() != '}' {
			if k := l.peek(); k != dec.PeekKind() {
				t.Fatalf("%s: kind %v, tokenizer %v", in, k, dec.PeekKind())
			}
			want, err := dec.ReadValue()
			if err != nil {
				t.Fatal(err)
			}
			if got := l.value(); !bytes.Equal(got, want) {
				t.Fatalf("%s: got %s, want %s", in, got, want)
			}
		}
		if l.peek() != '}' {
			t.Errorf("%s: local not at the end: %q", in, l.buf[l.pos:])
		}
	}
}
