package mime

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// WriteOptions configures Write. From and To are required; every other
// field may be left zero.
type WriteOptions struct {
	// From is the author address (RFC 5322 mailbox, display name allowed).
	// Its addr-spec must be ASCII.
	From string
	// To lists the recipients: the addresses of the mailto: rua URIs of the
	// policy domain's TLSRPT record. At least one is required.
	To []string

	// Submitter is the TLS-Report-Submitter domain. Zero means the domain
	// of the report's contact-info (report.ContactDomain: the domain of a
	// mailto: URI or bare address, the host of an https URI), as RFC 8460
	// §5.3 requires. When contact-info names no domain, Submitter must be
	// set; when both give a domain they must be equal.
	Submitter string
	// Date is the Date header. Zero means time.Now().
	Date time.Time
	// MessageID is the Message-ID, with or without angle brackets. Zero
	// means a random id at the submitter domain.
	MessageID string
	// Boundary is the MIME boundary (RFC 2046 §5.1.1: 1 to 70 characters
	// of bchars). Zero means a random boundary.
	Boundary string
	// UniqueID is the unique-id of the attachment filename (RFC 8460 §5.1:
	// letters and digits). Zero means a random one.
	UniqueID string
	// Uncompressed attaches the report as application/tlsrpt+json instead
	// of the gzip-compressed application/tlsrpt+gzip (RFC 8460 §5.3).
	Uncompressed bool
	// DKIM, when not nil, signs the message (RFC 8460 §3 requires a DKIM
	// signature on mailed reports). Nil means the message is written
	// unsigned, for a caller whose MTA signs it.
	DKIM *DKIMOptions
}

// The header fields of a written report message, in order.
const (
	fieldAutoSubmitted = "Auto-Submitted"
	fieldTLSRequired   = "TLS-Required"
	fieldReportDomain  = "TLS-Report-Domain"
	fieldSubmitter     = "TLS-Report-Submitter"
)

// Write writes r as an RFC 8460 §5.3 report message to w: a
// multipart/report (RFC 6522) with report-type "tlsrpt", a text/plain
// summary and the report as application/tlsrpt+gzip (or +json) named as
// RFC 8460 §5.1 recommends, CRLF line endings, DKIM-signed when
// opts.DKIM is set.
//
// The report must cover exactly one policy domain and its contact-info (or
// opts.Submitter) must give the submitter domain. Every value that reaches
// a header is checked first: control characters (CR, LF and NUL included)
// are rejected, non-ASCII text is RFC 2047 encoded, domains are converted
// to A-labels (or rejected when not valid host names). On any such error
// nothing is written to w; the error is a *tlsrpt.Diagnostic with Code
// CodeField whose Path names the field.
//
// The report JSON is json.Marshal(r), gzip-compressed at gzip.BestSpeed
// when it is up to 32 KiB long and at gzip.DefaultCompression when longer
// (RFC 8460 §5.3 sets no level). With Date, MessageID, Boundary and
// UniqueID set and no DKIM, the output is byte-for-byte deterministic.
func Write(w io.Writer, r *report.Report, opts *WriteOptions) error {
	if opts == nil {
		opts = &WriteOptions{}
	}
	msg, err := build(r, opts)
	if err != nil {
		return err
	}
	if opts.DKIM != nil {
		sig, err := opts.DKIM.sign(msg)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, sig); err != nil {
			return err
		}
	}
	_, err = w.Write(msg)
	return err
}

// writeBuffers caches the buffers of Write calls between calls: the
// report JSON, the gzip writers and their output buffer. gzip.NewWriter
// allocates the compressor's tables (some hundreds of KiB) per message,
// which costs far more than compressing a report; Reset reuses them. A
// sync.Pool is a cache, not state a caller can observe: each call takes
// buffers no other call holds, the writers only ever write to their own
// buffer, and release empties the buffers.
var writeBuffers = sync.Pool{New: func() any { return new(pooledWrite) }}

// pooledWrite is the reusable memory of one Write call.
type pooledWrite struct {
	json []byte       // the report JSON
	buf  bytes.Buffer // the compressed report
	fast *gzip.Writer // gzip.BestSpeed, made when first needed
	best *gzip.Writer // gzip.DefaultCompression, made when first needed
}

// maxPooledWriteBuf is the largest buffer kept in the pool.
const maxPooledWriteBuf = 256 << 10

// fastGzipMax is the largest report JSON compressed at gzip.BestSpeed;
// larger reports are compressed at gzip.DefaultCompression. Resetting a
// DefaultCompression writer clears its 640 KiB of hash chains, which
// costs more CPU than compressing a typical report of 1 to 4 KiB, while
// BestSpeed needs no clearing and compresses such a report to about 5%
// more bytes. For a large report the compression time dominates and
// DefaultCompression's smaller output is worth it.
const fastGzipMax = 32 << 10

// gzipWriter returns a gzip writer for n bytes of JSON, reset to write to
// z.buf (with the zero gzip.Header: no name, no mtime, so the output is
// deterministic).
func (z *pooledWrite) gzipWriter(n int) *gzip.Writer {
	zw := &z.best
	level := gzip.DefaultCompression
	if n <= fastGzipMax {
		zw, level = &z.fast, gzip.BestSpeed
	}
	if *zw == nil {
		*zw, _ = gzip.NewWriterLevel(&z.buf, level) // a valid level: no error
	} else {
		(*zw).Reset(&z.buf)
	}
	return *zw
}

func (z *pooledWrite) release() {
	if z.buf.Cap() > maxPooledWriteBuf || cap(z.json) > maxPooledWriteBuf {
		return
	}
	z.buf.Reset()
	z.json = z.json[:0]
	writeBuffers.Put(z)
}

// build returns the complete unsigned message.
func build(r *report.Report, opts *WriteOptions) ([]byte, error) {
	if r == nil {
		return nil, fieldError("report", "is nil", nil)
	}
	from, err := formatAddress("WriteOptions.From", opts.From)
	if err != nil {
		return nil, err
	}
	if !fieldFits("From", from) {
		return nil, fieldError("WriteOptions.From", reasonTooLongWord, nil)
	}
	if len(opts.To) == 0 {
		return nil, fieldError("WriteOptions.To", "no recipient", nil)
	}
	to := make([]string, len(opts.To))
	for i, a := range opts.To {
		field := "WriteOptions.To[" + strconv.Itoa(i) + "]"
		if to[i], err = formatAddress(field, a); err != nil {
			return nil, err
		}
		// The addresses are joined with ", ": each may start the field.
		if !fieldFits("To", to[i]+",") {
			return nil, fieldError(field, reasonTooLongWord, nil)
		}
	}
	policyDomain, err := reportPolicyDomain(r)
	if err != nil {
		return nil, err
	}
	submitter, err := reportSubmitter(r, opts.Submitter)
	if err != nil {
		return nil, err
	}
	if opts.DKIM != nil {
		if err := opts.DKIM.check(submitter); err != nil {
			return nil, err
		}
	}
	if reason := checkHeaderText(r.ReportID); reason != "" {
		return nil, fieldError("report.report-id", reason, nil)
	}
	if r.ReportID == "" {
		return nil, fieldError("report.report-id", "is empty", nil)
	}
	begin, end := r.DateRange.Start.Unix(), r.DateRange.End.Unix()
	if begin < 0 || end < begin {
		return nil, fieldError("report.date-range", "is not a range after 1970", nil)
	}

	date := opts.Date
	if date.IsZero() {
		date = time.Now()
	}
	msgID, err := messageID(opts.MessageID, submitter)
	if err != nil {
		return nil, err
	}
	boundary := opts.Boundary
	if boundary == "" {
		boundary = "tlsrpt-" + randomHex(12)
	} else if !validBoundary(boundary) {
		return nil, fieldError("WriteOptions.Boundary", "is not an RFC 2046 boundary", nil)
	}
	unique := opts.UniqueID
	if unique == "" {
		unique = randomHex(8)
	} else if !isAlnum(unique) {
		return nil, fieldError("WriteOptions.UniqueID", "must be letters and digits (RFC 8460 §5.1)", nil)
	}

	// RFC 8460 §5.1 filename.
	ext, mediaType := ".json.gz", "application/tlsrpt+gzip"
	if opts.Uncompressed {
		ext, mediaType = ".json", "application/tlsrpt+json"
	}
	filename := submitter + "!" + policyDomain + "!" + strconv.FormatInt(begin, 10) + "!" +
		strconv.FormatInt(end, 10) + "!" + unique + ext
	disposition := `attachment; filename="` + filename + `"`
	if !fieldFits("Content-Disposition", disposition) {
		// The domains are at most 253 octets each: only the unique-id
		// can make the filename parameter too long.
		return nil, fieldError("WriteOptions.UniqueID", "makes the attachment filename too long for a header line (RFC 5322 §2.1.1: 998 octets)", nil)
	}

	// The report JSON is json.Marshal(r): Report.AppendJSON writes the
	// bytes json.Marshal would (it escapes as encoding/json does, and
	// json.Marshal leaves them unchanged), without json.Marshal's
	// validating copy. The buffers stay in the pool until the message is
	// built.
	z := writeBuffers.Get().(*pooledWrite)
	defer z.release()
	data, err := r.AppendJSON(z.json[:0])
	if err != nil {
		// The canonical encoder refuses what RFC 8460 JSON cannot carry
		// (invalid UTF-8, for one); json.Marshal gives the error its usual
		// text.
		if _, merr := json.Marshal(r); merr != nil {
			err = merr
		}
		return nil, fieldError("report", "cannot be encoded: "+err.Error(), err)
	}
	z.json = data
	if !opts.Uncompressed {
		zw := z.gzipWriter(len(data))
		zw.Write(data)
		if err := zw.Close(); err != nil {
			return nil, err
		}
		data = z.buf.Bytes()
	}
	summary, summaryCTE := encodeSummary(summaryText(r, policyDomain, submitter, filename, mediaType))
	if bytes.Contains(summary, []byte("--"+boundary)) {
		return nil, fieldError("WriteOptions.Boundary", "occurs in the message body", nil)
	}

	// RFC 8460 §5.3 Subject: Report Domain: <policy domain> Submitter:
	// <submitter> Report-ID: <<report-id>>.
	subject := "Report Domain: " + policyDomain + " Submitter: " + submitter +
		" Report-ID: " + encodeText("<"+subjectReportID(r.ReportID, submitter)+">")
	if longestToken(subject) > hardLineLimit-len("Subject: ") {
		return nil, fieldError("report.report-id", "too long for a header line", nil)
	}

	var b strings.Builder
	b.Grow(2048 + len(data)*4/3)
	writeField(&b, "From", from)
	writeField(&b, "To", strings.Join(to, ", "))
	writeField(&b, "Date", date.Format(time.RFC1123Z))
	writeField(&b, "Message-ID", msgID)
	writeField(&b, "Subject", subject)
	writeField(&b, "MIME-Version", "1.0")
	// RFC 6522 §3: report-type is required; RFC 8460 §5.3 sets "tlsrpt".
	writeField(&b, "Content-Type", `multipart/report; report-type="tlsrpt"; boundary="`+boundary+`"`)
	// RFC 8460 §5.3 (these two MUST be present).
	writeField(&b, fieldReportDomain, policyDomain)
	writeField(&b, fieldSubmitter, submitter)
	// RFC 3834 §5: the message is machine-generated.
	writeField(&b, fieldAutoSubmitted, "auto-generated")
	// RFC 8689 §5: deliver even when the recipient's TLS policy cannot be
	// met (RFC 8460 §5.3.1 asks for delivery despite TLS failures).
	writeField(&b, fieldTLSRequired, "No")
	b.WriteString("\r\n")
	b.WriteString("This is a multipart message in MIME format.\r\n")

	b.WriteString("\r\n--" + boundary + "\r\n")
	charset := "us-ascii"
	if summaryCTE != "7bit" {
		charset = "utf-8"
	}
	writeField(&b, "Content-Type", "text/plain; charset="+charset)
	writeField(&b, "Content-Transfer-Encoding", summaryCTE)
	b.WriteString("\r\n")
	b.Write(summary)

	b.WriteString("\r\n--" + boundary + "\r\n")
	writeField(&b, "Content-Type", mediaType)
	writeField(&b, "Content-Disposition", disposition)
	writeField(&b, "Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	writeBase64(&b, data)
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return []byte(b.String()), nil
}

// writeBase64 writes data base64-encoded in lines of 76 characters
// (RFC 2045 §6.8), each but the last followed by CRLF.
func writeBase64(b *strings.Builder, data []byte) {
	enc := make([]byte, base64.StdEncoding.EncodedLen(len(data)))
	base64.StdEncoding.Encode(enc, data)
	for len(enc) > 76 {
		b.Write(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.Write(enc)
}

// formatAddress parses one RFC 5322 mailbox and formats it for a header,
// RFC 2047-encoding a non-ASCII display name.
func formatAddress(field, s string) (string, error) {
	if reason := checkHeaderText(s); reason != "" {
		return "", fieldError(field, reason, nil)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fieldError(field, "is not an address: "+err.Error(), err)
	}
	local, dom, ok := strings.Cut(a.Address, "@")
	if !ok || local == "" {
		return "", fieldError(field, "is not an address", nil)
	}
	if !isASCII(local) {
		return "", fieldError(field, "has a non-ASCII local part (SMTPUTF8 is not supported)", nil)
	}
	d, err := domain.ToASCII(dom)
	if err != nil {
		return "", fieldError(field, "has an invalid domain: "+err.Error(), err)
	}
	a.Address = local + "@" + d
	return a.String(), nil
}

// reportPolicyDomain returns the single policy domain of r as an A-label.
func reportPolicyDomain(r *report.Report) (string, error) {
	if len(r.Policies) == 0 {
		return "", fieldError("report.policies", "is empty: no policy domain", nil)
	}
	var first string
	for i, p := range r.Policies {
		field := "report.policies[" + strconv.Itoa(i) + "].policy.policy-domain"
		d, err := domain.ToASCII(p.Policy.Domain)
		if err != nil {
			return "", fieldError(field, "is not a domain: "+err.Error(), err)
		}
		if i == 0 {
			first = d
		} else if d != first {
			// RFC 8460 §5.3: one report message per policy domain.
			return "", fieldError(field, "differs from the first policy domain "+strconv.Quote(first)+" (one report per policy domain)", nil)
		}
	}
	return first, nil
}

// reportSubmitter returns the TLS-Report-Submitter: the domain of the
// contact-info (RFC 8460 §5.3), or explicit when given.
func reportSubmitter(r *report.Report, explicit string) (string, error) {
	if reason := checkHeaderText(explicit); reason != "" {
		return "", fieldError("WriteOptions.Submitter", reason, nil)
	}
	ci, ciErr := report.ContactDomain(r.ContactInfo)
	if explicit == "" {
		if ciErr != nil {
			return "", fieldError("report.contact-info", strings.TrimPrefix(ciErr.Error(), "report: ")+"; set WriteOptions.Submitter", ciErr)
		}
		return ci, nil
	}
	sub, err := domain.ToASCII(explicit)
	if err != nil {
		return "", fieldError("WriteOptions.Submitter", "is not a domain: "+err.Error(), err)
	}
	// An https contact-info's host may lie below the submitter domain.
	if ciErr == nil && ci != sub && (!strings.Contains(r.ContactInfo, "://") || !domain.IsSubdomainOrEqual(ci, sub)) {
		return "", fieldError("WriteOptions.Submitter", "differs from the contact-info domain "+strconv.Quote(ci)+" (RFC 8460 §5.3)", nil)
	}
	return sub, nil
}

// reasonTooLongWord is the CodeField message for an address that cannot be
// folded into lines of at most 998 octets (RFC 5322 §2.1.1).
const reasonTooLongWord = "has a word too long for a header line (RFC 5322 §2.1.1: 998 octets; a display name folds only at its spaces, an addr-spec not at all)"

// messageID returns the Message-ID header value with angle brackets.
func messageID(id, submitter string) (string, error) {
	if id == "" {
		return "<" + randomHex(16) + "@" + submitter + ">", nil
	}
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	left, right, ok := strings.Cut(id, "@")
	if !ok || left == "" || right == "" || !isMsgIDText(id) {
		return "", fieldError("WriteOptions.MessageID", "is not an RFC 5322 msg-id (id-left@id-right)", nil)
	}
	if !fieldFits("Message-ID", "<"+id+">") {
		// RFC 5322 §3.6.4: a msg-id has no whitespace to fold at.
		return "", fieldError("WriteOptions.MessageID", "is too long for a header line (RFC 5322 §2.1.1: 998 octets; a msg-id cannot be folded)", nil)
	}
	return "<" + id + ">", nil
}

// subjectReportID returns the Report-ID of the RFC 8460 §5.3 Subject for
// the report-id id. RFC 8460 §5.3 wants an RFC 5322 §3.6.4 msg-id there,
// while the report-id is free text (§4.4), so id is used as it stands
// only when it is a msg-id. Otherwise, as Google does with its report-ids,
// a msg-id is made of it: the text after the last "@" is kept as id-right
// when it is one, else the submitter domain is appended; in the id-left,
// every byte a dot-atom-text cannot hold is written =XX (hexadecimal),
// "=" itself included, as is a dot at either end or next to another dot,
// so distinct id-lefts stay distinct. The report keeps its report-id
// (RFC 8460 §5.6: the report is authoritative).
func subjectReportID(id, submitter string) string {
	if isMsgID(id) {
		return id
	}
	left, right := id, submitter
	if at := strings.LastIndexByte(id, '@'); at > 0 && isMsgID("x"+id[at:]) {
		left, right = id[:at], id[at+1:]
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(left); i++ {
		c := left[i]
		switch {
		case c != '=' && isAtext(c),
			c == '.' && i > 0 && i < len(left)-1 && left[i-1] != '.' && left[i+1] != '.':
			b.WriteByte(c)
		default:
			b.WriteByte('=')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String() + "@" + right
}

// isMsgIDText reports whether s holds only printable ASCII other than
// space, angle brackets and backslash.
func isMsgIDText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || c == '<' || c == '>' || c == '\\' || c == '"' {
			return false
		}
	}
	return true
}

// validBoundary reports whether b is an RFC 2046 §5.1.1 boundary.
func validBoundary(b string) bool {
	if len(b) == 0 || len(b) > 70 || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if isAlnumByte(c) || strings.IndexByte("'()+_,-./:=? ", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func isAlnumByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnumByte(s[i]) {
			return false
		}
	}
	return true
}

// randomHex returns 2n random hexadecimal digits.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
