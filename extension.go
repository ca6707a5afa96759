package tlsrpt

// Extension is a name=value field of a DNS record or policy file that the
// field's RFC leaves open for extension: the tlsrpt-extension of the
// TLS-RPT record (RFC 8460 §3), the sts-extension of the MTA-STS TXT record
// (RFC 8461 §3.1) and the sts-policy-extension of the MTA-STS policy file
// (RFC 8461 §3.2). Receivers ignore the fields they do not know; parsers
// keep them, in order, so that the canonical form reproduces them.
type Extension struct {
	Name  string // the field name, case preserved
	Value string // the field value, as written
}
