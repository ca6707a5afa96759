package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/go-tlsrpt/tlsrpt"
)

// The codes of the findings of Alerts.
const (
	// CodeFailureRateRise: a policy domain's failure rate rose above its
	// baseline (error).
	CodeFailureRateRise tlsrpt.Code = "alert-failure-rate-rise"
	// CodeNewResultType: a result type was reported for a policy domain
	// that the previous window did not have (warning).
	CodeNewResultType tlsrpt.Code = "alert-new-result-type"
	// CodeReporterStopped: a reporter that reported on a policy domain in
	// the previous window sent nothing in this one (warning).
	CodeReporterStopped tlsrpt.Code = "alert-reporter-stopped"
)

// AlertConfig sets the thresholds of Alerts. The zero value uses the
// defaults.
type AlertConfig struct {
	// Factor: the failure rate alert fires when this window's rate is
	// above both Factor times the previous window's and the previous
	// rate plus MarginPoints; 0 means 2.
	Factor float64
	// MarginPoints is in percentage points; 0 means 5.
	MarginPoints float64
	// MinSessions is the number of sessions a domain needs in this window
	// for the failure rate alert; 0 means 100.
	MinSessions int64
}

func (c AlertConfig) withDefaults() AlertConfig {
	if c.Factor == 0 {
		c.Factor = 2
	}
	if c.MarginPoints == 0 {
		c.MarginPoints = 5
	}
	if c.MinSessions == 0 {
		c.MinSessions = 100
	}
	return c
}

// Alerts compares the window [f.Since, f.Until) with the window of the
// same length before it, per policy domain, and returns findings the
// caller may notify about, each with Path the policy domain:
//
//   - CodeFailureRateRise (error) when a domain has at least MinSessions
//     sessions and its failure rate is above max(Factor × previous rate,
//     previous rate + MarginPoints);
//   - CodeNewResultType (warning) for a result type of a domain not seen
//     in the previous window;
//   - CodeReporterStopped (warning) for a reporter that reported on a
//     domain in the previous window and not in this one.
//
// f's other conditions apply to both windows. f.Since and f.Until must be
// set. The findings are ordered by domain, then code.
func (s *Store) Alerts(ctx context.Context, f ViewFilter, cfg AlertConfig) ([]tlsrpt.Diagnostic, error) {
	if f.Since.IsZero() || f.Until.IsZero() || !f.Until.After(f.Since) {
		return nil, fmt.Errorf("store: alerts need a window: Since and Until set, Until after Since")
	}
	cfg = cfg.withDefaults()
	prev := f
	prev.Until = f.Since
	prev.Since = f.Since.Add(-f.Until.Sub(f.Since))

	type pair struct{ dom, v string }
	distinct := func(w ViewFilter, view, col string) (map[pair]bool, error) {
		var conds []string
		var args []any
		if view == "tlsrpt_failure_rollup" {
			conds, args = w.failureWhere(s.dialect)
		} else {
			conds, args = w.policyWhere(s.dialect)
		}
		if view == "tlsrpt_policy_rollup" && w.daily() {
			view = "tlsrpt_daily_domains"
			conds, args = w.dailyWhere()
		}
		out := map[pair]bool{}
		err := s.query(ctx, "SELECT DISTINCT policy_domain, "+col+" FROM "+view+whereOf(conds), args, func(scan func(...any) error) error {
			var p pair
			if err := scan(&p.dom, &p.v); err != nil {
				return err
			}
			out[p] = true
			return nil
		})
		return out, err
	}
	perDomain := func(w ViewFilter) (map[string]Totals, error) {
		out := map[string]Totals{}
		pconds, pargs := w.policyWhere(s.dialect)
		table := "tlsrpt_policy_rollup"
		if w.daily() {
			table = "tlsrpt_daily_domains"
			pconds, pargs = w.dailyWhere()
		}
		err := s.query(ctx, "SELECT policy_domain, CAST(COALESCE(SUM(successful_session_count), 0) AS BIGINT), CAST(COALESCE(SUM(failed_session_count), 0) AS BIGINT) FROM "+table+whereOf(pconds)+" GROUP BY policy_domain",
			pargs, func(scan func(...any) error) error {
				var dom string
				var t Totals
				if err := scan(&dom, &t.Successful, &t.Failed); err != nil {
					return err
				}
				out[dom] = t
				return nil
			})
		return out, err
	}

	var out []tlsrpt.Diagnostic
	cur, err := perDomain(f)
	if err != nil {
		return nil, err
	}
	before, err := perDomain(prev)
	if err != nil {
		return nil, err
	}
	for dom, t := range cur {
		if t.Sessions() < cfg.MinSessions {
			continue
		}
		p := before[dom].FailureRate() * 100
		threshold := max(cfg.Factor*p, p+cfg.MarginPoints)
		if rate := t.FailureRate() * 100; rate > threshold {
			out = append(out, tlsrpt.Diagnostic{Path: dom, Code: CodeFailureRateRise, Severity: tlsrpt.SeverityError,
				Message: fmt.Sprintf("failure rate %.1f%% (%d of %d sessions), previous window %.1f%%, threshold %.1f%%", rate, t.Failed, t.Sessions(), p, threshold),
				Fix:     "tlsrpt summary --domain " + dom + " shows the failing result types and MX hosts"})
		}
	}
	curTypes, err := distinct(f, "tlsrpt_failure_rollup", "result_type")
	if err != nil {
		return nil, err
	}
	prevTypes, err := distinct(prev, "tlsrpt_failure_rollup", "result_type")
	if err != nil {
		return nil, err
	}
	for p := range curTypes {
		if !prevTypes[p] {
			out = append(out, tlsrpt.Diagnostic{Path: p.dom, Code: CodeNewResultType, Severity: tlsrpt.SeverityWarning,
				Message: fmt.Sprintf("new result type %s, not reported in the previous window", p.v)})
		}
	}
	curOrgs, err := distinct(f, "tlsrpt_policy_rollup", "organization_name")
	if err != nil {
		return nil, err
	}
	prevOrgs, err := distinct(prev, "tlsrpt_policy_rollup", "organization_name")
	if err != nil {
		return nil, err
	}
	for p := range prevOrgs {
		if !curOrgs[p] {
			out = append(out, tlsrpt.Diagnostic{Path: p.dom, Code: CodeReporterStopped, Severity: tlsrpt.SeverityWarning,
				Message: fmt.Sprintf("reporter %q reported in the previous window and not in this one", p.v)})
		}
	}
	slices.SortFunc(out, func(a, b tlsrpt.Diagnostic) int {
		if a.Path != b.Path {
			if a.Path < b.Path {
				return -1
			}
			return 1
		}
		if a.Code != b.Code {
			if a.Code < b.Code {
				return -1
			}
			return 1
		}
		if a.Message < b.Message {
			return -1
		}
		if a.Message > b.Message {
			return 1
		}
		return 0
	})
	return out, nil
}
