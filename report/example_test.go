package report_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// A report shaped like Microsoft's: date-times without time zone and a
// TLSA policy-string holding a JSON array. Parse repairs both and says so.
const microsoftLike = `{"organization-name":"Microsoft Corporation",
"date-range":{"start-datetime":"2024-03-26T00:00:00","end-datetime":"2024-03-26T23:59:59"},
"contact-info":"tlsrpt-noreply@microsoft.com","report-id":"133559712000000000+example.com",
"policies":[{"policy":{"policy-type":"tlsa",
  "policy-string":["[\"3 1 1 7FF8B87BB269715FEF08A0F4F0033D7A2F3B680470A30E878CEB2D3E244AF3EA\"]"],
  "policy-domain":"mx.example.com"},
 "summary":{"total-successful-session-count":120,"total-failure-session-count":2},
 "failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"2a01:111:f400:7e00::1",
  "receiving-mx-hostname":"mx.example.com","failed-session-count":2}]}]}`

func ExampleParse() {
	rep, warnings, err := report.Parse([]byte(microsoftLike))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.DateRange.Start, "to", rep.DateRange.End)
	fmt.Println(rep.Policies[0].Policy.Strings)
	for _, w := range warnings {
		fmt.Printf("%s [%s]\n  %s\n", w.Path, w.Code, w.Message)
	}
	// Output:
	// 2024-03-26 00:00:00 +0000 UTC to 2024-03-26 23:59:59 +0000 UTC
	// [3 1 1 7FF8B87BB269715FEF08A0F4F0033D7A2F3B680470A30E878CEB2D3E244AF3EA]
	// date-range.start-datetime [date-time-no-zone]
	//   date-time "2024-03-26T00:00:00" has no time zone; UTC assumed
	// date-range.end-datetime [date-time-no-zone]
	//   date-time "2024-03-26T23:59:59" has no time zone; UTC assumed
	// policies[0].policy.policy-string[0] [policy-string-json-array]
	//   policy-string element holds a JSON array of 1 string(s); its elements are used
}

// A strict Decoder turns the first deviation into an error with the JSON
// path and the byte offset.
func ExampleDecoder_strict() {
	d := report.Decoder{Strict: true}
	_, _, err := d.Decode(bytes.NewReader([]byte(microsoftLike)))
	var de *tlsrpt.Diagnostic
	if errors.As(err, &de) {
		fmt.Println(de.Path, de.Code, de.Offset)
	}
	fmt.Println(err)
	// Output:
	// date-range.start-datetime date-time-no-zone 77
	// tlsrpt: error date-range.start-datetime at offset 77: date-time "2024-03-26T00:00:00" has no time zone [date-time-no-zone]
}

// An MTA builds a report and encodes it with json.Marshal: canonical
// member order, arrays for empty lists, UTC "Z" times, RFC 5952 IPv6.
func ExampleReport_MarshalJSON() {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	rep := report.Report{
		OrganizationName: "Example Mail",
		DateRange:        report.DateRange{Start: day, End: day.Add(24*time.Hour - time.Second)},
		ContactInfo:      "tlsrpt@mail.example",
		ReportID:         "2024-05-01_example.com@mail.example",
		Policies: []report.PolicyResult{{
			Policy: policy.Policy{
				Type:    policy.TypeSTS,
				Strings: []string{"version: STSv1", "mode: enforce", "mx: mx1.example.com", "max_age: 604800"},
				Domain:  "example.com",
				MXHosts: []string{"mx1.example.com"},
			},
			Summary: report.Summary{TotalSuccessfulSessionCount: 981, TotalFailureSessionCount: 3},
			FailureDetails: []report.FailureDetail{{
				ResultType:          report.ResultCertificateExpired,
				SendingMTAIP:        netip.MustParseAddr("2001:db8:0:0:0:0:0:25"),
				ReceivingMXHostname: "mx1.example.com",
				FailedSessionCount:  3,
			}},
		}},
	}
	out, err := json.Marshal(rep)
	if err != nil {
		fmt.Println(err)
		return
	}
	var pretty bytes.Buffer
	json.Indent(&pretty, out, "", "  ")
	fmt.Println(pretty.String())
	// Output:
	// {
	//   "organization-name": "Example Mail",
	//   "date-range": {
	//     "start-datetime": "2024-05-01T00:00:00Z",
	//     "end-datetime": "2024-05-01T23:59:59Z"
	//   },
	//   "contact-info": "tlsrpt@mail.example",
	//   "report-id": "2024-05-01_example.com@mail.example",
	//   "policies": [
	//     {
	//       "policy": {
	//         "policy-type": "sts",
	//         "policy-string": [
	//           "version: STSv1",
	//           "mode: enforce",
	//           "mx: mx1.example.com",
	//           "max_age: 604800"
	//         ],
	//         "policy-domain": "example.com",
	//         "mx-host": [
	//           "mx1.example.com"
	//         ]
	//       },
	//       "summary": {
	//         "total-successful-session-count": 981,
	//         "total-failure-session-count": 3
	//       },
	//       "failure-details": [
	//         {
	//           "result-type": "certificate-expired",
	//           "sending-mta-ip": "2001:db8::25",
	//           "receiving-mx-hostname": "mx1.example.com",
	//           "failed-session-count": 3
	//         }
	//       ]
	//     }
	//   ]
	// }
}

// Decode reads gzip (sniffed by its magic number) from any reader, with a
// cap on the decompressed size.
func ExampleDecoder_Decode() {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(microsoftLike))
	zw.Close()

	d := report.Decoder{MaxSize: 1 << 20}
	rep, warnings, err := d.Decode(&gz)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.ReportID, len(warnings), "warnings")

	_, _, err = (&report.Decoder{MaxSize: 100}).Decode(bytes.NewReader([]byte(microsoftLike)))
	fmt.Println(errors.Is(err, report.ErrTooLarge))
	// Output:
	// 133559712000000000+example.com 3 warnings
	// true
}

// ContactDomain gives the reporting domain of a contact-info: the
// TLS-Report-Submitter of a report mail (RFC 8460 §5.3).
func ExampleContactDomain() {
	for _, ci := range []string{"mailto:tlsrpt@Mail.Sender.Example", "tlsrpt@bücher.example", "https://reports.sender.example/tlsrpt", "tel:+1-555-0100"} {
		d, err := report.ContactDomain(ci)
		fmt.Printf("%q %v\n", d, err != nil)
	}
	// Output:
	// "mail.sender.example" false
	// "xn--bcher-kva.example" false
	// "reports.sender.example" false
	// "" true
}
