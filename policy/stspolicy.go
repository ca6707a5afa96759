package policy

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/capped"
)

// maxSTSPolicySize is the largest MTA-STS policy file ParseSTSPolicy and
// ReadSTSPolicy accept, in bytes: the 64 KiB RFC 8461 §3.3 suggests as the
// maximum policy size.
const maxSTSPolicySize = 64 << 10

// maxSTSMaxAge is the largest max_age RFC 8461 §3.2 allows: 31557600
// seconds, about one year.
const maxSTSMaxAge = 31557600

// Mode is the mode of an MTA-STS policy (RFC 8461 §3.2). The value is
// case-sensitive on the wire.
type Mode string

// The MTA-STS policy modes of RFC 8461 §5.
const (
	// ModeEnforce: senders MUST NOT deliver to an MX that fails validation.
	ModeEnforce Mode = "enforce"
	// ModeTesting: senders deliver anyway but report failures (TLS-RPT).
	ModeTesting Mode = "testing"
	// ModeNone: the domain has no active policy (used to withdraw one).
	ModeNone Mode = "none"
)

// STSPolicy is a parsed MTA-STS policy file (RFC 8461 §3.2), as served at
// https://mta-sts.<domain>/.well-known/mta-sts.txt.
//
// The version field is always "STSv1" and is not stored. Parse gives back
// an STSPolicy whose String is the canonical form of the file; parsing that
// again gives an equal STSPolicy.
type STSPolicy struct {
	// Mode is the mode field.
	Mode Mode
	// MaxAgeSeconds is the max_age field: how long, in seconds, senders
	// may cache the policy (0 to 31557600, about a year).
	MaxAgeSeconds int
	// MX holds the mx patterns in the policy's order: lower-case A-label
	// host names, optionally starting with "*." (RFC 8461 §4.1).
	MX []string
	// Extensions holds the fields with other names, in the policy's order
	// (RFC 8461 §3.2 sts-policy-extension: senders ignore them). Only the
	// first of several fields with the same name is kept.
	Extensions []tlsrpt.Extension
}

// ReadSTSPolicy reads and parses an MTA-STS policy file from r, reading at
// most 64 KiB (65536 bytes, the maximum RFC 8461 §3.3 suggests): a longer
// body is an error matching
// errors.Is(err, tlsrpt.ErrTooLarge), detected without reading more than
// one byte past the cap. Other errors are those of ParseSTSPolicy and of
// r.
func ReadSTSPolicy(r io.Reader) (*STSPolicy, error) {
	data, err := io.ReadAll(capped.NewReader(r, maxSTSPolicySize, errTooLarge))
	if err != nil {
		return nil, err
	}
	return ParseSTSPolicy(string(data))
}

// ParseSTSPolicy parses an MTA-STS policy file strictly by RFC 8461 §3.2:
// "key: value" lines separated by LF or CRLF, an optional terminator after
// the last line, no empty lines, no whitespace before a key or around the
// colon other than after it. The grammar has no place for an empty line
// or a UTF-8 byte order mark (the text must begin with a field name), so
// both are errors, which LintSTSPolicy names; only empty (or white-space)
// lines at the very end are skipped, as senders skip them (LintSTSPolicy
// warns about them). A value may hold any well-formed UTF-8
// (U+0080..U+009F included, as the grammar's UTF8-2 allows) but no ASCII
// control character; tabs may only surround it. It requires version STSv1, a mode, a max_age
// and, unless the mode is none, at least one mx line. For every field but
// mx the first occurrence wins; later duplicates and unknown fields must
// still be well-formed lines. A text longer than 64 KiB (65536 bytes) is
// an error matching errors.Is(err, tlsrpt.ErrTooLarge).
//
// Any other problem is a *tlsrpt.Diagnostic with Severity error. For a
// problem on a line its Path is "line N" (N counted from 1, as in the
// Paths of LintSTSPolicy) and its Offset the byte offset of the problem
// in text; for a missing field Path is empty and Offset is len(text). Its
// Code is the one LintSTSPolicy gives the same mistake where there is
// one (CodeBlankLine, CodeLeadingSpace, CodeNoColon, CodeBOM,
// CodeVersionInvalid, CodeModeInvalid, CodeMaxAgeInvalid,
// CodeMXTrailingDot, CodeMXInvalid, CodeMissingField) and CodeSyntax for
// any other malformed line; its Message names the field when the line
// has one.
//
// mx patterns are stored in lower case. To check a policy and get advice
// rather than a single error, use LintSTSPolicy.
func ParseSTSPolicy(text string) (*STSPolicy, error) {
	p, _, err := parseSTSPolicy(text)
	return p, err
}

// parseSTSPolicy is ParseSTSPolicy; it also returns the 1-based line of a
// *tlsrpt.Diagnostic error, or 0.
func parseSTSPolicy(text string) (*STSPolicy, int, error) {
	if len(text) > maxSTSPolicySize {
		return nil, 0, errTooLarge
	}
	p := &STSPolicy{}
	var haveVersion, haveMode, haveMaxAge bool
	var extSeen nameSet
	lineNo := 0
	rest := text
	for {
		lineNo++
		start := len(text) - len(rest) // the offset of line in text
		var line string
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			line, rest = rest, ""
		} else {
			// RFC 8461 §3.2 sts-policy-term = LF / CRLF (EID 6253: the
			// prose says CRLF, the grammar allows both).
			line, rest = strings.TrimSuffix(rest[:i], "\r"), rest[i+1:]
		}
		if lineNo > 1 && isBlank(line) && isBlank(rest) {
			// QUIRK(hand-written policies): the file ends in empty
			// lines. RFC 8461 §3.2's grammar has no place for them, but
			// senders read such policies, so a consumer does too;
			// LintSTSPolicy warns. An empty line before a field is
			// still an error.
			break
		}
		key, value, vcol, perr := splitPolicyLine(line)
		if perr != nil {
			if lineNo == 1 && strings.HasPrefix(line, "\ufeff") {
				perr.code, perr.msg = CodeBOM, "the text begins with a UTF-8 byte order mark, not a field name"
			}
			return nil, lineNo, perr.diagnostic(lineNo, start)
		}
		fail := func(code tlsrpt.Code, reason string) (*STSPolicy, int, error) {
			return nil, lineNo, (&lineError{col: vcol, code: code, msg: reason}).diagnostic(lineNo, start)
		}
		switch key {
		case "version":
			if haveVersion {
				break // RFC 8461 §3.2: the first occurrence is used
			}
			if value != "STSv1" {
				return fail(CodeVersionInvalid, "version is "+strconv.Quote(value)+", want STSv1")
			}
			haveVersion = true
		case "mode":
			if haveMode {
				break
			}
			if r := checkMode(Mode(value)); r != "" {
				return fail(CodeModeInvalid, r)
			}
			p.Mode, haveMode = Mode(value), true
		case "max_age":
			if haveMaxAge {
				break
			}
			n, r := parseMaxAge(value)
			if r != "" {
				return fail(CodeMaxAgeInvalid, r)
			}
			p.MaxAgeSeconds, haveMaxAge = n, true
		case "mx":
			// RFC 8461 §3.2: mx may be repeated; every occurrence counts.
			pat, r := normalizeMXPattern(value)
			if r != "" {
				return fail(mxCode(value), r)
			}
			if p.MX == nil {
				p.MX = make([]string, 0, 4)
			}
			p.MX = append(p.MX, pat)
		default:
			// RFC 8461 §3.2 sts-policy-extension: unknown fields are
			// ignored by senders; the first of each name is kept.
			if !extSeen.addNew(key) {
				break
			}
			p.Extensions = append(p.Extensions, tlsrpt.Extension{Name: key, Value: value})
		}
		if rest == "" {
			break
		}
	}
	missing := func(key, reason string) (*STSPolicy, int, error) {
		return nil, 0, &tlsrpt.Diagnostic{Offset: len(text), Code: CodeMissingField, Severity: tlsrpt.SeverityError, Message: "missing " + key + " field" + reason}
	}
	switch {
	case !haveVersion:
		return missing("version", "")
	case !haveMode:
		return missing("mode", "")
	case !haveMaxAge:
		return missing("max_age", "")
	case len(p.MX) == 0 && p.Mode != ModeNone:
		// RFC 8461 §3.2: mx is required at least once unless mode is none.
		return missing("mx", " (required unless mode is none)")
	}
	return p, 0, nil
}

// mxCode returns the code of an invalid mx pattern: CodeMXTrailingDot for
// the common mistake of a trailing dot, CodeMXInvalid otherwise.
func mxCode(pattern string) tlsrpt.Code {
	if len(pattern) > 1 && strings.HasSuffix(pattern, ".") {
		return CodeMXTrailingDot
	}
	return CodeMXInvalid
}

// lineError is a problem splitPolicyLine or parseSTSPolicy found on one
// line of a policy: its 1-based byte column, code and message.
type lineError struct {
	col  int
	code tlsrpt.Code
	msg  string
}

// diagnostic returns e as the error of ParseSTSPolicy for line lineNo,
// which begins at byte offset start of the text.
func (e *lineError) diagnostic(lineNo, start int) *tlsrpt.Diagnostic {
	return &tlsrpt.Diagnostic{Path: "line " + strconv.Itoa(lineNo), Offset: start + e.col - 1, Code: e.code, Severity: tlsrpt.SeverityError, Message: e.msg}
}

// splitPolicyLine splits one policy line (without its terminator) into key
// and value by the RFC 8461 §3.2 grammar: ext-name ":" *WSP value *WSP.
// vcol is the 1-based column of the value.
func splitPolicyLine(line string) (key, value string, vcol int, err *lineError) {
	bad := func(col int, code tlsrpt.Code, msg string) (string, string, int, *lineError) {
		return "", "", col, &lineError{col: col, code: code, msg: msg}
	}
	if line == "" {
		return bad(1, CodeBlankLine, "empty line")
	}
	// RFC 8461 §3.2 sts-policy-ext-name = alphanum *31(alphanum / "_" / "-" / ".")
	n := 0
	for n < len(line) && isNameByte(line[n]) {
		n++
	}
	switch {
	case n == 0 && isWSP(line[0]):
		return bad(1, CodeLeadingSpace, "whitespace before the field name")
	case n == 0:
		return bad(1, CodeSyntax, "expected a field name, found "+quoteByte(line[0]))
	case !isAlnum(line[0]):
		return bad(1, CodeSyntax, "field name "+strconv.Quote(line[:n])+" must begin with a letter or digit")
	case n > 32:
		return bad(33, CodeSyntax, "field name "+strconv.Quote(line[:32])+"... longer than 32 characters")
	}
	key = line[:n]
	// A line without any colon is not "key: value" at all (LintSTSPolicy's
	// no-colon); one with a misplaced colon is malformed.
	colonCode := CodeSyntax
	if strings.IndexByte(line[n:], ':') < 0 {
		colonCode = CodeNoColon
	}
	if n == len(line) {
		return bad(n+1, colonCode, "missing ':' after field name "+strconv.Quote(key))
	}
	if line[n] != ':' {
		if isWSP(line[n]) {
			return bad(n+1, colonCode, "whitespace before ':' after field name "+strconv.Quote(key))
		}
		return bad(n+1, colonCode, "expected ':' after field name "+strconv.Quote(key)+", found "+quoteByte(line[n]))
	}
	// RFC 8461 §3.2 sts-policy-field-delim = ":" *WSP
	v := n + 1
	for v < len(line) && isWSP(line[v]) {
		v++
	}
	// The trailing *WSP after a field.
	end := len(line)
	for end > v && isWSP(line[end-1]) {
		end--
	}
	if v == end {
		return bad(v+1, CodeSyntax, "empty value for field "+strconv.Quote(key))
	}
	// RFC 8461 §3.2 sts-policy-ext-value: VCHAR / UTF-8, internal SP only.
	for i := v; i < end; {
		c := line[i]
		switch {
		case c == ' ' || (c > ' ' && c < 0x7f):
			i++
		case c < utf8.RuneSelf:
			return bad(i+1, CodeSyntax, "control character "+quoteByte(c)+" in the value of field "+strconv.Quote(key))
		default:
			// UTF8-2 / UTF8-3 / UTF8-4 (RFC 3629 §4): any well-formed
			// sequence, U+0080..U+009F included. Rejecting more than the
			// grammar would make a sender ignore a valid policy.
			r, size := utf8.DecodeRuneInString(line[i:end])
			if r == utf8.RuneError && size <= 1 {
				return bad(i+1, CodeSyntax, "invalid UTF-8 in the value of field "+strconv.Quote(key))
			}
			i += size
		}
	}
	return key, line[v:end], v + 1, nil
}

// checkMode returns why m is not a valid RFC 8461 §3.2 mode, or "".
func checkMode(m Mode) string {
	switch m {
	case ModeEnforce, ModeTesting, ModeNone:
		return ""
	}
	if l := Mode(strings.ToLower(string(m))); l == ModeEnforce || l == ModeTesting || l == ModeNone {
		return "mode " + strconv.Quote(string(m)) + " must be lower case: " + string(l)
	}
	return "mode is " + strconv.Quote(string(m)) + ", want enforce, testing or none"
}

// parseMaxAge parses an RFC 8461 §3.2 sts-policy-max-age-value: 1*10DIGIT,
// at most maxSTSMaxAge.
func parseMaxAge(s string) (int, string) {
	if len(s) > 10 {
		return 0, "max_age " + strconv.Quote(s) + " has more than 10 digits"
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, "max_age " + strconv.Quote(s) + " is not a non-negative integer number of seconds"
		}
		n = n*10 + int(s[i]-'0')
	}
	if n > maxSTSMaxAge {
		return 0, "max_age " + s + " exceeds the maximum of 31557600 seconds"
	}
	return n, ""
}

// Validate reports whether p would be a valid policy file: a known mode,
// max_age within 0..maxSTSMaxAge, well-formed mx patterns (at least one
// unless the mode is none) and extensions whose names and values match
// the RFC 8461 §3.2 grammar and do not reuse a defined field name. The
// error is a *tlsrpt.Diagnostic with Severity error, the Code
// ParseSTSPolicy gives the same mistake (CodeSyntax for a malformed
// extension), Offset 0 and a Path naming the field of p: "mode",
// "max_age", "mx", "mx[i]" or "extensions[i]".
func (p *STSPolicy) Validate() error {
	bad := func(path string, code tlsrpt.Code, msg string) error {
		return &tlsrpt.Diagnostic{Path: path, Code: code, Severity: tlsrpt.SeverityError, Message: msg}
	}
	if r := checkMode(p.Mode); r != "" {
		return bad("mode", CodeModeInvalid, r)
	}
	if p.MaxAgeSeconds < 0 || p.MaxAgeSeconds > maxSTSMaxAge {
		return bad("max_age", CodeMaxAgeInvalid, "max_age "+strconv.Itoa(p.MaxAgeSeconds)+" is outside 0..31557600")
	}
	if len(p.MX) == 0 && p.Mode != ModeNone {
		return bad("mx", CodeMissingField, "missing mx field (required unless mode is none)")
	}
	for i, m := range p.MX {
		if _, r := normalizeMXPattern(m); r != "" {
			return bad("mx["+strconv.Itoa(i)+"]", mxCode(m), r)
		}
	}
	var seen nameSet
	for i, e := range p.Extensions {
		path := "extensions[" + strconv.Itoa(i) + "]"
		switch e.Name {
		case "version", "mode", "max_age", "mx":
			return bad(path, CodeSyntax, "extension uses the defined field name "+strconv.Quote(e.Name))
		}
		if !seen.addNew(e.Name) {
			return bad(path, CodeSyntax, "extension "+strconv.Quote(e.Name)+" appears twice")
		}
		k, v, _, err := splitPolicyLine(e.Name + ": " + e.Value)
		if err != nil {
			return bad(path, CodeSyntax, "extension "+strconv.Quote(e.Name)+": "+err.msg)
		}
		if k != e.Name || v != e.Value {
			return bad(path, CodeSyntax, "extension "+strconv.Quote(e.Name)+": name or value does not survive formatting")
		}
	}
	return nil
}

// lines returns the policy's fields as "key: value" strings in canonical
// order: version, mode, every mx in the policy's order, max_age, then the
// extensions in the policy's order. These are the RFC 8460 §4.5
// policy-string elements FromSTSText(domain, p.String()) gives.
func (p *STSPolicy) lines() []string {
	lines := make([]string, 0, 3+len(p.MX)+len(p.Extensions))
	lines = append(lines, "version: STSv1", "mode: "+string(p.Mode))
	for _, m := range p.MX {
		lines = append(lines, "mx: "+m)
	}
	lines = append(lines, "max_age: "+strconv.Itoa(p.MaxAgeSeconds))
	for _, e := range p.Extensions {
		lines = append(lines, e.Name+": "+e.Value)
	}
	return lines
}

// String returns the canonical policy file: version, mode, every mx in the
// policy's order, max_age, then the extensions in the policy's order, as
// "key: value" lines each terminated by CRLF as RFC 8461 §3.2's prose
// asks (FromSTSText(domain, p.String()) puts the same lines, without
// terminators, in policy-string). It is what a domain should serve;
// ParseSTSPolicy(p.String()) equals p for a p that Validate accepts.
func (p *STSPolicy) String() string {
	var b strings.Builder
	n := len("version: STSv1\r\nmode: enforce\r\nmax_age: 31557600\r\n")
	for _, m := range p.MX {
		n += len("mx: \r\n") + len(m)
	}
	for _, e := range p.Extensions {
		n += len(e.Name) + len(e.Value) + 4
	}
	b.Grow(n)
	b.WriteString("version: STSv1\r\nmode: ")
	b.WriteString(string(p.Mode))
	b.WriteString("\r\n")
	for _, m := range p.MX {
		b.WriteString("mx: ")
		b.WriteString(m)
		b.WriteString("\r\n")
	}
	b.WriteString("max_age: ")
	var num [20]byte
	b.Write(strconv.AppendInt(num[:0], int64(p.MaxAgeSeconds), 10))
	b.WriteString("\r\n")
	for _, e := range p.Extensions {
		b.WriteString(e.Name)
		b.WriteString(": ")
		b.WriteString(e.Value)
		b.WriteString("\r\n")
	}
	return b.String()
}

// nameSet is a set of field names, allocated on first use, so that
// checking for repeated fields stays linear in the input.
type nameSet map[string]struct{}

// addNew adds name and reports whether it was not yet in the set.
func (s *nameSet) addNew(name string) bool {
	if _, ok := (*s)[name]; ok {
		return false
	}
	if *s == nil {
		*s = make(nameSet)
	}
	(*s)[name] = struct{}{}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isNameByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

func quoteByte(c byte) string {
	if c >= utf8.RuneSelf {
		return "byte 0x" + strconv.FormatUint(uint64(c), 16)
	}
	return strconv.QuoteRune(rune(c))
}

// isBlank reports whether s holds nothing but spaces, tabs, CR and LF.
func isBlank(s string) bool {
	return strings.Trim(s, " \t\r\n") == ""
}
