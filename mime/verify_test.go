package mime

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// lookupFor serves record at name.
func lookupFor(name, record string) func(context.Context, string) ([]string, error) {
	return func(_ context.Context, n string) ([]string, error) {
		if strings.EqualFold(n, name) {
			return []string{record}, nil
		}
		return nil, errors.New("no such name " + n)
	}
}

// resignAs adds a second signature by another domain to msg.
func resignAs(t *testing.T, msg, d string, key crypto.Signer) string {
	t.Helper()
	var b strings.Builder
	err := dkim.Sign(&b, strings.NewReader(msg), &dkim.SignOptions{
		Domain: d, Selector: testSelector, Signer: key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "Subject"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestVerify(t *testing.T) {
	keys := testKeys(t)
	keyName := testSelector + "._domainkey.sender.example"
	allHeaders := []string{"From", "From", "To", "Subject", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
		"TLS-Report-Domain", "TLS-Report-Domain", "TLS-Report-Submitter", "TLS-Report-Submitter", "Auto-Submitted", "TLS-Required"}
	for _, k := range keys {
		msg := signedMessage(t, k)
		ok := SignatureResult{
			Domain: "sender.example", Selector: testSelector, Aligned: true, HeaderKeys: allHeaders,
			SignsReportHeaders: true, Services: []string{"*"}, ServiceTLSRPT: true,
		}
		tests := []struct {
			name   string
			msg    string
			record string
			want   []SignatureResult
			err    bool // want a non-nil Err in the first result
		}{
			{name: "no s=", msg: msg, record: k.record, want: []SignatureResult{ok}},
			{name: "s=tlsrpt", msg: msg, record: k.record + "; s=tlsrpt", want: []SignatureResult{func() SignatureResult {
				r := ok
				r.Services = []string{"tlsrpt"}
				return r
			}()}},
			{name: "s=email:tlsrpt", msg: msg, record: k.record + "; s=email:tlsrpt", want: []SignatureResult{func() SignatureResult {
				r := ok
				r.Services = []string{"email", "tlsrpt"}
				return r
			}()}},
			{name: "s=email only", msg: msg, record: k.record + "; s=email", want: []SignatureResult{func() SignatureResult {
				r := ok
				r.Services, r.ServiceTLSRPT, r.ServiceEmailOnly = []string{"email"}, false, true
				return r
			}()}},
			{name: "tampered", msg: strings.Replace(msg, "example.net", "evil.example", 1), record: k.record, err: true,
				want: []SignatureResult{ok}},
			{name: "l= tag", msg: strings.Replace(msg, "DKIM-Signature: ", "DKIM-Signature: l=10; ", 1), record: k.record, err: true,
				want: []SignatureResult{func() SignatureResult {
					r := ok
					r.BodyLength = true
					return r
				}()}},
			{name: "unsigned", msg: msg[strings.Index(msg, "From:"):], record: k.record},
		}
		for _, tt := range tests {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				v, err := Verify(context.Background(), strings.NewReader(tt.msg), &VerifyOptions{LookupTXT: lookupFor(keyName, tt.record)})
				if err != nil {
					t.Fatal(err)
				}
				if v.Submitter != "mail.sender.example" {
					t.Errorf("Submitter = %q", v.Submitter)
				}
				if tt.err != (len(v.Signatures) > 0 && v.Signatures[0].Err != nil) {
					t.Errorf("signature error = %v, want error: %v", v.Signatures[0].Err, tt.err)
				}
				if diff := cmp.Diff(tt.want, v.Signatures, cmpopts.IgnoreFields(SignatureResult{}, "Err"), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("signatures (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestVerifyUnalignedAndLookupFailure(t *testing.T) {
	k := testKeys(t)[1]
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherPub := other.Public().(ed25519.PublicKey)
	msg := resignAs(t, signedMessage(t, k), "esp.example", other)
	records := map[string]string{
		testSelector + "._domainkey.sender.example": k.record,
		testSelector + "._domainkey.esp.example":    "v=DKIM1; k=ed25519; p=" + b64(otherPub),
	}
	v, err := Verify(context.Background(), strings.NewReader(msg), &VerifyOptions{
		LookupTXT: func(_ context.Context, name string) ([]string, error) {
			if r, ok := records[name]; ok {
				return []string{r}, nil
			}
			return nil, errors.New("nxdomain")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Signatures) != 2 {
		t.Fatalf("%d signatures", len(v.Signatures))
	}
	esp, own := v.Signatures[0], v.Signatures[1]
	if esp.Domain != "esp.example" || esp.Err != nil || esp.Aligned || esp.SignsReportHeaders {
		t.Errorf("ESP signature: %+v", esp)
	}
	if own.Domain != "sender.example" || own.Err != nil || !own.Aligned {
		t.Errorf("own signature: %+v", own)
	}

	// A failing lookup is a signature error, not a Verify error.
	v, err = Verify(context.Background(), strings.NewReader(msg), &VerifyOptions{
		LookupTXT: func(context.Context, string) ([]string, error) { return nil, errors.New("servfail") },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range v.Signatures {
		if s.Err == nil || s.Services != nil {
			t.Errorf("signature without key: %+v", s)
		}
	}

	// MaxSignatures.
	v, err = Verify(context.Background(), strings.NewReader(msg), &VerifyOptions{
		LookupTXT:     func(_ context.Context, name string) ([]string, error) { return []string{records[name]}, nil },
		MaxSignatures: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.Signatures[0].Err != nil || !errors.Is(v.Signatures[1].Err, errSignatureLimit) {
		t.Errorf("MaxSignatures 1: %v, %v", v.Signatures[0].Err, v.Signatures[1].Err)
	}

	_, err = Verify(context.Background(), strings.NewReader(msg), &VerifyOptions{MaxMessageSize: 100})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxMessageSize: %v", err)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestVerifyOddHeaderLine checks that a line go-msgauth reads as a
// signature field but the header parser skips does not shift results.
func TestVerifyOddHeaderLine(t *testing.T) {
	k := testKeys(t)[1]
	msg := "DKIM-Signature\r\n" + signedMessage(t, k)
	v, err := Verify(context.Background(), strings.NewReader(msg), &VerifyOptions{
		LookupTXT: lookupFor(testSelector+"._domainkey.sender.example", k.record),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Signatures) != 1 || v.Signatures[0].Err != nil || !v.Signatures[0].Aligned {
		t.Errorf("signatures: %+v", v.Signatures)
	}
}

// signingKey is an Ed25519 DKIM key of a domain and its key record.
type signingKey struct {
	domain string
	key    ed25519.PrivateKey
	record string
}

func newSigningKey(t testing.TB, d string) signingKey {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return signingKey{domain: d, key: key, record: "v=DKIM1; k=ed25519; p=" + b64(pub)}
}

// sign DKIM-signs msg with go-msgauth as d=k.domain (relaxed/relaxed, the
// fields Write signs).
func (k signingKey) sign(t testing.TB, msg string) string {
	t.Helper()
	var b strings.Builder
	err := dkim.Sign(&b, strings.NewReader(msg), &dkim.SignOptions{
		Domain: k.domain, Selector: testSelector, Signer: k.key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: signedHeaders,
	})
	require.NoError(t, err)
	return b.String()
}

// lookupKeys serves the key records of keys, as VerifyOptions.LookupTXT.
func lookupKeys(keys ...signingKey) func(context.Context, string) ([]string, error) {
	return func(_ context.Context, name string) ([]string, error) {
		for _, k := range keys {
			if strings.EqualFold(name, testSelector+"._domainkey."+k.domain) {
				return []string{k.record}, nil
			}
		}
		return nil, errors.New("nxdomain " + name)
	}
}

// reportMailFor returns an RFC 8460 §5.3 report mail (CRLF, unsigned)
// whose header names submitter, with one application/tlsrpt+json part
// per report after the text part (mime:part[2], mime:part[3], …).
func reportMailFor(t testing.TB, submitter string, reports ...*report.Report) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("From: TLS reports <tlsrpt@" + submitter + ">\r\nTo: tlsrpt@example.net\r\n" +
		"Date: Sat, 02 Mar 2024 01:02:03 +0000\r\nMessage-ID: <m1@" + submitter + ">\r\n" +
		"Subject: Report Domain: example.net Submitter: " + submitter + " Report-ID: <r1@" + submitter + ">\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"R\"\r\n" +
		"TLS-Report-Domain: example.net\r\nTLS-Report-Submitter: " + submitter + "\r\n\r\n" +
		"--R\r\nContent-Type: text/plain\r\n\r\nTLS reports.\r\n")
	for _, r := range reports {
		js, err := json.Marshal(r)
		require.NoError(t, err)
		b.WriteString("--R\r\nContent-Type: application/tlsrpt+json\r\n\r\n")
		b.Write(js)
		b.WriteString("\r\n")
	}
	b.WriteString("--R--\r\n")
	return b.String()
}

// reportFrom returns the test report with the contact-info at d.
func reportFrom(d string) *report.Report {
	r := testReport()
	r.ContactInfo = "mailto:tlsrpt@" + d
	return r
}
