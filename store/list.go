package store

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// Page selects a slice of a listing. The zero value is the first 100.
type Page struct {
	// Limit is the number of items returned; 0 means 100, a negative
	// value returns all.
	Limit int
	// Offset is the number of items skipped.
	Offset int
}

// ReportList is what ListReports returns.
type ReportList struct {
	// Total is the number of reports the filter selects, on all pages.
	Total int64 `json:"total"`
	// Offset is the page's offset.
	Offset int `json:"offset"`
	// Reports are the page's reports, the latest begin date first (ties:
	// the latest stored first).
	Reports []ListedReport `json:"reports"`
}

// ListedReport is one stored report as ListReports lists it: the report's
// fields (RFC 8460 §4.3), its trust and arrival, and the policies (§4.4)
// and failure details (§4.5) the filter selects.
type ListedReport struct {
	// Key identifies the report in the store (Get).
	Key int64 `json:"key"`
	// OrganizationName, ContactInfo and ReportID are the report's
	// organization-name, contact-info and report-id.
	OrganizationName string `json:"organization_name"`
	ContactInfo      string `json:"contact_info"`
	ReportID         string `json:"report_id"`
	// Start and End are the date-range, in UTC to the microsecond.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Trust is the report's trust verdict, Source and Received where and
	// when it arrived.
	Trust    Verdict   `json:"trust"`
	Source   string    `json:"source"`
	Received time.Time `json:"received"`
	// Successful and Failed sum the listed policies' session counts (with
	// a failure filter, Failed sums the listed failure details).
	Successful int64 `json:"successful"`
	Failed     int64 `json:"failed"`
	// Policies are the selected policies, in the report's order.
	Policies []ListedPolicy `json:"policies"`
}

// ListedPolicy is one applied policy of a ListedReport with its summary
// (RFC 8460 §4.4) and failure details.
type ListedPolicy struct {
	// Index is the position of the policy in the report's policies.
	Index int `json:"index"`
	// Type, Domain and MXHosts are policy-type, policy-domain and
	// mx-host; Mode is the "mode:" of an sts policy-string ("" for others).
	Type    policy.Type `json:"type"`
	Domain  string      `json:"domain"`
	Mode    string      `json:"mode"`
	MXHosts []string    `json:"mx_hosts"`
	// Successful and Failed are total-successful-session-count and
	// total-failure-session-count.
	Successful int64 `json:"successful"`
	Failed     int64 `json:"failed"`
	// Failures are the selected failure details, in the report's order.
	Failures []ListedFailure `json:"failures"`
}

// ListedFailure is one failure detail of a ListedPolicy (RFC 8460 §4.5).
type ListedFailure struct {
	// Index is the position of the detail in the policy's
	// failure-details.
	Index int `json:"index"`
	// ResultType is result-type.
	ResultType report.ResultType `json:"result_type"`
	// ReceivingMXHostname, ReceivingMXHelo and ReceivingIP are the
	// receiving side; the zero Addr means absent.
	ReceivingMXHostname string     `json:"receiving_mx_hostname"`
	ReceivingMXHelo     string     `json:"receiving_mx_helo"`
	ReceivingIP         netip.Addr `json:"receiving_ip"`
	// SendingMTAIP is sending-mta-ip; the zero Addr means absent.
	SendingMTAIP netip.Addr `json:"sending_mta_ip"`
	// Failed is failed-session-count.
	Failed int64 `json:"failed"`
	// FailureReasonCode and AdditionalInformation are as sent.
	FailureReasonCode     string `json:"failure_reason_code"`
	AdditionalInformation string `json:"additional_information"`
}

// ListReports lists the stored reports f selects, one page of them, the
// latest begin date first, each with the policies and failure details f
// selects.
//
// A report is selected when one of its policies matches f's conditions
// on dates, reporter, trust, policy domain, type and mode, as in
// Summarize; the report lists those policies, each with all its failure
// details. With a failure-detail condition (ResultType, Category, MX,
// SendingIP) a report is selected only when one of those policies has a
// matching failure detail, and the policies list only the matching
// details, so that a listing's failed counts add up to Summarize's.
// f.Top is ignored.
func (s *Store) ListReports(ctx context.Context, f ViewFilter, page Page) (*ReportList, error) {
	d := s.dialect
	table := "tlsrpt_policy_rollup"
	conds, args := f.policyWhere(d)
	ff := f.hasFailureFilter()
	if ff {
		table = "tlsrpt_failure_rollup"
		conds, args = f.failureWhere(d)
	}
	count := "SELECT COUNT(DISTINCT report_key) FROM " + table + whereOf(conds)
	q := "SELECT report_key, begin_date FROM " + table + whereOf(conds) + " GROUP BY report_key, begin_date ORDER BY begin_date DESC, report_key DESC"
	if !ff && f.Domain == "" && f.PolicyType == "" && f.Mode == "" {
		// Only conditions on the report: its begin date index has the
		// order, and a page reads only its rows.
		conds, args = f.reportWhere(d)
		count = "SELECT COUNT(*) FROM tlsrpt_reports r" + whereOf(conds)
		q = "SELECT report_key, begin_date FROM tlsrpt_reports r" + whereOf(conds) + " ORDER BY begin_date DESC, report_key DESC"
	}
	out := &ReportList{Offset: page.Offset, Reports: []ListedReport{}}
	if err := s.queryRow(ctx, count, args, &out.Total); err != nil {
		return nil, err
	}
	limit := page.Limit
	if limit == 0 {
		limit = 100
	}
	switch {
	case limit > 0:
		q += fmt.Sprintf(" LIMIT %d", limit)
	case page.Offset > 0 && d == DialectSQLite:
		q += " LIMIT -1" // SQLite wants a LIMIT before OFFSET
	}
	if page.Offset > 0 {
		q += fmt.Sprintf(" OFFSET %d", page.Offset)
	}
	var keys []int64
	err := s.query(ctx, q, args, func(scan func(...any) error) error {
		var key int64
		var begin time.Time
		if err := scan(&key, timeScan{&begin}); err != nil {
			return err
		}
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return nil, err
	}
	pconds, pargs := f.policyWhere(d)
	fconds, fargs := f.failureWhere(d)
	for len(keys) > 0 {
		n := min(len(keys), maxParams/4)
		part, err := s.listReports(ctx, keys[:n], pconds, pargs, fconds, fargs, ff)
		if err != nil {
			return nil, err
		}
		out.Reports = append(out.Reports, part...)
		keys = keys[n:]
	}
	return out, nil
}

// reportWhere returns f's conditions on tlsrpt_reports (alias r) for a
// filter without policy or failure conditions: a report with at least
// one policy, in the window, of the reporter and trust.
func (f ViewFilter) reportWhere(d Dialect) ([]string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds = append(conds, "r.begin_date >= ?")
		args = append(args, timeArg(d, f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "r.begin_date < ?")
		args = append(args, timeArg(d, f.Until))
	}
	if f.Reporter != "" {
		conds = append(conds, "r.organization_name = ?")
		args = append(args, f.Reporter)
	}
	if f.Trust != "" {
		conds = append(conds, "r.trust = ?")
		args = append(args, string(f.Trust))
	}
	conds = append(conds, "EXISTS (SELECT 1 FROM tlsrpt_policies p WHERE p.report_key = r.report_key)")
	return conds, args
}

// listReports reads the reports of keys, in that order, with their
// policies that match pconds and their failure details that match fconds.
func (s *Store) listReports(ctx context.Context, keys []int64, pconds []string, pargs []any, fconds []string, fargs []any, ff bool) ([]ListedReport, error) {
	in := "(" + strings.Repeat("?, ", len(keys)-1) + "?)"
	kargs := make([]any, len(keys))
	pos := make(map[int64]int, len(keys))
	out := make([]ListedReport, len(keys))
	for i, k := range keys {
		kargs[i] = k
		pos[k] = i
	}
	err := s.query(ctx, "SELECT report_key, organization_name, contact_info, report_id, begin_date, end_date, trust, source, received_at FROM tlsrpt_reports WHERE report_key IN "+in,
		kargs, func(scan func(...any) error) error {
			var r ListedReport
			var trust string
			if err := scan(&r.Key, &r.OrganizationName, &r.ContactInfo, &r.ReportID, timeScan{&r.Start}, timeScan{&r.End}, &trust, &r.Source, timeScan{&r.Received}); err != nil {
				return err
			}
			r.Trust = Verdict(trust)
			r.Policies = []ListedPolicy{}
			out[pos[r.Key]] = r
			return nil
		})
	if err != nil {
		return nil, err
	}
	// The rollup row of each policy (x) says whether it matches.
	type pk struct {
		key int64
		idx int
	}
	policies := map[pk]*ListedPolicy{}
	var order []pk
	q := "SELECT p.report_key, p.policy_index, p.policy_type, p.policy_domain, p.policy_mode, p.mx_host_patterns, p.successful_session_count, p.failed_session_count FROM tlsrpt_policies p WHERE p.report_key IN " + in +
		" AND EXISTS (SELECT 1 FROM tlsrpt_policy_rollup x WHERE x.report_key = p.report_key AND x.policy_index = p.policy_index" + andOf(pconds) + ") ORDER BY p.report_key, p.policy_index"
	err = s.query(ctx, q, append(append([]any{}, kargs...), pargs...), func(scan func(...any) error) error {
		var p ListedPolicy
		var key int64
		var ptype, mx string
		if err := scan(&key, &p.Index, &ptype, &p.Domain, &p.Mode, &mx, &p.Successful, &p.Failed); err != nil {
			return err
		}
		p.Type = policy.Type(ptype)
		var err error
		if p.MXHosts, err = decodeList(mx); err != nil {
			return err
		}
		p.Failures = []ListedFailure{}
		k := pk{key, p.Index}
		policies[k] = &p
		order = append(order, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	q = "SELECT f.report_key, f.policy_index, f.detail_index, f.result_type, f.receiving_mx_hostname, f.receiving_mx_helo, f.receiving_ip, f.sending_mta_ip, f.failed_session_count, f.failure_reason_code, f.additional_info_uri FROM tlsrpt_failures f WHERE f.report_key IN " + in +
		" AND EXISTS (SELECT 1 FROM tlsrpt_failure_rollup x WHERE x.report_key = f.report_key AND x.policy_index = f.policy_index AND x.detail_index = f.detail_index" + andOf(fconds) + ") ORDER BY f.report_key, f.policy_index, f.detail_index"
	err = s.query(ctx, q, append(append([]any{}, kargs...), fargs...), func(scan func(...any) error) error {
		var fd ListedFailure
		var key int64
		var pi int
		var rt, recvIP, sendIP string
		if err := scan(&key, &pi, &fd.Index, &rt, &fd.ReceivingMXHostname, &fd.ReceivingMXHelo, &recvIP, &sendIP, &fd.Failed, &fd.FailureReasonCode, &fd.AdditionalInformation); err != nil {
			return err
		}
		fd.ResultType = report.ResultType(rt)
		var err error
		if fd.ReceivingIP, err = parseAddr(recvIP); err != nil {
			return err
		}
		if fd.SendingMTAIP, err = parseAddr(sendIP); err != nil {
			return err
		}
		if p := policies[pk{key, pi}]; p != nil {
			p.Failures = append(p.Failures, fd)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range order {
		p := policies[k]
		if ff && len(p.Failures) == 0 {
			continue
		}
		r := &out[pos[k.key]]
		r.Successful += p.Successful
		if ff {
			for _, fd := range p.Failures {
				r.Failed += fd.Failed
			}
		} else {
			r.Failed += p.Failed
		}
		r.Policies = append(r.Policies, *p)
	}
	return out, nil
}

// andOf returns conds joined as " AND c1 AND c2", "" for none.
func andOf(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " AND " + strings.Join(conds, " AND ")
}
