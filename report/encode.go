package report

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/jsonstr"

	"github.com/go-tlsrpt/tlsrpt/policy"
)

// MarshalJSON returns the canonical encoding of r (see AppendJSON), so that
// json.Marshal(r) and json.Marshal(&r) both produce it byte for byte.
func (r Report) MarshalJSON() ([]byte, error) {
	return r.AppendJSON(make([]byte, 0, r.sizeHint()))
}

// AppendJSON appends the canonical encoding of r to dst (RFC 8460 §4.4):
//
//   - members in the RFC's order, each once, no null anywhere; the
//     optional failure-details members are omitted when zero;
//   - policy-string, mx-host and failure-details always arrays ([] when
//     empty);
//   - date-times in RFC 3339 UTC with "Z", with a fraction only when the
//     time has one;
//   - IPv4 dotted-decimal, IPv6 in RFC 5952 form (IPv4-mapped IPv6
//     written as IPv4, zones dropped);
//   - policy-domain and mx-host as lower-case A-labels, TLSA records in
//     RFC 8460 §4.5 form, registry result and policy types in registry
//     spelling: the canonicalisations the lenient decoder applies;
//   - strings escaped as encoding/json does (including <, >, & and
//     U+2028/U+2029), so json.Marshal leaves the bytes unchanged.
//
// It fails for what cannot be encoded so that the strict Decoder accepts
// it: negative counts or counts beyond 2^53-1, years outside 0000–9999, an
// end before the start, and strings that are not valid UTF-8.
func (r Report) AppendJSON(dst []byte) ([]byte, error) {
	e := encodeState{b: dst, pi: -1, di: -1}
	e.report(&r)
	return e.b, e.err
}

// sizeHint estimates the encoded size of r.
func (r *Report) sizeHint() int {
	n := 256
	for i := range r.Policies {
		n += 256 + 32*len(r.Policies[i].Policy.Strings) + 200*len(r.Policies[i].FailureDetails)
	}
	return n
}

// MarshalJSON returns the canonical encoding of the date-range object.
func (d DateRange) MarshalJSON() ([]byte, error) {
	e := encodeState{pi: -1, di: -1}
	e.dateRange(d)
	return e.b, e.err
}

// MarshalJSON returns the canonical encoding of a policies element.
func (p PolicyResult) MarshalJSON() ([]byte, error) {
	e := encodeState{pi: -1, di: -1}
	e.policyResult(&p)
	return e.b, e.err
}

// MarshalJSON returns the canonical encoding of the summary object.
func (s Summary) MarshalJSON() ([]byte, error) {
	e := encodeState{pi: -1, di: -1}
	e.summary(s)
	return e.b, e.err
}

// MarshalJSON returns the canonical encoding of a failure-details element.
func (f FailureDetail) MarshalJSON() ([]byte, error) {
	e := encodeState{pi: -1, di: -1}
	e.detail(&f)
	return e.b, e.err
}

type encodeState struct {
	b   []byte
	err error
	pi  int // index of the policies element being encoded, or -1
	di  int // index of the failure-details element being encoded, or -1
}

// fail records the first error; name is the member being encoded, and
// the path is built from it and the current indexes only now.
func (e *encodeState) fail(code tlsrpt.Code, name, msg string) {
	if e.err != nil {
		return
	}
	var path []pathElem
	if e.pi >= 0 {
		path = append(path, pathElem{name: "policies"}, pathElem{index: e.pi})
		if e.di >= 0 {
			path = append(path, pathElem{name: "failure-details"}, pathElem{index: e.di})
		}
	}
	for _, n := range strings.Split(name, ".") {
		path = append(path, pathElem{name: n})
	}
	e.err = &tlsrpt.Diagnostic{Path: pathString(path), Code: code, Severity: tlsrpt.SeverityError, Message: msg}
}

func (e *encodeState) report(r *Report) {
	e.b = append(e.b, `{"organization-name":`...)
	e.str(r.OrganizationName, "organization-name")
	e.b = append(e.b, `,"date-range":`...)
	e.dateRange(r.DateRange)
	e.b = append(e.b, `,"contact-info":`...)
	e.str(r.ContactInfo, "contact-info")
	e.b = append(e.b, `,"report-id":`...)
	e.str(r.ReportID, "report-id")
	e.b = append(e.b, `,"policies":[`...)
	for i := range r.Policies {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.pi = i
		e.policyResult(&r.Policies[i])
	}
	e.pi = -1
	e.b = append(e.b, "]}"...)
}

func (e *encodeState) dateRange(d DateRange) {
	if d.End.Before(d.Start) {
		e.fail(CodeDateRangeReversed, "date-range", "end-datetime is before start-datetime")
	}
	e.b = append(e.b, `{"start-datetime":`...)
	e.time(d.Start, "date-range.start-datetime")
	e.b = append(e.b, `,"end-datetime":`...)
	e.time(d.End, "date-range.end-datetime")
	e.b = append(e.b, '}')
}

func (e *encodeState) time(t time.Time, name string) {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		e.fail(CodeInvalidDateTime, name, "year "+itoa(y)+" outside 0000-9999 (RFC 3339 §5.6)")
	}
	e.b = append(e.b, '"')
	e.b = t.AppendFormat(e.b, timeLayout)
	e.b = append(e.b, '"')
}

func (e *encodeState) policyResult(p *PolicyResult) {
	e.b = append(e.b, `{"policy":`...)
	e.policy(&p.Policy)
	e.b = append(e.b, `,"summary":`...)
	e.summary(p.Summary)
	e.b = append(e.b, `,"failure-details":[`...)
	for i := range p.FailureDetails {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.di = i
		e.detail(&p.FailureDetails[i])
	}
	e.di = -1
	e.b = append(e.b, "]}"...)
}

func (e *encodeState) policy(p *policy.Policy) {
	typ, _ := canonicalPolicyType(string(p.Type))
	e.b = append(e.b, `{"policy-type":`...)
	e.str(string(typ), "policy.policy-type")
	e.b = append(e.b, `,"policy-string":[`...)
	ss, _ := canonicalPolicyStrings(typ, p.Strings)
	for i, s := range ss {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.str(s, "policy.policy-string")
	}
	e.b = append(e.b, `],"policy-domain":`...)
	d, _ := canonicalDomain(p.Domain)
	e.str(d, "policy.policy-domain")
	e.b = append(e.b, `,"mx-host":[`...)
	for i, h := range p.MXHosts {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		h, _, _ = canonicalMXHost(h)
		e.str(h, "policy.mx-host")
	}
	e.b = append(e.b, "]}"...)
}

func (e *encodeState) summary(s Summary) {
	e.b = append(e.b, `{"total-successful-session-count":`...)
	e.count(s.TotalSuccessfulSessionCount, "summary.total-successful-session-count")
	e.b = append(e.b, `,"total-failure-session-count":`...)
	e.count(s.TotalFailureSessionCount, "summary.total-failure-session-count")
	e.b = append(e.b, '}')
}

func (e *encodeState) count(n int64, name string) {
	if n < 0 || n > maxCount {
		e.fail(CodeInvalidCount, name, "count "+strconv.FormatInt(n, 10)+" outside 0..2^53-1")
	}
	e.b = strconv.AppendInt(e.b, n, 10)
}

func (e *encodeState) detail(f *FailureDetail) {
	rt, _ := canonicalResultType(string(f.ResultType))
	e.b = append(e.b, `{"result-type":`...)
	e.str(string(rt), "result-type")
	if f.SendingMTAIP.IsValid() {
		e.b = append(e.b, `,"sending-mta-ip":`...)
		e.ip(f.SendingMTAIP)
	}
	if f.ReceivingMXHostname != "" {
		e.b = append(e.b, `,"receiving-mx-hostname":`...)
		e.str(f.ReceivingMXHostname, "receiving-mx-hostname")
	}
	if f.ReceivingMXHelo != "" {
		e.b = append(e.b, `,"receiving-mx-helo":`...)
		e.str(f.ReceivingMXHelo, "receiving-mx-helo")
	}
	if f.ReceivingIP.IsValid() {
		e.b = append(e.b, `,"receiving-ip":`...)
		e.ip(f.ReceivingIP)
	}
	e.b = append(e.b, `,"failed-session-count":`...)
	e.count(f.FailedSessionCount, "failed-session-count")
	if f.AdditionalInformation != "" {
		e.b = append(e.b, `,"additional-information":`...)
		e.str(f.AdditionalInformation, "additional-information")
	}
	if f.FailureReasonCode != "" {
		e.b = append(e.b, `,"failure-reason-code":`...)
		e.str(f.FailureReasonCode, "failure-reason-code")
	}
	e.b = append(e.b, '}')
}

func (e *encodeState) ip(a netip.Addr) {
	e.b = append(e.b, '"')
	e.b = a.Unmap().WithZone("").AppendTo(e.b)
	e.b = append(e.b, '"')
}

// str appends s as a JSON string escaped exactly as encoding/json does
// with HTML escaping (its default), so that json.Marshal's re-compaction
// of MarshalJSON output changes nothing. Invalid UTF-8 fails the encoding:
// the strict decoder would reject it (RFC 8259 §8.1).
func (e *encodeState) str(s string, name string) {
	var ok bool
	if e.b, ok = jsonstr.Append(e.b, s); !ok {
		e.fail(CodeInvalidUTF8, name, "string "+quoteShort(s)+" is not valid UTF-8 (RFC 8259 §8.1)")
	}
}
