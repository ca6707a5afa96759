package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// STSCacheStore is the MTA-STS policy cache of a sending MTA kept in the
// Store's database (table tlsrpt_sts_cache): a policy.STSCacheStore, so
// that the policies a policy.STSCache fetched survive restarts and serve
// every node of a fleet sharing the database, as RFC 8461 §5.1 expects
// of a sender's cache (a policy is used until its max_age has passed,
// not fetched again for each message). Get it with Store.STSCacheStore:
//
//	cache := &policy.STSCache{Store: st.STSCacheStore()}
//
// An entry is one row per policy domain. Get reads every field of the
// policy.STSResult that Put stored — the policy text byte for byte, the
// parsed policy field by field (nil and empty slices kept apart), the
// failure with its policy block — with these limits: times come back in
// UTC, truncated to the microsecond (the store's time resolution); the
// Err of a Failed *policy.Error comes back as an error with the same
// message that still matches errors.Is tlsrpt.ErrTooLarge and
// context.DeadlineExceeded when the original did, and as a
// *tlsrpt.Diagnostic with the same fields when it was one, but other
// types in its chain are not kept (the Code the STSCache's errors carry
// is what a report needs); strings of a failure that are not valid UTF-8
// come back with U+FFFD in place of the bad bytes.
//
// An STSCacheStore holds no state besides its Store: any number may be
// used at once. It is safe for concurrent use; several processes may Put
// the same domain at once, and the last write wins.
type STSCacheStore struct {
	s *Store
}

var _ policy.STSCacheStore = (*STSCacheStore)(nil)

// STSCacheStore returns the Store's MTA-STS policy cache, for the Store
// field of a policy.STSCache. The Store's own Get and Put, which keep
// reports, have other signatures, so the cache is this separate view of
// the same database.
func (s *Store) STSCacheStore() *STSCacheStore { return &STSCacheStore{s: s} }

// The queries of STSCacheStore. Put is an upsert: concurrent Puts of one
// domain, from goroutines or processes, never fail on the primary key,
// and the last one wins.
const (
	stsGetQuery = `SELECT record_id, policy_text, policy, fetched_at, expires_at,
	failure, failure_code, failure_detail, failed_at, failed_id
FROM tlsrpt_sts_cache WHERE policy_domain = ?`
	stsPutQuery = `INSERT INTO tlsrpt_sts_cache (policy_domain, record_id, policy_text, policy, fetched_at, expires_at,
	failure, failure_code, failure_detail, failed_at, failed_id, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (policy_domain) DO UPDATE SET record_id = excluded.record_id, policy_text = excluded.policy_text,
	policy = excluded.policy, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at,
	failure = excluded.failure, failure_code = excluded.failure_code, failure_detail = excluded.failure_detail,
	failed_at = excluded.failed_at, failed_id = excluded.failed_id, updated_at = excluded.updated_at`
)

// Get returns the entry stored for the policy domain, or nil and no
// error when there is none. The domain is compared as given: the
// policy.STSCache asks with lower-case A-labels, which is how it stores
// them.
func (c *STSCacheStore) Get(ctx context.Context, domain string) (*policy.STSResult, error) {
	s := c.s
	q := rebind(s.dialect, stsGetQuery)
	st, err := s.stmts.get(ctx, s.db, q)
	if err != nil {
		return nil, fmt.Errorf("store: sts cache: get %s: %w", domain, err)
	}
	var row *sql.Row
	if st != nil {
		row = st.QueryRowContext(ctx, domain)
	} else {
		row = s.db.QueryRowContext(ctx, q, domain)
	}
	r := &policy.STSResult{Domain: domain}
	var (
		text                     []byte
		pol, failure, code, fdet sql.NullString
	)
	err = row.Scan(&r.ID, &text, &pol, stsNullTime{&r.Fetched}, stsNullTime{&r.Expires},
		&failure, &code, &fdet, stsNullTime{&r.FailedAt}, &r.FailedID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: sts cache: get %s: %w", domain, err)
	}
	r.Text = string(text)
	if pol.Valid {
		if r.Policy, err = decodeSTSPolicy(pol.String); err != nil {
			return nil, fmt.Errorf("store: sts cache: get %s: stored policy: %w", domain, err)
		}
	}
	if failure.Valid {
		if r.Failed, err = decodeSTSFailure(policy.Failure(failure.String), code.String, fdet.String); err != nil {
			return nil, fmt.Errorf("store: sts cache: get %s: stored failure: %w", domain, err)
		}
	}
	return r, nil
}

// Put stores r under r.Domain, replacing any earlier entry. It fails for
// a nil r, an empty Domain, and a Policy holding a string that is not
// valid UTF-8 (ParseSTSPolicy never returns one): it would not come back
// as it was.
func (c *STSCacheStore) Put(ctx context.Context, r *policy.STSResult) error {
	if r == nil {
		return errors.New("store: sts cache: put of a nil result")
	}
	if r.Domain == "" {
		return errors.New("store: sts cache: put of a result without domain")
	}
	s := c.s
	var pol, failure, code, fdet any // NULL unless set
	if r.Policy != nil {
		js, err := encodeSTSPolicy(r.Policy)
		if err != nil {
			return fmt.Errorf("store: sts cache: put %s: %w", r.Domain, err)
		}
		pol = js
	}
	if r.Failed != nil {
		js, err := encodeSTSFailure(r.Failed)
		if err != nil {
			return fmt.Errorf("store: sts cache: put %s: %w", r.Domain, err)
		}
		failure, code, fdet = string(r.Failed.Failure), r.Failed.Code, js
	}
	args := []any{r.Domain, r.ID, []byte(r.Text), pol,
		stsTimeArg(s.dialect, r.Fetched), stsTimeArg(s.dialect, r.Expires),
		failure, code, fdet, stsTimeArg(s.dialect, r.FailedAt), r.FailedID,
		timeArg(s.dialect, s.now())}
	if s.dialect == DialectSQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	q := rebind(s.dialect, stsPutQuery)
	st, err := s.stmts.get(ctx, s.db, q)
	if err == nil {
		if st != nil {
			_, err = st.ExecContext(ctx, args...)
		} else {
			_, err = s.db.ExecContext(ctx, q, args...)
		}
	}
	if err != nil {
		return fmt.Errorf("store: sts cache: put %s: %w", r.Domain, err)
	}
	return nil
}

// stsTimeArg is timeArg for a column where the zero time is NULL.
func stsTimeArg(d Dialect, t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return timeArg(d, t)
}

// stsNullTime reads a time column where NULL is the zero time.
type stsNullTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (s stsNullTime) Scan(v any) error {
	if v == nil {
		*s.t = time.Time{}
		return nil
	}
	return timeScan{s.t}.Scan(v)
}

// stsPolicyJSON is the stored form of a *policy.STSPolicy: its fields as
// they are, nil and empty slices kept apart (null and []).
type stsPolicyJSON struct {
	Mode       policy.Mode    `json:"mode"`
	MaxAge     int            `json:"max_age"`
	MX         []string       `json:"mx"`
	Extensions []stsExtension `json:"extensions"`
}

// stsExtension is a tlsrpt.Extension, with member names of its own.
type stsExtension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func encodeSTSPolicy(p *policy.STSPolicy) (string, error) {
	ok := utf8.ValidString(string(p.Mode))
	for _, m := range p.MX {
		ok = ok && utf8.ValidString(m)
	}
	for _, e := range p.Extensions {
		ok = ok && utf8.ValidString(e.Name) && utf8.ValidString(e.Value)
	}
	if !ok {
		return "", errors.New("policy holds a string that is not valid UTF-8")
	}
	v := stsPolicyJSON{Mode: p.Mode, MaxAge: p.MaxAgeSeconds, MX: p.MX}
	if p.Extensions != nil {
		v.Extensions = make([]stsExtension, len(p.Extensions))
		for i, e := range p.Extensions {
			v.Extensions[i] = stsExtension(e)
		}
	}
	js, err := json.Marshal(v)
	return string(js), err
}

func decodeSTSPolicy(js string) (*policy.STSPolicy, error) {
	var v stsPolicyJSON
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		return nil, err
	}
	p := &policy.STSPolicy{Mode: v.Mode, MaxAgeSeconds: v.MaxAge, MX: v.MX}
	if v.Extensions != nil {
		p.Extensions = make([]tlsrpt.Extension, len(v.Extensions))
		for i, e := range v.Extensions {
			p.Extensions[i] = tlsrpt.Extension(e)
		}
	}
	return p, nil
}

// stsFailureJSON is the stored form of a *policy.Error beyond its Failure
// and Code, which have columns of their own: the policy block to report
// and the underlying error.
type stsFailureJSON struct {
	Policy stsReportPolicyJSON `json:"policy"`
	Err    *stsErrJSON         `json:"err"`
}

// stsReportPolicyJSON is a policy.Policy, nil and empty slices kept apart.
// (Policy's own JSON is the report's, which writes nil as [].)
type stsReportPolicyJSON struct {
	Type    policy.Type `json:"type"`
	Strings []string    `json:"strings"`
	Domain  string      `json:"domain"`
	MXHosts []string    `json:"mx_hosts"`
}

// stsErrJSON is a stored error: a *tlsrpt.Diagnostic field by field, or
// any other error as its message and the sentinels it matched.
type stsErrJSON struct {
	Message    string       `json:"message,omitempty"`
	Is         []string     `json:"is,omitempty"`
	Diagnostic *stsDiagJSON `json:"diagnostic,omitempty"`
}

type stsDiagJSON struct {
	Path     string          `json:"path"`
	Offset   int             `json:"offset"`
	Index    int             `json:"index"`
	Code     tlsrpt.Code     `json:"code"`
	Severity tlsrpt.Severity `json:"severity"`
	Message  string          `json:"message"`
	Fix      string          `json:"fix"`
	Err      *stsErrJSON     `json:"err"`
}

// stsSentinel returns the sentinel error named name in stored errors.
func stsSentinel(name string) error {
	switch name {
	case "too-large":
		return tlsrpt.ErrTooLarge
	case "deadline-exceeded":
		return context.DeadlineExceeded
	}
	return nil
}

// stsSentinelNames are the names stsSentinel knows, in the order they
// are recorded.
var stsSentinelNames = [...]string{"too-large", "deadline-exceeded"}

func encodeSTSFailure(e *policy.Error) (string, error) {
	v := stsFailureJSON{
		Policy: stsReportPolicyJSON{Type: e.Policy.Type, Strings: e.Policy.Strings, Domain: e.Policy.Domain, MXHosts: e.Policy.MXHosts},
		Err:    encodeSTSErr(e.Err),
	}
	js, err := json.Marshal(v)
	return string(js), err
}

func encodeSTSErr(err error) *stsErrJSON {
	if err == nil {
		return nil
	}
	if d, ok := err.(*tlsrpt.Diagnostic); ok && d != nil {
		return &stsErrJSON{Diagnostic: &stsDiagJSON{Path: d.Path, Offset: d.Offset, Index: d.Index, Code: d.Code,
			Severity: d.Severity, Message: d.Message, Fix: d.Fix, Err: encodeSTSErr(d.Err)}}
	}
	v := &stsErrJSON{Message: err.Error()}
	for _, name := range stsSentinelNames {
		if errors.Is(err, stsSentinel(name)) {
			v.Is = append(v.Is, name)
		}
	}
	return v
}

func decodeSTSFailure(f policy.Failure, code, js string) (*policy.Error, error) {
	var v stsFailureJSON
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		return nil, err
	}
	return &policy.Error{
		Failure: f,
		Code:    code,
		Policy:  policy.Policy{Type: v.Policy.Type, Strings: v.Policy.Strings, Domain: v.Policy.Domain, MXHosts: v.Policy.MXHosts},
		Err:     decodeSTSErr(v.Err),
	}, nil
}

func decodeSTSErr(v *stsErrJSON) error {
	switch {
	case v == nil:
		return nil
	case v.Diagnostic != nil:
		d := v.Diagnostic
		return &tlsrpt.Diagnostic{Path: d.Path, Offset: d.Offset, Index: d.Index, Code: d.Code,
			Severity: d.Severity, Message: d.Message, Fix: d.Fix, Err: decodeSTSErr(d.Err)}
	}
	e := &storedError{msg: v.Message}
	for _, name := range v.Is {
		if s := stsSentinel(name); s != nil {
			if len(v.Is) == 1 && v.Message == s.Error() {
				return s // the sentinel itself
			}
			e.is = append(e.is, s)
		}
	}
	return e
}

// storedError is an error read back from the database: the original's
// message, matching the sentinels the original matched.
type storedError struct {
	msg string
	is  []error
}

func (e *storedError) Error() string   { return e.msg }
func (e *storedError) Unwrap() []error { return e.is }
