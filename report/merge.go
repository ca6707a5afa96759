package report

import (
	"cmp"
	"math"
	"slices"
)

// Merge adds up reports: the result holds one policies entry per distinct
// policy of the inputs (compared as policy.Policy.Key compares), whose
// summary counts are the sums of that policy's summaries, and one
// failure-details entry per distinct failure detail of that policy
// (compared by every member except failed-session-count, RFC 8460 §4.4),
// whose failed-session-count is the sum of its counts. Counts are plain
// sums of sessions (RFC 8460 §4.2), so the reports of several nodes that
// each recorded part of a day's sessions merge into the report of one node
// that recorded them all; sums saturate at the largest int64.
//
// The organization-name, contact-info and report-id are the first
// report's; the date-range runs from the earliest start-datetime to the
// latest end-datetime. Policies are ordered by policy-domain, then by
// policy.Policy.Key; failure details as FailureDetail.Compare orders them:
// the order package aggregate writes, so merging the reports of several
// aggregate.Aggregators with the same Config gives byte for byte the
// report of one Aggregator that recorded every session.
//
// Nil reports are skipped; Merge returns nil when no report is left. The
// result shares nothing with the inputs, which are not changed.
func Merge(reports ...*Report) *Report {
	var out *Report
	type policyIndex struct {
		key     string
		i       int                   // in out.Policies
		details map[FailureDetail]int // detail without its count → index
	}
	var byKey map[string]*policyIndex
	var order []*policyIndex
	for _, r := range reports {
		if r == nil {
			continue
		}
		if out == nil {
			out = &Report{
				OrganizationName: r.OrganizationName,
				DateRange:        r.DateRange,
				ContactInfo:      r.ContactInfo,
				ReportID:         r.ReportID,
			}
			byKey = make(map[string]*policyIndex)
		}
		if r.DateRange.Start.Before(out.DateRange.Start) {
			out.DateRange.Start = r.DateRange.Start
		}
		if r.DateRange.End.After(out.DateRange.End) {
			out.DateRange.End = r.DateRange.End
		}
		for i := range r.Policies {
			src := &r.Policies[i]
			key := src.Policy.Key()
			pi := byKey[key]
			if pi == nil {
				p := src.Policy
				p.Strings = slices.Clone(p.Strings)
				p.MXHosts = slices.Clone(p.MXHosts)
				pi = &policyIndex{key: key, i: len(out.Policies), details: make(map[FailureDetail]int, len(src.FailureDetails))}
				byKey[key] = pi
				order = append(order, pi)
				out.Policies = append(out.Policies, PolicyResult{Policy: p, FailureDetails: make([]FailureDetail, 0, len(src.FailureDetails))})
			}
			dst := &out.Policies[pi.i]
			dst.Summary.TotalSuccessfulSessionCount = satAdd(dst.Summary.TotalSuccessfulSessionCount, src.Summary.TotalSuccessfulSessionCount)
			dst.Summary.TotalFailureSessionCount = satAdd(dst.Summary.TotalFailureSessionCount, src.Summary.TotalFailureSessionCount)
			for _, fd := range src.FailureDetails {
				id := fd
				id.FailedSessionCount = 0
				if j, ok := pi.details[id]; ok {
					dst.FailureDetails[j].FailedSessionCount = satAdd(dst.FailureDetails[j].FailedSessionCount, fd.FailedSessionCount)
					continue
				}
				pi.details[id] = len(dst.FailureDetails)
				dst.FailureDetails = append(dst.FailureDetails, fd)
			}
		}
	}
	if out == nil {
		return nil
	}
	slices.SortFunc(order, func(x, y *policyIndex) int {
		if c := cmp.Compare(out.Policies[x.i].Policy.Domain, out.Policies[y.i].Policy.Domain); c != 0 {
			return c
		}
		return cmp.Compare(x.key, y.key)
	})
	sorted := make([]PolicyResult, len(order))
	for n, pi := range order {
		sorted[n] = out.Policies[pi.i]
		slices.SortFunc(sorted[n].FailureDetails, FailureDetail.Compare)
	}
	out.Policies = sorted
	return out
}

// Compare orders failure details by their members: result-type, then
// receiving-mx-hostname, receiving-ip, sending-mta-ip (absent first, then
// IPv4 before IPv6, as netip.Addr.Compare), receiving-mx-helo,
// failure-reason-code, additional-information, and last
// failed-session-count. It returns -1, 0 or +1. Two entries of one
// policies entry never compare equal when they are distinct failure
// details (RFC 8460 §4.4).
func (f FailureDetail) Compare(g FailureDetail) int {
	if c := cmp.Compare(f.ResultType, g.ResultType); c != 0 {
		return c
	}
	if c := cmp.Compare(f.ReceivingMXHostname, g.ReceivingMXHostname); c != 0 {
		return c
	}
	if c := f.ReceivingIP.Compare(g.ReceivingIP); c != 0 {
		return c
	}
	if c := f.SendingMTAIP.Compare(g.SendingMTAIP); c != 0 {
		return c
	}
	if c := cmp.Compare(f.ReceivingMXHelo, g.ReceivingMXHelo); c != 0 {
		return c
	}
	if c := cmp.Compare(f.FailureReasonCode, g.FailureReasonCode); c != 0 {
		return c
	}
	if c := cmp.Compare(f.AdditionalInformation, g.AdditionalInformation); c != 0 {
		return c
	}
	return cmp.Compare(f.FailedSessionCount, g.FailedSessionCount)
}

// satAdd returns x+y for non-negative x and y, saturating at
// math.MaxInt64.
func satAdd(x, y int64) int64 {
	if y > 0 && x > math.MaxInt64-y {
		return math.MaxInt64
	}
	return x + y
}
