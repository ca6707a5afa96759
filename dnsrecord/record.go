package dnsrecord

import (
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
)

// Version is the version tag every TLS-RPT record begins with (RFC 8460
// §3 tlsrpt-version, case-sensitive).
const Version = "v=TLSRPTv1"

// Record is a parsed TLS-RPT record (RFC 8460 §3), the TXT record at
// _smtp._tls.<policy-domain>.
type Record struct {
	// RUA lists every rua URI, in record order, across all rua fields
	// (the grammar allows several rua fields; they are merged). A record
	// returned by Parse has at least one.
	RUA []URI
	// Extensions lists the fields other than v and rua, in record order.
	// RFC 8460 §3 says receivers ignore unknown fields; they are kept so
	// that String reproduces them.
	Extensions []Extension
}

// Extension is a field of a TLS-RPT record other than v and rua (RFC 8460
// §3 tlsrpt-extension), such as "ext=value": an alias of tlsrpt.Extension.
// Name is 1–32 characters from ALPHA, DIGIT, "_", "-", "." starting with
// ALPHA or DIGIT; Value is one or more printable ASCII characters other
// than ";" and "=". A second "v=" field is an extension named "v".
type Extension = tlsrpt.Extension

// String returns the record in canonical form: "v=TLSRPTv1; rua=URI1,URI2;
// name=value", with "; " between fields, all rua URIs in one rua field, no
// spaces in the rua list, and the extensions after it in their order.
// Parse(r.String()) returns a record equal to r when r came from Parse.
// String does not validate: a Record built by hand with invalid URIs or
// extensions, or without URIs, formats to text that Parse rejects.
func (r *Record) String() string {
	n := len(Version)
	if len(r.RUA) > 0 {
		n += len("; rua=") + len(r.RUA) - 1
		for _, u := range r.RUA {
			n += len(u.s)
		}
	}
	for _, e := range r.Extensions {
		n += len("; =") + len(e.Name) + len(e.Value)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(Version)
	for i, u := range r.RUA {
		if i == 0 {
			b.WriteString("; rua=")
		} else {
			b.WriteByte(',')
		}
		b.WriteString(u.s)
	}
	for _, e := range r.Extensions {
		b.WriteString("; ")
		b.WriteString(e.Name)
		b.WriteByte('=')
		b.WriteString(e.Value)
	}
	return b.String()
}

// SupportedRUA returns the rua URIs a sender can deliver to, those with
// the mailto: or https: scheme (RFC 8460 §3), in record order. It returns
// r.RUA itself when every URI is supported.
func (r *Record) SupportedRUA() []URI {
	n := 0
	for _, u := range r.RUA {
		if u.Supported() {
			n++
		}
	}
	if n == len(r.RUA) {
		return r.RUA
	}
	out := make([]URI, 0, n)
	for _, u := range r.RUA {
		if u.Supported() {
			out = append(out, u)
		}
	}
	return out
}
