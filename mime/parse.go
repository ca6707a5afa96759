package mime

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/capped"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// Default limits of a zero Parser, documented on its fields.
const (
	defaultMaxMessageSize = 20 << 20
	defaultMaxParts       = 100
	defaultMaxDepth       = 8
	defaultMaxHeaderSize  = 256 << 10
	defaultMaxReportSize  = 32 << 20
)

// Parser extracts TLS reports from e-mail messages. Its zero value is
// ready to use with the documented default limits; every limit is enforced
// while reading, and exceeding one is a *tlsrpt.Diagnostic with a
// CodeLimit* code, matching ErrTooLarge.
type Parser struct {
	// MaxMessageSize caps the bytes read from the message. Zero means
	// 20 MiB.
	MaxMessageSize int64
	// MaxParts caps the number of MIME entities (the message, its body
	// parts and attached messages) and of the zip members looked at.
	// Zero means 100.
	MaxParts int
	// MaxDepth caps the nesting of multiparts and attached messages. Zero
	// means 8 levels.
	MaxDepth int
	// MaxHeaderSize caps the size of one entity's header. Zero means
	// 256 KiB.
	MaxHeaderSize int64
	// MaxReportSize caps the decompressed size of the report data: of all
	// candidate parts of the message together, so that many parts cannot
	// multiply it. It is also passed to report.Decoder as MaxSize. Zero
	// means 32 MiB.
	MaxReportSize int64
	// Strict makes Parse reject what it would otherwise tolerate: the
	// first deviation that would be a mime Warning (see the package
	// documentation's table; a missing TLS-Report-Domain or
	// TLS-Report-Submitter, a submitter that is not the contact-info
	// domain, a report outside multipart/report, ...) is a
	// *tlsrpt.Diagnostic error, and the report is decoded with
	// report.Decoder{Strict: true}, whose *tlsrpt.Diagnostic comes
	// wrapped in the part's CodeReportUndecodable *tlsrpt.Diagnostic (its
	// Err). The zero value is lenient.
	Strict bool
}

// Message is what Parse found in a mail: the reports and the header facts
// an analyzer shows. RFC 8460 §5.6: where the header and the report
// disagree the report is authoritative; Warnings say where they do.
type Message struct {
	// Reports are the decoded reports, usually one.
	Reports []*report.Report
	// Attachments describe the part each report came from, in the order
	// of Reports.
	Attachments []Attachment
	// Warnings lists every tolerated deviation: the mime ones (codes
	// Code*, paths like "mime:part[2]") and the report decoder's, passed
	// through unchanged.
	Warnings []report.Warning

	// The header facts below come from the message that carries the
	// first report: the innermost message holding it, which for a
	// forwarded report is the attached one (see CodeForwarded).

	// ReportDomain is the TLS-Report-Domain field, comments and
	// whitespace removed, lower-cased; empty when absent.
	ReportDomain string
	// Submitter is the TLS-Report-Submitter field, comments and whitespace
	// removed, lower-cased; empty when absent.
	Submitter string
	// ReportID is the Report-ID of the Subject (RFC 8460 §5.3) without its
	// angle brackets; empty when the Subject has none.
	ReportID string
	// Subject is the Subject field, unfolded and RFC 2047-decoded.
	Subject string
	// From is the From field, unfolded and RFC 2047-decoded.
	From string
	// MessageID is the Message-ID field without angle brackets.
	MessageID string
	// Date is the Date field; zero when absent or unreadable.
	Date time.Time
	// DateText is the Date field as written.
	DateText string
}

// Attachment describes the MIME part a report was found in.
type Attachment struct {
	// Path locates the part, like "mime:part[2]" or
	// "mime:part[2].message.part[2]"; "mime:message" is the message body.
	Path string
	// MediaType is the part's media type, lower-cased.
	MediaType string
	// Filename is the part's filename (Content-Disposition filename or
	// Content-Type name, RFC 2231 and RFC 2047 decoded).
	Filename string
	// Compression is how the report was packed: "gzip", "zip" or "".
	Compression string
}

// Parse extracts the TLS reports from the message read from r with a zero
// Parser: see (*Parser).Parse.
func Parse(r io.Reader) (*Message, error) {
	return new(Parser).Parse(r)
}

// errMessageCap is the sentinel the capped reader returns.
var errMessageCap = errors.New("mime: message size cap")

// Parse reads a message from r and extracts its TLS reports.
//
// It looks for the report by media type (application/tlsrpt+gzip,
// application/tlsrpt+json, application/tlsrpt), then in parts with a
// generic media type (application/gzip, application/json, application/zip,
// application/octet-stream) or a report filename (.json.gz, .json, .zip),
// then by content (gzip or zip magic, a JSON object naming TLSRPT
// members), descending through nested multiparts and attached
// message/rfc822 messages (but not into the returned message of a
// delivery status notification or other non-tlsrpt multipart/report).
// Reports are decoded with a lenient report.Decoder. Every tolerated
// deviation is a Warning.
//
// Errors: ErrNoReport when the message holds no TLS report; a
// *tlsrpt.Diagnostic with a CodeLimit* code (matching ErrTooLarge) when a
// limit was exceeded; a *tlsrpt.Diagnostic with Code CodeReportUndecodable,
// whose Err is the cause, when a part labelled as a TLS report cannot be
// decoded; with Strict, a
// *tlsrpt.Diagnostic for the first tolerated deviation; the reader's
// error.
func (p *Parser) Parse(r io.Reader) (*Message, error) {
	s := p.newState()
	data, err := readMessage(r, s.maxMessage)
	if errors.Is(err, errMessageCap) {
		return nil, limitError(CodeLimitMessageSize, "message size", s.maxMessage, "mime:message", nil)
	}
	if err != nil {
		return nil, err
	}
	return s.parse(data)
}

// readMessage reads all of r, failing with errMessageCap after max
// bytes. When r tells its length (a *bytes.Reader, *bytes.Buffer or
// *strings.Reader), the buffer is allocated once at that size (never
// more than max+1), instead of growing from 512 bytes.
func readMessage(r io.Reader, max int64) ([]byte, error) {
	size := int64(512)
	if l, ok := r.(interface{ Len() int }); ok {
		size = min(int64(l.Len()), max) + 1 // +1: the read that returns io.EOF
	}
	return readAll(capped.NewReader(r, max, errMessageCap), make([]byte, 0, size))
}

// readAll is io.ReadAll appending to buf.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return buf, err
		}
	}
}

// newState returns the bookkeeping of one Parse call with p's limits.
func (p *Parser) newState() *state {
	return &state{
		maxMessage: orDefault(p.MaxMessageSize, defaultMaxMessageSize),
		maxParts:   int(orDefault(int64(p.MaxParts), defaultMaxParts)),
		maxDepth:   int(orDefault(int64(p.MaxDepth), defaultMaxDepth)),
		maxHeader:  orDefault(p.MaxHeaderSize, defaultMaxHeaderSize),
		maxReport:  orDefault(p.MaxReportSize, defaultMaxReportSize),
		strict:     p.Strict,
	}
}

func orDefault(v, def int64) int64 {
	if v <= 0 {
		return def
	}
	return v
}

// state is one Parse call's bookkeeping.
type state struct {
	maxMessage, maxHeader, maxReport int64
	spent                            int64 // decompressed report bytes so far
	maxParts, maxDepth               int
	strict                           bool

	parts    int
	warnings []report.Warning
	leaves   []*leaf
	top      *msgInfo // the message itself
}

// warn records a mime warning.
func (s *state) warn(path string, code tlsrpt.Code, msg string) {
	s.warnings = append(s.warnings, warningAt(path, code, msg))
}

// leaf is a non-multipart, non-message entity.
type leaf struct {
	path      string
	mediaType string
	filename  string
	cte       string // Content-Transfer-Encoding
	body      []byte // as written
	decoded   bool
	content   []byte // transfer-decoded, once decoded
	msg       *msgInfo
	inReport  bool // directly inside a multipart/report; report-type=tlsrpt
	warnings  []report.Warning
}

// msgInfo is the message (the top one or an attached one) that encloses
// a leaf: the innermost one, whose header and signatures speak for it.
type msgInfo struct {
	path   string // "mime:message", or the attached message's, like "mime:part[2].message"
	header header
	raw    []byte // the whole message, header and body (transfer-decoded when attached)
}

func (s *state) parse(data []byte) (*Message, error) {
	if bytes.IndexByte(data, '\n') >= 0 && !bytes.Contains(data, []byte("\r\n")) {
		s.warn("mime:message", CodeBareLF, "message uses LF line ends, not CRLF (RFC 5322 §2.1)")
	}
	if err := s.message(data, "mime:message", 0); err != nil {
		return nil, err
	}
	return s.extract()
}

// childPath returns the path of the i-th (1-based) body part of path.
func childPath(path string, i int) string {
	if path == "mime:message" {
		return "mime:part[" + strconv.Itoa(i) + "]"
	}
	return path + ".part[" + strconv.Itoa(i) + "]"
}

// message walks a complete message (header and body).
func (s *state) message(data []byte, path string, depth int) error {
	h, body, err := s.parseHeader(data, path)
	if err != nil {
		return err
	}
	info := &msgInfo{path: path, header: h, raw: data}
	if depth == 0 {
		s.top = info
	}
	return s.entity(h, body, path, depth, info, false, false)
}

// entity walks one MIME entity whose header was parsed.
func (s *state) entity(h header, body []byte, path string, depth int, info *msgInfo, inReport, inDigest bool) error {
	s.parts++
	if s.parts > s.maxParts {
		return limitError(CodeLimitParts, "parts", int64(s.maxParts), path, nil)
	}
	if depth > s.maxDepth {
		return limitError(CodeLimitDepth, "depth", int64(s.maxDepth), path, nil)
	}
	ctv, _ := h.get("Content-Type")
	mt, params := s.mediaType(ctv, path, "Content-Type")
	if mt == "" || !strings.Contains(mt, "/") {
		// RFC 2045 §5.2 default (RFC 2046 §5.1.5 in a digest).
		mt = "text/plain"
		if inDigest {
			mt = "message/rfc822"
		}
	}
	cte, _ := h.get("Content-Transfer-Encoding")
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		boundary := params["boundary"]
		var parts [][]byte
		found, closed := false, false
		if boundary != "" {
			// The part cap bounds the split: the entity loop below
			// fails at part maxParts+1.
			parts, found, closed = splitMultipart(body, boundary, max(s.maxParts-s.parts, 0))
		}
		if !found {
			s.warn(path, CodeNoBoundary, "multipart without a usable boundary; body read as one part")
			return s.leaf(h, "application/octet-stream", nil, cte, body, path, info, inReport)
		}
		if !closed {
			s.warn(path, CodeMissingClosingBoundary, "multipart ends without its close delimiter (RFC 2046 §5.1.1)")
		}
		isReport := mt == "multipart/report"
		tlsrpt := isReport && strings.EqualFold(params["report-type"], "tlsrpt")
		for i, part := range parts {
			cp := childPath(path, i+1)
			ph, pbody, err := s.parseHeader(part, cp)
			if err != nil {
				return err
			}
			if isReport && !tlsrpt {
				// A DSN, MDN or feedback report: an attached message is the
				// returned original, not a report delivery.
				if pt, _ := ph.get("Content-Type"); strings.HasPrefix(strings.ToLower(strings.TrimSpace(pt)), "message/") ||
					strings.HasPrefix(strings.ToLower(strings.TrimSpace(pt)), "text/rfc822-headers") {
					if s.parts++; s.parts > s.maxParts {
						return limitError(CodeLimitParts, "parts", int64(s.maxParts), cp, nil)
					}
					continue
				}
			}
			if err := s.entity(ph, pbody, cp, depth+1, info, tlsrpt, mt == "multipart/digest"); err != nil {
				return err
			}
		}
		return nil
	case mt == "message/rfc822" || mt == "message/global":
		inner := s.decodeTransfer(cte, body, path)
		return s.message(inner, path+".message", depth+1)
	default:
		return s.leaf(h, mt, params, cte, body, path, info, inReport)
	}
}

// leaf records a leaf entity for extraction.
func (s *state) leaf(h header, mt string, ctParams map[string]string, cte string, body []byte, path string, info *msgInfo, inReport bool) error {
	filename := ""
	if cd, ok := h.get("Content-Disposition"); ok {
		_, dp := s.mediaType(cd, path, "Content-Disposition")
		filename = dp["filename"]
	}
	if filename == "" {
		filename = ctParams["name"]
	}
	filename = decodeWords(filename)
	s.leaves = append(s.leaves, &leaf{
		path: path, mediaType: mt, filename: strings.TrimSpace(filename),
		cte: cte, body: body, msg: info, inReport: inReport,
	})
	return nil
}

// content returns the leaf's transfer-decoded content, decoding it once;
// the decoding warnings are kept with the leaf until it is chosen.
func (s *state) content(l *leaf) []byte {
	if !l.decoded {
		saved := s.warnings
		s.warnings = nil
		l.content = s.decodeTransfer(l.cte, l.body, l.path)
		l.warnings, s.warnings = s.warnings, saved
		l.decoded = true
	}
	return l.content
}
