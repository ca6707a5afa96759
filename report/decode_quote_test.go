package report

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestAppendQuote checks appendQuote against strconv.AppendQuote: every
// byte alone and inside plain text, and random strings of bytes drawn
// mostly from printable ASCII.
func TestAppendQuote(t *testing.T) {
	check := func(s string) {
		t.Helper()
		if got, want := string(appendQuote([]byte("x"), s)), string(strconv.AppendQuote([]byte("x"), s)); got != want {
			t.Fatalf("appendQuote(%q) = %s, want %s", s, got, want)
		}
	}
	check("")
	for c := range 256 {
		check(string(rune(c)))
		check(string([]byte{byte(c)}))
		check("mx1.example.com" + string([]byte{byte(c)}) + "2001:db8::1")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		b := make([]byte, r.IntN(80))
		for i := range b {
			if r.IntN(8) == 0 {
				b[i] = byte(r.IntN(256))
			} else {
				b[i] = byte(' ' + r.IntN(95))
			}
		}
		check(string(b))
	}
}
