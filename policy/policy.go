package policy

// Type is the policy-type of a report's policy block (RFC 8460 §4.4).
// Values other than the constants below are kept verbatim: the registry
// is expected to grow and an unknown type is not an error. A switch over
// the three constants tells the known types from the others.
type Type string

// The policy types defined by RFC 8460 §4.4.
const (
	// TypeTLSA is a DANE policy: the TLSA RRset of the receiving MX (RFC 8460 §4.5).
	TypeTLSA Type = "tlsa"
	// TypeSTS is an MTA-STS policy (RFC 8461).
	TypeSTS Type = "sts"
	// TypeNoPolicyFound means neither DANE nor MTA-STS applied.
	TypeNoPolicyFound Type = "no-policy-found"
)

// Policy is the "policy" member of a TLS-RPT report's policies entry
// (RFC 8460 §4.4). Its JSON member names are policy-type, policy-string,
// policy-domain and mx-host.
//
// The constructors (NoPolicyFound, FromSTSText, FromTLSA) store
// Domain as a lower-case A-label without a trailing dot; UnmarshalJSON
// keeps what the JSON said. Strings and MXHosts may be nil; MarshalJSON
// encodes them as empty arrays. json.Unmarshal and json.Marshal follow one
// rule: strict in (UnmarshalJSON repairs nothing), canonical out
// (MarshalJSON). Reports from other senders are decoded leniently, with a
// Diagnostic per repair, by package report's Decoder.
type Policy struct {
	// Type is the policy-type.
	Type Type `json:"policy-type"`
	// Strings is the policy-string: for sts the policy lines as
	// "key: value", for tlsa one TLSA RR in presentation form per element.
	Strings []string `json:"policy-string"`
	// Domain is the policy-domain: the recipient domain for sts and
	// no-policy-found, the TLSA base domain (usually the MX host) for tlsa.
	Domain string `json:"policy-domain"`
	// MXHosts is the mx-host list: the MTA-STS mx patterns, "*." kept.
	MXHosts []string `json:"mx-host"`
}
