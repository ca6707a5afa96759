package testcert

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

func TestChainVerifies(t *testing.T) {
	root := Issue(t, CATemplate("Test Root"), nil)
	inter := Issue(t, CATemplate("Test Intermediate"), &root)
	leaf := Issue(t, LeafTemplate("mx.example.com", "192.0.2.25"), &inter)
	if root.Cert.SerialNumber.Cmp(inter.Cert.SerialNumber) == 0 {
		t.Error("root and intermediate share a serial number")
	}
	if got := leaf.Cert.DNSNames; len(got) != 1 || got[0] != "mx.example.com" {
		t.Errorf("DNSNames = %v", got)
	}
	if got := leaf.Cert.IPAddresses; len(got) != 1 || got[0].String() != "192.0.2.25" {
		t.Errorf("IPAddresses = %v", got)
	}
	for _, name := range []string{"mx.example.com", "192.0.2.25"} {
		_, err := leaf.Cert.Verify(x509.VerifyOptions{
			DNSName:       name,
			Roots:         Pool(root),
			Intermediates: Pool(inter),
		})
		if err != nil {
			t.Errorf("Verify(%s): %v", name, err)
		}
	}
	// Another root did not sign the chain.
	other := Issue(t, CATemplate("Other Root"), nil)
	_, err := leaf.Cert.Verify(x509.VerifyOptions{DNSName: "mx.example.com", Roots: Pool(other), Intermediates: Pool(inter)})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("Verify with another root: %v, want x509.UnknownAuthorityError", err)
	}
}

func TestValidity(t *testing.T) {
	now := time.Now()
	c := Issue(t, LeafTemplate("mx.example.com"), nil)
	if !c.Cert.NotBefore.Before(now) || !c.Cert.NotAfter.After(now.Add(23*time.Hour)) {
		t.Errorf("default validity %v – %v", c.Cert.NotBefore, c.Cert.NotAfter)
	}
	tmpl := LeafTemplate("mx.example.com")
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	expired := Issue(t, tmpl, nil)
	_, err := expired.Cert.Verify(x509.VerifyOptions{DNSName: "mx.example.com", Roots: Pool(expired)})
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Errorf("expired certificate: %v, want x509.Expired", err)
	}
}

// TestHandshake runs a real TLS handshake on loopback with the leaf and
// its chain.
func TestHandshake(t *testing.T) {
	root := Issue(t, CATemplate("Test Root"), nil)
	inter := Issue(t, CATemplate("Test Intermediate"), &root)
	leaf := Issue(t, LeafTemplate("mx.example.com"), &inter)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		srv := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(inter)}})
		_, _ = io.WriteString(srv, "ok")
		_ = srv.Close()
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: "mx.example.com", RootCAs: Pool(root)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got := len(conn.ConnectionState().PeerCertificates); got != 2 {
		t.Errorf("server sent %d certificates, want leaf and intermediate", got)
	}
}
