package policy

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
)

// The codes of the Diagnostics LintSTSPolicy returns. They are stable:
// tools may match on them. The errors of ParseSTSPolicy and
// STSPolicy.Validate use the same codes for the same mistakes.
const (
	CodeSyntax          tlsrpt.Code = "syntax"             // error: ParseSTSPolicy rejects the policy (the message is its reason); ParseSTSPolicy's own code for a malformed line no other code names
	CodeTooLarge        tlsrpt.Code = "too-large"          // error: larger than 64 KiB
	CodeBOM             tlsrpt.Code = "bom"                // error: the file starts with a UTF-8 byte order mark
	CodeBlankLine       tlsrpt.Code = "blank-line"         // error: an empty or whitespace-only line (a warning at the end of the file, which senders skip)
	CodeLeadingSpace    tlsrpt.Code = "leading-whitespace" // error: whitespace before a field name
	CodeNoColon         tlsrpt.Code = "no-colon"           // error: a line that is not "key: value"
	CodeKeyCase         tlsrpt.Code = "key-case"           // error: "Mode:" etc.; keys are case-sensitive, senders ignore the line
	CodeKeyTypo         tlsrpt.Code = "key-typo"           // error: "max-age", "maxage", "mx-host" etc. for a defined key
	CodeUnknownKey      tlsrpt.Code = "unknown-key"        // info: an extension field senders ignore
	CodeDuplicateKey    tlsrpt.Code = "duplicate-key"      // warning: a non-mx field repeated; only the first counts
	CodeDuplicateMX     tlsrpt.Code = "duplicate-mx"       // info: the same mx pattern twice
	CodeMXTrailingDot   tlsrpt.Code = "mx-trailing-dot"    // error: "mx: mail.example.com."
	CodeMXIPAddress     tlsrpt.Code = "mx-ip-address"      // error: an IP address as mx pattern never matches an MX host name
	CodeModeTesting     tlsrpt.Code = "mode-testing"       // warning: mode testing still active
	CodeModeNone        tlsrpt.Code = "mode-none"          // info: mode none (policy withdrawn)
	CodeModeNoneMX      tlsrpt.Code = "mode-none-with-mx"  // info: mx lines under mode none are ignored
	CodeMaxAgeShort     tlsrpt.Code = "max-age-short"      // warning: max_age under one day in mode enforce
	CodeMaxAgeBelowWeek tlsrpt.Code = "max-age-below-week" // info: max_age under one week in mode enforce (RFC 8461 §3.2 expects weeks)
	CodeMXNotCovered    tlsrpt.Code = "mx-not-covered"     // error (enforce) or warning (testing): an MX host no pattern matches
	CodeMXPatternUnused tlsrpt.Code = "mx-pattern-unused"  // warning: a pattern that matches none of the MX hosts
	CodeMXHostInvalid   tlsrpt.Code = "mx-host-invalid"    // warning: an entry of the given MX host list is not a host name
	CodeMXInvalid       tlsrpt.Code = "mx-invalid"         // error: an mx pattern that is not ["*."] host name (misplaced wildcard, U-label, bad label)
	CodeNotPolicy       tlsrpt.Code = "not-a-policy"       // error: no line is a defined field (an error page, an empty file)
	CodeMissingField    tlsrpt.Code = "missing-field"      // error: version, mode, max_age, or mx (unless mode none) absent
	CodeVersionInvalid  tlsrpt.Code = "version-invalid"    // error: a version other than STSv1
	CodeModeInvalid     tlsrpt.Code = "mode-invalid"       // error: a mode other than enforce, testing, none (they are case-sensitive)
	CodeMaxAgeInvalid   tlsrpt.Code = "max-age-invalid"    // error: max_age not whole seconds or above 31557600
)

// missingFix suggests a line for a missing field.
var missingFix = map[string]string{
	"version": "version: STSv1",
	"mode":    "mode: testing",
	"max_age": "max_age: 86400",
}

// LintSTSPolicy checks an MTA-STS policy file (RFC 8461 §3.2) for an
// operator and returns advice; it never fails. mxHosts, if not nil, is the
// domain's MX host list (the targets of its MX records); the policy is
// then checked against it: every MX host should be matched by a pattern
// (RFC 8461 §4.1), and every pattern should match an MX host.
//
// A Diagnostic about one line of the policy has Path "line N" (N counted
// from 1, as in the errors of ParseSTSPolicy) and Offset, the byte offset in text
// where the line starts; one about the policy as a whole or about the MX
// host list has Path "" and Offset 0. The ones about the whole come first,
// then the others in line order. Index is 0. The codes are the Code*
// constants above; the severities mean:
//
//   - tlsrpt.SeverityError: senders treat the policy as invalid and
//     ignore it (ParseSTSPolicy rejects it), or, under mode enforce, mail
//     to one of the domain's MX hosts will fail. A policy that
//     ParseSTSPolicy rejects always has a CodeSyntax diagnostic, usually
//     followed by a more specific one for the same line.
//   - tlsrpt.SeverityWarning: the policy works but protects less than
//     intended, or contains something that is probably a mistake.
//   - tlsrpt.SeverityInfo: the policy works; the note is advice.
func LintSTSPolicy(text string, mxHosts []string) []tlsrpt.Diagnostic {
	var out []lineDiag
	add := func(code tlsrpt.Code, sev tlsrpt.Severity, line int, msg, fix string) {
		out = append(out, lineDiag{line, tlsrpt.Diagnostic{Code: code, Severity: sev, Message: msg, Fix: fix}})
	}
	if len(text) > maxSTSPolicySize {
		add(CodeTooLarge, tlsrpt.SeverityError, 0, "the policy is larger than 64 KiB; senders stop reading at 64 KiB (RFC 8461 §3.3)", "serve only the policy lines")
		return lineDiagnostics(out, text)
	}
	if _, line, err := parseSTSPolicy(text); err != nil {
		msg := strings.TrimPrefix(err.Error(), "policy: ")
		var d *tlsrpt.Diagnostic
		if errors.As(err, &d) {
			msg = d.Message
		}
		add(CodeSyntax, tlsrpt.SeverityError, line, "senders treat this policy as invalid and ignore it: "+msg, "")
	}

	// A tolerant pass, to give specific advice even when the strict parse
	// failed: it trims, skips blank lines and collects the first value of
	// each key.
	first := map[string]field{}
	var mx []field
	body := text // text without a byte order mark
	if strings.HasPrefix(text, "\ufeff") {
		add(CodeBOM, tlsrpt.SeverityError, 1, "the file starts with a UTF-8 byte order mark; save it without one", "save the file as UTF-8 without a byte order mark")
		body = text[len("\ufeff"):]
	}
	lines := strings.Split(body, "\n")
	if len(lines) > 1 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1] // the optional final terminator
	}
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimSuffix(raw, "\r")
		if strings.TrimSpace(line) == "" {
			if n > 1 && isBlank(strings.Join(lines[i:], "\n")) {
				add(CodeBlankLine, tlsrpt.SeverityWarning, n, "empty line at the end; RFC 8461 §3.2 allows none, though senders skip it", "delete the empty line")
				break
			}
			add(CodeBlankLine, tlsrpt.SeverityError, n, "empty line; RFC 8461 §3.2 allows none, and strict senders reject the policy", "delete the empty line")
			continue
		}
		if isWSP(line[0]) {
			add(CodeLeadingSpace, tlsrpt.SeverityError, n, "whitespace before the field name; remove it", "start the line with the field name")
		}
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			msg := "not a \"key: value\" line"
			if strings.HasPrefix(strings.TrimSpace(line), "v=STSv1") {
				msg += "; this is the _mta-sts TXT record, which belongs in DNS, not in the policy file"
			}
			add(CodeNoColon, tlsrpt.SeverityError, n, msg, "write the line as \"key: value\" or delete it")
			continue
		}
		key = strings.TrimSpace(key)
		value = strings.TrimSpace(value)
		canon := canonicalKey(key)
		switch {
		case canon != "" && canon != key && strings.EqualFold(canon, key):
			add(CodeKeyCase, tlsrpt.SeverityError, n, "field names are case-sensitive: write "+strconv.Quote(canon)+", not "+strconv.Quote(key)+"; senders ignore this line", canon+": "+value)
		case canon != "" && canon != key:
			add(CodeKeyTypo, tlsrpt.SeverityError, n, strconv.Quote(key)+" is not a field senders know; did you mean "+strconv.Quote(canon)+"?", canon+": "+value)
		case canon == "":
			add(CodeUnknownKey, tlsrpt.SeverityInfo, n, "unknown field "+strconv.Quote(key)+"; senders ignore it", "")
			continue
		}
		if canon == "mx" {
			mx = append(mx, field{n, value})
			continue
		}
		if f, dup := first[canon]; dup {
			add(CodeDuplicateKey, tlsrpt.SeverityWarning, n, canon+" already appears on line "+strconv.Itoa(f.line)+"; senders use the first and ignore this one", "delete this line")
			continue
		}
		first[canon] = field{n, value}
	}

	// mx patterns.
	var patterns []field
	seen := map[string]int{}
	for _, f := range mx {
		v := strings.ToLower(f.value)
		if strings.HasSuffix(v, ".") && len(v) > 1 {
			add(CodeMXTrailingDot, tlsrpt.SeverityError, f.line, "mx patterns are written without a trailing dot: "+strings.TrimSuffix(v, "."), "mx: "+strings.TrimSuffix(v, "."))
			v = strings.TrimSuffix(v, ".")
		}
		if isIPAddress(v) {
			add(CodeMXIPAddress, tlsrpt.SeverityError, f.line, "mx "+v+" is an IP address; MTA-STS matches MX host names, never addresses", "list the MX host name instead")
			continue
		}
		if prev, dup := seen[v]; dup {
			add(CodeDuplicateMX, tlsrpt.SeverityInfo, f.line, "mx "+v+" already appears on line "+strconv.Itoa(prev), "delete this line")
			continue
		}
		if _, r := normalizeMXPattern(v); r != "" {
			add(CodeMXInvalid, tlsrpt.SeverityError, f.line, r, "")
			continue
		}
		seen[v] = f.line
		patterns = append(patterns, field{f.line, v})
	}

	// version, mode and max_age.
	switch {
	case len(first) == 0 && len(mx) == 0:
		add(CodeNotPolicy, tlsrpt.SeverityError, 0, "this is not an MTA-STS policy: none of its lines is a version, mode, max_age or mx field; is the web server returning an error page or another file?", "")
	default:
		for _, key := range []string{"version", "mode", "max_age"} {
			if _, ok := first[key]; !ok {
				add(CodeMissingField, tlsrpt.SeverityError, 0, "the policy has no "+key+" field", missingFix[key])
			}
		}
		if len(mx) == 0 && first["mode"].value != string(ModeNone) {
			add(CodeMissingField, tlsrpt.SeverityError, 0, "the policy has no mx field; every mode but none needs at least one", "mx: <your MX host>")
		}
	}
	if v, ok := first["version"]; ok && v.value != "STSv1" {
		add(CodeVersionInvalid, tlsrpt.SeverityError, v.line, "version is "+strconv.Quote(v.value)+"; the only version is STSv1", "version: STSv1")
	}
	mode := Mode(first["mode"].value)
	modeLine := first["mode"].line
	if _, ok := first["mode"]; ok {
		if r := checkMode(mode); r != "" {
			fix := "mode: testing"
			if l := Mode(strings.ToLower(string(mode))); checkMode(l) == "" {
				fix = "mode: " + string(l)
			}
			add(CodeModeInvalid, tlsrpt.SeverityError, modeLine, r, fix)
		}
	}
	if ma, ok := first["max_age"]; ok {
		if _, r := parseMaxAge(ma.value); r != "" {
			add(CodeMaxAgeInvalid, tlsrpt.SeverityError, ma.line, r+"; write whole seconds, at most 31557600", "max_age: 1209600")
		}
	}
	switch mode {
	case ModeTesting:
		add(CodeModeTesting, tlsrpt.SeverityWarning, modeLine, "mode testing: senders report failures but still deliver over unauthenticated or plaintext connections; switch to enforce once your TLS reports show no failures", "mode: enforce")
	case ModeNone:
		add(CodeModeNone, tlsrpt.SeverityInfo, modeLine, "mode none: senders apply no MTA-STS policy; keep serving it for at least the previous max_age when withdrawing a policy (RFC 8461 §8.3)", "")
		if len(mx) > 0 {
			add(CodeModeNoneMX, tlsrpt.SeverityInfo, mx[0].line, "mx lines are ignored under mode none", "")
		}
	}
	if ma, ok := first["max_age"]; ok {
		if secs, r := parseMaxAge(ma.value); r == "" && mode == ModeEnforce {
			switch {
			case secs < 86400:
				add(CodeMaxAgeShort, tlsrpt.SeverityWarning, ma.line, "max_age "+ma.value+" is under one day: a sender's cached policy expires quickly, so an attacker who blocks the policy fetch can downgrade delivery; use weeks (e.g. 1209600)", "max_age: 1209600")
			case secs < 604800:
				add(CodeMaxAgeBelowWeek, tlsrpt.SeverityInfo, ma.line, "max_age "+ma.value+" is under one week; RFC 8461 §3.2 expects weeks or more once the policy is stable", "max_age: 1209600")
			}
		}
	}

	// Against the domain's MX hosts.
	if mxHosts != nil && mode != ModeNone && len(patterns) > 0 {
		out = lintMXHosts(out, mode, patterns, mxHosts)
	}
	return lineDiagnostics(out, text)
}

// lineDiag is a diagnostic of LintSTSPolicy with its 1-based line, or 0
// for the policy as a whole.
type lineDiag struct {
	line int
	d    tlsrpt.Diagnostic
}

// lineDiagnostics orders ds with the ones about the whole policy first,
// then by line (stable, so a syntax diagnostic precedes the specific
// advice for its line), and sets their Path and Offset.
func lineDiagnostics(ds []lineDiag, text string) []tlsrpt.Diagnostic {
	if len(ds) == 0 {
		return nil
	}
	slices.SortStableFunc(ds, func(a, b lineDiag) int { return a.line - b.line })
	out := make([]tlsrpt.Diagnostic, len(ds))
	line, start := 1, 0 // the line that begins at text[start:]
	for i, ld := range ds {
		d := ld.d
		if ld.line > 0 {
			for line < ld.line {
				nl := strings.IndexByte(text[start:], '\n')
				if nl < 0 {
					break // defensive: lines are counted in text
				}
				start += nl + 1
				line++
			}
			d.Path = "line " + strconv.Itoa(ld.line)
			d.Offset = start
		}
		out[i] = d
	}
	return out
}

// lintMXHosts compares the mx patterns with the domain's MX hosts.
func lintMXHosts(out []lineDiag, mode Mode, patterns []field, mxHosts []string) []lineDiag {
	add := func(code tlsrpt.Code, sev tlsrpt.Severity, line int, msg, fix string) {
		out = append(out, lineDiag{line, tlsrpt.Diagnostic{Code: code, Severity: sev, Message: msg, Fix: fix}})
	}
	used := make([]bool, len(patterns))
	for _, h := range mxHosts {
		host, ok := normalizeHost(h)
		if !ok {
			add(CodeMXHostInvalid, tlsrpt.SeverityWarning, 0, "MX host "+strconv.Quote(h)+" is not a valid host name", "")
			continue
		}
		matched := false
		for i, p := range patterns {
			if matchNormalized(p.value, host) {
				used[i], matched = true, true
			}
		}
		if matched {
			continue
		}
		sev, effect := tlsrpt.SeverityError, "mail to it will fail under mode enforce"
		if mode != ModeEnforce {
			sev, effect = tlsrpt.SeverityWarning, "it would fail once the mode is enforce"
		}
		msg := "MX host " + host + " matches no mx pattern; " + effect + hintWildcard(host, patterns)
		add(CodeMXNotCovered, sev, 0, msg, "mx: "+host)
	}
	for i, p := range patterns {
		if !used[i] {
			add(CodeMXPatternUnused, tlsrpt.SeverityWarning, p.line, "mx "+p.value+" matches none of the domain's MX hosts; remove it if it is stale", "delete the line if no MX host needs it")
		}
	}
	return out
}

// hintWildcard explains the RFC 8461 §4.1 wildcard rule when a pattern
// nearly matched host.
func hintWildcard(host string, patterns []field) string {
	for _, p := range patterns {
		base, ok := strings.CutPrefix(p.value, "*.")
		if !ok {
			continue
		}
		if host == base {
			return " (" + p.value + " does not match " + base + " itself; add \"mx: " + base + "\")"
		}
		if strings.HasSuffix(host, "."+base) {
			return " (" + p.value + " matches exactly one label; " + host + " has more)"
		}
	}
	return ""
}

// field is one line's value as the lint pass found it.
type field struct {
	line  int
	value string
}

// canonicalKey maps a key as an operator might write it to the defined
// key it means, or "".
func canonicalKey(key string) string {
	if len(key) > 16 {
		return ""
	}
	var buf [16]byte
	k := buf[:0]
	for i := 0; i < len(key); i++ {
		switch c := lowerASCII(key[i]); c {
		case '-', '_', ' ', '.':
		default:
			k = append(k, c)
		}
	}
	switch string(k) {
	case "version", "v":
		return "version"
	case "mode":
		return "mode"
	case "maxage", "age", "ttl":
		return "max_age"
	case "mx", "mxhost", "mxhosts":
		return "mx"
	}
	return ""
}

// isIPAddress reports whether s looks like an IPv4 or IPv6 address.
func isIPAddress(s string) bool {
	if strings.Contains(s, ":") {
		return true
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
