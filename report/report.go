package report

import (
	"net/netip"
	"time"

	"github.com/go-tlsrpt/tlsrpt/policy"
)

// Report is an SMTP TLS report (RFC 8460 §4.4). The JSON member names are
// the ones of the RFC's schema; json.Marshal produces the canonical
// encoding described in the package documentation.
type Report struct {
	// OrganizationName is the organization-name of the reporter.
	OrganizationName string `json:"organization-name"`
	// DateRange is the date-range the report covers.
	DateRange DateRange `json:"date-range"`
	// ContactInfo is the contact-info: an e-mail address or URI.
	ContactInfo string `json:"contact-info"`
	// ReportID is the report-id, unique per report.
	ReportID string `json:"report-id"`
	// Policies holds one entry per applied policy.
	Policies []PolicyResult `json:"policies"`
}

// DateRange is the report's date-range member (RFC 8460 §4.4). Both times
// are in UTC.
type DateRange struct {
	// Start is the start-datetime.
	Start time.Time `json:"start-datetime"`
	// End is the end-datetime.
	End time.Time `json:"end-datetime"`
}

// PolicyResult is one element of the report's policies array: the policy
// that was applied, the session counts under it and the failure details.
type PolicyResult struct {
	// Policy describes the applied policy.
	Policy policy.Policy `json:"policy"`
	// Summary holds the session counts.
	Summary Summary `json:"summary"`
	// FailureDetails lists each distinct failure; nil encodes as [].
	FailureDetails []FailureDetail `json:"failure-details"`
}

// Summary is the summary member of a policies entry (RFC 8460 §4.4).
type Summary struct {
	// TotalSuccessfulSessionCount is total-successful-session-count.
	TotalSuccessfulSessionCount int64 `json:"total-successful-session-count"`
	// TotalFailureSessionCount is total-failure-session-count.
	TotalFailureSessionCount int64 `json:"total-failure-session-count"`
}

// FailureDetail is one element of failure-details (RFC 8460 §4.4). Zero
// values of the optional members are omitted when encoding.
type FailureDetail struct {
	// ResultType is the result-type.
	ResultType ResultType `json:"result-type"`
	// SendingMTAIP is sending-mta-ip; the zero Addr means absent.
	SendingMTAIP netip.Addr `json:"sending-mta-ip"`
	// ReceivingMXHostname is receiving-mx-hostname.
	ReceivingMXHostname string `json:"receiving-mx-hostname"`
	// ReceivingMXHelo is receiving-mx-helo.
	ReceivingMXHelo string `json:"receiving-mx-helo"`
	// ReceivingIP is receiving-ip; the zero Addr means absent.
	ReceivingIP netip.Addr `json:"receiving-ip"`
	// FailedSessionCount is failed-session-count.
	FailedSessionCount int64 `json:"failed-session-count"`
	// AdditionalInformation is additional-information: a URI, kept as sent.
	AdditionalInformation string `json:"additional-information"`
	// FailureReasonCode is failure-reason-code: free text.
	FailureReasonCode string `json:"failure-reason-code"`
}
