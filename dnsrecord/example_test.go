package dnsrecord_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
)

func ExampleParse() {
	r, err := dnsrecord.Parse("v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.net/v1/tlsrpt; ext=1")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range r.RUA {
		fmt.Println(u.Scheme(), u, u.Supported())
	}
	addr, _ := r.RUA[0].Address()
	fmt.Println("mail to:", addr)
	fmt.Println("extensions:", r.Extensions)
	// Output:
	// mailto mailto:tlsrpt@example.com true
	// https https://reports.example.net/v1/tlsrpt true
	// mail to: tlsrpt@example.com
	// extensions: [{ext 1}]
}

func ExampleParse_errors() {
	for _, txt := range []string{
		"v=spf1 -all",
		"v=TLSRPTv1; rua=mailto:tlsrpt@example.com!10m",
		"v=TLSRPTv1; RUA=mailto:tlsrpt@example.com",
	} {
		_, err := dnsrecord.Parse(txt)
		var se *dnsrecord.SyntaxError
		switch {
		case errors.Is(err, dnsrecord.ErrNotTLSRPT):
			fmt.Println("not a TLS-RPT record")
		case errors.As(err, &se):
			fmt.Printf("offset %d: %s\n", se.Offset, se.Reason)
		}
	}
	// Output:
	// not a TLS-RPT record
	// offset 41: '!' must be percent-encoded as %21 in a URI
	// offset 41: record has no rua field
}

func ExampleRecord_String() {
	r, err := dnsrecord.Parse("v=TLSRPTv1 ;rua=mailto:a@example.com , https://r.example/x;ext=1; rua=mailto:b%2Cc@example.com;")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.String())
	// Output:
	// v=TLSRPTv1; rua=mailto:a@example.com,https://r.example/x,mailto:b%2Cc@example.com; ext=1
}

func ExampleRecord_String_build() {
	u, err := dnsrecord.MailtoURI("tls,reports@example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := &dnsrecord.Record{RUA: []dnsrecord.URI{u}}
	fmt.Println(r)
	// Output:
	// v=TLSRPTv1; rua=mailto:tls%2Creports@example.com
}

// zone is a tlsrpt.Resolver answering from a map of absolute names; a
// missing name does not exist (NXDOMAIN), as *net.Resolver reports it.
type zone map[string][]string

func (z zone) LookupTXT(_ context.Context, name string) ([]string, error) {
	txts, ok := z[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return txts, nil
}

func (z zone) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (z zone) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func ExampleLookup() {
	res := zone{
		"_smtp._tls.example.com.": {"v=spf1 -all", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"},
		"_smtp._tls.example.org.": {"v=TLSRPTv1; rua=mailto:a@example.org", "v=TLSRPTv1; rua=mailto:b@example.org"},
	}
	ctx := context.Background()
	for _, domain := range []string{"example.com", "example.org", "example.net"} {
		// A sender passes nil options; a nil Resolver is net.DefaultResolver.
		r, txts, err := dnsrecord.Lookup(ctx, res, domain, nil)
		var temp *dnsrecord.TemporaryError
		switch {
		case err == nil:
			fmt.Println(domain, "reports to", r.SupportedRUA())
		case errors.Is(err, dnsrecord.ErrNoRecord), errors.Is(err, dnsrecord.ErrMultipleRecords):
			fmt.Println(domain, "does not do TLS-RPT:", err)
			// An operator tool explains why, from the same answer.
			for _, d := range dnsrecord.Lint(txts...) {
				fmt.Println("  ", d)
			}
		case errors.As(err, &temp):
			fmt.Println(domain, "retry later:", err)
		default:
			fmt.Println(domain, "invalid record:", err)
		}
	}
	// Output:
	// example.com reports to [mailto:tlsrpt@example.com]
	// example.org does not do TLS-RPT: dnsrecord: more than one TLS-RPT record
	//    error at offset 0: 2 TXT records at the name begin with v=TLSRPTv1; senders then use none of them and send no reports (RFC 8460 §3) [multiple-records] (fix: keep exactly one TLS-RPT record)
	//    error #1 at offset 0: 2 TXT records at the name begin with v=TLSRPTv1; senders then use none of them and send no reports (RFC 8460 §3) [multiple-records] (fix: keep exactly one TLS-RPT record)
	// example.net does not do TLS-RPT: dnsrecord: no TLS-RPT record at _smtp._tls.example.net.: lookup _smtp._tls.example.net.: no such host
	//    error at offset 0: there is no TXT record at the name, so senders send no reports (RFC 8460 §3) [no-record] (fix: publish a record such as "v=TLSRPTv1; rua=mailto:tlsrpt@example.com")
}

func ExampleSelect() {
	// The TXT strings of _smtp._tls.example.com, from a DNS answer
	// obtained elsewhere. Senders ignore the SPF record.
	txts := []string{"v=spf1 -all", "v=TLSRPTv1 ; rua=mailto:tlsrpt@example.com"}
	r, err := dnsrecord.Select(txts, nil)
	fmt.Println(r, err)
	// The literal reading of RFC 8460 §3 discards "v=TLSRPTv1 ;".
	_, err = dnsrecord.Select(txts, &dnsrecord.LookupOptions{StrictPrefix: true})
	fmt.Println(err)
	// Output:
	// v=TLSRPTv1; rua=mailto:tlsrpt@example.com <nil>
	// dnsrecord: no TLS-RPT record
}

func ExampleLint() {
	for _, d := range dnsrecord.Lint("v=TLSRPTv1; rua=tlsrpt@example.com,http://r.example/tlsrpt") {
		fmt.Println(d.Severity, d.Code, d.Offset)
		fmt.Println("  ", d.Message)
		fmt.Println("   fix:", d.Fix)
	}
	// Output:
	// error missing-mailto 16
	//    e-mail address without mailto:
	//    fix: write "mailto:tlsrpt@example.com"
	// warning http-uri 35
	//    reporters only POST reports to https: URIs (RFC 8460 §3); this URI is skipped
	//    fix: write "https://r.example/tlsrpt"
}

// Lint judges all the TXT strings at the name together: an SPF record
// beside a valid TLS-RPT record is harmless, while a misspelt second
// TLS-RPT record is ignored by senders.
func ExampleLint_set() {
	txts := []string{
		"v=spf1 -all",
		"v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
		"V=TLSRPTv1; rua=https://reports.example.com/tlsrpt",
	}
	for _, d := range dnsrecord.Lint(txts...) {
		fmt.Println(d.Index, d.Severity, d.Code)
	}
	// Output:
	// 0 info spf-record
	// 2 warning ignored-record
	// 2 warning version-case
}
