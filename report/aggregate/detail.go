package aggregate

import (
	"cmp"
	"fmt"
	"net/netip"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// detailKey is a failure detail without its count: the aggregation key of
// a failure-details entry (RFC 8460 §4.4; SPEC §3: every field except
// failed-session-count). It is comparable, so a map lookup with it does
// not allocate.
type detailKey struct {
	resultType      report.ResultType
	sendingMTAIP    netip.Addr
	mxHostname      string
	mxHelo          string
	receivingIP     netip.Addr
	additionalInfo  string
	failureReasonCd string
}

// normalizeDetail returns the aggregation key of fd in the form reports
// carry: IPv4-mapped IPv6 addresses unmapped and zones dropped (RFC 8460
// §4.4 wants plain RFC 5952 / dotted-decimal text), receiving-mx-hostname
// as a lower-case A-label without a trailing dot. It does not allocate for
// an already-normal detail.
func normalizeDetail(fd *report.FailureDetail) (detailKey, error) {
	if fd.ResultType == "" {
		return detailKey{}, fmt.Errorf("%w: empty result-type", ErrInvalidDetail)
	}
	k := detailKey{
		resultType:      fd.ResultType,
		sendingMTAIP:    normalizeAddr(fd.SendingMTAIP),
		mxHelo:          fd.ReceivingMXHelo,
		receivingIP:     normalizeAddr(fd.ReceivingIP),
		additionalInfo:  fd.AdditionalInformation,
		failureReasonCd: fd.FailureReasonCode,
	}
	if fd.ReceivingMXHostname != "" {
		h, err := domain.ToASCII(fd.ReceivingMXHostname)
		if err != nil {
			return detailKey{}, fmt.Errorf("%w: receiving-mx-hostname %q: %v", ErrInvalidDetail, fd.ReceivingMXHostname, err)
		}
		k.mxHostname = h
	}
	return k, nil
}

// normalizeAddr unmaps IPv4-mapped addresses (a dual-stack socket reports
// ::ffff:192.0.2.1 for an IPv4 peer) and drops zones.
func normalizeAddr(a netip.Addr) netip.Addr {
	if !a.IsValid() {
		return a
	}
	a = a.Unmap()
	if a.Zone() != "" {
		a = a.WithZone("")
	}
	return a
}

// detail returns k as a report.FailureDetail with count n.
func (k detailKey) detail(n int64) report.FailureDetail {
	return report.FailureDetail{
		ResultType:            k.resultType,
		SendingMTAIP:          k.sendingMTAIP,
		ReceivingMXHostname:   k.mxHostname,
		ReceivingMXHelo:       k.mxHelo,
		ReceivingIP:           k.receivingIP,
		FailedSessionCount:    n,
		AdditionalInformation: k.additionalInfo,
		FailureReasonCode:     k.failureReasonCd,
	}
}

// compareDetails orders failure details deterministically: by result-type,
// then receiving-mx-hostname, receiving-ip, sending-mta-ip,
// receiving-mx-helo, failure-reason-code, additional-information. Two
// entries of one report never compare equal (their keys differ).
func compareDetails(a, b detailKey) int {
	if c := cmp.Compare(a.resultType, b.resultType); c != 0 {
		return c
	}
	if c := cmp.Compare(a.mxHostname, b.mxHostname); c != 0 {
		return c
	}
	if c := a.receivingIP.Compare(b.receivingIP); c != 0 {
		return c
	}
	if c := a.sendingMTAIP.Compare(b.sendingMTAIP); c != 0 {
		return c
	}
	if c := cmp.Compare(a.mxHelo, b.mxHelo); c != 0 {
		return c
	}
	if c := cmp.Compare(a.failureReasonCd, b.failureReasonCd); c != 0 {
		return c
	}
	return cmp.Compare(a.additionalInfo, b.additionalInfo)
}
