package check

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// stsOutcome is what the MX checks need to know of MTA-STS.
type stsOutcome struct {
	// policy is the policy fetched, whether senders apply it or not (for
	// the mx pattern matching each host); nil when none was fetched.
	policy *policy.STSPolicy
	// applies says that senders apply the policy: the record is usable
	// (or could not be looked up), the policy was fetched and its mode is
	// testing or enforce.
	applies bool
}

// checkMTASTS fills r.MTASTS. It reports the policy and whether the domain
// publishes anything at _mta-sts.<domain> (or whether that could not be
// told).
func (c *Config) checkMTASTS(ctx context.Context, r *Result, mx mxList) (stsOutcome, bool) {
	d := r.Domain
	s := &r.MTASTS
	s.Name = "_mta-sts." + d
	s.PolicyURL = "https://mta-sts." + d + "/.well-known/mta-sts.txt"

	// RFC 8461 §3.1: the TXT record, judged with all its neighbours.
	lctx, cancel := context.WithTimeout(ctx, c.timeout())
	txts, err := c.resolver().LookupTXT(lctx, s.Name+".")
	cancel()
	published, recordUsable := true, true
	switch {
	case err != nil && !isNotFound(err):
		s.Findings = append(s.Findings, temporary(CodeDNS, "the TXT lookup of "+s.Name+" failed: "+dnsText(err)))
	case len(txts) == 0:
		published = false
		s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityInfo, Code: CodeNoMTASTS,
			Message: "there is no TXT record at " + s.Name + ": senders apply no MTA-STS policy, so an attacker on the path can strip STARTTLS or present any certificate",
			Fix:     "serve a policy at " + s.PolicyURL + " (start with mode: testing) and publish \"v=STSv1; id=<date>\" at " + s.Name})
	default:
		s.TXT = txts
		for _, dg := range policy.LintSTSRecord(txts...) {
			s.Findings = append(s.Findings, diagnostic(dg, true))
		}
		rec, err := policy.SelectSTSRecord(txts)
		if err == nil {
			s.ID = rec.ID
		} else {
			recordUsable = false
		}
	}

	// RFC 8461 §3.3: the policy, fetched by the sender's own code. The
	// fetcher is handed a valid record for the name, so that it fetches
	// the policy whatever the published record is: a broken record must
	// not hide a broken policy.
	id := s.ID
	if id == "" {
		id = "check"
	}
	f := &policy.STSFetcher{
		Resolver:    stsRecordResolver{Resolver: c.resolver(), name: s.Name + ".", id: id},
		RootCAs:     c.RootCAs,
		DialContext: c.dial,
		Timeout:     c.timeout(),
	}
	res, err := f.Fetch(ctx, d)
	if !published {
		if err == nil {
			s.Fetched, s.Policy = true, res.Text
			s.fill(res.Policy)
			s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityWarning, Code: CodePolicyWithoutRecord,
				Message: "a policy is served at " + s.PolicyURL + ", but senders never fetch it: there is no TXT record at " + s.Name,
				Fix:     "publish \"v=STSv1; id=<date>\" at " + s.Name})
		}
		return stsOutcome{policy: policyOf(res)}, false
	}
	var pe *policy.Error
	switch {
	case err == nil:
		s.Fetched, s.Policy = true, res.Text
		s.fill(res.Policy)
		for _, dg := range policy.LintSTSPolicy(res.Text, mx.lintHosts()) {
			s.Findings = append(s.Findings, diagnostic(dg, false))
		}
		return stsOutcome{policy: res.Policy, applies: recordUsable && res.Policy.Mode != policy.ModeNone}, true
	case errors.As(err, &pe):
		s.Findings = append(s.Findings, stsFailure(pe, err, s.PolicyURL, d))
		if pe.Failure == policy.FailureSTSInvalid {
			// The fetcher keeps only the non-empty lines; fetch the text
			// again as served, for the advice on each line.
			if text, err := c.fetchPolicyText(ctx, d); err == nil {
				s.Policy = text
				for _, dg := range policy.LintSTSPolicy(text, mx.lintHosts()) {
					if dg.Code != policy.CodeSyntax { // said by the finding above
						s.Findings = append(s.Findings, diagnostic(dg, false))
					}
				}
			}
		}
	case ctx.Err() != nil:
		s.Findings = append(s.Findings, temporary(CodeDNS, "the policy fetch was interrupted: "+ctx.Err().Error()))
	default:
		s.Findings = append(s.Findings, temporary(CodeDNS, "the policy fetch failed: "+err.Error()))
	}
	return stsOutcome{}, true
}

// stsFailure is the finding for a failed policy fetch: what senders
// report, and the step that failed.
func stsFailure(pe *policy.Error, err error, url, d string) Finding {
	detail := "no detail"
	var dg *tlsrpt.Diagnostic
	switch {
	case errors.As(pe.Err, &dg) && dg.Path != "":
		// A strict reader's refusal, as a diagnostic: where and why.
		detail = dg.Path + ": " + dg.Message
	case errors.As(pe.Err, &dg):
		detail = dg.Message
	case pe.Err != nil:
		detail = strings.TrimPrefix(unwrapURLError(pe.Err), "policy: ")
	}
	var f Finding
	switch pe.Failure {
	case policy.FailureSTSInvalid:
		f = reported(tlsrpt.SeverityError, err, "senders reject the policy at "+url+": "+detail, "")
	case policy.FailureSTSWebPKI:
		f = reported(tlsrpt.SeverityError, err, "the certificate of mta-sts."+d+" does not verify, so senders do not use the policy: "+detail,
			"serve a publicly trusted certificate for mta-sts."+d+" with its intermediates")
	default:
		f = reported(tlsrpt.SeverityError, err, "senders cannot fetch the policy from "+url+": "+detail, "")
		if pe.Code == "dns-error" || pe.Code == "timeout" {
			// The answer may differ later; a sender that sees it too
			// reports sts-policy-fetch-error.
			f.Severity, f.Temporary = tlsrpt.SeverityWarning, true
		}
	}
	return f
}

// fill copies the fields of a parsed policy.
func (s *MTASTS) fill(p *policy.STSPolicy) {
	if p == nil {
		return
	}
	s.Mode = p.Mode
	age := p.MaxAgeSeconds
	s.MaxAge = &age
	s.MX = append([]string{}, p.MX...)
}

func policyOf(res *policy.STSResult) *policy.STSPolicy {
	if res == nil {
		return nil
	}
	return res.Policy
}

// lintHosts is the MX host list for policy.LintSTSPolicy: nil (no
// coverage check) when the hosts are unknown or there are none.
func (m mxList) lintHosts() []string {
	if !m.known || len(m.hosts) == 0 {
		return nil
	}
	return m.names()
}

// stsRecordResolver answers the _mta-sts TXT query of a policy fetch with
// a valid record of the given id; every other query goes to Resolver.
type stsRecordResolver struct {
	Resolver
	name, id string
}

func (s stsRecordResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if strings.EqualFold(name, s.name) {
		return []string{"v=STSv1; id=" + s.id}, nil
	}
	return s.Resolver.LookupTXT(ctx, name)
}

// fetchPolicyText GETs the policy file of d as served, with the rules of
// RFC 8461 §3.3 that matter for reading it (verified certificate for
// mta-sts.<d>, no redirects, status 200, 64 KiB).
func (c *Config) fetchPolicyText(ctx context.Context, d string) (string, error) {
	host := "mta-sts." + d
	tr := &http.Transport{
		DialContext:       c.dial,
		TLSClientConfig:   &tls.Config{ServerName: host, RootCAs: c.RootCAs},
		ForceAttemptHTTP2: true,
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: c.timeout(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/.well-known/mta-sts.txt", nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	// One byte more than the 64 KiB cap (RFC 8461 §3.3), so that LintSTSPolicy sees
	// a policy that is too large.
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10+1))
	return string(b), err
}
