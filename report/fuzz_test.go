package report

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

const fuzzMaxSize = 64 << 10

// FuzzDecode checks, for any input: decoding never panics and respects the
// size cap; a strict success implies a lenient success without warnings
// and the same report; whatever decodes re-encodes (json.Marshal equal to
// AppendJSON) to bytes the strict decoder accepts without warnings, that
// decode to an equal report and encode to identical bytes.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		data := readFixture(f, filepath.Base(file[:len(file)-len(".json")]))
		f.Add(data)
	}
	f.Add(gzipped(f, []byte(benchTypical), gzip.Header{}))
	f.Add([]byte(benchTypical))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &Decoder{MaxSize: fuzzMaxSize}
		rep, warns, err := d.Decode(bytes.NewReader(data))
		srep, swarns, serr := (&Decoder{Strict: true, MaxSize: fuzzMaxSize}).Decode(bytes.NewBuffer(bytes.Clone(data)))
		if bytes.HasPrefix(data, gzipMagic) {
			// Inflated in memory or streamed: the same result.
			r2, w2, err2 := decodeStreamed(d, data)
			sameResult(t, "gzip", rep, warns, err, r2, w2, err2)
		}
		if len(swarns) != 0 {
			t.Fatalf("strict returned warnings: %v", swarns)
		}
		if err != nil {
			if serr == nil {
				t.Fatalf("strict accepts what lenient rejects: %v", err)
			}
			return
		}
		if size := decompressedSize(data); size > fuzzMaxSize {
			t.Fatalf("decoded %d bytes past the %d cap", size, fuzzMaxSize)
		}
		if len(warns) > maxWarnings+1 {
			t.Fatalf("%d warnings", len(warns))
		}
		if serr == nil {
			if len(warns) != 0 {
				t.Fatalf("strict accepts what lenient repaired: %v", warns)
			}
			if diff := cmp.Diff(rep, srep, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Fatalf("strict and lenient differ:\n%s", diff)
			}
		} else {
			var de *tlsrpt.Diagnostic
			if len(warns) == 0 || !errors.As(serr, &de) || de.Path != warns[0].Path || de.Code != warns[0].Code {
				t.Fatalf("strict error %v does not match the first warning of %v", serr, warns)
			}
		}
		checkRoundTrip(t, rep)
	})
}

// checkRoundTrip asserts the encoding properties for a report that
// decoded.
func checkRoundTrip(t *testing.T, rep *Report) {
	t.Helper()
	enc, err := rep.AppendJSON(nil)
	if err != nil {
		t.Fatalf("decoded report does not encode: %v", err)
	}
	viaJSON, err := json.Marshal(rep)
	if err != nil || !bytes.Equal(enc, viaJSON) {
		t.Fatalf("json.Marshal differs from AppendJSON (%v):\n%s\n%s", err, enc, viaJSON)
	}
	back, w, err := (&Decoder{Strict: true}).Decode(bytes.NewReader(enc))
	if err != nil || len(w) != 0 {
		t.Fatalf("strict decoder rejects our encoding %s: %v %v", enc, err, w)
	}
	if diff := cmp.Diff(rep, back, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Fatalf("decode(encode(r)) != r for %s:\n%s", enc, diff)
	}
	again, err := back.AppendJSON(nil)
	if err != nil || !bytes.Equal(enc, again) {
		t.Fatalf("encode → decode → encode not identical (%v):\n%s\n%s", err, enc, again)
	}
}

// decompressedSize is the size of the JSON text inside data (gunzipped
// when data is gzip), counting at most 2*fuzzMaxSize bytes.
func decompressedSize(data []byte) int {
	if !bytes.HasPrefix(data, gzipMagic) {
		return len(data)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(zr, 2*fuzzMaxSize))
	return int(n)
}

// FuzzEncode builds reports from arbitrary field values: whatever encodes
// must be accepted by the strict decoder and round-trip.
func FuzzEncode(f *testing.F) {
	f.Add("Example", "tlsrpt@example.com", "r1", "sts", "version: STSv1", "example.com", "*.mx.example.com",
		"certificate-expired", "mx1.example.com", "X509_V_ERR", []byte{192, 0, 2, 1}, int64(5), int64(1714521600), int64(86399))
	f.Add("Ex <&>", "\u2028", "r/1", "TLSA", `["3 1 1 AB CD"]`, "Bücher.Example.", "mx: MX.example.com",
		"CERTIFICATE_EXPIRED", "", "\x00", []byte{0x20, 0x01, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, int64(0), int64(-5), int64(0))
	f.Fuzz(func(t *testing.T, org, contact, id, ptype, pstring, domain, mx, rt, mxhost, reason string, ip []byte, n, start, span int64) {
		a, _ := netip.AddrFromSlice(ip)
		rep := &Report{
			OrganizationName: org,
			DateRange:        DateRange{Start: time.Unix(start, 0), End: time.Unix(start, 0).Add(time.Duration(span) * time.Second)},
			ContactInfo:      contact,
			ReportID:         id,
			Policies: []PolicyResult{{
				Policy:  policy.Policy{Type: policy.Type(ptype), Strings: []string{pstring}, Domain: domain, MXHosts: []string{mx}},
				Summary: Summary{TotalSuccessfulSessionCount: n, TotalFailureSessionCount: n / 2},
				FailureDetails: []FailureDetail{{
					ResultType: ResultType(rt), SendingMTAIP: a, ReceivingMXHostname: mxhost,
					FailedSessionCount: n, FailureReasonCode: reason,
				}},
			}},
		}
		enc, err := rep.AppendJSON(nil)
		if err != nil {
			var ee *tlsrpt.Diagnostic
			if !errors.As(err, &ee) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		back, w, err := (&Decoder{Strict: true}).Decode(bytes.NewReader(enc))
		if err != nil || len(w) != 0 {
			t.Fatalf("strict decoder rejects our encoding %s: %v %v", enc, err, w)
		}
		checkRoundTrip(t, back)
	})
}
