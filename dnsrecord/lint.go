package dnsrecord

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-tlsrpt/tlsrpt"

	"golang.org/x/net/idna"
)

// The codes of the Diagnostics Lint returns. They are stable: tools may
// match on them.
const (
	CodeEmpty              tlsrpt.Code = "empty"               // the text is empty or blank
	CodeNotTLSRPT          tlsrpt.Code = "not-tlsrpt"          // not a TLS-RPT record at all
	CodeSPFRecord          tlsrpt.Code = "spf-record"          // an SPF record where the TLS-RPT record belongs
	CodeDMARCRecord        tlsrpt.Code = "dmarc-record"        // a DMARC record where the TLS-RPT record belongs
	CodeMTASTSRecord       tlsrpt.Code = "mta-sts-record"      // an MTA-STS record where the TLS-RPT record belongs
	CodeQuoted             tlsrpt.Code = "quoted"              // zone-file quotes or braces are part of the text
	CodeLeadingWhitespace  tlsrpt.Code = "leading-whitespace"  // whitespace before v=
	CodeMissingVersion     tlsrpt.Code = "missing-version"     // fields without the leading v=TLSRPTv1
	CodeVersionCase        tlsrpt.Code = "version-case"        // V=, v=tlsrptv1: the version is case-sensitive
	CodeVersionWhitespace  tlsrpt.Code = "version-whitespace"  // v = TLSRPTv1
	CodeUnknownVersion     tlsrpt.Code = "unknown-version"     // v=TLSRPTv2, v=TLSRPT, ...
	CodeZoneEscape         tlsrpt.Code = "zone-escape"         // a backslash from zone-file escaping reached the record
	CodeMissingDelimiter   tlsrpt.Code = "missing-delimiter"   // two fields not separated by ";"
	CodeEmptyField         tlsrpt.Code = "empty-field"         // ";;" or a second trailing ";"
	CodeFieldWhitespace    tlsrpt.Code = "field-whitespace"    // whitespace around "=" in a field
	CodeInvalidField       tlsrpt.Code = "invalid-field"       // a field that is not name=value by the grammar
	CodeMissingRUA         tlsrpt.Code = "missing-rua"         // no rua field
	CodeRUACase            tlsrpt.Code = "rua-case"            // RUA= or Rua=: rua is case-sensitive
	CodeMultipleRUA        tlsrpt.Code = "multiple-rua-fields" // several rua fields (valid, merged; some checkers reject)
	CodeRepeatedVersion    tlsrpt.Code = "repeated-version"    // a second v= field, ignored
	CodeUnknownField       tlsrpt.Code = "unknown-field"       // an extension field, ignored by senders
	CodeEmptyURI           tlsrpt.Code = "empty-uri"           // ",," or a trailing "," in the rua list
	CodeMissingMailto      tlsrpt.Code = "missing-mailto"      // a bare e-mail address without mailto:
	CodeSizeSuffix         tlsrpt.Code = "size-suffix"         // a DMARC-style "!10m" size limit
	CodeUnencoded          tlsrpt.Code = "unencoded-char"      // "," "!" or ";" inside a URI not percent-encoded
	CodeInvalidURI         tlsrpt.Code = "invalid-uri"         // a rua entry that is not an absolute URI
	CodeIDN                tlsrpt.Code = "idn"                 // an internationalised domain not written as an A-label
	CodeNonASCII           tlsrpt.Code = "non-ascii"           // non-ASCII bytes
	CodeControl            tlsrpt.Code = "control-char"        // control characters (CR, LF, NUL, ...)
	CodeTrailingWhitespace tlsrpt.Code = "trailing-whitespace" // whitespace at the end without a ";"
	CodeHTTP               tlsrpt.Code = "http-uri"            // an http: URI: reporters only POST to https:
	CodeUnsupportedScheme  tlsrpt.Code = "unsupported-scheme"  // a scheme other than mailto: and https:
	CodeNoSupportedURI     tlsrpt.Code = "no-supported-uri"    // no mailto: or https: URI: nobody can send reports
	CodeMailtoQuery        tlsrpt.Code = "mailto-query"        // a mailto: URI with ?hfields
	CodeInvalidMailto      tlsrpt.Code = "invalid-mailto"      // a mailto: URI without a usable address
	CodeMailtoComma        tlsrpt.Code = "mailto-comma"        // a mailto: address with an encoded ","
	CodeInvalidHTTPS       tlsrpt.Code = "invalid-https"       // an https: URI without a host
	CodeDuplicateURI       tlsrpt.Code = "duplicate-uri"       // the same destination twice
	CodeTooManyURIs        tlsrpt.Code = "too-many-uris"       // more destinations than reporters will try
	CodeLongString         tlsrpt.Code = "long-string"         // longer than one 255-byte TXT character-string
	CodeSyntax             tlsrpt.Code = "syntax"              // any other reason Parse rejects the text
	CodeNoRecord           tlsrpt.Code = "no-record"           // no TXT record at all at the name
	CodeMultipleRecords    tlsrpt.Code = "multiple-records"    // several TXT records begin with v=TLSRPTv1: senders use none
	CodeIgnoredRecord      tlsrpt.Code = "ignored-record"      // a near miss of a TLS-RPT record beside the one senders use
)

// maxUsefulDestinations is the number of supported rua URIs beyond which
// Lint warns (CodeTooManyURIs). RFC 8460 §3 lets a reporter deliver to
// only one of the destinations; reporters that try several stop after
// the first that accepts, so destinations beyond the first couple mostly
// add retries and load.
const maxUsefulDestinations = 2

// Lint checks txts, the TXT records published (or to be published) at
// _smtp._tls.<domain>, each with its character-strings concatenated, and
// returns advice for their operator. It never fails, and returns nil when
// there is nothing to say. Pass every TXT string of the name, so that the
// RFC 8460 §3 selection rule is judged too: senders discard the strings
// that do not begin with "v=TLSRPTv1;" and use the one that remains.
//
// Each Diagnostic has Index, the position of its string in txts, and
// Offset, the byte offset in that string; Path is empty. They come in
// order of Index, then Offset. The severities:
//
//   - tlsrpt.SeverityError exactly when Select(txts, nil) fails, that is
//     when senders find no usable record and send no reports: no TXT
//     string (CodeNoRecord), several TLS-RPT records (CodeMultipleRecords
//     on each), or the one record is invalid. Lint then explains the
//     mistake where it recognises it: a bare address without mailto:, a
//     DMARC-style "!10m" size suffix, RUA= in upper case, an SPF record in
//     the wrong place, ...
//   - tlsrpt.SeverityWarning: the record is valid but some or all reports
//     will not arrive, or some reporters may read it differently; or a
//     string that was meant to be a TLS-RPT record is ignored beside the
//     one senders use (CodeIgnoredRecord, followed by its own advice).
//   - tlsrpt.SeverityInfo: advice; also an SPF, DMARC or other unrelated
//     record beside the TLS-RPT record, which senders ignore.
//
// A single string is judged as the record it is meant to be: it has an
// error exactly when Parse rejects it. Lint applies the zero
// LookupOptions. It does not change what Parse and Select accept.
func Lint(txts ...string) []tlsrpt.Diagnostic {
	if len(txts) == 0 {
		return []tlsrpt.Diagnostic{{Code: CodeNoRecord, Severity: tlsrpt.SeverityError,
			Message: "there is no TXT record at the name, so senders send no reports (RFC 8460 §3)",
			Fix:     "publish a record such as " + strconv.Quote(exampleRecord)}}
	}
	per := make([][]tlsrpt.Diagnostic, len(txts))
	candidates, nearMisses, used := 0, 0, -1
	for i, t := range txts {
		per[i] = lintOne(t)
		switch {
		case isCandidate(t, false):
			candidates++
			used = i
		case otherRecord(per[i]) < 0:
			nearMisses++
		}
	}
	var out []tlsrpt.Diagnostic
	for i, t := range txts {
		ds := per[i]
		switch {
		case isCandidate(t, false):
			if candidates > 1 {
				// RFC 8460 §3: "If the number of resulting records is not
				// one, senders MUST assume the recipient domain does not
				// implement TLSRPT."
				out = append(out, tlsrpt.Diagnostic{Index: i, Code: CodeMultipleRecords, Severity: tlsrpt.SeverityError,
					Message: strconv.Itoa(candidates) + " TXT records at the name begin with v=TLSRPTv1; senders then use none of them and send no reports (RFC 8460 §3)",
					Fix:     "keep exactly one TLS-RPT record"})
			}
		case candidates == 0 && (len(txts) == 1 || nearMisses == 0):
			// Every string explains why there is no record.
		case otherRecord(ds) >= 0:
			// Unrelated to TLS-RPT, and beside the record (or the near
			// miss) that matters: senders ignore it.
			ds = []tlsrpt.Diagnostic{ignoredNote(ds[otherRecord(ds)])}
		case candidates > 0:
			// Meant to be a TLS-RPT record, but senders ignore it.
			note := tlsrpt.Diagnostic{Code: CodeIgnoredRecord, Severity: tlsrpt.SeverityWarning,
				Message: "senders ignore this TXT record: it does not begin with \"v=TLSRPTv1;\" (RFC 8460 §3)",
				Fix:     "delete it, or move what it was meant to say into the record senders use"}
			if candidates == 1 {
				note.Message += "; they use #" + strconv.Itoa(used)
			}
			ds = append([]tlsrpt.Diagnostic{note}, ds...)
			for j := range ds {
				if ds[j].Severity == tlsrpt.SeverityError {
					ds[j].Severity = tlsrpt.SeverityWarning
				}
			}
		}
		for _, d := range ds {
			d.Index = i
			out = append(out, d)
		}
	}
	return out
}

// otherCodes are the codes that say a string is not meant to be a
// TLS-RPT record at all.
var otherCodes = [...]tlsrpt.Code{CodeEmpty, CodeNotTLSRPT, CodeSPFRecord, CodeDMARCRecord, CodeMTASTSRecord}

// otherRecord returns the index in ds of the diagnostic that says the
// string is not meant to be a TLS-RPT record, or -1.
func otherRecord(ds []tlsrpt.Diagnostic) int {
	for i, d := range ds {
		for _, c := range otherCodes {
			if d.Code == c {
				return i
			}
		}
	}
	return -1
}

// ignoredNote turns the diagnostic that classifies an unrelated string
// into an info-level note: senders ignore the string.
func ignoredNote(d tlsrpt.Diagnostic) tlsrpt.Diagnostic {
	d.Severity = tlsrpt.SeverityInfo
	switch d.Code {
	case CodeSPFRecord:
		d.Message, d.Fix = "an SPF record; senders of TLS reports ignore it", "remove it unless a tool needs it: SPF is published at the domain itself (RFC 7208 §3)"
	case CodeDMARCRecord:
		d.Message, d.Fix = "a DMARC record; senders of TLS reports ignore it", "remove it: DMARC is published at _dmarc.<domain> (RFC 7489 §6.1)"
	case CodeMTASTSRecord:
		d.Message, d.Fix = "an MTA-STS record; senders of TLS reports ignore it", "remove it: MTA-STS is published at _mta-sts.<domain> (RFC 8461 §3.1)"
	case CodeEmpty:
		d.Message, d.Fix = "an empty TXT record; senders ignore it", "remove it"
	default:
		d.Message, d.Fix = "not a TLS-RPT record; senders ignore it", "remove it unless another service needs a TXT record here"
	}
	return d
}

// lintOne lints one string as the record it is meant to be: its
// diagnostics have an error exactly when Parse rejects it, and come in
// order of offset.
func lintOne(txt string) []tlsrpt.Diagnostic {
	ds := lint(txt)
	_, err := Parse(txt)
	hasErr := false
	for i := range ds {
		if ds[i].Severity == tlsrpt.SeverityError {
			if err == nil {
				// Defensive: a heuristic must never contradict Parse.
				ds[i].Severity = tlsrpt.SeverityWarning
			} else {
				hasErr = true
			}
		}
	}
	if err != nil && !hasErr {
		d := tlsrpt.Diagnostic{Code: CodeNotTLSRPT, Severity: tlsrpt.SeverityError, Message: "the text is not a TLS-RPT record",
			Fix: "publish a record such as " + strconv.Quote(exampleRecord)}
		if se, ok := err.(*SyntaxError); ok {
			d = tlsrpt.Diagnostic{Code: CodeSyntax, Severity: tlsrpt.SeverityError, Offset: se.Offset, Message: se.Reason,
				Fix: "correct the record at offset " + strconv.Itoa(se.Offset)}
		}
		ds = append(ds, d)
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Offset < ds[j].Offset })
	return ds
}

const exampleRecord = "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"

// linter collects diagnostics about one string.
type linter struct {
	txt       string
	fs        []tlsrpt.Diagnostic
	nonASCII  int  // offset of the first non-ASCII byte, or -1
	noVersion bool // the fields start without a version (CodeMissingVersion)
}

func (l *linter) add(code tlsrpt.Code, sev tlsrpt.Severity, off int, msg, fix string) {
	l.fs = append(l.fs, tlsrpt.Diagnostic{Code: code, Severity: sev, Offset: off, Message: msg, Fix: fix})
}

var (
	// otherVersion matches the version tags of records that are
	// sometimes published at _smtp._tls by mistake.
	otherVersion = regexp.MustCompile(`^(?i)v\s*=\s*(spf1|dmarc1|stsv1)\b`)
	// versionLike matches something meant to be the TLS-RPT version:
	// v=TLSRPTv1 in any case and spacing, or with another number.
	versionLike = regexp.MustCompile(`^(?i)(v)(\s*)=(\s*)(tlsrpt(?:v(\d*))?)`)
	// sizeSuffix is the DMARC (RFC 7489 §6.2) size limit "!10m".
	sizeSuffix = regexp.MustCompile(`^(.*)!\d+(?i:[kmgt])?$`)
)

// lint produces the diagnostics of one string before they are reconciled
// with Parse.
func lint(txt string) []tlsrpt.Diagnostic {
	l := &linter{txt: txt}
	if strings.TrimSpace(txt) == "" {
		l.add(CodeEmpty, tlsrpt.SeverityError, 0, "the record is empty", "publish a record such as "+strconv.Quote(exampleRecord))
		return l.fs
	}
	l.checkBytes()
	l.checkRecord()
	l.reportNonASCII()
	return l.fs
}

// checkRecord checks the text after the byte-level checks.
func (l *linter) checkRecord() {
	txt := l.txt
	if len(txt) > 255 {
		l.add(CodeLongString, tlsrpt.SeverityInfo, 255, "the record is longer than 255 bytes, the limit of one TXT character-string",
			"publish it as several quoted strings of at most 255 bytes each; they are joined without spaces (RFC 8460 §3)")
	}

	// Leading junk: whitespace, quotes, braces.
	start := 0
	for start < len(txt) && isWSP(txt[start]) {
		start++
	}
	if start > 0 {
		l.add(CodeLeadingWhitespace, tlsrpt.SeverityError, 0, "the record begins with whitespace",
			"remove the whitespace before v=TLSRPTv1")
	}
	end := len(txt)
	// QUIRK(PowerShell Resolve-DnsName, zone files): the value is pasted
	// with its array braces or quotes (RFC 8460 §3: they are not part of
	// the TXT data).
	if start < end && (txt[start] == '"' || txt[start] == '{' || txt[start] == '\'') {
		closer := txt[start]
		if closer == '{' {
			closer = '}'
		}
		l.add(CodeQuoted, tlsrpt.SeverityError, start, "the record text includes "+strconv.QuoteRune(rune(txt[start]))+
			" characters from a zone file or a tool's output",
			"remove the enclosing quotes or braces: they are not part of the record value")
		start++
		if e := strings.LastIndexByte(txt, closer); e >= start {
			end = e
		}
	}
	body := txt[:end]

	if m := otherVersion.FindStringSubmatch(body[start:]); m != nil {
		code, what, fix := CodeSPFRecord, "an SPF record", "publish the SPF record at the domain itself (RFC 7208 §3)"
		switch strings.ToLower(m[1]) {
		case "dmarc1":
			code, what, fix = CodeDMARCRecord, "a DMARC record", "publish the DMARC record at _dmarc.<domain> (RFC 7489 §6.1)"
		case "stsv1":
			code, what, fix = CodeMTASTSRecord, "an MTA-STS record", "publish the MTA-STS record at _mta-sts.<domain> (RFC 8461 §3.1)"
		}
		l.add(code, tlsrpt.SeverityError, start, "this is "+what+", not a TLS-RPT record",
			fix+", and at _smtp._tls.<domain> a record such as "+strconv.Quote(exampleRecord))
		return
	}
	if i := l.checkVersion(body, start); i >= 0 {
		l.checkFields(body, i, end == len(txt))
	}
}

// checkBytes reports non-ASCII and control bytes (RFC 8460 §3: the
// record is printable ASCII and WSP).
func (l *linter) checkBytes() {
	ctl := false
	l.nonASCII = -1
	for i := 0; i < len(l.txt); i++ {
		c := l.txt[i]
		switch {
		case (c < 0x20 && c != '\t' || c == 0x7f) && !ctl:
			ctl = true
			l.add(CodeControl, tlsrpt.SeverityError, i, "the record contains the control character "+strconv.QuoteRune(rune(c)),
				"remove line breaks and other control characters; split long records into several strings instead")
		case c >= 0x80 && l.nonASCII < 0:
			l.nonASCII = i
		}
	}
}

// reportNonASCII reports non-ASCII bytes unless CodeIDN explained them.
func (l *linter) reportNonASCII() {
	if l.nonASCII < 0 {
		return
	}
	for _, f := range l.fs {
		if f.Code == CodeIDN && f.Severity == tlsrpt.SeverityError {
			return
		}
	}
	l.add(CodeNonASCII, tlsrpt.SeverityError, l.nonASCII, "the record contains non-ASCII characters",
		"use only ASCII: percent-encode other characters in URIs and write domains as A-labels (xn--…)")
}

// checkVersion checks the version at body[i:] and returns the offset
// after it, or -1 when the rest cannot be read as a TLS-RPT record.
func (l *linter) checkVersion(body string, i int) int {
	rest := body[i:]
	m := versionLike.FindStringSubmatchIndex(rest)
	if m == nil {
		if looksLikeField(rest, "rua") {
			l.add(CodeMissingVersion, tlsrpt.SeverityError, i, "the record does not begin with v=TLSRPTv1",
				"begin the record with \"v=TLSRPTv1; \"")
			l.noVersion = true
			return i
		}
		l.add(CodeNotTLSRPT, tlsrpt.SeverityError, i, "the text is not a TLS-RPT record (it must begin with v=TLSRPTv1)",
			"publish a record such as "+strconv.Quote(exampleRecord))
		return -1
	}
	end := i + m[1]
	if m[2*2+1] > m[2*2] || m[3*2+1] > m[3*2] {
		l.add(CodeVersionWhitespace, tlsrpt.SeverityError, i, "whitespace around '=' in the version",
			"write exactly \"v=TLSRPTv1\"")
	}
	digits := ""
	if m[5*2] >= 0 {
		digits = rest[m[5*2]:m[5*2+1]]
	}
	switch {
	case digits != "1":
		l.add(CodeUnknownVersion, tlsrpt.SeverityError, i, "the version must be TLSRPTv1 (the only version RFC 8460 defines), found "+
			strconv.Quote(rest[m[4*2]:m[4*2+1]]), "write exactly \"v=TLSRPTv1\"")
	case rest[m[1*2]:m[1*2+1]] != "v" || rest[m[4*2]:m[4*2+1]] != "TLSRPTv1":
		l.add(CodeVersionCase, tlsrpt.SeverityError, i, "the version is case-sensitive: found "+strconv.Quote(rest[:m[1]]),
			"write exactly \"v=TLSRPTv1\"")
	}
	if end < len(body) {
		switch c := body[end]; {
		case c == '\\':
			// QUIRK(NetBox DNS provider test vector): "v=TLSRPTv1\;"
			// from zone-file escaping (RFC 8460 §3 field-delim).
			l.add(CodeZoneEscape, tlsrpt.SeverityError, end, "a backslash from zone-file escaping is part of the record",
				"remove the backslash: inside a quoted TXT string \";\" needs no escaping")
			return end + 1
		case c == ';' || isWSP(c):
		default:
			if digits == "1" {
				l.add(CodeInvalidField, tlsrpt.SeverityError, end, "the version is followed by "+describe(c)+" instead of ';'",
					"write \"v=TLSRPTv1; \" followed by the fields")
			}
			return -1
		}
	}
	return end
}

// looksLikeField reports whether s begins with name= (any case, WSP
// around "=").
func looksLikeField(s, name string) bool {
	if len(s) < len(name) || !strings.EqualFold(s[:len(name)], name) {
		return false
	}
	s = strings.TrimLeft(s[len(name):], " \t")
	return strings.HasPrefix(s, "=")
}

// field is one ";"-separated part of the record after the version.
type field struct {
	off  int    // offset of the trimmed text
	text string // without surrounding WSP
	lead bool   // WSP preceded it (after the ';')
}

// checkFields checks the fields after the version, at body[i:].
func (l *linter) checkFields(body string, i int, unquoted bool) {
	// Trailing whitespace without ";" (RFC 8460 §3 allows WSP at the end
	// only as part of a trailing field-delim).
	trimmed := strings.TrimRight(body, " \t")
	// QUIRK(mox accepts it): trailing whitespace after the last URI.
	if unquoted && len(trimmed) < len(body) && len(trimmed) >= i && (len(trimmed) == i || trimmed[len(trimmed)-1] != ';') {
		l.add(CodeTrailingWhitespace, tlsrpt.SeverityError, len(trimmed), "the record ends with whitespace after the last field",
			"remove the whitespace at the end (or end the record with \";\")")
	}
	// Split at ";". After the version the first part must be empty.
	var parts []field
	for j := i; j <= len(trimmed); {
		k := strings.IndexByte(trimmed[j:], ';')
		if k < 0 {
			k = len(trimmed) - j
		}
		raw := trimmed[j : j+k]
		t := strings.TrimLeft(raw, " \t")
		lead := len(t) < len(raw)
		parts = append(parts, field{off: j + len(raw) - len(t), text: strings.TrimRight(t, " \t"), lead: lead})
		j += k + 1
	}
	if parts[0].text != "" {
		p := parts[0]
		if !l.noVersion {
			l.add(CodeMissingDelimiter, tlsrpt.SeverityError, p.off, "the version must be followed by ';'",
				"insert \"; \" after v=TLSRPTv1")
		}
		parts[0].lead = true
	} else {
		parts = parts[1:]
	}
	// A single trailing ";" is allowed.
	if n := len(parts); n > 0 && parts[n-1].text == "" && n > 1 {
		parts = parts[:n-1]
	}
	ruaFields, secondRUA := 0, 0
	var ruaCase []int // indexes in l.fs of the CodeRUACase diagnostics
	var all []destination
	var prevRUA bool
	for n, p := range parts {
		if p.text == "" {
			if n == 0 && len(parts) == 1 {
				break // no field at all: reported as missing rua
			}
			l.add(CodeEmptyField, tlsrpt.SeverityError, p.off, "empty field between two ';'",
				"remove the extra ';'")
			continue
		}
		eq := strings.IndexByte(p.text, '=')
		if eq < 0 {
			if prevRUA && !p.lead {
				l.add(CodeUnencoded, tlsrpt.SeverityError, p.off-1, "';' inside a URI must be percent-encoded",
					"write %3B instead of ';' inside the URI")
			} else {
				l.add(CodeInvalidField, tlsrpt.SeverityError, p.off, "field "+strconv.Quote(p.text)+" is not name=value",
					"remove it or write it as name=value")
			}
			prevRUA = false
			continue
		}
		name, value := p.text[:eq], p.text[eq+1:]
		if strings.TrimRight(name, " \t") != name || strings.TrimLeft(value, " \t") != value {
			l.add(CodeFieldWhitespace, tlsrpt.SeverityError, p.off+eq, "whitespace around '=' in field "+strconv.Quote(strings.TrimSpace(name)),
				"remove the whitespace around '='")
			name, value = strings.TrimRight(name, " \t"), strings.TrimLeft(value, " \t")
		}
		valueOff := p.off + len(p.text) - len(value)
		prevRUA = false
		switch {
		case name == "rua":
			ruaFields++
			if ruaFields == 2 {
				secondRUA = p.off
			}
			prevRUA = true
			all = append(all, l.checkRUA(value, valueOff)...)
		case strings.EqualFold(name, "rua"):
			if !l.validExtension(name, value, p.off, valueOff) {
				break
			}
			ruaCase = append(ruaCase, len(l.fs))
			l.add(CodeRUACase, tlsrpt.SeverityError, p.off, "field names are case-sensitive: "+strconv.Quote(name)+
				" is an unknown field, not rua", "write \"rua=\" in lower case")
		default:
			l.checkExtension(name, value, p.off, valueOff)
		}
	}
	// QUIRK(checkdmarc rejects, mox merges): several rua fields.
	if ruaFields > 1 {
		l.add(CodeMultipleRUA, tlsrpt.SeverityInfo, secondRUA, "the record has "+strconv.Itoa(ruaFields)+
			" rua fields; they are merged, but some checkers reject the record",
			"list all URIs in one field: rua=URI1,URI2")
	}
	if ruaFields > 0 {
		// A real rua field exists: every RUA= is only ignored.
		for _, i := range ruaCase {
			l.fs[i].Severity = tlsrpt.SeverityWarning
			l.fs[i].Message += ", and senders ignore it"
		}
	}
	if ruaFields == 0 && len(ruaCase) == 0 {
		l.add(CodeMissingRUA, tlsrpt.SeverityError, len(body), "the record has no rua field (RFC 8460 §3: required)",
			"add \"; rua=mailto:tlsrpt@<your-domain>\" (or an https: URI) to say where reports go")
	}
	l.checkDestinations(all, len(body))
}

// checkExtension checks a field other than rua (RFC 8460 §3
// tlsrpt-extension).
func (l *linter) checkExtension(name, value string, off, valueOff int) {
	if !l.validExtension(name, value, off, valueOff) {
		return
	}
	switch {
	case name == "v":
		l.add(CodeRepeatedVersion, tlsrpt.SeverityInfo, off, "a second v= field is an unknown field and is ignored", "remove it")
	case strings.EqualFold(name, "v"):
		l.add(CodeRepeatedVersion, tlsrpt.SeverityInfo, off, "a second version field is an unknown field and is ignored", "remove it")
	default:
		msg := "field " + strconv.Quote(name) + " is not defined by RFC 8460; senders ignore it"
		switch strings.ToLower(name) {
		case "ruf", "p", "sp", "pct", "adkim", "aspf", "fo", "rf", "ri":
			msg += " (" + name + " is a DMARC tag)"
		}
		l.add(CodeUnknownField, tlsrpt.SeverityInfo, off, msg, "remove it unless a tool you use needs it")
	}
}

// validExtension reports whether name=value is a valid RFC 8460 §3
// tlsrpt-extension, adding CodeInvalidField if not.
func (l *linter) validExtension(name, value string, off, valueOff int) bool {
	bad := name == "" || len(name) > 32 || !isAlpha(name[0]) && (name[0] < '0' || name[0] > '9')
	for j := 0; j < len(name) && !bad; j++ {
		bad = byteClass[name[j]]&cExtName == 0
	}
	if bad {
		l.add(CodeInvalidField, tlsrpt.SeverityError, off, "invalid field name "+strconv.Quote(name)+
			": 1 to 32 letters, digits, '_', '-', '.', beginning with a letter or digit", "correct or remove the field")
		return false
	}
	badValue := value == ""
	for j := 0; j < len(value) && !badValue; j++ {
		badValue = byteClass[value[j]]&cExtValue == 0
	}
	if badValue {
		l.add(CodeInvalidField, tlsrpt.SeverityError, valueOff, "invalid value for field "+strconv.Quote(name)+
			": one or more printable ASCII characters other than ';' and '=', no spaces", "correct or remove the field")
		return false
	}
	return true
}

// checkRUA checks the URI list of one rua field and returns the URIs
// that are valid.
func (l *linter) checkRUA(value string, off int) []destination {
	var out []destination
	for j := 0; j <= len(value); {
		k := strings.IndexByte(value[j:], ',')
		if k < 0 {
			k = len(value) - j
		}
		raw := value[j : j+k]
		t := strings.TrimLeft(raw, " \t")
		lead := len(t) < len(raw)
		t = strings.TrimRight(t, " \t")
		toff := off + j + len(raw) - len(strings.TrimLeft(raw, " \t"))
		if u, ok := l.checkOneURI(t, toff, j > 0 && !lead); ok {
			out = append(out, destination{u, toff})
		}
		j += k + 1
	}
	return out
}

// checkOneURI checks one element of a rua list at offset off. afterComma
// says that it directly follows a "," without whitespace.
func (l *linter) checkOneURI(t string, off int, afterComma bool) (URI, bool) {
	if t == "" {
		l.add(CodeEmptyURI, tlsrpt.SeverityError, off, "empty entry in the rua list", "remove the extra ','")
		return URI{}, false
	}
	if sp := strings.IndexAny(t, " \t"); sp >= 0 {
		if strings.Contains(t[sp:], "=") {
			l.add(CodeMissingDelimiter, tlsrpt.SeverityError, off+sp, "two fields are not separated by ';'", "insert ';' before the next field")
		} else {
			l.add(CodeInvalidURI, tlsrpt.SeverityError, off+sp, "whitespace inside a rua entry", "remove the whitespace or percent-encode it as %20")
		}
		t = t[:sp]
	}
	// QUIRK(DMARC habits, RFC 7489 §6.2): "mailto:…!10m" size limits,
	// which RFC 8460 §3 does not define and whose "!" is not encoded.
	if m := sizeSuffix.FindStringSubmatch(t); m != nil {
		l.add(CodeSizeSuffix, tlsrpt.SeverityError, off+len(m[1]), "TLS-RPT has no DMARC-style size limit; the '!' makes the URI invalid",
			"write "+strconv.Quote(m[1])+" without "+strconv.Quote(t[len(m[1]):]))
		t = m[1]
	}
	k, reason := checkURI(t)
	if k < 0 {
		return l.checkValidURI(URI{s: t}, off), true
	}
	var c byte // 0 when the URI ended too early
	if k < len(t) {
		c = t[k]
	}
	scheme := strings.IndexByte(t, ':')
	switch {
	case scheme < 0 && strings.Contains(t, "@"):
		// QUIRK(stalwartlabs/stalwart#464): a bare address without
		// mailto: (RFC 8460 §3 tlsrpt-uri is an absolute URI).
		l.add(CodeMissingMailto, tlsrpt.SeverityError, off, "e-mail address without mailto:",
			"write "+strconv.Quote("mailto:"+t))
		// Count the repaired URI as a destination (for CodeTooManyURIs,
		// CodeDuplicateURI) without advice about text not in the record.
		if fixed, err := ParseURI("mailto:" + t); err == nil {
			return fixed, true
		}
		return URI{}, false
	case scheme < 0 && afterComma:
		l.add(CodeUnencoded, tlsrpt.SeverityError, off-1, "',' inside a URI must be percent-encoded, or the entry after it lacks a scheme",
			"write %2C instead of ',' inside the URI")
		return URI{}, false
	case c == '!':
		l.add(CodeUnencoded, tlsrpt.SeverityError, off+k, "'!' inside a URI must be percent-encoded", "write %21 instead of '!'")
	case c >= 0x80:
		if fixed, ok := idnFix(t); ok {
			l.add(CodeIDN, tlsrpt.SeverityError, off+k, "the domain must be written as an A-label (a record is ASCII)",
				"write "+strconv.Quote(fixed))
		}
		// Otherwise reportNonASCII reports it.
	case c != 0 && c < 0x20 || c == 0x7f:
		// checkBytes reported CodeControl.
	default:
		l.add(CodeInvalidURI, tlsrpt.SeverityError, off+k, reason, "write an absolute URI such as mailto:tlsrpt@example.com or https://…")
	}
	return URI{}, false
}

// idnFix converts the host of a mailto: or https: URI with U-labels to
// A-labels.
func idnFix(t string) (string, bool) {
	low := strings.ToLower(t)
	var pre, host, post string
	switch {
	case strings.HasPrefix(low, "mailto:"):
		at := strings.LastIndexByte(t, '@')
		if at < 0 {
			return "", false
		}
		pre, host = t[:at+1], t[at+1:]
		if q := strings.IndexByte(host, '?'); q >= 0 {
			host, post = host[:q], host[q:]
		}
	case strings.HasPrefix(low, "https://"):
		rest := t[len("https://"):]
		e := strings.IndexAny(rest, "/?#")
		if e < 0 {
			e = len(rest)
		}
		pre, host, post = t[:len("https://")], rest[:e], rest[e:]
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			pre, host = pre+host[:at+1], host[at+1:]
		}
		if c := strings.LastIndexByte(host, ':'); c >= 0 {
			host, post = host[:c], host[c:]+post
		}
	default:
		return "", false
	}
	if !utf8.ValidString(host) {
		return "", false
	}
	a, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", false
	}
	fixed := pre + a + post
	if k, _ := checkURI(fixed); k >= 0 {
		return "", false
	}
	return fixed, true
}

// checkValidURI gives advice on a URI that Parse accepts.
func (l *linter) checkValidURI(u URI, off int) URI {
	switch {
	case u.hasScheme("mailto"):
		if strings.IndexByte(u.s, '?') >= 0 {
			l.add(CodeMailtoQuery, tlsrpt.SeverityWarning, off+strings.IndexByte(u.s, '?'),
				"RFC 8460 does not define header fields in a mailto: URI; reporters ignore them or may fail",
				"write "+strconv.Quote(u.s[:strings.IndexByte(u.s, '?')]))
		}
		addr, err := u.Address()
		if err != nil {
			l.add(CodeInvalidMailto, tlsrpt.SeverityWarning, off, "the mailto: URI does not hold an address local@domain; reports cannot be mailed",
				"write mailto: followed by a full e-mail address")
			break
		}
		if strings.IndexByte(addr, ',') >= 0 {
			l.add(CodeMailtoComma, tlsrpt.SeverityWarning, off, "the address contains an encoded ','; some reporters read it as two addresses",
				"use an address without ','")
		}
		d, err := u.Domain()
		switch {
		case err != nil:
			l.add(CodeInvalidMailto, tlsrpt.SeverityWarning, off, "the domain of the mailto: address is not a valid host name",
				"write mailto: followed by a full e-mail address")
		case d != strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:]) && !strings.HasSuffix(strings.ToLower(addr), "@"+d+"."):
			l.add(CodeIDN, tlsrpt.SeverityWarning, off, "the domain is percent-encoded Unicode; reporters may not convert it",
				"write the domain as the A-label "+strconv.Quote(d))
		}
	case u.hasScheme("https"):
		if url, err := u.URL(); err != nil || url.Host == "" {
			l.add(CodeInvalidHTTPS, tlsrpt.SeverityWarning, off, "the https: URI has no host; reports cannot be posted",
				"write an https://host/path URI")
		}
	case u.hasScheme("http"):
		l.add(CodeHTTP, tlsrpt.SeverityWarning, off, "reporters only POST reports to https: URIs (RFC 8460 §3); this URI is skipped",
			"write "+strconv.Quote("https"+u.s[len("http"):]))
	default:
		l.add(CodeUnsupportedScheme, tlsrpt.SeverityWarning, off, "scheme "+strconv.Quote(u.Scheme())+
			" is not supported (RFC 8460 §3 defines mailto: and https:); this URI is skipped", "use a mailto: or https: URI")
	}
	return u
}

// destination is a valid rua URI and its offset in the text.
type destination struct {
	u   URI
	off int
}

// checkDestinations checks the valid URIs of the record as a whole.
func (l *linter) checkDestinations(all []destination, end int) {
	seen := make(map[string]bool, len(all))
	supported := 0
	for _, d := range all {
		if d.u.Supported() {
			supported++
		}
		key := normalizeDestination(d.u)
		if seen[key] {
			l.add(CodeDuplicateURI, tlsrpt.SeverityWarning, d.off,
				"the destination "+strconv.Quote(d.u.s)+" is listed more than once; reporters may send it several copies",
				"list each destination once")
		}
		seen[key] = true
	}
	switch {
	case len(all) > 0 && supported == 0 && !hasError(l.fs):
		l.add(CodeNoSupportedURI, tlsrpt.SeverityWarning, end, "no rua URI uses mailto: or https:, so no reports can be sent",
			"add a mailto: or https: URI")
	case supported > maxUsefulDestinations:
		l.add(CodeTooManyURIs, tlsrpt.SeverityWarning, end, strconv.Itoa(supported)+
			" destinations: a reporter may deliver to only one of them (RFC 8460 §3) and few try more than "+
			strconv.Itoa(maxUsefulDestinations), "list at most "+strconv.Itoa(maxUsefulDestinations)+" destinations, the preferred first")
	}
}

// normalizeDestination returns a key under which two spellings of one
// destination compare equal: lower-case scheme, lower-case mailto
// domain or https host, decoded mailto address.
func normalizeDestination(u URI) string {
	if addr, err := u.Address(); err == nil {
		at := strings.LastIndexByte(addr, '@')
		d, err := u.Domain()
		if err != nil {
			d = strings.ToLower(addr[at+1:])
		}
		return "mailto:" + addr[:at+1] + d
	}
	if url, err := u.URL(); err == nil {
		url.Scheme = strings.ToLower(url.Scheme)
		url.Host = strings.ToLower(url.Host)
		return url.String()
	}
	return u.s
}

func hasError(fs []tlsrpt.Diagnostic) bool {
	for _, f := range fs {
		if f.Severity == tlsrpt.SeverityError {
			return true
		}
	}
	return false
}
