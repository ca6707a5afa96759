package policy

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Severity says how bad a Finding is; the values match dnsrecord's.
type Severity string

// The severities of a Finding.
const (
	// SeverityError: senders treat the policy as invalid (ParseSTSPolicy
	// rejects it), or, under mode enforce, mail to one of the domain's MX
	// hosts will fail.
	SeverityError Severity = "error"
	// SeverityWarning: the policy works but protects less than intended,
	// or contains something that is probably a mistake.
	SeverityWarning Severity = "warning"
	// SeverityInfo: the policy works; the note is advice.
	SeverityInfo Severity = "info"
)

// Code identifies the kind of a Finding. Codes are stable: tools may
// match on them.
type Code string

// The finding codes of LintSTSPolicy.
const (
	CodeSyntax          Code = "syntax"             // error: ParseSTSPolicy rejects the policy; the message is its reason
	CodeTooLarge        Code = "too-large"          // error: larger than MaxSTSPolicySize
	CodeBOM             Code = "bom"                // error: the file starts with a UTF-8 byte order mark
	CodeBlankLine       Code = "blank-line"         // error: an empty or whitespace-only line
	CodeLeadingSpace    Code = "leading-whitespace" // error: whitespace before a field name
	CodeNoColon         Code = "no-colon"           // error: a line that is not "key: value"
	CodeKeyCase         Code = "key-case"           // error: "Mode:" etc.; keys are case-sensitive, senders ignore the line
	CodeKeyTypo         Code = "key-typo"           // error: "max-age", "maxage", "mx-host" etc. for a defined key
	CodeUnknownKey      Code = "unknown-key"        // info: an extension field senders ignore
	CodeDuplicateKey    Code = "duplicate-key"      // warning: a non-mx field repeated; only the first counts
	CodeDuplicateMX     Code = "duplicate-mx"       // info: the same mx pattern twice
	CodeMXTrailingDot   Code = "mx-trailing-dot"    // error: "mx: mail.example.com."
	CodeMXIPAddress     Code = "mx-ip-address"      // error: an IP address as mx pattern never matches an MX host name
	CodeModeTesting     Code = "mode-testing"       // warning: mode testing still active
	CodeModeNone        Code = "mode-none"          // info: mode none (policy withdrawn)
	CodeModeNoneMX      Code = "mode-none-with-mx"  // info: mx lines under mode none are ignored
	CodeMaxAgeShort     Code = "max-age-short"      // warning: max_age under one day in mode enforce
	CodeMaxAgeBelowWeek Code = "max-age-below-week" // info: max_age under one week in mode enforce (RFC 8461 §3.2 expects weeks)
	CodeMXNotCovered    Code = "mx-not-covered"     // error (enforce) or warning (testing): an MX host no pattern matches
	CodeMXPatternUnused Code = "mx-pattern-unused"  // warning: a pattern that matches none of the MX hosts
	CodeMXHostInvalid   Code = "mx-host-invalid"    // warning: an entry of the given MX host list is not a host name
	CodeMXInvalid       Code = "mx-invalid"         // error: an mx pattern that is not ["*."] host name (misplaced wildcard, U-label, bad label)
	CodeNotPolicy       Code = "not-a-policy"       // error: no line is a defined field (an error page, an empty file)
	CodeMissingField    Code = "missing-field"      // error: version, mode, max_age, or mx (unless mode none) absent
	CodeVersionInvalid  Code = "version-invalid"    // error: a version other than STSv1
	CodeModeInvalid     Code = "mode-invalid"       // error: a mode other than enforce, testing, none (they are case-sensitive)
	CodeMaxAgeInvalid   Code = "max-age-invalid"    // error: max_age not whole seconds or above 31557600
)

// missingFix suggests a line for a missing field.
var missingFix = map[string]string{
	"version": "version: STSv1",
	"mode":    "mode: testing",
	"max_age": "max_age: 86400",
}

// Finding is one piece of advice from LintSTSPolicy.
type Finding struct {
	Code     Code     // stable identifier of the kind of finding
	Severity Severity // how bad it is
	Line     int      // 1-based line of the policy, or 0 for the policy as a whole or the MX host list
	Message  string   // what is wrong, for people
	Fix      string   // how to fix it, when there is a simple fix
}

// String formats the finding as "severity line N code: message (fix: fix)".
func (f Finding) String() string {
	s := string(f.Severity) + " line " + strconv.Itoa(f.Line) + " " + string(f.Code) + ": " + f.Message
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// LintSTSPolicy checks an MTA-STS policy file for an operator and returns
// advice, findings about the whole policy (Line 0) first and then in line
// order; it never fails. mxHosts, if not nil, is the domain's MX host list
// (the targets of its MX records); the policy is then checked against it:
// every MX host should be matched by a pattern (RFC 8461 §4.1), and every
// pattern should match an MX host.
//
// The codes are the Code* constants. A policy that ParseSTSPolicy rejects
// always has a CodeSyntax finding, usually followed by a more specific
// finding for the same line.
func LintSTSPolicy(text string, mxHosts []string) []Finding {
	var out []Finding
	add := func(code Code, sev Severity, line int, msg, fix string) {
		out = append(out, Finding{Code: code, Severity: sev, Line: line, Message: msg, Fix: fix})
	}
	if len(text) > MaxSTSPolicySize {
		add(CodeTooLarge, SeverityError, 0, "the policy is larger than 64 KiB; senders stop reading at 64 KiB (RFC 8461 §3.3)", "serve only the policy lines")
		return out
	}
	if _, err := ParseSTSPolicy(text); err != nil {
		var pe *STSPolicyError
		line := 0
		if errors.As(err, &pe) {
			line = pe.Line
		}
		add(CodeSyntax, SeverityError, line, "senders treat this policy as invalid and ignore it: "+strings.TrimPrefix(err.Error(), "policy: "), "")
	}

	// A tolerant pass, to give specific advice even when the strict parse
	// failed: it trims, skips blank lines and collects the first value of
	// each key.
	first := map[string]field{}
	var mx []field
	if strings.HasPrefix(text, "\ufeff") {
		add(CodeBOM, SeverityError, 1, "the file starts with a UTF-8 byte order mark; save it without one", "save the file as UTF-8 without a byte order mark")
		text = text[len("\ufeff"):]
	}
	lines := strings.Split(text, "\n")
	if len(lines) > 1 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1] // the optional final terminator
	}
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimSuffix(raw, "\r")
		if strings.TrimSpace(line) == "" {
			add(CodeBlankLine, SeverityError, n, "empty line; RFC 8461 §3.2 allows none, and strict senders reject the policy", "delete the empty line")
			continue
		}
		if isWSP(line[0]) {
			add(CodeLeadingSpace, SeverityError, n, "whitespace before the field name; remove it", "start the line with the field name")
		}
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			msg := "not a \"key: value\" line"
			if strings.HasPrefix(strings.TrimSpace(line), "v=STSv1") {
				msg += "; this is the _mta-sts TXT record, which belongs in DNS, not in the policy file"
			}
			add(CodeNoColon, SeverityError, n, msg, "write the line as \"key: value\" or delete it")
			continue
		}
		key = strings.TrimSpace(key)
		value = strings.TrimSpace(value)
		canon := canonicalKey(key)
		switch {
		case canon != "" && canon != key && strings.EqualFold(canon, key):
			add(CodeKeyCase, SeverityError, n, "field names are case-sensitive: write "+strconv.Quote(canon)+", not "+strconv.Quote(key)+"; senders ignore this line", canon+": "+value)
		case canon != "" && canon != key:
			add(CodeKeyTypo, SeverityError, n, strconv.Quote(key)+" is not a field senders know; did you mean "+strconv.Quote(canon)+"?", canon+": "+value)
		case canon == "":
			add(CodeUnknownKey, SeverityInfo, n, "unknown field "+strconv.Quote(key)+"; senders ignore it", "")
			continue
		}
		if canon == "mx" {
			mx = append(mx, field{n, value})
			continue
		}
		if f, dup := first[canon]; dup {
			add(CodeDuplicateKey, SeverityWarning, n, canon+" already appears on line "+strconv.Itoa(f.line)+"; senders use the first and ignore this one", "delete this line")
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
			add(CodeMXTrailingDot, SeverityError, f.line, "mx patterns are written without a trailing dot: "+strings.TrimSuffix(v, "."), "mx: "+strings.TrimSuffix(v, "."))
			v = strings.TrimSuffix(v, ".")
		}
		if isIPAddress(v) {
			add(CodeMXIPAddress, SeverityError, f.line, "mx "+v+" is an IP address; MTA-STS matches MX host names, never addresses", "list the MX host name instead")
			continue
		}
		if prev, dup := seen[v]; dup {
			add(CodeDuplicateMX, SeverityInfo, f.line, "mx "+v+" already appears on line "+strconv.Itoa(prev), "delete this line")
			continue
		}
		if _, r := normalizeMXPattern(v); r != "" {
			add(CodeMXInvalid, SeverityError, f.line, r, "")
			continue
		}
		seen[v] = f.line
		patterns = append(patterns, field{f.line, v})
	}

	// version, mode and max_age.
	switch {
	case len(first) == 0 && len(mx) == 0:
		add(CodeNotPolicy, SeverityError, 0, "this is not an MTA-STS policy: none of its lines is a version, mode, max_age or mx field; is the web server returning an error page or another file?", "")
	default:
		for _, key := range []string{"version", "mode", "max_age"} {
			if _, ok := first[key]; !ok {
				add(CodeMissingField, SeverityError, 0, "the policy has no "+key+" field", missingFix[key])
			}
		}
		if len(mx) == 0 && first["mode"].value != string(ModeNone) {
			add(CodeMissingField, SeverityError, 0, "the policy has no mx field; every mode but none needs at least one", "mx: <your MX host>")
		}
	}
	if v, ok := first["version"]; ok && v.value != "STSv1" {
		add(CodeVersionInvalid, SeverityError, v.line, "version is "+strconv.Quote(v.value)+"; the only version is STSv1", "version: STSv1")
	}
	mode := Mode(first["mode"].value)
	modeLine := first["mode"].line
	if _, ok := first["mode"]; ok {
		if r := checkMode(mode); r != "" {
			fix := "mode: testing"
			if l := Mode(strings.ToLower(string(mode))); checkMode(l) == "" {
				fix = "mode: " + string(l)
			}
			add(CodeModeInvalid, SeverityError, modeLine, r, fix)
		}
	}
	if ma, ok := first["max_age"]; ok {
		if _, r := parseMaxAge(ma.value); r != "" {
			add(CodeMaxAgeInvalid, SeverityError, ma.line, r+"; write whole seconds, at most 31557600", "max_age: 1209600")
		}
	}
	switch mode {
	case ModeTesting:
		add(CodeModeTesting, SeverityWarning, modeLine, "mode testing: senders report failures but still deliver over unauthenticated or plaintext connections; switch to enforce once your TLS reports show no failures", "mode: enforce")
	case ModeNone:
		add(CodeModeNone, SeverityInfo, modeLine, "mode none: senders apply no MTA-STS policy; keep serving it for at least the previous max_age when withdrawing a policy (RFC 8461 §8.3)", "")
		if len(mx) > 0 {
			add(CodeModeNoneMX, SeverityInfo, mx[0].line, "mx lines are ignored under mode none", "")
		}
	}
	if ma, ok := first["max_age"]; ok {
		if secs, r := parseMaxAge(ma.value); r == "" && mode == ModeEnforce {
			switch {
			case secs < 86400:
				add(CodeMaxAgeShort, SeverityWarning, ma.line, "max_age "+ma.value+" is under one day: a sender's cached policy expires quickly, so an attacker who blocks the policy fetch can downgrade delivery; use weeks (e.g. 1209600)", "max_age: 1209600")
			case secs < 604800:
				add(CodeMaxAgeBelowWeek, SeverityInfo, ma.line, "max_age "+ma.value+" is under one week; RFC 8461 §3.2 expects weeks or more once the policy is stable", "max_age: 1209600")
			}
		}
	}

	// Against the domain's MX hosts.
	if mxHosts != nil && mode != ModeNone && len(patterns) > 0 {
		out = lintMXHosts(out, mode, patterns, mxHosts)
	}
	// Findings about the whole policy first, then by line; stable, so a
	// syntax finding precedes the specific advice for its line.
	slices.SortStableFunc(out, func(a, b Finding) int { return a.Line - b.Line })
	return out
}

// lintMXHosts compares the mx patterns with the domain's MX hosts.
func lintMXHosts(out []Finding, mode Mode, patterns []field, mxHosts []string) []Finding {
	add := func(code Code, sev Severity, line int, msg, fix string) {
		out = append(out, Finding{Code: code, Severity: sev, Line: line, Message: msg, Fix: fix})
	}
	used := make([]bool, len(patterns))
	for _, h := range mxHosts {
		host, ok := normalizeHost(h)
		if !ok {
			add(CodeMXHostInvalid, SeverityWarning, 0, "MX host "+strconv.Quote(h)+" is not a valid host name", "")
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
		sev, effect := SeverityError, "mail to it will fail under mode enforce"
		if mode != ModeEnforce {
			sev, effect = SeverityWarning, "it would fail once the mode is enforce"
		}
		msg := "MX host " + host + " matches no mx pattern; " + effect + hintWildcard(host, patterns)
		add(CodeMXNotCovered, sev, 0, msg, "mx: "+host)
	}
	for i, p := range patterns {
		if !used[i] {
			add(CodeMXPatternUnused, SeverityWarning, p.line, "mx "+p.value+" matches none of the domain's MX hosts; remove it if it is stale", "delete the line if no MX host needs it")
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
