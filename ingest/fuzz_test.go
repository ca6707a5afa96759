package ingest

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mboxSeeds are the messages of the mbox unit tests, joined by NUL (the
// fuzz input's message separator).
var mboxSeeds = []string{
	"From: a@example.net\nSubject: one\n\nbody\nFrom the start, quoted.\n>From already quoted\n",
	"From: b@example.net\r\nSubject: two CRLF\r\n\r\nline\r\n\r\nFrom here\r\n\x00Subject: x\n\nlast",
	"From: c@example.net\nSubject: three\n\n\n\n\x00\x00",
	">>From \n\nFrom \n\x00\r\n\r\n",
	"a\r\x00\n\r",
}

// expectedFromMbox is what reading m back from mboxrd(m) gives: m with a
// line end added when it has none (the writer's choice of line end).
func expectedFromMbox(m string) string {
	if strings.HasSuffix(m, "\n") {
		return m
	}
	if strings.Contains(m, "\r\n") {
		return m + "\r\n"
	}
	return m + "\n"
}

// FuzzMbox checks the mbox splitter: messages written as mboxrd read
// back as written (round trip), and any input splits without a panic
// into items that respect the size cap and hold no more bytes than the
// input.
func FuzzMbox(f *testing.F) {
	for _, s := range mboxSeeds {
		f.Add([]byte(s))
	}
	f.Add(mboxrd("Subject: a\n\nFrom me\n", "Subject: b\n\n>From you\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Round trip.
		msgs := strings.Split(string(data), "\x00")
		var want []string
		for _, m := range msgs {
			want = append(want, expectedFromMbox(m))
		}
		var got []string
		for _, it := range readAll(t, &Mbox{R: bytes.NewReader(mboxrd(msgs...))}) {
			got = append(got, string(it.Data))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round trip of %q (-want +got):\n%s", msgs, diff)
		}
		// Any input as an mbox file.
		const cap = 64
		total := 0
		for _, it := range readAll(t, &Mbox{R: bytes.NewReader(data), MaxMessageSize: cap}) {
			if it.Err == nil && len(it.Data) > cap || it.Err != nil && it.Data != nil {
				t.Fatalf("item %s: %d bytes, err %v", it.ID, len(it.Data), it.Err)
			}
			total += len(it.Data)
		}
		if total > len(data) {
			t.Fatalf("%d bytes out of %d in", total, len(data))
		}
	})
}

// FuzzRead checks the sniffer and the whole reading of one input: every
// input gets one fate, its Format is what sniff says, errors come with
// the fates that have one, and the Stats of it add up. DKIM is off (no
// DNS); Authentication-Results are parsed.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"organization-name":"x","policies":[]}`))
	f.Add([]byte("\xef\xbb\xbf  {\"report-id\":\"1\"}"))
	f.Add([]byte(dmarcXML))
	f.Add([]byte(newsletterMail))
	f.Add([]byte(dmarcFailureMail))
	f.Add([]byte("From x\nSubject: y\n\nz"))
	f.Add([]byte("PK\x03\x04garbage"))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Add([]byte("Authentication-Results: mx.example.net; dkim=pass (c; d) header.d=google.com\r\n" +
		"TLS-Report-Submitter: google.com\r\nContent-Type: application/tlsrpt+json\r\n\r\n{\"policies\":[]}"))
	rd := &Reader{NoDKIM: true, TrustedAuthServIDs: []string{"mx.example.net"}, MaxMessageSize: 1 << 20, MaxReportSize: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		res := rd.Read(context.Background(), bytes.NewReader(data))
		if res.Format != sniff(data) {
			t.Fatalf("format %s, sniff %s", res.Format, sniff(data))
		}
		switch res.Fate {
		case FateReport:
			if len(res.Reports) == 0 || res.Err != nil {
				t.Fatalf("report fate with %d reports, err %v", len(res.Reports), res.Err)
			}
		case FateNotReport:
			if res.Kind == "" || res.Err != nil {
				t.Fatalf("not-report without kind or with err %v", res.Err)
			}
		case FateTooLarge, FateMalformed, FateUnreadable:
			if res.Err == nil {
				t.Fatalf("fate %s without err", res.Fate)
			}
		default:
			t.Fatalf("no fate")
		}
		for _, r := range res.Reports {
			if r.Trust.Verdict == "" || r.Report == nil {
				t.Fatalf("report without verdict or report")
			}
		}
		var st Stats
		st.Add(res)
		if err := st.Check(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzReceiver checks that any request gets one of the documented
// statuses and that Handle is called exactly for the 200s.
func FuzzReceiver(f *testing.F) {
	canonical := readFixture(f, "canonical.json")
	f.Add(mediaTypeJSON, "", canonical)
	f.Add(mediaTypeGzip, "", gz(f, canonical))
	f.Add(mediaTypeJSON, "gzip", gz(f, canonical))
	f.Add("", "", readFixture(f, "bom-mxhost-string.json"))
	f.Add("application/json", "", readFixture(f, "no-z-datetime.json"))
	f.Add(mediaTypeGzip, "", gz(f, readFixture(f, "null-contact-empty-arrays.json")))
	f.Add("text/html", "", []byte("<html>"))
	f.Add(mediaTypeGzip, "", gz(f, canonical)[:30])
	f.Add(mediaTypeJSON, "br", []byte("{}"))
	f.Add("application/tlsrpt; x=\"", "", []byte(`{"organization-name":1}`))
	// White space past the sniff buffer (TestReceiverLeadingWhiteSpace).
	f.Add(mediaTypeJSON, "", append(bytes.Repeat([]byte(" \t\r\n"), 2<<10), canonical...))
	f.Add("", "", append(append([]byte("\xef\xbb\xbf"), bytes.Repeat([]byte("\n"), 600)...), canonical...))
	f.Add(mediaTypeJSON, "", bytes.Repeat([]byte(" "), 70<<10))
	allowed := map[int]bool{200: true, 400: true, 408: true, 413: true, 415: true}
	f.Fuzz(func(t *testing.T, ctype, encoding string, body []byte) {
		called := 0
		rv := &Receiver{MaxBodySize: 64 << 10, MaxReportSize: 256 << 10, Handle: func(_ context.Context, r *Received) error {
			called++
			if r.Report == nil {
				t.Fatal("Handle called without a report")
			}
			if r.Size != int64(len(body)) {
				t.Fatalf("Size %d, body %d bytes", r.Size, len(body))
			}
			return nil
		}}
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Content-Encoding", encoding)
		w := httptest.NewRecorder()
		rv.ServeHTTP(w, req)
		if !allowed[w.Code] {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if (w.Code == 200) != (called == 1) || called > 1 {
			t.Fatalf("status %d but Handle called %d times", w.Code, called)
		}
	})
}
