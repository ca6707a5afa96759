package store_test

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"

	_ "modernc.org/sqlite"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// mtaSTSRecord is a tlsrpt.Resolver that knows one TXT record, the
// _mta-sts record of example.com.
type mtaSTSRecord string

func (r mtaSTSRecord) LookupTXT(_ context.Context, name string) ([]string, error) {
	if name == "_mta-sts.example.com." {
		return []string{string(r)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (mtaSTSRecord) LookupMX(context.Context, string) ([]*net.MX, error) {
	return nil, errors.New("not needed")
}

func (mtaSTSRecord) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, errors.New("not needed")
}

// Two MTAs share one database: the policy the first fetches, the second
// uses without fetching, also after a restart (RFC 8461 §5.1: a policy is
// cached until its max_age has passed).
func ExampleStore_STSCacheStore() {
	ctx := context.Background()
	// https://mta-sts.example.com on loopback (httptest's certificate is
	// valid for *.example.com), counting fetches.
	var fetches atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.mx.example.net\r\nmax_age: 604800\r\n")
	}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	fetcher := policy.STSFetcher{
		Resolver: mtaSTSRecord("v=STSv1; id=20261130"),
		RootCAs:  roots,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, srv.Listener.Addr().String())
		},
	}

	dir, err := os.MkdirTemp("", "tlsrpt-sts-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mta.db")
	// mta opens the database as one MTA process does and returns its
	// policy cache.
	mta := func() (*policy.STSCache, func()) {
		db, err := sql.Open("sqlite", store.SQLiteDSN(path))
		if err != nil {
			log.Fatal(err)
		}
		st, err := store.Open(ctx, db, store.Options{})
		if err != nil {
			log.Fatal(err)
		}
		return &policy.STSCache{Fetcher: fetcher, Store: st.STSCacheStore()}, func() { st.Close(); db.Close() }
	}

	a, closeA := mta()
	b, closeB := mta()
	for _, node := range []struct {
		name  string
		cache *policy.STSCache
	}{{"A", a}, {"B", b}} {
		r, err := node.cache.Lookup(ctx, "Example.COM")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("MTA %s: %s mode %s, mx %v, fetches so far %d\n", node.name, r.Domain, r.Policy.Mode, r.Policy.MX, fetches.Load())
	}
	closeA()
	closeB()

	// A restarted MTA still has the policy.
	c, closeC := mta()
	defer closeC()
	r, err := c.Lookup(ctx, "example.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("after a restart: id %s, mx1.example.com allowed: %v, fetches so far %d\n",
		r.ID, r.Policy.MatchMX("mx1.example.com"), fetches.Load())
	// Output:
	// MTA A: example.com mode enforce, mx [mx1.example.com *.mx.example.net], fetches so far 1
	// MTA B: example.com mode enforce, mx [mx1.example.com *.mx.example.net], fetches so far 1
	// after a restart: id 20261130, mx1.example.com allowed: true, fetches so far 1
}
