package ingest

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"
)

func benchmarkReceiver(b *testing.B, ctype string, body []byte) {
	rv := &Receiver{Handle: func(context.Context, *Received) error { return nil }}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	r := bytes.NewReader(body)
	req := httptest.NewRequest("POST", "/", r)
	req.Header.Set("Content-Type", ctype)
	for b.Loop() {
		r.Reset(body)
		w := httptest.NewRecorder()
		rv.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkReceiverGzip measures the handler path for a gzip report:
// media type, sniffing, capped read, gunzip, lenient decode, callback.
func BenchmarkReceiverGzip(b *testing.B) {
	benchmarkReceiver(b, mediaTypeGzip, gz(b, readFixture(b, "canonical.json")))
}

// BenchmarkReceiverJSON measures the handler path for an uncompressed
// report.
func BenchmarkReceiverJSON(b *testing.B) {
	benchmarkReceiver(b, mediaTypeJSON, readFixture(b, "canonical.json"))
}

// BenchmarkReceiverLargeGzip measures a report with many failure details.
func BenchmarkReceiverLargeGzip(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"organization-name":"Big","date-range":{"start-datetime":"2026-11-24T00:00:00Z","end-datetime":"2026-11-25T00:00:00Z"},"contact-info":"mailto:a@big.example","report-id":"big","policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.net"},"summary":{"total-successful-session-count":1,"total-failure-session-count":1000},"failure-details":[`)
	for i := range 1000 {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"result-type":"validation-failure","sending-mta-ip":"192.0.2.1","receiving-mx-hostname":"mx.example.net","receiving-ip":"198.51.100.`)
		buf.WriteString(string(rune('0' + i%10)))
		buf.WriteString(`","failed-session-count":1,"failure-reason-code":"x509: certificate signed by unknown authority"}`)
	}
	buf.WriteString(`]}]}`)
	benchmarkReceiver(b, mediaTypeGzip, gz(b, buf.Bytes()))
}
