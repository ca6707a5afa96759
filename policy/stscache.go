package policy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Cache timing (RFC 8461 §3.3).
const (
	// stsRetryInterval is how long a failed fetch is not retried for the
	// same record id: RFC 8461 §3.3 suggests five minutes or longer.
	stsRetryInterval = 5 * time.Minute
	// stsRefreshInterval is the longest a cached policy is used without
	// fetching it again: RFC 8461 §3.3 suggests refreshing once a day.
	stsRefreshInterval = 24 * time.Hour
)

// STSCacheStore keeps an STSCache's entries, one per policy domain. The
// in-memory store an STSCache uses by default keeps them for the life of
// the process; a persistent store lets them survive restarts and be
// shared by a fleet. Implementations must be safe for concurrent use.
type STSCacheStore interface {
	// Get returns the entry stored for the policy domain (a lower-case
	// A-label), or nil and no error when there is none.
	Get(ctx context.Context, domain string) (*STSResult, error)
	// Put stores r under r.Domain, replacing any earlier entry. The
	// STSCache does not change r afterwards.
	Put(ctx context.Context, r *STSResult) error
}

// STSCache applies the MTA-STS caching rules of RFC 8461 §3.3 and §5.1
// in front of an STSFetcher: a sending MTA calls Lookup before each
// delivery and enforces (or tests) the policy it returns. The zero value
// is ready to use, fetches with a zero STSFetcher and keeps its entries
// in memory. An STSCache is safe for concurrent use (when its Store is);
// it must not be copied after first use.
//
// Entries are kept per policy domain with the id of the _mta-sts record
// they were fetched under. Lookup looks the record up every time — the
// resolver's own cache honours its TTL — and fetches the policy again
// when:
//   - there is no cached policy, or it has expired (its max_age has
//     passed since it was fetched, RFC 8461 §3.2);
//   - the record's id differs from the cached one (RFC 8461 §3.1);
//   - a day has passed since the fetch, or half the max_age if that is
//     sooner: the proactive refresh RFC 8461 §3.3 asks for, so a policy
//     is renewed well before it expires.
//
// A failed fetch is not retried for the same id within five minutes (RFC
// 8461 §3.3). While a cached policy has not expired, it keeps being
// served when the record has disappeared or cannot be looked up, and
// when a fetch fails, also for a new id (RFC 8461 §3.3: "if no live
// policy can be discovered via DNS or fetched via HTTPS", the cached
// one applies); the failure is kept in the entry's Failed field.
// Concurrent Lookups of a domain that needs fetching may each fetch it.
type STSCache struct {
	// Fetcher fetches policies; its zero value asks net.DefaultResolver
	// and trusts the system roots.
	Fetcher STSFetcher
	// Store keeps the entries; nil means in memory.
	Store STSCacheStore
	// Now returns the current time; nil means time.Now. It dates fetches
	// and failures and decides expiry and refresh; certificates are
	// checked against the real time.
	Now func() time.Time

	once sync.Once
	mem  *memSTSStore
}

// Lookup returns the MTA-STS policy to apply to mail for the recipient
// domain domainName, fetching it when the rules of STSCache say so.
//
// The errors are those of STSFetcher.Fetch: ErrNoSTSRecord,
// ErrMultipleSTSRecords and ParseSTSRecord's *tlsrpt.Diagnostic when the
// domain has no usable MTA-STS record and no policy is cached (deliver as
// if it had no policy); a *tlsrpt.Diagnostic with CodeInvalidDomain for a
// domainName that is not a domain name; an *Error, with the failure to report, when the fetch failed
// and no policy is cached — within five minutes of a failure for the same
// id, that failure again, without fetching; the context's error. Errors
// of the Store are returned wrapped; when only its Put fails, Lookup
// returns the valid result together with that error.
func (c *STSCache) Lookup(ctx context.Context, domainName string) (*STSResult, error) {
	d, err := normalizeDomain(domainName)
	if err != nil {
		return nil, err
	}
	store := c.store()
	now := c.now()
	cached, err := store.Get(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("policy: mta-sts cache: %w", err)
	}
	if cached != nil && cached.Policy == nil && cached.Text != "" {
		// A store that keeps only the text.
		p, err := ParseSTSPolicy(cached.Text)
		if err != nil {
			return nil, fmt.Errorf("policy: mta-sts cache entry for %s: %w", d, err)
		}
		e := *cached
		e.Policy = p
		cached = &e
	}
	valid := cached != nil && cached.Policy != nil && now.Before(cached.Expires)

	rec, err := c.Fetcher.lookupRecord(ctx, d)
	if err != nil {
		var pe *Error
		if valid && (errors.As(err, &pe) || ctx.Err() == nil) {
			// RFC 8461 §3.3: no live policy discoverable via DNS, but a
			// valid cached one: apply it.
			return cached, nil
		}
		return nil, err
	}
	if valid && rec.ID == cached.ID && now.Before(refreshAt(cached)) {
		return cached, nil // the cache hit
	}
	if cached != nil && cached.Failed != nil && cached.FailedID == rec.ID && now.Before(cached.FailedAt.Add(stsRetryInterval)) {
		// RFC 8461 §3.3: retry a failed fetch at most every five minutes
		// per id.
		if valid {
			return cached, nil
		}
		return nil, cached.Failed
	}

	fetched, err := c.Fetcher.fetchPolicy(ctx, d, rec.ID, now)
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			return nil, err // the caller's context ended: nothing learnt
		}
		e := &STSResult{Domain: d}
		if cached != nil {
			*e = *cached
		}
		e.Failed, e.FailedAt, e.FailedID = pe, now, rec.ID
		if perr := store.Put(ctx, e); perr != nil && !valid {
			return nil, errors.Join(err, fmt.Errorf("policy: mta-sts cache: %w", perr))
		}
		if valid {
			return e, nil
		}
		return nil, err
	}
	if err := store.Put(ctx, fetched); err != nil {
		return fetched, fmt.Errorf("policy: mta-sts cache: %w", err)
	}
	return fetched, nil
}

// refreshAt is when the cached policy r is due for a proactive refresh:
// a day after its fetch, or half its lifetime if that is sooner.
func refreshAt(r *STSResult) time.Time {
	life := r.Expires.Sub(r.Fetched)
	return r.Fetched.Add(min(stsRefreshInterval, life/2))
}

func (c *STSCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *STSCache) store() STSCacheStore {
	if c.Store != nil {
		return c.Store
	}
	c.once.Do(func() { c.mem = &memSTSStore{m: map[string]*STSResult{}} })
	return c.mem
}

// memSTSStore is the in-memory STSCacheStore. It keeps the entries
// themselves: the cache never changes an entry after Put, and callers
// treat results as read-only, so a hit costs no copy.
type memSTSStore struct {
	mu sync.RWMutex
	m  map[string]*STSResult
}

func (s *memSTSStore) Get(_ context.Context, domain string) (*STSResult, error) {
	s.mu.RLock()
	e := s.m[domain]
	s.mu.RUnlock()
	return e, nil
}

func (s *memSTSStore) Put(_ context.Context, r *STSResult) error {
	s.mu.Lock()
	s.m[r.Domain] = r
	s.mu.Unlock()
	return nil
}
