package check

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// DefaultTimeout bounds each network step when Config.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// expiresSoon is how close to its end a valid certificate gets a warning:
// automatic renewal (ACME clients renew 30 days ahead) has then failed
// more than once.
const expiresSoon = 14 * 24 * time.Hour

// Resolver answers the DNS queries of a check: TXT and MX records and the
// addresses of host names. *net.Resolver satisfies it.
type Resolver interface {
	tlsrpt.Resolver
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config says how to check. Its zero value asks net.DefaultResolver, the
// validating resolver at 127.0.0.1:53 for TLSA records, trusts the
// system roots and connects to port 25 of each MX host.
type Config struct {
	// Resolver looks up TXT, MX and address records; nil means
	// net.DefaultResolver.
	Resolver Resolver
	// DNS exchanges the TLSA queries, whose answers carry the AD bit;
	// nil means a policy.DNSClient asking 127.0.0.1:53.
	DNS policy.DNSExchanger
	// RootCAs are the roots certificates must chain to (the MTA-STS
	// policy host, the MX hosts, https: rua destinations); nil means the
	// system roots (on Unix, SSL_CERT_FILE and SSL_CERT_DIR choose them).
	RootCAs *x509.CertPool
	// ConnectTo maps a "host:port" (lower case) to the "address:port" to
	// connect to instead of the host's own addresses, as curl's
	// --connect-to does: to check a server before DNS points at it, and
	// for tests. Certificates are still judged against the host name.
	ConnectTo map[string]string
	// Timeout bounds each DNS query, SMTP session, policy fetch and probe;
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// Now is the clock for certificate validity and days left; nil means
	// time.Now. The MTA-STS policy fetch always uses the real clock.
	Now func() time.Time
	// NoMX skips the SMTP sessions with the MX hosts (and so their
	// certificates and DANE); the MX records are still looked up.
	NoMX bool
	// Probe checks that each rua destination can receive: a mailto:
	// domain has somewhere to deliver mail, an https: host answers HEAD
	// over verified TLS.
	Probe bool
	// HelloName is the name sent with EHLO after STARTTLS; "" means
	// "localhost" (the first EHLO always says localhost: go-smtp's
	// STARTTLS client sends it).
	HelloName string
}

// Verdict sums up the findings of a Result.
type Verdict string

// The verdicts, from best to worst for a run's exit status.
const (
	VerdictOK         Verdict = "ok"         // no errors (warnings and advice maybe)
	VerdictProblems   Verdict = "problems"   // at least one error
	VerdictIncomplete Verdict = "incomplete" // something could not be checked (temporary)
)

// Result is the assessment of one domain. It is also the JSON object
// `tlsrpt check --json` writes per domain; the tags are that schema.
type Result struct {
	// Domain is the domain checked, a lower-case A-label name.
	Domain string `json:"domain"`
	// Verdict is VerdictIncomplete when some finding is Temporary,
	// VerdictProblems when some finding is an error, VerdictOK otherwise.
	Verdict Verdict `json:"verdict"`
	// Errors, Warnings and Unchecked count the findings that are errors,
	// warnings and Temporary.
	Errors    int `json:"errors"`
	Warnings  int `json:"warnings"`
	Unchecked int `json:"unchecked"`
	// Findings are about the domain as a whole: its MX records, nothing
	// published at all.
	Findings []Finding `json:"findings"`
	// TLSRPT and MTASTS are what the domain publishes.
	TLSRPT TLSRPT `json:"tlsrpt"`
	MTASTS MTASTS `json:"mta-sts"`
	// MX are the MX hosts in order of preference, or the domain itself
	// when it has no MX records (the implicit MX of RFC 5321 §5.1).
	MX []MXHost `json:"mx"`
}

// TLSRPT is what the domain publishes for TLS reporting.
type TLSRPT struct {
	// Name is where senders look: "_smtp._tls.<domain>".
	Name string `json:"name"`
	// TXT are the TXT strings at Name as published, each joined from its
	// character-strings.
	TXT []string `json:"txt"`
	// Record is the canonical form of the record senders use; empty when
	// they find none.
	Record string `json:"record,omitempty"`
	// RUA are the record's destinations.
	RUA      []RUA     `json:"rua"`
	Findings []Finding `json:"findings"`
}

// RUA is one destination of the record.
type RUA struct {
	// URI is the destination as the record has it; Scheme its scheme in
	// lower case.
	URI    string `json:"uri"`
	Scheme string `json:"scheme"`
	// Usable says whether senders deliver there: a mailto: URI with an
	// address or an https: URI (RFC 8460 §3).
	Usable bool `json:"usable"`
	// Destination is the mail address of a mailto: URI or the URL of an
	// https: URI.
	Destination string `json:"destination,omitempty"`
	// Probe says what Config.Probe found; empty without it.
	Probe string `json:"probe,omitempty"`
}

// MTASTS is what the domain publishes for MTA-STS.
type MTASTS struct {
	// Name is "_mta-sts.<domain>".
	Name string `json:"name"`
	// TXT are the TXT strings at Name as published.
	TXT []string `json:"txt"`
	// ID is the id of the record senders use; empty when none is usable.
	ID string `json:"id,omitempty"`
	// PolicyURL is where senders fetch the policy.
	PolicyURL string `json:"policy-url"`
	// Fetched says whether the policy was fetched and parsed as senders
	// do.
	Fetched bool `json:"fetched"`
	// Policy is the policy file as served (also when invalid); empty when
	// none was retrieved.
	Policy string `json:"policy,omitempty"`
	// Mode, MaxAge and MX are the parsed policy's fields.
	Mode     policy.Mode `json:"mode,omitempty"`
	MaxAge   *int        `json:"max-age,omitempty"`
	MX       []string    `json:"mx"`
	Findings []Finding   `json:"findings"`
}

// MXHost is one MX host and what its SMTP server presented.
type MXHost struct {
	// Host is the host name, without a trailing dot.
	Host       string `json:"host"`
	Preference uint16 `json:"preference"`
	// Implicit is set when the domain has no MX records and Host is the
	// domain itself (RFC 5321 §5.1).
	Implicit bool `json:"implicit,omitempty"`
	// STSPattern is the mx pattern of the MTA-STS policy that matches
	// Host; empty when none does or there is no policy.
	STSPattern string `json:"sts-pattern,omitempty"`
	// Addresses are Host's A and AAAA records.
	Addresses []string `json:"addresses"`
	// Checked says whether an SMTP session was attempted (not with
	// Config.NoMX).
	Checked bool `json:"checked"`
	// Address is the address the session was made with.
	Address string `json:"address,omitempty"`
	// STARTTLS says whether TLS was negotiated after STARTTLS.
	STARTTLS bool `json:"starttls"`
	// TLSVersion is the negotiated version, such as "TLS 1.3".
	TLSVersion string `json:"tls-version,omitempty"`
	// Certificate is the server's certificate; nil without TLS.
	Certificate *Certificate `json:"certificate,omitempty"`
	// DANE is nil when Host publishes no TLSA records for port 25.
	DANE     *DANE     `json:"dane,omitempty"`
	Findings []Finding `json:"findings"`
}

// Certificate is the verdict on an MX host's certificate.
type Certificate struct {
	// Subject and Issuer are the distinguished names (RFC 2253 form),
	// DNSNames the subject alternative names, NotBefore and NotAfter the
	// validity period.
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	DNSNames  []string  `json:"dns-names"`
	NotBefore time.Time `json:"not-before"`
	NotAfter  time.Time `json:"not-after"`
	// DaysLeft is the number of whole days until NotAfter; negative once
	// it has passed.
	DaysLeft int `json:"days-left"`
	// ValidForHost says whether a DNS name of the certificate matches the
	// MX host name (RFC 8461 §4.2, RFC 6125).
	ValidForHost bool `json:"valid-for-host"`
	// Trusted says whether the chain the server sent leads to a trusted
	// root (judged at a time within the certificate's validity period, so
	// that an expired certificate is not also called untrusted).
	Trusted bool `json:"trusted"`
	// TLSA311 is the DANE-EE SPKI SHA2-256 record for this certificate's
	// key, "3 1 1 <hex>", ready to publish at _25._tcp.<host>.
	TLSA311 string `json:"tlsa-3-1-1"`
}

// DANE is the TLSA RRset of an MX host and how it matched.
type DANE struct {
	// Name is "_25._tcp.<host>".
	Name string `json:"name"`
	// TLSA are the records in RFC 6698 presentation form.
	TLSA []string `json:"tlsa"`
	// Authenticated says whether the resolver set the AD bit.
	Authenticated bool `json:"authenticated"`
	// Match is the record that matched the presented chain; empty when
	// none did or there was no TLS session.
	Match string `json:"match,omitempty"`
}

// Finding is one problem or piece of advice. Diagnostics of the lint
// functions keep their code, severity, message, fix and location.
type Finding struct {
	// Severity is error, warning or info (see the package documentation).
	Severity tlsrpt.Severity `json:"severity"`
	// Code is stable: for a failure senders report, its result type; for
	// a lint diagnostic, the code of package dnsrecord or policy; else one
	// of this package's Code* constants.
	Code tlsrpt.Code `json:"code"`
	// Message says what is wrong, for people; Fix how to fix it, when
	// there is a simple fix.
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
	// Path ("line N" of a policy), Index (of a TXT string among those at
	// the name) and Offset (in that string, or of the policy line) locate
	// a lint diagnostic.
	Path   string `json:"path,omitempty"`
	Index  int    `json:"index,omitempty"`
	Offset int    `json:"offset,omitempty"`
	// ResultType and ReasonCode are what a sending MTA reports for the
	// failure (RFC 8460 §4.3); Advice is the result type's advice.
	ResultType report.ResultType `json:"result-type,omitempty"`
	ReasonCode string            `json:"reason-code,omitempty"`
	Advice     string            `json:"advice,omitempty"`
	// Temporary says that something could not be checked; Severity is
	// then warning.
	Temporary bool `json:"temporary,omitempty"`
	// InTXT says that Index and Offset locate the finding in a TXT string.
	InTXT bool `json:"-"`
}

// The codes of findings that are neither lint diagnostics nor result
// types. They are stable.
const (
	CodeInvalidDomain       tlsrpt.Code = "invalid-domain"           // error: the argument is not a domain name
	CodeNothingPublished    tlsrpt.Code = "nothing-published"        // error: neither TLS-RPT nor MTA-STS
	CodeNoTLSRPT            tlsrpt.Code = "no-tlsrpt"                // warning: no TXT record at _smtp._tls.<domain>
	CodeNoMTASTS            tlsrpt.Code = "no-mta-sts"               // info: no TXT record at _mta-sts.<domain>
	CodeWrongLocation       tlsrpt.Code = "wrong-location"           // warning: a TLS-RPT record where senders never look
	CodeStrictPrefix        tlsrpt.Code = "strict-prefix"            // warning: discarded by the literal "v=TLSRPTv1;" rule
	CodeNoUsableRUA         tlsrpt.Code = "no-usable-rua"            // error: no mailto: or https: destination
	CodePolicyWithoutRecord tlsrpt.Code = "policy-without-record"    // warning: a policy is served but no _mta-sts record points to it
	CodeDNS                 tlsrpt.Code = "dns-failure"              // temporary: a DNS query failed
	CodeNoMX                tlsrpt.Code = "implicit-mx"              // info: no MX records; mail goes to the domain's address
	CodeNullMX              tlsrpt.Code = "null-mx"                  // info: the domain accepts no mail (RFC 7505)
	CodeNoMail              tlsrpt.Code = "no-mail-host"             // error: no MX records and no address
	CodeMXNoAddress         tlsrpt.Code = "mx-no-address"            // error: an MX host without A or AAAA records
	CodeConnect             tlsrpt.Code = "connect-failed"           // temporary: no TCP connection to port 25
	CodeSMTP                tlsrpt.Code = "smtp-failure"             // temporary: the SMTP session failed before STARTTLS
	CodeOldTLS              tlsrpt.Code = "old-tls-version"          // warning: TLS 1.0 or 1.1
	CodeExpiresSoon         tlsrpt.Code = "certificate-expires-soon" // warning: a valid certificate in its last 14 days
	CodeTLSAUnauthenticated tlsrpt.Code = "tlsa-unauthenticated"     // warning: TLSA records without the AD bit
	CodeDANENoTLSRPT        tlsrpt.Code = "dane-no-tlsrpt"           // info: DANE results go to _smtp._tls.<mx>, which has no record
	CodeRUANoMail           tlsrpt.Code = "rua-no-mail"              // error (probe): a mailto: domain that receives no mail
	CodeRUAImplicitMX       tlsrpt.Code = "rua-implicit-mx"          // info (probe): a mailto: domain without MX records
	CodeRUAUnreachable      tlsrpt.Code = "rua-unreachable"          // error (probe): an https: host without an address; warning: one that does not answer
	CodeRUACertificate      tlsrpt.Code = "rua-certificate"          // warning (probe): an https: host whose certificate does not verify
)

// Check assesses domainName, a U-label or A-label name. It never fails:
// whatever goes wrong is a Finding. It returns when every step has ended
// or ctx is done.
func (c *Config) Check(ctx context.Context, domainName string) *Result {
	r := &Result{Domain: domainName, Findings: []Finding{}, MX: []MXHost{},
		TLSRPT: TLSRPT{TXT: []string{}, RUA: []RUA{}, Findings: []Finding{}},
		MTASTS: MTASTS{TXT: []string{}, MX: []string{}, Findings: []Finding{}}}
	d, err := domain.ToASCII(strings.TrimSuffix(domainName, "."))
	if err != nil {
		r.Findings = append(r.Findings, Finding{Severity: tlsrpt.SeverityError, Code: CodeInvalidDomain,
			Message: "not a domain name: " + err.Error()})
		r.sum()
		return r
	}
	r.Domain = d
	mx := c.lookupMX(ctx, r)
	tlsrptPublished := c.checkTLSRPT(ctx, r, mx)
	sts, stsPublished := c.checkMTASTS(ctx, r, mx)
	c.checkMXHosts(ctx, r, mx, sts)
	if !tlsrptPublished && !stsPublished {
		r.Findings = append(r.Findings, Finding{Severity: tlsrpt.SeverityError, Code: CodeNothingPublished,
			Message: "the domain publishes neither a TLS-RPT record (_smtp._tls." + d + ") nor an MTA-STS record (_mta-sts." + d +
				"): senders neither authenticate its MX hosts nor report TLS failures to it",
			Fix: "publish \"v=TLSRPTv1; rua=mailto:tlsrpt@" + d + "\" at _smtp._tls." + d + ", then an MTA-STS policy in mode testing"})
	}
	r.sum()
	return r
}

// sum sets the verdict and the counts.
func (r *Result) sum() {
	r.Errors, r.Warnings, r.Unchecked = 0, 0, 0
	count := func(fs []Finding) {
		for _, f := range fs {
			switch {
			case f.Temporary:
				r.Unchecked++
			case f.Severity == tlsrpt.SeverityError:
				r.Errors++
			case f.Severity == tlsrpt.SeverityWarning:
				r.Warnings++
			}
		}
	}
	count(r.Findings)
	count(r.TLSRPT.Findings)
	count(r.MTASTS.Findings)
	for _, h := range r.MX {
		count(h.Findings)
	}
	switch {
	case r.Unchecked > 0:
		r.Verdict = VerdictIncomplete
	case r.Errors > 0:
		r.Verdict = VerdictProblems
	default:
		r.Verdict = VerdictOK
	}
}

// mxList is the outcome of the MX lookup.
type mxList struct {
	hosts []*net.MX // without trailing dots; the domain itself when implicit
	// known is false when the lookup failed: the MX hosts are unknown.
	known    bool
	implicit bool
}

// names returns the MX host names, or nil when they are unknown.
func (m mxList) names() []string {
	if !m.known {
		return nil
	}
	out := []string{}
	for _, h := range m.hosts {
		out = append(out, h.Host)
	}
	return out
}

// lookupMX looks up the domain's MX hosts (RFC 5321 §5.1).
func (c *Config) lookupMX(ctx context.Context, r *Result) mxList {
	d := r.Domain
	lctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	mxs, err := c.resolver().LookupMX(lctx, d+".")
	switch {
	case err != nil && !isNotFound(err):
		r.Findings = append(r.Findings, temporary(CodeDNS, "the MX lookup of "+d+" failed: "+dnsText(err)))
		return mxList{}
	case len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == ""):
		// RFC 7505 §3: a single MX with the root as its host.
		r.Findings = append(r.Findings, Finding{Severity: tlsrpt.SeverityInfo, Code: CodeNullMX,
			Message: d + " has a null MX record (RFC 7505): it accepts no mail, so senders have no TLS to report"})
		return mxList{known: true}
	case len(mxs) == 0:
		// RFC 5321 §5.1: no MX records; the domain's own address is the MX.
		actx, cancel := context.WithTimeout(ctx, c.timeout())
		defer cancel()
		addrs, err := c.resolver().LookupNetIP(actx, "ip", d+".")
		switch {
		case err != nil && !isNotFound(err):
			r.Findings = append(r.Findings, temporary(CodeDNS, "the address lookup of "+d+" failed: "+dnsText(err)))
			return mxList{}
		case len(addrs) == 0:
			r.Findings = append(r.Findings, Finding{Severity: tlsrpt.SeverityError, Code: CodeNoMail,
				Message: d + " has neither MX records nor an address: senders cannot deliver mail to it",
				Fix:     "publish MX records for " + d})
			return mxList{known: true}
		}
		r.Findings = append(r.Findings, Finding{Severity: tlsrpt.SeverityInfo, Code: CodeNoMX,
			Message: d + " has no MX records: senders deliver to its own address (RFC 5321 §5.1)",
			Fix:     "publish an MX record naming the mail server"})
		return mxList{known: true, implicit: true, hosts: []*net.MX{{Host: d}}}
	}
	out := mxList{known: true}
	for _, m := range mxs {
		h := strings.ToLower(strings.TrimSuffix(m.Host, "."))
		if h == "" || slices.ContainsFunc(out.hosts, func(x *net.MX) bool { return x.Host == h }) {
			continue
		}
		out.hosts = append(out.hosts, &net.MX{Host: h, Pref: m.Pref})
	}
	slices.SortStableFunc(out.hosts, func(a, b *net.MX) int { return int(a.Pref) - int(b.Pref) })
	return out
}

// checkMXHosts checks every MX host, at the same time, each into its own
// slot of r.MX.
func (c *Config) checkMXHosts(ctx context.Context, r *Result, mx mxList, sts stsOutcome) {
	r.MX = make([]MXHost, len(mx.hosts))
	var wg sync.WaitGroup
	for i, m := range mx.hosts {
		h := &r.MX[i]
		*h = MXHost{Host: m.Host, Preference: m.Pref, Implicit: mx.implicit, Addresses: []string{}, Findings: []Finding{}}
		if sts.policy != nil {
			for _, p := range sts.policy.MX {
				// policy.STSPolicy.MatchMX: a policy of one pattern
				// matches that pattern alone.
				if (&policy.STSPolicy{MX: []string{p}}).MatchMX(m.Host) {
					h.STSPattern = p
					break
				}
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.checkHost(ctx, r.Domain, h, sts.applies)
		}()
	}
	wg.Wait()
}

func (c *Config) resolver() Resolver {
	if c.Resolver == nil {
		return net.DefaultResolver
	}
	return c.Resolver
}

func (c *Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func (c *Config) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Config) dns() policy.DNSExchanger {
	if c.DNS == nil {
		return &policy.DNSClient{Timeout: c.timeout()}
	}
	return c.DNS
}

// dial opens a TCP connection to addr ("host:port"): to the address
// ConnectTo maps it to, or to the host's addresses in order.
func (c *Config) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if to, ok := c.ConnectTo[strings.ToLower(addr)]; ok {
		var d net.Dialer
		return d.DialContext(ctx, network, to)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return dialAddrs(ctx, network, []netip.Addr{ip}, port)
	}
	addrs, err := c.resolver().LookupNetIP(ctx, "ip", strings.TrimSuffix(host, ".")+".")
	if err != nil {
		return nil, err
	}
	return dialAddrs(ctx, network, addrs, port)
}

// dialAddrs dials port on each of addrs in order and returns the first
// connection made; the error joins every attempt's.
func dialAddrs(ctx context.Context, network string, addrs []netip.Addr, port string) (net.Conn, error) {
	var d net.Dialer
	var errs []error
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, errors.New("check: no address to connect to")
	}
	return nil, errors.Join(errs...)
}

// isNotFound reports whether err says the name or the records do not
// exist (NXDOMAIN or NODATA), as opposed to a failed query.
func isNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// dnsText says why a DNS query failed, without the address of the server
// (the stub resolver's, which tells nothing).
func dnsText(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) {
		if de.IsTimeout {
			return "timeout"
		}
		return de.Err
	}
	return err.Error()
}

// temporary is a finding for something that could not be checked.
func temporary(code tlsrpt.Code, msg string) Finding {
	return Finding{Severity: tlsrpt.SeverityWarning, Code: code, Message: msg, Temporary: true}
}

// diagnostic turns a lint diagnostic into a finding; inTXT says that its
// Index and Offset locate it among TXT strings.
func diagnostic(d tlsrpt.Diagnostic, inTXT bool) Finding {
	return Finding{Severity: d.Severity, Code: d.Code, Message: d.Message, Fix: d.Fix,
		Path: d.Path, Index: d.Index, Offset: d.Offset, InTXT: inTXT}
}

// reported is a finding for a failure a sending MTA would report: err
// classified as aggregate.ClassifyTLSError classifies it, with msg for
// people.
func reported(sev tlsrpt.Severity, err error, msg, fix string) Finding {
	rt, code := aggregate.ClassifyTLSError(err)
	return Finding{Severity: sev, Code: tlsrpt.Code(rt), Message: msg, Fix: fix,
		ResultType: rt, ReasonCode: code, Advice: rt.Advice()}
}
