package policy

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
)

// The codes of the Diagnostics LintSTSRecord returns. They are distinct
// from the codes of LintSTSPolicy, and stable.
const (
	CodeRecordSyntax      tlsrpt.Code = "record-syntax"       // error: ParseSTSRecord rejects the record (the message is its reason); also the Code of ParseSTSRecord's error
	CodeRecordNone        tlsrpt.Code = "record-none"         // error: no TXT string begins with v=STSv1
	CodeRecordMultiple    tlsrpt.Code = "record-multiple"     // error: several TXT strings begin with v=STSv1; senders use none (RFC 8461 §3.1)
	CodeRecordVersion     tlsrpt.Code = "record-version"      // error or warning: a near miss of v=STSv1 (case, whitespace, quotes, not first)
	CodeRecordOther       tlsrpt.Code = "record-other"        // info: a TXT string that is not an MTA-STS record; senders ignore it
	CodeRecordTLSRPT      tlsrpt.Code = "record-tlsrpt"       // warning: a TLS-RPT record published at _mta-sts instead of _smtp._tls
	CodeRecordWhitespace  tlsrpt.Code = "record-whitespace"   // error: whitespace around "=" or at the end without ";"
	CodeRecordIDMissing   tlsrpt.Code = "record-id-missing"   // error: no id field
	CodeRecordIDCase      tlsrpt.Code = "record-id-case"      // error or warning: "ID=" or "Id=": field names are case-sensitive
	CodeRecordIDInvalid   tlsrpt.Code = "record-id-invalid"   // error: an id with characters other than letters and digits
	CodeRecordIDLong      tlsrpt.Code = "record-id-long"      // error: an id longer than 32 characters
	CodeRecordDuplicateID tlsrpt.Code = "record-duplicate-id" // warning: a second id field; only the first counts
	CodeRecordExtension   tlsrpt.Code = "record-extension"    // info: a field other than v and id; senders ignore it
)

// LintSTSRecord checks the TXT strings a domain publishes at
// _mta-sts.<domain> (each joined from its character-strings) for an
// operator and returns advice; it never fails. Pass every TXT string of
// the name, so that the RFC 8461 §3.1 selection rule is checked too:
// exactly one string may begin with "v=STSv1".
//
// Each Diagnostic has Index, the position of its string in txts, and
// Offset, the byte offset in that string; Path is empty. They come in
// order of Index, then Offset. Diagnostics about the set as a whole
// (CodeRecordNone) have Index 0 and Offset 0. The result has a
// tlsrpt.SeverityError diagnostic exactly when SelectSTSRecord(txts)
// fails, that is when senders would find no usable MTA-STS record;
// warnings and infos never change that verdict.
func LintSTSRecord(txts ...string) []tlsrpt.Diagnostic {
	var out []tlsrpt.Diagnostic
	add := func(code tlsrpt.Code, sev tlsrpt.Severity, rec, off int, msg, fix string) {
		out = append(out, tlsrpt.Diagnostic{Code: code, Severity: sev, Index: rec, Offset: off, Message: msg, Fix: fix})
	}
	candidates := 0
	for _, t := range txts {
		if hasSTSVersion(t) {
			candidates++
		}
	}
	if candidates == 0 {
		add(CodeRecordNone, tlsrpt.SeverityError, 0, 0, "no TXT string begins with v=STSv1, so senders find no MTA-STS policy (RFC 8461 §3.1)", "publish \"v=STSv1; id=<letters and digits>\" at _mta-sts.<domain>")
	}
	for i, t := range txts {
		if !hasSTSVersion(t) {
			lintOtherRecord(add, i, t, candidates == 0)
			continue
		}
		if candidates > 1 {
			add(CodeRecordMultiple, tlsrpt.SeverityError, i, 0, strconv.Itoa(candidates)+" TXT strings begin with v=STSv1; senders then use none of them (RFC 8461 §3.1)", "keep exactly one MTA-STS record")
		}
		lintSTSFields(add, i, t)
	}
	slices.SortStableFunc(out, func(a, b tlsrpt.Diagnostic) int {
		if a.Index != b.Index {
			return a.Index - b.Index
		}
		return a.Offset - b.Offset
	})
	return out
}

// recordAdder adds a diagnostic: code, severity, index, offset, message,
// fix.
type recordAdder func(tlsrpt.Code, tlsrpt.Severity, int, int, string, string)

// lintOtherRecord explains a TXT string that senders do not consider an
// MTA-STS record. When no string is one (alone), a near miss is an error:
// it is why the domain has no usable record.
func lintOtherRecord(add recordAdder, i int, t string, alone bool) {
	sev := tlsrpt.SeverityWarning
	if alone {
		sev = tlsrpt.SeverityError
	}
	trimmed := strings.TrimLeft(t, " \t")
	unquoted := strings.Trim(trimmed, "\"' \t")
	compact := strings.NewReplacer(" ", "", "\t", "").Replace(strings.ToLower(unquoted))
	switch {
	case strings.HasPrefix(unquoted, "v=TLSRPTv1"):
		add(CodeRecordTLSRPT, tlsrpt.SeverityWarning, i, 0, "this is a TLS-RPT record; it belongs at _smtp._tls.<domain>, not at _mta-sts.<domain>", "move it to _smtp._tls.<domain>")
	case strings.HasPrefix(compact, "v=stsv1") && isVersionNearMiss(compact):
		msg := "the record must begin with exactly \"v=STSv1\" (case-sensitive, no whitespace or quotes); found " + strconv.Quote(prefix(t, 16))
		add(CodeRecordVersion, sev, i, 0, msg, "begin the record with \"v=STSv1; \"")
	case strings.HasPrefix(compact, "v=stsv"):
		add(CodeRecordVersion, sev, i, 0, "unknown MTA-STS version in "+strconv.Quote(prefix(t, 16))+"; the only version is STSv1", "begin the record with \"v=STSv1; \"")
	case indexFoldASCII(t, "v=stsv1") >= 0:
		add(CodeRecordVersion, sev, i, indexFoldASCII(t, "v=stsv1"), "v=STSv1 must be the first field of the record", "move \"v=STSv1\" to the beginning")
	default:
		add(CodeRecordOther, tlsrpt.SeverityInfo, i, 0, "not an MTA-STS record; senders ignore it", "")
	}
}

// indexFoldASCII returns the byte offset of the first match of the
// lower-case ASCII string sub in s, ignoring ASCII case, or -1.
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && lowerASCII(s[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

// isVersionNearMiss reports whether compact (lower case, whitespace
// removed) begins with the version field v=stsv1 followed by a delimiter,
// the end, or a closing quote.
func isVersionNearMiss(compact string) bool {
	rest := compact[len("v=stsv1"):]
	return rest == "" || rest[0] == ';' || rest[0] == '"' || rest[0] == '\''
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// lintSTSFields gives field-level advice for a string that begins with
// v=STSv1, tolerantly: it splits at ";" and looks at each name=value.
func lintSTSFields(add recordAdder, i int, t string) {
	_, parseErr := ParseSTSRecord(t)
	if parseErr != nil {
		off, msg := 0, strings.TrimPrefix(parseErr.Error(), "policy: ")
		var d *tlsrpt.Diagnostic
		if errors.As(parseErr, &d) {
			off, msg = d.Offset, d.Message
		}
		add(CodeRecordSyntax, tlsrpt.SeverityError, i, off, "senders ignore this record: "+msg, "")
	}
	if end := len(strings.TrimRight(t, " \t")); end < len(t) && !strings.HasSuffix(t[:end], ";") {
		add(CodeRecordWhitespace, tlsrpt.SeverityError, i, end, "whitespace at the end of the record is allowed only after \";\"", "remove the whitespace at the end")
	}
	var ids int
	var idCase []int
	off := len("v=STSv1")
	for _, f := range strings.Split(t[off:], ";") {
		start := off
		off += len(f) + 1
		lead := len(f) - len(strings.TrimLeft(f, " \t"))
		f = strings.TrimRight(f[lead:], " \t")
		start += lead
		if f == "" {
			continue // the version itself, ";;" or the trailing ";": the syntax diagnostic covers them
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			continue // not name=value: the syntax diagnostic covers it
		}
		tname := strings.TrimRight(name, " \t")
		tvalue := strings.TrimLeft(value, " \t")
		if tname != name || tvalue != value {
			add(CodeRecordWhitespace, tlsrpt.SeverityError, i, start+len(tname), "whitespace around \"=\" is not allowed", tname+"="+tvalue)
		}
		switch {
		case tname == "id":
			ids++
			if ids > 1 {
				add(CodeRecordDuplicateID, tlsrpt.SeverityWarning, i, start, "a second id field; senders use the first", "delete this field")
				continue
			}
			lintID(add, i, start+len(f)-len(tvalue), tvalue)
		case strings.EqualFold(tname, "id"):
			idCase = append(idCase, start)
		case tname == "v":
			add(CodeRecordExtension, tlsrpt.SeverityInfo, i, start, "a second v field is an unknown field; senders ignore it", "delete this field")
		default:
			add(CodeRecordExtension, tlsrpt.SeverityInfo, i, start, "unknown field "+strconv.Quote(tname)+"; senders ignore it", "")
		}
	}
	sev := tlsrpt.SeverityWarning
	if ids == 0 {
		sev = tlsrpt.SeverityError
	}
	for _, o := range idCase {
		add(CodeRecordIDCase, sev, i, o, "field names are case-sensitive: this is an unknown field, not id", "write \"id=\" in lower case")
	}
	if ids == 0 && len(idCase) == 0 {
		add(CodeRecordIDMissing, tlsrpt.SeverityError, i, len(t), "the record has no id field; senders need it to know when the policy changes (RFC 8461 §3.1)", "add \"; id=<letters and digits>\", e.g. a date such as 20240101T000000")
	}
}

// lintID checks an id value (RFC 8461 §3.1 sts-id: 1*32(ALPHA / DIGIT)).
func lintID(add recordAdder, i, off int, v string) {
	var b strings.Builder
	for j := 0; j < len(v); j++ {
		if isAlnum(v[j]) {
			b.WriteByte(v[j])
		}
	}
	fix := b.String()
	invalid := len(fix) != len(v)
	if len(fix) > 32 {
		fix = fix[len(fix)-32:] // keep the end, where counters and times change
	}
	switch {
	case v == "":
		add(CodeRecordIDInvalid, tlsrpt.SeverityError, i, off, "the id is empty; it must be 1 to 32 letters and digits", "id=20240101T000000")
	case invalid:
		if fix == "" {
			fix = "20240101T000000"
		}
		add(CodeRecordIDInvalid, tlsrpt.SeverityError, i, off, "the id "+strconv.Quote(v)+" has characters other than letters and digits (RFC 8461 §3.1)", "id="+fix)
	case len(v) > 32:
		add(CodeRecordIDLong, tlsrpt.SeverityError, i, off, "the id has "+strconv.Itoa(len(v))+" characters; at most 32 are allowed (RFC 8461 §3.1)", "id="+fix)
	}
}
