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
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}
