package aggregate_test

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// snapshotErrors are the errors MergeSnapshot's *tlsrpt.Diagnostic wraps when the reader
// itself does not fail.
var snapshotErrors = []error{aggregate.ErrNotSnapshot, aggregate.ErrUnsupportedVersion, aggregate.ErrCorrupt, aggregate.ErrTruncated, aggregate.ErrTooLarge}

// isOneOf reports whether errors.Is(err, e) holds for one of errs.
func isOneOf(err error, errs ...error) bool {
	for _, e := range errs {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// validSnapshots are snapshots MergeSnapshot accepts, from the unit
// tests: the golden one, sealed table bodies, the tolerated one, and the
// frozen version 1 file.
func validSnapshots(tb testing.TB) [][]byte {
	golden, err := os.ReadFile(filepath.Join("testdata", "snapshot.golden"))
	if err != nil {
		tb.Fatal(err)
	}
	v1, err := os.ReadFile(filepath.Join("testdata", "snapshot-v1.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	out := [][]byte{golden, v1}
	for _, s := range []string{
		seal(hdr),
		seal(hdr + pol + sum),
		seal(tolerated),
		seal(hdr + pol + strings.Replace(sum, `"failed":0`, `"failed":3`, 1) + `{"record":"failure","day":"2026-11-24","policy":1,"result-type":"certificate-expired","receiving-mx-helo":"mx\u00e9","receiving-ip":"::ffff:192.0.2.1","count":3}` + "\n"),
		seal(hdr + strings.Replace(pol, `"sts"`, `"tlsa"`, 1)),
		hdr1 + pol + sum + end1(2),
	} {
		out = append(out, []byte(s))
	}
	return out
}

// fuzzTarget returns an Aggregator holding counts of its own, capped at
// max snapshot bytes, and its snapshot.
func fuzzTarget(t testing.TB, max int64) (*aggregate.Aggregator, []byte) {
	t.Helper()
	a := aggregate.New(aggregate.Config{MaxSnapshotSize: max, OrganizationName: "Fuzz", ContactInfo: "fuzz@sender.example"})
	record(t, a, session{t: noon, p: noneOrg})
	return a, snapshot(t, a)
}

// FuzzMergeSnapshot feeds arbitrary bytes to MergeSnapshot. Properties: no
// panic; a rejected snapshot is a *tlsrpt.Diagnostic wrapping one of the
// documented errors with its code, with a line number (at most one past
// the last line, for a missing line) and 0 or that line's offset, and leaves the counts unchanged; an accepted one
// round-trips (its counts, written and merged into an empty Aggregator,
// write the same bytes), yields reports that pass Validate, and proper
// prefixes of it (see cutPoints) are ErrTruncated (or ErrNotSnapshot, for
// a cut inside a header not in WriteSnapshot's form) and size caps below
// its length ErrTooLarge, merging nothing. Seeded from the unit tables.
func FuzzMergeSnapshot(f *testing.F) {
	for _, s := range validSnapshots(f) {
		f.Add(s)
	}
	for _, tt := range snapshotErrorTests() {
		if len(tt.in) <= 64<<10 {
			f.Add([]byte(tt.in))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, before := fuzzTarget(t, 1<<20)
		err := a.MergeSnapshot(bytes.NewReader(data))
		if err != nil {
			snapshotDiagnostic(t, err, data, 0)
			if !isOneOf(err, snapshotErrors...) {
				t.Fatalf("MergeSnapshot error %v wraps none of the documented errors", err)
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

		// Cut and capped, it merges nothing.
		headerEnd := bytes.IndexByte(data, '\n')
		canonical := bytes.HasPrefix(data, []byte(`{"format":"tlsrpt-aggregate-snapshot","version":`))
		c, before := fuzzTarget(t, 0)
		for _, n := range cutPoints(data) {
			err := c.MergeSnapshot(bytes.NewReader(data[:n]))
			if !errors.Is(err, aggregate.ErrTruncated) && (canonical || n > headerEnd || !errors.Is(err, aggregate.ErrNotSnapshot)) {
				t.Fatalf("accepted snapshot cut at %d of %d: MergeSnapshot = %v, want ErrTruncated", n, len(data), err)
			}
		}
		if after := snapshot(t, c); !bytes.Equal(before, after) {
			t.Fatalf("a cut snapshot changed the counts:\n%s\n---\n%s", before, after)
		}
		for _, limit := range []int{1, headerEnd, headerEnd + 1, len(data) / 2, len(data) - 1} {
			if limit <= 0 || limit >= len(data) {
				continue
			}
			c, before := fuzzTarget(t, int64(limit))
			if err := c.MergeSnapshot(bytes.NewReader(data)); !errors.Is(err, aggregate.ErrTooLarge) {
				t.Fatalf("accepted snapshot of %d bytes, MaxSnapshotSize %d: MergeSnapshot = %v, want ErrTooLarge", len(data), limit, err)
			}
			if after := snapshot(t, c); !bytes.Equal(before, after) {
				t.Fatalf("a snapshot over the size cap changed the counts:\n%s\n---\n%s", before, after)
			}
		}
	})
}

// cutPoints returns at most about 100 offsets to cut data at: both sides
// of its first newlines, the last bytes, and offsets spread over it.
// (TestSnapshotCutEverywhere tries every offset of one snapshot; trying
// every offset of every accepted fuzz input would stall the fuzzer.)
func cutPoints(data []byte) []int {
	cuts := []int{0, 1, len(data) - 2, len(data) - 1}
	for i, nl := 0, 0; i < 32; i++ {
		j := bytes.IndexByte(data[nl:], '\n')
		if j < 0 {
			break
		}
		nl += j + 1
		cuts = append(cuts, nl-1, nl)
	}
	for i := range 32 {
		cuts = append(cuts, i*len(data)/32)
	}
	return slices.DeleteFunc(cuts, func(n int) bool { return n < 0 || n >= len(data) })
}

// damage applies edits to a copy of orig: each group of 4 bytes is an
// operation (flip bits, set, insert, delete, cut) at a position.
func damage(orig, edits []byte) []byte {
	data := bytes.Clone(orig)
	for len(edits) >= 4 {
		op, pos, v := edits[0]%5, (int(edits[1])<<8|int(edits[2]))%(len(data)+1), edits[3]
		edits = edits[4:]
		switch {
		case op == 2:
			data = slices.Insert(data, pos, v)
		case op == 4:
			data = data[:pos]
		case pos == len(data):
		case op == 0:
			data[pos] ^= v
		case op == 1:
			data[pos] = v
		case op == 3:
			data = slices.Delete(data, pos, pos+1)
		}
	}
	return data
}

// FuzzSnapshotDamage damages a valid snapshot (one of validSnapshots,
// picked by which) with edits (see damage) and merges it under a size cap
// near its length. Properties: it either fails, merging nothing, or (for
// version 2, which has a checksum) merges exactly the counts of the
// undamaged snapshot, and only if the damage left its bytes unchanged. The error is
// ErrTruncated for a proper prefix; ErrTooLarge when the cap falls after
// the damage; ErrCorrupt or ErrTruncated for damage after the header
// line (ErrTooLarge too if over the cap).
func FuzzSnapshotDamage(f *testing.F) {
	snaps := validSnapshots(f)
	for i, s := range snaps {
		n := len(s)
		hi, lo := byte(n/2>>8), byte(n/2)
		f.Add(uint8(i), []byte{}, uint16(0))                                      // intact
		f.Add(uint8(i), []byte{4, byte((n - 1) >> 8), byte(n - 1), 0}, uint16(0)) // final newline cut
		f.Add(uint8(i), []byte{0, hi, lo, 0x04}, uint16(0))                       // one bit flipped
		f.Add(uint8(i), []byte{2, hi, lo, '\n'}, uint16(0))                       // newline inserted
		f.Add(uint8(i), []byte{3, hi, lo, 0}, uint16(0))                          // byte deleted
		f.Add(uint8(i), []byte{4, hi, lo, 0}, uint16(0))                          // cut mid-way
		f.Add(uint8(i), []byte{}, uint16(n/2))                                    // capped mid-way
	}
	wantAfters := make([][]byte, len(snaps)) // the target after merging each undamaged
	for i, s := range snaps {
		want, _ := fuzzTarget(f, 0)
		merge(f, want, s)
		wantAfters[i] = snapshot(f, want)
	}
	f.Fuzz(func(t *testing.T, which uint8, edits []byte, shrink uint16) {
		orig, wantAfter := snaps[int(which)%len(snaps)], wantAfters[int(which)%len(snaps)]
		data := damage(orig, edits)
		limit := max(1, len(orig)+16-int(shrink))

		a, before := fuzzTarget(t, int64(limit))
		err := a.MergeSnapshot(bytes.NewReader(data))
		if err == nil {
			if len(data) > limit {
				t.Fatalf("snapshot of %d bytes accepted, MaxSnapshotSize %d", len(data), limit)
			}
			if !bytes.HasPrefix(orig, []byte(hdr)) {
				return // version 1 has no checksum: damage may merge
			}
			if after := snapshot(t, a); !bytes.Equal(wantAfter, after) {
				t.Fatalf("damaged snapshot merged wrong counts (-want +got):\n%s", cmp.Diff(string(wantAfter), string(after)))
			}
			if !bytes.Equal(data, orig) {
				t.Fatalf("damaged version 2 snapshot accepted:\n%q\nundamaged:\n%q", data, orig)
			}
			return
		}
		if after := snapshot(t, a); !bytes.Equal(before, after) {
			t.Fatalf("a rejected snapshot (%v) changed the counts (-want +got):\n%s", err, cmp.Diff(string(before), string(after)))
		}
		if !isOneOf(err, snapshotErrors...) {
			t.Fatalf("MergeSnapshot error %v wraps none of the documented errors", err)
		}
		diffAt := 0 // the first byte that differs
		for diffAt < min(len(data), len(orig)) && data[diffAt] == orig[diffAt] {
			diffAt++
		}
		overCap := len(data) > limit
		switch {
		case overCap && diffAt >= limit:
			if !errors.Is(err, aggregate.ErrTooLarge) {
				t.Fatalf("MergeSnapshot = %v, want ErrTooLarge (%d bytes, cap %d, first damage at %d)", err, len(data), limit, diffAt)
			}
		case diffAt == len(data) && len(data) < len(orig):
			if !errors.Is(err, aggregate.ErrTruncated) {
				t.Fatalf("MergeSnapshot = %v, want ErrTruncated (cut at %d of %d)", err, len(data), len(orig))
			}
		case diffAt > bytes.IndexByte(orig, '\n'):
			if !isOneOf(err, aggregate.ErrCorrupt, aggregate.ErrTruncated) && !(overCap && errors.Is(err, aggregate.ErrTooLarge)) {
				t.Fatalf("MergeSnapshot = %v, want ErrCorrupt or ErrTruncated (first damage at %d, after the header)", err, diffAt)
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
		if err := a.Record(aggregate.Session{Time: noon, Policy: id, Failures: failuresOf(fd)}); err != nil {
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
