package policy_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/go-tlsrpt/tlsrpt/policy"
)

// staticTXT is a tlsrpt.Resolver answering TXT queries from a map.
type staticTXT map[string]string

func (r staticTXT) LookupTXT(_ context.Context, name string) ([]string, error) {
	if txt, ok := r[name]; ok {
		return []string{txt}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (staticTXT) LookupMX(context.Context, string) ([]*net.MX, error) {
	return nil, errors.New("not needed")
}

func (staticTXT) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, errors.New("not needed")
}

// policyServer starts a loopback HTTPS server for handler and returns an
// STSFetcher that reaches it as https://mta-sts.example.com: the test
// certificate of httptest is valid for *.example.com.
func policyServer(handler http.HandlerFunc) (*httptest.Server, policy.STSFetcher) {
	srv := httptest.NewTLSServer(handler)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	return srv, policy.STSFetcher{
		Resolver: staticTXT{"_mta-sts.example.com.": "v=STSv1; id=20250301"},
		RootCAs:  roots,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, srv.Listener.Addr().String())
		},
	}
}

func ExampleSTSCache_Lookup() {
	var fetches atomic.Int32
	srv, fetcher := policyServer(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n")
	})
	defer srv.Close()

	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cache := &policy.STSCache{Fetcher: fetcher, Now: func() time.Time { return now }}
	for _, after := range []time.Duration{0, time.Hour, 13 * time.Hour} {
		now = now.Add(after)
		res, err := cache.Lookup(context.Background(), "example.com")
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(now.Format(time.Kitchen), res.Policy.Mode, res.Policy.MatchMX("mx1.example.com"), "expires", res.Expires.Format(time.DateTime), "fetches", fetches.Load())
	}
	// The policy block for the day's report.
	res, _ := cache.Lookup(context.Background(), "example.com")
	block, _ := policy.FromSTSText(res.Domain, res.Text)
	out, _ := json.Marshal(block)
	fmt.Println(string(out))
	// Output:
	// 12:00PM enforce true expires 2025-03-02 12:00:00 fetches 1
	// 1:00PM enforce true expires 2025-03-02 12:00:00 fetches 1
	// 2:00AM enforce true expires 2025-03-03 02:00:00 fetches 2
	// {"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx1.example.com","max_age: 86400"],"policy-domain":"example.com","mx-host":["mx1.example.com"]}
}

func ExampleSTSFetcher_Fetch() {
	srv, fetcher := policyServer(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://www.example.com/mta-sts.txt", http.StatusFound)
	})
	defer srv.Close()

	_, err := fetcher.Fetch(context.Background(), "example.com")
	var pe *policy.Error
	if errors.As(err, &pe) {
		// aggregate.ClassifyTLSError(err) gives the same result type and
		// code; pe.Policy is the policy block to report it under.
		block, _ := json.Marshal(pe.Policy)
		fmt.Println(pe.Failure, pe.Code)
		fmt.Println(string(block))
	}
	// Output:
	// sts-policy-fetch-error http-redirect
	// {"policy-type":"sts","policy-string":[],"policy-domain":"example.com","mx-host":[]}
}

// selfSigned makes a throwaway certificate for host.
func selfSigned(host string) *x509.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	return cert
}

func ExampleMatchTLSA() {
	// The server presents cert; the zone publishes "3 1 1 <SHA-256 of its
	// SubjectPublicKeyInfo>" at _25._tcp.mx.example.com.
	cert := selfSigned("mx.example.com")
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	rrs := []policy.TLSA{{Usage: policy.UsageDANEEE, Selector: policy.SelectorSPKI, MatchingType: policy.MatchingSHA256, Data: sum[:]}}

	// In an MTA this runs in tls.Config.VerifyConnection, with
	// InsecureSkipVerify set, on ConnectionState.PeerCertificates.
	rr, err := policy.MatchTLSA(rrs, []*x509.Certificate{cert}, time.Time{}, "mx.example.com")
	fmt.Println(rr.Usage, rr.Selector, rr.MatchingType, err)

	// Another server certificate (a key rollover without a new record).
	_, err = policy.MatchTLSA(rrs, []*x509.Certificate{selfSigned("mx.example.com")}, time.Time{}, "mx.example.com")
	var pe *policy.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Failure, pe.Code, pe.Policy.Type, pe.Policy.Domain)
	}
	// Output:
	// 3 1 1 <nil>
	// tlsa-invalid tlsa-mismatch tlsa mx.example.com
}

// answerTLSA is a DNSExchanger that answers every TLSA query itself with
// one authenticated record: the shape of a DNS-over-HTTPS client, which
// exchanges the same messages.
type answerTLSA struct{}

func (answerTLSA) Exchange(_ context.Context, query []byte) ([]byte, error) {
	var q dnsmessage.Message
	if err := q.Unpack(query); err != nil {
		return nil, err
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: q.ID, Response: true, RecursionAvailable: true, AuthenticData: true})
	_ = b.StartQuestions()
	_ = b.Question(q.Questions[0])
	_ = b.StartAnswers()
	rr := dnsmessage.ResourceHeader{Name: q.Questions[0].Name, Type: 52, Class: dnsmessage.ClassINET, TTL: 300}
	_ = b.UnknownResource(rr, dnsmessage.UnknownResource{Type: 52, Data: []byte{3, 1, 1, 0xde, 0xad, 0xbe, 0xef}})
	return b.Finish()
}

func ExampleLookupTLSA() {
	// Without an exchanger, LookupTLSA asks the validating resolver at
	// 127.0.0.1:53; &policy.DNSClient{Addr: "..."} names another one.
	rrs, authenticated, err := policy.LookupTLSA(context.Background(), answerTLSA{}, "mx.example.com", 25)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rrs, authenticated)

	// An MTA that requires DANE for a destination reports the lack of
	// authenticated records itself.
	const requireDANE = true
	if requireDANE && (!authenticated || len(rrs) == 0) {
		block, _ := policy.FromTLSA("mx.example.com", nil)
		err = &policy.Error{Failure: policy.FailureDANERequired, Code: "tlsa-insecure", Policy: block}
		fmt.Println(err)
	}
	// Output:
	// [3 1 1 deadbeef] true
}
