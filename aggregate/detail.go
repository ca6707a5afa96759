package aggregate

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// detailKey is a failure detail without its count: the aggregation key of
// a failure-details entry (RFC 8460 §4.4: every member except
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

// normalizeDetail stores in k the aggregation key of fd in the form
// reports carry: IPv4-mapped IPv6 addresses unmapped and zones dropped
// (RFC 8460 §4.4 wants plain RFC 5952 / dotted-decimal text),
// receiving-mx-hostname as a lower-case A-label without a trailing dot,
// receiving-mx-helo and failure-reason-code as valid text (cleanHelo,
// cleanText). It fails with ErrInvalidDetail for what
// (*report.Report).Validate would reject, except the checks of
// checkNewDetail, which only new keys need. It does not allocate for an
// already-normal detail.
func normalizeDetail(fd *Failure, k *detailKey) error {
	if fd.ResultType.Category() == report.CategoryUnknown {
		// RFC 8460 §4.3: a producer sends a registered result type.
		return fmt.Errorf("%w: result-type %q is not registered", ErrInvalidDetail, fd.ResultType)
	}
	// RFC 8460 §4.3.1: certificate-not-trusted and validation-failure
	// SHOULD carry a failure-reason-code. Without one the detail is still
	// counted, with the member left out: a failure must not be lost
	// because its cause is unknown, and an invented code would tell the
	// receiving domain nothing.
	k.resultType = fd.ResultType
	k.mxHelo = cleanHelo(fd.ReceivingMXHelo)
	k.failureReasonCd = cleanText(fd.FailureReasonCode)
	var ok bool
	if k.sendingMTAIP, ok = normalizeAddr(fd.SendingMTAIP); !ok {
		return fmt.Errorf("%w: sending-mta-ip %v is not a unicast address", ErrInvalidDetail, fd.SendingMTAIP)
	}
	if k.receivingIP, ok = normalizeAddr(fd.ReceivingIP); !ok {
		return fmt.Errorf("%w: receiving-ip %v is not a unicast address", ErrInvalidDetail, fd.ReceivingIP)
	}
	k.additionalInfo = fd.AdditionalInformation
	k.mxHostname = ""
	if fd.ReceivingMXHostname != "" {
		h, err := domain.Canonical(fd.ReceivingMXHostname)
		if err != nil {
			return fmt.Errorf("%w: receiving-mx-hostname %q: %v", ErrInvalidDetail, fd.ReceivingMXHostname, err)
		}
		k.mxHostname = h
	}
	return nil
}

// checkNewDetail makes the checks of a normalised key that cost an
// allocation; Record makes them only for keys it has not seen, since an
// equal key passed them before.
func checkNewDetail(k *detailKey) error {
	if k.additionalInfo != "" && !isAbsoluteURI(k.additionalInfo) {
		// RFC 8460 §4.4 additional-info-uri.
		return fmt.Errorf("%w: additional-information %q is not an absolute URI", ErrInvalidDetail, k.additionalInfo)
	}
	return nil
}

// normalizeAddr unmaps IPv4-mapped addresses (a dual-stack socket reports
// ::ffff:192.0.2.1 for an IPv4 peer) and drops zones (they mean nothing
// outside the sending host). It reports false for an unspecified or
// multicast address.
func normalizeAddr(a netip.Addr) (netip.Addr, bool) {
	if !a.IsValid() {
		return a, true
	}
	a = a.Unmap()
	if a.Zone() != "" {
		a = a.WithZone("")
	}
	return a, !a.IsUnspecified() && !a.IsMulticast()
}

// isAbsoluteURI reports whether s is an RFC 3986 URI with a scheme and
// something after it, without spaces or control characters.
func isAbsoluteURI(s string) bool {
	if !validText(s) || strings.ContainsFunc(s, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Opaque != "" || u.Host != "" || u.Path != "")
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

// compareDetails orders failure details deterministically, as
// report.FailureDetail.Compare orders them: by result-type, then
// receiving-mx-hostname, receiving-ip, sending-mta-ip, receiving-mx-helo,
// failure-reason-code, additional-information. Two entries of one report
// never compare equal (their keys differ).
func compareDetails(a, b detailKey) int {
	return a.detail(0).Compare(b.detail(0))
}

// appendDetailKey appends the binary encoding of (day, id, k) to b: the
// day and id in fixed width, each address as a family byte (0 absent, 4,
// 6) and its 4 or 16 bytes, each string as its uvarint length and bytes. The
// encoding is injective, so equal encodings mean equal keys.
func appendDetailKey(b []byte, day int64, id PolicyID, k *detailKey) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(day))
	b = binary.LittleEndian.AppendUint32(b, uint32(id))
	b = appendString(b, string(k.resultType))
	b = appendAddr(b, k.sendingMTAIP)
	b = appendString(b, k.mxHostname)
	b = appendString(b, k.mxHelo)
	b = appendAddr(b, k.receivingIP)
	b = appendString(b, k.additionalInfo)
	return appendString(b, k.failureReasonCd)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendAddr encodes a zone-free address (normalizeAddr drops zones): a
// family byte (0 absent, 4, 6) and its 4 or 16 bytes.
func appendAddr(b []byte, a netip.Addr) []byte {
	switch {
	case !a.IsValid():
		return append(b, 0)
	case a.Is4():
		v4 := a.As4()
		return append(b, 4, v4[0], v4[1], v4[2], v4[3])
	}
	v6 := a.As16()
	b = append(b, 6)
	return append(b, v6[:]...)
}
