package policy

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// The finding codes of LintSTSRecord. They are distinct from the codes of
// LintSTSPolicy.
const (
	CodeRecordSyntax      Code = "record-syntax"       // error: ParseSTSRecord rejects the record; the message is its reason
	CodeRecordNone        Code = "record-none"         // error: no TXT string begins with v=STSv1
	CodeRecordMultiple    Code = "record-multiple"     // error: several TXT strings begin with v=STSv1; senders use none (RFC 8461 §3.1)
	CodeRecordVersion     Code = "record-version"      // error or warning: a near miss of v=STSv1 (case, whitespace, quotes, not first)
	CodeRecordOther       Code = "record-other"        // info: a TXT string that is not an MTA-STS record; senders ignore it
	CodeRecordTLSRPT      Code = "record-tlsrpt"       // warning: a TLS-RPT record published at _mta-sts instead of _smtp._tls
	CodeRecordWhitespace  Code = "record-whitespace"   // error: whitespace around "=" or at the end without ";"
	CodeRecordIDMissing   Code = "record-id-missing"   // error: no id field
	CodeRecordIDCase      Code = "record-id-case"      // error or warning: "ID=" or "Id=": field names are case-sensitive
	CodeRecordIDInvalid   Code = "record-id-invalid"   // error: an id with characters other than letters and digits
	CodeRecordIDLong      Code = "record-id-long"      // error: an id longer than 32 characters
	CodeRecordDuplicateID Code = "record-duplicate-id" // warning: a second id field; only the first counts
	CodeRecordExtension   Code = "record-extension"    // info: a field other than v and id; senders ignore it
)

// RecordFinding is one piece of advice from LintSTSRecord.
type RecordFinding struct {
	Code     Code     // stable identifier of the kind of finding
	Severity Severity // how bad it is
	Record   int      // index of the TXT string in LintSTSRecord's arguments
	Offset   int      // byte offset in that string
	Message  string   // what is wrong, for people
	Fix      string   // how to fix it, when there is a simple fix
}

// String formats the finding as "severity record R offset N code: message
// (fix: fix)".
func (f RecordFinding) String() string {
	s := string(f.Severity) + " record " + strconv.Itoa(f.Record) + " offset " + strconv.Itoa(f.Offset) + " " + string(f.Code) + ": " + f.Message
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// LintSTSRecord checks the TXT strings a domain publishes at
// _mta-sts.<domain> (each joined from its character-strings) for an
// operator and returns advice ordered by record and offset; it never
// fails. Pass every TXT string of the name, so that the RFC 8461 §3.1
// selection rule is checked too: exactly one string may begin with
// "v=STSv1".
//
// Findings about the set as a whole (CodeRecordNone) have Record 0 and
// Offset 0. The result has an error-severity finding exactly when
// SelectSTSRecord(txts) fails, that is when senders would find no usable
// MTA-STS record. Warnings and infos never change that verdict.
func LintSTSRecord(txts ...string) []RecordFinding {
	var out []RecordFinding
	add := func(code Code, sev Severity, rec, off int, msg, fix string) {
		out = append(out, RecordFinding{Code: code, Severity: sev, Record: rec, Offset: off, Message: msg, Fix: fix})
	}
	candidates := 0
	for _, t := range txts {
		if hasSTSVersion(t) {
			candidates++
		}
	}
	if candidates == 0 {
		add(CodeRecordNone, SeverityError, 0, 0, "no TXT string begins with v=STSv1, so senders find no MTA-STS policy (RFC 8461 §3.1)", "publish \"v=STSv1; id=<letters and digits>\" at _mta-sts.<domain>")
	}
	for i, t := range txts {
		if !hasSTSVersion(t) {
			lintOtherRecord(add, i, t, candidates == 0)
			continue
		}
		if candidates > 1 {
			add(CodeRecordMultiple, SeverityError, i, 0, strconv.Itoa(candidates)+" TXT strings begin with v=STSv1; senders then use none of them (RFC 8461 §3.1)", "keep exactly one MTA-STS record")
		}
		lintSTSFields(add, i, t)
	}
	slices.SortStableFunc(out, func(a, b RecordFinding) int {
		if a.Record != b.Record {
			return a.Record - b.Record
		}
		return a.Offset - b.Offset
	})
	return out
}

// lintOtherRecord explains a TXT string that senders do not consider an
// MTA-STS record. When no string is one (alone), a near miss is an error:
// it is why the domain has no usable record.
func lintOtherRecord(add func(Code, Severity, int, int, string, string), i int, t string, alone bool) {
	sev := SeverityWarning
	if alone {
		sev = SeverityError
	}
	trimmed := strings.TrimLeft(t, " \t")
	unquoted := strings.Trim(trimmed, "\"' \t")
	compact := strings.NewReplacer(" ", "", "\t", "").Replace(strings.ToLower(unquoted))
	switch {
	case strings.HasPrefix(unquoted, "v=TLSRPTv1"):
		add(CodeRecordTLSRPT, SeverityWarning, i, 0, "this is a TLS-RPT record; it belongs at _smtp._tls.<domain>, not at _mta-sts.<domain>", "move it to _smtp._tls.<domain>")
	case strings.HasPrefix(compact, "v=stsv1") && isVersionNearMiss(compact):
		msg := "the record must begin with exactly \"v=STSv1\" (case-sensitive, no whitespace or quotes); found " + strconv.Quote(prefix(t, 16))
		add(CodeRecordVersion, sev, i, 0, msg, "begin the record with \"v=STSv1; \"")
	case strings.HasPrefix(compact, "v=stsv"):
		add(CodeRecordVersion, sev, i, 0, "unknown MTA-STS version in "+strconv.Quote(prefix(t, 16))+"; the only version is STSv1", "begin the record with \"v=STSv1; \"")
	case indexFoldASCII(t, "v=stsv1") >= 0:
		add(CodeRecordVersion, sev, i, indexFoldASCII(t, "v=stsv1"), "v=STSv1 must be the first field of the record", "move \"v=STSv1\" to the beginning")
	default:
		add(CodeRecordOther, SeverityInfo, i, 0, "not an MTA-STS record; senders ignore it", "")
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
func lintSTSFields(add func(Code, Severity, int, int, string, string), i int, t string) {
	_, parseErr := ParseSTSRecord(t)
	if parseErr != nil {
		var se *SyntaxError
		off := 0
		if errors.As(parseErr, &se) {
			off = se.Offset
		}
		add(CodeRecordSyntax, SeverityError, i, off, "senders ignore this record: "+strings.TrimPrefix(parseErr.Error(), "policy: "), "")
	}
	if end := len(strings.TrimRight(t, " \t")); end < len(t) && !strings.HasSuffix(t[:end], ";") {
		add(CodeRecordWhitespace, SeverityError, i, end, "whitespace at the end of the record is allowed only after \";\"", "remove the whitespace at the end")
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
			continue // the version itself, ";;" or the trailing ";": the syntax finding covers them
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			continue // not name=value: the syntax finding covers it
		}
		tname := strings.TrimRight(name, " \t")
		tvalue := strings.TrimLeft(value, " \t")
		if tname != name || tvalue != value {
			add(CodeRecordWhitespace, SeverityError, i, start+len(tname), "whitespace around \"=\" is not allowed", tname+"="+tvalue)
		}
		switch {
		case tname == "id":
			ids++
			if ids > 1 {
				add(CodeRecordDuplicateID, SeverityWarning, i, start, "a second id field; senders use the first", "delete this field")
				continue
			}
			lintID(add, i, start+len(f)-len(tvalue), tvalue)
		case strings.EqualFold(tname, "id"):
			idCase = append(idCase, start)
		case tname == "v":
			add(CodeRecordExtension, SeverityInfo, i, start, "a second v field is an unknown field; senders ignore it", "delete this field")
		default:
			add(CodeRecordExtension, SeverityInfo, i, start, "unknown field "+strconv.Quote(tname)+"; senders ignore it", "")
		}
	}
	sev := SeverityWarning
	if ids == 0 {
		sev = SeverityError
	}
	for _, o := range idCase {
		add(CodeRecordIDCase, sev, i, o, "field names are case-sensitive: this is an unknown field, not id", "write \"id=\" in lower case")
	}
	if ids == 0 && len(idCase) == 0 {
		add(CodeRecordIDMissing, SeverityError, i, len(t), "the record has no id field; senders need it to know when the policy changes (RFC 8461 §3.1)", "add \"; id=<letters and digits>\", e.g. a date such as 20240101T000000")
	}
}

// lintID checks an id value (RFC 8461 §3.1 sts-id: 1*32(ALPHA / DIGIT)).
func lintID(add func(Code, Severity, int, int, string, string), i, off int, v string) {
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
		add(CodeRecordIDInvalid, SeverityError, i, off, "the id is empty; it must be 1 to 32 letters and digits", "id=20240101T000000")
	case invalid:
		if fix == "" {
			fix = "20240101T000000"
		}
		add(CodeRecordIDInvalid, SeverityError, i, off, "the id "+strconv.Quote(v)+" has characters other than letters and digits (RFC 8461 §3.1)", "id="+fix)
	case len(v) > 32:
		add(CodeRecordIDLong, SeverityError, i, off, "the id has "+strconv.Itoa(len(v))+" characters; at most 32 are allowed (RFC 8461 §3.1)", "id="+fix)
	}
}
