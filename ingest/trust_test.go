package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/testdkim"
	"github.com/go-tlsrpt/tlsrpt/internal/testmail"
)

// verdict is what a trust test compares: the verdict, the domain it is
// attributed to, how, and the codes of the deciding reasons.
type verdict struct {
	Verdict    Verdict
	Domain     string
	Selector   string
	AuthServID string
	Codes      []tlsrpt.Code
}

func summarize(t Trust) verdict {
	v := verdict{Verdict: t.Verdict, Domain: t.Domain, Selector: t.Selector, AuthServID: t.AuthServID}
	for _, d := range t.Reasons {
		v.Codes = append(v.Codes, d.Code)
	}
	return v
}

func TestTrust(t *testing.T) {
	google := newSigningKey(t, "google.com")
	corpMailRu := newSigningKey(t, "corp.mail.ru")
	mailRu := newSigningKey(t, "mail.ru")
	evil := newSigningKey(t, "evil.test")
	com := newSigningKey(t, "com")
	coUK := newSigningKey(t, "co.uk")
	impostor := newSigningKey(t, "google.com") // same d=, a key DNS does not publish
	flaky := newSigningKey(t, "flaky.example")
	keys := []testdkim.Key{google, corpMailRu, mailRu, evil, com, coUK, flaky}
	res := dns(t, keys, "flaky.example")
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	soon := time.Now().Add(time.Hour).Truncate(time.Second)

	const mx = "mx.example.net"
	tests := []struct {
		name, reason string
		mail         string
		reader       Reader // Resolver is filled in
		want         []verdict
	}{
		{
			name: "aligned signature", reason: "d= equals the submitter",
			mail: google.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{}),
			want: []verdict{{Verdict: VerdictTrusted, Domain: "google.com", Selector: testSelector}},
		},
		{
			name: "relaxed alignment, signer below submitter", reason: "Mail.ru signs as corp.mail.ru with submitter mail.ru",
			mail: corpMailRu.Sign(t, testmail.ReportMail(t, "mail.ru", testReport("corp.mail.ru")), time.Time{}),
			want: []verdict{{Verdict: VerdictTrusted, Domain: "corp.mail.ru", Selector: testSelector}},
		},
		{
			name: "relaxed alignment, signer above submitter", reason: "same organizational domain",
			mail: mailRu.Sign(t, testmail.ReportMail(t, "corp.mail.ru", testReport("corp.mail.ru")), time.Time{}),
			want: []verdict{{Verdict: VerdictTrusted, Domain: "mail.ru", Selector: testSelector}},
		},
		{
			name: "not aligned", reason: "a valid signature of another organization vouches for nothing",
			mail: evil.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{}),
			want: []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeNotAligned}}},
		},
		{
			name: "public suffix signer", reason: "d=com is valid cryptographically but aligns with nothing",
			mail: com.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{}),
			want: []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodePublicSuffix}}},
		},
		{
			name: "public suffix signer and submitter", reason: "d=co.uk with submitter co.uk: both public suffixes",
			mail: coUK.Sign(t, testmail.ReportMail(t, "co.uk", testReport("co.uk")), time.Time{}),
			want: []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodePublicSuffix}}},
		},
		{
			name: "forged signature", reason: "signed with a key that is not the published one",
			mail: impostor.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{}),
			want: []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeBadSignature}}},
		},
		{
			name: "tampered body", reason: "the report changed after signing",
			mail: strings.Replace(google.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{}),
				`"total-successful-session-count":10`, `"total-successful-session-count":99`, 1),
			want: []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeBadSignature}}},
		},
		{
			name: "tampered header", reason: "TLS-Report-Submitter is signed",
			mail: strings.Replace(evil.Sign(t, testmail.ReportMail(t, "evil.test", testReport("google.com")), time.Time{}),
				"TLS-Report-Submitter: evil.test", "TLS-Report-Submitter: google.com", 1),
			want: []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeBadSignature}}},
		},
		{
			name: "expired signature", reason: "x= in the past is its own reason, not a bad signature",
			mail: google.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), past),
			want: []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeSignatureExpired}}},
		},
		{
			name: "expired by Now", reason: "Reader.Now after x=: expired although go-msgauth's clock says valid",
			mail:   google.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), soon),
			reader: Reader{Now: func() time.Time { return soon.Add(time.Minute) }},
			want:   []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeSignatureExpired}}},
		},
		{
			name: "expired, but trusted MX verified at arrival", reason: "the MX's Authentication-Results vouch",
			mail:   arrive(google.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), past), mx, "dkim=pass header.d=google.com header.s=tlsrpt"),
			reader: Reader{TrustedAuthServIDs: []string{mx}},
			want:   []verdict{{Verdict: VerdictTrusted, Domain: "google.com", AuthServID: mx}},
		},
		{
			name: "temporary DNS failure", reason: "SERVFAIL fetching the key: retry later",
			mail: flaky.Sign(t, testmail.ReportMail(t, "flaky.example", testReport("flaky.example")), time.Time{}),
			want: []verdict{{Verdict: VerdictRetry, Codes: []tlsrpt.Code{CodeDNSTemporary}}},
		},
		{
			name: "no signature", reason: "RFC 8460 §3 MUST",
			mail: testmail.ReportMail(t, "google.com", testReport("google.com")),
			want: []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeNoSignature}}},
		},
		{
			name: "second signature vouches", reason: "an unaligned signature first does not hide an aligned one",
			mail: google.Sign(t, evil.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{}), time.Time{}),
			want: []verdict{{Verdict: VerdictTrusted, Domain: "google.com", Selector: testSelector}},
		},
		{
			name: "every report checked", reason: "the signer vouches for the mail, not for a second report claiming another sender",
			mail: evil.Sign(t, testmail.ReportMail(t, "evil.test", testReport("evil.test"), testReport("google.com")), time.Time{}),
			want: []verdict{
				{Verdict: VerdictTrusted, Domain: "evil.test", Selector: testSelector},
				{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeContactNotVouched}},
			},
		},
		{
			name: "forwarded, own signature intact", reason: "the attached message's signature survives forwarding",
			mail: forward(google.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{})),
			want: []verdict{{Verdict: VerdictTrusted, Domain: "google.com", Selector: testSelector}},
		},
		{
			name: "two forwarded reports", reason: "each attached message vouches for its own report only; no signature covers both",
			mail: forward(google.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{}),
				google.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{})),
			want: []verdict{
				{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeSeveralCarriers}},
				{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeSeveralCarriers}},
			},
		},
		{
			name: "forwarded, signed by the forwarder only", reason: "the outer signature never vouches for an attached report",
			mail: evil.Sign(t, forward(testmail.ReportMail(t, "google.com", testReport("google.com"))), time.Time{}),
			want: []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeNoSignature}}},
		},
		{
			name: "forwarded, outer A-R of trusted MX", reason: "the MX judged the forwarding mail, not the attached message",
			mail:   arrive(forward(testmail.ReportMail(t, "google.com", testReport("google.com"))), mx, "dkim=pass header.d=google.com"),
			reader: Reader{TrustedAuthServIDs: []string{mx}, NoDKIM: true},
			want:   []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeAuthResIgnored, CodeNotVerified}}},
		},
		{
			name: "A-R of the trusted MX", reason: "NoDKIM: the MX's dkim=pass aligned with the submitter vouches",
			mail:   arrive(testmail.ReportMail(t, "mail.ru", testReport("corp.mail.ru")), mx, "dkim=pass (good) header.d=corp.mail.ru header.i=@corp.mail.ru"),
			reader: Reader{TrustedAuthServIDs: []string{"MX.example.net"}, NoDKIM: true},
			want:   []verdict{{Verdict: VerdictTrusted, Domain: "corp.mail.ru", AuthServID: mx}},
		},
		{
			name: "A-R with a comment hiding a semicolon", reason: "comments are removed before go-msgauth splits results",
			mail:   arrive(testmail.ReportMail(t, "google.com", testReport("google.com")), mx, "spf=pass (ok; really) smtp.mailfrom=google.com; dkim=pass header.d=google.com"),
			reader: Reader{TrustedAuthServIDs: []string{mx}, NoDKIM: true},
			want:   []verdict{{Verdict: VerdictTrusted, Domain: "google.com", AuthServID: mx}},
		},
		{
			name: "A-R of an untrusted authserv-id", reason: "a sender or relay wrote it",
			mail:   arrive(testmail.ReportMail(t, "google.com", testReport("google.com")), "relay.evil.test", "dkim=pass header.d=google.com"),
			reader: Reader{TrustedAuthServIDs: []string{mx}, NoDKIM: true},
			want:   []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeAuthResIgnored, CodeNotVerified}}},
		},
		{
			name: "A-R placed below the trusted MX's", reason: "the sender wrote a field claiming the MX's authserv-id; the MX's own says none",
			mail: arrive("Authentication-Results: "+mx+"; dkim=pass header.d=google.com\r\n"+testmail.ReportMail(t, "google.com", testReport("google.com")),
				mx, "dkim=none; spf=pass smtp.mailfrom=google.com"),
			reader: Reader{TrustedAuthServIDs: []string{mx}, NoDKIM: true},
			want:   []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeAuthResIgnored, CodeNotVerified}}},
		},
		{
			name: "A-R of the trusted MX, unaligned pass", reason: "dkim=pass for another organization vouches for nothing",
			mail:   arrive(testmail.ReportMail(t, "google.com", testReport("google.com")), mx, "dkim=pass header.d=evil.test"),
			reader: Reader{TrustedAuthServIDs: []string{mx}, NoDKIM: true},
			want:   []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeNotAligned, CodeNotVerified}}},
		},
		{
			name: "A-R of the trusted MX says fail, own DKIM passes", reason: "either vouches",
			mail:   arrive(google.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{}), mx, "dkim=fail header.d=google.com"),
			reader: Reader{TrustedAuthServIDs: []string{mx}},
			want:   []verdict{{Verdict: VerdictTrusted, Domain: "google.com", Selector: testSelector}},
		},
		{
			name: "NoDKIM without A-R", reason: "not verified is untrusted",
			mail:   google.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{}),
			reader: Reader{NoDKIM: true},
			want:   []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeNotVerified}}},
		},
		{
			name: "no submitter", reason: "nothing to align with",
			mail: google.Sign(t, strings.Replace(testmail.ReportMail(t, "google.com", testReport("google.com")), "TLS-Report-Submitter: google.com\r\n", "", 1), time.Time{}),
			want: []verdict{{Verdict: VerdictUntrusted, Codes: []tlsrpt.Code{CodeNoSubmitter}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := tt.reader
			rd.Resolver = res
			got := rd.Read(context.Background(), strings.NewReader(tt.mail))
			require.Equal(t, FateReport, got.Fate, "fate (err %v)", got.Err)
			var verdicts []verdict
			for _, r := range got.Reports {
				verdicts = append(verdicts, summarize(r.Trust))
			}
			if diff := cmp.Diff(tt.want, verdicts); diff != "" {
				t.Errorf("%s: verdicts (-want +got):\n%s", tt.reason, diff)
				for _, r := range got.Reports {
					t.Logf("reasons: %v", r.Trust.Reasons)
				}
			}
		})
	}
}

// TestGoMsgauthExpiryText pins how go-msgauth reports an expired
// signature: a permanent failure told apart only by its text, which
// isExpired matches. If this fails after a go-msgauth upgrade, update
// isExpired.
func TestGoMsgauthExpiryText(t *testing.T) {
	k := newSigningKey(t, "google.com")
	signed := k.Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Now().Add(-time.Minute))
	verifs, err := dkim.VerifyWithOptions(strings.NewReader(signed), &dkim.VerifyOptions{
		LookupTXT: func(string) ([]string, error) { return []string{k.Record}, nil },
	})
	require.NoError(t, err)
	require.Len(t, verifs, 1)
	if e := verifs[0].Err; !isExpired(e) {
		t.Fatalf("go-msgauth's expiry error %q (perm %v) is not recognised", e, dkim.IsPermFail(e))
	}
	// A bad signature is never taken for an expired one.
	forged := newSigningKey(t, "google.com").Sign(t, testmail.ReportMail(t, "google.com", testReport("google.com")), time.Time{})
	verifs, err = dkim.VerifyWithOptions(strings.NewReader(forged), &dkim.VerifyOptions{
		LookupTXT: func(string) ([]string, error) { return []string{k.Record}, nil },
	})
	require.NoError(t, err)
	if e := verifs[0].Err; e == nil || isExpired(e) {
		t.Fatalf("forged signature: err %v, expired %v", e, isExpired(e))
	}
}

func TestOrgDomainAlignment(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"corp.mail.ru", "mail.ru", true},
		{"mail.ru", "corp.mail.ru", true},
		{"Google.COM.", "google.com", true},
		{"com", "google.com", false},
		{"com", "com", false},
		{"co.uk", "example.co.uk", false},
		{"a.example.co.uk", "b.example.co.uk", true},
		{"example.co.uk", "other.co.uk", false},
		{"evil.test", "google.com", false},
		{"", "", false},
		{"bücher.example", "xn--bcher-kva.example", true},
	}
	for _, tt := range tests {
		if got := aligned(tt.a, tt.b); got != tt.want {
			t.Errorf("aligned(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
