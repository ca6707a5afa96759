package policy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/testcert"
)

// txtResolver is a tlsrpt.Resolver whose TXT records the test changes.
type txtResolver struct {
	mu  sync.Mutex
	txt map[string][]string
	err error // returned for every lookup when set
}

func (r *txtResolver) set(name string, txts ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.txt == nil {
		r.txt = map[string][]string{}
	}
	if txts == nil {
		delete(r.txt, name)
		return
	}
	r.txt[name] = txts
}

func (r *txtResolver) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

func (r *txtResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	if v, ok := r.txt[name]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r *txtResolver) LookupMX(context.Context, string) ([]*net.MX, error) {
	return nil, errors.New("not used")
}

func (r *txtResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, errors.New("not used")
}

// policyHost is a loopback MTA-STS policy server whose answer the test
// changes, counting requests.
type policyHost struct {
	mu       sync.Mutex
	text     string
	status   int
	requests atomic.Int32
}

func (h *policyHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	h.mu.Lock()
	text, status := h.text, h.status
	h.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

func (h *policyHost) serve(status int, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status, h.text = status, text
}

// cacheHarness is an STSCache against a loopback policy server, a
// resolver the test edits and a clock it moves.
type cacheHarness struct {
	cache *STSCache
	res   *txtResolver
	host  *policyHost
	now   time.Time
}

func newCacheHarness(t *testing.T) *cacheHarness {
	t.Helper()
	root := testcert.Issue(t, testcert.CATemplate("Test Root"), nil)
	leaf := testcert.Issue(t, testcert.LeafTemplate(testPolicyHost), &root)
	h := &cacheHarness{res: &txtResolver{}, host: &policyHost{}, now: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	h.host.serve(http.StatusOK, policyText(ModeEnforce, 86400))
	addr := policyServer(t, leaf.TLSCertificate(), h.host)
	h.res.set("_mta-sts.example.com.", "v=STSv1; id=1")
	h.cache = &STSCache{
		Fetcher: STSFetcher{Resolver: h.res, RootCAs: testcert.Pool(root), DialContext: dialTo(addr)},
		Now:     func() time.Time { return h.now },
	}
	return h
}

func policyText(mode Mode, maxAge int) string {
	return "version: STSv1\nmode: " + string(mode) + "\nmx: mx1.example.com\nmax_age: " + strconv.Itoa(maxAge) + "\n"
}

// lookup calls Lookup and checks how many fetches it made.
func (h *cacheHarness) lookup(t *testing.T, wantFetches int32) (*STSResult, error) {
	t.Helper()
	before := h.host.requests.Load()
	r, err := h.cache.Lookup(context.Background(), "example.com")
	if got := h.host.requests.Load() - before; got != wantFetches {
		t.Errorf("%d fetches, want %d", got, wantFetches)
	}
	return r, err
}

func wantPolicy(t *testing.T, r *STSResult, err error, id string, mode Mode) {
	t.Helper()
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	if r.ID != id || r.Policy.Mode != mode {
		t.Errorf("got id %q mode %q, want id %q mode %q", r.ID, r.Policy.Mode, id, mode)
	}
}

func wantFailure(t *testing.T, err error, f Failure, code string) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) || pe.Failure != f || pe.Code != code {
		t.Errorf("err = %v, want %s (%s)", err, f, code)
	}
}

func TestSTSCacheHitAndIDChange(t *testing.T) {
	h := newCacheHarness(t)
	r, err := h.lookup(t, 1)
	wantPolicy(t, r, err, "1", ModeEnforce)
	if !r.Fetched.Equal(h.now) || !r.Expires.Equal(h.now.Add(86400*time.Second)) {
		t.Errorf("Fetched %v, Expires %v", r.Fetched, r.Expires)
	}

	h.now = h.now.Add(time.Hour)
	h.host.serve(http.StatusOK, policyText(ModeTesting, 86400))
	r, err = h.lookup(t, 0) // same id, fresh: the cache answers
	wantPolicy(t, r, err, "1", ModeEnforce)

	h.res.set("_mta-sts.example.com.", "v=STSv1; id=2")
	r, err = h.lookup(t, 1) // RFC 8461 §3.1: a new id means a new policy
	wantPolicy(t, r, err, "2", ModeTesting)
	if !r.Fetched.Equal(h.now) {
		t.Errorf("Fetched %v, want %v", r.Fetched, h.now)
	}
	r, err = h.lookup(t, 0)
	wantPolicy(t, r, err, "2", ModeTesting)
}

func TestSTSCacheProactiveRefresh(t *testing.T) {
	h := newCacheHarness(t)
	h.host.serve(http.StatusOK, policyText(ModeEnforce, 7*86400))
	r, err := h.lookup(t, 1)
	wantPolicy(t, r, err, "1", ModeEnforce)

	// A day later the week-long policy is refreshed, though the id is
	// the same (RFC 8461 §3.3: refresh daily).
	h.now = h.now.Add(24*time.Hour - time.Second)
	_, _ = h.lookup(t, 0)
	h.now = h.now.Add(time.Second)
	h.host.serve(http.StatusOK, policyText(ModeTesting, 7*86400))
	r, err = h.lookup(t, 1)
	wantPolicy(t, r, err, "1", ModeTesting)

	// A one-hour policy is refreshed after half an hour.
	h.host.serve(http.StatusOK, policyText(ModeTesting, 3600))
	h.res.set("_mta-sts.example.com.", "v=STSv1; id=2")
	_, _ = h.lookup(t, 1)
	h.now = h.now.Add(29 * time.Minute)
	_, _ = h.lookup(t, 0)
	h.now = h.now.Add(time.Minute)
	_, _ = h.lookup(t, 1)
}

func TestSTSCacheRefreshFailureKeepsPolicy(t *testing.T) {
	h := newCacheHarness(t)
	r, err := h.lookup(t, 1)
	wantPolicy(t, r, err, "1", ModeEnforce)

	// The refresh after half the max_age fails: the cached policy stays.
	h.host.serve(http.StatusInternalServerError, "oops")
	h.now = h.now.Add(13 * time.Hour)
	r, err = h.lookup(t, 1)
	wantPolicy(t, r, err, "1", ModeEnforce)
	if r.Failed == nil || r.Failed.Code != "http-status-500" || !r.FailedAt.Equal(h.now) || r.FailedID != "1" {
		t.Errorf("Failure %v at %v for %q", r.Failed, r.FailedAt, r.FailedID)
	}

	// RFC 8461 §3.3: no new attempt for the same id within five minutes.
	h.now = h.now.Add(4 * time.Minute)
	r, err = h.lookup(t, 0)
	wantPolicy(t, r, err, "1", ModeEnforce)
	h.now = h.now.Add(time.Minute)
	_, _ = h.lookup(t, 1)

	// A new id is fetched at once; when that fails too, the old policy
	// still applies (RFC 8461 §3.3).
	h.res.set("_mta-sts.example.com.", "v=STSv1; id=2")
	r, err = h.lookup(t, 1)
	wantPolicy(t, r, err, "1", ModeEnforce)
	if r.FailedID != "2" {
		t.Errorf("FailedID = %q, want 2", r.FailedID)
	}

	// DNS trouble and a removed record: the cached policy applies.
	h.res.fail(&net.DNSError{Err: "server misbehaving", Name: "_mta-sts.example.com.", IsTemporary: true})
	r, err = h.lookup(t, 0)
	wantPolicy(t, r, err, "1", ModeEnforce)
	h.res.fail(nil)
	h.res.set("_mta-sts.example.com.")
	r, err = h.lookup(t, 0)
	wantPolicy(t, r, err, "1", ModeEnforce)

	// Success clears the failure.
	h.res.set("_mta-sts.example.com.", "v=STSv1; id=3")
	h.host.serve(http.StatusOK, policyText(ModeTesting, 86400))
	r, err = h.lookup(t, 1)
	wantPolicy(t, r, err, "3", ModeTesting)
	if r.Failed != nil || !r.FailedAt.IsZero() || r.FailedID != "" {
		t.Errorf("failure kept after a successful fetch: %+v", r)
	}
}

func TestSTSCacheExpiry(t *testing.T) {
	h := newCacheHarness(t)
	_, _ = h.lookup(t, 1)

	// Past max_age, with the server failing: the policy is gone (RFC
	// 8461 §3.2), the failure is reported.
	h.host.serve(http.StatusNotFound, "gone")
	h.now = h.now.Add(86400 * time.Second)
	_, err := h.lookup(t, 1)
	wantFailure(t, err, FailureSTSFetch, "http-status-404")

	// The same failure again, without a new attempt, for five minutes.
	h.now = h.now.Add(299 * time.Second)
	_, err = h.lookup(t, 0)
	wantFailure(t, err, FailureSTSFetch, "http-status-404")
	h.now = h.now.Add(time.Second)
	h.host.serve(http.StatusOK, "version: STSv1\nmode: enforce\n")
	_, err = h.lookup(t, 1)
	wantFailure(t, err, FailureSTSInvalid, "policy-syntax")

	// An expired policy does not outlive its record either.
	h.host.serve(http.StatusOK, policyText(ModeEnforce, 60))
	h.res.set("_mta-sts.example.com.", "v=STSv1; id=9")
	_, err = h.lookup(t, 1)
	wantPolicy(t, mustResult(t, h), err, "9", ModeEnforce)
	h.res.set("_mta-sts.example.com.")
	if _, err := h.lookup(t, 0); err != nil {
		t.Errorf("record removed, policy valid: %v", err)
	}
	h.now = h.now.Add(time.Minute)
	if _, err := h.lookup(t, 0); !errors.Is(err, ErrNoSTSRecord) {
		t.Errorf("record removed, policy expired: err = %v, want ErrNoSTSRecord", err)
	}
}

// mustResult returns the cached entry of example.com.
func mustResult(t *testing.T, h *cacheHarness) *STSResult {
	t.Helper()
	r, err := h.cache.store().Get(context.Background(), "example.com")
	if err != nil || r == nil {
		t.Fatalf("no entry: %v", err)
	}
	return r
}

func TestSTSCacheNoRecord(t *testing.T) {
	h := newCacheHarness(t)
	h.res.set("_mta-sts.example.com.")
	if _, err := h.lookup(t, 0); !errors.Is(err, ErrNoSTSRecord) {
		t.Errorf("err = %v, want ErrNoSTSRecord", err)
	}
	h.res.fail(errors.New("timeout"))
	_, err := h.lookup(t, 0)
	wantFailure(t, err, FailureSTSFetch, "dns-error")
}

// textStore keeps only the policy text, as a database might.
type textStore struct {
	m       map[string]STSResult
	getErr  error
	putErr  error
	gets    int
	lastPut *STSResult
}

func (s *textStore) Get(_ context.Context, domain string) (*STSResult, error) {
	s.gets++
	if s.getErr != nil {
		return nil, s.getErr
	}
	r, ok := s.m[domain]
	if !ok {
		return nil, nil
	}
	return &r, nil
}

func (s *textStore) Put(_ context.Context, r *STSResult) error {
	s.lastPut = r
	if s.putErr != nil {
		return s.putErr
	}
	e := *r
	e.Policy = nil
	s.m[r.Domain] = e
	return nil
}

func TestSTSCacheStore(t *testing.T) {
	h := newCacheHarness(t)
	st := &textStore{m: map[string]STSResult{}}
	h.cache.Store = st
	r, err := h.lookup(t, 1)
	wantPolicy(t, r, err, "1", ModeEnforce)
	r, err = h.lookup(t, 0) // parsed again from the stored text
	wantPolicy(t, r, err, "1", ModeEnforce)

	st.getErr = errors.New("database down")
	if _, err := h.lookup(t, 0); !errors.Is(err, st.getErr) {
		t.Errorf("err = %v, want the store's", err)
	}
	st.getErr = nil

	st.putErr = errors.New("disk full")
	h.res.set("_mta-sts.example.com.", "v=STSv1; id=2")
	r, err = h.lookup(t, 1)
	if !errors.Is(err, st.putErr) || r == nil || r.ID != "2" {
		t.Errorf("Put failing: %+v, %v; want the result and the store's error", r, err)
	}

	st.m["example.com"] = STSResult{Domain: "example.com", ID: "2", Text: "garbage", Fetched: h.now, Expires: h.now.Add(time.Hour)}
	if _, err := h.lookup(t, 0); err == nil {
		t.Error("a stored text that does not parse: no error")
	}
}

// TestSTSCacheZeroValue: the zero STSCache works, with an in-memory
// store (the fetch fails fast here: no such domain in the test's DNS).
func TestSTSCacheZeroValue(t *testing.T) {
	var c STSCache
	c.Fetcher.Resolver = &txtResolver{}
	if _, err := c.Lookup(context.Background(), "example.com"); !errors.Is(err, ErrNoSTSRecord) {
		t.Errorf("err = %v", err)
	}
	if _, err := c.Lookup(context.Background(), "-bad-.."); err == nil {
		t.Error("invalid domain accepted")
	}
}

// TestSTSCacheConcurrent runs Lookups from several goroutines under the
// race detector.
func TestSTSCacheConcurrent(t *testing.T) {
	h := newCacheHarness(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if _, err := h.cache.Lookup(context.Background(), "example.com"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
