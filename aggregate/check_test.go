package aggregate_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// atext is RFC 5322 §3.2.3 atext; dotAtom is dot-atom-text.
const atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"

// reportIDPattern is a msg-id without angle brackets (RFC 5322 §3.6.4
// id-left "@" id-right, both dot-atom-text), in the shape this package
// documents.
var reportIDPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\.` + atext + `(\.` + atext + `)*\.[0-9a-f]{16}@` + atext + `(\.` + atext + `)*$`)

// cmpOpts compares reports: netip.Addr by value, nil and empty slices
// alike (the encoding does not tell them apart).
var cmpOpts = cmp.Options{cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Addr{})}

// checkReport fails the test unless r passes report.Validate, its report-id
// is a msg-id, and json.Marshal gives JSON the strict decoder accepts and
// decodes back to r.
func checkReport(t testing.TB, r *report.Report) {
	t.Helper()
	if err := r.Validate(); err != nil {
		t.Errorf("report %s: Validate: %v", r.ReportID, err)
	}
	if !reportIDPattern.MatchString(r.ReportID) {
		t.Errorf("report-id %q is not <day>.<domain>.<hash>@<domain> dot-atom-text", r.ReportID)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	dec := report.Decoder{Strict: true}
	got, warnings, err := dec.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("strict decode of %s: %v", data, err)
	}
	if len(warnings) != 0 {
		t.Errorf("strict decode of %s: warnings %v", data, warnings)
	}
	if diff := cmp.Diff(r, got, cmpOpts); diff != "" {
		t.Errorf("decode(marshal(report)) mismatch (-want +got):\n%s", diff)
	}
}
