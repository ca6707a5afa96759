package aggregate

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// Reports returns the reports of the UTC day that contains day: one per
// policy domain (RFC 8460 §4.1), ordered by policy domain. Each covers the
// whole day, 00:00:00Z to 23:59:59Z (the form of RFC 8460 Appendix B),
// carries the Config's organization-name and contact-info, and a report-id
// of the msg-id form "<day>.<policy-domain>.<hash>@<id-right>" (dot-atom
// text on both sides, so it can go in the Subject, RFC 8460 §5.3). The
// hash covers the day, the policy domain and the Config, so every node
// with the same Config names the same report the same way.
//
// Within a report, policies are ordered by policy.Policy.Key and failure
// details by result-type, receiving-mx-hostname, receiving-ip,
// sending-mta-ip, receiving-mx-helo, failure-reason-code,
// additional-information. With Config.OnlyFailures, reports without a
// failed session are left out.
//
// Reports does not remove the day (see Forget) and may be called for a
// day that is not over yet; the result then covers the sessions recorded
// so far. The returned reports share nothing with the Aggregator.
func (a *Aggregator) Reports(day time.Time) ([]*report.Report, error) {
	idRight, err := a.reportIDDomain()
	if err != nil {
		return nil, err
	}
	d := dayNumber(day)
	var (
		ids []PolicyID
		pcs []policyCounts
	)
	byPolicy := make(map[PolicyID]int) // index in pcs
	get := func(id PolicyID) *policyCounts {
		i, ok := byPolicy[id]
		if !ok {
			i = len(pcs)
			byPolicy[id] = i
			ids = append(ids, id)
			pcs = append(pcs, policyCounts{})
		}
		return &pcs[i]
	}
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		for k, c := range sh.summaries {
			if k.day == d {
				pc := get(k.policy)
				pc.summary = report.Summary{TotalSuccessfulSessionCount: c.successful, TotalFailureSessionCount: c.failed}
				if pc.details == nil {
					pc.details = make([]report.FailureDetail, 0, c.details)
				}
			}
		}
		for _, dc := range sh.details {
			if dc.day == d {
				pc := get(dc.policy)
				if pc.details == nil {
					pc.details = make([]report.FailureDetail, 0, dc.sum.details)
				}
				pc.details = append(pc.details, dc.detail.detail(dc.n))
			}
		}
		sh.mu.Unlock()
	}
	for i, e := range a.policies.entries(ids) {
		pcs[i].policyEntry = e
	}
	return a.buildReports(d, idRight, pcs), nil
}

// policyCounts is the counts of one policy on one day: the input of
// buildReports, from the Aggregator's memory or from a Store.
type policyCounts struct {
	policyEntry // normalised, with its Key
	summary     report.Summary
	details     []report.FailureDetail // in any order; may repeat a detail
}

// buildReports returns the reports of day d from the counts pcs, as
// Reports documents them: one per policy domain, ordered by policy
// domain; policies by Key; failure details as report.FailureDetail.Compare
// orders them, equal details (counts aside) added up. pcs lists each
// policy once; buildReports sorts it and its details in place and the
// reports take over the details' slices.
func (a *Aggregator) buildReports(d int64, idRight string, pcs []policyCounts) []*report.Report {
	if len(pcs) == 0 {
		return nil
	}
	// By policy domain, then by Key: one report per domain, policies in
	// Key order inside it.
	slices.SortFunc(pcs, func(x, y policyCounts) int {
		if c := cmp.Compare(x.p.Domain, y.p.Domain); c != 0 {
			return c
		}
		return cmp.Compare(x.key, y.key)
	})

	dayText := dayStart(d).Format(time.DateOnly)
	var out []*report.Report
	var cur *report.Report
	var curFailed int64
	flush := func() {
		if cur != nil && (!a.cfg.OnlyFailures || curFailed > 0) {
			out = append(out, cur)
		}
		cur, curFailed = nil, 0
	}
	for i := range pcs {
		pc := &pcs[i]
		if cur == nil || cur.Policies[0].Policy.Domain != pc.p.Domain {
			flush()
			cur = &report.Report{
				OrganizationName: a.cfg.OrganizationName,
				DateRange: report.DateRange{
					Start: dayStart(d),
					End:   dayStart(d + 1).Add(-time.Second),
				},
				ContactInfo: a.cfg.ContactInfo,
				ReportID:    a.reportID(dayText, pc.p.Domain, idRight),
			}
		}
		cur.Policies = append(cur.Policies, report.PolicyResult{
			Policy:         clonePolicy(pc.p),
			Summary:        pc.summary,
			FailureDetails: sortDetails(pc.details),
		})
		curFailed += pc.summary.TotalFailureSessionCount
	}
	flush()
	return out
}

// sortDetails sorts ds as report.FailureDetail.Compare orders them and
// adds up the counts of equal details (counts aside), in place. It
// returns the sorted details, never nil.
func sortDetails(ds []report.FailureDetail) []report.FailureDetail {
	if ds == nil {
		return []report.FailureDetail{}
	}
	slices.SortFunc(ds, report.FailureDetail.Compare)
	out := ds[:0]
	for i := range ds {
		if n := len(out); n > 0 && sameDetail(&out[n-1], &ds[i]) {
			out[n-1].FailedSessionCount = satAdd(out[n-1].FailedSessionCount, ds[i].FailedSessionCount)
			continue
		}
		out = append(out, ds[i])
	}
	return out
}

// sameDetail reports whether x and y are the same failure detail: equal
// in every member except failed-session-count (RFC 8460 §4.4).
func sameDetail(x, y *report.FailureDetail) bool {
	a, b := *x, *y
	a.FailedSessionCount, b.FailedSessionCount = 0, 0
	return a == b
}

// clonePolicy returns a deep copy of p whose slices are never nil, so
// that the report encodes them as arrays whatever the encoder.
func clonePolicy(p policy.Policy) policy.Policy {
	p.Strings = append(make([]string, 0, len(p.Strings)), p.Strings...)
	p.MXHosts = append(make([]string, 0, len(p.MXHosts)), p.MXHosts...)
	return p
}

// reportID returns the report-id of the report about policyDomain on the
// day dayText (YYYY-MM-DD): dot-atom-text "@" dot-atom-text (RFC 5322
// §3.6.4 msg-id without the angle brackets; RFC 8460 §5.3 Subject).
func (a *Aggregator) reportID(dayText, policyDomain, idRight string) string {
	h := sha256.New()
	for _, s := range []string{"tlsrpt-report-id-v1", dayText, policyDomain, a.cfg.OrganizationName, a.cfg.ContactInfo, idRight} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	return dayText + "." + policyDomain + "." + hex.EncodeToString(sum[:8]) + "@" + idRight
}

// reportIDDomain checks the Config for report generation and returns the
// id-right of report-ids.
func (a *Aggregator) reportIDDomain() (string, error) {
	if a.cfg.OrganizationName == "" {
		return "", fmt.Errorf("%w: empty OrganizationName", ErrConfig)
	}
	if a.cfg.ContactInfo == "" {
		return "", fmt.Errorf("%w: empty ContactInfo", ErrConfig)
	}
	if a.cfg.ReportIDDomain == "" {
		// The same rule as the TLS-Report-Submitter of the report mail.
		d, err := report.ContactDomain(a.cfg.ContactInfo)
		if err != nil {
			return "", fmt.Errorf("%w: no report-id domain (set ReportIDDomain): %v", ErrConfig, err)
		}
		return d, nil
	}
	d, err := domain.Canonical(a.cfg.ReportIDDomain)
	if err != nil {
		return "", fmt.Errorf("%w: ReportIDDomain %q: %v", ErrConfig, a.cfg.ReportIDDomain, err)
	}
	return d, nil
}
