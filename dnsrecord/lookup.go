package dnsrecord

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/domain"
)

// LookupOptions configures Lookup and Select. A nil *LookupOptions and the
// zero value follow RFC 8460 §3 with the loose reading of its selection
// rule.
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

// Lookup returns the TLS-RPT record of domain (RFC 8460 §3), asking res
// (net.DefaultResolver if nil), and the TXT strings it found there, each
// with its character-strings concatenated. opts may be nil for the zero
// LookupOptions. domain may be a U-label or A-label name, with or without
// trailing dot. Lookup queries the absolute name
// "_smtp._tls.<A-label domain>." (with the trailing dot, so that no
// resolver search list applies) with one TXT query, and selects the
// record as Select does. CNAMEs are followed by the resolver.
//
// The TXT strings are returned whenever the query was answered, also
// with ErrNoRecord (a name with only other TXT records), ErrMultipleRecords
// and *SyntaxError, so that an operator tool can pass them to Lint without
// querying again; they are nil when the name does not exist or the query
// failed.
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
func Lookup(ctx context.Context, res tlsrpt.Resolver, dom string, opts *LookupOptions) (*Record, []string, error) {
	if res == nil {
		res = net.DefaultResolver
	}
	a, err := domain.ToASCII(dom)
	if err != nil {
		return nil, nil, errors.New("dnsrecord: invalid domain " + strconv.Quote(dom) + ": " + err.Error())
	}
	// RFC 8460 §3: the record is at _smtp._tls.<policy-domain>.
	name := "_smtp._tls." + a + "."
	txts, err := res.LookupTXT(ctx, name)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.Is(err, ErrNoRecord) || errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			// RFC 8460 §3: NXDOMAIN or NODATA, the domain does no TLS-RPT.
			return nil, nil, &noRecordError{name: name, err: err}
		}
		return nil, nil, &TemporaryError{Name: name, Err: err}
	}
	r, err := Select(txts, opts)
	if errors.Is(err, ErrNoRecord) {
		err = &noRecordError{name: name, err: err}
	}
	return r, txts, err
}

// Select picks and parses the TLS-RPT record among txts, the TXT records
// of one _smtp._tls name, each with its character-strings concatenated;
// opts may be nil for the zero LookupOptions. Following RFC 8460 §3 it
// discards the records that do not begin with the version prefix (see
// LookupOptions.StrictPrefix), returns ErrNoRecord if none remains and
// ErrMultipleRecords if more than one remains, and otherwise parses the
// one that remains. Use it when the DNS answer comes from elsewhere than
// a Resolver.
func Select(txts []string, opts *LookupOptions) (*Record, error) {
	strict := opts != nil && opts.StrictPrefix
	found := -1
	for i, t := range txts {
		if !isCandidate(t, strict) {
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
func isCandidate(t string, strict bool) bool {
	if len(t) <= len(Version) || t[:len(Version)] != Version {
		return false
	}
	i := len(Version)
	if !strict {
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
