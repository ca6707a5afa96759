package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// ReadinessConfig sets the thresholds of Readiness. The zero value uses
// the defaults: 3 reporters, 1,000 sessions, 7 days, a 30-day window.
type ReadinessConfig struct {
	// MinReporters is the number of distinct reporters (organization-name)
	// the evidence must come from; 0 means 3.
	MinReporters int
	// MinSessions is the number of sessions (successful and failed) the
	// evidence must count; 0 means 1,000.
	MinSessions int64
	// MinDays is the number of distinct UTC days with reports; 0 means 7.
	MinDays int
	// Window is how far before Until the evidence is read when the
	// filter's Since is zero; 0 means 30 days.
	Window time.Duration
}

func (c ReadinessConfig) withDefaults() ReadinessConfig {
	if c.MinReporters == 0 {
		c.MinReporters = 3
	}
	if c.MinSessions == 0 {
		c.MinSessions = 1000
	}
	if c.MinDays == 0 {
		c.MinDays = 7
	}
	if c.Window == 0 {
		c.Window = 30 * 24 * time.Hour
	}
	return c
}

// ReadinessVerdict is the verdict of Readiness.
type ReadinessVerdict string

// The readiness verdicts.
const (
	// ReadyForEnforce: enough evidence and no session would have failed.
	ReadyForEnforce ReadinessVerdict = "ready"
	// NotReady: sessions would have failed under enforce (Blockers).
	NotReady ReadinessVerdict = "not-ready"
	// NotEnoughData: no blocker, but the evidence is below a threshold.
	NotEnoughData ReadinessVerdict = "not-enough-data"
	// Enforcing: the domain's policy is already in enforce; Blockers are
	// the sessions being refused.
	Enforcing ReadinessVerdict = "enforcing"
)

// Blocker is one result type of sessions that would fail (or, in
// enforce, fail) under the domain's MTA-STS policy.
type Blocker struct {
	ResultType report.ResultType `json:"result_type"`
	// Sessions is the sum of the failed-session-counts.
	Sessions int64 `json:"sessions"`
	// MX are the receiving MX host names, Reporters the organizations
	// that saw the failures, both sorted.
	MX        []string `json:"mx"`
	Reporters []string `json:"reporters"`
	// Advice is report.ResultType.Advice.
	Advice string `json:"advice"`
}

// Readiness is the MTA-STS rollout readiness of a policy domain.
type Readiness struct {
	Domain string    `json:"domain"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	// Mode is the mode of the sts policy of the latest report in the
	// window ("" when no report had an sts policy: no policy published).
	Mode string `json:"mode"`
	// Verdict is ReadyForEnforce, NotReady, NotEnoughData or Enforcing.
	Verdict ReadinessVerdict `json:"verdict"`
	// Reporters, Sessions and Days are what the evidence rests on.
	Reporters int   `json:"reporters"`
	Sessions  int64 `json:"sessions"`
	Days      int   `json:"days"`
	// Failed is the number of sessions that would fail under enforce (in
	// enforce: that failed).
	Failed   int64     `json:"failed"`
	Blockers []Blocker `json:"blockers"`
	// Missing says which thresholds the evidence is below.
	Missing []string `json:"missing,omitempty"`
	// Config is the thresholds applied.
	Config ReadinessConfig `json:"config"`
}

// Readiness tells whether the policy domain dom could move its MTA-STS
// policy to enforce, from the reports of the window [since, until) (zero
// until: now; zero since: until minus the config's Window).
//
// The evidence is the sts and no-policy-found policy rows of dom. A
// session would have failed under enforce when a reporter counted it as
// an MTA-STS failure (report.CategorySTS) or a TLS negotiation failure
// (report.CategoryNegotiation) on an MX host the reported policy covers
// (its mx patterns; every host when there are none). DANE failures do not
// count: MTA-STS does not cause them.
//
// The verdict: Enforcing when the latest sts policy is in enforce, its
// Blockers being the failing sessions; otherwise NotReady when there is
// any blocker; otherwise NotEnoughData when the sessions come from fewer
// than MinReporters reporters, count fewer than MinSessions or span fewer
// than MinDays days; otherwise ReadyForEnforce.
func (s *Store) Readiness(ctx context.Context, dom string, since, until time.Time, cfg ReadinessConfig) (*Readiness, error) {
	cfg = cfg.withDefaults()
	if until.IsZero() {
		until = s.now().UTC()
	}
	if since.IsZero() {
		since = until.Add(-cfg.Window)
	}
	r := &Readiness{Domain: normalizeName(dom), Since: since, Until: until, Config: cfg, Blockers: []Blocker{}}
	d := s.dialect
	base := " WHERE policy_domain = ? AND policy_type IN ('sts', 'no-policy-found') AND begin_date >= ? AND begin_date < ?"
	args := []any{r.Domain, timeArg(d, since), timeArg(d, until)}

	var sessions int64
	var reporters, days int
	// The evidence and the mode from the policy rollup (its domain index
	// covers both queries), the blockers from the views (they need the
	// policies' mx patterns).
	err := s.queryRow(ctx, "SELECT CAST(COALESCE(SUM(successful_session_count + failed_session_count), 0) AS BIGINT), COUNT(DISTINCT organization_name), COUNT(DISTINCT day) FROM tlsrpt_policy_rollup"+base,
		args, &sessions, &reporters, &days)
	if err != nil {
		return nil, err
	}
	r.Sessions, r.Reporters, r.Days = sessions, reporters, days
	err = s.query(ctx, "SELECT policy_mode FROM tlsrpt_policy_rollup WHERE policy_domain = ? AND policy_type = 'sts' AND begin_date >= ? AND begin_date < ? ORDER BY begin_date DESC, report_key DESC LIMIT 1",
		args, func(scan func(...any) error) error { return scan(&r.Mode) })
	if err != nil {
		return nil, err
	}

	// Failures grouped small enough to match MX hosts in Go.
	var types []string
	for _, t := range report.ResultTypes() {
		if c := t.Category(); c == report.CategorySTS || c == report.CategoryNegotiation {
			types = append(types, "'"+string(t)+"'")
		}
	}
	q := "SELECT result_type, receiving_mx_hostname, organization_name, mx_host_patterns, CAST(SUM(failed_session_count) AS BIGINT) FROM tlsrpt_failure_rows" + base +
		" AND result_type IN (" + strings.Join(types, ", ") + ") GROUP BY result_type, receiving_mx_hostname, organization_name, mx_host_patterns"
	blockers := map[report.ResultType]*Blocker{}
	err = s.query(ctx, q, args, func(scan func(...any) error) error {
		var rt, mx, org, pats string
		var n int64
		if err := scan(&rt, &mx, &org, &pats, &n); err != nil {
			return err
		}
		var patterns []string
		if err := json.Unmarshal([]byte(pats), &patterns); err != nil {
			return err
		}
		if len(patterns) > 0 && mx != "" {
			p := policy.STSPolicy{MX: patterns}
			if !p.MatchMX(mx) {
				return nil
			}
		}
		t := report.ResultType(rt)
		b := blockers[t]
		if b == nil {
			b = &Blocker{ResultType: t, Advice: t.Advice()}
			blockers[t] = b
		}
		b.Sessions += n
		r.Failed += n
		mx = strings.ToLower(strings.TrimSuffix(mx, "."))
		if mx != "" && !slices.Contains(b.MX, mx) {
			b.MX = append(b.MX, mx)
		}
		if !slices.Contains(b.Reporters, org) {
			b.Reporters = append(b.Reporters, org)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, b := range blockers {
		slices.Sort(b.MX)
		slices.Sort(b.Reporters)
		r.Blockers = append(r.Blockers, *b)
	}
	slices.SortFunc(r.Blockers, func(a, b Blocker) int {
		if a.Sessions != b.Sessions {
			if a.Sessions > b.Sessions {
				return -1
			}
			return 1
		}
		return strings.Compare(string(a.ResultType), string(b.ResultType))
	})

	if r.Reporters < cfg.MinReporters {
		r.Missing = append(r.Missing, "reporters")
	}
	if r.Sessions < cfg.MinSessions {
		r.Missing = append(r.Missing, "sessions")
	}
	if r.Days < cfg.MinDays {
		r.Missing = append(r.Missing, "days")
	}
	switch {
	case r.Mode == string(policy.ModeEnforce):
		r.Verdict = Enforcing
	case len(r.Blockers) > 0:
		r.Verdict = NotReady
	case len(r.Missing) > 0:
		r.Verdict = NotEnoughData
	default:
		r.Verdict = ReadyForEnforce
	}
	return r, nil
}
