package ingest

import "bytes"

// utf8BOM is the UTF-8 byte order mark.
var utf8BOM = []byte("\xef\xbb\xbf")

// sniff tells the form of an input from its first bytes, never from a
// name: gzip magic 1f 8b (RFC 1952), a zip local file header or empty
// archive, a JSON object or array after an optional byte order mark and
// white space, an XML declaration or element, or a mail: a first line
// that is an RFC 5322 §3.6.8 field ("name:") or an mbox "From " line.
func sniff(data []byte) Format {
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return FormatGzip
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return FormatZip
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	if len(text) > 0 && (text[0] == '{' || text[0] == '[') {
		return FormatJSON
	}
	if len(text) > 0 && text[0] == '<' {
		return FormatXML
	}
	if isMailStart(data) {
		return FormatMail
	}
	return FormatUnknown
}

// isMailStart reports whether data starts like a message: an mbox "From "
// line, or a header field name (printable ASCII but ":", RFC 5322
// §3.6.8) followed by ":".
func isMailStart(data []byte) bool {
	if bytes.HasPrefix(data, []byte("From ")) {
		return true
	}
	for i, c := range data {
		switch {
		case c == ':':
			return i > 0
		case c < 33 || c > 126:
			return false
		}
		if i >= 998 {
			return false
		}
	}
	return false
}
