package testmail

import (
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
)

func TestReportMailParts(t *testing.T) {
	type rep struct {
		ID string `json:"report-id"`
	}
	msg := ReportMail(t, "sender.example", rep{"a"}, rep{"b"})
	if strings.Contains(strings.ReplaceAll(msg, "\r\n", ""), "\n") {
		t.Error("a line ends in a bare LF")
	}
	m, err := mail.ReadMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{
		"TLS-Report-Submitter": "sender.example",
		"TLS-Report-Domain":    "example.net",
		"From":                 "TLS reports <tlsrpt@sender.example>",
	} {
		if got := m.Header.Get(field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "tlsrpt" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var types, ids []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, p.Header.Get("Content-Type"))
		if p.Header.Get("Content-Type") == "application/tlsrpt+json" {
			var r rep
			if err := json.NewDecoder(p).Decode(&r); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
	}
	if got := strings.Join(types, ","); got != "text/plain,application/tlsrpt+json,application/tlsrpt+json" {
		t.Errorf("parts %s", got)
	}
	if got := strings.Join(ids, ","); got != "a,b" {
		t.Errorf("reports %s, want a,b in order", got)
	}
	if again := ReportMail(t, "sender.example", rep{"a"}, rep{"b"}); again != msg {
		t.Error("two calls gave different bytes")
	}
}
