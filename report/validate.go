package report

import (
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// Validate checks what a producer must get right before sending r, beyond
// what the JSON encoding guarantees. It returns nil when r is fine, and
// otherwise every problem at once: an errors.Join of *tlsrpt.Diagnostic
// values (Severity tlsrpt.SeverityError, Code one of the Code* constants,
// Path the JSON path as in Warning.Path) in report order — header, date range, then each policy with its
// summary and failures (use errors.As for the first problem, or the
// Unwrap() []error method of the returned error for all of them).
//
// The rules follow RFC 8460 §4, §4.1 and §4.4, reading the SHOULDs the way
// this SDK's producers follow them:
//
//   - Every string is valid UTF-8 without surrogates or noncharacters
//     (I-JSON, RFC 7493 §2.1, required by RFC 8460 §4); the encoder
//     refuses invalid UTF-8.
//   - organization-name is not blank.
//   - contact-info is a bare e-mail address (addr-spec, as §4.4 asks) or
//     an absolute URI; report-id is present and has no white space,
//     control characters or angle brackets, because the same value goes
//     into the Report-ID of the mail Subject (§5.3).
//   - The date range is set, within the years 0000-9999 that RFC 3339
//     can write, ends after it starts, and covers one full UTC
//     day (§4.1): start-datetime is 00:00:00Z, and end-datetime is
//     23:59:59Z of the same day — the form of the RFC's example and the one
//     this SDK emits — or 00:00:00Z of the next day, which other senders
//     use and §4.1 does not rule out (the RFC leaves the end's inclusivity
//     open). Times in other locations are compared as UTC instants.
//   - There is at least one policy, and every policy has the same
//     policy-domain: a report covers one policy domain (§4.1, and the
//     filename and Subject carry one). Each policy-domain is a lower-case
//     A-label without a trailing dot (§4.4).
//   - policy-type is tlsa, sts or no-policy-found. The registry-less
//     policy types a decoder keeps verbatim are an error here: a producer
//     using this SDK never has a reason to emit one.
//   - no-policy-found has no policy-string and no mx-host (§4). Each tlsa
//     policy-string element is one TLSA record in the presentation form
//     policy.ParseTLSA accepts without repairs (§4.5). mx-host elements are lower-case A-label names, optionally
//     starting with "*." (§4.4, RFC 8461 §4.1).
//   - The same policy does not appear twice (policy.Policy.Key); its
//     counts belong in one entry.
//   - Counts are not negative and at most 2^53-1 (I-JSON, RFC 7493
//     §2.2); total-failure-session-count is at least 1
//     when failure-details is not empty; each failed-session-count is at
//     least 1 (§4.4). The sum of the failed-session-counts is not compared
//     with the total: one session may fail in several ways (§4).
//   - result-type is one of the 11 registered values (its Category is not
//     CategoryUnknown).
//     A failure-reason-code is not required, not even for
//     certificate-not-trusted and validation-failure: RFC 8460 §4.3.1 says
//     they SHOULD carry one (aggregate.ClassifyTLSError gives one), but a
//     failure whose cause the MTA does not know must still be counted.
//   - sending-mta-ip and receiving-ip, when set, are unicast addresses
//     without a zone, and IPv4 addresses are not written as IPv4-mapped
//     IPv6 (use netip.Addr.Unmap).
//   - receiving-mx-hostname, when set, is a lower-case A-label name;
//     receiving-mx-helo, when set, is one line of at most 255 octets (not
//     the whole multi-line EHLO reply); additional-information, when set,
//     is an absolute URI (§4.4 additional-info-uri).
//   - The same failure (every member but failed-session-count equal) does
//     not appear twice within a policy; its counts belong in one entry.
//
// Validate is not called by the encoder: a decoded report from a real
// sender often breaks these rules and still encodes faithfully.
func (r *Report) Validate() error {
	var v semValidator
	if r == nil {
		v.add(CodeMissingMember, "", "report is nil")
		return errors.Join(v.errs...)
	}
	v.header(r)
	v.dateRange(r.DateRange)
	v.policies(r.Policies)
	return errors.Join(v.errs...)
}

// semValidator collects the problems of one Validate call.
type semValidator struct {
	errs []error
}

func (v *semValidator) add(code tlsrpt.Code, path, reason string) {
	v.errs = append(v.errs, &tlsrpt.Diagnostic{Path: path, Code: code, Severity: tlsrpt.SeverityError, Message: reason})
}

func (v *semValidator) addf(code tlsrpt.Code, path, format string, args ...any) {
	v.add(code, path, fmt.Sprintf(format, args...))
}

// text checks that s can be sent at all: valid UTF-8 without surrogates
// or noncharacters (I-JSON, RFC 7493 §2.1, which RFC 8460 §4 requires).
// It reports false after adding the problem.
func (v *semValidator) text(path, s string) bool {
	for i, c := range s {
		if c == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			v.addf(CodeInvalidUTF8, path, "invalid UTF-8 at byte %d (RFC 7493 §2.1)", i)
			return false
		}
		if c >= 0xFDD0 && c <= 0xFDEF || c&0xFFFE == 0xFFFE {
			v.addf(CodeInvalidUTF8, path, "holds the noncharacter %U at byte %d (RFC 7493 §2.1)", c, i)
			return false
		}
	}
	return true
}

func (v *semValidator) header(r *Report) {
	if strings.TrimSpace(r.OrganizationName) == "" {
		v.add(CodeMissingMember, "organization-name", "missing organization-name (RFC 8460 §4.4)")
	} else {
		v.text("organization-name", r.OrganizationName)
	}
	switch c := r.ContactInfo; {
	case strings.TrimSpace(c) == "":
		v.add(CodeMissingMember, "contact-info", "missing contact-info (RFC 8460 §4.4)")
	case !v.text("contact-info", c): // reported by text
	case !semIsAddrSpec(c) && !semIsAbsoluteURI(c):
		v.addf(CodeInvalidContactInfo, "contact-info", "%q is neither a bare e-mail address nor an absolute URI (RFC 8460 §4.4)", c)
	}
	switch id := r.ReportID; {
	case id == "":
		v.add(CodeMissingMember, "report-id", "missing report-id (RFC 8460 §4.4)")
	case !v.text("report-id", id): // reported by text
	case strings.ContainsFunc(id, func(c rune) bool { return c <= ' ' || c == 0x7f || c == '<' || c == '>' }):
		v.addf(CodeInvalidReportID, "report-id", "%q contains white space, a control character or an angle bracket; it must fit the Report-ID of the Subject (RFC 8460 §5.3)", id)
	}
}

// semDay is the length of the UTC day a report covers.
const semDay = 24 * time.Hour

func (v *semValidator) dateRange(d DateRange) {
	if d.Start.IsZero() {
		v.add(CodeMissingMember, "date-range.start-datetime", "missing start-datetime (RFC 8460 §4.4)")
	}
	if d.End.IsZero() {
		v.add(CodeMissingMember, "date-range.end-datetime", "missing end-datetime (RFC 8460 §4.4)")
	}
	if d.Start.IsZero() || d.End.IsZero() {
		return
	}
	if y := d.Start.UTC().Year(); y < 0 || y > 9999 {
		v.addf(CodeInvalidDateTime, "date-range.start-datetime", "year %d is outside 0000-9999 (RFC 3339 §5.6)", y)
		return
	}
	if y := d.End.UTC().Year(); y < 0 || y > 9999 {
		v.addf(CodeInvalidDateTime, "date-range.end-datetime", "year %d is outside 0000-9999 (RFC 3339 §5.6)", y)
		return
	}
	if !d.End.After(d.Start) {
		v.addf(CodeDateRangeReversed, "date-range", "end-datetime %s is not after start-datetime %s", semTime(d.End), semTime(d.Start))
		return
	}
	start := d.Start.UTC()
	if h, m, sec := start.Clock(); h != 0 || m != 0 || sec != 0 || start.Nanosecond() != 0 {
		v.addf(CodeDateRangeNotDay, "date-range.start-datetime", "%s is not 00:00:00Z: a report covers one full UTC day (RFC 8460 §4.1)", semTime(start))
		return
	}
	if end := d.End.UTC(); !end.Equal(start.Add(semDay-time.Second)) && !end.Equal(start.Add(semDay)) {
		v.addf(CodeDateRangeNotDay, "date-range.end-datetime", "%s does not close the UTC day that starts at %s: want %s (or %s) (RFC 8460 §4.1)",
			semTime(end), semTime(start), semTime(start.Add(semDay-time.Second)), semTime(start.Add(semDay)))
	}
}

// semTime formats t as the encoder does: RFC 3339 in UTC.
func semTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

func (v *semValidator) policies(ps []PolicyResult) {
	if len(ps) == 0 {
		v.add(CodeMissingMember, "policies", "no policies: a report describes at least one applied policy (RFC 8460 §4.4)")
		return
	}
	ref := semRefDomain{index: -1}
	keys := make(map[string]int, len(ps))
	for i := range ps {
		p := &ps[i]
		base := "policies[" + strconv.Itoa(i) + "]"
		v.policy(base+".policy", i, p.Policy, &ref)
		key := p.Policy.Key()
		if j, dup := keys[key]; dup {
			v.addf(CodeDuplicateEntry, base+".policy", "the same policy as policies[%d]: merge their counts into one entry", j)
		} else {
			keys[key] = i
		}
		v.summary(base, p)
		v.failures(base, p.FailureDetails)
	}
}

// semRefDomain is the first usable policy-domain of a report, which every
// other policy must share.
type semRefDomain struct {
	canon, raw string
	index      int
}

// policy checks the policy block of policies[i].
func (v *semValidator) policy(path string, i int, p policy.Policy, ref *semRefDomain) {
	switch p.Type {
	case policy.TypeTLSA, policy.TypeSTS, policy.TypeNoPolicyFound:
	case "":
		v.add(CodeMissingMember, path+".policy-type", "missing policy-type (RFC 8460 §4.4)")
	default:
		v.addf(CodeUnknownPolicyType, path+".policy-type", "unknown policy-type %q: a producer sends tlsa, sts or no-policy-found (RFC 8460 §4.4)", p.Type)
	}

	if p.Domain == "" {
		v.add(CodeMissingMember, path+".policy-domain", "missing policy-domain; it is required for every policy type, no-policy-found included (RFC 8460 §4.4)")
	} else if a, err := domain.ToASCII(p.Domain); err != nil {
		v.addf(CodeInvalidDomain, path+".policy-domain", "%q is not a valid domain name: %v", p.Domain, err)
	} else {
		if a != p.Domain {
			v.addf(CodeDomainNonCanonical, path+".policy-domain", "%q is not a lower-case A-label without a trailing dot; want %q (RFC 8460 §4.4)", p.Domain, a)
		}
		// Compared in canonical form, so a mere case difference is
		// reported once, above.
		if ref.index < 0 {
			*ref = semRefDomain{canon: a, raw: p.Domain, index: i}
		} else if a != ref.canon {
			v.addf(CodeMixedPolicyDomains, path+".policy-domain", "%q differs from %q of policies[%d]: send one report per policy domain (RFC 8460 §4.1)", p.Domain, ref.raw, ref.index)
		}
	}

	if p.Type == policy.TypeNoPolicyFound {
		if len(p.Strings) > 0 {
			v.add(CodeNoPolicyHasPolicy, path+".policy-string", "must be empty for no-policy-found: there is no policy to show (RFC 8460 §4)")
		}
		if len(p.MXHosts) > 0 {
			v.add(CodeNoPolicyHasPolicy, path+".mx-host", "must be empty for no-policy-found: there is no policy to show (RFC 8460 §4)")
		}
		return
	}
	for j, s := range p.Strings {
		sp := path + ".policy-string[" + strconv.Itoa(j) + "]"
		if !v.text(sp, s) {
			continue
		}
		if p.Type == policy.TypeTLSA {
			if _, repairs, err := policy.ParseTLSA(s); err != nil {
				v.addf(CodeTLSAStringFormat, sp, "%q is not one TLSA record in presentation form (RFC 8460 §4.5): %v", s, err)
			} else if len(repairs) > 0 {
				v.addf(CodeTLSAStringFormat, sp, "%q is not one TLSA record in presentation form (RFC 8460 §4.5): %s", s, repairs[0].Message)
			}
		}
	}
	for j, m := range p.MXHosts {
		name := strings.TrimPrefix(m, "*.")
		if !domain.IsCanonical(name) {
			v.addf(CodeDomainNonCanonical, path+".mx-host["+strconv.Itoa(j)+"]", "%q is not a lower-case A-label host name or \"*.\" pattern (RFC 8460 §4.4, RFC 8461 §4.1)", m)
		}
	}
}

// semMaxCount is the largest count I-JSON carries exactly: 2^53-1
// (RFC 7493 §2.2).
const semMaxCount = 1<<53 - 1

// count checks that n fits I-JSON; it reports false after adding the
// problem.
func (v *semValidator) count(path string, n int64) bool {
	switch {
	case n < 0:
		v.addf(CodeInvalidCount, path, "%d is negative", n)
	case n > semMaxCount:
		v.addf(CodeInvalidCount, path, "%d exceeds 2^53-1, the largest integer I-JSON carries exactly (RFC 7493 §2.2)", n)
	default:
		return true
	}
	return false
}

func (v *semValidator) summary(base string, p *PolicyResult) {
	s := p.Summary
	v.count(base+".summary.total-successful-session-count", s.TotalSuccessfulSessionCount)
	if v.count(base+".summary.total-failure-session-count", s.TotalFailureSessionCount) &&
		s.TotalFailureSessionCount == 0 && len(p.FailureDetails) > 0 {
		v.addf(CodeInvalidCount, base+".summary.total-failure-session-count", "is 0 but failure-details lists %d failures (RFC 8460 §4.4)", len(p.FailureDetails))
	}
}

func (v *semValidator) failures(base string, fds []FailureDetail) {
	seen := make(map[FailureDetail]int, len(fds))
	for k := range fds {
		fd := fds[k]
		path := base + ".failure-details[" + strconv.Itoa(k) + "]"
		switch {
		case fd.ResultType == "":
			v.add(CodeMissingMember, path+".result-type", "missing result-type (RFC 8460 §4.4)")
		case fd.ResultType.Category() == CategoryUnknown:
			v.addf(CodeUnknownResultType, path+".result-type", "%q is not a registered result type (RFC 8460 §4.3)", fd.ResultType)
		}
		v.ip(path+".sending-mta-ip", fd.SendingMTAIP)
		v.ip(path+".receiving-ip", fd.ReceivingIP)
		if h := fd.ReceivingMXHostname; h != "" {
			if !domain.IsCanonical(h) {
				v.addf(CodeDomainNonCanonical, path+".receiving-mx-hostname", "%q is not a lower-case A-label host name without a trailing dot (RFC 8460 §4.4)", h)
			}
		}
		if h := fd.ReceivingMXHelo; h != "" && v.text(path+".receiving-mx-helo", h) && (len(h) > 255 || strings.ContainsAny(h, "\r\n")) {
			v.add(CodeInvalidHELO, path+".receiving-mx-helo", "holds a line break or more than 255 octets: record the host name from the server's greeting, not its whole reply (RFC 8460 §4.4)")
		}
		if u := fd.AdditionalInformation; u != "" && v.text(path+".additional-information", u) && !semIsAbsoluteURI(u) {
			v.addf(CodeInvalidURI, path+".additional-information", "%q is not an absolute URI (RFC 8460 §4.4 additional-info-uri)", u)
		}
		// RFC 8460 §4.3.1: certificate-not-trusted and validation-failure
		// SHOULD carry a failure-reason-code. It is a SHOULD, not a MUST:
		// an MTA that saw a failure without knowing why still reports it,
		// so a missing code is accepted here.
		v.text(path+".failure-reason-code", fd.FailureReasonCode)
		if fd.FailedSessionCount < 1 {
			v.addf(CodeInvalidCount, path+".failed-session-count", "%d is less than 1: a failure entry counts at least one session (RFC 8460 §4.4)", fd.FailedSessionCount)
		} else {
			v.count(path+".failed-session-count", fd.FailedSessionCount)
		}
		key := fd
		key.FailedSessionCount = 0
		if j, dup := seen[key]; dup {
			v.addf(CodeDuplicateEntry, path, "the same failure as failure-details[%d]: merge their counts into one entry (RFC 8460 §4)", j)
		} else {
			seen[key] = k
		}
	}
}

// ip checks an optional address member; the zero Addr means absent.
func (v *semValidator) ip(path string, a netip.Addr) {
	switch {
	case !a.IsValid():
	case a.Zone() != "":
		v.addf(CodeIPInvalid, path, "%s has a zone, which has no meaning outside the sending host (RFC 8460 §4.4)", a)
	case a.Is4In6():
		v.addf(CodeIPNonCanonical, path, "%s is an IPv4-mapped IPv6 address; write the IPv4 address %s (RFC 8460 §4.4)", a, a.Unmap())
	case a.IsUnspecified(), a.IsMulticast():
		v.addf(CodeIPInvalid, path, "%s is not a unicast host address", a)
	}
}

// semIsAddrSpec reports whether s is a bare RFC 5322 addr-spec.
func semIsAddrSpec(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// semIsAbsoluteURI reports whether s is an RFC 3986 URI with a scheme and
// something after it, without spaces.
func semIsAbsoluteURI(s string) bool {
	if strings.ContainsFunc(s, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Opaque != "" || u.Host != "" || u.Path != "")
}
