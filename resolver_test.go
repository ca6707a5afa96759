package tlsrpt_test

import (
	"net"

	"github.com/go-tlsrpt/tlsrpt"
)

// *net.Resolver is the Resolver every package falls back to.
var _ tlsrpt.Resolver = (*net.Resolver)(nil)
