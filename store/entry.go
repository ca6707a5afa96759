package store

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// Entry is one report to store, with what is known about its arrival.
type Entry struct {
	// Report is the decoded report. Required.
	Report *report.Report
	// Raw is the input as received: the .json or .json.gz body of an
	// HTTPS POST, the report mail, a file's bytes. It is stored
	// compressed (gzip) unless it is gzip already, and Get returns it
	// byte for byte. Nil stores nothing.
	Raw []byte
	// Diagnostics are the decoder's (and, for mail, the mail parser's)
	// findings about the input, stored in order.
	Diagnostics []report.Warning
	// Trust is the verdict on the report's authenticity. The zero value
	// stores an empty verdict: not judged.
	Trust Trust
	// Source says where the report came from, for people and filters:
	// "imap://mail.example.net/INBOX;UID=42", "maildir:/var/mail/tlsrpt",
	// "https", a file path. Stored as given.
	Source string
	// Received is when the report arrived. The zero value means the
	// Store's clock at Put (Options.Now). Stored to the microsecond, in
	// UTC.
	Received time.Time
}

// Verdict is the outcome of the trust decision on a report (RFC 8460 §3:
// a mailed report must be DKIM-signed by its submitter). Values other than
// the constants are stored verbatim.
type Verdict string

// The verdicts; the zero value "" means not judged.
const (
	// VerdictTrusted: the report is authenticated, for instance by a valid
	// DKIM signature of the reporting domain.
	VerdictTrusted Verdict = "trusted"
	// VerdictUntrusted: authentication failed or was absent; keep the
	// report for inspection, but do not count it as the reporter's word.
	VerdictUntrusted Verdict = "untrusted"
	// VerdictRetry: no verdict could be reached for now (a DNS failure
	// while fetching a DKIM key); judge again later and record the result
	// with SetTrust.
	VerdictRetry Verdict = "retry"
)

// Trust is a verdict with who reached it and why.
type Trust struct {
	// Verdict is the outcome.
	Verdict Verdict
	// By names what vouches or refused to: "dkim:google.com",
	// "authentication-results:mx.example.net", "https".
	By string
	// Reason says why, for people: "valid signature d=google.com",
	// "signature expired", "no signature".
	Reason string
}

// Duplicate says why Put did not store a report again.
type Duplicate string

// The reasons a report is a duplicate; the zero value means it was stored.
const (
	// DuplicateContent: a stored report has the same canonical JSON
	// (ContentHash): the same report, whatever the input's white space,
	// member order or compression, arriving again, by the same way or
	// another (mail and HTTPS).
	DuplicateContent Duplicate = "content"
	// DuplicateReportID: a stored report has the same organization-name
	// and report-id but different content: a re-sent or corrected
	// report. The first one stays. Reports with an empty report-id are
	// never duplicates by report-id.
	DuplicateReportID Duplicate = "report-id"
)

// PutResult says what Put did with an Entry.
type PutResult struct {
	// Key identifies the stored report: the one just stored, or the
	// earlier copy the entry duplicates. Get takes it.
	Key int64
	// Duplicate is empty when the entry was stored, and says which rule
	// matched when the entry duplicates an earlier report (Key).
	Duplicate Duplicate
}

// Stored reports whether the entry was stored (it was not a duplicate).
func (r PutResult) Stored() bool { return r.Duplicate == "" }

// String formats r as "stored 7" or "duplicate 7 (content)".
func (r PutResult) String() string {
	if r.Stored() {
		return fmt.Sprintf("stored %d", r.Key)
	}
	return fmt.Sprintf("duplicate %d (%s)", r.Key, r.Duplicate)
}

// ContentHash returns the SHA-256 of r's canonical JSON encoding
// (report.Report.MarshalJSON), the content key that de-duplicates reports:
// two inputs that decode to the same report have the same hash, whatever
// their white space, member order, escapes or compression. It fails when r
// cannot be encoded (see report's encoder).
func ContentHash(r *report.Report) ([sha256.Size]byte, error) {
	b, err := r.AppendJSON(nil)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("store: encode report: %w", err)
	}
	return sha256.Sum256(b), nil
}

// gzipPool recycles gzip writers and readers: a writer holds about 800 KB
// of state that would otherwise be allocated per report.
type gzipPool struct {
	w sync.Pool
	r sync.Pool
}

// compress appends the gzip of b to dst.
func (p *gzipPool) compress(dst, b []byte) []byte {
	buf := bytes.NewBuffer(dst)
	zw, _ := p.w.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(buf, gzip.BestSpeed)
	} else {
		zw.Reset(buf)
	}
	zw.Write(b) // writes to a bytes.Buffer do not fail
	zw.Close()
	p.w.Put(zw)
	return buf.Bytes()
}

// decompress returns the data of the gzip stream b.
func (p *gzipPool) decompress(b []byte) ([]byte, error) {
	zr, _ := p.r.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(b))
	} else {
		err = zr.Reset(bytes.NewReader(b))
	}
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(zr)
	p.r.Put(zr)
	return out, err
}

// Raw encodings of tlsrpt_report_data.raw_encoding.
const (
	rawIdentity = "identity" // raw is stored as received
	rawGzip     = "gzip"     // raw is stored gzip-compressed
)

// isGzip reports whether b starts with the gzip magic number.
func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }
