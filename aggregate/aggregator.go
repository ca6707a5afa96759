package aggregate

import (
	"bytes"
	"hash/maphash"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// Config configures an Aggregator. The zero Config records and snapshots;
// Reports needs OrganizationName and ContactInfo.
type Config struct {
	// OrganizationName is the organization-name of every report
	// (RFC 8460 §4.4). Reports fails with ErrConfig when it is empty.
	OrganizationName string
	// ContactInfo is the contact-info of every report: an e-mail address
	// or URI (RFC 8460 §4.4). Reports fails with ErrConfig when it is
	// empty.
	ContactInfo string
	// ReportIDDomain is the id-right of every report-id. Zero means the
	// domain of ContactInfo (the part after its last "@", or the host of
	// a URI).
	ReportIDDomain string
	// OnlyFailures makes Reports leave out the reports of policy domains
	// that had no failed session that day. Zero means a report for every
	// policy domain with a recorded session: successful sessions alone are
	// a useful heartbeat (RFC 8460 §4.2.1).
	OnlyFailures bool
	// MaxSnapshotSize caps the bytes MergeSnapshot reads. Zero means
	// 1 GiB.
	MaxSnapshotSize int64
}

// defaultMaxSnapshotSize is the snapshot size MergeSnapshot accepts when
// Config.MaxSnapshotSize is zero.
const defaultMaxSnapshotSize = 1 << 30

// numShards is the number of independently locked counter shards. A
// (day, policy) pair always lives in one shard, so sessions under
// different policies rarely contend.
const numShards = 64

// Aggregator counts TLS sessions per (UTC day, policy domain, policy,
// failure detail) and produces the daily reports (RFC 8460 §4.1, §4.2).
// It is safe for concurrent use; Record never blocks on I/O. Create it
// with New.
type Aggregator struct {
	cfg            Config
	policies       policyTable
	shards         [numShards]shard
	reportSessions atomic.Int64
}

// shard holds the counters of the (day, policy) pairs that hash to it,
// under one mutex. It is padded to a cache line so that shards do not
// share one.
type shard struct {
	mu        sync.Mutex
	summaries map[summaryKey]*summaryCount
	details   map[string]*detailCount // key: appendDetailKey
	sessions  int64                   // sessions counted in this shard, for Stats
	// dirtySums and dirtyDetails list the entries counted since the
	// last takeDeltas, each once (its dirty flag is set): a flush visits
	// only them. takeDeltas empties them and keeps their capacity, so
	// that marking an entry dirty does not allocate in the steady state.
	dirtySums    []*summaryCount
	dirtyDetails []*detailCount
	_            [48]byte // to 128 bytes, two cache lines
}

// summaryKey identifies the summary of one policy on one UTC day.
type summaryKey struct {
	day    int64 // days since 1970-01-01 UTC
	policy PolicyID
}

// summaryCount is a policy's summary on one day (RFC 8460 §4.4).
type summaryCount struct {
	successful, failed int64
	// flushedSuccessful and flushedFailed are the counts that takeDeltas
	// handed out already; the rest is the pending delta.
	flushedSuccessful, flushedFailed int64
	key                              summaryKey
	// details is the number of detail counts of the same (day, policy),
	// a size hint for Reports.
	details int
	dirty   bool // listed in the shard's dirtySums
}

// markSummary lists c for the next takeDeltas unless it is listed already;
// sh.mu must be held.
func (sh *shard) markSummary(c *summaryCount) {
	if !c.dirty {
		c.dirty = true
		sh.dirtySums = append(sh.dirtySums, c)
	}
}

// markDetail lists dc for the next takeDeltas unless it is listed
// already; sh.mu must be held.
func (sh *shard) markDetail(dc *detailCount) {
	if !dc.dirty {
		dc.dirty = true
		sh.dirtyDetails = append(sh.dirtyDetails, dc)
	}
}

// detailCountKey identifies one failure-details entry of one policy on one
// UTC day.
type detailCountKey struct {
	day    int64
	policy PolicyID
	detail detailKey
}

// detailCount is the failed-session-count of one failure-details entry.
// The shard's map is keyed by the entry's binary encoding
// (appendDetailKey): hashing one short byte string costs a fraction of
// hashing a struct of seven fields.
type detailCount struct {
	detailCountKey
	n       int64
	flushed int64         // the part of n that takeDeltas handed out
	sum     *summaryCount // the summary of the same (day, policy)
	dirty   bool          // listed in the shard's dirtyDetails
}

// New returns an empty Aggregator using cfg.
func New(cfg Config) *Aggregator {
	return &Aggregator{cfg: cfg}
}

// Session is the outcome of one SMTP session toward a receiving MX under
// one applied policy (RFC 8460 §4.2). A session under two policies (say
// sts and tlsa) is recorded once under each.
type Session struct {
	// Time is when the session took place; it selects the UTC day.
	Time time.Time
	// Policy is the applied policy, from (*Aggregator).PolicyID.
	Policy PolicyID
	// Failures lists why the session failed; empty means the session
	// negotiated a policy-compliant TLS connection. Result types are
	// non-exclusive (RFC 8460 §4.2): the session counts once in
	// total-failure-session-count and once in the failed-session-count
	// of each distinct failure listed.
	Failures []Failure
	// ReportDelivery marks a session that delivered a TLS report. It is
	// never counted (RFC 8460 §3: a report's own delivery SHOULD NOT be
	// included in the next report); Stats counts it instead.
	ReportDelivery bool
}

// Failure is one way a session failed: the members of a failure-details
// entry (RFC 8460 §4.3, §4.4) that describe it. The entry's
// failed-session-count is what the Aggregator counts.
type Failure struct {
	// ResultType is the result-type, one of the 11 registered values
	// (ClassifyTLSError gives it).
	ResultType report.ResultType
	// SendingMTAIP is sending-mta-ip; the zero Addr leaves it out.
	SendingMTAIP netip.Addr
	// ReceivingMXHostname is receiving-mx-hostname; empty leaves it out.
	ReceivingMXHostname string
	// ReceivingMXHelo is receiving-mx-helo, as the server greeted (only
	// its first line is kept); empty leaves it out.
	ReceivingMXHelo string
	// ReceivingIP is receiving-ip; the zero Addr leaves it out.
	ReceivingIP netip.Addr
	// AdditionalInformation is additional-information, an absolute URI;
	// empty leaves it out.
	AdditionalInformation string
	// FailureReasonCode is failure-reason-code (ClassifyTLSError gives
	// it); empty leaves it out.
	FailureReasonCode string
}

// Record counts s. It is O(1) and does not allocate when s's (day,
// policy, failure details) were seen before.
//
// Failure details are normalised as the package documentation describes
// (domains to A-labels, addresses unmapped, receiving-mx-helo to its first
// line of at most 255 octets, invalid UTF-8 of remote text replaced). A
// detail that cannot be sent even so is ErrInvalidDetail: an unregistered
// result-type; a multicast or unspecified address; a receiving-mx-hostname that is not a host name; an
// additional-information that is not an absolute URI. Record also fails
// with ErrUnknownPolicy or ErrNoTime. On error it counts nothing.
func (a *Aggregator) Record(s Session) error {
	if s.ReportDelivery {
		// RFC 8460 §3 loop guard.
		a.reportSessions.Add(1)
		return nil
	}
	if !a.policies.valid(s.Policy) {
		return ErrUnknownPolicy
	}
	if s.Time.IsZero() {
		return ErrNoTime
	}
	day := dayNumber(s.Time)
	sk := summaryKey{day: day, policy: s.Policy}
	sh := &a.shards[shardIndex(day, s.Policy)]
	if len(s.Failures) == 0 {
		sh.mu.Lock()
		c := sh.summaries[sk]
		if c == nil {
			c = sh.newSummary(sk)
		}
		c.successful++
		sh.markSummary(c)
		sh.sessions++
		sh.mu.Unlock()
		return nil
	}
	// Normalise and encode the detail keys outside the lock, into stack
	// buffers for the common case (up to four details of usual size).
	var keyBuf [512]byte
	var endBuf, idxBuf [4]int
	key, ends, idx := keyBuf[:0], endBuf[:0], idxBuf[:0]
	if n := len(s.Failures); n > len(endBuf) {
		ends, idx = make([]int, 0, n), make([]int, 0, n)
	}
	var seen segmentSet
	var k detailKey
	for i := range s.Failures {
		if err := normalizeDetail(&s.Failures[i], &k); err != nil {
			return err
		}
		start := len(key)
		key = appendDetailKey(key, day, s.Policy, &k)
		if seen.contains(key, ends, start) {
			key = key[:start] // listed twice in one session: count once
			continue
		}
		ends = append(ends, len(key))
		idx = append(idx, i)
	}
	sh.mu.Lock()
	var dcBuf [4]*detailCount
	dcs := dcBuf[:0]
	if len(ends) > len(dcBuf) {
		dcs = make([]*detailCount, 0, len(ends))
	}
	missing := false
	start := 0
	for _, end := range ends {
		dc := sh.details[string(key[start:end])]
		missing = missing || dc == nil
		dcs = append(dcs, dc)
		start = end
	}
	if missing {
		if err := sh.addDetails(dcs, key, ends, idx, s, day); err != nil {
			sh.mu.Unlock()
			return err
		}
	}
	// Every detail points at the summary of its (day, policy), saving a
	// lookup.
	for _, dc := range dcs {
		dc.n++
		sh.markDetail(dc)
	}
	sum := dcs[0].sum
	sum.failed++
	sh.markSummary(sum)
	sh.sessions++
	sh.mu.Unlock()
	return nil
}

// addDetails fills the nil entries of dcs with new zero counts for the
// keys key[ends[j-1]:ends[j]] of the failures s.Failures[idx[j]], after
// checking all of them: on error it adds nothing. sh.mu must be held.
func (sh *shard) addDetails(dcs []*detailCount, key []byte, ends, idx []int, s Session, day int64) error {
	var k detailKey
	for j, dc := range dcs {
		if dc != nil {
			continue
		}
		_ = normalizeDetail(&s.Failures[idx[j]], &k) // succeeded in Record
		if err := checkNewDetail(&k); err != nil {
			return err
		}
	}
	start := 0
	for j, end := range ends {
		if dcs[j] == nil {
			_ = normalizeDetail(&s.Failures[idx[j]], &k)
			dcs[j] = sh.newDetail(string(key[start:end]), detailCountKey{day: day, policy: s.Policy, detail: k})
		}
		start = end
	}
	return nil
}

// segmentSet tells whether the last segment of a key buffer repeats an
// earlier one, for Record's duplicate failures. A session lists few
// failures, which a scan compares without allocating; beyond
// maxScanSegments a hash set keeps the check O(1), so that a session
// with thousands of failures costs linear time, not quadratic.
type segmentSet struct {
	seed maphash.Seed
	// first maps the hash of a segment to the index (in ends) of the
	// first segment with that hash.
	first map[uint64]int
}

// maxScanSegments is the number of segments up to which segmentSet
// scans them.
const maxScanSegments = 8

// contains reports whether key[start:] equals one of the segments of key
// that end at ends (segment j is key[ends[j-1]:ends[j]], the first starts
// at 0). Unless it does, the caller appends len(key) to ends.
func (s *segmentSet) contains(key []byte, ends []int, start int) bool {
	if len(ends) < maxScanSegments {
		return containsSegment(key, ends, start)
	}
	if s.first == nil {
		s.seed = maphash.MakeSeed()
		s.first = make(map[uint64]int, 2*len(ends))
		prev := 0
		for j, end := range ends {
			h := maphash.Bytes(s.seed, key[prev:end])
			if _, ok := s.first[h]; !ok {
				s.first[h] = j
			}
			prev = end
		}
	}
	seg := key[start:]
	h := maphash.Bytes(s.seed, seg)
	j, ok := s.first[h]
	if !ok {
		s.first[h] = len(ends)
		return false
	}
	prev := 0
	if j > 0 {
		prev = ends[j-1]
	}
	if bytes.Equal(key[prev:ends[j]], seg) {
		return true
	}
	// Two segments with one 64-bit hash: astronomically rare, and
	// still answered right.
	return containsSegment(key, ends, start)
}

// containsSegment reports whether key[start:] equals one of the segments
// of key that end at ends.
func containsSegment(key []byte, ends []int, start int) bool {
	prev := 0
	for _, end := range ends {
		if bytes.Equal(key[prev:end], key[start:]) {
			return true
		}
		prev = end
	}
	return false
}

// summary returns the summary for k, adding a zero one if there is none;
// sh.mu must be held.
func (sh *shard) summary(k summaryKey) *summaryCount {
	if c := sh.summaries[k]; c != nil {
		return c
	}
	return sh.newSummary(k)
}

// newSummary adds a zero summary for k; sh.mu must be held.
func (sh *shard) newSummary(k summaryKey) *summaryCount {
	if sh.summaries == nil {
		sh.summaries = make(map[summaryKey]*summaryCount)
	}
	c := &summaryCount{key: k}
	sh.summaries[k] = c
	return c
}

// newDetail adds a zero detail count for k, whose encoding is enc, and
// the summary of its (day, policy) if missing; sh.mu must be held.
func (sh *shard) newDetail(enc string, k detailCountKey) *detailCount {
	if sh.details == nil {
		sh.details = make(map[string]*detailCount)
	}
	dc := &detailCount{detailCountKey: k, sum: sh.summary(summaryKey{day: k.day, policy: k.policy})}
	dc.sum.details++
	sh.details[enc] = dc
	return dc
}

// Stats are running totals of an Aggregator, for monitoring.
type Stats struct {
	// Sessions is the number of sessions Record counted.
	Sessions int64
	// ReportDeliverySessions is the number of sessions Record skipped
	// because they delivered a TLS report (Session.ReportDelivery).
	ReportDeliverySessions int64
}

// Stats returns the running totals. Merged snapshots do not change them.
func (a *Aggregator) Stats() Stats {
	st := Stats{ReportDeliverySessions: a.reportSessions.Load()}
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		st.Sessions += sh.sessions
		sh.mu.Unlock()
	}
	return st
}

// Days returns the UTC days (at 00:00:00Z) for which sessions are held,
// oldest first.
func (a *Aggregator) Days() []time.Time {
	seen := make(map[int64]bool)
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		for k := range sh.summaries {
			seen[k.day] = true
		}
		for _, dc := range sh.details {
			seen[dc.day] = true
		}
		sh.mu.Unlock()
	}
	days := make([]int64, 0, len(seen))
	for d := range seen {
		days = append(days, d)
	}
	slices.Sort(days)
	out := make([]time.Time, len(days))
	for i, d := range days {
		out[i] = dayStart(d)
	}
	return out
}

// Forget drops every count of the UTC day that contains day, typically
// once its reports were sent. Sessions of that day recorded afterwards
// start new counts. The counts of that day that a Flusher has not
// flushed yet are dropped too: call Forget after the day's reports were
// built, as (*Flusher).Forget does.
func (a *Aggregator) Forget(day time.Time) {
	d := dayNumber(day)
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		for k := range sh.summaries {
			if k.day == d {
				delete(sh.summaries, k)
			}
		}
		for enc, dc := range sh.details {
			if dc.day == d {
				delete(sh.details, enc)
			}
		}
		sh.dirtySums = slices.DeleteFunc(sh.dirtySums, func(c *summaryCount) bool { return c.key.day == d })
		sh.dirtyDetails = slices.DeleteFunc(sh.dirtyDetails, func(dc *detailCount) bool { return dc.day == d })
		sh.mu.Unlock()
	}
}

// secondsPerDay is the length of a UTC day in POSIX time (RFC 8460 §4.1
// days are UTC days; POSIX time has no leap seconds).
const secondsPerDay = 86400

// dayNumber returns the UTC day of t as days since 1970-01-01.
func dayNumber(t time.Time) int64 {
	s := t.Unix()
	d := s / secondsPerDay
	if s%secondsPerDay < 0 {
		d--
	}
	return d
}

// dayStart returns 00:00:00Z of day d.
func dayStart(d int64) time.Time {
	return time.Unix(d*secondsPerDay, 0).UTC()
}

// shardIndex picks the shard of a (day, policy) pair.
func shardIndex(day int64, id PolicyID) uint64 {
	h := uint64(id)*0x9e3779b97f4a7c15 ^ uint64(day)*0xbf58476d1ce4e5b9
	return h >> (64 - 6) // numShards == 1<<6
}
