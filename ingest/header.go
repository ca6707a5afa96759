package ingest

import (
	"bytes"
	"strings"
)

// field is one header field, unfolded (CR and LF removed).
type field struct {
	name, value string
}

// maxHeader caps the header bytes headerFields looks at (mime's default
// per-entity cap).
const maxHeader = 256 << 10

// headerFields returns the header fields of the message data in order,
// top first, unfolded. An mbox "From " line and lines that are neither a
// field nor a continuation are skipped, as mime.Parser skips them. At
// most maxHeader bytes are looked at.
func headerFields(data []byte) []field {
	if len(data) > maxHeader {
		data = data[:maxHeader]
	}
	var fields []field
	for len(data) > 0 {
		line := data
		rest := []byte(nil)
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, rest = data[:i], data[i+1:]
		}
		data = rest
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // end of the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(fields) > 0 {
				fields[len(fields)-1].value += " " + strings.TrimSpace(string(line))
			}
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
			continue // mbox "From " line or garbage
		}
		fields = append(fields, field{name: string(name), value: strings.TrimSpace(string(value))})
	}
	return fields
}

// get returns the first field named name (case-insensitive).
func get(fields []field, name string) (string, bool) {
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return "", false
}

// stripComments removes RFC 5322 §3.2.2 comments (nested, with quoted
// pairs) outside quoted strings.
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (depth > 0 || quoted):
			if depth == 0 {
				b.WriteByte(c)
				if i+1 < len(s) {
					b.WriteByte(s[i+1])
				}
			}
			i++
		case depth == 0 && c == '"':
			quoted = !quoted
			b.WriteByte(c)
		case !quoted && c == '(':
			depth++
			if depth == 1 {
				b.WriteByte(' ')
			}
		case !quoted && c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// tags parses an RFC 6376 §3.2 tag-list; whitespace is removed from
// names and values, and the first instance of a tag wins.
func tags(s string) map[string]string {
	out := map[string]string{}
	for _, item := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if _, dup := out[k]; !dup {
			out[k] = strings.Join(strings.Fields(v), "")
		}
	}
	return out
}
