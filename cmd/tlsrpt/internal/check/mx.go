package check

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// checkHost fills h: addresses, the SMTP session, the certificate and
// DANE. stsApplies says that senders apply an MTA-STS policy to the
// domain.
func (c *Config) checkHost(ctx context.Context, d string, h *MXHost, stsApplies bool) {
	lctx, cancel := context.WithTimeout(ctx, c.timeout())
	addrs, err := c.resolver().LookupNetIP(lctx, "ip", h.Host+".")
	cancel()
	switch {
	case err != nil && !isNotFound(err):
		h.Findings = append(h.Findings, temporary(CodeDNS, "the address lookup of "+h.Host+" failed: "+dnsText(err)))
		return
	case len(addrs) == 0:
		h.Findings = append(h.Findings, Finding{Severity: tlsrpt.SeverityError, Code: CodeMXNoAddress,
			Message: h.Host + " has no A or AAAA record: senders cannot deliver to it",
			Fix:     "publish the address of " + h.Host + ", or remove its MX record"})
		return
	}
	for _, a := range addrs {
		h.Addresses = append(h.Addresses, a.Unmap().String())
	}
	if c.NoMX {
		return
	}
	h.Checked = true
	state := c.session(ctx, h, addrs)
	var chain []*x509.Certificate
	if state != nil {
		h.STARTTLS = true
		h.TLSVersion = tls.VersionName(state.Version)
		chain = state.PeerCertificates
		if state.Version < tls.VersionTLS12 {
			h.Findings = append(h.Findings, Finding{Severity: tlsrpt.SeverityWarning, Code: CodeOldTLS,
				Message: h.Host + " negotiated " + h.TLSVersion + ", which RFC 8996 deprecates; many senders refuse it and then deliver without TLS or report validation-failure",
				Fix:     "enable TLS 1.2 and TLS 1.3 on the SMTP server"})
		}
	}
	daneOK, daneFindings := c.dane(ctx, d, h, chain)
	if len(chain) > 0 {
		c.certificate(h, chain, stsApplies, daneOK)
	}
	h.Findings = append(h.Findings, daneFindings...)
}

// session connects to port 25 of h, says EHLO, STARTTLS and EHLO again,
// and returns the TLS state; nil, with a finding, when it got no TLS.
func (c *Config) session(ctx context.Context, h *MXHost, addrs []netip.Addr) *tls.ConnectionState {
	sctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	var conn net.Conn
	var err error
	if _, ok := c.ConnectTo[h.Host+":25"]; ok {
		conn, err = c.dial(sctx, "tcp", h.Host+":25")
	} else {
		conn, err = dialAddrs(sctx, "tcp", addrs, "25")
	}
	if err != nil {
		h.Findings = append(h.Findings, temporary(CodeConnect, "could not connect to "+h.Host+" on port 25: "+err.Error()+
			" (when every MX host fails like this, the network the check runs from may block outbound port 25)"))
		return nil
	}
	defer conn.Close()
	// go-smtp sets its own 5-minute deadlines on every command; closing
	// the connection is what ends a session that takes too long.
	stop := context.AfterFunc(sctx, func() { conn.Close() })
	defer stop()
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		h.Address = ta.AddrPort().Addr().Unmap().String()
	}
	// The certificate is judged after the handshake, every property on its
	// own, so the handshake accepts any; TLS 1.0 is allowed so that an old
	// server is seen rather than refused.
	cfg := &tls.Config{ServerName: h.Host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}
	cl, err := smtp.NewClientStartTLS(conn, cfg)
	if err != nil {
		rt, _ := aggregate.ClassifyTLSError(err)
		var se *smtp.SMTPError
		switch {
		case rt == report.ResultSTARTTLSNotSupported:
			msg := h.Host + " does not offer STARTTLS: mail to it travels in plain text, and no MTA-STS or DANE policy can be met"
			if errors.As(err, &se) {
				msg = h.Host + " refused STARTTLS (" + strconv.Itoa(se.Code) + " " + se.Message + "): mail to it travels in plain text"
			}
			h.Findings = append(h.Findings, reported(tlsrpt.SeverityError, err, msg, "turn on STARTTLS with a certificate for "+h.Host))
		case sctx.Err() != nil:
			h.Findings = append(h.Findings, temporary(CodeSMTP, "the SMTP session with "+h.Host+" took longer than "+c.timeout().String()+" before STARTTLS"))
		case errors.As(err, &se):
			h.Findings = append(h.Findings, temporary(CodeSMTP, h.Host+" refused the SMTP session before STARTTLS ("+
				strconv.Itoa(se.Code)+" "+se.Message+"); it may refuse the address the check runs from"))
		default:
			h.Findings = append(h.Findings, temporary(CodeSMTP, "the SMTP session with "+h.Host+" failed before STARTTLS: "+err.Error()))
		}
		return nil
	}
	defer cl.Close()
	// STARTTLS was accepted; the handshake happens with the next command.
	helloErr := cl.Hello(c.helloName())
	st, ok := cl.TLSConnectionState()
	if !ok || !st.HandshakeComplete {
		if sctx.Err() != nil {
			h.Findings = append(h.Findings, temporary(CodeSMTP, "the TLS handshake with "+h.Host+" took longer than "+c.timeout().String()))
			return nil
		}
		if helloErr == nil {
			helloErr = errors.New("no TLS session")
		}
		h.Findings = append(h.Findings, reported(tlsrpt.SeverityError, helloErr,
			"the TLS handshake with "+h.Host+" failed after STARTTLS: "+helloErr.Error(),
			"compare the TLS versions and cipher suites the SMTP server allows with those of common senders"))
		return nil
	}
	cl.Quit()
	return &st
}

func (c *Config) helloName() string {
	if c.HelloName == "" {
		return "localhost"
	}
	return c.HelloName
}

// certificate judges the server certificate of h: its names, its
// validity at Config.Now and its chain to the roots, each on its own.
func (c *Config) certificate(h *MXHost, chain []*x509.Certificate, stsApplies, daneOK bool) {
	now := c.now()
	leaf := chain[0]
	cert := &Certificate{
		Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), DNSNames: append([]string{}, leaf.DNSNames...),
		NotBefore: leaf.NotBefore.UTC(), NotAfter: leaf.NotAfter.UTC(), DaysLeft: daysLeft(now, leaf.NotAfter),
		TLSA311: tlsa311(leaf),
	}
	h.Certificate = cert
	// How much a certificate problem matters depends on what senders
	// apply: MTA-STS validates names, dates and the chain (RFC 8461
	// §4.2); DANE-EE and DANE-TA ignore what the TLSA record overrides
	// (RFC 7672 §3.1); without a policy any certificate will do.
	sev, why := tlsrpt.SeverityWarning, "; senders without an MTA-STS or DANE policy for the host deliver anyway, but an MTA-STS policy cannot work with it"
	switch {
	case stsApplies:
		sev, why = tlsrpt.SeverityError, "; senders applying the domain's MTA-STS policy fail here"
	case daneOK:
		sev, why = tlsrpt.SeverityInfo, "; DANE senders do not mind (a TLSA record matches), but an MTA-STS policy cannot work with it"
	}

	if err := leaf.VerifyHostname(h.Host); err != nil {
		h.Findings = append(h.Findings, reported(sev, err,
			"the certificate is not valid for "+h.Host+" (its names: "+namesOf(leaf)+")"+why,
			"install a certificate whose subject alternative names include "+h.Host))
	} else {
		cert.ValidForHost = true
	}

	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	switch {
	case now.After(leaf.NotAfter):
		err := x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired,
			Detail: "current time " + now.UTC().Format(time.RFC3339) + " is after " + leaf.NotAfter.UTC().Format(time.RFC3339)}
		h.Findings = append(h.Findings, reported(sev, err,
			"the certificate expired on "+day(leaf.NotAfter)+" ("+plural(-cert.DaysLeft, "day")+" ago)"+why,
			"renew the certificate and reload the SMTP server"))
	case now.Before(leaf.NotBefore):
		err := x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired,
			Detail: "current time " + now.UTC().Format(time.RFC3339) + " is before " + leaf.NotBefore.UTC().Format(time.RFC3339)}
		h.Findings = append(h.Findings, reported(sev, err,
			"the certificate is not valid before "+day(leaf.NotBefore)+why,
			"check the clock of the machine that issued it, or wait"))
	case leaf.NotAfter.Sub(now) < expiresSoon:
		h.Findings = append(h.Findings, Finding{Severity: tlsrpt.SeverityWarning, Code: CodeExpiresSoon,
			Message: "the certificate expires on " + day(leaf.NotAfter) + ", in " + plural(cert.DaysLeft, "day") + ": is its automatic renewal working?",
			Fix:     "renew the certificate and reload the SMTP server"})
	}

	// The chain, judged at a time the server certificate is valid, so that
	// an expired certificate is not called untrusted as well.
	at := now
	if at.After(leaf.NotAfter) {
		at = leaf.NotAfter.Add(-time.Second)
	}
	if at.Before(leaf.NotBefore) {
		at = leaf.NotBefore.Add(time.Second)
	}
	inter := x509.NewCertPool()
	for _, ic := range chain[1:] {
		inter.AddCert(ic)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: c.RootCAs, Intermediates: inter, CurrentTime: at}); err != nil {
		h.Findings = append(h.Findings, reported(sev, err,
			"the certificate chain does not lead to a trusted root: "+err.Error()+why,
			"use a certificate from a publicly trusted authority and send its intermediates"))
	} else {
		cert.Trusted = true
	}
}

// dane looks up the TLSA records of h and matches them against chain
// (RFC 7672). It reports whether an authenticated record matched, and
// its findings.
func (c *Config) dane(ctx context.Context, d string, h *MXHost, chain []*x509.Certificate) (bool, []Finding) {
	name := "_25._tcp." + h.Host
	lctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	rrs, ad, err := policy.LookupTLSA(lctx, c.dns(), h.Host, 25)
	var pe *policy.Error
	switch {
	case errors.As(err, &pe):
		return false, []Finding{reported(tlsrpt.SeverityError, err,
			"the resolver answered SERVFAIL for the TLSA records at "+name+": DNSSEC validation fails, and DANE senders do not deliver to "+h.Host+" (RFC 7672 §2.1.1)", "")}
	case err != nil:
		return false, []Finding{temporary(CodeDNS, "the TLSA lookup of "+name+" failed: "+dnsText(err))}
	case len(rrs) == 0:
		return false, nil
	}
	var out []Finding
	dn := &DANE{Name: name, TLSA: []string{}, Authenticated: ad}
	for _, rr := range rrs {
		dn.TLSA = append(dn.TLSA, rr.String())
	}
	h.DANE = dn
	if !ad {
		out = append(out, Finding{Severity: tlsrpt.SeverityWarning, Code: CodeTLSAUnauthenticated,
			Message: "the resolver did not mark the TLSA answer for " + name + " as DNSSEC-authenticated (no AD bit): either the zone is not signed, and senders ignore the records (RFC 7672 §2.2), or the resolver the check asks does not validate (see --resolver)",
			Fix:     "sign the zone of " + h.Host + " with DNSSEC"})
	}
	matched := false
	if len(chain) > 0 {
		rr, err := policy.MatchTLSA(rrs, chain, c.now(), h.Host)
		if err != nil {
			msg := "no TLSA record at " + name + " matches the certificate chain " + h.Host + " presented"
			if pe := (*policy.Error)(nil); errors.As(err, &pe) && pe.Code != "tlsa-mismatch" && pe.Err != nil {
				msg += ": " + pe.Err.Error() // why a DANE-TA record that matched still failed
			}
			out = append(out, reported(tlsrpt.SeverityError, err, msg,
				"publish \""+tlsa311(chain[0])+"\" at "+name+" (DANE-EE, the server key's SHA-256), and remove the stale records once it is in place"))
		} else {
			dn.Match = rr.String()
			matched = ad
		}
	}
	// RFC 8460 §3 and RFC 7672 §2.2.3: the policy domain of DANE is the
	// MX host, so senders report DANE results to _smtp._tls.<mx host>.
	if h.Host != d {
		lctx, cancel := context.WithTimeout(ctx, c.timeout())
		_, txts, err := dnsrecord.Lookup(lctx, c.resolver(), h.Host, nil)
		cancel()
		if errors.Is(err, dnsrecord.ErrNoRecord) && len(txts) == 0 {
			out = append(out, Finding{Severity: tlsrpt.SeverityInfo, Code: CodeDANENoTLSRPT,
				Message: "senders report DANE results for " + h.Host + " to _smtp._tls." + h.Host + ", which has no TLS-RPT record",
				Fix:     "publish a TLS-RPT record at _smtp._tls." + h.Host})
		}
	}
	return matched, out
}

// tlsa311 is the DANE-EE SPKI SHA2-256 TLSA record of c (RFC 7671 §5.1).
func tlsa311(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return "3 1 1 " + hex.EncodeToString(sum[:])
}

// daysLeft is the number of whole days from now to t, rounded down.
func daysLeft(now, t time.Time) int {
	return int(math.Floor(t.Sub(now).Hours() / 24))
}

func namesOf(c *x509.Certificate) string {
	if len(c.DNSNames) > 0 {
		return strings.Join(c.DNSNames, ", ")
	}
	if c.Subject.CommonName != "" {
		return "CN " + c.Subject.CommonName + ", no DNS names"
	}
	return "none"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
