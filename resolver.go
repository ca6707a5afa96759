package tlsrpt

import (
	"context"
	"net"
	"net/netip"
)

// Resolver is the one way to inject DNS into this module: every function
// or struct field that looks up TXT, MX or address records takes a
// Resolver. *net.Resolver satisfies it (use one with PreferGo and a Dial
// function to ask a specific server, or wrap a DNSSEC-validating client);
// nil means net.DefaultResolver wherever a Resolver is taken.
//
// The methods behave as those of *net.Resolver: LookupTXT returns one
// string per TXT record, its character-strings concatenated without
// separators (RFC 8460 §3, RFC 8461 §3.1); LookupNetIP, with network
// "ip", "ip4" or "ip6", returns the addresses of a host and is used to
// find those of MX hosts; a name that does not exist or has no records of
// the type is a *net.DNSError with IsNotFound set. Callers treat any other
// error as temporary.
type Resolver interface {
	// LookupTXT returns the TXT records at name, one string per record
	// with its character-strings concatenated: the TLS-RPT record at
	// _smtp._tls.<domain> (RFC 8460 §3) and the MTA-STS record at
	// _mta-sts.<domain> (RFC 8461 §3.1).
	LookupTXT(ctx context.Context, name string) ([]string, error)
	// LookupMX returns the MX records of the domain name, as
	// *net.Resolver does: sorted by preference, host names with a
	// trailing dot. submit.SMTPSender uses it to deliver a report
	// directly to the MX hosts of a mailto: rua's domain (RFC 8460
	// §3, RFC 5321 §5.1).
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	// LookupNetIP returns the addresses of host for network "ip", "ip4"
	// or "ip6"; it is used to find those of MX hosts.
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}
