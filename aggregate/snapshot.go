package aggregate

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/capped"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// Snapshot format identifiers; see the package documentation.
const (
	snapshotFormat = "tlsrpt-aggregate-snapshot"
	// snapshotVersion is the version WriteSnapshot writes: the records
	// of version 1, a CRC-32C in the end record.
	snapshotVersion = 2
	// snapshotVersionNoChecksum is the first version, still read: its end
	// record carries no checksum.
	snapshotVersionNoChecksum = 1
)

// headerPrefix is how every header WriteSnapshot writes begins.
const headerPrefix = `{"format":"` + snapshotFormat + `","version":`

// castagnoli is the CRC-32C table (RFC 3720 §B.4) of the end record's
// checksum.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxSnapshotLine is the longest snapshot line MergeSnapshot accepts, in
// bytes (newline excluded). Longer lines fail with ErrTooLarge.
const maxSnapshotLine = 1 << 20

// maxCount is the largest count a snapshot may carry: the largest integer
// an I-JSON number holds exactly (RFC 7493 §2.2), as report counts must.
const maxCount = 1<<53 - 1

// The record kinds of snapshot lines after the header.
const (
	recordPolicy  = "policy"
	recordSummary = "summary"
	recordFailure = "failure"
	recordEnd     = "end"
)

type snapHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

type snapKind struct {
	Record string `json:"record"`
}

type snapPolicy struct {
	Record  string      `json:"record"`
	ID      uint32      `json:"id"`
	Type    policy.Type `json:"policy-type"`
	Strings []string    `json:"policy-string"`
	Domain  string      `json:"policy-domain"`
	MXHosts []string    `json:"mx-host"`
}

type snapSummary struct {
	Record     string `json:"record"`
	Day        string `json:"day"`
	Policy     uint32 `json:"policy"`
	Successful int64  `json:"successful"`
	Failed     int64  `json:"failed"`
}

type snapFailure struct {
	Record                string            `json:"record"`
	Day                   string            `json:"day"`
	Policy                uint32            `json:"policy"`
	ResultType            report.ResultType `json:"result-type"`
	SendingMTAIP          string            `json:"sending-mta-ip,omitempty"`
	ReceivingMXHostname   string            `json:"receiving-mx-hostname,omitempty"`
	ReceivingMXHelo       string            `json:"receiving-mx-helo,omitempty"`
	ReceivingIP           string            `json:"receiving-ip,omitempty"`
	AdditionalInformation string            `json:"additional-information,omitempty"`
	FailureReasonCode     string            `json:"failure-reason-code,omitempty"`
	Count                 int64             `json:"count"`
}

// snapEnd is the end record of a version 2 snapshot.
type snapEnd struct {
	Record  string `json:"record"`
	Records int64  `json:"records"`
	CRC32C  string `json:"crc32c"`
}

// snapEndNoChecksum is the end record of a version 1 snapshot.
type snapEndNoChecksum struct {
	Record  string `json:"record"`
	Records int64  `json:"records"`
}

// WriteSnapshot writes the counts of the given UTC days (each day names
// the UTC day that contains it), or with no days every count the
// Aggregator holds, to w in the snapshot format of the package
// documentation. The output is canonical:
// two Aggregators holding the same counts write the same bytes. Counts are
// copied under the shard locks and written after releasing them, so
// recording goes on while w is slow. Each (day, policy) pair is copied
// atomically; sessions recorded during the copy may or may not be in it.
//
// A snapshot is cumulative: merging two snapshots of the same Aggregator
// counts the sessions before the first one twice.
func (a *Aggregator) WriteSnapshot(w io.Writer, days ...time.Time) error {
	var only map[int64]bool
	if len(days) > 0 {
		only = make(map[int64]bool, len(days))
		for _, d := range days {
			only[dayNumber(d)] = true
		}
	}
	type pair struct {
		summary *summaryCount
		details []detailCountKey
		counts  []int64
	}
	pairs := make(map[summaryKey]*pair)
	get := func(k summaryKey) *pair {
		p := pairs[k]
		if p == nil {
			p = new(pair)
			pairs[k] = p
		}
		return p
	}
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		for k, c := range sh.summaries {
			if only != nil && !only[k.day] {
				continue
			}
			cc := *c
			get(k).summary = &cc
		}
		for _, dc := range sh.details {
			if only != nil && !only[dc.day] {
				continue
			}
			p := get(summaryKey{day: dc.day, policy: dc.policy})
			p.details = append(p.details, dc.detailCountKey)
			p.counts = append(p.counts, dc.n)
		}
		sh.mu.Unlock()
	}

	// Number the referenced policies 1..n in Key order.
	var ids []PolicyID
	seen := make(map[PolicyID]bool)
	for k := range pairs {
		if !seen[k.policy] {
			seen[k.policy] = true
			ids = append(ids, k.policy)
		}
	}
	entries := a.policies.entries(ids)
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(entries[i].key, entries[j].key) })
	snapID := make(map[PolicyID]uint32, len(ids))
	for n, i := range order {
		snapID[ids[i]] = uint32(n + 1)
	}
	keys := make([]summaryKey, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y summaryKey) int {
		if c := cmp.Compare(x.day, y.day); c != 0 {
			return c
		}
		return cmp.Compare(snapID[x.policy], snapID[y.policy])
	})

	bw := bufio.NewWriter(w)
	var records int64
	var crc uint32 // of every byte before the end record
	put := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("aggregate: writing snapshot: %w", err)
		}
		b = append(b, '\n')
		crc = crc32.Update(crc, castagnoli, b)
		_, err = bw.Write(b)
		return err
	}
	if err := put(snapHeader{Format: snapshotFormat, Version: snapshotVersion}); err != nil {
		return err
	}
	for n, i := range order {
		p := entries[i].p
		err := put(snapPolicy{Record: recordPolicy, ID: uint32(n + 1), Type: p.Type,
			Strings: nonNil(p.Strings), Domain: p.Domain, MXHosts: nonNil(p.MXHosts)})
		if err != nil {
			return err
		}
		records++
	}
	for _, k := range keys {
		p := pairs[k]
		day := dayStart(k.day).Format(time.DateOnly)
		id := snapID[k.policy]
		if p.summary != nil {
			err := put(snapSummary{Record: recordSummary, Day: day, Policy: id,
				Successful: p.summary.successful, Failed: p.summary.failed})
			if err != nil {
				return err
			}
			records++
		}
		idx := make([]int, len(p.details))
		for j := range idx {
			idx[j] = j
		}
		slices.SortFunc(idx, func(x, y int) int { return compareDetails(p.details[x].detail, p.details[y].detail) })
		for _, j := range idx {
			d := p.details[j].detail
			err := put(snapFailure{Record: recordFailure, Day: day, Policy: id,
				ResultType:            d.resultType,
				SendingMTAIP:          addrText(d.sendingMTAIP),
				ReceivingMXHostname:   d.mxHostname,
				ReceivingMXHelo:       d.mxHelo,
				ReceivingIP:           addrText(d.receivingIP),
				AdditionalInformation: d.additionalInfo,
				FailureReasonCode:     d.failureReasonCd,
				Count:                 p.counts[j],
			})
			if err != nil {
				return err
			}
			records++
		}
	}
	if err := put(snapEnd{Record: recordEnd, Records: records, CRC32C: crcText(crc)}); err != nil {
		return err
	}
	return bw.Flush()
}

// crcText is the form of a checksum in the end record: 8 lower-case hex
// digits.
func crcText(crc uint32) string { return fmt.Sprintf("%08x", crc) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// staged is a parsed snapshot, applied only once it was read completely.
type staged struct {
	policies  map[uint32]policy.Policy
	summaries map[summaryKey]summaryCount // policy: snapshot id
	details   map[detailCountKey]int64    // policy: snapshot id
	lines     map[detailCountKey]int      // last line of each detail
}

// MergeSnapshot reads a snapshot written by WriteSnapshot (of this or of
// another Aggregator, on this or another node) and adds its counts to
// a's. Merging the snapshots of several Aggregators into an empty one
// gives the reports that recording every session in one Aggregator gives.
//
// The snapshot is read completely and checked (its checksum included)
// before anything is merged: on error nothing is merged and the error is a
// *tlsrpt.Diagnostic with Path "line N" (N from 1; for a truncated or too
// large snapshot the line being read), Offset the byte offset of that
// line when known, and Code and Err one of CodeNotSnapshot and
// ErrNotSnapshot, CodeUnsupportedVersion and ErrUnsupportedVersion,
// CodeSnapshotCorrupt and ErrCorrupt, CodeSnapshotTruncated and
// ErrTruncated (any proper prefix of a snapshot WriteSnapshot wrote, the
// empty input included), CodeSnapshotTooLarge and ErrTooLarge (more than
// Config.MaxSnapshotSize bytes, wherever the cap falls, or a line longer
// than 1 MiB), or CodeSnapshotRead and the reader's error. Version 1 snapshots, which
// carry no checksum, are read too. Memory use is proportional to the
// snapshot's size.
func (a *Aggregator) MergeSnapshot(r io.Reader) error {
	st, err := a.readSnapshot(r)
	if err != nil {
		return err
	}
	ids := make(map[uint32]PolicyID, len(st.policies))
	for sid, p := range st.policies {
		ids[sid] = a.policies.intern(p)
	}
	for k, c := range st.summaries {
		k.policy = ids[uint32(k.policy)]
		sh := &a.shards[shardIndex(k.day, k.policy)]
		sh.mu.Lock()
		sc := sh.summaries[k]
		if sc == nil {
			sc = sh.newSummary(k)
		}
		sc.successful = satAdd(sc.successful, c.successful)
		sc.failed = satAdd(sc.failed, c.failed)
		sh.markSummary(sc)
		sh.mu.Unlock()
	}
	var enc []byte
	for k, n := range st.details {
		k.policy = ids[uint32(k.policy)]
		enc = appendDetailKey(enc[:0], k.day, k.policy, &k.detail)
		sh := &a.shards[shardIndex(k.day, k.policy)]
		sh.mu.Lock()
		dc := sh.details[string(enc)]
		if dc == nil {
			dc = sh.newDetail(string(enc), k)
		}
		dc.n = satAdd(dc.n, n)
		sh.markDetail(dc)
		sh.mu.Unlock()
	}
	return nil
}

// satAdd returns x+y for non-negative x and y, saturating at
// math.MaxInt64.
func satAdd(x, y int64) int64 {
	if x > math.MaxInt64-y {
		return math.MaxInt64
	}
	return x + y
}

// readSnapshot parses and checks a whole snapshot.
func (a *Aggregator) readSnapshot(r io.Reader) (*staged, error) {
	limit := a.cfg.MaxSnapshotSize
	if limit <= 0 {
		limit = defaultMaxSnapshotSize
	}
	lr := lineReader{br: bufio.NewReaderSize(capped.NewReader(r, limit, ErrTooLarge), 64<<10)}
	st := &staged{
		policies:  make(map[uint32]policy.Policy),
		summaries: make(map[summaryKey]summaryCount),
		details:   make(map[detailCountKey]int64),
		lines:     make(map[detailCountKey]int),
	}
	line := 0
	var offset, start int64 // of the next line, of the line read
	fail := func(err error, format string, args ...any) error {
		reason := ""
		if format != "" {
			reason = fmt.Sprintf(format, args...)
		}
		return snapshotError(err, line, start, reason)
	}
	var (
		version int
		records int64
		crc     uint32 // of every line before the end record
		ended   bool
	)
	for {
		raw, err := lr.next()
		line++
		start = offset
		offset += int64(len(raw))
		switch {
		case errors.Is(err, ErrTooLarge):
			// Before anything else: the cap may fall anywhere, and
			// what was read up to it proves nothing.
			return nil, fail(ErrTooLarge, "more than %d bytes", limit)
		case errors.Is(err, errLineTooLong):
			return nil, fail(ErrTooLarge, "line longer than %d bytes", maxSnapshotLine)
		case err != nil && err != io.EOF:
			return nil, fail(err, "")
		}
		if len(raw) == 0 { // err == io.EOF: the input ended
			break
		}
		if ended {
			return nil, fail(ErrCorrupt, "data after the end record")
		}
		b, complete := bytes.CutSuffix(raw, []byte("\n"))
		if !complete {
			// Every line WriteSnapshot writes ends in a newline: input
			// that ends otherwise was cut. Unless the first line is
			// plainly something else.
			if line == 1 && !mayBeHeader(b) {
				return nil, fail(ErrNotSnapshot, "")
			}
			return nil, fail(ErrTruncated, "input ends in the middle of a line")
		}
		if line == 1 {
			var h snapHeader
			if err := json.Unmarshal(b, &h); err != nil || h.Format != snapshotFormat {
				return nil, fail(ErrNotSnapshot, "")
			}
			if h.Version != snapshotVersion && h.Version != snapshotVersionNoChecksum {
				return nil, fail(ErrUnsupportedVersion, "version %d", h.Version)
			}
			if err := strictUnmarshal(b, &h); err != nil {
				return nil, fail(ErrCorrupt, "header: %v", err)
			}
			version = h.Version
			crc = crc32.Update(crc, castagnoli, raw)
			continue
		}
		var kind snapKind
		if err := json.Unmarshal(b, &kind); err != nil {
			return nil, fail(ErrCorrupt, "%v", err)
		}
		switch kind.Record {
		case recordPolicy:
			err = st.addPolicy(b)
		case recordSummary:
			err = st.addSummary(b)
		case recordFailure:
			err = st.addFailure(b, line)
		case recordEnd:
			if err := checkEnd(b, version, records, crc); err != nil {
				return nil, fail(ErrCorrupt, "%v", err)
			}
			ended = true
			continue
		default:
			err = fmt.Errorf("unknown record %q", kind.Record)
		}
		if err != nil {
			return nil, fail(ErrCorrupt, "%v", err)
		}
		records++
		crc = crc32.Update(crc, castagnoli, raw)
	}
	if !ended {
		return nil, fail(ErrTruncated, "no end record")
	}
	if l, reason := st.check(); l != 0 {
		return nil, snapshotError(ErrCorrupt, l, 0, reason)
	}
	return st, nil
}

// checkEnd checks the end record b of a snapshot of the given version
// after the given number of records, whose lines (header included) have
// the CRC-32C crc.
func checkEnd(b []byte, version int, records int64, crc uint32) error {
	if version == snapshotVersionNoChecksum {
		var e snapEndNoChecksum
		if err := strictUnmarshal(b, &e); err != nil {
			return err
		}
		if e.Records != records {
			return fmt.Errorf("end record counts %d records, read %d", e.Records, records)
		}
		return nil
	}
	var e snapEnd
	if err := strictUnmarshal(b, &e); err != nil {
		return err
	}
	if e.Records != records {
		return fmt.Errorf("end record counts %d records, read %d", e.Records, records)
	}
	// The checksum does not cover its own line, so that line must be
	// exactly as WriteSnapshot writes it: no byte of it goes unchecked.
	if want, err := json.Marshal(e); err != nil || !bytes.Equal(b, want) {
		return errors.New("end record not in its canonical form")
	}
	if got := crcText(crc); e.CRC32C != got {
		return fmt.Errorf("checksum mismatch: crc32c %q in the end record, %q of the data", e.CRC32C, got)
	}
	return nil
}

// mayBeHeader reports whether b, a first line without its newline, may be
// a header cut short.
func mayBeHeader(b []byte) bool {
	n := min(len(b), len(headerPrefix))
	if string(b[:n]) == headerPrefix[:n] {
		return true
	}
	var h snapHeader
	return json.Unmarshal(b, &h) == nil && h.Format == snapshotFormat
}

// errLineTooLong is returned by lineReader.next for a line longer than
// maxSnapshotLine.
var errLineTooLong = errors.New("aggregate: snapshot line too long")

// lineReader splits a snapshot into lines. Unlike bufio.Scanner it tells a
// final line without a newline (cut short) from a complete one, and a read
// error from the end of the input.
type lineReader struct {
	br   *bufio.Reader
	long []byte // holds a line longer than br's buffer
}

// next returns the next line with its newline, valid until the next call.
// At the end of the input it returns the final line without a newline, if
// any, with io.EOF; an empty line with io.EOF means there is no more
// input. On any other error the line is dropped.
func (lr *lineReader) next() ([]byte, error) {
	b, err := lr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], b...)
		for err == bufio.ErrBufferFull && len(lr.long) <= maxSnapshotLine {
			b, err = lr.br.ReadSlice('\n')
			lr.long = append(lr.long, b...)
		}
		b = lr.long
	}
	switch {
	case err == bufio.ErrBufferFull || len(bytes.TrimSuffix(b, []byte("\n"))) > maxSnapshotLine:
		return nil, errLineTooLong
	case err != nil && err != io.EOF:
		return nil, err
	}
	return b, err
}

// strictUnmarshal decodes one JSON object from b into v, rejecting unknown
// members and trailing data.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the object")
	}
	return nil
}

func (st *staged) addPolicy(b []byte) error {
	var sp snapPolicy
	if err := strictUnmarshal(b, &sp); err != nil {
		return err
	}
	if sp.ID == 0 {
		return errors.New("policy id 0")
	}
	if _, dup := st.policies[sp.ID]; dup {
		return fmt.Errorf("policy id %d defined twice", sp.ID)
	}
	p, err := normalizePolicy(policy.Policy{Type: sp.Type, Strings: sp.Strings, Domain: sp.Domain, MXHosts: sp.MXHosts})
	if err != nil {
		return err
	}
	st.policies[sp.ID] = p
	return nil
}

// pairKey checks the day and policy of a count record.
func (st *staged) pairKey(day string, id uint32) (summaryKey, error) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return summaryKey{}, fmt.Errorf("day %q: not YYYY-MM-DD", day)
	}
	if _, ok := st.policies[id]; !ok {
		return summaryKey{}, fmt.Errorf("policy id %d not defined before use", id)
	}
	return summaryKey{day: dayNumber(t), policy: PolicyID(id)}, nil
}

func checkCount(name string, n int64) error {
	if n < 0 || n > maxCount {
		return fmt.Errorf("%s %d out of range [0, %d]", name, n, int64(maxCount))
	}
	return nil
}

func (st *staged) addSummary(b []byte) error {
	var ss snapSummary
	if err := strictUnmarshal(b, &ss); err != nil {
		return err
	}
	k, err := st.pairKey(ss.Day, ss.Policy)
	if err != nil {
		return err
	}
	if err := checkCount("successful", ss.Successful); err != nil {
		return err
	}
	if err := checkCount("failed", ss.Failed); err != nil {
		return err
	}
	if ss.Successful == 0 && ss.Failed == 0 {
		return nil // adds nothing
	}
	c := st.summaries[k]
	c.successful += ss.Successful
	c.failed += ss.Failed
	if err := checkCount("successful", c.successful); err != nil {
		return err
	}
	if err := checkCount("failed", c.failed); err != nil {
		return err
	}
	st.summaries[k] = c
	return nil
}

func (st *staged) addFailure(b []byte, line int) error {
	var sf snapFailure
	if err := strictUnmarshal(b, &sf); err != nil {
		return err
	}
	k, err := st.pairKey(sf.Day, sf.Policy)
	if err != nil {
		return err
	}
	if err := checkCount("count", sf.Count); err != nil {
		return err
	}
	fd := Failure{
		ResultType:            sf.ResultType,
		ReceivingMXHostname:   sf.ReceivingMXHostname,
		ReceivingMXHelo:       sf.ReceivingMXHelo,
		AdditionalInformation: sf.AdditionalInformation,
		FailureReasonCode:     sf.FailureReasonCode,
	}
	if sf.SendingMTAIP != "" {
		if fd.SendingMTAIP, err = netip.ParseAddr(sf.SendingMTAIP); err != nil {
			return fmt.Errorf("sending-mta-ip: %v", err)
		}
	}
	if sf.ReceivingIP != "" {
		if fd.ReceivingIP, err = netip.ParseAddr(sf.ReceivingIP); err != nil {
			return fmt.Errorf("receiving-ip: %v", err)
		}
	}
	var dk detailKey
	if err := normalizeDetail(&fd, &dk); err != nil {
		return err
	}
	if err := checkNewDetail(&dk); err != nil {
		return err
	}
	if sf.Count == 0 {
		return nil // adds nothing
	}
	key := detailCountKey{day: k.day, policy: k.policy, detail: dk}
	n := st.details[key] + sf.Count
	if err := checkCount("count", n); err != nil {
		return err
	}
	st.details[key] = n
	st.lines[key] = line
	return nil
}

// check verifies what holds for any snapshot WriteSnapshot writes: a
// failure detail of a policy on a day counts at most as many sessions as
// the policy's failed total (each failed session counts once in the total
// and at most once per detail, RFC 8460 §4.2). It returns the first line
// that breaks it, or 0.
func (st *staged) check() (line int, reason string) {
	for k, n := range st.details {
		failed := st.summaries[summaryKey{day: k.day, policy: k.policy}].failed
		if n > failed && (line == 0 || st.lines[k] < line) {
			line = st.lines[k]
			reason = fmt.Sprintf("failure detail counts %d sessions, the summary's failed total %d", n, failed)
		}
	}
	return line, reason
}
