package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// ViewFilter selects what Summarize, Readiness and Alerts look at. The
// zero value selects everything. The conditions combine with AND.
//
// Filter's fields (dates, domain, reporter, trust), PolicyType and Mode
// select policy rows. ResultType, Category, MX and SendingIP are
// properties of failure details only (RFC 8460 §4.3: a successful session
// has no result type): when one of them is set, failed counts are the
// sums of the matching failure details' failed-session-count, while
// successful counts stay those of the selected policies.
type ViewFilter struct {
	Filter
	// PolicyType keeps policies of this type (sts, tlsa, no-policy-found).
	PolicyType policy.Type
	// Mode keeps sts policies in this mode (enforce, testing, none).
	Mode string
	// ResultType keeps failure details of this result type.
	ResultType report.ResultType
	// Category keeps failure details whose result type is in this family
	// (report.CategoryNegotiation, CategorySTS, CategoryDANE,
	// CategoryUnknown for result types the report package does not know).
	Category report.Category
	// MX keeps failure details with this receiving-mx-hostname, compared
	// case-insensitively, without trailing dot.
	MX string
	// SendingIP keeps failure details with this sending-mta-ip.
	SendingIP netip.Addr
	// Top is the number of rows kept in Summary.ByMX and BySendingIP, the
	// most failing first; 0 means 10, a negative value keeps all.
	Top int
}

// hasFailureFilter reports whether f sets a failure-detail condition.
func (f ViewFilter) hasFailureFilter() bool {
	return f.ResultType != "" || f.Category != "" || f.MX != "" || f.SendingIP.IsValid()
}

// policyWhere returns the conditions on the columns of
// tlsrpt_policy_rollup (and tlsrpt_failure_rollup, which has them too).
// Trust, which SetTrust may change, is read from tlsrpt_reports.
func (f ViewFilter) policyWhere(d Dialect) ([]string, []any) {
	var conds []string
	var args []any
	var dates []string
	var dateArgs []any
	if !f.Since.IsZero() {
		dates = append(dates, "begin_date >= ?")
		dateArgs = append(dateArgs, timeArg(d, f.Since))
	}
	if !f.Until.IsZero() {
		dates = append(dates, "begin_date < ?")
		dateArgs = append(dateArgs, timeArg(d, f.Until))
	}
	conds = append(conds, dates...)
	args = append(args, dateArgs...)
	if f.Domain != "" {
		conds = append(conds, "policy_domain = ?")
		args = append(args, normalizeName(f.Domain))
	}
	if f.Reporter != "" {
		conds = append(conds, "organization_name = ?")
		args = append(args, f.Reporter)
	}
	if f.Trust != "" {
		conds = append(conds, "report_key IN (SELECT report_key FROM tlsrpt_reports WHERE "+strings.Join(append(dates, "trust = ?"), " AND ")+")")
		args = append(append(args, dateArgs...), string(f.Trust))
	}
	if f.PolicyType != "" {
		conds = append(conds, "policy_type = ?")
		args = append(args, string(f.PolicyType))
	}
	if f.Mode != "" {
		conds = append(conds, "policy_mode = ?")
		args = append(args, f.Mode)
	}
	return conds, args
}

// failureWhere returns the policy conditions and those on the failure
// columns of tlsrpt_failure_rollup.
func (f ViewFilter) failureWhere(d Dialect) ([]string, []any) {
	conds, args := f.policyWhere(d)
	if f.ResultType != "" {
		conds = append(conds, "result_type = ?")
		args = append(args, string(f.ResultType))
	}
	if f.Category != "" {
		var in []string
		for _, t := range report.ResultTypes() {
			if t.Category() == f.Category {
				in = append(in, "'"+string(t)+"'")
			}
		}
		switch {
		case f.Category == report.CategoryUnknown:
			var all []string
			for _, t := range report.ResultTypes() {
				all = append(all, "'"+string(t)+"'")
			}
			conds = append(conds, "result_type NOT IN ("+strings.Join(all, ", ")+")")
		case len(in) == 0:
			conds = append(conds, "1 = 0")
		default:
			conds = append(conds, "result_type IN ("+strings.Join(in, ", ")+")")
		}
	}
	if f.MX != "" {
		conds = append(conds, "mx_lower = ?")
		args = append(args, strings.ToLower(strings.TrimSuffix(f.MX, ".")))
	}
	if f.SendingIP.IsValid() {
		conds = append(conds, "sending_mta_ip = ?")
		args = append(args, f.SendingIP.Unmap().String())
	}
	return conds, args
}

// daily reports whether the daily rollups (tlsrpt_daily_reporters,
// tlsrpt_daily_policies, tlsrpt_daily_domains) hold f's per-day totals,
// policy breakdowns and totals: f sets
// no condition but the reporter and a window whose ends are UTC
// midnights.
func (f ViewFilter) daily() bool {
	midnight := func(t time.Time) bool {
		return t.IsZero() || t.Equal(t.UTC().Truncate(24*time.Hour))
	}
	return f.Domain == "" && f.Trust == "" && f.PolicyType == "" && f.Mode == "" && !f.hasFailureFilter() &&
		midnight(f.Since) && midnight(f.Until)
}

// dailyWhere returns the conditions of a daily f on the daily rollups.
func (f ViewFilter) dailyWhere() ([]string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds = append(conds, "day >= ?")
		args = append(args, f.Since.UTC().Format(time.DateOnly))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "day < ?")
		args = append(args, f.Until.UTC().Format(time.DateOnly))
	}
	if f.Reporter != "" {
		conds = append(conds, "organization_name = ?")
		args = append(args, f.Reporter)
	}
	return conds, args
}

func whereOf(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// normalizeName returns a domain as stored: a lower-case A-label without
// trailing dot.
func normalizeName(s string) string {
	name, err := domain.ToASCII(s)
	if err != nil {
		name = strings.ToLower(strings.TrimSuffix(s, "."))
	}
	return name
}

// Totals are session counts.
type Totals struct {
	// Reports is the number of distinct reports counted.
	Reports int64 `json:"reports"`
	// Successful and Failed are session counts.
	Successful int64 `json:"successful"`
	Failed     int64 `json:"failed"`
}

// Sessions returns Successful + Failed.
func (t Totals) Sessions() int64 { return t.Successful + t.Failed }

// FailureRate returns Failed / Sessions, 0 when there are no sessions.
func (t Totals) FailureRate() float64 {
	if t.Sessions() == 0 {
		return 0
	}
	return float64(t.Failed) / float64(t.Sessions())
}

// DayTotals are the totals of one policy domain on one UTC day.
type DayTotals struct {
	// Day is the UTC day, YYYY-MM-DD, that the reports' date ranges begin.
	Day string `json:"day"`
	// Domain is the policy-domain.
	Domain string `json:"domain"`
	Totals
	// MultiDay is how many of the reports counted cover more than 24
	// hours: their counts are all on Day (see Summarize).
	MultiDay int64 `json:"multi_day_reports"`
}

// Count is one row of a breakdown.
type Count struct {
	// Key is the value of the dimension (a result type, a reporter, …).
	Key string `json:"key"`
	Totals
}

// Summary is what Summarize returns.
type Summary struct {
	// Since and Until are the filter's window (zero when unbounded).
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Total sums everything selected.
	Total Totals `json:"total"`
	// Days has the totals per UTC day and policy domain, by day then
	// domain.
	Days []DayTotals `json:"days"`
	// ByResultType, ByCategory, ByMX (receiving-mx-hostname) and
	// BySendingIP count failed sessions of failure details, most failing
	// first; ByMX and BySendingIP are cut to ViewFilter.Top rows.
	ByResultType []Count `json:"by_result_type"`
	ByCategory   []Count `json:"by_category"`
	ByMX         []Count `json:"by_mx"`
	BySendingIP  []Count `json:"by_sending_ip"`
	// ByReporter and ByPolicy (policy type, and "sts/MODE" for sts) count
	// the sessions of the policies, most sessions first (with a failure
	// filter, Failed counts the matching failure details).
	ByReporter []Count `json:"by_reporter"`
	ByPolicy   []Count `json:"by_policy"`
	// Previous is the total of the window of the same length just before
	// Since, with the same filter; nil when the window is unbounded.
	Previous *Totals `json:"previous,omitempty"`
}

// Summarize aggregates the stored reports that f selects, in the
// database: totals, per-day totals per policy domain, breakdowns and the
// previous window's totals for a trend.
//
// Attribution: a report's counts go whole to the UTC day its date range
// begins (start-datetime); a report covering more than 24 hours is not
// split (counts are never invented by fractional splitting) and is
// counted in DayTotals.MultiDay. The window's dates select reports by
// their start-datetime too, as Filter does.
func (s *Store) Summarize(ctx context.Context, f ViewFilter) (*Summary, error) {
	sum := &Summary{Since: f.Since, Until: f.Until}
	d := s.dialect
	pconds, pargs := f.policyWhere(d)
	fconds, fargs := f.failureWhere(d)
	ff := f.hasFailureFilter()
	top := f.Top
	if top == 0 {
		top = 10
	}
	// With only a reporter and a window of whole UTC days, the daily
	// rollups (a row per day and reporter, and per policy type and mode,
	// or per policy domain) have the per-day totals and the policy
	// breakdowns: their report counts add up across days and reporters,
	// as a report has one of each.
	daily := f.daily()
	dconds, dargs := f.dailyWhere()

	// Per day and domain.
	days := func(ctx context.Context) error {
		q, args := "SELECT day, policy_domain, COUNT(DISTINCT report_key), CAST(COALESCE(SUM(successful_session_count), 0) AS BIGINT), CAST(COALESCE(SUM(failed_session_count), 0) AS BIGINT), COUNT(DISTINCT CASE WHEN multi_day = 1 THEN report_key END) FROM tlsrpt_policy_rollup"+
			whereOf(pconds)+" GROUP BY day, policy_domain ORDER BY 1, 2", pargs
		if daily {
			q, args = "SELECT day, policy_domain, CAST(SUM(reports) AS BIGINT), CAST(SUM(successful_session_count) AS BIGINT), CAST(SUM(failed_session_count) AS BIGINT), CAST(SUM(multi_day_reports) AS BIGINT) FROM tlsrpt_daily_domains"+
				whereOf(dconds)+" GROUP BY day, policy_domain ORDER BY 1, 2", dargs
		}
		type dk struct{ day, dom string }
		var index map[dk]int
		if ff {
			index = map[dk]int{}
		}
		err := s.query(ctx, q, args, func(scan func(...any) error) error {
			var t DayTotals
			if err := scan(&t.Day, &t.Domain, &t.Reports, &t.Successful, &t.Failed, &t.MultiDay); err != nil {
				return err
			}
			if ff {
				index[dk{t.Day, t.Domain}] = len(sum.Days)
				t.Failed = 0
			}
			sum.Days = append(sum.Days, t)
			return nil
		})
		if err != nil || !ff {
			return err
		}
		q = "SELECT day, policy_domain, CAST(COALESCE(SUM(failed_session_count), 0) AS BIGINT) FROM tlsrpt_failure_rollup" +
			whereOf(fconds) + " GROUP BY day, policy_domain"
		return s.query(ctx, q, fargs, func(scan func(...any) error) error {
			var k dk
			var n int64
			if err := scan(&k.day, &k.dom, &n); err != nil {
				return err
			}
			if i, ok := index[k]; ok {
				sum.Days[i].Failed = n
			}
			return nil
		})
	}

	failBreak := func(ctx context.Context, col string, limit int, out *[]Count) error {
		q := "SELECT " + col + ", COUNT(DISTINCT report_key), CAST(COALESCE(SUM(failed_session_count), 0) AS BIGINT) FROM tlsrpt_failure_rollup" +
			whereOf(fconds) + " GROUP BY " + col + " ORDER BY 3 DESC, 1"
		if limit > 0 {
			q += fmt.Sprintf(" LIMIT %d", limit)
		}
		return s.query(ctx, q, fargs, func(scan func(...any) error) error {
			var c Count
			if err := scan(&c.Key, &c.Reports, &c.Failed); err != nil {
				return err
			}
			*out = append(*out, c)
			return nil
		})
	}
	failures := func(ctx context.Context) error {
		if err := failBreak(ctx, "result_type", 0, &sum.ByResultType); err != nil {
			return err
		}
		if err := failBreak(ctx, "mx_lower", top, &sum.ByMX); err != nil {
			return err
		}
		return failBreak(ctx, "sending_mta_ip", top, &sum.BySendingIP)
	}

	polBreak := func(ctx context.Context, col, dailyQuery string, out *[]Count) error {
		q, args := "SELECT "+col+", COUNT(DISTINCT report_key), CAST(COALESCE(SUM(successful_session_count), 0) AS BIGINT), CAST(COALESCE(SUM(failed_session_count), 0) AS BIGINT) FROM tlsrpt_policy_rollup"+
			whereOf(pconds)+" GROUP BY "+col, pargs
		if daily {
			q, args = dailyQuery, dargs
		}
		err := s.query(ctx, q, args, func(scan func(...any) error) error {
			var c Count
			if err := scan(&c.Key, &c.Reports, &c.Successful, &c.Failed); err != nil {
				return err
			}
			*out = append(*out, c)
			return nil
		})
		if err != nil || !ff {
			sortCounts(*out)
			return err
		}
		// The failed sessions are those of the matching failure details.
		failed := map[string]int64{}
		q = "SELECT " + col + ", CAST(COALESCE(SUM(failed_session_count), 0) AS BIGINT) FROM tlsrpt_failure_rollup" +
			whereOf(fconds) + " GROUP BY " + col
		err = s.query(ctx, q, fargs, func(scan func(...any) error) error {
			var k string
			var n int64
			if err := scan(&k, &n); err != nil {
				return err
			}
			failed[k] = n
			return nil
		})
		for i := range *out {
			(*out)[i].Failed = failed[(*out)[i].Key]
		}
		sortCounts(*out)
		return err
	}
	policies := func(ctx context.Context) error {
		sums := ", CAST(SUM(reports) AS BIGINT), CAST(SUM(successful_session_count) AS BIGINT), CAST(SUM(failed_session_count) AS BIGINT) FROM "
		if err := polBreak(ctx, "organization_name",
			"SELECT organization_name"+sums+"tlsrpt_daily_reporters"+whereOf(dconds)+" GROUP BY organization_name", &sum.ByReporter); err != nil {
			return err
		}
		policyKey := "CASE WHEN policy_mode <> '' THEN policy_type || '/' || policy_mode ELSE policy_type END"
		if err := polBreak(ctx, policyKey,
			"SELECT "+policyKey+sums+"tlsrpt_daily_policies"+whereOf(dconds)+" GROUP BY "+policyKey, &sum.ByPolicy); err != nil {
			return err
		}
		if f.Since.IsZero() || f.Until.IsZero() || !f.Until.After(f.Since) {
			return nil
		}
		pf := f
		pf.Until = f.Since
		pf.Since = f.Since.Add(-f.Until.Sub(f.Since))
		prev, err := s.totals(ctx, pf)
		if err != nil {
			return err
		}
		sum.Previous = &prev
		return nil
	}

	// The three parts read different rows: on connections of their own,
	// they run at once.
	if err := parallel(ctx, days, failures, policies); err != nil {
		return nil, err
	}
	for _, t := range sum.Days {
		sum.Total.Successful += t.Successful
		sum.Total.Failed += t.Failed
	}
	// Distinct reports over the whole window: a report has one reporter
	// (but may span domains).
	for _, c := range sum.ByReporter {
		sum.Total.Reports += c.Reports
	}
	byCat := map[string]*Count{}
	for _, c := range sum.ByResultType {
		cat := string(report.ResultType(c.Key).Category())
		if byCat[cat] == nil {
			byCat[cat] = &Count{Key: cat}
		}
		byCat[cat].Failed += c.Failed
		byCat[cat].Reports += c.Reports // reports may count once per result type
	}
	for _, c := range byCat {
		sum.ByCategory = append(sum.ByCategory, *c)
	}
	sortCounts(sum.ByCategory)
	return sum, nil
}

// parallel runs fns at once and returns the first error; an error
// cancels the context of the others.
func parallel(ctx context.Context, fns ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			if errs[i] = fn(ctx); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// totals returns only the totals of f.
func (s *Store) totals(ctx context.Context, f ViewFilter) (Totals, error) {
	var t Totals
	if f.daily() {
		dconds, dargs := f.dailyWhere()
		err := s.queryRow(ctx, "SELECT CAST(COALESCE(SUM(reports), 0) AS BIGINT), CAST(COALESCE(SUM(successful_session_count), 0) AS BIGINT), CAST(COALESCE(SUM(failed_session_count), 0) AS BIGINT) FROM tlsrpt_daily_reporters"+whereOf(dconds),
			dargs, &t.Reports, &t.Successful, &t.Failed)
		return t, err
	}
	pconds, pargs := f.policyWhere(s.dialect)
	err := s.queryRow(ctx, "SELECT COUNT(DISTINCT report_key), CAST(COALESCE(SUM(successful_session_count), 0) AS BIGINT), CAST(COALESCE(SUM(failed_session_count), 0) AS BIGINT) FROM tlsrpt_policy_rollup"+whereOf(pconds),
		pargs, &t.Reports, &t.Successful, &t.Failed)
	if err != nil || !f.hasFailureFilter() {
		return t, err
	}
	fconds, fargs := f.failureWhere(s.dialect)
	err = s.queryRow(ctx, "SELECT CAST(COALESCE(SUM(failed_session_count), 0) AS BIGINT) FROM tlsrpt_failure_rollup"+whereOf(fconds), fargs, &t.Failed)
	return t, err
}

// sortCounts orders by sessions (failed first when equal), then key.
func sortCounts(cs []Count) {
	slices.SortFunc(cs, func(a, b Count) int {
		if a.Sessions() != b.Sessions() {
			if a.Sessions() > b.Sessions() {
				return -1
			}
			return 1
		}
		if a.Failed != b.Failed {
			if a.Failed > b.Failed {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// query runs q and calls fn for each row.
func (s *Store) query(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := s.db.QueryContext(ctx, rebind(s.dialect, q), args...)
	if err != nil {
		return fmt.Errorf("store: query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return fmt.Errorf("store: query: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: query: %w", err)
	}
	return nil
}

// queryRow runs q, which returns one row, into dest.
func (s *Store) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	if err := s.db.QueryRowContext(ctx, rebind(s.dialect, q), args...).Scan(dest...); err != nil {
		return fmt.Errorf("store: query: %w", err)
	}
	return nil
}
