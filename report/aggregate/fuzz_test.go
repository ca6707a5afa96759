package aggregate_test

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/report/aggregate"
)

// FuzzMergeSnapshot feeds arbitrary bytes to MergeSnapshot. Properties: no
// panic; a rejected snapshot is a *SnapshotError with a line number (at
// most one past the last line, for a missing line) and
// leaves the counts unchanged; an accepted one round-trips (its counts,
// written and merged into an empty Aggregator, write the same bytes) and
// yields reports that pass Validate.
func FuzzMergeSnapshot(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "snapshot.golden"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	for _, s := range []string{
		"",
		seal(hdr),
		seal(hdr + pol + sum),
		seal(hdr + pol + sum + sum),
		hdr + pol + sum,
		`{"format":"tlsrpt-aggregate-snapshot","version":3}` + "\n",
		seal(hdr + pol + strings.Replace(sum, `"failed":0`, `"failed":3`, 1) + `{"record":"failure","day":"2026-11-24","policy":1,"result-type":"certificate-expired","receiving-mx-helo":"mx\u00e9","receiving-ip":"::ffff:192.0.2.1","count":3}` + "\n"),
		seal(hdr + strings.Replace(pol, `"sts"`, `"tlsa"`, 1)),
		hdr1 + pol + sum + end1(2),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a := aggregate.New(aggregate.Config{MaxSnapshotSize: 1 << 20, OrganizationName: "Fuzz", ContactInfo: "fuzz@sender.example"})
		record(t, a, session{t: noon, p: noneOrg})
		before := snapshot(t, a)
		err := a.MergeSnapshot(bytes.NewReader(data))
		if err != nil {
			var se *aggregate.SnapshotError
			if !errors.As(err, &se) || se.Line < 0 || se.Line > bytes.Count(data, []byte("\n"))+2 {
				t.Fatalf("MergeSnapshot error %v (%T) lacks a good line number", err, err)
			}
			if after := snapshot(t, a); !bytes.Equal(before, after) {
				t.Fatalf("a rejected snapshot changed the counts:\n%s\n---\n%s", before, after)
			}
			return
		}
		snap := snapshot(t, a)
		b := aggregate.New(aggregate.Config{})
		if err := b.MergeSnapshot(bytes.NewReader(snap)); err != nil {
			t.Fatalf("own snapshot rejected: %v\n%s", err, snap)
		}
		if diff := cmp.Diff(string(snap), string(snapshot(t, b))); diff != "" {
			t.Fatalf("snapshot round trip (-want +got):\n%s", diff)
		}
		for _, rs := range allReports(t, a) {
			for _, r := range rs {
				if err := r.Validate(); err != nil {
					t.Fatalf("report from a merged snapshot: %v", err)
				}
			}
		}
	})
}

// FuzzRecord records a failed session with an arbitrary policy and failure
// detail. Property: PolicyID or Record refuses it with ErrInvalidPolicy or
// ErrInvalidDetail, or the day's report passes Validate and the strict
// decoder.
func FuzzRecord(f *testing.F) {
	f.Add("sts", "example.com", "mode: enforce", "*.mx.example.com", "certificate-expired", "192.0.2.1", "mx1.example.com", "mx1.example.com ESMTP", "2001:db8::25", "https://help.example/", "X509_V_ERR_CERT_HAS_EXPIRED")
	f.Add("tlsa", "MX.Example.", "3 1 1 (AB CD)", "", "tlsa-invalid", "::ffff:10.0.0.1", "", "mx\r\n250 x", "fe80::1%eth0", "", "bad \xc3")
	f.Add("no-policy-found", "bücher.example", "", "", "starttls-not-supported", "", "MX.Bücher.example.", strings.Repeat("é", 200), "", "urn:x", "")
	f.Add("tlsa", "example.com", "3 1 1 ", "", "dane-required", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, ptype, pdomain, pstring, mxhost, rtype, sip, mxname, helo, rip, addinfo, reason string) {
		p := policy.Policy{Type: policy.Type(ptype), Domain: pdomain}
		if pstring != "" {
			p.Strings = strings.Split(pstring, "|")
		}
		if mxhost != "" {
			p.MXHosts = strings.Split(mxhost, "|")
		}
		a := aggregate.New(testConfig)
		id, err := a.PolicyID(p)
		if err != nil {
			if !errors.Is(err, aggregate.ErrInvalidPolicy) {
				t.Fatalf("PolicyID = %v, want ErrInvalidPolicy", err)
			}
			return
		}
		fd := report.FailureDetail{
			ResultType:            report.ResultType(rtype),
			ReceivingMXHostname:   mxname,
			ReceivingMXHelo:       helo,
			AdditionalInformation: addinfo,
			FailureReasonCode:     reason,
		}
		fd.SendingMTAIP, _ = netip.ParseAddr(sip)
		fd.ReceivingIP, _ = netip.ParseAddr(rip)
		if err := a.Record(aggregate.Session{Time: noon, Policy: id, Failures: []report.FailureDetail{fd}}); err != nil {
			if !errors.Is(err, aggregate.ErrInvalidDetail) {
				t.Fatalf("Record = %v, want ErrInvalidDetail", err)
			}
			if err := a.Record(aggregate.Session{Time: noon, Policy: id}); err != nil {
				t.Fatal(err)
			}
		}
		rs, err := a.Reports(noon)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 {
			t.Fatalf("%d reports, want 1", len(rs))
		}
		checkReport(t, rs[0])
	})
}
