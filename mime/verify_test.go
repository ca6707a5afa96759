package mime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/internal/testdkim"
	"github.com/go-tlsrpt/tlsrpt/internal/testmail"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// txtFunc is a tlsrpt.Resolver for tests: the function answers TXT
// queries; there are no MX or address records (a *net.DNSError with
// IsNotFound, as *net.Resolver reports it).
type txtFunc func(ctx context.Context, name string) ([]string, error)

func (f txtFunc) LookupTXT(ctx context.Context, name string) ([]string, error) { return f(ctx, name) }

func (txtFunc) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (txtFunc) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// lookupFor serves record at name.
func lookupFor(name, record string) txtFunc {
	return func(_ context.Context, n string) ([]string, error) {
		if strings.EqualFold(n, name) {
			return []string{record}, nil
		}
		return nil, errors.New("no such name " + n)
	}
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
			{name: "no s=", msg: msg, record: k.Record, want: []SignatureResult{ok}},
			{name: "s=tlsrpt", msg: msg, record: k.Record + "; s=tlsrpt", want: []SignatureResult{func() SignatureResult {
				r := ok
				r.Services = []string{"tlsrpt"}
				return r
			}()}},
			{name: "s=email:tlsrpt", msg: msg, record: k.Record + "; s=email:tlsrpt", want: []SignatureResult{func() SignatureResult {
				r := ok
				r.Services = []string{"email", "tlsrpt"}
				return r
			}()}},
			{name: "s=email only", msg: msg, record: k.Record + "; s=email", want: []SignatureResult{func() SignatureResult {
				r := ok
				r.Services, r.ServiceTLSRPT, r.ServiceEmailOnly = []string{"email"}, false, true
				return r
			}()}},
			{name: "tampered", msg: strings.Replace(msg, "example.net", "evil.example", 1), record: k.Record, err: true,
				want: []SignatureResult{ok}},
			{name: "l= tag", msg: strings.Replace(msg, "DKIM-Signature: ", "DKIM-Signature: l=10; ", 1), record: k.Record, err: true,
				want: []SignatureResult{func() SignatureResult {
					r := ok
					r.BodyLength = true
					return r
				}()}},
			{name: "unsigned", msg: msg[strings.Index(msg, "From:"):], record: k.Record},
		}
		for _, tt := range tests {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				v, err := Verify(context.Background(), strings.NewReader(tt.msg), &VerifyOptions{Resolver: lookupFor(keyName, tt.record)})
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
	// A second signature by another domain.
	other := testdkim.Ed25519(t, "esp.example", testSelector)
	other.Headers = []string{"From", "Subject"}
	msg := other.Sign(t, signedMessage(t, k), time.Time{})
	records := map[string]string{
		k.TXTName():     k.Record,
		other.TXTName(): other.Record,
	}
	v, err := Verify(context.Background(), strings.NewReader(msg), &VerifyOptions{
		Resolver: txtFunc(func(_ context.Context, name string) ([]string, error) {
			if r, ok := records[name]; ok {
				return []string{r}, nil
			}
			return nil, errors.New("nxdomain")
		}),
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
		Resolver: txtFunc(func(context.Context, string) ([]string, error) { return nil, errors.New("servfail") }),
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
		Resolver:      txtFunc(func(_ context.Context, name string) ([]string, error) { return []string{records[name]}, nil }),
		MaxSignatures: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.Signatures[0].Err != nil || !errors.Is(v.Signatures[1].Err, ErrTooLarge) {
		t.Errorf("MaxSignatures 1: %v, %v", v.Signatures[0].Err, v.Signatures[1].Err)
	}

	_, err = Verify(context.Background(), strings.NewReader(msg), &VerifyOptions{MaxMessageSize: 100})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxMessageSize: %v", err)
	}

	// A mail nested beyond the Parser's depth: where its reports are
	// cannot be told, so neither can whose signature counts.
	_, err = Verify(context.Background(), bytes.NewReader(nested(defaultMaxDepth+4)), nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("nested mail: %v", err)
	}
}

// TestVerifyOddHeaderLine checks that a line go-msgauth reads as a
// signature field but the header parser skips does not shift results.
func TestVerifyOddHeaderLine(t *testing.T) {
	k := testKeys(t)[1]
	msg := "DKIM-Signature\r\n" + signedMessage(t, k)
	v, err := Verify(context.Background(), strings.NewReader(msg), &VerifyOptions{
		Resolver: lookupFor(testSelector+"._domainkey.sender.example", k.Record),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Signatures) != 1 || v.Signatures[0].Err != nil || !v.Signatures[0].Aligned {
		t.Errorf("signatures: %+v", v.Signatures)
	}
}

// newSigningKey is an Ed25519 DKIM key of d under testSelector whose
// signatures cover the fields Write signs.
func newSigningKey(t testing.TB, d string) testdkim.Key {
	t.Helper()
	k := testdkim.Ed25519(t, d, testSelector)
	k.Headers = signedHeaders
	return k
}

// lookupKeys serves the key records of keys.
func lookupKeys(keys ...testdkim.Key) txtFunc {
	return func(_ context.Context, name string) ([]string, error) {
		for _, k := range keys {
			if strings.EqualFold(name, k.TXTName()) {
				return []string{k.Record}, nil
			}
		}
		return nil, errors.New("nxdomain " + name)
	}
}

// reportFrom returns the test report with the contact-info at d.
func reportFrom(d string) *report.Report {
	r := testReport()
	r.ContactInfo = "mailto:tlsrpt@" + d
	return r
}

// forward returns a mail that attaches inner as message/rfc822 (a
// forwarded report) after a text part, so that inner is
// mime:part[2].message. With submitter set, the wrapper has
// TLS-Report-Domain and TLS-Report-Submitter fields naming it, as a
// report mail would; extra parts follow the attached message.
func forward(submitter, inner string, extra ...string) string {
	bd := "F" + strconv.Itoa(len(inner)) // differs from an inner forward's
	var b strings.Builder
	b.WriteString("From: Postmaster <postmaster@forwarder.example>\r\nTo: analyst@example.net\r\n" +
		"Date: Sun, 03 Mar 2024 09:00:00 +0100\r\nMessage-ID: <fwd1@forwarder.example>\r\n" +
		"Subject: Fwd: TLS report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + bd + "\"\r\n")
	if submitter != "" {
		b.WriteString("TLS-Report-Domain: example.net\r\nTLS-Report-Submitter: " + submitter + "\r\n")
	}
	b.WriteString("\r\n--" + bd + "\r\nContent-Type: text/plain\r\n\r\nSee the attached report.\r\n" +
		"--" + bd + "\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n")
	for _, p := range extra {
		b.WriteString("--" + bd + "\r\n" + p + "\r\n")
	}
	b.WriteString("--" + bd + "--\r\n")
	return b.String()
}

// TestVerifyForwardedReport checks that only a signature on the message
// carrying a report vouches for it (RFC 8460 §3): for a report in an
// attached message/rfc822, Verify verifies the attached message's own
// signatures and ignores the wrapper's, and Parse warns that the report
// was forwarded.
func TestVerifyForwardedReport(t *testing.T) {
	sender := newSigningKey(t, "sender.example")
	evil := newSigningKey(t, "evil.test")
	forwarder := newSigningKey(t, "forwarder.example")
	lookup := lookupKeys(sender, evil, forwarder)

	legit := sender.Sign(t, testmail.ReportMail(t, "sender.example", reportFrom("sender.example")), time.Time{})
	unsigned := testmail.ReportMail(t, "sender.example", reportFrom("sender.example"))
	tampered := strings.Replace(legit, `"total-successful-session-count":5326`, `"total-successful-session-count":1`, 1)
	require.NotEqual(t, legit, tampered)
	evilJSON, err := json.Marshal(reportFrom("evil.test"))
	require.NoError(t, err)
	evilPart := "Content-Type: application/tlsrpt+json\r\n\r\n" + string(evilJSON)

	tests := []struct {
		name          string
		reason        string
		msg           string
		wantCarrier   string
		wantSubmitter string
		wantSigner    string // Authentic().Domain; "" for none
		wantWarning   string // Path of the CodeForwarded warning; "" for none
		wantNoReport  bool
	}{
		{name: "forged: evil.test signs the wrapper of an unsigned report claiming sender.example",
			reason: "the wrapper's valid, aligned signature does not cover the attached message",
			msg:    evil.Sign(t, forward("evil.test", unsigned), time.Time{}), wantCarrier: "mime:part[2].message",
			wantSubmitter: "sender.example", wantWarning: "mime:part[2].message"},
		{name: "forged: the attached report carries a copied sender.example signature",
			reason: "the attached message's signature fails: its body was changed",
			msg:    evil.Sign(t, forward("evil.test", tampered), time.Time{}), wantCarrier: "mime:part[2].message",
			wantSubmitter: "sender.example", wantWarning: "mime:part[2].message"},
		{name: "forged: evil.test signs the attached report claiming sender.example",
			reason: "the attached message's signature verifies but is not aligned with its TLS-Report-Submitter",
			msg:    forward("", evil.Sign(t, unsigned, time.Time{})), wantCarrier: "mime:part[2].message",
			wantSubmitter: "sender.example", wantWarning: "mime:part[2].message"},
		{name: "forged: two reports, evil.test's own and an attached one",
			reason: "no one message carries both: nothing vouches for all reports",
			msg:    evil.Sign(t, forward("evil.test", unsigned, evilPart), time.Time{}), wantWarning: "mime:part[2].message"},
		{name: "forwarded: sender.example's signed report in an unsigned wrapper",
			reason: "the attached message's own signature verifies and is aligned",
			msg:    forward("", legit), wantCarrier: "mime:part[2].message",
			wantSubmitter: "sender.example", wantSigner: "sender.example", wantWarning: "mime:part[2].message"},
		{name: "forwarded: signed report in a wrapper signed by the forwarder",
			msg: forwarder.Sign(t, forward("", legit), time.Time{}), wantCarrier: "mime:part[2].message",
			wantSubmitter: "sender.example", wantSigner: "sender.example", wantWarning: "mime:part[2].message"},
		{name: "forwarded twice",
			msg: forward("", forward("", legit)), wantCarrier: "mime:part[2].message.part[2].message",
			wantSubmitter: "sender.example", wantSigner: "sender.example", wantWarning: "mime:part[2].message.part[2].message"},
		{name: "direct: sender.example's signed report",
			msg: legit, wantCarrier: "mime:message", wantSubmitter: "sender.example", wantSigner: "sender.example"},
		{name: "direct: evil.test's signed report of its own",
			msg: evil.Sign(t, testmail.ReportMail(t, "evil.test", reportFrom("evil.test")), time.Time{}), wantCarrier: "mime:message",
			wantSubmitter: "evil.test", wantSigner: "evil.test"},
		{name: "no report: the mail's own signatures",
			msg:         evil.Sign(t, forward("evil.test", "From: a@b.example\r\n\r\nhello\r\n"), time.Time{}),
			wantCarrier: "mime:message", wantSubmitter: "evil.test", wantSigner: "evil.test", wantNoReport: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Verify(context.Background(), strings.NewReader(tt.msg), &VerifyOptions{Resolver: lookup})
			require.NoError(t, err)
			if v.Carrier != tt.wantCarrier || v.Submitter != tt.wantSubmitter {
				t.Errorf("Carrier, Submitter = %q, %q; want %q, %q (%s)", v.Carrier, v.Submitter, tt.wantCarrier, tt.wantSubmitter, tt.reason)
			}
			signer := ""
			if s := v.Authentic(); s != nil {
				signer = s.Domain
			}
			if signer != tt.wantSigner {
				t.Errorf("Authentic() by %q, want %q (%s); signatures %+v", signer, tt.wantSigner, tt.reason, v.Signatures)
			}

			m, err := Parse(strings.NewReader(tt.msg))
			if tt.wantNoReport {
				require.ErrorIs(t, err, ErrNoReport)
				return
			}
			require.NoError(t, err)
			var got []string
			for _, w := range m.Warnings {
				if w.Code == CodeForwarded {
					got = append(got, w.Path)
				}
			}
			var want []string
			if tt.wantWarning != "" {
				want = []string{tt.wantWarning}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s warnings (-want +got):\n%s\nall warnings: %v", CodeForwarded, diff, m.Warnings)
			}
		})
	}
}

// TestVerifyNetResolver verifies through a *net.Resolver asking a DNS
// server on loopback: the RSA key record is longer than one TXT
// character-string (255 bytes) and arrives split, as zones publish it.
func TestVerifyNetResolver(t *testing.T) {
	for _, k := range testKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			var strs []string
			for rec := k.Record; rec != ""; {
				n := min(len(rec), 255)
				strs = append(strs, rec[:n])
				rec = rec[n:]
			}
			res := dnstest.Start(t, dnstest.Zone{TXT: map[string][][]string{
				testSelector + "._domainkey.sender.example": {strs},
			}}).Resolver()
			v, err := Verify(context.Background(), strings.NewReader(signedMessage(t, k)), &VerifyOptions{Resolver: res})
			require.NoError(t, err)
			if s := v.Authentic(); s == nil || !s.ServiceTLSRPT {
				t.Errorf("signatures: %+v", v.Signatures)
			}
		})
	}
}
