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

// Category groups result types by the part of delivery that failed, as
// RFC 8460 §4.3 arranges them. It is not a wire value: reports carry only
// the result type.
type Category string

// The categories of RFC 8460 §4.3.
const (
	// CategoryNegotiation is a failure while negotiating or authenticating
	// the TLS session with the receiving MX (RFC 8460 §4.3.1). It also holds
	// validation-failure, which §4.3.3 lists again as the general catch-all:
	// a sender reports it when the session could not be secured for a
	// reason none of the other types names, which is a negotiation outcome.
	CategoryNegotiation Category = "tls-negotiation"
	// CategorySTS is a failure to obtain or use the recipient domain's
	// MTA-STS policy (RFC 8460 §4.3.2.2, RFC 8461).
	CategorySTS Category = "mta-sts"
	// CategoryDANE is a failure to obtain or match the MX host's DANE TLSA
	// records (RFC 8460 §4.3.2.1, RFC 7672).
	CategoryDANE Category = "dane"
	// CategoryUnknown is the category of a result type this package does
	// not know: one registered after it was written, or a sender's own.
	CategoryUnknown Category = "unknown"
)

// semResultInfo is what the package knows about one registered result type.
type semResultInfo struct {
	category    Category
	description string
	advice      string
}

// semLookup returns the facts about t, and false when t is not one of the
// 11 registered values. A switch keeps the table free of package state.
func semLookup(t ResultType) (semResultInfo, bool) {
	switch t {
	case ResultSTARTTLSNotSupported:
		return semResultInfo{CategoryNegotiation,
			"The receiving MX host did not advertise STARTTLS in its EHLO reply, so the message could not be sent over TLS.",
			"Check that the SMTP server on the MX host has TLS turned on with a certificate and key, that it lists STARTTLS on port 25, and that no firewall or SMTP proxy in front of it removes that capability.",
		}, true
	case ResultCertificateHostMismatch:
		return semResultInfo{CategoryNegotiation,
			"The MX host's certificate does not carry the host name the policy required, for example no subject alternative name matches the MX name.",
			"Check that the certificate's subject alternative names include every MX host name that points at the server (for MTA-STS, a name matching an mx line of the policy), and that each server presents the certificate issued for it.",
		}, true
	case ResultCertificateExpired:
		return semResultInfo{CategoryNegotiation,
			"The MX host presented a certificate whose validity period had ended.",
			"Renew the certificate, install it on every MX host and reload the mail server; make sure automatic renewal also restarts or reloads the SMTP service, not only the web server.",
		}, true
	case ResultCertificateNotTrusted:
		return semResultInfo{CategoryNegotiation,
			"The MX host's certificate could not be traced to a certification authority the sender trusts, or its chain broke a rule such as a name constraint, a path length or a key usage.",
			"Check that the server sends the complete chain of intermediate certificates and that the certificate comes from a publicly trusted authority rather than being self-signed or privately issued; the failure-reason-code usually names the exact fault.",
		}, true
	case ResultValidationFailure:
		return semResultInfo{CategoryNegotiation,
			"The TLS session could not be established or verified for a reason none of the more specific result types describes, such as a handshake alert or no shared protocol version.",
			"Read the failure-reason-code and the receiving IP, then compare the server's enabled TLS versions, cipher suites and client-certificate requirements with what widely used mail senders support.",
		}, true
	case ResultTLSAInvalid:
		return semResultInfo{CategoryDANE,
			"None of the DANE TLSA records published for the MX host matched the certificate or key it presented.",
			"Compare the TLSA records at _25._tcp.<mx host> with the certificate and key the server uses now; when rolling over a key, publish the new record first and remove the old one only after the change.",
		}, true
	case ResultDNSSECInvalid:
		return semResultInfo{CategoryDANE,
			"The sender's validating resolver could not get DNSSEC-authenticated answers for the DNS records it needed, such as the MX host's TLSA records.",
			"Check the zone's DNSSEC chain with a DNSSEC analyser: expired signatures, a DS record at the parent that no longer matches a key, or an authoritative server returning unsigned or broken answers are the usual causes.",
		}, true
	case ResultDANERequired:
		return semResultInfo{CategoryDANE,
			"The sender requires DANE for this destination, but found no DNSSEC-validated TLSA records for the MX host.",
			"Publish TLSA records for each MX host in a DNSSEC-signed zone, or find out why the existing ones do not validate; until then this sender will not deliver to the host.",
		}, true
	case ResultSTSPolicyFetchError:
		return semResultInfo{CategorySTS,
			"The sender could not download the domain's MTA-STS policy file over HTTPS.",
			"Check that https://mta-sts.<domain>/.well-known/mta-sts.txt resolves and is reachable from the Internet, and that it answers 200 with a text/plain body and no redirect.",
		}, true
	case ResultSTSPolicyInvalid:
		return semResultInfo{CategorySTS,
			"The sender downloaded the MTA-STS policy file but could not use it because its content is not a valid policy.",
			"Check that the policy file has the fields version: STSv1, mode, max_age and at least one mx line, one per line, and that the id in the _mta-sts TXT record changes whenever the file does.",
		}, true
	case ResultSTSWebPKIInvalid:
		return semResultInfo{CategorySTS,
			"The HTTPS server for the MTA-STS policy did not present a certificate the sender could validate for the mta-sts host name.",
			"Check that the certificate served for mta-sts.<domain> is current, covers that exact name, comes from a publicly trusted authority and is sent with its intermediate certificates.",
		}, true
	}
	return semResultInfo{}, false
}

// ResultTypes returns the 11 registered result types in the order of the
// IANA registry (RFC 8460 §6.6). The slice is new on every call; callers may
// modify it.
func ResultTypes() []ResultType {
	return []ResultType{
		ResultSTARTTLSNotSupported,
		ResultCertificateHostMismatch,
		ResultCertificateExpired,
		ResultTLSAInvalid,
		ResultDNSSECInvalid,
		ResultDANERequired,
		ResultCertificateNotTrusted,
		ResultSTSPolicyInvalid,
		ResultSTSWebPKIInvalid,
		ResultValidationFailure,
		ResultSTSPolicyFetchError,
	}
}

// Category returns the group t belongs to, or CategoryUnknown when t is not
// a registered value: t.Category() != CategoryUnknown tells the 11
// registered result types from the others. The comparison is exact:
// "Certificate-Expired" is not registered (the lenient Decoder repairs
// capitalised result types and reports a Warning for it).
func (t ResultType) Category() Category {
	if info, ok := semLookup(t); ok {
		return info.category
	}
	return CategoryUnknown
}

// Description returns one sentence, for an operator reading a report, that
// says what failed. For a value it does not know it says so rather than
// guessing from the name.
func (t ResultType) Description() string {
	if info, ok := semLookup(t); ok {
		return info.description
	}
	if t == "" {
		return "The report gives no result type for this failure."
	}
	return "The result type is not one this library knows; its meaning is defined by the registry entry or the sender that introduced it."
}

// Advice returns one or two sentences telling the operator of the receiving
// domain what to check. For a value it does not know it points at the
// registry and the failure's other members.
func (t ResultType) Advice() string {
	if info, ok := semLookup(t); ok {
		return info.advice
	}
	return "Look the value up in the IANA \"STARTTLS Validation Result Types\" registry, and use the failure-reason-code, receiving-mx-hostname and additional-information of the same failure for details."
}
