package demo

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// Options configures Entries and Fill. The zero value generates the 30
// days before the current day with seed 0.
type Options struct {
	// Now ends the generated period: the reports cover the Days UTC days
	// before Now's day, and none arrived after Now. The zero value means
	// time.Now().
	Now time.Time
	// Days is the number of days with reports; 0 means 30.
	Days int
	// Seed seeds the pseudo-random choices (volumes, which small sender
	// skips which day, failure counts). The same Seed, Now and Days give
	// the same entries.
	Seed uint64
}

// Entries returns the generated reports as store entries, ordered by
// arrival (Received), each with its Raw bytes, diagnostics, trust verdict
// and source (see the package documentation for what they hold).
func Entries(opts Options) ([]store.Entry, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	days := opts.Days
	if days <= 0 {
		days = 30
	}
	g := &gen{
		rnd:   rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x746c7372707464)), // "tlsrptd"
		now:   now.UTC(),
		today: now.UTC().Truncate(24 * time.Hour),
	}
	var out []store.Entry
	for ago := days; ago >= 1; ago-- {
		for _, d := range domains {
			for _, s := range d.senders {
				e, ok, err := g.entry(d, s, ago)
				if err != nil {
					return nil, err
				}
				if ok {
					out = append(out, e)
				}
			}
		}
	}
	sortByReceived(out)
	uid := 100
	for i := range out {
		if out[i].Source == "" {
			uid++
			out[i].Source = fmt.Sprintf("imap://tlsrpt@mail.example.com/INBOX;UID=%d", uid)
		}
	}
	return out, nil
}

// Fill stores the entries of Entries(opts) in st, in batches, and returns
// how many were stored: all of them on an empty store, none when the same
// options filled it before (the store de-duplicates by content).
func Fill(ctx context.Context, st *store.Store, opts Options) (int, error) {
	entries, err := Entries(opts)
	if err != nil {
		return 0, err
	}
	stored := 0
	const batch = 500
	for len(entries) > 0 {
		n := min(batch, len(entries))
		res, err := st.PutBatch(ctx, entries[:n])
		if err != nil {
			return stored, fmt.Errorf("demo: %w", err)
		}
		for _, r := range res {
			if r.Stored() {
				stored++
			}
		}
		entries = entries[n:]
	}
	return stored, nil
}

// gen holds the state of one generation run.
type gen struct {
	rnd   *rand.Rand
	now   time.Time
	today time.Time // Now's UTC day
	zw    *gzip.Writer
}

// entry makes the report of sender s on domain d for the day ago days
// before Now's day; ok is false when s sends none that day.
func (g *gen) entry(d *domainSpec, s *sender, ago int) (store.Entry, bool, error) {
	// Draw the same numbers whether or not the report is made, so that one
	// report's shape does not shift every later one.
	skip := g.rnd.Float64()
	vol := 0.8 + 0.4*g.rnd.Float64()
	dev := d.deviation
	if dev != nil && (dev.sender != s || dev.ago != ago) {
		dev = nil
	}
	if d.firstAgo > 0 && ago > d.firstAgo || dev == nil && skip < s.skip || d.stops != nil && d.stops(s, ago) {
		return store.Entry{}, false, nil
	}
	day := g.today.AddDate(0, 0, -ago)
	sessions := float64(d.base) * s.volume * vol
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		sessions *= 0.6
	}
	total := max(int64(sessions), 1)
	r := &report.Report{
		OrganizationName: s.org,
		DateRange:        report.DateRange{Start: day, End: day.Add(24*time.Hour - time.Second)},
		ContactInfo:      s.contact,
		ReportID:         s.reportID(g, day, d.name),
	}
	if s.nextMidnight {
		r.DateRange.End = day.Add(24 * time.Hour)
	}
	policies, err := d.policies(s, ago)
	if err != nil {
		return store.Entry{}, false, err
	}
	for _, p := range policies {
		n := total
		var fails []report.FailureDetail
		if d.failures != nil {
			fails = merge(d.failures(g, s, ago, n))
		}
		var failed int64
		for _, f := range fails {
			failed += f.FailedSessionCount
		}
		if failed > n {
			n = failed + n/10
		}
		r.Policies = append(r.Policies, report.PolicyResult{
			Policy:         p,
			Summary:        report.Summary{TotalSuccessfulSessionCount: n - failed, TotalFailureSessionCount: failed},
			FailureDetails: fails,
		})
	}
	if err := r.Validate(); err != nil {
		return store.Entry{}, false, fmt.Errorf("demo: generated report %s is invalid: %w", r.ReportID, err)
	}
	e := store.Entry{Report: r, Trust: s.trust(g, ago), Received: g.received(day, s)}
	if s.https {
		e.Source = "https"
	}
	canon, err := r.MarshalJSON()
	if err != nil {
		return store.Entry{}, false, fmt.Errorf("demo: %w", err)
	}
	raw := canon
	if dev != nil {
		dirty, err := dev.apply(r, canon)
		if err != nil {
			return store.Entry{}, false, err
		}
		rep, warnings, err := (&report.Decoder{}).Decode(bytes.NewReader(dirty))
		if err != nil {
			return store.Entry{}, false, fmt.Errorf("demo: deviating report %s: %w", r.ReportID, err)
		}
		if len(warnings) == 0 {
			return store.Entry{}, false, fmt.Errorf("demo: deviating report %s decoded without a repair", r.ReportID)
		}
		if err := rep.Validate(); err != nil {
			return store.Entry{}, false, fmt.Errorf("demo: repaired report %s is invalid: %w", r.ReportID, err)
		}
		e.Report, e.Diagnostics, raw = rep, warnings, dirty
	}
	if e.Raw, err = g.gzipped(raw); err != nil {
		return store.Entry{}, false, err
	}
	return e, true, nil
}

// received is when a sender's report of day arrived: some hours after
// the day ended, never after Now.
func (g *gen) received(day time.Time, s *sender) time.Time {
	t := day.Add(24*time.Hour + s.delay + time.Duration(g.rnd.IntN(3600))*time.Second)
	if t.After(g.now) {
		t = g.now
	}
	return t
}

// gzipped compresses data as senders attach reports (RFC 8460 §5.3),
// with the run's one gzip.Writer (each new one allocates most of a
// megabyte).
func (g *gen) gzipped(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	if g.zw == nil {
		g.zw = gzip.NewWriter(&buf)
	} else {
		g.zw.Reset(&buf)
	}
	if _, err := g.zw.Write(data); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := g.zw.Close(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return buf.Bytes(), nil
}

// merge adds up failure details that differ only in their count: a report
// lists each distinct failure once (report.CodeDuplicateEntry).
func merge(fails []report.FailureDetail) []report.FailureDetail {
	var out []report.FailureDetail
next:
	for _, f := range fails {
		if f.FailedSessionCount <= 0 {
			continue
		}
		for i := range out {
			o := out[i]
			o.FailedSessionCount = f.FailedSessionCount
			if o == f {
				out[i].FailedSessionCount += f.FailedSessionCount
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}

// sortByReceived orders entries by arrival, keeping generation order for
// equal times.
func sortByReceived(entries []store.Entry) {
	slices.SortStableFunc(entries, func(a, b store.Entry) int { return a.Received.Compare(b.Received) })
}
