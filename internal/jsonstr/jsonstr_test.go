package jsonstr

import (
	"encoding/json"
	"testing"
)

func TestAppendMatchesEncodingJSON(t *testing.T) {
	tests := []string{
		"", "plain", `quote " and \ backslash`, "ctl \x00\x01\b\f\n\r\t\x1f",
		"<html> & co", "line\u2028para\u2029", "ünïcödé ✓", "bad \xff utf-8", "\xc3",
	}
	for _, s := range tests {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := Append(nil, s)
		if string(got) != string(want) {
			t.Errorf("Append(%q) = %s, encoding/json gives %s", s, got, want)
		}
	}
}

func TestAppendReportsInvalidUTF8(t *testing.T) {
	if _, ok := Append(nil, "ok ✓"); !ok {
		t.Error("valid UTF-8 reported as invalid")
	}
	if _, ok := Append(nil, "a\xffb"); ok {
		t.Error("invalid UTF-8 not reported")
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "a<b>&c", "\x00", "\u2028", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		got, _ := Append(nil, s)
		if string(got) != string(want) {
			t.Fatalf("Append(%q) = %s, encoding/json gives %s", s, got, want)
		}
	})
}
