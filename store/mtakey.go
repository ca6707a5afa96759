package store

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/go-tlsrpt/tlsrpt/internal/jsonstr"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// The prefixes hashed before the canonical JSON of a policy or a failure
// detail to make its stored key. They name the version of the encoding:
// keys are persisted, so a change of the encoding is a new version (and a
// migration that rewrites the stored keys), never an edit.
const (
	policyKeyV1 = "tlsrpt-mta-policy-v1\n"
	detailKeyV1 = "tlsrpt-mta-detail-v1\n"
)

// mtaPolicy returns the stored form of p and its key. The stored form
// applies the comparison rules of policy.Policy.Key: the policy-domain
// lower-cased (ASCII) without a trailing dot, the mx-host entries
// lower-cased, and for tlsa the RRs lower-cased and sorted (an RRset is
// unordered); empty slices are nil. Two policies therefore have the same
// stored form exactly when their Keys are equal. The JSON is the stored
// form's policy.Policy.MarshalJSON, the key the SHA-256 of policyKeyV1
// followed by that JSON.
func mtaPolicy(p policy.Policy) (policy.Policy, string, [sha256.Size]byte, error) {
	np := policy.Policy{Type: p.Type, Domain: lowerASCII(strings.TrimSuffix(p.Domain, "."))}
	if len(p.Strings) > 0 {
		np.Strings = slices.Clone(p.Strings)
		if p.Type == policy.TypeTLSA {
			for i, s := range np.Strings {
				np.Strings[i] = lowerASCII(s)
			}
			slices.Sort(np.Strings)
		}
	}
	if len(p.MXHosts) > 0 {
		np.MXHosts = make([]string, len(p.MXHosts))
		for i, s := range p.MXHosts {
			np.MXHosts[i] = lowerASCII(s)
		}
	}
	js, err := np.MarshalJSON()
	if err != nil {
		return policy.Policy{}, "", [sha256.Size]byte{}, fmt.Errorf("policy %q: %w", p.Domain, err)
	}
	return np, string(js), hashKey(policyKeyV1, js), nil
}

// parsePolicy reads a stored policy_json back.
func parsePolicy(js string) (policy.Policy, error) {
	var p policy.Policy
	if err := p.UnmarshalJSON([]byte(js)); err != nil {
		return policy.Policy{}, fmt.Errorf("store: stored policy: %w", err)
	}
	if len(p.Strings) == 0 {
		p.Strings = nil
	}
	if len(p.MXHosts) == 0 {
		p.MXHosts = nil
	}
	return p, nil
}

// storedDetail is the stored form of a failure detail: every member of
// RFC 8460 §4.4 failure-details except failed-session-count, always
// present, in this order; addresses in netip.Addr.String form, "" when
// absent.
type storedDetail struct {
	ResultType            string `json:"result-type"`
	SendingMTAIP          string `json:"sending-mta-ip"`
	ReceivingMXHostname   string `json:"receiving-mx-hostname"`
	ReceivingMXHelo       string `json:"receiving-mx-helo"`
	ReceivingIP           string `json:"receiving-ip"`
	AdditionalInformation string `json:"additional-information"`
	FailureReasonCode     string `json:"failure-reason-code"`
}

// mtaDetail returns the stored JSON of fd (its members but the count, as
// they are: details compare exactly) and its key, the SHA-256 of
// detailKeyV1 followed by the JSON.
func mtaDetail(fd *report.FailureDetail) (string, [sha256.Size]byte, error) {
	b := make([]byte, 0, 320+len(fd.ReceivingMXHostname)+len(fd.ReceivingMXHelo)+len(fd.AdditionalInformation)+len(fd.FailureReasonCode))
	ok := true
	member := func(name, v string) {
		if len(b) == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
		var good bool
		b, good = jsonstr.Append(b, v)
		ok = ok && good
	}
	member("result-type", string(fd.ResultType))
	member("sending-mta-ip", addrText(fd.SendingMTAIP))
	member("receiving-mx-hostname", fd.ReceivingMXHostname)
	member("receiving-mx-helo", fd.ReceivingMXHelo)
	member("receiving-ip", addrText(fd.ReceivingIP))
	member("additional-information", fd.AdditionalInformation)
	member("failure-reason-code", fd.FailureReasonCode)
	b = append(b, '}')
	if !ok {
		return "", [sha256.Size]byte{}, errors.New("failure detail: a string is not valid UTF-8")
	}
	return string(b), hashKey(detailKeyV1, b), nil
}

// parseDetail reads a stored detail_json back, with count n.
func parseDetail(js string, n int64) (report.FailureDetail, error) {
	var d storedDetail
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		return report.FailureDetail{}, fmt.Errorf("store: stored failure detail: %w", err)
	}
	fd := report.FailureDetail{
		ResultType:            report.ResultType(d.ResultType),
		ReceivingMXHostname:   d.ReceivingMXHostname,
		ReceivingMXHelo:       d.ReceivingMXHelo,
		FailedSessionCount:    n,
		AdditionalInformation: d.AdditionalInformation,
		FailureReasonCode:     d.FailureReasonCode,
	}
	var err error
	if fd.SendingMTAIP, err = parseAddrText(d.SendingMTAIP); err != nil {
		return report.FailureDetail{}, err
	}
	if fd.ReceivingIP, err = parseAddrText(d.ReceivingIP); err != nil {
		return report.FailureDetail{}, err
	}
	return fd, nil
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func parseAddrText(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("store: stored failure detail: %w", err)
	}
	return a, nil
}

func hashKey(prefix string, js []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(prefix))
	h.Write(js)
	return [sha256.Size]byte(h.Sum(nil))
}

// lowerASCII lower-cases the ASCII letters of s.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + ('a' - 'A')
				}
			}
			return string(b)
		}
	}
	return s
}
