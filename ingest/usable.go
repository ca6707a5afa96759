package ingest

import (
	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// usable returns why rep, as the lenient decoder gave it, cannot be
// counted, or nil when it can. The decoder fills a missing member with
// its zero value and says so; two omissions leave nothing to keep: a JSON
// object naming none of organization-name, report-id and policies is
// another document, and a report without date-range cannot be put on a
// day (RFC 8460 §4.4: date-range is required; reports are per UTC day,
// §4.1), so kept it would be counted on 0001-01-01. The Reader gives such
// input FateMalformed, the Receiver answers 400.
func usable(rep *report.Report) *tlsrpt.Diagnostic {
	switch {
	case rep.ReportID == "" && len(rep.Policies) == 0 && rep.OrganizationName == "":
		return &tlsrpt.Diagnostic{Code: CodeNotAReport, Severity: tlsrpt.SeverityError,
			Message: "the JSON names no RFC 8460 report member (organization-name, report-id, policies)"}
	case rep.DateRange.Start.IsZero() && rep.DateRange.End.IsZero():
		return &tlsrpt.Diagnostic{Path: "date-range", Code: CodeNoDateRange, Severity: tlsrpt.SeverityError,
			Message: "the report has no date-range: it cannot be put on a day (RFC 8460 §4.4)"}
	}
	return nil
}
