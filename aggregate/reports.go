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
	type policyData struct {
		summary summaryCount
		details []report.FailureDetail
		keys    []detailKey
	}
	byPolicy := make(map[PolicyID]*policyData)
	get := func(id PolicyID) *policyData {
		pd := byPolicy[id]
		if pd == nil {
			pd = new(policyData)
			byPolicy[id] = pd
		}
		return pd
	}
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		for k, c := range sh.summaries {
			if k.day == d {
				get(k.policy).summary = *c
			}
		}
		for _, dc := range sh.details {
			if dc.day == d {
				pd := get(dc.policy)
				pd.keys = append(pd.keys, dc.detail)
				pd.details = append(pd.details, dc.detail.detail(dc.n))
			}
		}
		sh.mu.Unlock()
	}
	if len(byPolicy) == 0 {
		return nil, nil
	}

	ids := make([]PolicyID, 0, len(byPolicy))
	for id := range byPolicy {
		ids = append(ids, id)
	}
	entries := a.policies.entries(ids)
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	// By policy domain, then by Key: one report per domain, policies in
	// Key order inside it.
	slices.SortFunc(order, func(i, j int) int {
		if c := cmp.Compare(entries[i].p.Domain, entries[j].p.Domain); c != 0 {
			return c
		}
		return cmp.Compare(entries[i].key, entries[j].key)
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
	for _, i := range order {
		e := entries[i]
		pd := byPolicy[ids[i]]
		if cur == nil || cur.Policies[0].Policy.Domain != e.p.Domain {
			flush()
			cur = &report.Report{
				OrganizationName: a.cfg.OrganizationName,
				DateRange: report.DateRange{
					Start: dayStart(d),
					End:   dayStart(d + 1).Add(-time.Second),
				},
				ContactInfo: a.cfg.ContactInfo,
				ReportID:    a.reportID(dayText, e.p.Domain, idRight),
			}
		}
		// Sort details by their keys, moving the details along.
		idx := make([]int, len(pd.keys))
		for j := range idx {
			idx[j] = j
		}
		slices.SortFunc(idx, func(x, y int) int { return compareDetails(pd.keys[x], pd.keys[y]) })
		details := make([]report.FailureDetail, len(idx))
		for j, x := range idx {
			details[j] = pd.details[x]
		}
		cur.Policies = append(cur.Policies, report.PolicyResult{
			Policy: clonePolicy(e.p),
			Summary: report.Summary{
				TotalSuccessfulSessionCount: pd.summary.successful,
				TotalFailureSessionCount:    pd.summary.failed,
			},
			FailureDetails: details,
		})
		curFailed += pd.summary.failed
	}
	flush()
	return out, nil
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
