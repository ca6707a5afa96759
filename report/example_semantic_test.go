package report_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// An analyzer explains a failure entry to the operator of the receiving
// domain.
func ExampleResultType() {
	for _, rt := range []report.ResultType{report.ResultSTSWebPKIInvalid, "smtp-downgrade"} {
		fmt.Println(rt, "-", rt.Category(), "- registered:", rt.Category() != report.CategoryUnknown)
		fmt.Println("  what failed:", rt.Description())
		fmt.Println("  what to check:", rt.Advice())
	}
	// Output:
	// sts-webpki-invalid - mta-sts - registered: true
	//   what failed: The HTTPS server for the MTA-STS policy did not present a certificate the sender could validate for the mta-sts host name.
	//   what to check: Check that the certificate served for mta-sts.<domain> is current, covers that exact name, comes from a publicly trusted authority and is sent with its intermediate certificates.
	// smtp-downgrade - unknown - registered: false
	//   what failed: The result type is not one this library knows; its meaning is defined by the registry entry or the sender that introduced it.
	//   what to check: Look the value up in the IANA "STARTTLS Validation Result Types" registry, and use the failure-reason-code, receiving-mx-hostname and additional-information of the same failure for details.
}

func ExampleResultTypes() {
	for _, rt := range report.ResultTypes() {
		fmt.Printf("%-26s %s\n", rt, rt.Category())
	}
	// Output:
	// starttls-not-supported     tls-negotiation
	// certificate-host-mismatch  tls-negotiation
	// certificate-expired        tls-negotiation
	// tlsa-invalid               dane
	// dnssec-invalid             dane
	// dane-required              dane
	// certificate-not-trusted    tls-negotiation
	// sts-policy-invalid         mta-sts
	// sts-webpki-invalid         mta-sts
	// validation-failure         tls-negotiation
	// sts-policy-fetch-error     mta-sts
}

// A producer checks a report before sending it and gets every problem at
// once.
func ExampleReport_Validate() {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	r := &report.Report{
		OrganizationName: "Example Mail",
		DateRange:        report.DateRange{Start: day, End: day.Add(24*time.Hour - time.Second)},
		ContactInfo:      "tlsrpt@mail.example.net",
		ReportID:         "20261124.1@mail.example.net",
		Policies: []report.PolicyResult{{
			Policy:  policy.Policy{Type: policy.TypeNoPolicyFound, Domain: "example.com"},
			Summary: report.Summary{TotalSuccessfulSessionCount: 12, TotalFailureSessionCount: 1},
			FailureDetails: []report.FailureDetail{{
				ResultType:         report.ResultSTARTTLSNotSupported,
				FailedSessionCount: 1,
			}},
		}, {
			Policy: policy.Policy{
				Type:    policy.TypeSTS,
				Strings: []string{"version: STSv1", "mode: testing", "mx: mx.example.com", "max_age: 86400"},
				Domain:  "example.com",
				MXHosts: []string{"mx.example.com"},
			},
			Summary: report.Summary{TotalSuccessfulSessionCount: 3},
		}},
	}
	fmt.Println("valid:", r.Validate() == nil)

	r.DateRange.End = day.Add(48 * time.Hour)
	r.Policies[0].FailureDetails[0].FailedSessionCount = 0
	r.Policies[1].Policy.Domain = "example.org"
	err := r.Validate()
	var first *tlsrpt.Diagnostic
	if errors.As(err, &first) {
		fmt.Println("first:", first.Path, first.Code)
	}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		fmt.Println(e)
	}
	// Output:
	// valid: true
	// first: date-range.end-datetime date-range-not-one-day
	// tlsrpt: error date-range.end-datetime: 2026-11-26T00:00:00Z does not close the UTC day that starts at 2026-11-24T00:00:00Z: want 2026-11-24T23:59:59Z (or 2026-11-25T00:00:00Z) (RFC 8460 §4.1) [date-range-not-one-day]
	// tlsrpt: error policies[0].failure-details[0].failed-session-count: 0 is less than 1: a failure entry counts at least one session (RFC 8460 §4.4) [invalid-count]
	// tlsrpt: error policies[1].policy.policy-domain: "example.org" differs from "example.com" of policies[0]: send one report per policy domain (RFC 8460 §4.1) [mixed-policy-domains]
}
