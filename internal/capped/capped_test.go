package capped

import (
	"errors"
	"io"
	"strings"
	"testing"
)

var errBig = errors.New("too big")

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		cap     int64
		wantErr bool
	}{
		{name: "under", in: "abc", cap: 4},
		{name: "exact", in: "abcd", cap: 4},
		{name: "over", in: "abcde", cap: 4, wantErr: true},
		{name: "zero cap empty", in: "", cap: 0},
		{name: "zero cap data", in: "a", cap: 0, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := io.ReadAll(NewReader(strings.NewReader(tt.in), tt.cap, errBig))
			if tt.wantErr {
				if !errors.Is(err, errBig) {
					t.Fatalf("err = %v, want errBig", err)
				}
				if int64(len(got)) > tt.cap {
					t.Fatalf("read %d bytes past cap %d", len(got), tt.cap)
				}
				return
			}
			if err != nil || string(got) != tt.in {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}
