package report

import (
	"bytes"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// This file holds the canonicalisations shared by the lenient decoder
// (which reports each change as a Warning) and the encoder (which applies
// them silently, so that everything it writes is accepted by the strict
// decoder).

// maxCount is the largest count: I-JSON numbers must be exact IEEE 754
// doubles (RFC 7493 §2.2).
const maxCount = 1<<53 - 1

// knownResultType returns the registry constant spelled exactly as s, if any.
func knownResultType[S ~string | ~[]byte](s S) (ResultType, bool) {
	switch string(s) {
	case "starttls-not-supported":
		return ResultSTARTTLSNotSupported, true
	case "certificate-host-mismatch":
		return ResultCertificateHostMismatch, true
	case "certificate-expired":
		return ResultCertificateExpired, true
	case "certificate-not-trusted":
		return ResultCertificateNotTrusted, true
	case "validation-failure":
		return ResultValidationFailure, true
	case "tlsa-invalid":
		return ResultTLSAInvalid, true
	case "dnssec-invalid":
		return ResultDNSSECInvalid, true
	case "dane-required":
		return ResultDANERequired, true
	case "sts-policy-fetch-error":
		return ResultSTSPolicyFetchError, true
	case "sts-policy-invalid":
		return ResultSTSPolicyInvalid, true
	case "sts-webpki-invalid":
		return ResultSTSWebPKIInvalid, true
	}
	return "", false
}

// foldName lower-cases s, maps '_' to '-' and trims spaces; it is the
// spelling-insensitive form used to recognise variants of RFC names.
func foldName[S ~string | ~[]byte](dst []byte, s S) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c == '_':
			c = '-'
		}
		dst = append(dst, c)
	}
	return dst
}

// canonicalResultType returns the registry spelling of a result type
// written in capitals or with underscores, and whether it differs from s.
// Unknown values are returned verbatim (RFC 8460 §4.3: the registry grows).
func canonicalResultType(s string) (ResultType, bool) {
	if rt, ok := knownResultType(s); ok {
		return rt, false
	}
	var buf [32]byte
	if len(s) <= len(buf) {
		if rt, ok := knownResultType(foldName(buf[:0], s)); ok {
			return rt, true
		}
	}
	return ResultType(s), false
}

// canonicalPolicyType is canonicalResultType for policy-type.
func canonicalPolicyType(s string) (policy.Type, bool) {
	switch s {
	case "sts", "tlsa", "no-policy-found":
		return policy.Type(s), false
	}
	var buf [32]byte
	if len(s) <= len(buf) {
		switch f := string(foldName(buf[:0], s)); f {
		case "sts":
			return policy.TypeSTS, true
		case "tlsa":
			return policy.TypeTLSA, true
		case "no-policy-found":
			return policy.TypeNoPolicyFound, true
		}
	}
	return policy.Type(s), false
}

// canonicalDomain returns s as a lower-case A-label without trailing dot
// (RFC 8460 §4.4) and whether that differs from s. A name that is not a
// valid host name is returned unchanged: judging it is Validate's job.
func canonicalDomain(s string) (string, bool) {
	if s == "" {
		return s, false
	}
	a, err := domain.ToASCII(s)
	if err != nil || a == s {
		return s, false
	}
	return a, true
}

// canonicalMXHost canonicalises an mx-host pattern: it removes a
// policy-string style "mx: " prefix (reported by prefix) and makes the name
// after an optional "*." an A-label (reported by changed).
func canonicalMXHost(s string) (out string, prefix, changed bool) {
	for len(s) >= 3 && (s[0] == 'm' || s[0] == 'M') && (s[1] == 'x' || s[1] == 'X') && s[2] == ':' {
		// QUIRK(Stalwart-style senders): "mx: mx.example.com" in mx-host,
		// the policy-string line copied verbatim (RFC 8460 §4.4 mx-host).
		s = strings.TrimSpace(s[3:])
		prefix = true
	}
	if rest, ok := strings.CutPrefix(s, "*."); ok {
		if a, ch := canonicalDomain(rest); ch {
			return "*." + a, prefix, true
		}
		return s, prefix, false
	}
	a, ch := canonicalDomain(s)
	return a, prefix, ch
}

// isHex reports whether s is non-empty and all hexadecimal digits.
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// isDigits reports whether s is non-empty and all ASCII digits.
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

// canonicalTLSA returns a TLSA RR in RFC 8460 §4.5 form: the four RDATA
// fields of RFC 6698 §2.2 separated by single spaces, the hex data without
// spaces or parentheses. Strings that do not look like a TLSA RR are
// returned unchanged.
func canonicalTLSA(s string) (string, bool) {
	if isCanonicalTLSA(s) {
		return s, false
	}
	f := strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(s))
	if len(f) < 4 || !isDigits(f[0]) || !isDigits(f[1]) || !isDigits(f[2]) {
		return s, false
	}
	for _, h := range f[3:] {
		if !isHex(h) {
			return s, false
		}
	}
	out := f[0] + " " + f[1] + " " + f[2] + " " + strings.Join(f[3:], "")
	return out, out != s
}

// isCanonicalTLSA is the allocation-free fast path of canonicalTLSA:
// "u s m hex" with single spaces.
func isCanonicalTLSA(s string) bool {
	for i := 0; i < 3; i++ {
		j := strings.IndexByte(s, ' ')
		if j <= 0 || !isDigits(s[:j]) {
			return false
		}
		s = s[j+1:]
	}
	return isHex(s)
}

// unpackJSONArray returns the strings of s if s is a JSON array of strings
// (Microsoft's TLSA policy-string element), else ok is false.
func unpackJSONArray(s string) (out []string, ok bool) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return nil, false
	}
	if out, ok := unpackPlainJSONArray(t); ok {
		return out, true
	}
	return unpackJSONArrayTokens(t)
}

// unpackJSONArrayTokens is unpackJSONArray of the trimmed t, read by the
// jsontext tokenizer.
func unpackJSONArrayTokens(t string) (out []string, ok bool) {
	dec := jsontext.NewDecoder(bytes.NewBufferString(t))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return nil, false
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, false
		}
		e := tok.String()
		if t := strings.TrimSpace(e); strings.HasPrefix(t, "[") {
			return nil, false // nested: not Microsoft's form; keep verbatim
		}
		out = append(out, e)
	}
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != ']' {
		return nil, false
	}
	if _, err := dec.ReadToken(); err == nil {
		return nil, false
	}
	return out, true
}

// unpackPlainJSONArray is unpackJSONArray for the common form without a
// tokenizer: t is '[', ']' or a comma-separated list of strings of
// printable ASCII without '"' and '\\', with JSON white space around the
// tokens. It returns ok == false for anything else (escapes, non-ASCII,
// other values, a syntax error), which unpackJSONArray then reads with
// jsontext: for what it accepts it returns what jsontext reads.
func unpackPlainJSONArray(t string) (out []string, ok bool) {
	i := 1 // after '['
	skip := func() {
		for i < len(t) && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r') {
			i++
		}
	}
	skip()
	if i < len(t) && t[i] == ']' {
		return nil, i == len(t)-1
	}
	for {
		if i >= len(t) || t[i] != '"' {
			return nil, false
		}
		j := i + 1
		for j < len(t) && t[j] >= ' ' && t[j] <= '~' && t[j] != '"' && t[j] != '\\' {
			j++
		}
		if j >= len(t) || t[j] != '"' {
			return nil, false
		}
		e := t[i+1 : j]
		if e := strings.TrimSpace(e); strings.HasPrefix(e, "[") {
			return nil, false // nested: left to unpackJSONArray, which keeps it verbatim
		}
		if out == nil {
			out = make([]string, 0, 4)
		}
		out = append(out, e)
		i = j + 1
		skip()
		switch {
		case i < len(t) && t[i] == ',':
			i++
			skip()
		case i == len(t)-1 && t[i] == ']':
			return out, true
		default:
			return nil, false
		}
	}
}

// splitPolicyString splits a policy-string sent as one JSON string
// (RFC 8460 §4's prose form) into the array form of §4.4: lines for sts, ";"
// separated records for tlsa. A string holding a JSON array is kept whole
// so that the JSON-array repair applies to it.
func splitPolicyString(typ policy.Type, s string) []string {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") {
		return []string{s}
	}
	var parts []string
	switch typ {
	case policy.TypeSTS:
		parts = strings.Split(t, "\n")
	case policy.TypeTLSA:
		parts = strings.FieldsFunc(t, func(r rune) bool { return r == ';' || r == '\n' })
	default:
		return []string{s}
	}
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil // as an empty array decodes (stringArray)
	}
	return out
}

// policyStringFix is one repair of a policy-string element.
type policyStringFix struct {
	index int // index in the input array
	code  tlsrpt.Code
	msg   string
}

// canonicalPolicyStrings returns the canonical policy-string of a policy
// of type typ and the repairs made. It returns ss itself (not a copy) when
// nothing changes.
func canonicalPolicyStrings(typ policy.Type, ss []string) ([]string, []policyStringFix) {
	if typ != policy.TypeTLSA && typ != policy.TypeSTS {
		return ss, nil
	}
	var fixes []policyStringFix
	var out []string // nil until a change
	for i, s := range ss {
		var repl []string
		replaced := false
		if len(s) > 0 && (s[0] == '[' || s[0] == ' ') {
			if elems, ok := unpackJSONArray(s); ok {
				// QUIRK(Microsoft): TLSA policy-string is one string holding a
				// JSON array of the RRs (RFC 8460 §4.5 wants one RR per element).
				fixes = append(fixes, policyStringFix{i, CodePolicyStringJSON, "policy-string element holds a JSON array of " + itoa(len(elems)) + " string(s); its elements are used"})
				repl, replaced = elems, true
			}
		}
		if typ == policy.TypeTLSA {
			if !replaced {
				if c, ch := canonicalTLSA(s); ch {
					fixes = append(fixes, policyStringFix{i, CodeTLSAStringFormat, "TLSA record " + quoteShort(s) + " not in presentation form; rewritten as " + quoteShort(c)})
					repl, replaced = []string{c}, true
				}
			} else {
				for j, e := range repl {
					if c, ch := canonicalTLSA(e); ch {
						fixes = append(fixes, policyStringFix{i, CodeTLSAStringFormat, "TLSA record " + quoteShort(e) + " not in presentation form; rewritten as " + quoteShort(c)})
						repl[j] = c
					}
				}
			}
		}
		if replaced && out == nil {
			out = append(make([]string, 0, len(ss)+len(repl)), ss[:i]...)
		}
		switch {
		case replaced:
			out = append(out, repl...)
		case out != nil:
			out = append(out, s)
		}
	}
	if out == nil && fixes == nil {
		return ss, nil
	}
	if len(out) == 0 {
		out = nil // all elements were empty JSON arrays
	}
	return out, fixes
}
