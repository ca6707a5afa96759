package mime

import (
	"bytes"
	"encoding/base64"
	stdmime "mime"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// field is one header field: its name as written and its unfolded value
// (line breaks removed, RFC 5322 §2.2.3), leading whitespace trimmed.
type field struct {
	name, value string
}

// header is an entity's header fields in order.
type header []field

// get returns the value of the first field named name.
func (h header) get(name string) (string, bool) {
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return "", false
}

// nextLine returns the line at the start of b without its line end, and
// the rest after it.
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	return bytes.TrimSuffix(line, []byte("\r")), rest
}

// parseHeader splits an entity into its header fields and body. Lines may
// end in CRLF or LF. Lines that are neither fields nor continuations are
// skipped with a warning; a header larger than max is a CodeLimitHeaderSize error.
func (s *state) parseHeader(b []byte, path string) (header, []byte, error) {
	// The names and unfolded values of all fields are collected one after
	// another in text and made one string at the end, which the fields
	// then share: two allocations per header rather than three per field.
	// Continuations are appended to the value they continue, which is the
	// last one in text (no quadratic concatenation for a field folded
	// into many lines).
	var textArr [4096]byte
	var spanArr [32]fieldSpan
	text, spans := textArr[:0], spanArr[:0]
	rest := b
	size := 0
	for len(rest) > 0 {
		line, next := nextLine(rest)
		size += len(rest) - len(next)
		if int64(size) > s.maxHeader {
			return nil, nil, limitError(CodeLimitHeaderSize, "header size", s.maxHeader, path, nil)
		}
		rest = next
		if len(line) == 0 {
			return makeHeader(text, spans), rest, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(spans) == 0 {
				s.warn(path, CodeHeaderSyntax, "header starts with a continuation line")
				continue
			}
			// RFC 5322 §2.2.3 unfolding: remove the line break only.
			text = append(text, line...)
			continue
		}
		colon := bytes.IndexByte(line, ':')
		var name []byte
		if colon > 0 {
			name = bytes.TrimRight(line[:colon], " \t") // obs-optional (RFC 5322 §4.5)
		}
		if len(name) == 0 || bytes.ContainsAny(name, " \t") {
			// QUIRK(Thunderbird export, mbox): a "From sender date" line
			// before the header (RFC 4155), or other garbage.
			s.warn(path, CodeHeaderSyntax, "skipped a header line that is not a field: "+quoteTrunc(string(line)))
			continue
		}
		sp := fieldSpan{start: len(text)}
		text = append(text, name...)
		sp.value = len(text)
		text = append(text, bytes.TrimLeft(line[colon+1:], " \t")...)
		spans = append(spans, sp)
	}
	return makeHeader(text, spans), nil, nil
}

// fieldSpan locates a field in parseHeader's text: its name is
// text[start:value], its value runs from value to the next field's start.
type fieldSpan struct{ start, value int }

// makeHeader returns the fields located by spans in text.
func makeHeader(text []byte, spans []fieldSpan) header {
	if len(spans) == 0 {
		return nil
	}
	all := string(text)
	h := make(header, len(spans))
	for i, sp := range spans {
		end := len(all)
		if i+1 < len(spans) {
			end = spans[i+1].start
		}
		h[i] = field{name: all[sp.start:sp.value], value: all[sp.value:end]}
	}
	return h
}

// quoteTrunc quotes s for a warning message, truncated to 120 bytes.
func quoteTrunc(s string) string {
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return strconv.Quote(s)
}

// mediaType parses a Content-Type or Content-Disposition value. The media
// type is lower-cased; parameter names are lower-cased. When the strict
// RFC 2045 parser fails, a lenient one is used and a warning added.
func (s *state) mediaType(v, path, fieldName string) (string, map[string]string) {
	if v == "" {
		return "", nil
	}
	mt, params, err := stdmime.ParseMediaType(v)
	if err == nil {
		return mt, params
	}
	// QUIRK(Mail.ru, others): unquoted parameter values containing
	// tspecials, like boundary=----=_NextPart_..., and stray semicolons
	// (RFC 2045 §5.1 requires quoting).
	s.warn(path, CodeParamSyntax, fieldName+" parameters read leniently: "+err.Error())
	return lenientMediaType(v)
}

// lenientMediaType splits v at semicolons outside quotes into a media type
// and parameters, accepting unquoted values with any characters and
// RFC 2231 extended and continued parameters.
func lenientMediaType(v string) (string, map[string]string) {
	var items []string
	start, quoted := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			quoted = !quoted
		case c == '\\' && quoted:
			i++
		case c == ';' && !quoted:
			items = append(items, v[start:i])
			start = i + 1
		}
	}
	items = append(items, v[start:])
	mt := strings.ToLower(strings.TrimSpace(items[0]))
	params := map[string]string{}
	type piece struct {
		n        int
		value    string
		extended bool
	}
	continued := map[string][]piece{}
	for _, it := range items[1:] {
		k, val, ok := strings.Cut(it, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = unquote(val[1 : len(val)-1])
		}
		extended := strings.HasSuffix(k, "*")
		k = strings.TrimSuffix(k, "*")
		if base, num, ok := strings.Cut(k, "*"); ok {
			if n, err := strconv.Atoi(num); err == nil && n >= 0 && n < 100 {
				continued[base] = append(continued[base], piece{n, val, extended})
				continue
			}
		}
		if extended {
			val = decode2231(val, true)
		}
		if _, dup := params[k]; !dup && k != "" {
			params[k] = val
		}
	}
	for k, ps := range continued {
		slices.SortFunc(ps, func(a, b piece) int { return a.n - b.n })
		var b strings.Builder
		for i, p := range ps {
			if p.extended {
				b.WriteString(decode2231(p.value, i == 0))
			} else {
				b.WriteString(p.value)
			}
		}
		if _, dup := params[k]; !dup {
			params[k] = b.String()
		}
	}
	return mt, params
}

// unquote removes quoted-pair backslashes (RFC 5322 §3.2.1).
func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// decode2231 decodes an RFC 2231 §4 extended value: charset'language'
// percent-encoding when first, percent-encoding only otherwise. Only
// UTF-8 and US-ASCII are decoded; other charsets are kept as they are.
func decode2231(v string, first bool) string {
	if first {
		parts := strings.SplitN(v, "'", 3)
		if len(parts) != 3 {
			return v
		}
		cs := strings.ToLower(parts[0])
		if cs != "utf-8" && cs != "us-ascii" && cs != "" {
			return v
		}
		v = parts[2]
	}
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// splitMultipart returns the body parts of a multipart body (RFC 2046
// §5.1.1). Delimiter lines may end in CRLF or LF and carry trailing
// whitespace. closed reports whether the close delimiter was found;
// found whether any delimiter was. It stops after limit+1 parts (the caller
// then exceeds its part cap), so that a body of millions of delimiters
// costs no more than limit part slices.
func splitMultipart(body []byte, boundary string, limit int) (parts [][]byte, found, closed bool) {
	delim := []byte("--" + boundary)
	var start = -1 // start of the current part's content, -1 before the first delimiter
	pos := 0
	for pos <= len(body) {
		i := bytes.Index(body[pos:], delim)
		if i < 0 {
			break
		}
		i += pos
		lineStart := i == 0 || body[i-1] == '\n'
		after := body[i+len(delim):]
		line, rest := nextLine(after)
		isClose := bytes.HasPrefix(line, []byte("--"))
		if isClose {
			line = line[2:]
		}
		if !lineStart || len(bytes.Trim(line, " \t")) != 0 {
			pos = i + len(delim)
			continue
		}
		found = true
		if start >= 0 {
			end := i
			// The line break before the delimiter belongs to it.
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			parts = append(parts, body[start:end])
			if len(parts) > limit {
				return parts, true, true
			}
		}
		if isClose {
			return parts, true, true
		}
		start = len(body) - len(rest)
		pos = start
		if rest == nil {
			start = len(body)
			break
		}
	}
	if start >= 0 && start <= len(body) {
		// QUIRK(Mail.ru): no close delimiter; the last part runs to the end.
		// A whitespace-only remainder after the last delimiter is no part.
		if last := body[start:]; len(bytes.TrimSpace(last)) > 0 {
			parts = append(parts, last)
		}
	}
	return parts, found, false
}

// decodeTransfer undoes the Content-Transfer-Encoding (RFC 2045 §6).
func (s *state) decodeTransfer(cte string, body []byte, path string) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		return body
	case "base64":
		return s.decodeBase64(body, path)
	case "quoted-printable":
		out, bad := decodeQP(body)
		if bad != "" {
			s.warn(path, CodeQuotedPrintable, "malformed quoted-printable decoded leniently: "+bad)
		}
		return out
	default:
		s.warn(path, CodeUnknownEncoding, "unknown Content-Transfer-Encoding "+quoteTrunc(cte)+" ignored")
		return body
	}
}

// decodeQP decodes quoted-printable (RFC 2045 §6.7) leniently: "=XX"
// (hex digits in either case) is the byte, "=" before optional whitespace
// and a line end (or the end of the data) is a soft line break, and
// whitespace before a line end is removed. Anything else, an "=" without
// two hex digits or an unescaped control character, is kept as it stands
// and described in bad ("" when the input was well-formed). Unlike
// mime/quotedprintable it never stops at the first error, so one stray
// byte does not leave the rest of the part encoded.
func decodeQP(body []byte) (out []byte, bad string) {
	out = make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '=':
			if i+2 < len(body) && isHex(body[i+1]) && isHex(body[i+2]) {
				out = append(out, unhex(body[i+1])<<4|unhex(body[i+2]))
				i += 2
				continue
			}
			j := i + 1
			for j < len(body) && (body[j] == ' ' || body[j] == '\t') {
				j++
			}
			switch {
			case j == len(body):
				i = j - 1
				continue
			case body[j] == '\n':
				i = j
				continue
			case body[j] == '\r' && j+1 < len(body) && body[j+1] == '\n':
				i = j + 1
				continue
			}
			if bad == "" {
				bad = "\"=\" not followed by two hex digits or a line end"
			}
			out = append(out, c)
		case c == ' ' || c == '\t' || c == '\r':
			// RFC 2045 §6.7 rule 3: whitespace at the end of a line is
			// removed (a stray CR counts as whitespace there, as in
			// mime/quotedprintable); the line end itself is kept.
			j := i
			for j < len(body) && (body[j] == ' ' || body[j] == '\t' || body[j] == '\r') {
				j++
			}
			switch {
			case j == len(body):
			case body[j] == '\n':
				if body[j-1] == '\r' {
					out = append(out, '\r')
				}
				out = append(out, '\n')
				j++
			default:
				out = append(out, body[i:j]...)
			}
			i = j - 1
		case c == '\n' || c >= 0x80:
			// Line ends are kept; 8-bit bytes are accepted as
			// mime/quotedprintable does.
			out = append(out, c)
		case c < ' ' || c == 0x7f:
			if bad == "" {
				bad = "unescaped control character " + strconv.QuoteRune(rune(c))
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out, bad
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// decodeBase64 decodes base64 leniently: line breaks are skipped as
// RFC 2045 §6.8 requires; other characters outside the alphabet and
// missing padding are tolerated with a warning. Data after padding starts
// a new encoded chunk (concatenated encodings).
func (s *state) decodeBase64(body []byte, path string) []byte {
	out := make([]byte, 0, base64.RawStdEncoding.DecodedLen(len(body))+3)
	chunk := make([]byte, 0, len(body))
	garbage, pads := 0, 0
	flush := func() {
		if len(chunk)%4 == 1 {
			chunk = chunk[:len(chunk)-1] // an incomplete sextet carries no byte
		}
		dst := out[len(out) : len(out)+base64.RawStdEncoding.DecodedLen(len(chunk))]
		n, _ := base64.RawStdEncoding.Decode(dst, chunk)
		out = out[:len(out)+n]
		chunk = chunk[:0]
	}
	for _, c := range body {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			if pads > 0 {
				garbage++
				flush()
				pads = 0
			}
			chunk = append(chunk, c)
		case c == '=':
			pads++
		case c == '\r' || c == '\n':
		default:
			garbage++
		}
	}
	if garbage > 0 {
		s.warn(path, CodeBase64Garbage, strconv.Itoa(garbage)+" characters outside the base64 alphabet ignored")
	}
	if rem := len(chunk) % 4; rem != 0 && pads < 4-rem {
		s.warn(path, CodeBase64Padding, "base64 without padding")
	}
	flush()
	return out
}

// warningAt returns a Warning for path.
func warningAt(path string, code tlsrpt.Code, msg string) report.Warning {
	return report.Warning{Path: path, Code: code, Severity: tlsrpt.SeverityWarning, Message: msg}
}
