//go:build tools

// Package deps pins the module's dependencies while the packages that use
// them are being written; it is never built.
package deps

import (
	_ "github.com/emersion/go-msgauth/dkim"
	_ "github.com/emersion/go-sasl"
	_ "github.com/emersion/go-smtp"
	_ "github.com/go-json-experiment/json/jsontext"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/stretchr/testify/require"
	_ "golang.org/x/net/dns/dnsmessage"
	_ "golang.org/x/net/idna"
)
