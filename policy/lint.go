package policy

import (
	"errors"
	"strconv"
	"strings"
)

// Severity ranks a Finding. Higher is worse.
type Severity int

// The severities of a Finding.
const (
	// SeverityInfo is worth knowing; nothing breaks.
	SeverityInfo Severity = 1
	// SeverityWarning weakens the protection MTA-STS gives or is likely a
	// mistake.
	SeverityWarning Severity = 2
	// SeverityError makes senders treat the policy as invalid, or makes
	// mail to a listed MX fail under enforce.
	SeverityError Severity = 3
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// Finding is one piece of advice from LintSTSPolicy.
type Finding struct {
	// Code identifies the kind of finding; the codes are listed at
	// LintSTSPolicy and do not change between versions.
	Code string
	// Severity says how bad it is.
	Severity Severity
	// Line is the 1-based line of the policy the finding is about, or 0
	// when it concerns the whole policy or the MX host list.
	Line int
	// Message explains the finding to an operator.
	Message string
}

// The stable Finding codes.
const (
	LintInvalid          = "invalid"            // error: ParseSTSPolicy rejects the policy; the message is its reason
	LintTooLarge         = "too-large"          // error: larger than MaxSTSPolicySize
	LintBOM              = "bom"                // error: the file starts with a UTF-8 byte order mark
	LintBlankLine        = "blank-line"         // error: an empty or whitespace-only line
	LintLeadingSpace     = "leading-whitespace" // error: whitespace before a field name
	LintNoColon          = "no-colon"           // error: a line without "key:"
	LintKeyCase          = "key-case"           // error: "Mode:" etc.; keys are case-sensitive, senders ignore it
	LintKeyTypo          = "key-typo"           // error: "max-age", "maxage", "mx-host" etc. for a defined key
	LintUnknownKey       = "unknown-key"        // info: an extension field senders ignore
	LintDuplicateKey     = "duplicate-key"      // warning: a non-mx field repeated; only the first counts
	LintDuplicateMX      = "duplicate-mx"       // info: the same mx pattern twice
	LintMXTrailingDot    = "mx-trailing-dot"    // error: "mx: mail.example.com."
	LintMXIPAddress      = "mx-ip-address"      // error: an IP address as mx pattern
	LintModeTesting      = "mode-testing"       // warning: mode testing still active
	LintModeNone         = "mode-none"          // info: mode none (policy withdrawn)
	LintModeNoneMX       = "mode-none-with-mx"  // info: mx lines under mode none are ignored
	LintMaxAgeShort      = "max-age-short"      // warning: max_age under one day in enforce mode
	LintMaxAgeBelowWeeks = "max-age-below-week" // info: max_age under one week in enforce mode (RFC 8461 §3.2 expects weeks)
	LintMXNotCovered     = "mx-not-covered"     // error (enforce) / warning (testing): an MX host no pattern matches
	LintMXPatternUnused  = "mx-pattern-unused"  // warning: a pattern that matches none of the MX hosts
	LintMXHostInvalid    = "mx-host-invalid"    // warning: an entry of the given MX host list is not a host name
)

// LintSTSPolicy checks an MTA-STS policy file for an operator and returns
// advice, worst first within each line; it never fails. mxHosts, if not
// nil, is the domain's MX host list (the targets of its MX records); the
// policy is then checked against it: every MX host should be matched by a
// pattern (RFC 8461 §4.1), and every pattern should match an MX host.
//
// The codes are the Lint* constants. A policy that ParseSTSPolicy rejects
// always has an LintInvalid finding, usually with a more specific finding
// for the same line.
func LintSTSPolicy(text string, mxHosts []string) []Finding {
	var out []Finding
	add := func(code string, sev Severity, line int, msg string) {
		out = append(out, Finding{Code: code, Severity: sev, Line: line, Message: msg})
	}
	if len(text) > MaxSTSPolicySize {
		add(LintTooLarge, SeverityError, 0, "the policy is larger than 64 KiB; senders stop reading at 64 KiB (RFC 8461 §3.3)")
		return out
	}
	if _, err := ParseSTSPolicy(text); err != nil {
		var pe *STSPolicyError
		line := 0
		if errors.As(err, &pe) {
			line = pe.Line
		}
		add(LintInvalid, SeverityError, line, "senders treat this policy as invalid and ignore it: "+strings.TrimPrefix(err.Error(), "policy: "))
	}

	// A tolerant pass, to give specific advice even when the strict parse
	// failed: it trims, skips blank lines and collects the first value of
	// each key.
	first := map[string]field{}
	var mx []field
	if strings.HasPrefix(text, "\ufeff") {
		add(LintBOM, SeverityError, 1, "the file starts with a UTF-8 byte order mark; save it without one")
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
			add(LintBlankLine, SeverityError, n, "empty line; RFC 8461 §3.2 allows none, and strict senders reject the policy")
			continue
		}
		if isWSP(line[0]) {
			add(LintLeadingSpace, SeverityError, n, "whitespace before the field name; remove it")
		}
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			add(LintNoColon, SeverityError, n, "not a \"key: value\" line")
			continue
		}
		key = strings.TrimSpace(key)
		value = strings.TrimSpace(value)
		canon := canonicalKey(key)
		switch {
		case canon != "" && canon != key && strings.EqualFold(canon, key):
			add(LintKeyCase, SeverityError, n, "field names are case-sensitive: write "+strconv.Quote(canon)+", not "+strconv.Quote(key)+"; senders ignore this line")
		case canon != "" && canon != key:
			add(LintKeyTypo, SeverityError, n, strconv.Quote(key)+" is not a field senders know; did you mean "+strconv.Quote(canon)+"?")
		case canon == "":
			add(LintUnknownKey, SeverityInfo, n, "unknown field "+strconv.Quote(key)+"; senders ignore it")
			continue
		}
		if canon == "mx" {
			mx = append(mx, field{n, value})
			continue
		}
		if f, dup := first[canon]; dup {
			add(LintDuplicateKey, SeverityWarning, n, canon+" already appears on line "+strconv.Itoa(f.line)+"; senders use the first and ignore this one")
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
			add(LintMXTrailingDot, SeverityError, f.line, "mx patterns are written without a trailing dot: "+strings.TrimSuffix(v, "."))
			v = strings.TrimSuffix(v, ".")
		}
		if isIPAddress(v) {
			add(LintMXIPAddress, SeverityError, f.line, "mx "+v+" is an IP address; MTA-STS matches MX host names, never addresses")
			continue
		}
		if prev, dup := seen[v]; dup {
			add(LintDuplicateMX, SeverityInfo, f.line, "mx "+v+" already appears on line "+strconv.Itoa(prev))
			continue
		}
		if _, r := normalizeMXPattern(v); r != "" {
			continue // reported as LintInvalid
		}
		seen[v] = f.line
		patterns = append(patterns, field{f.line, v})
	}

	// mode and max_age.
	mode := Mode(first["mode"].value)
	modeLine := first["mode"].line
	switch mode {
	case ModeTesting:
		add(LintModeTesting, SeverityWarning, modeLine, "mode testing: senders report failures but still deliver over unauthenticated or plaintext connections; switch to enforce once your TLS reports show no failures")
	case ModeNone:
		add(LintModeNone, SeverityInfo, modeLine, "mode none: senders apply no MTA-STS policy; keep serving it for at least the previous max_age when withdrawing a policy (RFC 8461 §8.3)")
		if len(mx) > 0 {
			add(LintModeNoneMX, SeverityInfo, mx[0].line, "mx lines are ignored under mode none")
		}
	}
	if ma, ok := first["max_age"]; ok {
		if secs, r := parseMaxAge(ma.value); r == "" && mode == ModeEnforce {
			switch {
			case secs < 86400:
				add(LintMaxAgeShort, SeverityWarning, ma.line, "max_age "+ma.value+" is under one day: a sender's cached policy expires quickly, so an attacker who blocks the policy fetch can downgrade delivery; use weeks (e.g. 1209600)")
			case secs < 604800:
				add(LintMaxAgeBelowWeeks, SeverityInfo, ma.line, "max_age "+ma.value+" is under one week; RFC 8461 §3.2 expects weeks or more once the policy is stable")
			}
		}
	}

	// Against the domain's MX hosts.
	if mxHosts == nil || mode == ModeNone || len(patterns) == 0 {
		return out
	}
	used := make([]bool, len(patterns))
	for _, h := range mxHosts {
		host, ok := normalizeHost(h)
		if !ok {
			add(LintMXHostInvalid, SeverityWarning, 0, "MX host "+strconv.Quote(h)+" is not a valid host name")
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
		add(LintMXNotCovered, sev, 0, msg)
	}
	for i, p := range patterns {
		if !used[i] {
			add(LintMXPatternUnused, SeverityWarning, p.line, "mx "+p.value+" matches none of the domain's MX hosts; remove it if it is stale")
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
	k := strings.ToLower(key)
	k = strings.NewReplacer("-", "", "_", "", " ", "", ".", "").Replace(k)
	switch k {
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
