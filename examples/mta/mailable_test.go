package main

import (
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// TestAggregatorReportsAreMailable checks that every report an Aggregator
// emits, for every contact-info form it accepts, is one mime.Write can
// mail with only From and To set: the aggregator and the mail writer
// derive the reporting domain by one rule (report.ContactDomain).
func TestAggregatorReportsAreMailable(t *testing.T) {
	day := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, contact := range []string{
		"mailto:tlsrpt@sender.example",
		"tlsrpt@sender.example",
		"mailto:tlsrpt@bücher.example",
		"https://reports.sender.example/tlsrpt",
	} {
		t.Run(contact, func(t *testing.T) {
			agg := aggregate.New(aggregate.Config{OrganizationName: "Sender <Inc>", ContactInfo: contact})
			id, err := agg.PolicyID(policy.Policy{Type: policy.TypeSTS, Domain: "Example.COM",
				Strings: []string{"version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 86400"}, MXHosts: []string{"mx.example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			err = agg.Record(aggregate.Session{Time: day, Policy: id, Failures: []aggregate.Failure{{
				ResultType: report.ResultCertificateExpired, ReceivingMXHostname: "mx.example.com",
				ReceivingMXHelo: "mx.example.com ESMTP\r\nsecond line", ReceivingIP: netip.MustParseAddr("::ffff:192.0.2.25"),
			}}})
			if err != nil {
				t.Fatal(err)
			}
			reports, err := agg.Reports(day)
			if err != nil || len(reports) != 1 {
				t.Fatalf("Reports: %d, %v", len(reports), err)
			}
			if err := reports[0].Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			opts := &mime.WriteOptions{From: "tlsrpt@sender.example", To: []string{"tlsrpt@example.com"}, Date: day.Add(24 * time.Hour)}
			if err := mime.Write(io.Discard, reports[0], opts); err != nil {
				t.Errorf("mime.Write refuses the aggregator's report: %v", err)
			}
		})
	}
}
