package report

// ResultType is a failure-details result-type (RFC 8460 §4.3, IANA "STARTTLS
// Validation Result Types"). Values other than the constants below are kept
// verbatim: the registry is expected to grow.
type ResultType string

// The 11 result types of the IANA registry (RFC 8460 §4.3, §6.6).
const (
	// RFC 8460 §4.3.1 negotiation failures.
	ResultSTARTTLSNotSupported    ResultType = "starttls-not-supported"
	ResultCertificateHostMismatch ResultType = "certificate-host-mismatch"
	ResultCertificateExpired      ResultType = "certificate-expired"
	ResultCertificateNotTrusted   ResultType = "certificate-not-trusted"
	ResultValidationFailure       ResultType = "validation-failure"

	// RFC 8460 §4.3.2.1 DANE policy failures.
	ResultTLSAInvalid   ResultType = "tlsa-invalid"
	ResultDNSSECInvalid ResultType = "dnssec-invalid"
	ResultDANERequired  ResultType = "dane-required"

	// RFC 8460 §4.3.2.2 MTA-STS policy failures.
	ResultSTSPolicyFetchError ResultType = "sts-policy-fetch-error"
	ResultSTSPolicyInvalid    ResultType = "sts-policy-invalid"
	ResultSTSWebPKIInvalid    ResultType = "sts-webpki-invalid"
)
