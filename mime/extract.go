package mime

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/capped"
	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/internal/inflate"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// errReportCap is the sentinel the decompression cap returns.
var errReportCap = errors.New("mime: report size cap")

// How a report part was identified.
const (
	byMediaType = iota
	byGenericType
	byFilename
	bySniffing
)

// candidate is a leaf chosen to hold a report.
type candidate struct {
	l           *leaf
	json        []byte
	compression string
	how         int // byMediaType, byGenericType, byFilename or bySniffing
	warnings    []report.Warning
}

// isTLSRPTType reports whether mt is one of the report media types
// (RFC 8460 §6.4, §6.5) or the bare application/tlsrpt some send.
func isTLSRPTType(mt string) bool {
	return mt == "application/tlsrpt+gzip" || mt == "application/tlsrpt+json" || mt == "application/tlsrpt"
}

// isGenericType reports whether mt is a media type a report may come in
// when the sender does not use the registered ones.
func isGenericType(mt string) bool {
	switch mt {
	case "application/gzip", "application/x-gzip", "application/json", "application/zip",
		"application/x-zip-compressed", "application/x-zip", "application/octet-stream":
		return true
	}
	return false
}

// reportExtension returns the report file extension of name: ".json.gz",
// ".json", ".zip" or "".
func reportExtension(name string) string {
	n := strings.ToLower(name)
	for _, ext := range []string{".json.gz", ".json", ".zip"} {
		if strings.HasSuffix(n, ext) {
			return ext
		}
	}
	return ""
}

// sniff classifies content by its first bytes.
func sniff(c []byte) string {
	switch {
	case bytes.HasPrefix(c, []byte{0x1f, 0x8b}):
		return "gzip"
	case bytes.HasPrefix(c, []byte("PK\x03\x04")):
		return "zip"
	}
	c = bytes.TrimPrefix(bytes.TrimLeft(c, " \t\r\n"), []byte("\xef\xbb\xbf"))
	if len(bytes.TrimLeft(c, " \t\r\n")) > 0 && bytes.TrimLeft(c, " \t\r\n")[0] == '{' {
		return "json"
	}
	return ""
}

// looksBase64 reports whether c consists of base64 lines only.
func looksBase64(c []byte) bool {
	c = bytes.TrimSpace(c)
	if len(c) < 16 {
		return false
	}
	for _, b := range c {
		if !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' ||
			b == '+' || b == '/' || b == '=' || b == '\r' || b == '\n') {
			return false
		}
	}
	return true
}

// looksLikeReport reports whether JSON text names members of an RFC 8460
// report; used for parts not labelled as reports.
func looksLikeReport(j []byte) bool {
	return bytes.Contains(j, []byte(`"policies"`)) ||
		bytes.Contains(j, []byte(`"report-id"`)) && bytes.Contains(j, []byte(`"date-range"`))
}

// extract chooses the report parts among the leaves, decodes them and
// collects the header facts.
func (s *state) extract() (*Message, error) {
	chosen, err := s.choose()
	if err != nil {
		return nil, err
	}
	m := &Message{Warnings: s.warnings}
	for _, c := range chosen {
		l := c.l
		dec := report.Decoder{MaxSize: s.maxReport, Strict: s.strict}
		// A *bytes.Buffer is decoded in place, without a copy.
		rep, warns, err := dec.Decode(bytes.NewBuffer(c.json))
		if errors.Is(err, report.ErrTooLarge) {
			return nil, limitError(CodeLimitReportSize, "report size", s.maxReport, l.path, err)
		}
		if err != nil {
			return nil, partError(l.path, err)
		}
		switch {
		case c.how == byGenericType:
			m.warn(l.path, CodeGenericMediaType, "report found in a part of media type "+l.mediaType)
		case c.how == byFilename:
			m.warn(l.path, CodeFoundByFilename, "report found by filename "+quoteTrunc(l.filename)+" in a part of media type "+l.mediaType)
		case c.how == bySniffing:
			m.warn(l.path, CodeFoundBySniffing, "report found by content in a part of media type "+l.mediaType)
		case l.mediaType == "application/tlsrpt":
			// QUIRK(RFC 8460 §5.3.1 example as re-typed by Stalwart):
			// "application/tlsrpt" without a suffix.
			m.warn(l.path, CodeMediaType, "media type application/tlsrpt is not registered; +json or +gzip expected")
		}
		if !l.inReport {
			m.warn(l.path, CodeNotMultipartReport, "report is not in a multipart/report with report-type tlsrpt (RFC 8460 §5.3)")
		}
		s.checkHuman(m, l)
		checkFilename(m, l, rep)
		m.Warnings = append(m.Warnings, l.warnings...)
		m.Warnings = append(m.Warnings, c.warnings...)
		m.Warnings = append(m.Warnings, warns...)
		m.Reports = append(m.Reports, rep)
		m.Attachments = append(m.Attachments, Attachment{Path: l.path, MediaType: l.mediaType, Filename: l.filename, Compression: c.compression})
	}
	// The header facts come from the message carrying the first report;
	// the header of every other carrying message is checked too.
	for i, info := range carriers(chosen) {
		if info != s.top {
			// RFC 8460 §3: only a signature on the message that carries a
			// report vouches for it, and Verify checks the attached
			// message's own signatures; a receiver that checks the
			// outer mail's (its MTA, an Authentication-Results field)
			// must not take them for the report's.
			m.warn(info.path, CodeForwarded, "report is carried by the attached message "+info.path+", not by the mail itself: only a valid DKIM signature of that message by its TLS-Report-Submitter domain vouches for it (RFC 8460 §3), never the outer mail's")
		}
		if i == 0 {
			m.facts(info)
			continue
		}
		other := &Message{}
		other.facts(info)
		m.Warnings = append(m.Warnings, other.Warnings...)
	}
	for i, c := range chosen {
		m.checkHeader(i, c.l.path, c.l.msg, m.Reports[i])
	}
	// A strict Parser decodes reports strictly, so every warning here is
	// a deviation of the mail itself.
	if s.strict && len(m.Warnings) > 0 {
		d := m.Warnings[0]
		d.Severity = tlsrpt.SeverityError
		return nil, &d
	}
	return m, nil
}

// carriers returns the messages carrying the chosen reports, each once,
// in the order of the reports.
func carriers(chosen []*candidate) []*msgInfo {
	var ms []*msgInfo
	for _, c := range chosen {
		if !slices.Contains(ms, c.l.msg) {
			ms = append(ms, c.l.msg)
		}
	}
	return ms
}

// choose picks the report parts among the leaves, by media type, then
// by generic media type or filename, then by content, and prepares
// (unpacks) them. Parse and Verify both rely on it, so that Verify checks
// the signatures of the message Parse takes the reports from.
func (s *state) choose() ([]*candidate, error) {
	var chosen []*candidate
	// Tier 1: the registered media types. A failure here is an error.
	for _, l := range s.leaves {
		if isTLSRPTType(l.mediaType) {
			c, err := s.prepare(l)
			if err != nil {
				return nil, err
			}
			chosen = append(chosen, c)
		}
	}
	// Tier 2: a generic media type, or a report filename.
	if len(chosen) == 0 {
		for _, l := range s.leaves {
			ext := reportExtension(l.filename)
			generic := isGenericType(l.mediaType) && (l.filename == "" || ext != "" || strings.Contains(l.filename, "!"))
			if !generic && ext == "" {
				continue
			}
			c, err := s.prepare(l)
			if err != nil {
				// A part named as RFC 8460 §5.1 prescribes is a report
				// that cannot be read; any other part is just not one.
				if _, named := filenameFields(l.filename); named || isLimit(err) {
					return nil, err
				}
				continue
			}
			if looksLikeReport(c.json) {
				c.how = byFilename
				if isGenericType(l.mediaType) {
					c.how = byGenericType
				}
				chosen = append(chosen, c)
			}
		}
	}
	// Tier 3: content sniffing.
	if len(chosen) == 0 {
		for _, l := range s.leaves {
			if sniff(s.content(l)) == "" {
				continue
			}
			c, err := s.prepare(l)
			if err != nil {
				if isLimit(err) {
					return nil, err
				}
				continue
			}
			if looksLikeReport(c.json) {
				c.how = bySniffing
				chosen = append(chosen, c)
			}
		}
	}
	if len(chosen) == 0 {
		return nil, ErrNoReport
	}
	return chosen, nil
}

// warn records a warning in the message.
func (m *Message) warn(path string, code tlsrpt.Code, msg string) {
	m.Warnings = append(m.Warnings, warningAt(path, code, msg))
}

// parentPath returns the path of the multipart holding path.
func parentPath(path string) string {
	if i := strings.LastIndex(path, ".part["); i >= 0 {
		return path[:i]
	}
	if strings.HasPrefix(path, "mime:part[") {
		return "mime:message"
	}
	return ""
}

// checkHuman warns when the report's sibling human-readable part is
// text/html without a text/plain alternative.
func (s *state) checkHuman(m *Message, l *leaf) {
	parent := parentPath(l.path)
	html, plain := "", false
	for _, o := range s.leaves {
		if o == l || parentPath(o.path) != parent {
			continue
		}
		switch o.mediaType {
		case "text/html":
			if html == "" {
				html = o.path
			}
		case "text/plain":
			plain = true
		}
	}
	if html != "" && !plain {
		// QUIRK(Microsoft): the human-readable part is text/html.
		m.warn(html, CodeHTMLPart, "human-readable part is text/html, not text/plain")
	}
}

// filenameFields splits an RFC 8460 §5.1 filename into sender,
// policy-domain, begin and end; ok is false when name lacks that shape.
func filenameFields(name string) (f []string, ok bool) {
	base, ok := strings.CutSuffix(name, ".json.gz")
	if !ok {
		if base, ok = strings.CutSuffix(name, ".json"); !ok {
			return nil, false
		}
	}
	f = strings.Split(base, "!")
	if len(f) != 4 && len(f) != 5 {
		return nil, false
	}
	if f[0] == "" || f[1] == "" || !isDigits(f[2]) || !isDigits(f[3]) {
		return nil, false
	}
	return f[:4], len(f) == 4 || isAlnum(f[4])
}

// checkFilename warns when the attachment filename lacks the RFC 8460 §5.1
// shape or disagrees with the report.
func checkFilename(m *Message, l *leaf, rep *report.Report) {
	if l.filename == "" {
		return
	}
	f, ok := filenameFields(l.filename)
	if !ok {
		m.warn(l.path, CodeFilename, "filename "+quoteTrunc(l.filename)+" is not submitter!policy-domain!begin!end[!unique-id].json[.gz] (RFC 8460 §5.1)")
		return
	}
	domainOK := len(rep.Policies) == 0
	for _, p := range rep.Policies {
		if d, err := domain.ToASCII(p.Policy.Domain); err == nil && d == strings.ToLower(f[1]) {
			domainOK = true
		}
	}
	begin, end := strconv.FormatInt(rep.DateRange.Start.Unix(), 10), strconv.FormatInt(rep.DateRange.End.Unix(), 10)
	if !domainOK || f[2] != begin || f[3] != end {
		m.warn(l.path, CodeFilenameMismatch, "filename "+quoteTrunc(l.filename)+" does not match the report's policy domain and date-range "+begin+"!"+end+" (the report is authoritative, RFC 8460 §5.6)")
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// prepare decodes, unpacks and checks one leaf, returning its JSON.
func (s *state) prepare(l *leaf) (*candidate, error) {
	c := &candidate{l: l}
	content := s.content(l)
	kind := sniff(content)
	if kind == "" && l.cte == "" && looksBase64(content) {
		// QUIRK: base64 content without a Content-Transfer-Encoding
		// field (RFC 2045 §6.1 default is 7bit).
		saved := s.warnings
		s.warnings = nil
		decoded := s.decodeBase64(content, l.path)
		if k := sniff(decoded); k != "" {
			c.warnings = append(c.warnings, s.warnings...)
			c.warn(l.path, CodeMissingTransferEncoding, "base64 content without Content-Transfer-Encoding: base64")
			content, kind = decoded, k
		}
		s.warnings = saved
	}
	gzLabel := l.mediaType == "application/tlsrpt+gzip" || strings.HasSuffix(strings.ToLower(l.filename), ".gz")
	var err error
	switch kind {
	case "gzip":
		c.compression = "gzip"
		if l.mediaType == "application/tlsrpt+json" {
			c.warn(l.path, CodeJSONLabelOnGzip, "part labelled application/tlsrpt+json holds gzip data")
		}
		c.json, err = s.gunzip(c, content)
	case "zip":
		c.compression = "zip"
		// QUIRK(DMARC habit): the report zipped like a DMARC aggregate.
		c.warn(l.path, CodeZipArchive, "report is in a zip archive, not gzip (RFC 8460 §5.3)")
		c.json, err = s.unzip(c, content)
	case "json":
		if gzLabel {
			c.warn(l.path, CodeGzipLabelOnJSON, "part labelled as gzip holds plain JSON")
		}
		c.json = content
		err = s.spend(l.path, int64(len(content)))
	default:
		err = partError(l.path, errors.New("content is neither gzip, zip nor JSON"))
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (c *candidate) warn(path string, code tlsrpt.Code, msg string) {
	c.warnings = append(c.warnings, warningAt(path, code, msg))
}

// gunzip decompresses data within the report size limit.
//
// A valid gzip file is inflated in memory by internal/inflate; anything
// else (damaged, trailing bytes, over the budget) goes through
// compress/gzip as before, which gives this package's warnings and
// errors: internal/inflate accepts only what compress/gzip accepts, with
// the same output.
func (s *state) gunzip(c *candidate, data []byte) ([]byte, error) {
	z := gunzippers.Get().(*pooledGunzip)
	defer z.release()
	budget := s.maxReport - s.spent
	if budget <= math.MaxInt32 {
		out, err := z.inflater.AppendGzip(make([]byte, 0, gunzipSizeHint(data, budget)), data, int(budget))
		if err == nil {
			if err := s.spend(c.l.path, int64(len(out))); err != nil {
				return nil, err
			}
			return out, nil
		}
	}
	z.src.Reset(data)
	if err := z.zr.Reset(&z.src); err != nil {
		return nil, partError(c.l.path, err)
	}
	out, err := readAll(capped.NewReader(&z.zr, budget, errReportCap), make([]byte, 0, gunzipSizeHint(data, budget)))
	if err := s.spend(c.l.path, int64(len(out))); err != nil {
		return nil, err
	}
	switch {
	case errors.Is(err, errReportCap):
		return nil, s.overBudget(c.l.path)
	case errors.Is(err, gzip.ErrHeader) && len(out) > 0:
		// Multistream reading found bytes after the first member that are
		// no gzip member.
		c.warn(c.l.path, CodeGzipTrailingData, "data after the gzip stream ignored")
	case err != nil:
		return nil, partError(c.l.path, err)
	}
	return out, nil
}

// gunzipSizeHint returns the capacity to decompress the gzip data into:
// the size its trailer states (ISIZE, RFC 1952 §2.3.1, the last member's
// size modulo 2^32) plus one byte for the read that finds the end, so
// that a report is decompressed without growing the buffer. The trailer
// is the sender's word, so the hint never exceeds the remaining budget
// (the most a real stream could fill anyway) nor 64 times the compressed
// size (JSON reports compress 5 to 25 times); a wrong hint only costs
// growing the buffer as before.
func gunzipSizeHint(data []byte, budget int64) int64 {
	const minHint = 512
	if len(data) < 18 { // header and trailer of an empty member
		return minHint
	}
	t := data[len(data)-4:]
	isize := int64(t[0]) | int64(t[1])<<8 | int64(t[2])<<16 | int64(t[3])<<24
	return max(min(isize, budget, 64*int64(len(data)))+1, minHint)
}

// gunzippers caches gzip readers between gunzip calls: gzip.NewReader
// allocates the inflater's 32 KiB window and tables per call, which
// costs more than inflating a small report; Reset reuses them. A
// sync.Pool is a cache, not state a caller can observe: each call takes
// a reader no other call holds, and release points it at no data.
var gunzippers = sync.Pool{New: func() any { return new(pooledGunzip) }}

// pooledGunzip is an in-memory inflater, and a gzip reader and the
// bytes.Reader it reads from (an io.ByteReader, so that gzip adds no
// bufio.Reader of its own).
type pooledGunzip struct {
	inflater inflate.Decompressor
	zr       gzip.Reader
	src      bytes.Reader
}

func (z *pooledGunzip) release() {
	z.src.Reset(nil)
	_ = z.zr.Reset(&z.src) // io.EOF: no header; the reader stays reusable
	gunzippers.Put(z)
}

// unzip returns the one JSON member of a zip archive, within the report
// size limit.
func (s *state) unzip(c *candidate, data []byte) ([]byte, error) {
	// The part cap also bounds the members looked at. Check the count the
	// archive declares before archive/zip reads its whole central
	// directory into memory (about 200 bytes per entry).
	if n, ok := zipEntries(data); ok && n > s.maxParts {
		return nil, limitError(CodeLimitParts, "parts", int64(s.maxParts), c.l.path, nil)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, partError(c.l.path, err)
	}
	var member *zip.File
	members := 0
	for i, f := range zr.File {
		if i >= s.maxParts {
			return nil, limitError(CodeLimitParts, "parts", int64(s.maxParts), c.l.path, nil)
		}
		if f.FileInfo().IsDir() {
			continue
		}
		if ext := reportExtension(f.Name); ext == ".json" || ext == ".json.gz" || len(zr.File) == 1 {
			members++
			if member == nil {
				member = f
			}
		}
	}
	if members != 1 {
		return nil, partError(c.l.path, errors.New("zip archive holds "+strconv.Itoa(members)+" JSON members, want 1"))
	}
	if member.UncompressedSize64 > uint64(s.maxReport-s.spent) {
		return nil, s.overBudget(c.l.path)
	}
	rc, err := member.Open()
	if err != nil {
		return nil, partError(c.l.path, err)
	}
	defer rc.Close()
	out, err := io.ReadAll(capped.NewReader(rc, s.maxReport-s.spent, errReportCap))
	if errors.Is(err, errReportCap) {
		return nil, s.overBudget(c.l.path)
	}
	if err := s.spend(c.l.path, int64(len(out))); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, partError(c.l.path, err)
	}
	if sniff(out) == "gzip" {
		return s.gunzip(c, out)
	}
	return out, nil
}

// zipEntries returns the total number of entries declared by the end of
// central directory record of a zip archive (APPNOTE 4.3.16), searched
// for in the last 64 KiB + 22 bytes; ok is false when there is none. A
// Zip64 archive declares 0xFFFF here, which counts as that many.
func zipEntries(data []byte) (n int, ok bool) {
	const eocdLen = 22
	start := max(len(data)-(eocdLen+0xFFFF), 0)
	i := bytes.LastIndex(data[start:], []byte("PK\x05\x06"))
	if i < 0 || start+i+eocdLen > len(data) {
		return 0, false
	}
	rec := data[start+i:]
	return int(rec[10]) | int(rec[11])<<8, true
}

// spend charges n bytes of report data against the message's budget of
// MaxReportSize (the cap covers all parts together, so that a message
// with many parts cannot multiply it).
func (s *state) spend(path string, n int64) error {
	s.spent += n
	if s.spent > s.maxReport {
		return s.overBudget(path)
	}
	return nil
}

func (s *state) overBudget(path string) error {
	return limitError(CodeLimitReportSize, "report size", s.maxReport, path, nil)
}
