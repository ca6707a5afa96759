package aggregate

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-tlsrpt/tlsrpt/internal/domain"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// PolicyID is a small handle for a policy registered with
// (*Aggregator).PolicyID. It is valid only with the Aggregator that issued
// it, for that Aggregator's whole life. The zero PolicyID is never issued.
type PolicyID uint32

// policyTable interns policies by policy.Policy.Key, so that the hot path
// never builds a key string.
type policyTable struct {
	mu    sync.RWMutex
	byKey map[string]PolicyID
	list  []policyEntry // list[id-1]
	n     atomic.Uint32 // len(list), read without the lock on the hot path
}

// policyEntry is one registered policy in its normalised form.
type policyEntry struct {
	p   policy.Policy
	key string
}

// PolicyID registers p and returns its handle. Registering an equal policy
// (one with the same policy.Policy.Key) returns the same PolicyID, so callers
// may call PolicyID once per session, or once per cached policy and keep
// the handle.
//
// The policy is normalised for the report: policy-domain and mx-host
// patterns become lower-case A-labels without a trailing dot (RFC 8460
// §4.4); for tlsa each RR is rewritten in the canonical presentation form
// (policy.TLSA.String: single spaces, lower-case hex) and the RRs are
// sorted, since an RRset is unordered (RFC 8460 §4.5). The slices of p are
// copied. PolicyID fails with ErrInvalidPolicy for what a report may not
// carry: a policy-type other than sts, tlsa and no-policy-found; a
// no-policy-found with a policy-string or mx-host (RFC 8460 §4); a
// policy-domain or mx-host that is not a host name; a tlsa string that is
// not a TLSA RR; a policy-string that is not valid UTF-8 text.
//
// Policies are never forgotten: the table grows with the number of
// distinct policies registered over the Aggregator's life.
func (a *Aggregator) PolicyID(p policy.Policy) (PolicyID, error) {
	np, err := normalizePolicy(p)
	if err != nil {
		return 0, err
	}
	return a.policies.intern(np), nil
}

// intern returns the id of the normalised policy p, adding it if new.
func (t *policyTable) intern(p policy.Policy) PolicyID {
	key := p.Key()
	t.mu.RLock()
	id, ok := t.byKey[key]
	t.mu.RUnlock()
	if ok {
		return id
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.byKey[key]; ok {
		return id
	}
	if t.byKey == nil {
		t.byKey = make(map[string]PolicyID)
	}
	t.list = append(t.list, policyEntry{p: p, key: key})
	id = PolicyID(len(t.list))
	t.byKey[key] = id
	t.n.Store(uint32(id))
	return id
}

// valid reports whether id was issued by t.
func (t *policyTable) valid(id PolicyID) bool {
	return id != 0 && uint32(id) <= t.n.Load()
}

// entries returns the entries of ids, indexed like ids.
func (t *policyTable) entries(ids []PolicyID) []policyEntry {
	out := make([]policyEntry, len(ids))
	t.mu.RLock()
	for i, id := range ids {
		out[i] = t.list[id-1]
	}
	t.mu.RUnlock()
	return out
}

// normalizePolicy returns a copy of p in the form reports carry, or
// ErrInvalidPolicy for a policy that (*report.Report).Validate would
// reject.
func normalizePolicy(p policy.Policy) (policy.Policy, error) {
	switch p.Type {
	case policy.TypeSTS, policy.TypeTLSA, policy.TypeNoPolicyFound:
	case "":
		return policy.Policy{}, fmt.Errorf("%w: empty policy-type", ErrInvalidPolicy)
	default:
		// RFC 8460 §4.4 defines three types; a producer has no other to
		// send.
		return policy.Policy{}, fmt.Errorf("%w: unknown policy-type %q", ErrInvalidPolicy, p.Type)
	}
	d, err := domain.Canonical(p.Domain)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("%w: policy-domain %q: %v", ErrInvalidPolicy, p.Domain, err)
	}
	out := policy.Policy{Type: p.Type, Domain: d}
	if p.Type == policy.TypeNoPolicyFound && (len(p.Strings) > 0 || len(p.MXHosts) > 0) {
		// RFC 8460 §4: there is no policy to show.
		return policy.Policy{}, fmt.Errorf("%w: no-policy-found with a policy-string or mx-host", ErrInvalidPolicy)
	}
	if len(p.Strings) > 0 {
		out.Strings = make([]string, len(p.Strings))
		for i, s := range p.Strings {
			if !validText(s) {
				return policy.Policy{}, fmt.Errorf("%w: policy-string %q: not valid UTF-8 text (RFC 7493 §2.1)", ErrInvalidPolicy, s)
			}
			if p.Type == policy.TypeTLSA {
				// RFC 8460 §4.5: one RR per string in RFC 6698 §2.2
				// presentation form, hex without spaces; zone-file
				// spacing and case are canonicalised.
				rr, _, err := policy.ParseTLSA(s)
				if err != nil {
					return policy.Policy{}, fmt.Errorf("%w: policy-string %q: %v", ErrInvalidPolicy, s, err)
				}
				s = rr.String()
			}
			out.Strings[i] = s
		}
		if p.Type == policy.TypeTLSA {
			// An RRset is unordered: sorted is the canonical order.
			slices.Sort(out.Strings)
		}
	}
	if len(p.MXHosts) > 0 {
		out.MXHosts = make([]string, len(p.MXHosts))
		for i, m := range p.MXHosts {
			// RFC 8461 §4.1 mx patterns: a host name, optionally with
			// a leading "*." wildcard label.
			host, wild := strings.CutPrefix(m, "*.")
			h, err := domain.Canonical(host)
			if err != nil || strings.HasSuffix(host, ".") {
				return policy.Policy{}, fmt.Errorf("%w: mx-host %q is not a host name or \"*.\" pattern", ErrInvalidPolicy, m)
			}
			if wild {
				h = "*." + h
			}
			out.MXHosts[i] = h
		}
	}
	return out, nil
}
