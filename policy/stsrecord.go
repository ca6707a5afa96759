package policy

import (
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
)

// STSRecord is an MTA-STS TXT record (RFC 8461 §3.1), published at
// _mta-sts.<domain>: "v=STSv1; id=20240101T000000".
type STSRecord struct {
	// ID is the policy instance id: 1 to 32 letters and digits. Senders
	// refetch the policy when it changes.
	ID string
	// Extensions holds the other fields in record order (RFC 8461 §3.1
	// sts-extension); only the first of several fields with the same name
	// is kept.
	Extensions []tlsrpt.Extension
}

// ParseSTSRecord parses one MTA-STS TXT record strictly by the RFC 8461
// §3.1 grammar: "v=STSv1" first (case-sensitive), then fields separated by
// ";" with optional spaces or tabs around it, an optional trailing ";",
// an id of 1 to 32 letters and digits, and extensions whose values exclude
// "=", ";", spaces and controls. For a repeated field the first wins, as
// RFC 8461 §3.2 says for policy files. A multi-string TXT record must be
// joined without spaces first (RFC 8461 §3.1).
//
// A text that does not begin with "v=STSv1" (followed by a delimiter or
// the end) is ErrNotSTSRecord; any other problem is a *tlsrpt.Diagnostic
// with the byte Offset of the problem in txt, Code CodeRecordSyntax and
// Severity error (the same finding LintSTSRecord reports).
func ParseSTSRecord(txt string) (*STSRecord, error) {
	if !hasSTSVersion(txt) {
		return nil, ErrNotSTSRecord // also "v=STSv10"
	}
	i := len("v=STSv1")
	rec := &STSRecord{}
	haveID := false
	var extSeen nameSet
	for {
		// RFC 8461 §3.1 sts-field-delim = *WSP ";" *WSP
		j := i
		for j < len(txt) && isWSP(txt[j]) {
			j++
		}
		if j == len(txt) && j > i {
			return nil, recordSyntaxError(i, "whitespace at the end of the record")
		}
		if j == len(txt) {
			break
		}
		if txt[j] != ';' {
			return nil, recordSyntaxError(j, "expected ';' between fields, found "+quoteByte(txt[j]))
		}
		j++
		for j < len(txt) && isWSP(txt[j]) {
			j++
		}
		if j == len(txt) {
			if !haveID && len(rec.Extensions) == 0 {
				return nil, recordSyntaxError(j, "missing id field")
			}
			break // [sts-field-delim] at the end
		}
		// RFC 8461 §3.1 sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
		n := j
		for n < len(txt) && isNameByte(txt[n]) {
			n++
		}
		switch {
		case n == j:
			return nil, recordSyntaxError(j, "expected a field name, found "+quoteByte(txt[j]))
		case !isAlnum(txt[j]):
			return nil, recordSyntaxError(j, "field name must begin with a letter or digit")
		case n-j > 32:
			return nil, recordSyntaxError(j+32, "field name longer than 32 characters")
		case n == len(txt) || txt[n] != '=':
			return nil, recordSyntaxError(n, "expected '=' after field name "+txt[j:n])
		}
		name := txt[j:n]
		v := n + 1
		e := v
		if name == "id" {
			// RFC 8461 §3.1 sts-id = %s"id=" 1*32(ALPHA / DIGIT)
			for e < len(txt) && isAlnum(txt[e]) {
				e++
			}
			switch {
			case e == v:
				return nil, recordSyntaxError(v, "empty id; want 1 to 32 letters and digits")
			case e-v > 32:
				return nil, recordSyntaxError(v+32, "id longer than 32 characters")
			}
			if !haveID {
				rec.ID, haveID = txt[v:e], true
			}
		} else {
			// RFC 8461 §3.1 sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E)
			for e < len(txt) && isExtValueByte(txt[e]) {
				e++
			}
			if e == v {
				return nil, recordSyntaxError(v, "empty value for field "+name)
			}
			if extSeen.addNew(name) {
				rec.Extensions = append(rec.Extensions, tlsrpt.Extension{Name: name, Value: txt[v:e]})
			}
		}
		if e < len(txt) && txt[e] != ';' && !isWSP(txt[e]) {
			return nil, recordSyntaxError(e, "invalid character "+quoteByte(txt[e])+" in the value of "+name)
		}
		i = e
	}
	if !haveID {
		return nil, recordSyntaxError(len(txt), "missing id field")
	}
	return rec, nil
}

func isExtValueByte(c byte) bool {
	return c >= 0x21 && c <= 0x7e && c != '=' && c != ';'
}

// SelectSTSRecord applies RFC 8461 §3.1 to the TXT strings found at
// _mta-sts.<domain> (each already joined from its character-strings):
// strings that do not begin with the field "v=STSv1" are discarded, and exactly one
// must remain and parse. Otherwise the domain has no usable MTA-STS
// policy: ErrNoSTSRecord, ErrMultipleSTSRecords or ParseSTSRecord's
// *tlsrpt.Diagnostic.
func SelectSTSRecord(txts []string) (*STSRecord, error) {
	found := -1
	for i, t := range txts {
		if !hasSTSVersion(t) {
			continue
		}
		if found >= 0 {
			return nil, ErrMultipleSTSRecords
		}
		found = i
	}
	if found < 0 {
		return nil, ErrNoSTSRecord
	}
	return ParseSTSRecord(txts[found])
}

// hasSTSVersion reports whether txt begins with the version field
// "v=STSv1" followed by a delimiter or the end (RFC 8461 §3.1; the *WSP
// before ";" is allowed, EID 6285).
func hasSTSVersion(txt string) bool {
	const version = "v=STSv1"
	if !strings.HasPrefix(txt, version) {
		return false
	}
	return len(txt) == len(version) || txt[len(version)] == ';' || isWSP(txt[len(version)])
}

// Validate reports whether r would be a valid record: an id of 1 to 32
// letters and digits, and extensions that match the RFC 8461 §3.1
// grammar, are not named id and are not repeated, so that
// ParseSTSRecord(r.String()) gives r back. The error is a
// *tlsrpt.Diagnostic with CodeRecordSyntax whose Offset points into
// r.String().
func (r *STSRecord) Validate() error {
	s := r.String()
	got, err := ParseSTSRecord(s)
	if err != nil {
		return err
	}
	if got.ID != r.ID {
		return recordSyntaxError(len("v=STSv1; id="), "id must be 1 to 32 letters and digits")
	}
	off := len("v=STSv1; id=") + len(r.ID)
	for i, e := range r.Extensions {
		if i >= len(got.Extensions) || got.Extensions[i] != e {
			return recordSyntaxError(off+2, "extension "+e.Name+" is malformed, repeated or named id")
		}
		off += len(e.Name) + len(e.Value) + 3
	}
	return nil
}

// String returns the canonical record: "v=STSv1; id=<id>" followed by
// "; name=value" for each extension. ParseSTSRecord(r.String()) equals r
// for a record that Validate accepts.
func (r *STSRecord) String() string {
	n := len("v=STSv1; id=") + len(r.ID)
	for _, e := range r.Extensions {
		n += len(e.Name) + len(e.Value) + 3
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString("v=STSv1; id=")
	b.WriteString(r.ID)
	for _, e := range r.Extensions {
		b.WriteString("; ")
		b.WriteString(e.Name)
		b.WriteByte('=')
		b.WriteString(e.Value)
	}
	return b.String()
}
