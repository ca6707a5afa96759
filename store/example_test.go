package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the program, not the library, picks the driver

	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// A report as mailed (compact) and as POSTed (pretty-printed, members in
// another order): the same report.
const (
	mailed = `{"organization-name":"Example Mail","date-range":{"start-datetime":"2026-11-28T00:00:00Z",` +
		`"end-datetime":"2026-11-28T23:59:59Z"},"contact-info":"tlsrpt@mail.example","report-id":"r-1",` +
		`"policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing",` +
		`"mx: mx.example.com","max_age: 86400"],"policy-domain":"example.com","mx-host":["mx.example.com"]},` +
		`"summary":{"total-successful-session-count":97,"total-failure-session-count":3},` +
		`"failure-details":[{"result-type":"certificate-expired","receiving-mx-hostname":"mx.example.com",` +
		`"failed-session-count":3}]}]}`
	posted = `{
  "report-id": "r-1", "organization-name": "Example Mail", "contact-info": "tlsrpt@mail.example",
  "date-range": {"end-datetime": "2026-11-28T23:59:59Z", "start-datetime": "2026-11-28T00:00:00Z"},
  "policies": [{
    "summary": {"total-failure-session-count": 3, "total-successful-session-count": 97},
    "policy": {"policy-domain": "example.com", "policy-type": "sts", "mx-host": ["mx.example.com"],
      "policy-string": ["version: STSv1", "mode: testing", "mx: mx.example.com", "max_age: 86400"]},
    "failure-details": [{"failed-session-count": 3, "result-type": "certificate-expired",
      "receiving-mx-hostname": "mx.example.com"}]
  }]
}`
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tlsrpt-store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", store.SQLiteDSN(filepath.Join(dir, "reports.db")))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	arrivals := []struct {
		raw    string
		source string
		trust  store.Trust
	}{
		{mailed, "maildir:/var/mail/tlsrpt/new/1.eml", store.Trust{Verdict: store.VerdictTrusted, By: "dkim:mail.example", Reason: "valid signature"}},
		{posted, "https", store.Trust{Verdict: store.VerdictUntrusted, By: "https", Reason: "HTTPS reports are not signed"}},
	}
	for i, a := range arrivals {
		rep, warnings, err := report.Parse([]byte(a.raw))
		if err != nil {
			log.Fatal(err)
		}
		res, err := st.Put(ctx, store.Entry{
			Report: rep, Raw: []byte(a.raw), Diagnostics: warnings, Trust: a.trust, Source: a.source,
			Received: time.Date(2026, 11, 29, 6, i, 0, 0, time.UTC),
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(a.source+":", res)
	}

	got, err := st.Get(ctx, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("kept:", got.Source, got.Trust.Verdict, "raw as mailed:", string(got.Raw) == mailed)

	for row, err := range st.Rows(ctx, store.Filter{Domain: "example.com"}) {
		if err != nil {
			log.Fatal(err)
		}
		switch row.Kind {
		case store.RowPolicy:
			fmt.Println(row.Kind, row.Policy.Domain, row.Mode, row.Summary.TotalSuccessfulSessionCount, row.Summary.TotalFailureSessionCount)
		case store.RowFailure:
			fmt.Println(row.Kind, row.Failure.ResultType, row.Failure.ReceivingMXHostname, row.Failure.FailedSessionCount)
		}
	}
	// Output:
	// maildir:/var/mail/tlsrpt/new/1.eml: stored 1
	// https: duplicate 1 (content)
	// kept: maildir:/var/mail/tlsrpt/new/1.eml trusted raw as mailed: true
	// policy example.com testing 97 3
	// failure certificate-expired mx.example.com 3
}

func ExampleStore_Export() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tlsrpt-store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", store.SQLiteDSN(filepath.Join(dir, "reports.db")))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	rep, _, err := report.Parse([]byte(mailed))
	if err != nil {
		log.Fatal(err)
	}
	_, err = st.Put(ctx, store.Entry{Report: rep, Source: "https", Received: time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)})
	if err != nil {
		log.Fatal(err)
	}
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	err = st.Export(ctx, os.Stdout, store.FormatCSV, store.Filter{Since: day, Until: day.AddDate(0, 0, 1)})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// row_type,report_key,organization_name,contact_info,report_id,begin_date,end_date,policy_index,policy_type,policy_domain,policy_mode,policy_strings,mx_host_patterns,successful_session_count,failed_session_count,detail_index,result_type,sending_mta_ip,receiving_ip,receiving_mx_hostname,receiving_mx_helo,additional_info_uri,failure_reason_code,trust,source,received_at
	// policy,1,Example Mail,tlsrpt@mail.example,r-1,2026-11-28T00:00:00Z,2026-11-28T23:59:59Z,0,sts,example.com,testing,version: STSv1|mode: testing|mx: mx.example.com|max_age: 86400,mx.example.com,97,3,,,,,,,,,,https,2026-11-29T06:00:00Z
	// failure,1,Example Mail,tlsrpt@mail.example,r-1,2026-11-28T00:00:00Z,2026-11-28T23:59:59Z,0,sts,example.com,testing,version: STSv1|mode: testing|mx: mx.example.com|max_age: 86400,mx.example.com,,3,0,certificate-expired,,,mx.example.com,,,,,https,2026-11-29T06:00:00Z
}

func ExampleStore_ListReports() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tlsrpt-store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", store.SQLiteDSN(filepath.Join(dir, "reports.db")))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	rep, _, err := report.Parse([]byte(mailed))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := st.Put(ctx, store.Entry{Report: rep, Source: "https"}); err != nil {
		log.Fatal(err)
	}
	list, err := st.ListReports(ctx, store.ViewFilter{Filter: store.Filter{Domain: "example.com"}}, store.Page{Limit: 20})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(list.Total, "report")
	for _, r := range list.Reports {
		fmt.Println(r.OrganizationName, r.Start.Format(time.DateTime), "..", r.End.Format(time.DateTime))
		for _, p := range r.Policies {
			fmt.Println(" ", p.Type, p.Domain, p.Mode, p.Successful, p.Failed)
			for _, f := range p.Failures {
				fmt.Println("   ", f.ResultType, f.ReceivingMXHostname, f.Failed)
			}
		}
	}
	// Output:
	// 1 report
	// Example Mail 2026-11-28 00:00:00 .. 2026-11-28 23:59:59
	//   sts example.com testing 97 3
	//     certificate-expired mx.example.com 3
}
