package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/go-tlsrpt/tlsrpt/store"
)

// FuzzQuery checks that the filters survive the links: a query that
// parses gives the same filter after Link wrote it back, whatever it
// holds.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{"", "days=7", "days=all&mode=enforce", "since=2026-10-03&until=2026-10-05",
		"reporter=Google+Inc.&trust=trusted", "ip=2001:db8::1&mx=MX1.example.com.", "result-type=%3Cb%3E&family=dane",
		"days=0", "since=x", "domain=%E2%80%AEevil"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseQuery(v, now)
		if err != nil {
			return
		}
		link := q.Link("/")
		_, rawBack, _ := strings.Cut(link, "?")
		v2, err := url.ParseQuery(rawBack)
		if err != nil {
			t.Fatalf("Link(%q) = %q: %v", raw, link, err)
		}
		q2, err := parseQuery(v2, now)
		if err != nil {
			t.Fatalf("Link(%q) = %q does not parse: %v", raw, link, err)
		}
		if diff := cmp.Diff(q.filter, q2.filter, cmpopts.EquateComparable(store.ViewFilter{}.SendingIP)); diff != "" {
			t.Errorf("filter of %q changed through Link %q (-before +after):\n%s", raw, link, diff)
		}
	})
}
