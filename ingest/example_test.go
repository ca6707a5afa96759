package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/go-tlsrpt/tlsrpt/ingest"
)

// report is a minimal TLS report (RFC 8460 §4.4).
const report = `{"organization-name":"Sender Inc.","date-range":{"start-datetime":"2026-11-24T00:00:00Z","end-datetime":"2026-11-25T00:00:00Z"},` +
	`"contact-info":"mailto:tlsrpt@sender.example","report-id":"2026-11-24_example.net",` +
	`"policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.net"},` +
	`"summary":{"total-successful-session-count":10,"total-failure-session-count":0}}]}`

// Read one input of any form: here a bare .json report, which nothing
// signs.
func ExampleReader_Read() {
	rd := &ingest.Reader{}
	res := rd.Read(context.Background(), strings.NewReader(report))
	fmt.Println(res.Format, res.Fate)
	for _, r := range res.Reports {
		fmt.Println(r.Report.ReportID, r.Trust)
	}
	// Output:
	// json report
	// 2026-11-24_example.net untrusted: not a mail: nothing signs a report file or HTTPS submission (RFC 8460 §7)
}

// Read a mailbox and count the fates. The Reader trusts the
// Authentication-Results of the operator's MX (mx.example.net) and makes
// no DNS query (NoDKIM).
func ExampleReader_Run() {
	mail := "Authentication-Results: mx.example.net; dkim=pass header.d=sender.example\n" +
		"Received: from mail.sender.example by mx.example.net; Tue, 25 Nov 2026 01:00:00 +0000\n" +
		"From: tlsrpt@sender.example\nTLS-Report-Domain: example.net\nTLS-Report-Submitter: sender.example\n" +
		"Subject: Report Domain: example.net Submitter: sender.example Report-ID: <1@sender.example>\n" +
		"Content-Type: application/tlsrpt+json\n\n" + report + "\n"
	mbox := "From MAILER-DAEMON Tue Nov 25 01:00:00 2026\n" + mail + "\n" +
		"From MAILER-DAEMON Tue Nov 25 02:00:00 2026\nSubject: cron\n\nall is well\n\n"

	rd := &ingest.Reader{TrustedAuthServIDs: []string{"mx.example.net"}, NoDKIM: true}
	st, err := rd.Run(context.Background(), &ingest.Mbox{R: strings.NewReader(mbox)}, func(r *ingest.Result) error {
		fmt.Println(strings.TrimSpace(fmt.Sprint(r.ID, " ", r.Fate, " ", r.Kind)))
		for _, rep := range r.Reports {
			fmt.Println("  ", rep.Report.ReportID, rep.Trust)
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d messages: %d report, %d not a report; %d trusted\n", st.Messages, st.Report, st.NotReport, st.Trusted)
	// Output:
	// #1 report
	//    2026-11-24_example.net trusted by authentication-results of mx.example.net (dkim=pass header.d=sender.example)
	// #2 not-report other
	// 2 messages: 1 report, 1 not a report; 1 trusted
}

// Mount a Receiver as the https rua endpoint of an analyzer.
func ExampleReceiver() {
	rv := &ingest.Receiver{
		Handle: func(ctx context.Context, r *ingest.Received) error {
			// Store the report; an error makes the sender retry later.
			fmt.Println("received", r.Report.ReportID, "from", r.Report.OrganizationName, "gzip:", r.Compressed)
			return nil
		},
		MaxBodySize: 1 << 20,
	}
	mux := http.NewServeMux()
	mux.Handle("/tlsrpt", rv)
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	// In production, use an http.Server with ReadHeaderTimeout, ReadTimeout
	// and MaxHeaderBytes set (see the package documentation).

	resp, err := srv.Client().Post(srv.URL+"/tlsrpt", "application/tlsrpt+json", bytes.NewReader([]byte(report)))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	resp, err = srv.Client().Get(srv.URL + "/tlsrpt")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("Allow"))
	// Output:
	// received 2026-11-24_example.net from Sender Inc. gzip: false
	// 200 OK
	// 405 Method Not Allowed POST
}
