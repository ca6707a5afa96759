package dnsrecord

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// Resolver looks up TXT records. *net.Resolver satisfies it; pass one
// with PreferGo and a Dial function to use a specific server, or wrap a
// DNSSEC-validating client.
//
// LookupTXT returns one string per TXT record, the record's
// character-strings already concatenated without separators (as
// *net.Resolver does, RFC 8460 §3). A name that does not exist or has no
// TXT records is reported as a *net.DNSError with IsNotFound set (as
// *net.Resolver does), as an error matching ErrNoRecord, or as an empty
// result; any other error is treated as temporary.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// LookupOptions configures Lookup and Select. The zero value follows RFC
// 8460 §3 with the loose reading of its selection rule.
type LookupOptions struct {
	// StrictPrefix selects candidate TXT records by the literal prefix
	// "v=TLSRPTv1;" that RFC 8460 §3 states, so "v=TLSRPTv1 ;" (valid by
	// the grammar) is discarded. When false (the zero value), a record is
	// a candidate if it begins with "v=TLSRPTv1", optional SP/HTAB, and
	// ";", so that every record the grammar accepts is considered; this
	// is the reading of the same conflict in RFC 8461 (erratum EID 6285)
	// that mox also applies.
	StrictPrefix bool
}

// Lookup returns the TLS-RPT record of domain (RFC 8460 §3), read from
// the TXT records at _smtp._tls.<domain>, with the zero LookupOptions.
// See LookupOptions.Lookup.
func Lookup(ctx context.Context, res Resolver, domain string) (*Record, error) {
	return LookupOptions{}.Lookup(ctx, res, domain)
}

// Lookup returns the TLS-RPT record of domain (RFC 8460 §3), asking res
// (net.DefaultResolver if nil). domain may be a U-label or A-label name,
// with or without trailing dot. Lookup queries the absolute name
// "_smtp._tls.<A-label domain>." (with the trailing dot, so that no
// resolver search list applies) and selects the record as Select does.
// CNAMEs are followed by the resolver.
//
// Errors, by what the caller should do:
//   - ErrNoRecord (errors.Is): the name does not exist, has no TXT
//     records, or none of them is a TLS-RPT record. Send no reports.
//   - ErrMultipleRecords: more than one TLS-RPT record. Send no reports.
//   - *SyntaxError: the single TLS-RPT record is malformed. Send no
//     reports (the operator may want to know: see Lint).
//   - *TemporaryError: the DNS query failed (SERVFAIL, timeout, ...).
//     Retry later; do not treat the domain as having no record.
//   - an invalid domain name is an error that is none of the above.
func (o LookupOptions) Lookup(ctx context.Context, res Resolver, dom string) (*Record, error) {
	if res == nil {
		res = net.DefaultResolver
	}
	a, err := domain.ToASCII(dom)
	if err != nil {
		return nil, errors.New("dnsrecord: invalid domain " + strconv.Quote(dom) + ": " + err.Error())
	}
	// RFC 8460 §3: the record is at _smtp._tls.<policy-domain>.
	name := "_smtp._tls." + a + "."
	txts, err := res.LookupTXT(ctx, name)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.Is(err, ErrNoRecord) || errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			// RFC 8460 §3 (SPEC.md §1.3): NXDOMAIN / NODATA, no TLS-RPT.
			return nil, &noRecordError{name: name, err: err}
		}
		return nil, &TemporaryError{Name: name, Err: err}
	}
	r, err := o.Select(txts)
	if errors.Is(err, ErrNoRecord) {
		return nil, &noRecordError{name: name, err: err}
	}
	return r, err
}

// Select picks and parses the TLS-RPT record among txts, the TXT records
// of one name (each with its character-strings concatenated), with the
// zero LookupOptions. See LookupOptions.Select.
func Select(txts []string) (*Record, error) {
	return LookupOptions{}.Select(txts)
}

// Select picks and parses the TLS-RPT record among txts, the TXT records
// of one _smtp._tls name, each with its character-strings concatenated.
// Following RFC 8460 §3 it discards the records that do not begin with
// the version prefix (see LookupOptions.StrictPrefix), returns
// ErrNoRecord if none remains and ErrMultipleRecords if more than one
// remains, and otherwise parses the one that remains. Use it when the
// DNS answer comes from elsewhere than a Resolver.
func (o LookupOptions) Select(txts []string) (*Record, error) {
	found := -1
	for i, t := range txts {
		if !o.isCandidate(t) {
			continue
		}
		if found >= 0 {
			return nil, ErrMultipleRecords
		}
		found = i
	}
	if found < 0 {
		return nil, ErrNoRecord
	}
	return Parse(txts[found])
}

// isCandidate applies the RFC 8460 §3 discard rule: a record is a
// candidate if it begins with "v=TLSRPTv1;" (strict) or with
// "v=TLSRPTv1" *WSP ";" (loose).
func (o LookupOptions) isCandidate(t string) bool {
	if len(t) <= len(Version) || t[:len(Version)] != Version {
		return false
	}
	i := len(Version)
	if !o.StrictPrefix {
		for i < len(t) && isWSP(t[i]) {
			i++
		}
	}
	return i < len(t) && t[i] == ';'
}

// noRecordError is ErrNoRecord with the queried name and the cause.
type noRecordError struct {
	name string
	err  error // the resolver's error, or ErrNoRecord from Select
}

func (e *noRecordError) Error() string {
	if errors.Is(e.err, ErrNoRecord) {
		return ErrNoRecord.Error() + " at " + e.name
	}
	return ErrNoRecord.Error() + " at " + e.name + ": " + e.err.Error()
}

func (e *noRecordError) Is(target error) bool { return target == ErrNoRecord }

func (e *noRecordError) Unwrap() error { return e.err }
