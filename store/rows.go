package store

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/netip"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// RowKind says which of the two kinds of rows a Row is.
type RowKind string

// The row kinds.
const (
	// RowPolicy: one per element of a report's policies array, with the
	// summary's session counts.
	RowPolicy RowKind = "policy"
	// RowFailure: one per failure-details element, with its policy.
	RowFailure RowKind = "failure"
)

// Row is one row of the flat view of the stored reports that dashboards
// and exports use: a policy row per applied policy, a failure row per
// failure detail. Each row repeats its report's and its policy's columns.
type Row struct {
	// Kind is RowPolicy or RowFailure.
	Kind RowKind
	// Key identifies the report in the store (Get).
	Key int64
	// OrganizationName, ContactInfo and ReportID are the report's.
	OrganizationName, ContactInfo, ReportID string
	// DateRange is the report's, to the microsecond.
	DateRange report.DateRange
	// PolicyIndex is the position of the policy in the report's policies.
	PolicyIndex int
	// Policy is the applied policy (policy-type, policy-string,
	// policy-domain, mx-host). Consecutive rows of one policy share its
	// Strings and MXHosts slices: copy them before modifying them.
	Policy policy.Policy
	// Mode is the "mode:" value of an sts policy-string (enforce, testing,
	// none), "" for other policy types or when the line is missing.
	Mode string
	// Summary holds the policy's session counts. Policy rows only.
	Summary report.Summary
	// DetailIndex is the position of the failure detail in the policy's
	// failure-details. Failure rows only (-1 on policy rows).
	DetailIndex int
	// Failure is the failure detail. Failure rows only.
	Failure report.FailureDetail
	// Trust is the report's trust verdict.
	Trust Verdict
	// Source is where the report came from.
	Source string
	// Received is when the report arrived, to the microsecond.
	Received time.Time
}

// Filter selects the rows of Rows and Export. The zero value selects all.
// The conditions combine with AND.
type Filter struct {
	// Since keeps reports whose date range begins at or after Since; the
	// zero value sets no lower bound.
	Since time.Time
	// Until keeps reports whose date range begins before Until; the zero
	// value sets no upper bound. A day d is Since: d, Until: d.AddDate(0, 0, 1).
	Until time.Time
	// Domain keeps rows whose policy-domain is Domain, compared as a
	// lower-case A-label without trailing dot (U-labels are converted).
	// Note that a tlsa policy's domain is usually the MX host.
	Domain string
	// Reporter keeps reports whose organization-name is Reporter,
	// exactly.
	Reporter string
	// Trust keeps reports with this verdict; "" keeps all.
	Trust Verdict
}

// where returns the filter's SQL condition (starting with " WHERE" when
// there is one) and its arguments.
func (f Filter) where(d Dialect) (string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds = append(conds, "begin_date >= ?")
		args = append(args, timeArg(d, f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "begin_date < ?")
		args = append(args, timeArg(d, f.Until))
	}
	if f.Domain != "" {
		name, err := domain.ToASCII(f.Domain)
		if err != nil {
			name = strings.ToLower(strings.TrimSuffix(f.Domain, "."))
		}
		conds = append(conds, "policy_domain = ?")
		args = append(args, name)
	}
	if f.Reporter != "" {
		conds = append(conds, "organization_name = ?")
		args = append(args, f.Reporter)
	}
	if f.Trust != "" {
		conds = append(conds, "trust = ?")
		args = append(args, string(f.Trust))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// rowColumns are selected from both views, in Row's scan order; the
// policy-row half fills the failure columns with constants.
const (
	rowsPolicySelect = `SELECT 'policy', report_key, organization_name, contact_info, report_id, begin_date, end_date,
	policy_index, -1 AS detail_index, policy_type, policy_domain, policy_mode, policy_strings, mx_host_patterns,
	successful_session_count, failed_session_count,
	'', '', '', '', '', '', '', trust, source, received_at FROM tlsrpt_policy_rows`
	rowsFailureSelect = `SELECT 'failure', report_key, organization_name, contact_info, report_id, begin_date, end_date,
	policy_index, detail_index, policy_type, policy_domain, policy_mode, policy_strings, mx_host_patterns,
	0, failed_session_count,
	result_type, sending_mta_ip, receiving_ip, receiving_mx_hostname, receiving_mx_helo, additional_info_uri, failure_reason_code,
	trust, source, received_at FROM tlsrpt_failure_rows`
)

// Rows iterates over the policy rows and failure rows of the stored
// reports that f selects, ordered by the reports' begin date, then by key
// (arrival order), then policy by policy, each policy row followed by its
// failure rows. An error ends the iteration (yielded with a zero Row).
// Breaking out of the loop releases the query.
//
//	for row, err := range st.Rows(ctx, store.Filter{Domain: "example.com"}) {
//		if err != nil {
//			return err
//		}
//		…
//	}
func (s *Store) Rows(ctx context.Context, f Filter) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		where, args := f.where(s.dialect)
		q := rowsPolicySelect + where + "\nUNION ALL\n" + rowsFailureSelect + where +
			"\nORDER BY 6, 2, 8, 9"
		rows, err := s.db.QueryContext(ctx, rebind(s.dialect, q), append(args, args...)...)
		if err != nil {
			yield(Row{}, fmt.Errorf("store: rows: %w", err))
			return
		}
		defer rows.Close()
		var sc rowScan
		for rows.Next() {
			r, err := sc.scan(rows)
			if err != nil {
				yield(Row{}, fmt.Errorf("store: rows: %w", err))
				return
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(Row{}, fmt.Errorf("store: rows: %w", err))
		}
	}
}

// rowScan holds the scan targets of Rows, reused from row to row.
type rowScan struct {
	kind, ptype, strs, mx, verdict, rt, sendIP, recvIP string
	strsPrev, mxPrev                                   string
	strsVal, mxVal                                     []string
	decoded                                            bool
}

func (sc *rowScan) scan(rows interface{ Scan(...any) error }) (Row, error) {
	var r Row
	err := rows.Scan(&sc.kind, &r.Key, &r.OrganizationName, &r.ContactInfo, &r.ReportID,
		timeScan{&r.DateRange.Start}, timeScan{&r.DateRange.End},
		&r.PolicyIndex, &r.DetailIndex, &sc.ptype, &r.Policy.Domain, &r.Mode, &sc.strs, &sc.mx,
		&r.Summary.TotalSuccessfulSessionCount, &r.Summary.TotalFailureSessionCount,
		&sc.rt, &sc.sendIP, &sc.recvIP, &r.Failure.ReceivingMXHostname, &r.Failure.ReceivingMXHelo,
		&r.Failure.AdditionalInformation, &r.Failure.FailureReasonCode,
		&sc.verdict, &r.Source, timeScan{&r.Received})
	if err != nil {
		return Row{}, err
	}
	r.Kind = RowKind(sc.kind)
	r.Policy.Type = policy.Type(sc.ptype)
	r.Trust = Verdict(sc.verdict)
	// Consecutive rows of one policy share its lists: decode them once.
	if !sc.decoded || sc.strs != sc.strsPrev {
		if sc.strsVal, err = decodeList(sc.strs); err != nil {
			return Row{}, err
		}
		sc.strsPrev = sc.strs
	}
	if !sc.decoded || sc.mx != sc.mxPrev {
		if sc.mxVal, err = decodeList(sc.mx); err != nil {
			return Row{}, err
		}
		sc.mxPrev = sc.mx
	}
	sc.decoded = true
	r.Policy.Strings, r.Policy.MXHosts = sc.strsVal, sc.mxVal
	if r.Kind == RowFailure {
		r.Failure.ResultType = report.ResultType(sc.rt)
		r.Failure.FailedSessionCount = r.Summary.TotalFailureSessionCount
		r.Summary = report.Summary{}
		if r.Failure.SendingMTAIP, err = parseAddr(sc.sendIP); err != nil {
			return Row{}, err
		}
		if r.Failure.ReceivingIP, err = parseAddr(sc.recvIP); err != nil {
			return Row{}, err
		}
	}
	return r, nil
}

// decodeList decodes a policy_strings or mx_host_patterns column; an
// empty list is nil, as the report decoder has it.
func decodeList(s string) ([]string, error) {
	if s == "[]" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("stored list %q: %w", s, err)
	}
	return out, nil
}

// parseAddr parses an IP column; "" is the zero Addr.
func parseAddr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	return netip.ParseAddr(s)
}
