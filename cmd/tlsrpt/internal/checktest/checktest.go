// Package checktest builds, for the tests of `tlsrpt check`, a small
// world of mail domains on loopback: a DNS server (internal/dnstest), an
// SMTP server offering STARTTLS and one that does not (go-smtp), and an
// HTTPS server for the MTA-STS policy hosts and an https: rua, all with
// certificates of a certification authority made here. Keys are Ed25519
// from fixed seeds and certificates have fixed serials and dates, so
// every byte the tests print is the same on every run.
//
// The domains (see Standard) each show one case; Now is the clock the
// MX certificates are judged at.
package checktest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
)

// Now is the clock of the tests: MX certificates are judged at this time.
var Now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// World is the running loopback world.
type World struct {
	// DNS answers for every domain of the world.
	DNS *dnstest.Server
	// Roots holds the world's certification authority; RootsPEM is the
	// same certificate as a PEM file's content, for SSL_CERT_FILE.
	Roots    *x509.CertPool
	RootsPEM []byte
	// ConnectTo maps each "host:port" the world serves to the loopback
	// address of its server (check.Config.ConnectTo). The other names
	// have no address in DNS, so nothing reaches out of the machine.
	ConnectTo map[string]string
}

// Args returns ConnectTo as arguments of the hidden --connect-to flag of
// `tlsrpt check`, sorted.
func (w *World) Args() []string {
	var args []string
	for _, from := range slices.Sorted(maps.Keys(w.ConnectTo)) {
		args = append(args, "--connect-to", from+"="+w.ConnectTo[from])
	}
	return args
}

// TLSA311 is the DANE-EE SPKI SHA2-256 association data of the
// certificate of host in the world.
func TLSA311(host string) []byte {
	sum := sha256.Sum256(mustSPKI(key(host).Public()))
	return sum[:]
}

// Policies are the MTA-STS policies the world serves, by domain.
var Policies = map[string]string{
	"good.test":       "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 1209600\n",
	"expired.test":    "version: STSv1\nmode: enforce\nmx: mx.expired.test\nmax_age: 1209600\n",
	"selfsigned.test": "version: STSv1\nmode: enforce\nmx: mx.selfsigned.test\nmax_age: 1209600\n",
	"wrongname.test":  "version: STSv1\nmode: enforce\nmx: *.wrongname.test\nmax_age: 1209600\n",
	"plain.test":      "version: STSv1\nmode: testing\nmx: mx.plain.test\nmax_age: 86400\n",
	"badid.test":      "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 1209600\n",
	"blank.test":      "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 1209600\n\n",
	"webpki.test":     "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 1209600\n",
	"uncovered.test":  "version: STSv1\nmode: enforce\nmx: mail.uncovered.test\nmax_age: 86400\n",
	"orphan.test":     "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 1209600\n",
}

// Domains lists the domains of Standard with what each shows, in the
// order the tests check them.
var Domains = []struct{ Name, Shows string }{
	{"good.test", "everything right: TLS-RPT, MTA-STS enforce, a valid certificate, DANE-EE matching with AD"},
	{"soon.test", "TLS-RPT only; the MX certificate expires in 9 days (a warning)"},
	{"expired.test", "MTA-STS enforce; the MX certificate expired"},
	{"selfsigned.test", "MTA-STS enforce; the MX certificate is self-signed"},
	{"wrongname.test", "MTA-STS enforce; the MX certificate is for another name"},
	{"plain.test", "MTA-STS testing; the MX does not offer STARTTLS"},
	{"tlsabad.test", "TLS-RPT only; TLSA records with AD that do not match the certificate"},
	{"apex.test", "a TLS-RPT record at the apex only, no MTA-STS"},
	{"typo.test", "TLS-RPT records at _smtp_tls.typo.test and _smtp._tls.typo.test.typo.test only"},
	{"none.test", "nothing published"},
	{"httponly.test", "a TLS-RPT record whose only rua is http:"},
	{"badid.test", "an _mta-sts record with an invalid id; the policy is fine"},
	{"blank.test", "a policy ending in a blank line"},
	{"gone.test", "an _mta-sts record; the policy host answers 404"},
	{"webpki.test", "an _mta-sts record; the policy host's certificate is for another name"},
	{"uncovered.test", "a policy whose mx pattern does not match the MX host, with a max_age of a day"},
	{"orphan.test", "a policy served without an _mta-sts record"},
	{"norua.test", "a mailto: rua at a domain that does not exist (found with --probe)"},
	{"ruabad.test", "https: rua hosts without an address and with a certificate for another name (found with --probe)"},
	{"noaddr.test", "an MX host without an address, with a TLS-RPT record at its own name"},
	{"servfail.test", "the TXT query for _smtp._tls answers SERVFAIL"},
}

// Standard starts the world of Domains for the test.
func Standard(tb testing.TB) *World {
	tb.Helper()
	w := &World{ConnectTo: map[string]string{}}
	ca, caKey := authority()
	w.Roots = x509.NewCertPool()
	w.Roots.AddCert(ca)
	w.RootsPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})

	long := [2]time.Time{time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}
	year := [2]time.Time{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	mxCerts := map[string]tls.Certificate{
		"mx.good.test":       leaf(tb, 2, "mx.good.test", []string{"mx.good.test"}, year, ca, caKey),
		"mx.soon.test":       leaf(tb, 3, "mx.soon.test", []string{"mx.soon.test"}, [2]time.Time{year[0], time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}, ca, caKey),
		"mx.expired.test":    leaf(tb, 4, "mx.expired.test", []string{"mx.expired.test"}, [2]time.Time{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, ca, caKey),
		"mx.selfsigned.test": leaf(tb, 5, "mx.selfsigned.test", []string{"mx.selfsigned.test"}, year, nil, nil),
		"mx.wrongname.test":  leaf(tb, 6, "mx.wrongname.test", []string{"mail.other.test"}, year, ca, caKey),
		"mx.tlsabad.test":    leaf(tb, 7, "mx.tlsabad.test", []string{"mx.tlsabad.test"}, year, ca, caKey),
	}
	tlsSMTP := smtpServer(tb, &tls.Config{GetCertificate: bySNI(mxCerts, "mx.good.test")})
	plainSMTP := smtpServer(tb, nil)
	for host := range mxCerts {
		w.ConnectTo[host+":25"] = tlsSMTP
	}
	w.ConnectTo["mx.plain.test:25"] = plainSMTP

	webCerts := map[string]tls.Certificate{"reports.good.test": leaf(tb, 20, "reports.good.test", []string{"reports.good.test"}, long, ca, caKey)}
	for i, d := range []string{"good", "expired", "selfsigned", "wrongname", "plain", "badid", "blank", "gone", "uncovered", "orphan"} {
		host := "mta-sts." + d + ".test"
		webCerts[host] = leaf(tb, int64(30+i), host, []string{host}, long, ca, caKey)
	}
	webCerts["mta-sts.webpki.test"] = leaf(tb, 50, "www.webpki.test", []string{"www.webpki.test"}, long, ca, caKey)
	web := httpsServer(tb, &tls.Config{GetCertificate: bySNI(webCerts, "reports.good.test")})
	for host := range webCerts {
		w.ConnectTo[host+":443"] = web
	}
	w.ConnectTo["reports.badcert.test:443"] = web // presents the certificate of reports.good.test

	lo := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	txt := func(s ...string) [][]string {
		out := make([][]string, len(s))
		for i, t := range s {
			out[i] = []string{t}
		}
		return out
	}
	rua := func(d string) [][]string { return txt("v=TLSRPTv1; rua=mailto:tlsrpt@" + d) }
	sts := txt("v=STSv1; id=20260101")
	mx := func(h string) []*net.MX { return []*net.MX{{Host: h + ".", Pref: 10}} }
	z := dnstest.Zone{
		TXT: map[string][][]string{
			"_smtp._tls.good.test":           txt("v=TLSRPTv1; rua=mailto:tlsrpt@good.test,https://reports.good.test/tlsrpt"),
			"_mta-sts.good.test":             sts,
			"_smtp._tls.mx.good.test":        rua("good.test"),
			"_smtp._tls.soon.test":           rua("soon.test"),
			"_smtp._tls.expired.test":        rua("expired.test"),
			"_mta-sts.expired.test":          sts,
			"_smtp._tls.selfsigned.test":     rua("selfsigned.test"),
			"_mta-sts.selfsigned.test":       sts,
			"_smtp._tls.wrongname.test":      rua("wrongname.test"),
			"_mta-sts.wrongname.test":        sts,
			"_smtp._tls.plain.test":          rua("plain.test"),
			"_mta-sts.plain.test":            sts,
			"_smtp._tls.tlsabad.test":        rua("tlsabad.test"),
			"apex.test":                      txt("v=spf1 mx -all", "v=TLSRPTv1; rua=mailto:tlsrpt@apex.test"),
			"_smtp._tls.httponly.test":       txt("v=TLSRPTv1; rua=http://reports.httponly.test/tlsrpt"),
			"_smtp._tls.badid.test":          rua("badid.test"),
			"_mta-sts.badid.test":            txt("v=STSv1; id=2026-01-01"),
			"_smtp._tls.blank.test":          rua("blank.test"),
			"_mta-sts.blank.test":            sts,
			"_smtp._tls.gone.test":           rua("gone.test"),
			"_mta-sts.gone.test":             sts,
			"_smtp._tls.webpki.test":         rua("webpki.test"),
			"_mta-sts.webpki.test":           sts,
			"_smtp._tls.uncovered.test":      rua("uncovered.test"),
			"_mta-sts.uncovered.test":        sts,
			"_smtp._tls.orphan.test":         rua("orphan.test"),
			"_smtp._tls.ruabad.test":         txt("v=TLSRPTv1; rua=https://reports.ruabad.test/tlsrpt,https://reports.badcert.test/tlsrpt"),
			"_smtp._tls.norua.test":          rua("nomail.test"),
			"_smtp._tls.noaddr.test":         rua("noaddr.test"),
			"mx.noaddr.test":                 rua("noaddr.test"),
			"_smtp_tls.typo.test":            rua("typo.test"),
			"_smtp._tls.typo.test.typo.test": rua("typo.test"),
			"_smtp._tls.servfail.test":       rua("servfail.test"),
		},
		MX: map[string][]*net.MX{
			"good.test": mx("mx.good.test"), "soon.test": mx("mx.soon.test"), "expired.test": mx("mx.expired.test"),
			"selfsigned.test": mx("mx.selfsigned.test"), "wrongname.test": mx("mx.wrongname.test"), "plain.test": mx("mx.plain.test"),
			"tlsabad.test": mx("mx.tlsabad.test"), "apex.test": mx("mx.good.test"), "none.test": mx("mx.good.test"), "typo.test": mx("mx.good.test"),
			"httponly.test": mx("mx.good.test"), "badid.test": mx("mx.good.test"), "blank.test": mx("mx.good.test"),
			"gone.test": mx("mx.good.test"), "webpki.test": mx("mx.good.test"), "uncovered.test": mx("mx.good.test"),
			"orphan.test": mx("mx.good.test"), "norua.test": mx("mx.good.test"), "ruabad.test": mx("mx.good.test"), "noaddr.test": mx("mx.noaddr.test"),
			"servfail.test": mx("mx.good.test"),
		},
		Addr: map[string][]netip.Addr{
			"mx.good.test": lo, "mx.soon.test": lo, "mx.expired.test": lo, "mx.selfsigned.test": lo,
			"mx.wrongname.test": lo, "mx.plain.test": lo, "mx.tlsabad.test": lo,
		},
		TLSA: map[string][]dnstest.TLSA{
			"_25._tcp.mx.good.test":    {{Usage: 3, Selector: 1, MatchingType: 1, Data: TLSA311("mx.good.test")}},
			"_25._tcp.mx.tlsabad.test": {{Usage: 3, Selector: 1, MatchingType: 1, Data: TLSA311("an old key")}},
		},
		Secure: map[string]bool{"_25._tcp.mx.good.test": true, "_25._tcp.mx.tlsabad.test": true},
		RCode:  map[string]dnsmessage.RCode{"_smtp._tls.servfail.test": dnsmessage.RCodeServerFailure},
	}
	w.DNS = dnstest.Start(tb, z)
	return w
}

// key is the Ed25519 key of name, the same on every run.
func key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("checktest key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func mustSPKI(pub any) []byte {
	b, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return b
}

// authority is the world's root certificate and key.
func authority() (*x509.Certificate, ed25519.PrivateKey) {
	k := key("ca")
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "checktest root", Organization: []string{"tlsrpt tests"}},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, k.Public(), k)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c, k
}

// leaf makes a server certificate for names with the key of keyName (the
// host that presents it, so that TLSA311 of the host is the key it
// presents), signed by ca (self-signed when ca is nil).
func leaf(tb testing.TB, serial int64, keyName string, names []string, valid [2]time.Time, ca *x509.Certificate, caKey ed25519.PrivateKey) tls.Certificate {
	tb.Helper()
	k := key(keyName)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    valid[0],
		NotAfter:     valid[1],
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := ca, caKey
	if ca == nil {
		parent, signer = tmpl, k
	}
	der, err := x509.CreateCertificate(nil, tmpl, parent, k.Public(), signer)
	if err != nil {
		tb.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}

// bySNI serves the certificate of the name the client asks for, or that
// of def.
func bySNI(certs map[string]tls.Certificate, def string) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		c, ok := certs[strings.ToLower(hi.ServerName)]
		if !ok {
			c = certs[def]
		}
		return &c, nil
	}
}

// session accepts nothing: the checks end before MAIL FROM.
type session struct{}

func (session) Reset()                               {}
func (session) Logout() error                        { return nil }
func (session) Mail(string, *smtp.MailOptions) error { return errors.New("checktest: no mail here") }
func (session) Rcpt(string, *smtp.RcptOptions) error { return errors.New("checktest: no mail here") }
func (session) Data(io.Reader) error                 { return errors.New("checktest: no mail here") }

// smtpServer serves SMTP on 127.0.0.1, offering STARTTLS when cfg is not
// nil, until the test ends.
func smtpServer(tb testing.TB, cfg *tls.Config) string {
	tb.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return session{}, nil }))
	srv.Domain = "mx.checktest"
	srv.TLSConfig = cfg
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// httpsServer serves, on 127.0.0.1 until the test ends, the MTA-STS
// policies of Policies at https://mta-sts.<domain>/.well-known/mta-sts.txt
// (404 for the others) and answers anything else with 200.
func httpsServer(tb testing.TB, cfg *tls.Config) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, err := net.SplitHostPort(r.Host)
			if err != nil {
				host = r.Host
			}
			d, isPolicyHost := strings.CutPrefix(strings.ToLower(host), "mta-sts.")
			if !isPolicyHost {
				w.WriteHeader(http.StatusOK)
				return
			}
			p, ok := Policies[d]
			if !ok || r.URL.Path != "/.well-known/mta-sts.txt" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, p)
		}),
		TLSConfig:         cfg,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeTLS(ln, "", "")
	}()
	tb.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String()
}
