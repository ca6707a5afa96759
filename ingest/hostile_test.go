package ingest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/internal/testdkim"
	"github.com/go-tlsrpt/tlsrpt/internal/testmail"
)

// hostileMailbox returns the messages of a mailbox an attacker filled,
// with the Stats a Reader must count for them, and the index of every
// message that must not be trusted.
func hostileMailbox(t *testing.T) (msgs []string, want Stats, keys []testdkim.Key, never map[int]bool) {
	t.Helper()
	google := newSigningKey(t, "google.com")
	evil := newSigningKey(t, "evil.test")
	keys = []testdkim.Key{google, evil}
	never = map[int]bool{}
	add := func(m string, untrustable bool) {
		if untrustable {
			never[len(msgs)] = true
		}
		msgs = append(msgs, m)
	}
	good := testmail.ReportMail(t, "google.com", testReport("google.com"))

	// 1,000 non-reports of every kind.
	for i := range 1000 {
		switch i % 5 {
		case 0:
			add(newsletterMail, false)
			want.Other++
		case 1:
			add(dmarcAggregateMail(t, i%2 == 0), false)
			want.DMARCAggregate++
		case 2:
			add(dmarcFailureMail, false)
			want.DMARCFailure++
		case 3:
			add(dsnMail(t), false)
			want.DSN++
		case 4:
			add("Subject: cron\n\nFrom the cron daemon: all is well.\n>From quoted\n", false)
			want.Other++
		}
	}
	want.NotReport = 1000

	// Real reports: one trusted, one forwarded with its signature intact.
	add(google.Sign(t, good, time.Time{}), false)
	add(forward(google.Sign(t, good, time.Time{})), false)
	want.Report += 2
	want.Trusted += 2

	// Forged and forwarded reports that must never be trusted.
	forged := []string{
		newSigningKey(t, "google.com").Sign(t, good, time.Time{}),                                                                   // key not published
		strings.Replace(google.Sign(t, good, time.Time{}), `"total-failure-session-count":1`, `"total-failure-session-count":9`, 1), // tampered
		evil.Sign(t, good, time.Time{}),                               // unaligned signer
		evil.Sign(t, forward(good), time.Time{}),                      // the forwarder signs, the report does not
		arrive(good, "mx.evil.test", "dkim=pass header.d=google.com"), // A-R from an untrusted host
		arrive("Authentication-Results: mx.example.net; dkim=pass header.d=google.com\r\n"+good, "mx.example.net", "dkim=none"), // A-R below the MX's
		google.Sign(t, good, time.Now().Add(-time.Hour)),                                                                        // expired
		evil.Sign(t, testmail.ReportMail(t, "evil.test", testReport("evil.test"), testReport("google.com")), time.Time{}),       // second report claims google.com
	}
	for _, m := range forged {
		add(m, true)
		want.Report++
	}
	// The last one holds two reports: evil.test's own, which its
	// signature vouches for, and one claiming google.com, which it does
	// not.
	want.Untrusted += len(forged)
	want.Trusted++
	want.Reports = want.Trusted + want.Untrusted

	// Truncated mails: cut inside the header, the MIME structure and a
	// base64 gzip part.
	gzMail := "From: a@google.com\r\nTLS-Report-Submitter: google.com\r\nSubject: r\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=tlsrpt; boundary=\"G\"\r\n\r\n--G\r\nContent-Type: text/plain\r\n\r\nx\r\n" +
		"--G\r\nContent-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64lines(gz(t, reportJSON(t, testReport("google.com")))) + "--G--\r\n"
	add(gzMail[:len(gzMail)*2/3], true)
	want.Malformed++
	add(good[:40], true) // header only: other mail
	want.NotReport++
	want.Other++

	// Bombs: a gzip bomb in a report part, a zip bomb as an attachment,
	// a mail of 5,000 parts, nesting 50 deep, and a message over the
	// source's size cap.
	bomb := gz(t, append([]byte(`{"policies":[`), bytes.Repeat([]byte(" "), 64<<20)...))
	add("From: a@google.com\r\nSubject: bomb\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=tlsrpt; boundary=\"G\"\r\n\r\n"+
		"--G\r\nContent-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(bomb)+"--G--\r\n", true)
	want.TooLarge++
	zbomb := zipped(t, "r.json", `{"policies":[`+strings.Repeat(" ", 64<<20)+`]}`)
	add("From: a@google.com\r\nSubject: zip bomb\r\nMIME-Version: 1.0\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(zbomb), true)
	want.TooLarge++
	var many strings.Builder
	many.WriteString("From: a@google.com\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=\"P\"\r\n\r\n")
	for range 5000 {
		many.WriteString("--P\r\nContent-Type: text/plain\r\n\r\nx\r\n")
	}
	many.WriteString("--P--\r\n")
	add(many.String(), true)
	want.TooLarge++
	deep := "Subject: deep\r\n\r\nx\r\n"
	for i := range 50 {
		deep = "Subject: level " + itoa(i) + "\r\nContent-Type: message/rfc822\r\n\r\n" + deep
	}
	add(deep, true)
	want.TooLarge++
	add("Subject: huge\r\n\r\n"+strings.Repeat("y", 3<<20), true)
	want.TooLarge++

	// Garbage.
	add("\x00\x01\x02 binary junk", true)
	add("", true)
	want.Malformed += 2

	want.Messages = len(msgs)
	return msgs, want, keys, never
}

// TestHostileMailbox reads a mailbox full of hostile and useless mail,
// as an mbox file and as a Maildir, and checks that every message gets a
// fate, that the counts are exactly as expected and add up, that nothing
// forged is trusted, and that nothing stops the run.
func TestHostileMailbox(t *testing.T) {
	msgs, want, keys, never := hostileMailbox(t)
	rd := &Reader{
		Resolver:           dns(t, keys),
		TrustedAuthServIDs: []string{"mx.example.net"},
		MaxMessageSize:     2 << 20,
	}
	check := func(t *testing.T, src Source) {
		i := 0
		st, err := rd.Run(context.Background(), src, func(r *Result) error {
			for _, rep := range r.Reports {
				if never[i] && rep.Trust.Verdict == VerdictTrusted && rep.Trust.Domain == "google.com" {
					t.Errorf("message %d (%s) trusted: %s", i, r.ID, rep.Trust)
				}
			}
			i++
			return nil
		})
		require.NoError(t, err)
		require.NoError(t, st.Check())
		if diff := cmp.Diff(want, st); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
	}
	t.Run("mbox", func(t *testing.T) {
		check(t, &Mbox{R: bytes.NewReader(mboxrd(msgs...)), MaxMessageSize: 2 << 20})
	})
	t.Run("maildir", func(t *testing.T) {
		check(t, &Maildir{Dir: writeMaildir(t, msgs, nil), MaxMessageSize: 2 << 20})
	})
	t.Logf("fates: %+v", want)
}
