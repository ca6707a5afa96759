package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt/ingest"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// recipient is a recipient domain of the scenario: how its MX host and
// policies are set up, how many sessions the MTA opens to it during the
// day, and where its reports go.
type recipient struct {
	domain   string
	sessions int
	mxCert   mxCert
	policy   policyKind
	rua      string // "https", "https-flaky" (503 at first) or "mailto"
	// want is what every session to the domain records: "success" or the
	// result type of its failure.
	want report.ResultType
}

// mxCert is the certificate an MX host presents.
type mxCert int

const (
	certGood       mxCert = iota // issued by the CA for the MX name, valid
	certExpired                  // issued by the CA, expired yesterday
	certSelfSigned               // self-signed
	certWrongName                // issued by the CA for another name
	certNone                     // the server offers no STARTTLS
)

// policyKind is the policy a recipient domain publishes.
type policyKind int

const (
	polNone       policyKind = iota // neither MTA-STS nor DANE
	polSTS                          // MTA-STS, mode enforce
	polSTS404                       // an _mta-sts record, but the policy URL answers 404
	polSTSBadCert                   // the policy host's certificate is self-signed
	polDANE                         // DANE-EE TLSA matching the MX host's key
	polDANEBad                      // DANE-EE TLSA matching another key
)

// scenario is the day: 37 sessions to 9 recipient domains.
var scenario = []recipient{
	{domain: "good.example", sessions: 12, mxCert: certGood, policy: polSTS, rua: "https", want: "success"},
	{domain: "expired.example", sessions: 3, mxCert: certExpired, policy: polSTS, rua: "mailto", want: report.ResultCertificateExpired},
	{domain: "selfsigned.example", sessions: 3, mxCert: certSelfSigned, policy: polSTS, rua: "https", want: report.ResultCertificateNotTrusted},
	{domain: "wrongname.example", sessions: 2, mxCert: certWrongName, policy: polSTS, rua: "mailto", want: report.ResultCertificateHostMismatch},
	{domain: "plain.example", sessions: 4, mxCert: certNone, policy: polNone, rua: "https", want: report.ResultSTARTTLSNotSupported},
	{domain: "dane.example", sessions: 6, mxCert: certSelfSigned, policy: polDANE, rua: "mailto", want: "success"},
	{domain: "danebad.example", sessions: 2, mxCert: certSelfSigned, policy: polDANEBad, rua: "https-flaky", want: report.ResultTLSAInvalid},
	{domain: "sts404.example", sessions: 3, mxCert: certGood, policy: polSTS404, rua: "https", want: report.ResultSTSPolicyFetchError},
	{domain: "stsbadcert.example", sessions: 2, mxCert: certGood, policy: polSTSBadCert, rua: "mailto", want: report.ResultSTSWebPKIInvalid},
}

// policyDomain returns the policy domain of r's reports: the recipient
// domain, or for DANE the TLSA base domain, the MX host.
func (r recipient) policyDomain() string {
	if r.policy == polDANE || r.policy == polDANEBad {
		return "mx." + r.domain
	}
	return r.domain
}

// world is the loopback Internet of the scenario.
type world struct {
	pki     *pki
	dns     *zone
	servers servers
	dkim    ed25519.PrivateKey

	mx       map[string]*mailServer // by MX host name
	inbox    *mailServer            // mx.rcv.example, where mailto reports arrive
	https    []*http.Server
	receiver *postbox
}

// postbox keeps the reports the HTTPS receiver accepted.
type postbox struct {
	mu       sync.Mutex
	received []*ingest.Received
	posts    map[string]int // POSTs per path
}

// startWorld makes the certificates, fills the DNS and starts every
// server of the scenario.
func startWorld() (w *world, err error) {
	p, err := newPKI()
	if err != nil {
		return nil, err
	}
	_, dkimKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	dkimRecord, err := mime.DKIMKeyRecord(dkimKey.Public())
	if err != nil {
		return nil, err
	}
	loopback := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	w = &world{
		pki: p,
		dns: &zone{
			txt: map[string][]string{
				// The MTA's report signing key (RFC 8460 §3, RFC 6376 §3.6.1).
				"tlsrpt._domainkey.mail.example": {dkimRecord},
			},
			mx:   map[string][]*net.MX{"rcv.example": {{Host: "mx.rcv.example.", Pref: 10}}},
			addr: map[string][]netip.Addr{"mx.rcv.example": loopback},
			tlsa: map[string][]policy.TLSA{},
		},
		servers:  servers{},
		dkim:     dkimKey,
		mx:       map[string]*mailServer{},
		receiver: &postbox{posts: map[string]int{}},
	}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	now := time.Now()
	valid := func(names ...string) (tls.Certificate, error) {
		return p.issue(now.Add(-time.Hour), now.Add(48*time.Hour), false, names...)
	}

	var stsNames []string
	for _, r := range scenario {
		mx := "mx." + r.domain
		w.dns.mx[r.domain] = []*net.MX{{Host: mx + ".", Pref: 10}}
		w.dns.addr[mx] = loopback
		rua := "https://reports.rcv.example/tlsrpt/" + r.policyDomain()
		switch r.rua {
		case "https-flaky":
			rua = "https://reports.rcv.example/flaky/" + r.policyDomain()
		case "mailto":
			rua = "mailto:tlsrpt@rcv.example"
		}
		// The policy domain's TLS-RPT record (RFC 8460 §3).
		w.dns.txt["_smtp._tls."+r.policyDomain()] = []string{"v=TLSRPTv1; rua=" + rua}

		var cert *tls.Certificate
		var c tls.Certificate
		switch r.mxCert {
		case certGood:
			c, err = valid(mx)
		case certExpired:
			c, err = p.issue(now.Add(-72*time.Hour), now.Add(-24*time.Hour), false, mx)
		case certSelfSigned:
			c, err = p.issue(now.Add(-time.Hour), now.Add(48*time.Hour), true, mx)
		case certWrongName:
			c, err = valid("mx.elsewhere.example")
		}
		if err != nil {
			return nil, err
		}
		if r.mxCert != certNone {
			cert = &c
		}
		ms, err := startMailServer(mx, cert)
		if err != nil {
			return nil, err
		}
		w.mx[mx] = ms
		w.servers[mx] = ms.addr

		switch r.policy {
		case polSTS, polSTS404, polSTSBadCert:
			// RFC 8461 §3.1: the record whose id says which policy is
			// current.
			w.dns.txt["_mta-sts."+r.domain] = []string{"v=STSv1; id=20261124T000000;"}
			w.dns.addr["mta-sts."+r.domain] = loopback
			if r.policy != polSTSBadCert {
				stsNames = append(stsNames, "mta-sts."+r.domain)
			}
		case polDANE, polDANEBad:
			// RFC 7672 §3.1.1: DANE-EE(3) SPKI(1) SHA2-256(1).
			spki := sha256.Sum256(c.Leaf.RawSubjectPublicKeyInfo)
			if r.policy == polDANEBad {
				spki = sha256.Sum256([]byte("a key the server does not have"))
			}
			w.dns.tlsa["_25._tcp."+mx] = []policy.TLSA{{Usage: policy.UsageDANEEE,
				Selector: policy.SelectorSPKI, MatchingType: policy.MatchingSHA256, Data: spki[:]}}
		}
	}

	// The MTA-STS policy hosts: one with a certificate of the CA for
	// every mta-sts.<domain> name, one with a self-signed certificate.
	stsCert, err := valid(stsNames...)
	if err != nil {
		return nil, err
	}
	srv, addr, err := startHTTPS(stsCert, http.HandlerFunc(w.servePolicy))
	if err != nil {
		return nil, err
	}
	w.https = append(w.https, srv)
	for _, n := range stsNames {
		w.servers[n] = addr
	}
	badCert, err := p.issue(now.Add(-time.Hour), now.Add(48*time.Hour), true, "mta-sts.stsbadcert.example")
	if err != nil {
		return nil, err
	}
	if srv, addr, err = startHTTPS(badCert, http.HandlerFunc(w.servePolicy)); err != nil {
		return nil, err
	}
	w.https = append(w.https, srv)
	w.servers["mta-sts.stsbadcert.example"] = addr

	// The report receivers of rcv.example: an ingest.Receiver over HTTPS
	// (RFC 8460 §5.4) and an MX host with STARTTLS for report mail (§5.3).
	rcvCert, err := valid("reports.rcv.example", "mx.rcv.example")
	if err != nil {
		return nil, err
	}
	if srv, addr, err = startHTTPS(rcvCert, w.receiver.handler()); err != nil {
		return nil, err
	}
	w.https = append(w.https, srv)
	w.servers["reports.rcv.example"] = addr
	if w.inbox, err = startMailServer("mx.rcv.example", &rcvCert); err != nil {
		return nil, err
	}
	w.servers["mx.rcv.example"] = w.inbox.addr
	return w, nil
}

// servePolicy serves https://mta-sts.<domain>/.well-known/mta-sts.txt
// (RFC 8461 §3.3), except for sts404.example.
func (w *world) servePolicy(rw http.ResponseWriter, r *http.Request) {
	host := strings.ToLower(r.Host)
	domain, ok := strings.CutPrefix(host, "mta-sts.")
	if !ok || r.URL.Path != "/.well-known/mta-sts.txt" || domain == "sts404.example" {
		http.NotFound(rw, r)
		return
	}
	rw.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(rw, "version: STSv1\r\nmode: enforce\r\nmx: mx.%s\r\nmax_age: 86400\r\n", domain)
}

// handler is the analyzer's HTTPS endpoint: an ingest.Receiver, behind a
// gate that answers the first POST to each /flaky/ path 503, as a
// receiver that is briefly down would (RFC 8460 §5.5: the sender
// retries).
func (b *postbox) handler() http.Handler {
	rcv := &ingest.Receiver{Handle: func(_ context.Context, r *ingest.Received) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.received = append(b.received, r)
		return nil
	}}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.posts[r.URL.Path]++
		n := b.posts[r.URL.Path]
		b.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/flaky/") && n == 1 {
			http.Error(rw, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		rcv.ServeHTTP(rw, r)
	})
}

func (b *postbox) all() ([]*ingest.Received, map[string]int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	posts := make(map[string]int, len(b.posts))
	for k, v := range b.posts {
		posts[k] = v
	}
	return append([]*ingest.Received(nil), b.received...), posts
}

// httpClient is the MTA's client for HTTPS report delivery: it trusts the
// CA and reaches every host at its loopback server.
func (w *world) httpClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: w.pki.roots},
		DialContext:     w.servers.dial,
	}}
}

func (w *world) roots() *x509.CertPool { return w.pki.roots }

func (w *world) close() {
	for _, s := range w.https {
		s.Close()
	}
	for _, m := range w.mx {
		m.srv.Close()
	}
	if w.inbox != nil {
		w.inbox.srv.Close()
	}
}
