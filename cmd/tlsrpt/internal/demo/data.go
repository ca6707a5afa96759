package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// sender is a reporting organization and the habits of its software.
type sender struct {
	org, contact string
	// volume multiplies a domain's base sessions; skip is the chance of
	// sending no report on a day; delay is how long after the day's end the
	// report arrives.
	volume, skip float64
	delay        time.Duration
	// nextMidnight: end-datetime is the next day's 00:00:00Z (Mail.ru,
	// Stalwart) rather than 23:59:59Z.
	nextMidnight bool
	// https: posted to the https rua, so not DKIM-signed (untrusted).
	https bool
	// policyStrings and mxHosts: the sender fills policy-string and
	// mx-host of sts policies; maxAgeFirst: max_age before the mx lines
	// (Google).
	policyStrings, mxHosts, maxAgeFirst bool
	// bareSTS: MTA-STS failures without sending-mta-ip (Microsoft,
	// Mail.ru); helo: receiving-mx-helo is filled.
	bareSTS, helo bool
	// dane: the sender validates DANE and reports tlsa policies.
	dane  bool
	style string // failure-reason-code style, a key of reasons
	ips   []netip.Addr
	// dkim is the Trust.By of its verified mail.
	dkim string
}

// reportID returns the sender's report-id for its report of day on dom.
func (s *sender) reportID(g *gen, day time.Time, dom string) string {
	stamp := day.Format(time.RFC3339)
	switch s.style {
	case "microsoft":
		return fmt.Sprintf("%d+%s", 133_000_000_000_000_000+uint64(day.Unix())*100_000+g.rnd.Uint64N(100_000), dom)
	case "go":
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(g.rnd.UintN(256))
		}
		return fmt.Sprintf("%x-%x-%x-%x-%x@mail.ru", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	case "stalwart":
		return fmt.Sprintf("%d_%d", day.Unix(), g.rnd.Uint64())
	case "postfix":
		return stamp + "_idx1_" + dom
	}
	return stamp + "_" + dom
}

// trust is the verdict the ingest side reached on the sender's report of
// ago days before Now.
func (s *sender) trust(g *gen, ago int) store.Trust {
	switch {
	case s.https:
		return store.Trust{Verdict: store.VerdictUntrusted, Reason: "not a mail: nothing signs a report file or HTTPS submission (RFC 8460 §7)"}
	case s.style == "postfix" && ago == 2:
		return store.Trust{Verdict: store.VerdictRetry, Reason: "DNS lookup of mail2026._domainkey.university.example timed out"}
	case s.style == "postfix" && ago%9 == 0:
		return store.Trust{Verdict: store.VerdictUntrusted, By: s.dkim, Reason: "signature expired"}
	}
	d, _, _ := strings.Cut(strings.TrimPrefix(s.dkim, "dkim:d="), ";")
	return store.Trust{Verdict: store.VerdictTrusted, By: s.dkim, Reason: "valid signature d=" + d}
}

// sendingIP picks one of the sender's outbound addresses.
func (g *gen) sendingIP(s *sender) netip.Addr {
	return s.ips[g.rnd.IntN(len(s.ips))]
}

// fail returns one failure detail the way s reports it.
func (g *gen) fail(s *sender, rt report.ResultType, mx mxHost, n int64) report.FailureDetail {
	f := report.FailureDetail{ResultType: rt, FailedSessionCount: n, FailureReasonCode: reason(s, rt, mx.name)}
	if rt.Category() == report.CategorySTS {
		if !s.bareSTS {
			f.SendingMTAIP = g.sendingIP(s)
		}
		return f
	}
	f.SendingMTAIP = g.sendingIP(s)
	f.ReceivingMXHostname = mx.name
	f.ReceivingIP = mx.ip
	if s.helo {
		f.ReceivingMXHelo = mx.name
	}
	if s.style == "google" && rt == report.ResultCertificateExpired {
		f.AdditionalInformation = "https://support.google.com/a/answer/9261504"
	}
	return f
}

// part returns between lo and hi of n, at least 1.
func (g *gen) part(n int64, lo, hi float64) int64 {
	return max(int64(float64(n)*(lo+(hi-lo)*g.rnd.Float64())), 1)
}

// between returns a number in [lo, hi].
func (g *gen) between(lo, hi int64) int64 {
	return lo + g.rnd.Int64N(hi-lo+1)
}

// chance reports true with probability p.
func (g *gen) chance(p float64) bool { return g.rnd.Float64() < p }

// The senders.
var (
	google = &sender{
		org: "Google Inc.", contact: "smtp-tls-reporting@google.com",
		volume: 1, delay: 3 * time.Hour,
		policyStrings: true, mxHosts: true, maxAgeFirst: true,
		style: "google", dkim: "dkim:d=google.com; s=20230601",
		ips: addrs("198.51.100.17", "198.51.100.18", "198.51.100.33", "2001:db8:4860:4::1b", "2001:db8:4860:4::1c"),
	}
	microsoft = &sender{
		org: "Microsoft Corporation", contact: "tlsrpt-noreply@microsoft.com",
		volume: 0.6, delay: 9 * time.Hour,
		policyStrings: true, bareSTS: true, dane: true,
		style: "microsoft", dkim: "dkim:d=microsoft.com; s=selector1",
		ips: addrs("198.51.100.130", "198.51.100.131", "198.51.100.146", "2001:db8:a01:3::12"),
	}
	mailru = &sender{
		org: "Mail.ru", contact: "tls_support@corp.mail.ru",
		volume: 0.08, skip: 0.1, delay: 5 * time.Hour, nextMidnight: true,
		policyStrings: true, bareSTS: true,
		style: "go", dkim: "dkim:d=mail.ru; s=mail4",
		ips: addrs("203.0.113.36", "203.0.113.37"),
	}
	stalwart = &sender{
		org: "mx.mailbox-hosting.example", contact: "postmaster@mailbox-hosting.example",
		volume: 0.02, skip: 0.15, delay: 30 * time.Minute, nextMidnight: true, https: true,
		policyStrings: true, mxHosts: true, helo: true, dane: true,
		style: "stalwart",
		ips:   addrs("203.0.113.120", "2001:db8:5a1:1::25"),
	}
	postfix = &sender{
		org: "smtp.university.example", contact: "smtp-tls-reporting@university.example",
		volume: 0.01, skip: 0.2, delay: 90 * time.Minute,
		policyStrings: true, mxHosts: true, helo: true, dane: true,
		style: "postfix", dkim: "dkim:d=university.example; s=mail2026",
		ips: addrs("203.0.113.200", "2001:db8:beef::25"),
	}
)

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// mxHost is a receiving MX host of a policy domain.
type mxHost struct {
	name string
	ip   netip.Addr
}

func mx(name, ip string) mxHost { return mxHost{name, netip.MustParseAddr(ip)} }

// The receiving MX hosts.
var (
	mx1Com    = mx("mx1.example.com", "192.0.2.25")
	mx1Com6   = mx("mx1.example.com", "2001:db8:25::25")
	mx2Com    = mx("mx2.example.com", "192.0.2.26")
	mailOrg   = mx("mail.example.org", "192.0.2.40")
	backupOrg = mx("backup.mx.example.org", "192.0.2.41")
	mx1Dane   = mx("mx1.dane.example", "192.0.2.60")
	mx2Dane   = mx("mx2.dane.example", "2001:db8:25::61")
	legacyMX  = mx("mx.legacy.example", "192.0.2.80")
)

// reasons are failure-reason-codes per sender style and result type; %s
// is the host (the MX host, or the mta-sts host for MTA-STS failures).
var reasons = map[string]map[report.ResultType]string{
	"google": {
		report.ResultCertificateHostMismatch: "X509_V_ERR_HOSTNAME_MISMATCH",
		report.ResultCertificateExpired:      "X509_V_ERR_CERT_HAS_EXPIRED",
		report.ResultCertificateNotTrusted:   "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT",
		report.ResultValidationFailure:       "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
		report.ResultSTARTTLSNotSupported:    "STARTTLS not offered in the EHLO response",
		report.ResultSTSWebPKIInvalid:        "X509_V_ERR_CERT_HAS_EXPIRED for %s",
		report.ResultSTSPolicyFetchError:     "HTTP 404 fetching https://%s/.well-known/mta-sts.txt",
	},
	"microsoft": {
		report.ResultCertificateHostMismatch: "TLS certificate name does not match the host %s",
		report.ResultCertificateExpired:      "The remote certificate has expired",
		report.ResultValidationFailure:       "TLS handshake failed: the remote certificate is invalid according to the validation procedure",
		report.ResultSTARTTLSNotSupported:    "451 5.7.3 STARTTLS is required to send mail",
		report.ResultSTSWebPKIInvalid:        "The remote certificate of %s is invalid",
		report.ResultSTSPolicyFetchError:     "bad https response code: 404",
		report.ResultTLSAInvalid:             "No TLSA record matched the certificate presented by %s",
		report.ResultDNSSECInvalid:           "DNSSEC validation failed for _25._tcp.%s",
		report.ResultDANERequired:            "TLSA records are published but %s did not offer STARTTLS",
	},
	"go": {
		report.ResultCertificateHostMismatch: "x509: certificate is valid for mail.hosting.example, not %s",
		report.ResultCertificateExpired:      "x509: certificate has expired or is not yet valid",
		report.ResultSTSPolicyFetchError:     `unable to do http request: Get "https://%s/.well-known/mta-sts.txt": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
	},
	"stalwart": {
		report.ResultCertificateExpired:    "Certificate expired",
		report.ResultSTARTTLSNotSupported:  "STARTTLS not supported by %s",
		report.ResultSTSPolicyInvalid:      "Invalid mode \"enforcing\" in MTA-STS policy",
		report.ResultTLSAInvalid:           "No matching TLSA record for %s",
		report.ResultDNSSECInvalid:         "DNSSEC validation failed",
		report.ResultCertificateNotTrusted: "Certificate is not trusted",
	},
	"postfix": {
		report.ResultCertificateHostMismatch: "X509_V_ERR_HOSTNAME_MISMATCH",
		report.ResultCertificateExpired:      "X509_V_ERR_CERT_HAS_EXPIRED",
		report.ResultCertificateNotTrusted:   "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT",
		report.ResultSTARTTLSNotSupported:    "smtp_tls_security_level=dane: STARTTLS not offered",
		report.ResultTLSAInvalid:             "tlsa-invalid: no TLSA record of _25._tcp.%s matches the certificate chain",
		report.ResultDNSSECInvalid:           "dnssec-invalid: _25._tcp.%s TLSA lookup is bogus",
		report.ResultDANERequired:            "dane-required: STARTTLS not offered by %s",
	},
}

// reason returns s's failure-reason-code for rt on host ("" when the
// sender gives none).
func reason(s *sender, rt report.ResultType, host string) string {
	r := reasons[s.style][rt]
	if strings.Contains(r, "%s") {
		return fmt.Sprintf(r, host)
	}
	return r
}

// sts returns the sts policy block s reports for dom.
func sts(s *sender, dom, mode string, mxs ...string) (policy.Policy, error) {
	lines := []string{"version: STSv1", "mode: " + mode}
	const maxAge = "max_age: 604800"
	if s.maxAgeFirst {
		lines = append(lines, maxAge)
	}
	for _, m := range mxs {
		lines = append(lines, "mx: "+m)
	}
	if !s.maxAgeFirst {
		lines = append(lines, maxAge)
	}
	p, err := policy.FromSTSText(dom, strings.Join(lines, "\n")+"\n")
	if err != nil {
		return p, fmt.Errorf("demo: %w", err)
	}
	if !s.policyStrings {
		p.Strings = nil
	}
	if !s.mxHosts {
		p.MXHosts = nil
	}
	return p, nil
}

// daneTLSA are dane.example's TLSA records: the current key and the next
// one, published ahead of the rollover (RFC 7671 §8.1).
func daneTLSA() []policy.TLSA {
	var rrs []policy.TLSA
	for _, k := range []string{"dane.example key 2026", "dane.example key 2027"} {
		sum := sha256.Sum256([]byte(k))
		rrs = append(rrs, policy.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: sum[:]})
	}
	return rrs
}

// domainSpec is a policy domain and its month.
type domainSpec struct {
	name    string
	base    int64 // sessions a day seen by Google; others scale by volume
	senders []*sender
	// firstAgo > 0: no report before that many days ago.
	firstAgo int
	// stops reports whether s has stopped reporting on the domain.
	stops    func(s *sender, ago int) bool
	policies func(s *sender, ago int) ([]policy.Policy, error)
	failures func(g *gen, s *sender, ago int, sessions int64) []report.FailureDetail
	// deviation, when set, says on which sender's report of which day the
	// stored input deviates, and how.
	deviation *deviation
}

// deviation turns one report's canonical JSON into the deviating JSON
// its sender mailed.
type deviation struct {
	sender *sender
	ago    int
	apply  func(r *report.Report, canon []byte) ([]byte, error)
}

// domains are the policy domains of the demo, in the order reports are
// generated for a day.
var domains = []*domainSpec{
	{
		name: "example.com", base: 900,
		senders: []*sender{google, microsoft, mailru, stalwart, postfix},
		policies: func(s *sender, ago int) ([]policy.Policy, error) {
			p, err := sts(s, "example.com", "enforce", "mx1.example.com", "mx2.example.com")
			return []policy.Policy{p}, err
		},
		failures: func(g *gen, s *sender, ago int, n int64) []report.FailureDetail {
			var out []report.FailureDetail
			if (s == google || s == postfix || s == mailru) && g.chance(0.35) {
				out = append(out, g.fail(s, report.ResultCertificateHostMismatch, mx1Com6, g.between(1, 4)))
			}
			if (s == stalwart || s == microsoft) && g.chance(0.2) {
				out = append(out, g.fail(s, report.ResultSTARTTLSNotSupported, mx2Com, g.between(1, 2)))
			}
			if ago <= 4 { // mx2's certificate expired
				out = append(out, g.fail(s, report.ResultCertificateExpired, mx2Com, g.part(n, 0.3, 0.4)))
			}
			return out
		},
	},
	{
		name: "example.net", base: 400,
		senders: []*sender{google, microsoft, mailru, stalwart},
		policies: func(s *sender, ago int) ([]policy.Policy, error) {
			p, err := sts(s, "example.net", "testing", "mx.example.net")
			return []policy.Policy{p}, err
		},
	},
	{
		name: "example.org", base: 250,
		senders: []*sender{google, microsoft, mailru, stalwart, postfix},
		stops:   func(s *sender, ago int) bool { return s == mailru && ago <= 8 },
		policies: func(s *sender, ago int) ([]policy.Policy, error) {
			mode := "testing"
			if s == stalwart && ago >= 10 && ago <= 12 {
				mode = "enforcing" // the typo that made the policy invalid
			}
			p, err := sts(s, "example.org", mode, "mail.example.org", "*.mx.example.org")
			return []policy.Policy{p}, err
		},
		failures: func(g *gen, s *sender, ago int, n int64) []report.FailureDetail {
			sts := mxHost{name: "mta-sts.example.org"}
			var out []report.FailureDetail
			if ago >= 18 && ago <= 22 && (s == google || s == microsoft) {
				out = append(out, g.fail(s, report.ResultSTSWebPKIInvalid, sts, g.part(n, 0.2, 0.4)))
			}
			if (s == mailru && g.chance(0.5)) || (s == microsoft && g.chance(0.15)) {
				out = append(out, g.fail(s, report.ResultSTSPolicyFetchError, sts, g.between(1, 3)))
			}
			if s == stalwart && ago >= 10 && ago <= 12 {
				out = append(out, g.fail(s, report.ResultSTSPolicyInvalid, sts, g.part(n, 0.8, 1)))
			}
			if (s == google || s == postfix || s == stalwart) && g.chance(0.5) {
				out = append(out, g.fail(s, report.ResultCertificateNotTrusted, backupOrg, g.between(1, 6)))
			}
			if (s == google || s == microsoft) && g.chance(0.2) {
				out = append(out, g.fail(s, report.ResultValidationFailure, mailOrg, g.between(1, 3)))
			}
			return out
		},
		deviation: &deviation{sender: stalwart, ago: 5, apply: mxPrefix},
	},
	{
		name: "dane.example", base: 120,
		senders: []*sender{google, microsoft, mailru, stalwart, postfix},
		policies: func(s *sender, ago int) ([]policy.Policy, error) {
			var (
				p   policy.Policy
				err error
			)
			if s.dane {
				p, err = policy.FromTLSA("dane.example", daneTLSA())
			} else {
				p, err = policy.NoPolicyFound("dane.example")
			}
			if err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
			return []policy.Policy{p}, nil
		},
		failures: func(g *gen, s *sender, ago int, n int64) []report.FailureDetail {
			if !s.dane {
				return nil
			}
			var out []report.FailureDetail
			if ago >= 12 && ago <= 14 { // mx2 got the new certificate before its TLSA record
				out = append(out, g.fail(s, report.ResultTLSAInvalid, mx2Dane, g.part(n, 0.4, 0.5)))
			}
			if (ago == 6 || ago == 7) && s != stalwart { // a botched DS update
				out = append(out, g.fail(s, report.ResultDNSSECInvalid, mx1Dane, g.part(n, 0.5, 0.6)))
			}
			if (s == postfix || s == microsoft) && g.chance(0.2) {
				out = append(out, g.fail(s, report.ResultDANERequired, mx2Dane, 1))
			}
			return out
		},
		deviation: &deviation{sender: microsoft, ago: 3, apply: microsoftQuirks},
	},
	{
		name: "legacy.example", base: 60,
		senders: []*sender{google, microsoft, postfix},
		policies: func(s *sender, ago int) ([]policy.Policy, error) {
			p, err := policy.NoPolicyFound("legacy.example")
			if err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
			return []policy.Policy{p}, nil
		},
		failures: func(g *gen, s *sender, ago int, n int64) []report.FailureDetail {
			if s == microsoft || !g.chance(0.6) {
				return nil
			}
			return []report.FailureDetail{g.fail(s, report.ResultSTARTTLSNotSupported, legacyMX, g.part(n, 0.03, 0.1))}
		},
	},
	{
		name: "new.example", base: 50, firstAgo: 4,
		senders: []*sender{google},
		policies: func(s *sender, ago int) ([]policy.Policy, error) {
			p, err := sts(s, "new.example", "testing", "mx.new.example")
			return []policy.Policy{p}, err
		},
	},
}

// mxPrefix writes mx-host entries with the policy-string's "mx: " prefix,
// as a Stalwart-style report did (report.CodeMXHostPrefix).
func mxPrefix(r *report.Report, canon []byte) ([]byte, error) {
	hosts := r.Policies[0].Policy.MXHosts
	prefixed := make([]string, len(hosts))
	for i, h := range hosts {
		prefixed[i] = "mx: " + h
	}
	return replaceJSON(canon, "mx-host", hosts, prefixed)
}

// microsoftQuirks writes the date-times without time zone and the TLSA
// records as one string holding a JSON array in upper-case hex, as
// Microsoft's reports do (report.CodeDateTimeNoZone,
// report.CodePolicyStringJSON).
func microsoftQuirks(r *report.Report, canon []byte) ([]byte, error) {
	out := canon
	for _, t := range []time.Time{r.DateRange.Start, r.DateRange.End} {
		z := t.Format(time.RFC3339)
		out = bytes.Replace(out, []byte(`"`+z+`"`), []byte(`"`+strings.TrimSuffix(z, "Z")+`"`), 1)
	}
	strs := r.Policies[0].Policy.Strings
	upper := make([]string, len(strs))
	for i, s := range strs {
		upper[i] = strings.ToUpper(s)
	}
	inner, err := json.Marshal(upper)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return replaceJSON(out, "policy-string", strs, []string{string(inner)})
}

// replaceJSON replaces the member name: old (a string array) with
// name: new in data, once.
func replaceJSON(data []byte, name string, old, new []string) ([]byte, error) {
	o, err := json.Marshal(old)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	n, err := json.Marshal(new)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	from := append([]byte(`"`+name+`":`), o...)
	if !bytes.Contains(data, from) {
		return nil, fmt.Errorf("demo: %s not found in the canonical JSON", from)
	}
	return bytes.Replace(data, from, append([]byte(`"`+name+`":`), n...), 1), nil
}
