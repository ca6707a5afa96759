package check

import (
	"context"
	"errors"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
)

// checkTLSRPT fills r.TLSRPT. It reports whether the domain publishes
// anything at _smtp._tls.<domain> (or whether that could not be told).
func (c *Config) checkTLSRPT(ctx context.Context, r *Result, mx mxList) bool {
	d := r.Domain
	s := &r.TLSRPT
	s.Name = "_smtp._tls." + d
	lctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	// RFC 8460 §3: one TXT query; Lookup selects and strictly parses the
	// record as senders do and returns every string it saw, for Lint.
	rec, txts, err := dnsrecord.Lookup(lctx, c.resolver(), d, nil)
	var temp *dnsrecord.TemporaryError
	published := true
	switch {
	case errors.As(err, &temp):
		s.Findings = append(s.Findings, temporary(CodeDNS, "the TXT lookup of "+s.Name+" failed: "+dnsText(temp.Err)))
	case len(txts) == 0:
		published = false
		s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityWarning, Code: CodeNoTLSRPT,
			Message: "there is no TXT record at " + s.Name + ": senders send no TLS reports, so TLS failures on the way to " + d + " go unnoticed",
			Fix:     "publish \"v=TLSRPTv1; rua=mailto:tlsrpt@" + d + "\" at " + s.Name})
	default:
		s.TXT = txts
		for _, dg := range dnsrecord.Lint(txts...) {
			f := diagnostic(dg, true)
			if dg.Code == dnsrecord.CodeNoSupportedURI && rec != nil {
				// Lint calls it a warning because the record is valid;
				// but there is nowhere to send reports to.
				f.Severity = tlsrpt.SeverityError
			}
			s.Findings = append(s.Findings, f)
		}
	}
	if rec != nil {
		s.Record = rec.String()
		for _, u := range rec.RUA {
			ru := RUA{URI: u.String(), Scheme: u.Scheme(), Usable: u.Supported()}
			switch u.Scheme() {
			case "mailto":
				if a, err := u.Address(); err == nil {
					ru.Destination = a
				} else {
					ru.Usable = false
				}
			case "https":
				if url, err := u.URL(); err == nil && url.Host != "" {
					ru.Destination = url.String()
				} else {
					ru.Usable = false
				}
			}
			s.RUA = append(s.RUA, ru)
		}
		if !hasUsable(s.RUA) && !hasCode(s.Findings, dnsrecord.CodeNoSupportedURI) {
			s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityError, Code: CodeNoUsableRUA,
				Message: "no rua destination can receive reports: senders deliver only to mailto: addresses and https: URLs (RFC 8460 §3)",
				Fix:     "rua=mailto:tlsrpt@" + d})
		}
		// RFC 8460 §3 selects records by the literal prefix "v=TLSRPTv1;"
		// while its grammar allows whitespace before the ";"; senders
		// that apply the prefix literally find no record.
		if _, err := dnsrecord.Select(txts, &dnsrecord.LookupOptions{StrictPrefix: true}); err != nil {
			s.Findings = append(s.Findings, Finding{Severity: tlsrpt.SeverityWarning, Code: CodeStrictPrefix,
				Message: "senders that select records by the literal prefix \"v=TLSRPTv1;\" of RFC 8460 §3 discard this record: whitespace before the first \";\"",
				Fix:     s.Record})
		}
		if c.Probe {
			c.probeRUA(ctx, s)
		}
	}
	c.wrongLocations(ctx, r, mx)
	return published
}

func hasUsable(rs []RUA) bool {
	for _, r := range rs {
		if r.Usable {
			return true
		}
	}
	return false
}

func hasCode(fs []Finding, code tlsrpt.Code) bool {
	for _, f := range fs {
		if f.Code == code {
			return true
		}
	}
	return false
}

// wrongLocations looks for TLS-RPT records published where senders never
// look: the mistakes of hand-edited zones.
func (c *Config) wrongLocations(ctx context.Context, r *Result, mx mxList) {
	d := r.Domain
	names := []string{
		d,                                  // the apex, beside SPF
		"_smtp_tls." + d,                   // one label instead of two
		"_tls._smtp." + d,                  // labels swapped
		"_smtp._tls." + d + "." + d,        // a zone file's origin appended to a name without its final dot
		"smtp._tls." + d, "_smtp.tls." + d, // an underscore lost
	}
	for _, h := range mx.hosts {
		if h.Host != d {
			names = append(names, h.Host) // the MX host's own name
		}
	}
	for _, name := range names {
		lctx, cancel := context.WithTimeout(ctx, c.timeout())
		txts, err := c.resolver().LookupTXT(lctx, name+".")
		cancel()
		if err != nil {
			continue // a hint only: failures and absence say nothing
		}
		for _, t := range txts {
			if len(t) >= len(dnsrecord.Version) && strings.EqualFold(t[:len(dnsrecord.Version)], dnsrecord.Version) {
				r.TLSRPT.Findings = append(r.TLSRPT.Findings, Finding{Severity: tlsrpt.SeverityWarning, Code: CodeWrongLocation,
					Message: "a TLS-RPT record is published at " + name + ", where senders never look: they query " + r.TLSRPT.Name + " only (RFC 8460 §3)",
					Fix:     "publish it at " + r.TLSRPT.Name + " and delete it from " + name})
				break
			}
		}
	}
}
