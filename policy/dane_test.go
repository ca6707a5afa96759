package policy

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/internal/testcert"
)

// tlsaFor returns the TLSA record with the given fields whose data is
// computed from c (RFC 6698 §2.1.2, §2.1.3).
func tlsaFor(u Usage, s Selector, m MatchingType, c *x509.Certificate) TLSA {
	data := c.Raw
	if s == SelectorSPKI {
		data = c.RawSubjectPublicKeyInfo
	}
	switch m {
	case MatchingSHA256:
		sum := sha256.Sum256(data)
		data = sum[:]
	case MatchingSHA512:
		sum := sha512.Sum512(data)
		data = sum[:]
	}
	return TLSA{Usage: u, Selector: s, MatchingType: m, Data: append([]byte(nil), data...)}
}

// daneChain is a root CA, an intermediate and a server certificate for
// mx.example.com and *.dane.example.com, and an unrelated certificate.
type daneChain struct {
	root, inter, leaf, other testcert.Cert
}

func newDANEChain(tb testing.TB) daneChain {
	tb.Helper()
	var c daneChain
	c.root = testcert.Issue(tb, testcert.CATemplate("DANE Root"), nil)
	c.inter = testcert.Issue(tb, testcert.CATemplate("DANE Intermediate"), &c.root)
	c.leaf = testcert.Issue(tb, testcert.LeafTemplate("mx.example.com", "*.dane.example.com"), &c.inter)
	otherCA := testcert.Issue(tb, testcert.CATemplate("Other"), nil)
	c.other = testcert.Issue(tb, testcert.LeafTemplate("mx.example.com"), &otherCA)
	return c
}

// presented is what the server sends: its certificate and the
// intermediate.
func (c daneChain) presented() []*x509.Certificate {
	return []*x509.Certificate{c.leaf.Cert, c.inter.Cert}
}

// TestMatchTLSACombinations tries every usage, selector and matching
// type against a root → intermediate → leaf chain: the record made from
// the right certificate matches exactly for DANE-TA(2) (the
// intermediate) and DANE-EE(3) (the leaf); PKIX-TA and PKIX-EE are
// unusable in SMTP (RFC 7672 §3.1.3); a record made from another
// certificate never matches.
func TestMatchTLSACombinations(t *testing.T) {
	c := newDANEChain(t)
	for u := UsagePKIXTA; u <= UsageDANEEE; u++ {
		for s := SelectorCert; s <= SelectorSPKI; s++ {
			for m := MatchingFull; m <= MatchingSHA512; m++ {
				target := c.leaf.Cert
				if u == UsagePKIXTA || u == UsageDANETA {
					target = c.inter.Cert
				}
				usable := u == UsageDANETA || u == UsageDANEEE
				t.Run(fmt.Sprintf("%d %d %d match", u, s, m), func(t *testing.T) {
					rr := tlsaFor(u, s, m, target)
					got, err := MatchTLSA([]TLSA{rr}, c.presented(), time.Time{}, "mx.example.com")
					switch {
					case usable && err != nil:
						t.Errorf("MatchTLSA: %v", err)
					case usable && got.String() != rr.String():
						t.Errorf("matched %v, want %v", got, rr)
					case !usable:
						wantTLSAError(t, err, "tlsa-unusable")
					}
				})
				t.Run(fmt.Sprintf("%d %d %d mismatch", u, s, m), func(t *testing.T) {
					rr := tlsaFor(u, s, m, c.other.Cert)
					_, err := MatchTLSA([]TLSA{rr}, c.presented(), time.Time{}, "mx.example.com")
					want := "tlsa-mismatch"
					if !usable {
						want = "tlsa-unusable"
					}
					wantTLSAError(t, err, want)
				})
			}
		}
	}
}

func wantTLSAError(t *testing.T, err error, code string) *Error {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) || pe.Failure != FailureTLSAInvalid || pe.Code != code {
		t.Errorf("err = %v, want tlsa-invalid (%s)", err, code)
		return nil
	}
	return pe
}

// TestMatchTLSA covers the name and validity rules of RFC 7672 §3.1 and
// §3.2 and the error's policy block.
func TestMatchTLSA(t *testing.T) {
	c := newDANEChain(t)
	expiredTmpl := testcert.LeafTemplate("mx.example.com")
	expiredTmpl.NotBefore, expiredTmpl.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	expired := testcert.Issue(t, expiredTmpl, &c.inter)
	otherName := testcert.Issue(t, testcert.LeafTemplate("www.example.org"), &c.inter)
	selfSigned := testcert.Issue(t, testcert.LeafTemplate("mx.example.com"), nil)

	ee := tlsaFor(UsageDANEEE, SelectorSPKI, MatchingSHA256, c.leaf.Cert)
	taInter := tlsaFor(UsageDANETA, SelectorSPKI, MatchingSHA256, c.inter.Cert)
	taRoot := tlsaFor(UsageDANETA, SelectorCert, MatchingSHA256, c.root.Cert)
	taOther := tlsaFor(UsageDANETA, SelectorSPKI, MatchingSHA256, c.other.Cert)
	short := TLSA{Usage: UsageDANEEE, Selector: SelectorSPKI, MatchingType: MatchingSHA256, Data: ee.Data[:31]}
	tests := []struct {
		name  string
		rrs   []TLSA
		chain []*x509.Certificate
		now   time.Time
		names []string
		want  TLSA   // the matching record
		code  string // or the failure code
	}{
		{name: "DANE-EE ignores names", rrs: []TLSA{ee}, chain: c.presented(), names: []string{"other.example.net"}, want: ee},
		{name: "DANE-EE without names", rrs: []TLSA{ee}, chain: c.presented(), want: ee},
		{name: "DANE-EE ignores expiry", rrs: []TLSA{tlsaFor(UsageDANEEE, SelectorCert, MatchingFull, expired.Cert)}, chain: []*x509.Certificate{expired.Cert},
			names: []string{"mx.example.com"}, want: tlsaFor(UsageDANEEE, SelectorCert, MatchingFull, expired.Cert)},
		{name: "DANE-EE self-signed", rrs: []TLSA{tlsaFor(UsageDANEEE, SelectorSPKI, MatchingSHA512, selfSigned.Cert)}, chain: []*x509.Certificate{selfSigned.Cert},
			want: tlsaFor(UsageDANEEE, SelectorSPKI, MatchingSHA512, selfSigned.Cert)},
		{name: "DANE-EE matches the leaf only", rrs: []TLSA{tlsaFor(UsageDANEEE, SelectorSPKI, MatchingSHA256, c.inter.Cert)}, chain: c.presented(), code: "tlsa-mismatch"},
		{name: "DANE-TA intermediate", rrs: []TLSA{taInter}, chain: c.presented(), names: []string{"mx.example.com"}, want: taInter},
		{name: "DANE-TA wildcard name", rrs: []TLSA{taInter}, chain: c.presented(), names: []string{"mx7.dane.example.com."}, want: taInter},
		{name: "DANE-TA wildcard covers one label", rrs: []TLSA{taInter}, chain: c.presented(), names: []string{"a.b.dane.example.com"}, code: "dane-ta-name-mismatch"},
		{name: "DANE-TA second reference identifier", rrs: []TLSA{taInter}, chain: c.presented(), names: []string{"mx.cname-target.example", "MX.example.com"}, want: taInter},
		{name: "DANE-TA root sent", rrs: []TLSA{taRoot}, chain: append(c.presented(), c.root.Cert), names: []string{"mx.example.com"}, want: taRoot},
		{name: "DANE-TA root not sent", rrs: []TLSA{taRoot}, chain: c.presented(), names: []string{"mx.example.com"}, code: "tlsa-mismatch"},
		{name: "DANE-TA wrong name", rrs: []TLSA{taInter}, chain: []*x509.Certificate{otherName.Cert, c.inter.Cert}, names: []string{"mx.example.com"}, code: "dane-ta-name-mismatch"},
		{name: "DANE-TA without names", rrs: []TLSA{taInter}, chain: c.presented(), code: "dane-ta-name-mismatch"},
		{name: "DANE-TA expired leaf", rrs: []TLSA{taInter}, chain: []*x509.Certificate{expired.Cert, c.inter.Cert}, names: []string{"mx.example.com"}, code: "dane-ta-chain-invalid"},
		{name: "DANE-TA checked at now", rrs: []TLSA{taInter}, chain: c.presented(), now: time.Now().Add(72 * time.Hour), names: []string{"mx.example.com"}, code: "dane-ta-chain-invalid"},
		{name: "DANE-TA anchor did not sign the chain", rrs: []TLSA{taOther}, chain: []*x509.Certificate{c.leaf.Cert, c.other.Cert}, names: []string{"mx.example.com"}, code: "dane-ta-chain-invalid"},
		{name: "name mismatch wins over chain", rrs: []TLSA{taOther, taInter}, chain: []*x509.Certificate{otherName.Cert, c.other.Cert, c.inter.Cert}, names: []string{"mx.example.com"}, code: "dane-ta-name-mismatch"},
		{name: "unusable beside usable", rrs: []TLSA{{Usage: UsagePKIXEE, Selector: 1, MatchingType: 1, Data: ee.Data}, short, ee}, chain: c.presented(), want: ee},
		{name: "digest of the wrong length", rrs: []TLSA{short}, chain: c.presented(), code: "tlsa-unusable"},
		{name: "unknown selector", rrs: []TLSA{{Usage: UsageDANEEE, Selector: 2, MatchingType: 0, Data: []byte{1}}}, chain: c.presented(), code: "tlsa-unusable"},
		{name: "unknown matching type", rrs: []TLSA{{Usage: UsageDANEEE, Selector: 1, MatchingType: 3, Data: []byte{1}}}, chain: c.presented(), code: "tlsa-unusable"},
		{name: "private usage", rrs: []TLSA{{Usage: 255, Selector: 1, MatchingType: 1, Data: ee.Data}}, chain: c.presented(), code: "tlsa-unusable"},
		{name: "empty full data", rrs: []TLSA{{Usage: UsageDANEEE, Selector: 1, MatchingType: 0}}, chain: c.presented(), code: "tlsa-unusable"},
		{name: "no records", chain: c.presented(), code: "tlsa-unusable"},
		{name: "no certificate", rrs: []TLSA{ee}, code: "no-certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MatchTLSA(tt.rrs, tt.chain, tt.now, tt.names...)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("MatchTLSA: %v", err)
				}
				if got.String() != tt.want.String() {
					t.Errorf("matched %v, want %v", got, tt.want)
				}
				return
			}
			pe := wantTLSAError(t, err, tt.code)
			if pe == nil {
				return
			}
			if (tt.code == "dane-ta-chain-invalid" || tt.code == "dane-ta-name-mismatch") && pe.Err == nil {
				t.Error("no underlying error")
			}
		})
	}
}

// TestMatchTLSAPolicy checks the policy block of the error: the tlsa
// policy of the base domain (the first name) with the RRset in canonical
// form, sorted; RRs without data are left out.
func TestMatchTLSAPolicy(t *testing.T) {
	c := newDANEChain(t)
	a := TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: make([]byte, 32)}
	b := TLSA{Usage: 2, Selector: 0, MatchingType: 1, Data: []byte{0xAB}}
	_, err := MatchTLSA([]TLSA{a, b, {Usage: 3}}, c.presented(), time.Time{}, "MX.Example.COM.", "other.example")
	pe := wantTLSAError(t, err, "tlsa-mismatch")
	if pe == nil {
		return
	}
	want := Policy{Type: TypeTLSA, Domain: "mx.example.com", Strings: []string{"2 0 1 ab", a.String()}}
	if diff := cmp.Diff(want, pe.Policy); diff != "" {
		t.Errorf("policy (-want +got):\n%s", diff)
	}
	_, err = MatchTLSA([]TLSA{a}, c.presented(), time.Time{})
	if pe = wantTLSAError(t, err, "tlsa-mismatch"); pe != nil {
		if diff := cmp.Diff(Policy{Type: TypeTLSA, Strings: []string{a.String()}}, pe.Policy); diff != "" {
			t.Errorf("policy without names (-want +got):\n%s", diff)
		}
	}
}

// TestMatchTLSANoAllocs: matching DANE-EE records allocates nothing.
func TestMatchTLSANoAllocs(t *testing.T) {
	c := newDANEChain(t)
	rrs := []TLSA{
		tlsaFor(UsageDANEEE, SelectorSPKI, MatchingSHA256, c.other.Cert),
		tlsaFor(UsageDANEEE, SelectorSPKI, MatchingSHA256, c.leaf.Cert),
	}
	chain := c.presented()
	if n := testing.AllocsPerRun(100, func() {
		if _, err := MatchTLSA(rrs, chain, time.Time{}, "mx.example.com"); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per DANE-EE match, want 0", n)
	}
}
