package aggregate_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
)

func TestReportID(t *testing.T) {
	tests := []struct {
		name string
		cfg  aggregate.Config
		want string // the id-right
	}{
		{"bare address", aggregate.Config{ContactInfo: "tlsrpt@Sender.Example"}, "sender.example"},
		{"mailto", aggregate.Config{ContactInfo: "mailto:tlsrpt@sender.example?subject=x"}, "sender.example"},
		{"https uri", aggregate.Config{ContactInfo: "https://reports.sender.example/tlsrpt"}, "reports.sender.example"},
		{"explicit domain", aggregate.Config{ContactInfo: "https://reports.sender.example/", ReportIDDomain: "MTA.Sender.Example."}, "mta.sender.example"},
		{"idn", aggregate.Config{ContactInfo: "tlsrpt@bücher.example"}, "xn--bcher-kva.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.OrganizationName = "Example Sender"
			a := aggregate.New(tt.cfg)
			record(t, a, session{t: noon, p: stsCom}, session{t: noon, p: tlsaMX})
			rs, err := a.Reports(noon)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				checkReport(t, r)
				domain := r.Policies[0].Policy.Domain
				if !strings.HasPrefix(r.ReportID, "2026-11-24."+domain+".") || !strings.HasSuffix(r.ReportID, "@"+tt.want) {
					t.Errorf("report-id %q, want 2026-11-24.%s.<hash>@%s", r.ReportID, domain, tt.want)
				}
			}
			if rs[0].ReportID == rs[1].ReportID {
				t.Errorf("two policy domains share the report-id %q", rs[0].ReportID)
			}
		})
	}
}

func TestReportIDStable(t *testing.T) {
	id := func(cfg aggregate.Config, day time.Time) string {
		t.Helper()
		a := aggregate.New(cfg)
		record(t, a, session{t: day, p: stsCom})
		rs, err := a.Reports(day)
		if err != nil {
			t.Fatal(err)
		}
		return rs[0].ReportID
	}
	// A golden value: nodes and releases must agree on it. Computed with
	// printf 'tlsrpt-report-id-v1\0002026-11-24\000example.com\000Example Sender\000tlsrpt@sender.example\000sender.example\000' | sha256sum | cut -c1-16
	const want = "2026-11-24.example.com.e1d00586fbc6de63@sender.example"
	if got := id(testConfig, noon); got != want {
		t.Errorf("report-id = %q, want %q", got, want)
	}
	if got := id(testConfig, day0); got != want {
		t.Errorf("report-id at 00:00 = %q, want %q", got, want)
	}
	other := testConfig
	other.OrganizationName = "Other"
	for name, got := range map[string]string{
		"other day":    id(testConfig, nextDay),
		"other config": id(other, noon),
	} {
		if got == want || !reportIDPattern.MatchString(got) {
			t.Errorf("%s: report-id %q", name, got)
		}
	}
}

func TestReportsConfigErrors(t *testing.T) {
	for _, cfg := range []aggregate.Config{
		{},
		{OrganizationName: "x"},
		{ContactInfo: "a@b.example"},
		{OrganizationName: "x", ContactInfo: "no domain here"},
		{OrganizationName: "x", ContactInfo: "a@b.example", ReportIDDomain: "not a domain"},
	} {
		a := aggregate.New(cfg)
		record(t, a, session{t: noon, p: stsCom})
		if _, err := a.Reports(noon); !errors.Is(err, aggregate.ErrConfig) {
			t.Errorf("Reports with %+v = %v, want ErrConfig", cfg, err)
		}
	}
}

func TestReportsShareNothing(t *testing.T) {
	a := aggregate.New(testConfig)
	record(t, a, sampleSessions()...)
	rs, err := a.Reports(noon)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		for i := range r.Policies {
			p := &r.Policies[i]
			for j := range p.Policy.Strings {
				p.Policy.Strings[j] = "scribbled"
			}
			p.Policy.MXHosts = append(p.Policy.MXHosts, "scribbled")
			for j := range p.FailureDetails {
				p.FailureDetails[j].FailedSessionCount = 99
			}
		}
	}
	again, err := a.Reports(noon)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		for _, p := range r.Policies {
			if strings.Contains(strings.Join(append(p.Policy.Strings, p.Policy.MXHosts...), ","), "scribbled") {
				t.Errorf("changing a returned report changed the aggregator: %+v", p.Policy)
			}
			for _, fd := range p.FailureDetails {
				if fd.FailedSessionCount == 99 {
					t.Error("changing a returned count changed the aggregator")
				}
			}
		}
	}
}
